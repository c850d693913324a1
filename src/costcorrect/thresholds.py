"""Channel threshold (training vs test-time compute) and its shifts, symbolic and numeric.

Companion of the chapters *The Inference-Time Compute Frontier* (Research Paper #2, Bhardwaj 2026)
and *Harvesting Serving Slack: ROSE* (Field Notes #7). Only the abstracts are public, so the model
below is a **reconstruction** that reproduces the published condition

    (η_α^ρ − 1) / η_α^T  >  D_inf / D_train            (inference channel wins the marginal dollar)

Model (one family covers every variant used in the book)
    Cost per correct answer  C = k · (b + λ·ρ) / α(T, ρ)

    * ``ρ``  rollouts per query, ``T`` training compute, ``α`` accept rate (joint in T and ρ);
    * ``b``  the part of per-query cost that does not scale with ρ: ``b = 0`` is the paper's "ρ form"
      (cost ∝ ρ, ρ counts every sample), ``b = 1`` is the exact Cost-correct form ``(1 + ρ̄)`` with ρ̄
      the *extra* rollouts;
    * ``λ``  price of a rollout as a fraction of its dedicated price (ROSE: rollouts on idle serving
      GPUs; λ = 1 is dedicated hardware);
    * dollars: ``D_inf = p·ρ`` (rollout dollars *at the dedicated price*), ``D_train = q·T``.

    The marginal dollar buys dρ = 1/(λ p) or dT = 1/q; SymPy reduces "inference lowers ln C more"
    to  (η_ρ − λρ/(b + λρ)) / η_T  >  λ · D_inf / D_train   (η_T > 0).

Composition with the routing threshold (reconstruction; the paper's form is not public)
    Routing the marginal rollouts on a difficulty signal with calibration κ, heterogeneity Δ and
    overhead γ multiplies the accuracy elasticity per inference dollar by ``m = (1 + κΔ)/(1 + γ)``
    (m > 1 ⇔ κΔ > γ; ln m ≈ κΔ − γ at the margin). In ratio form the two tests then multiply:

        channel_factor = η_ρ / (c + η_T·λ·D_inf/D_train)   (> 1 ⇔ channel threshold crossed)
        routing_factor = (1 + κΔ)/(1 + γ)                     (> 1 ⇔ κΔ > γ)
        routed inference wins  ⇔  channel_factor · routing_factor > 1

    with c = λρ/(b + λρ) (c = 1 in the ρ form). Use :func:`composed_factor`.

Numeric functions accept floats or NumPy arrays (vectorised).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp

# ---------------------------------------------------------------------------------------------
# Symbols
# ---------------------------------------------------------------------------------------------

T, rho = sp.symbols("T rho", positive=True)
k, p, q = sp.symbols("k p q", positive=True)          # cost scale, price per rollout, price per unit T
lam = sp.symbols("lambda", positive=True)             # slack price fraction
b = sp.symbols("b", nonnegative=True)                 # fixed (non-rollout) part of per-query cost
eta_T, eta_rho = sp.symbols("eta_alpha^T eta_alpha^rho", positive=True)
D_inf, D_train = sp.symbols("D_inf D_train", positive=True)
kappa, Delta, gamma = sp.symbols("kappa Delta gamma", nonnegative=True)
alpha_fn = sp.Function("alpha")

__all__ = [
    "T", "rho", "lam", "b", "eta_T", "eta_rho", "D_inf", "D_train", "kappa", "Delta", "gamma",
    "derive_channel_threshold", "channel_condition_expr", "threshold_lhs", "cost_elasticity_rho",
    "channel_margin", "inference_wins", "critical_dollar_ratio", "threshold_eta_rho",
    "channel_factor", "routing_factor", "composed_factor", "routing_multiplier_expr",
    "composed_condition_expr", "lambda_limit",
]


def derive_channel_threshold(fixed: sp.Expr = b, price: sp.Expr = lam) -> dict[str, Any]:
    """Derive the channel threshold from C = k (b + λρ)/α(T, ρ) with SymPy.

    Returns a dict with ``cost`` (C), ``dlnC_inf`` and ``dlnC_train`` (change of ln C per marginal
    dollar on each channel, written in elasticities and dollars), ``gap`` (= dlnC_train − dlnC_inf;
    inference wins iff gap > 0), ``lhs``/``rhs`` of the reduced condition and ``verified`` (True if
    SymPy confirms gap · λ·D_inf/η_T == lhs − rhs identically, so that, with η_T > 0 and the positive
    factor, gap > 0 ⇔ lhs > rhs).
    """
    a = alpha_fn(T, rho)
    C = k * (fixed + price * rho) / a
    lnC = sp.log(C)
    # per-dollar changes: one dollar buys 1/(price*p) rollouts or 1/q units of training compute
    d_inf = sp.diff(lnC, rho) / (price * p)
    d_train = sp.diff(lnC, T) / q
    # rewrite alpha derivatives as elasticities, prices as dollars at the operating point
    subs = {sp.Derivative(a, rho): eta_rho * a / rho, sp.Derivative(a, T): eta_T * a / T}
    d_inf = sp.simplify(d_inf.subs(subs).subs({p: D_inf / rho}))
    d_train = sp.simplify(d_train.subs(subs).subs({q: D_train / T}))
    gap = sp.simplify(d_train - d_inf)
    lhs = (eta_rho - price * rho / (fixed + price * rho)) / eta_T
    rhs = price * D_inf / D_train
    factor = price * D_inf / eta_T        # positive
    verified = sp.simplify(gap * factor - (lhs - rhs)) == 0
    return {"cost": C, "dlnC_inf": d_inf, "dlnC_train": d_train, "gap": gap,
            "lhs": lhs, "rhs": rhs, "factor": factor, "verified": bool(verified)}


def channel_condition_expr(form: str = "rho", price: sp.Expr = 1) -> sp.Rel:
    """The reduced threshold as a SymPy inequality: ``form='rho'`` (b = 0) or ``'exact'`` (b = 1)."""
    fixed = {"rho": 0, "exact": 1}[form]
    d = derive_channel_threshold(fixed=fixed, price=price)
    return sp.StrictGreaterThan(sp.simplify(d["lhs"]), sp.simplify(d["rhs"]))


def lambda_limit(form: str = "exact") -> dict[str, sp.Expr]:
    """Limits of both sides of the λ-shifted threshold as λ → 0⁺ (ROSE: free slack)."""
    fixed = {"rho": 0, "exact": 1}[form]
    d = derive_channel_threshold(fixed=fixed, price=lam)
    return {"lhs": sp.limit(d["lhs"], lam, 0, "+"), "rhs": sp.limit(d["rhs"], lam, 0, "+")}


# ---------------------------------------------------------------------------------------------
# Numeric
# ---------------------------------------------------------------------------------------------


def cost_elasticity_rho(rho_val=None, lam_val=1.0):
    """Elasticity of cost in ρ: 1 in the ρ form (``rho_val=None``), else λρ/(1 + λρ) (exact form)."""
    if rho_val is None:
        return np.ones_like(np.asarray(lam_val, dtype=float))
    lr = np.asarray(lam_val, dtype=float) * np.asarray(rho_val, dtype=float)
    return lr / (1.0 + lr)


def threshold_lhs(eta_rho_val, eta_T_val, rho_val=None, lam_val=1.0):
    """Left side (η_ρ − c)/η_T with c from :func:`cost_elasticity_rho`."""
    return (np.asarray(eta_rho_val, dtype=float) - cost_elasticity_rho(rho_val, lam_val)) / np.asarray(eta_T_val, dtype=float)


def channel_margin(eta_rho_val, eta_T_val, dollar_ratio, rho_val=None, lam_val=1.0):
    """lhs − rhs of the channel threshold; > 0 means the next dollar should go to inference.

    ``dollar_ratio`` is D_inf/D_train with D_inf at the dedicated price; the right side is λ·ratio.
    """
    return threshold_lhs(eta_rho_val, eta_T_val, rho_val, lam_val) - np.asarray(lam_val, dtype=float) * np.asarray(dollar_ratio, dtype=float)


def inference_wins(eta_rho_val, eta_T_val, dollar_ratio, rho_val=None, lam_val=1.0):
    """True where the inference channel cuts cost-per-correct faster per marginal dollar."""
    return channel_margin(eta_rho_val, eta_T_val, dollar_ratio, rho_val, lam_val) > 0


def critical_dollar_ratio(eta_rho_val, eta_T_val, rho_val=None, lam_val=1.0):
    """The largest D_inf/D_train at which inference still wins: lhs/λ (negative ⇒ never)."""
    return threshold_lhs(eta_rho_val, eta_T_val, rho_val, lam_val) / np.asarray(lam_val, dtype=float)


def threshold_eta_rho(eta_T_val, dollar_ratio, rho_val=None, lam_val=1.0):
    """The threshold line in the (η_T, η_ρ) plane: η_ρ* = c + η_T · λ · D_inf/D_train."""
    return cost_elasticity_rho(rho_val, lam_val) + np.asarray(eta_T_val, dtype=float) * np.asarray(lam_val, dtype=float) * np.asarray(dollar_ratio, dtype=float)


def channel_factor(eta_rho_val, eta_T_val, dollar_ratio, rho_val=None, lam_val=1.0):
    """Ratio form of the channel test: η_ρ / η_ρ*  (> 1 ⇔ threshold crossed)."""
    return np.asarray(eta_rho_val, dtype=float) / threshold_eta_rho(eta_T_val, dollar_ratio, rho_val, lam_val)


def routing_factor(kappa_val, delta_val, gamma_val):
    """Ratio form of the routing test: (1 + κΔ)/(1 + γ)  (> 1 ⇔ κΔ > γ)."""
    return (1.0 + np.asarray(kappa_val, dtype=float) * np.asarray(delta_val, dtype=float)) / (1.0 + np.asarray(gamma_val, dtype=float))


def composed_factor(eta_rho_val, eta_T_val, dollar_ratio, kappa_val, delta_val, gamma_val, rho_val=None, lam_val=1.0):
    """Channel factor × routing factor; > 1 ⇔ the marginal dollar should buy *routed* rollouts."""
    return channel_factor(eta_rho_val, eta_T_val, dollar_ratio, rho_val, lam_val) * routing_factor(kappa_val, delta_val, gamma_val)


def routing_multiplier_expr() -> sp.Expr:
    """m = (1 + κΔ)/(1 + γ): how routing scales the accuracy gain bought per inference dollar."""
    return (1 + kappa * Delta) / (1 + gamma)


def composed_condition_expr(form: str = "rho") -> dict[str, Any]:
    """Derive the composed test: with η_ρ → m·η_ρ in the channel threshold, the condition is
    equivalent to channel_factor · routing_factor > 1. Returns the pieces and a SymPy verdict."""
    fixed = {"rho": 0, "exact": 1}[form]
    c = rho / (fixed + rho) if fixed else sp.Integer(1)
    m = routing_multiplier_expr()
    lhs = (m * eta_rho - c) / eta_T
    rhs = D_inf / D_train
    line = c + eta_T * D_inf / D_train
    cf = eta_rho / line
    product = cf * m
    # lhs - rhs = (product - 1) * line / eta_T, and line/eta_T > 0
    verified = sp.simplify((lhs - rhs) - (product - 1) * line / eta_T) == 0
    return {"lhs": lhs, "rhs": rhs, "channel_factor": cf, "routing_factor": m,
            "product": product, "positive_factor": line / eta_T, "verified": bool(verified)}
