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

from functools import cache

import numpy as np
import pandas as pd
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
    big = x > 700.0  # x/(e^x - 1) underflows to 0 well before here
    mid = nz & ~big
    out[mid] = x[mid] / np.expm1(x[mid])
    out[big] = 0.0
    return out if out.ndim else float(out)


def alpha_logistic(rho, a, b):
    """σ(a + b ln ρ)."""
    return expit(
        np.asarray(a, dtype=float)
        + np.asarray(b, dtype=float) * np.log(np.asarray(rho, dtype=float))
    )


def eta_logistic(rho, a, b):
    """b · (1 − α) for the logistic-in-log form."""
    return np.asarray(b, dtype=float) * (1.0 - alpha_logistic(rho, a, b))


def alpha_exppower(rho, a, b):
    """exp(−a ρ^(−b)) (Brown et al.'s exponentiated power law for coverage)."""
    return np.exp(
        -np.asarray(a, dtype=float)
        * np.power(np.asarray(rho, dtype=float), -np.asarray(b, dtype=float))
    )


def eta_exppower(rho, a, b):
    """a b ρ^(−b) = b · (−ln α)."""
    return (
        np.asarray(a, dtype=float)
        * np.asarray(b, dtype=float)
        * np.power(np.asarray(rho, dtype=float), -np.asarray(b, dtype=float))
    )


def arc_elasticity(alpha0, alpha1, rho0, rho1):
    """Arc (log-log) elasticity ln(α1/α0)/ln(ρ1/ρ0) between two operating points."""
    return np.log(np.asarray(alpha1, dtype=float) / np.asarray(alpha0, dtype=float)) / np.log(
        np.asarray(rho1, dtype=float) / np.asarray(rho0, dtype=float)
    )


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
    series = sp.Sum(x_**n / sp.factorial(n), (n, 2, sp.oo)).doit()
    return {
        "rewrites": sp.simplify(e - passk_eta_x()) == 0,
        "series": sp.simplify(series - (sp.exp(x_) - 1 - x_)) == 0,
        "terms_positive": bool((x_**n / sp.factorial(n)).is_positive),
        "limit_at_0": sp.limit(passk_eta_x(), x_, 0, "+") == 1,
    }


# ----------------------------------------------------------------------------------------------
# mixtures of pass@k curves (coverage over a set of problems)
# ----------------------------------------------------------------------------------------------


def alpha_mixture(rho, p, w):
    """Coverage of a problem set: Σ_i w_i (1 − (1 − p_i)^ρ), weights ``w`` normalised to 1.

    ``p`` and ``w`` are 1-D arrays over problems (or problem types); ``rho`` a scalar or array.
    """
    p = np.asarray(p, dtype=float)
    w = np.asarray(w, dtype=float) / np.sum(w)
    rr = np.asarray(rho, dtype=float)[..., None]
    return np.sum(w * (1.0 - np.power(1.0 - p, rr)), axis=-1)


def eta_mixture(rho, p, w):
    """Elasticity ρA'/A of mixture coverage: Σ w_i x_i e^(−x_i) / Σ w_i (1 − e^(−x_i)),
    x_i = −ρ ln(1 − p_i)."""
    p = np.asarray(p, dtype=float)
    w = np.asarray(w, dtype=float) / np.sum(w)
    x = -np.asarray(rho, dtype=float)[..., None] * np.log1p(-p)
    num = np.sum(w * x * np.exp(-x), axis=-1)
    den = np.sum(w * -np.expm1(-x), axis=-1)
    return num / den


