"""Functional forms of the accept rate α(ρ) in the rollout count, their elasticities and fits.

Companion of *The Inference-Time Compute Frontier*. Three forms:

* **pass@k** (independent samples, perfect verifier): α = 1 − (1 − p)^ρ. With x = −ρ ln(1 − p),
  η_α^ρ = x/(eᵡ − 1) < 1 for every x > 0.
* **logistic in log-compute**: α = σ(a + b ln ρ); η_α^ρ = b (1 − α).
* **exponentiated power law** (Brown et al. 2024, coverage): α = exp(−a ρ^(−b)), a, b > 0;
  η_α^ρ = a b ρ^(−b) = b · (−ln α).

``eta = d ln α / d ln ρ`` throughout. Symbolic versions derive the elasticities with SymPy;
numeric versions are vectorised NumPy.
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from scipy.special import expit

r, p_, a_, b_, x_ = sp.symbols("rho p a b x", positive=True)

FORMS = ("passk", "logistic", "exppower")


def alpha_expr(form: str) -> sp.Expr:
    """α(ρ) as a SymPy expression in ρ and the form's parameters (p; a, b; a, b)."""
    if form == "passk":
        return 1 - (1 - p_) ** r
    if form == "logistic":
        return 1 / (1 + sp.exp(-(a_ + b_ * sp.log(r))))
    if form == "exppower":
        return sp.exp(-a_ * r ** (-b_))
    raise ValueError(form)


def elasticity_expr(form: str) -> sp.Expr:
    """η_α^ρ = ρ α'(ρ)/α(ρ), derived and simplified by SymPy."""
    a = alpha_expr(form)
    return sp.simplify(sp.diff(a, r) * r / a)


def passk_eta_in_x() -> sp.Expr:
    """The pass@k elasticity rewritten in x = −ρ ln(1 − p): x/(eˣ − 1)."""
    e = elasticity_expr("passk")
    # (1-p)**rho = exp(-x), rho*log(1-p) = -x
    e = e.subs(sp.log(1 - p_), -x_ / r)
    e = e.rewrite(sp.exp)
    return sp.simplify(e)


# ----------------------------------------------------------------------------------------------
# numeric forms
# ----------------------------------------------------------------------------------------------


def alpha_passk(rho, p):
    """pass@k accept rate 1 − (1 − p)^ρ."""
    return 1.0 - np.power(1.0 - np.asarray(p, dtype=float), np.asarray(rho, dtype=float))


def eta_passk(rho, p):
    """pass@k elasticity x/(eˣ − 1), x = −ρ ln(1 − p) (→ 1 as x → 0)."""
    x = -np.asarray(rho, dtype=float) * np.log1p(-np.asarray(p, dtype=float))
    x = np.asarray(x, dtype=float)
    out = np.ones_like(x)
    nz = x > 1e-12
    big = x > 700.0                       # x/(e^x - 1) underflows to 0 well before here
    mid = nz & ~big
    out[mid] = x[mid] / np.expm1(x[mid])
    out[big] = 0.0
    return out if out.ndim else float(out)


def alpha_logistic(rho, a, b):
    """σ(a + b ln ρ)."""
    return expit(np.asarray(a, dtype=float) + np.asarray(b, dtype=float) * np.log(np.asarray(rho, dtype=float)))


def eta_logistic(rho, a, b):
    """b · (1 − α) for the logistic-in-log form."""
    return np.asarray(b, dtype=float) * (1.0 - alpha_logistic(rho, a, b))


def alpha_exppower(rho, a, b):
    """exp(−a ρ^(−b)) (Brown et al.'s exponentiated power law for coverage)."""
    return np.exp(-np.asarray(a, dtype=float) * np.power(np.asarray(rho, dtype=float), -np.asarray(b, dtype=float)))


def eta_exppower(rho, a, b):
    """a b ρ^(−b) = b · (−ln α)."""
    return np.asarray(a, dtype=float) * np.asarray(b, dtype=float) * np.power(np.asarray(rho, dtype=float), -np.asarray(b, dtype=float))


def arc_elasticity(alpha0, alpha1, rho0, rho1):
    """Arc (log-log) elasticity ln(α1/α0)/ln(ρ1/ρ0) between two operating points."""
    return np.log(np.asarray(alpha1, dtype=float) / np.asarray(alpha0, dtype=float)) / np.log(np.asarray(rho1, dtype=float) / np.asarray(rho0, dtype=float))


# ----------------------------------------------------------------------------------------------
# fits
# ----------------------------------------------------------------------------------------------


def fit_exppower(rho, alpha):
    """Least-squares fit of ln(−ln α) = ln a − b ln ρ (exact through two points). Returns (a, b)."""
    y = np.log(-np.log(np.asarray(alpha, dtype=float)))
    X = np.log(np.asarray(rho, dtype=float))
    slope, intercept = np.polyfit(X, y, 1)
    return float(np.exp(intercept)), float(-slope)


def fit_logistic(rho, alpha):
    """Least-squares fit of logit α = a + b ln ρ. Returns (a, b)."""
    al = np.asarray(alpha, dtype=float)
    y = np.log(al / (1.0 - al))
    slope, intercept = np.polyfit(np.log(np.asarray(rho, dtype=float)), y, 1)
    return float(intercept), float(slope)


def fit_passk(rho, alpha):
    """Fit p of 1 − (1 − p)^ρ by least squares in ln(1 − α) = ρ ln(1 − p) (through the origin)."""
    rr = np.asarray(rho, dtype=float)
    y = np.log1p(-np.asarray(alpha, dtype=float))
    slope = float(np.sum(rr * y) / np.sum(rr * rr))
    return float(-np.expm1(slope))


def logistic_slope_needed(alpha):
    """Smallest logistic slope b at which η_α^ρ = b(1 − α) exceeds 1: 1/(1 − α)."""
    with np.errstate(divide="ignore"):
        return 1.0 / (1.0 - np.asarray(alpha, dtype=float))


def exppower_crossing_alpha(b):
    """Coverage below which the exponentiated power law has η > 1: α < exp(−1/b)."""
    return np.exp(-1.0 / np.asarray(b, dtype=float))


def passk_eta_x() -> sp.Expr:
    """x/(eˣ − 1): the pass@k elasticity in x = −ρ ln(1 − p) (see :func:`passk_below_one_proof`)."""
    return x_ / (sp.exp(x_) - 1)


def passk_below_one_proof() -> dict[str, bool]:
    """SymPy checks that pass@k has η_α^ρ < 1 for every ρ > 0, 0 < p < 1.

    * ``rewrites``: the derived elasticity equals x/(eˣ − 1) after p = 1 − e^(−x/ρ);
    * ``series``: eˣ − 1 − x = Σ_{n≥2} xⁿ/n!, a sum of positive terms for x > 0, so eˣ − 1 > x,
      i.e. x/(eˣ − 1) < 1 (``terms_positive``);
    * ``limit_at_0``: η → 1 as x → 0⁺ (the supremum is approached, never reached).
    """
    n = sp.symbols("n", integer=True, nonnegative=True)
    e = elasticity_expr("passk").subs(p_, 1 - sp.exp(-x_ / r))
    series = sp.Sum(x_ ** n / sp.factorial(n), (n, 2, sp.oo)).doit()
    return {
        "rewrites": sp.simplify(e - passk_eta_x()) == 0,
        "series": sp.simplify(series - (sp.exp(x_) - 1 - x_)) == 0,
        "terms_positive": bool((x_ ** n / sp.factorial(n)).is_positive),
        "limit_at_0": sp.limit(passk_eta_x(), x_, 0, "+") == 1,
    }
