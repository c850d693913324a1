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
    One derivation (:func:`derive_routed_threshold`): routing changes the price of the marginal rollout
    and how cost-per-correct falls with rollouts. Routed cost per correct is C = k·ρ·ℓ(ρ)/(α(T,ρ)·g(ρ))
    with ℓ the routed compute (price) factor of the rollouts and g the routed accuracy factor; the
    routing premium is 1 − ℓ/g. SymPy reduces "inference wins" to

        (η_ρ + ε_P − 1)/η_T  >  λ_m · D_inf/D_train        (ρ form, D_inf at the fixed-compute price)

    with ε_P = d ln(g/ℓ)/d ln ρ (how the premium grows with rollouts) and λ_m = d(ρℓ)/dρ (marginal
    price of a routed rollout). Two readings of "routing with calibration κ, heterogeneity Δ and
    overhead γ" are its special cases (:data:`READINGS`, :func:`routing_terms`):

    * ``level``    — the premium is the same at every rollout count (ℓ = 1 − κΔ + γ, g = 1):
      ε_P = 0, λ_m = 1 − κΔ + γ; the condition is Φ_c·Φ_r > 1 with Φ_c = (η_ρ − 1)/(η_T·D_inf/D_train)
      and Φ_r = 1/(1 − κΔ + γ) (the routing-premium chapter's reading). Routing never rescues η_ρ ≤ 1.
    * ``marginal`` — only the rollouts added beyond the operating point are routed: each costs 1 + γ and
      its accuracy gain is (1 + κΔ) times the unrouted one: ε_P = κΔ·η_ρ − γ, λ_m = 1 + γ; the condition
      is Φ_c·Φ_r > 1 with Φ_c = η_ρ/(1 + η_T·D_inf/D_train) and Φ_r = (1 + κΔ)/(1 + γ) (the
      inference-frontier chapter's reading). Routing rescues η_ρ ≤ 1 iff (1 + κΔ)·η_ρ > 1 + γ.

    Both are products of a channel factor and :func:`routing_factor`, and ln Φ_r ≈ κΔ − γ in both.

Numeric functions accept floats or NumPy arrays (vectorised).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import sympy as sp

# ---------------------------------------------------------------------------------------------
# Symbols
# ---------------------------------------------------------------------------------------------

T, rho = sp.symbols("T rho", positive=True)
k, p, q = sp.symbols("k p q", positive=True)  # cost scale, price per rollout, price per unit T
lam = sp.symbols("lambda", positive=True)  # slack price fraction
b = sp.symbols("b", nonnegative=True)  # fixed (non-rollout) part of per-query cost
eta_T, eta_rho = sp.symbols("eta_alpha^T eta_alpha^rho", positive=True)
D_inf, D_train = sp.symbols("D_inf D_train", positive=True)
kappa, Delta, gamma = sp.symbols(
    "kappa Delta gamma", positive=True
)  # routing: calibration, heterogeneity, overhead
S = sp.symbols("S", positive=True)  # safety ratio κΔ/γ
alpha_fn = sp.Function("alpha")

__all__ = [
    "READINGS",
    "D_inf",
    "D_train",
    "Delta",
    "S",
    "T",
    "b",
    "channel_condition_expr",
    "channel_factor",
    "channel_margin",
    "composed_factor",
    "cost_elasticity_rho",
    "critical_dollar_ratio",
    "derive_channel_threshold",
    "derive_routed_threshold",
    "eta_T",
    "eta_rho",
    "gamma",
    "inference_wins",
    "kappa",
    "lam",
    "lambda_limit",
    "level_reading_exact_form_gap",
    "reading_expr",
    "rho",
    "routed_critical_ratio",
    "routed_margin",
    "routing_factor",
    "routing_terms",
    "threshold_eta_rho",
    "threshold_lhs",
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
    factor = price * D_inf / eta_T  # positive
    verified = sp.simplify(gap * factor - (lhs - rhs)) == 0
    return {
        "cost": C,
        "dlnC_inf": d_inf,
        "dlnC_train": d_train,
        "gap": gap,
        "lhs": lhs,
        "rhs": rhs,
        "factor": factor,
        "verified": bool(verified),
    }


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
    return (
        np.asarray(eta_rho_val, dtype=float) - cost_elasticity_rho(rho_val, lam_val)
    ) / np.asarray(eta_T_val, dtype=float)


def channel_margin(eta_rho_val, eta_T_val, dollar_ratio, rho_val=None, lam_val=1.0):
    """lhs − rhs of the channel threshold; > 0 means the next dollar should go to inference.

    ``dollar_ratio`` is D_inf/D_train with D_inf at the dedicated price; the right side is λ·ratio.
    """
    return threshold_lhs(eta_rho_val, eta_T_val, rho_val, lam_val) - np.asarray(
        lam_val, dtype=float
    ) * np.asarray(dollar_ratio, dtype=float)


def inference_wins(eta_rho_val, eta_T_val, dollar_ratio, rho_val=None, lam_val=1.0):
    """True where the inference channel cuts cost-per-correct faster per marginal dollar."""
    return channel_margin(eta_rho_val, eta_T_val, dollar_ratio, rho_val, lam_val) > 0


def critical_dollar_ratio(eta_rho_val, eta_T_val, rho_val=None, lam_val=1.0):
    """The largest D_inf/D_train at which inference still wins: lhs/λ (negative ⇒ never)."""
    return threshold_lhs(eta_rho_val, eta_T_val, rho_val, lam_val) / np.asarray(
        lam_val, dtype=float
    )


def threshold_eta_rho(eta_T_val, dollar_ratio, rho_val=None, lam_val=1.0):
    """The threshold line in the (η_T, η_ρ) plane: η_ρ* = c + η_T · λ · D_inf/D_train."""
    return cost_elasticity_rho(rho_val, lam_val) + np.asarray(eta_T_val, dtype=float) * np.asarray(
        lam_val, dtype=float
    ) * np.asarray(dollar_ratio, dtype=float)


def channel_factor(eta_rho_val, eta_T_val, dollar_ratio, *, reading: str):
    """Channel factor Φ_c of a reading (ρ form); routed rollouts win iff Φ_c·routing_factor > 1.

    ``level``: (η_ρ − 1)/(η_T·D_inf/D_train) (> 1 ⇔ channel crossed); ``marginal``:
    η_ρ/(1 + η_T·D_inf/D_train) (> 1 ⇔ channel crossed).
    """
    e = np.asarray(eta_rho_val, dtype=float)
    x = np.asarray(eta_T_val, dtype=float) * np.asarray(dollar_ratio, dtype=float)
    if reading == "level":
        return (e - 1.0) / x
    if reading == "marginal":
        return e / (1.0 + x)
    raise ValueError(f"reading must be one of {READINGS}, not {reading!r}")


def routing_factor(kappa_delta, gamma_val, *, reading: str):
    """The routing factor Φ_r of a reading: 1/(1 − κΔ + γ) (``level``) or (1 + κΔ)/(1 + γ) (``marginal``).

    Φ_r > 1 ⇔ κΔ > γ in both readings, and ln Φ_r = κΔ − γ + O(2) in both.
    """
    kd = np.asarray(kappa_delta, dtype=float)
    g = np.asarray(gamma_val, dtype=float)
    if reading == "level":
        return 1.0 / (1.0 - kd + g)
    if reading == "marginal":
        return (1.0 + kd) / (1.0 + g)
    raise ValueError(f"reading must be one of {READINGS}, not {reading!r}")


def composed_factor(eta_rho_val, eta_T_val, dollar_ratio, kappa_delta, gamma_val, *, reading: str):
    """Φ_c·Φ_r of a reading; > 1 ⇔ the marginal dollar should buy *routed* rollouts (ρ form)."""
    return channel_factor(eta_rho_val, eta_T_val, dollar_ratio, reading=reading) * routing_factor(
        kappa_delta, gamma_val, reading=reading
    )


# ---------------------------------------------------------------------------------------------
# Composition with the routing threshold: one derivation, two readings as special cases
# ---------------------------------------------------------------------------------------------

READINGS = ("level", "marginal")
eps_P, lam_m = sp.symbols(
    "epsilon_P lambda_m", real=True
)  # premium's rollout elasticity, marginal price
_eps_l, _eps_g = sp.symbols("epsilon_ell epsilon_g", real=True)
D_r = sp.symbols("D_r", positive=True)  # routed inference spend


@cache
def derive_routed_threshold() -> dict[str, Any]:
    """Derive the channel threshold for routed rollouts (ρ form) with SymPy.

    Routed cost per correct C = k·ρ·ℓ(ρ)/(α(T,ρ)·g(ρ)); routed inference spend D_r = p·ρ·ℓ(ρ). With
    ε_ℓ = ρℓ'/ℓ, ε_g = ρg'/g, ε_P = ε_g − ε_ℓ and λ_m = ℓ(1 + ε_ℓ) = d(ρℓ)/dρ, and D_inf = pρ the spend
    at the fixed-compute price (D_r = ℓ·D_inf), the marginal-dollar comparison reduces to
    ``lhs > rhs`` with lhs = (η_ρ + ε_P − 1)/η_T and rhs = λ_m·D_inf/D_train (for 1 + ε_ℓ > 0).

    Returns ``gap`` (d ln C per training dollar − per inference dollar; > 0 ⇔ inference wins),
    ``lhs``, ``rhs`` (in ε_P, λ_m), and ``verified``: SymPy confirms gap·factor = lhs − rhs with the
    positive factor ℓ·(1 + ε_ℓ)·D_inf/η_T.
    """
    ell = sp.Function("ell")(rho)
    g = sp.Function("g")(rho)
    a = alpha_fn(T, rho)
    C = k * rho * ell / (a * g)
    lnC = sp.log(C)
    spend = p * rho * ell
    d_inf = sp.diff(lnC, rho) / sp.diff(spend, rho)
    d_train = sp.diff(lnC, T) / q
    subs = {
        sp.Derivative(a, rho): eta_rho * a / rho,
        sp.Derivative(a, T): eta_T * a / T,
        sp.Derivative(ell, rho): _eps_l * ell / rho,
        sp.Derivative(g, rho): _eps_g * g / rho,
    }
    d_inf = sp.simplify(d_inf.subs(subs).subs(p, D_inf / rho))
    d_train = sp.simplify(d_train.subs(subs).subs(q, D_train / T))
    gap = sp.simplify(d_train - d_inf)
    lhs_e = (eta_rho + _eps_g - _eps_l - 1) / eta_T
    rhs_e = ell * (1 + _eps_l) * D_inf / D_train
    factor = ell * (1 + _eps_l) * D_inf / eta_T
    verified = sp.simplify(gap * factor - (lhs_e - rhs_e)) == 0
    return {
        "gap": gap,
        "lhs": (eta_rho + eps_P - 1) / eta_T,
        "rhs": lam_m * D_inf / D_train,
        "ell": ell,
        "g": g,
        "verified": bool(verified),
    }


def _reading_terms_expr(reading: str) -> tuple[sp.Expr, sp.Expr]:
    """(ε_P, λ_m) of a reading, derived from its explicit ℓ(ρ) and g(ρ) at the operating point ρ₀."""
    r0 = sp.symbols("rho_0", positive=True)
    a = sp.Function("alpha")(rho)  # T held fixed
    if reading == "level":
        ell = 1 - kappa * Delta + gamma + 0 * rho
        g = sp.Integer(1) + 0 * rho
    elif reading == "marginal":
        # the rollouts beyond ρ₀ are routed: each costs 1 + γ, and adds (1 + κΔ) times the unrouted gain
        ell = (r0 + (1 + gamma) * (rho - r0)) / rho
        a0 = sp.Function("alpha")(r0)
        g = (a0 + (1 + kappa * Delta) * (a - a0)) / a
    else:
        raise ValueError(f"reading must be one of {READINGS}, not {reading!r}")
    eps_l = sp.diff(ell, rho) * rho / ell
    eps_g = sp.diff(g, rho) * rho / g
    at = {sp.Derivative(a, rho): eta_rho * a / rho}
    e_P = sp.simplify(
        (eps_g - eps_l)
        .subs(at)
        .subs(rho, r0)
        .subs(sp.Function("alpha")(r0), sp.Symbol("A0", positive=True))
    )
    l_m = sp.simplify((ell * (1 + eps_l)).subs(rho, r0))
    return sp.simplify(e_P), l_m


@cache
def reading_expr(reading: str) -> dict[str, Any]:
    """One reading as a special case of :func:`derive_routed_threshold`.

    Returns ε_P, λ_m (derived from the reading's explicit model), the general condition with them
    substituted (``lhs``, ``rhs``), the reading's product form Φ_c·Φ_r, and ``equivalent``: SymPy
    confirms lhs − rhs = (Φ_c·Φ_r − 1)·(a positive factor), i.e. the special case of the general
    condition *is* the published product form.
    """
    e_P, l_m = _reading_terms_expr(reading)
    gen = derive_routed_threshold()
    lhs = gen["lhs"].subs(eps_P, e_P)
    rhs = gen["rhs"].subs(lam_m, l_m)
    x = eta_T * D_inf / D_train
    if reading == "level":
        phi_c, phi_r = (eta_rho - 1) / x, 1 / (1 - kappa * Delta + gamma)
        positive = x / (eta_T * phi_r)  # = λ_m·D_inf/D_train
    else:
        phi_c, phi_r = eta_rho / (1 + x), (1 + kappa * Delta) / (1 + gamma)
        positive = (1 + gamma) * (1 + x) / eta_T
    equivalent = sp.simplify((lhs - rhs) - (phi_c * phi_r - 1) * positive) == 0
    return {
        "eps_P": e_P,
        "lam_m": l_m,
        "lhs": lhs,
        "rhs": rhs,
        "channel_factor": phi_c,
        "routing_factor": phi_r,
        "positive_factor": positive,
        "equivalent": bool(equivalent),
    }


def routing_terms(kappa_delta, gamma_val, eta_rho_val, *, reading: str):
    """Numeric (ε_P, λ_m) of a reading: level (0, 1 − κΔ + γ); marginal (κΔ·η_ρ − γ, 1 + γ)."""
    kd = np.asarray(kappa_delta, dtype=float)
    g = np.asarray(gamma_val, dtype=float)
    e = np.asarray(eta_rho_val, dtype=float)
    if reading == "level":
        return np.zeros_like(kd * e), 1.0 - kd + g
    if reading == "marginal":
        return kd * e - g, 1.0 + g + 0.0 * kd
    raise ValueError(f"reading must be one of {READINGS}, not {reading!r}")


def routed_margin(eta_rho_val, eta_T_val, dollar_ratio, kappa_delta, gamma_val, *, reading: str):
    """lhs − rhs of the routed channel condition (ρ form); > 0 ⇔ routed rollouts win the marginal dollar."""
    e_P, l_m = routing_terms(kappa_delta, gamma_val, eta_rho_val, reading=reading)
    return (np.asarray(eta_rho_val, dtype=float) + e_P - 1.0) / np.asarray(
        eta_T_val, dtype=float
    ) - l_m * np.asarray(dollar_ratio, dtype=float)


def routed_critical_ratio(eta_rho_val, eta_T_val, kappa_delta, gamma_val, *, reading: str):
    """Largest D_inf/D_train at which routed rollouts still win: (η_ρ + ε_P − 1)/(η_T·λ_m) (< 0 ⇒ never)."""
    e_P, l_m = routing_terms(kappa_delta, gamma_val, eta_rho_val, reading=reading)
    return (np.asarray(eta_rho_val, dtype=float) + e_P - 1.0) / (
        np.asarray(eta_T_val, dtype=float) * l_m
    )


@cache
def level_reading_exact_form_gap() -> dict[str, sp.Expr]:
    """The level reading in the exact (1 + ρ̄) form: routing also lowers the rollout cost elasticity
    λρ/(1 + λρ), so the condition is no longer Φ_c·Φ_r. Returns ``gap`` = lhs/rhs − Φ_c^exact·Φ_r
    (SymPy) and ``closed`` = (1 − λ)ρ/((1 + ρ)(1 + λρ)·η_T·λ·D_inf/D_train) with λ = 1 − κΔ + γ."""
    lam_r = 1 - kappa * Delta + gamma
    d = derive_channel_threshold(fixed=1, price=lam_r)
    x = eta_T * D_inf / D_train
    phi_c = (eta_rho - rho / (1 + rho)) / x
    gap = sp.simplify(d["lhs"] / d["rhs"] - phi_c / lam_r)
    closed = (1 - lam_r) * rho / ((1 + rho) * (1 + lam_r * rho) * x * lam_r)
    return {"gap": gap, "closed": closed, "verified": d["verified"]}


# --------------------------------------------------------------------------------------------------
# Snell et al. (2024), §7: the FLOPs-matched exchange of pretraining for test-time compute
# --------------------------------------------------------------------------------------------------

# M: parameter multiple of the larger model; R: D_inf / D_pretrain
M_, R_ = sp.symbols("M R", positive=True)


def flops_matched_multiplier_expr() -> sp.Expr:
    """The factor by which a smaller model may multiply its inference tokens to match the FLOPs of
    an ``M``-times larger one, derived from ``X = 6 N D_pretrain`` and ``Y = 2 N D_inference``.

    Snell et al. state the result as ``M + 3 (D_pretrain / D_inference)(M - 1)``; in ``R =
    D_inference / D_pretrain`` it is ``M + 3 (M - 1) / R``.
    """
    n, d_pre, d_inf, k = sp.symbols("N D_pre D_inf k", positive=True)
    larger = M_ * (6 * n * d_pre + 2 * n * d_inf)
    smaller = 6 * n * d_pre + 2 * n * d_inf * k
    (sol,) = sp.solve(sp.Eq(larger, smaller), k)
    return sp.simplify(sol.subs(d_inf, R_ * d_pre))


def flops_matched_multiplier(m, r):
    """Numeric :func:`flops_matched_multiplier_expr`: ``m + 3 (m - 1) / r`` (arrays broadcast)."""
    return m + 3 * (m - 1) / r