@cache
def mixture_bound_proof(n_components: int = 3) -> dict[str, bool]:
    """SymPy argument that the coverage of *any* mixture of pass@k curves has elasticity < 1.

    With x_i = −ρ ln(1 − p_i) > 0 and weights w_i > 0, coverage is A = Σ w_i (1 − e^(−x_i)) and
    ρA' = Σ w_i x_i e^(−x_i). Checks:

    * ``component_gap``: x e^(−x) − (1 − e^(−x)) = −e^(−x)·(eˣ − 1 − x) for one component;
    * ``series``: eˣ − 1 − x = Σ_{n≥2} xⁿ/n!, positive for x > 0 (so every component gap is < 0);
    * ``sum_gap``: for ``n_components`` symbolic components, ρA' − A = −Σ w_i e^(−x_i)(e^(x_i) − 1 − x_i),
      a sum of negative terms: ρA' < A, i.e. η_A < 1 (the count of components plays no role: the
      identity is term by term, so it holds for any finite or continuous mixture);
    * ``weighted_average``: η_A = Σ (w_i a_i) η_i / Σ w_i a_i with a_i = 1 − e^(−x_i) and
      η_i = x_i/(e^(x_i) − 1): the mixture elasticity is an average of the components' elasticities;
    * ``derivative``: ρ dA/dρ computed from A(ρ) = Σ w_i(1 − (1 − p_i)^ρ) equals Σ w_i x_i e^(−x_i).
    """
    n = sp.symbols("n", integer=True, nonnegative=True)
    xs = sp.symbols(f"x1:{n_components + 1}", positive=True)
    ws = sp.symbols(f"w1:{n_components + 1}", positive=True)
    ps = sp.symbols(f"p1:{n_components + 1}", positive=True)
    one = x_ * sp.exp(-x_) - (1 - sp.exp(-x_))
    series = sp.Sum(x_**n / sp.factorial(n), (n, 2, sp.oo)).doit()
    A = sum(w * (1 - sp.exp(-x)) for w, x in zip(ws, xs))
    rA = sum(w * x * sp.exp(-x) for w, x in zip(ws, xs))
    sum_gap = (
        sp.simplify((rA - A) + sum(w * sp.exp(-x) * (sp.exp(x) - 1 - x) for w, x in zip(ws, xs)))
        == 0
    )
    a_i = [1 - sp.exp(-x) for x in xs]
    eta_i = [x / (sp.exp(x) - 1) for x in xs]
    avg = sum(w * a * e for w, a, e in zip(ws, a_i, eta_i)) / sum(w * a for w, a in zip(ws, a_i))
    weighted = sp.simplify(avg - rA / A) == 0
    A_rho = sum(w * (1 - (1 - pp) ** r) for w, pp in zip(ws, ps))
    deriv = sp.diff(A_rho, r) * r
    target = sum(w * (-r * sp.log(1 - pp)) * (1 - pp) ** r for w, pp in zip(ws, ps))
    return {
        "component_gap": sp.simplify(one + sp.exp(-x_) * (sp.exp(x_) - 1 - x_)) == 0,
        "series": sp.simplify(series - (sp.exp(x_) - 1 - x_)) == 0,
        "terms_positive": bool((x_**n / sp.factorial(n)).is_positive),
        "sum_gap": bool(sum_gap),
        "weighted_average": bool(weighted),
        "derivative": sp.simplify(deriv - target) == 0,
    }


TWO_POINT_COLUMNS = (
    "arc_eta",
    "logistic_a",
    "logistic_b",
    "logistic_eta0",
    "exppower_a",
    "exppower_b",
    "exppower_eta0",
)


def two_point_fits(rho0, rho1, alpha0, alpha1) -> dict[str, np.ndarray]:
    """Through each pair of operating points (ρ0, α0), (ρ1, α1) (arrays broadcast): the arc
    elasticity, and the logistic and exponentiated-power forms fitted exactly through both points
    (:func:`fit_logistic`, :func:`fit_exppower`) with their local elasticities at ρ0.

    Keys are :data:`TWO_POINT_COLUMNS`; each value has the broadcast shape of the inputs.
    """
    r0, r1, a0, a1 = np.broadcast_arrays(
        *(np.asarray(v, dtype=float) for v in (rho0, rho1, alpha0, alpha1))
    )
    out = {k: np.empty(r0.shape) for k in TWO_POINT_COLUMNS}
    for i in np.ndindex(r0.shape):
        la, lb = fit_logistic([r0[i], r1[i]], [a0[i], a1[i]])
        ea, eb = fit_exppower([r0[i], r1[i]], [a0[i], a1[i]])
        out["logistic_a"][i], out["logistic_b"][i] = la, lb
        out["exppower_a"][i], out["exppower_b"][i] = ea, eb
        out["logistic_eta0"][i] = eta_logistic(r0[i], la, lb)
        out["exppower_eta0"][i] = eta_exppower(r0[i], ea, eb)
    out["arc_eta"] = np.asarray(arc_elasticity(a0, a1, r0, r1), dtype=float)
    return out


PASSK_RATES = (0.0002, 0.01, 0.1, 0.5, 0.95)


def elasticity_curves(rho, fits: pd.DataFrame, passk=PASSK_RATES) -> pd.DataFrame:
    """η_α^ρ along ``rho`` as a long table (columns ``rho``, ``eta``, ``curve``, ``form``).

    One pass@k curve per success rate in ``passk``, and for each row of ``fits`` (columns of
    :func:`two_point_fits` plus a ``label``) its logistic and exponentiated-power forms.
    """
    rho = np.asarray(rho, dtype=float)
    frames = [
        pd.DataFrame({"rho": rho, "eta": eta_passk(rho, p), "curve": f"pass@k, p = {p:g}"}).assign(
            form="pass@k"
        )
        for p in passk
    ]
    for r in fits.itertuples(index=False):
        for form, eta, a, b in (
            ("logistic", eta_logistic, r.logistic_a, r.logistic_b),
            ("exp-power", eta_exppower, r.exppower_a, r.exppower_b),
        ):
            curve = f"{form}: {r.label}"
            frames.append(pd.DataFrame({"rho": rho, "eta": eta(rho, a, b), "curve": curve}))
            frames[-1]["form"] = form
    return pd.concat(frames, ignore_index=True)
