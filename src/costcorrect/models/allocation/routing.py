"""The routing premium: when does conditioning compute on a noisy difficulty signal pay?

Research Paper #3 of the series (Bhardwaj, *The Routing Premium*, May 2026) states that, under the
Cost-correct decomposition, routing inference compute on a difficulty estimate lowers cost per correct
answer iff ``κ·Δ > γ`` at the margin around the unconditional optimum (κ: classifier calibration,
Δ: workload heterogeneity in compute, γ: classifier overhead). The paper's model is not public; this
module holds the book's reconstruction (see the chapter ``notebooks/routing-premium.md``):

* :func:`margin_model` — a two-type difficulty mixture with a class-conditional noisy classifier,
  expanded to first order around the unconditional optimum (SymPy);
* :func:`allocation_rule` — the discrete "cheap path / full path with verifier fallback" rule of
  which the five published patterns are instances (SymPy);
* numeric helpers for the safety ratio S = κΔ/γ, its elasticities and the disclosure error that
  flips the verdict; the speculative-decoding mapping of Leviathan et al. (2023).

The symbols κ, Δ, γ, S are those of :mod:`costcorrect.models.allocation.thresholds`, which also holds the one
composition of the routing and channel thresholds (``derive_routed_threshold``, ``routing_factor``).

Numeric helpers accept floats or NumPy arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
import sympy as sp

from costcorrect.models.allocation import thresholds as _thr
from costcorrect.models.allocation.thresholds import (
    Delta,
    S,
    gamma,
    kappa,
)  # the one set of threshold symbols

SYMBOLS = {"kappa": kappa, "Delta": Delta, "gamma": gamma}

ASSUMPTIONS = (
    (
        "A1",
        "Cost is proportional to compute: CPM·R·(1+ρ̄) per query scales with the compute c a query receives "
        "(fixed price per unit of compute; no batching or load effects).",
    ),
    (
        "A2",
        "Two difficulty types, 'hard' (share π) and 'easy' (1−π); each has a differentiable accept curve "
        "a_H(c), a_E(c) (the covariance form of the result holds for any finite mixture).",
    ),
    (
        "A3",
        "The classifier's noise is class-conditional: it says 'hard' with probability s on hard "
        "and f on easy queries, independently of anything else about the query.",
    ),
    (
        "A4",
        "The baseline is the unconditional optimum c*: every query gets c*, chosen to minimise Cost-correct, "
        "so the elasticity of the mean accept rate in compute is 1 at c* (interior optimum).",
    ),
    (
        "A5",
        "The routing tilt t and the overhead γ are small: the premium is kept to first order in (t, γ).",
    ),
    ("A6", "The overhead γ is a fixed fraction of baseline compute, paid on every routed query."),
    (
        "A7",
        "'Hard' is the type with the higher marginal return to compute, m_H = c*·a_H'(c*) > m_E; routing "
        "tilts compute towards the label 'hard'.",
    ),
)
"""The assumptions the margin theorem needs, as (tag, statement) pairs."""


# ---------------------------------------------------------------------------------------------
# The condition and its elasticity reading
# ---------------------------------------------------------------------------------------------


def premium(k, d, g):
    """Routing premium (relative Cost-correct reduction vs fixed compute): κ·Δ − γ."""
    return k * d - g


def safety_ratio(k, d, g):
    """Safety ratio S = κΔ/γ; the routing premium is positive iff S > 1."""
    return k * d / g


def premium_expr() -> sp.Expr:
    """Symbolic premium κΔ − γ."""
    return kappa * Delta - gamma


def premium_elasticities() -> dict[str, sp.Expr]:
    """Elasticities ∂ln P/∂ln x of the premium in κ, Δ and γ, written in S = κΔ/γ."""
    P = premium_expr()
    out = {}
    for name, x in SYMBOLS.items():
        e = sp.simplify(sp.diff(P, x) * x / P)
        out[name] = sp.simplify(e.subs(kappa, S * gamma / Delta))
    return out


def elasticity_kappa(s_ratio):
    """Elasticity of the premium in κ (or Δ): S/(S−1); it diverges as S → 1."""
    return s_ratio / (s_ratio - 1)


def elasticity_gamma(s_ratio):
    """Elasticity of the premium in γ: −1/(S−1)."""
    return -1 / (s_ratio - 1)


@cache
def critical_error_expr() -> sp.Expr:
    """Smallest common relative disclosure error ε that flips the verdict (SymPy root).

    κ and Δ overstated by ε each, γ understated by ε: the true premium is ≤ 0 iff
    (1−ε)²·S ≤ 1+ε. Returns the root in (0, 1) for S > 1.
    """
    e = sp.symbols("epsilon", positive=True)
    roots = sp.solve(sp.Eq((1 - e) ** 2 * S, 1 + e), e)
    # the root that goes to 0 as S -> 1 is the one with the minus sign
    root = [r for r in roots if sp.limit(r, S, 1) == 0]
    return sp.simplify(root[0])


def critical_error(s_ratio):
    """ε* = (2S + 1 − √(8S + 1)) / (2S): common relative error on κ, Δ, γ that flips S > 1 to S ≤ 1."""
    s_ratio = np.asarray(s_ratio, dtype=float)
    return (2 * s_ratio + 1 - np.sqrt(8 * s_ratio + 1)) / (2 * s_ratio)


def flip_factor(s_ratio):
    """Multiplicative understatement of γ alone (or overstatement of κΔ alone) that flips the verdict: S."""
    return s_ratio


# ---------------------------------------------------------------------------------------------
# The margin model (the theorem, reconstructed)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MarginModel:
    """Symbols and expressions of the two-type margin model (see :func:`margin_model`)."""

    symbols: dict
    premium_exact: (
        sp.Expr
    )  # 1 − Cost-correct(routed)/Cost-correct(baseline), with linearised accept curves
    premium_first_order: sp.Expr  # first order in (t, γ), before imposing the optimum
    premium_at_optimum: sp.Expr  # first order, at the unconditional optimum
    kappa: sp.Expr
    Delta: sp.Expr
    optimum_condition: sp.Eq


@cache
def margin_model() -> MarginModel:
    """Derive the routing premium at the margin around the unconditional optimum.

    Queries are hard (share π) or easy. A classifier labels a query hard with probability s (hard) or
    f (easy); q = πs + (1−π)f is the share labelled hard. Compute per query is
    c = c*·(1 + t·(L − q) + b·t) for label L ∈ {0, 1}: a budget-neutral tilt t towards the hard label
    plus an arbitrary level shift b·t. Accept curves are linearised around c*:
    a_i(c*(1+δ)) = A_i + m_i·δ (+O(δ²)), with m_i = c*·a_i'(c*). Overhead γ·c* is paid per query.
    A bookkeeping scale ε multiplies t and γ; the first-order term in ε is the marginal premium.
    """
    pi, sH, fE, t, b, eps = sp.symbols("pi s f t b epsilon", positive=True)
    g = gamma
    A_H, A_E, m_H, m_E = sp.symbols("A_H A_E m_H m_E", positive=True)
    q = pi * sH + (1 - pi) * fE

    def delta(label):
        return eps * t * (label - q) + eps * b * t

    def acc(A, m, label):
        return A + m * delta(label)

    a_bar = pi * (sH * acc(A_H, m_H, 1) + (1 - sH) * acc(A_H, m_H, 0)) + (1 - pi) * (
        fE * acc(A_E, m_E, 1) + (1 - fE) * acc(A_E, m_E, 0)
    )
    a_bar0 = a_bar.subs(eps, 0)
    cost_ratio = 1 + eps * b * t + eps * g  # mean compute (incl. overhead) relative to c*
    exact = 1 - cost_ratio * a_bar0 / a_bar
    # first-order term in the bookkeeping scale: exact(0) = 0, so the premium is eps * d(exact)/d(eps) at 0
    first = sp.cancel(sp.diff(exact, eps).subs(eps, 0))
    # unconditional optimum: d/dc [c / a_bar(c)] = 0  <=>  mean accept = mean marginal return (elasticity 1)
    m_bar = pi * m_H + (1 - pi) * m_E
    optimum = sp.Eq(sp.simplify(a_bar0), m_bar)
    A_E_opt = sp.solve(optimum, A_E)[0]
    at_opt = sp.factor(sp.cancel(first.subs(A_E, A_E_opt)))
    k = sH - fE
    d = t * pi * (1 - pi) * (m_H - m_E) / m_bar
    syms = {
        "pi": pi,
        "s": sH,
        "f": fE,
        "t": t,
        "b": b,
        "gamma": g,
        "A_H": A_H,
        "A_E": A_E,
        "m_H": m_H,
        "m_E": m_E,
        "epsilon": eps,
    }
    return MarginModel(syms, exact, first, at_opt, k, d, optimum)


# ---------------------------------------------------------------------------------------------
# The one allocation rule (discrete form used for calibration)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AllocationRule:
    """Symbols and expressions of the cheap-path / full-path rule (see :func:`allocation_rule`)."""

    symbols: dict
    cost_ratio: sp.Expr  # routed compute per unit / fixed-compute baseline
    premium: sp.Expr  # 1 − cost_ratio
    kappa: sp.Expr  # realised share of the oracle saving, net of misroute waste
    Delta: sp.Expr  # oracle saving: heterogeneity of compute need


@cache
def allocation_rule() -> AllocationRule:
    """The allocation rule behind all five patterns, with verifier fallback.

    A unit of work (a token, a layer block, a query, a sample) is easy with probability e: a cheap path
    costing λ (fraction of the full path) already yields an accepted output. The fixed baseline runs the
    full path on every unit. The router sends a unit to the cheap path when its signal says easy: with
    probability s on easy and f on hard units. A hard unit sent down the cheap path is caught by the
    verifier and re-run on the full path (cost λ + 1). Overhead γ per unit. α is unchanged (the verifier
    gates quality), so Cost-correct moves with compute alone.
    """
    e, s_, f_, lam = sp.symbols("e s f lambda_c", positive=True)
    g = gamma
    cost = e * (s_ * lam + (1 - s_) * 1) + (1 - e) * (f_ * (lam + 1) + (1 - f_) * 1) + g
    prem = sp.expand(1 - cost)
    d = e * (1 - lam)
    k = s_ - f_ * (1 - e) * lam / (e * (1 - lam))
    return AllocationRule({"e": e, "s": s_, "f": f_, "lambda": lam, "gamma": g}, cost, prem, k, d)


def allocation_premium(e, s, f, lam, g):
    """Numeric premium of :func:`allocation_rule`: e·s·(1−λ) − (1−e)·f·λ − γ."""
    return e * s * (1 - lam) - (1 - e) * f * lam - g


# ---------------------------------------------------------------------------------------------
# Mappings from published numbers
# ---------------------------------------------------------------------------------------------


def spec_expected_tokens(a, n_draft):
    """Expected tokens per speculative-decoding iteration, (1 − α^{γ+1})/(1 − α)
    (Leviathan et al. 2023, Eq. 1).

    ``a`` is the token acceptance rate (Leviathan's α) and ``n_draft`` the draft length (their γ).
    """
    a = np.asarray(a, dtype=float)
    return (1 - a ** (n_draft + 1)) / (1 - a)


def spec_improvement(a, n_draft, c):
    """Expected walltime improvement factor E/(γc + 1) (Leviathan et al. 2023, Theorem 3.8)."""
    return spec_expected_tokens(a, n_draft) / (n_draft * c + 1)


def spec_break_even() -> dict[str, object]:
    """The break-even of speculative decoding implied by Leviathan et al.'s Theorem 3.8.

    With acceptance rate ``a`` in (0, 1), cost coefficient ``c`` > 0 and draft length ``n`` >= 1, the
    improvement factor is ``(1 - a**(n+1)) / ((1 - a)(n c + 1))``. SymPy checks that

    * at ``n = 1`` the factor minus 1 is ``(a - c)/(1 + c)`` (so ``a > c`` gives an improvement), and
    * for every ``n`` the factor's numerator minus denominator is ``sum_{i=1..n} (a**i - c)``, each term
      at most ``a - c`` because ``a**i <= a`` (so ``a <= c`` gives none at any draft length).

    Together: an improvement exists for some draft length iff ``a > c``. Returns the two identities
    (``verified`` True when both hold) and the n = 1 gap.
    """
    a, c = sp.symbols("a c", positive=True)
    n, i = sp.symbols("n i", integer=True, positive=True)
    gap_1 = sp.simplify((1 - a**2) / ((1 - a) * (c + 1)) - 1)  # Theorem 3.8 at n = 1
    first = sp.simplify(gap_1 - (a - c) / (1 + c)) == 0
    geometric = sp.summation(a**i, (i, 1, n))  # Piecewise: n at a = 1, else (a - a**(n+1))/(1 - a)
    branch = next(expr for expr, cond in geometric.args if cond is sp.true)  # the a != 1 branch
    tokens = (1 - a ** (n + 1)) / (1 - a)  # Theorem 3.8's expected tokens per iteration, a != 1
    closed = sp.simplify(1 + branch - tokens) == 0
    every_n = sp.simplify(tokens - (n * c + 1) - (branch - n * c)) == 0
    return {
        "gap_n1": gap_1,
        "n1": bool(first),
        "every_n": bool(closed and every_n),
        "verified": bool(first and closed and every_n),
    }


def spec_kappa_delta(a, n_draft):
    """κΔ of speculative decoding: the share of serial target calls avoided, 1 − 1/E."""
    return 1 - 1 / spec_expected_tokens(a, n_draft)


def spec_overhead(a, n_draft, c):
    """γ of speculative decoding in walltime units: draft cost per emitted token, γc/E."""
    return n_draft * c / spec_expected_tokens(a, n_draft)


def spec_flop_overhead(a, n_draft, c_hat):
    """γ on an arithmetic-operations (FLOP) basis: (γĉ + γ)/E — draft FLOPs plus the γ extra target
    positions verified per iteration (Leviathan et al. 2023, Theorem 3.11's numerator)."""
    return (n_draft * c_hat + n_draft) / spec_expected_tokens(a, n_draft)


def overhead_cap(speedup):
    """Largest overhead consistent with a reported net cost reduction factor F: γ ≤ 1/F.

    The overhead is part of the routed cost 1 − κΔ + γ = 1/F, and κΔ ≤ 1 (an oracle cannot save more
    than the whole baseline), so γ = κΔ − (1 − 1/F) ≤ 1/F.
    """
    return 1 / np.asarray(speedup, dtype=float)


def safety_floor_expr() -> dict[str, sp.Expr]:
    """S − F for a system reporting a net cost reduction factor F with overhead γ (SymPy).

    With κΔ = 1 − 1/F + γ, S − F = (F − 1)(1 − γF)/(γF): non-negative whenever γ ≤ 1/F, so a
    reported factor F is a floor on the safety ratio.
    """
    F = sp.symbols("F", positive=True)
    s_ratio = (1 - 1 / F + gamma) / gamma
    return {"F": F, "S": s_ratio, "S_minus_F": sp.factor(sp.simplify(s_ratio - F))}


def kappa_delta_from_speedup(speedup, g):
    """κΔ implied by a measured cost (or walltime) reduction factor and an overhead γ: 1 − 1/speedup + γ."""
    return 1 - 1 / np.asarray(speedup, dtype=float) + g


def premium_from_speedup(speedup):
    """Net premium implied by a cost reduction factor: 1 − 1/speedup."""
    return 1 - 1 / np.asarray(speedup, dtype=float)


# ---------------------------------------------------------------------------------------------
# Numerical check of the margin theorem (exact premium in a concrete two-type world)
# ---------------------------------------------------------------------------------------------


def logistic_accept(c, c50, h):
    """Accept curve logistic in log-compute: a(c) = 1/(1 + (c50/c)^h); S-shaped for h > 1."""
    c = np.asarray(c, dtype=float)
    return 1.0 / (1.0 + (c50 / c) ** h)


def unconditional_optimum(pi, c50_h, h_h, c50_e, h_e, grid: int = 1201):
    """c* minimising c/ā(c) for the mixture ā = π a_H + (1−π) a_E (vectorised over parameter arrays).

    Grid search on log c over [1e-3, 1e3]·max(c50) followed by one parabolic refinement.
    """
    pi, c50_h, h_h, c50_e, h_e = (
        np.asarray(v, dtype=float)[..., None] for v in (pi, c50_h, h_h, c50_e, h_e)
    )
    scale = np.maximum(c50_h, c50_e)
    x = np.linspace(np.log(1e-2), np.log(1e2), grid)
    c = scale * np.exp(x)
    obj = np.log(c) - np.log(
        pi * logistic_accept(c, c50_h, h_h) + (1 - pi) * logistic_accept(c, c50_e, h_e)
    )
    i = np.clip(np.argmin(obj, axis=-1), 1, grid - 2)
    take = lambda a, j: np.take_along_axis(a, j[..., None], axis=-1)[..., 0]  # noqa: E731
    y0, y1, y2 = take(obj, i - 1), take(obj, i), take(obj, i + 1)
    dx = x[1] - x[0]
    denom = y0 - 2 * y1 + y2
    shift = np.where(denom > 0, 0.5 * (y0 - y2) / np.where(denom > 0, denom, 1.0), 0.0)
    return scale[..., 0] * np.exp(x[i] + shift * dx)


def exact_margin_premium(pi, s, f, t, g, c50_h, h_h, c50_e, h_e, b: float = 0.0):
    """Exact routing premium 1 − C_routed/C_fixed in the two-type logistic world, around c*.

    Returns ``(premium, kappa_delta)`` where ``kappa_delta`` is the first-order κΔ of
    :func:`margin_model` evaluated with m_i = c*·a_i'(c*) = h_i·a_i·(1 − a_i).
    """
    cs = unconditional_optimum(pi, c50_h, h_h, c50_e, h_e)
    q = pi * s + (1 - pi) * f

    def a_bar(tt):
        def acc(c50, h, label):
            return logistic_accept(cs * (1 + tt * (label - q) + b * tt), c50, h)

        return pi * (s * acc(c50_h, h_h, 1) + (1 - s) * acc(c50_h, h_h, 0)) + (1 - pi) * (
            f * acc(c50_e, h_e, 1) + (1 - f) * acc(c50_e, h_e, 0)
        )

    prem = 1 - (1 + b * t + g) * a_bar(0.0) / a_bar(t)
    aH, aE = logistic_accept(cs, c50_h, h_h), logistic_accept(cs, c50_e, h_e)
    mH, mE = h_h * aH * (1 - aH), h_e * aE * (1 - aE)
    m_bar = pi * mH + (1 - pi) * mE
    kd = (s - f) * t * pi * (1 - pi) * (mH - mE) / m_bar
    return prem, kd


def random_worlds(seed: int, n_worlds: int) -> dict:
    """Random two-type worlds for the numerical check of the margin theorem (logistic accept curves).

    Returns the keyword arguments of :func:`exact_margin_premium` (except t, g) plus ``overhead_share``
    (the overhead as a multiple, 0–2, of ``|κΔ|`` at γ = 0)."""
    rng = np.random.default_rng(seed)
    world = dict(
        pi=rng.uniform(0.1, 0.9, n_worlds),
        s=rng.uniform(0.5, 1.0, n_worlds),
        f=rng.uniform(0.0, 0.5, n_worlds),
        c50_h=rng.uniform(2, 10, n_worlds),
        h_h=rng.uniform(1.5, 4, n_worlds),
        c50_e=rng.uniform(0.2, 2, n_worlds),
        h_e=rng.uniform(1.5, 4, n_worlds),
    )
    world["overhead_share"] = rng.uniform(0, 2, n_worlds)
    return world


def sign_agreement(seed: int, n_worlds: int, tilt: float, band: float) -> dict[str, float]:
    """Share of random worlds in which the exact premium's sign agrees with κΔ > γ.

    ``outside``: among worlds with ``|κΔ/γ − 1|`` > ``band`` (outside the second-order zone around the
    boundary); ``all``: every world; ``n_outside``: how many worlds are outside the band."""
    w = random_worlds(seed, n_worlds)
    share = w.pop("overhead_share")
    _, kd0 = exact_margin_premium(t=tilt, g=0.0, **w)
    gam = np.abs(kd0) * share
    prem, kd = exact_margin_premium(t=tilt, g=gam, **w)
    outside = np.abs(kd / gam - 1) > band
    agree = (prem > 0) == (kd > gam)
    return {
        "outside": float(agree[outside].mean()),
        "all": float(agree.mean()),
        "n_outside": int(outside.sum()),
        "k_outside": int(agree[outside].sum()),
    }


def wilson_interval(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson score interval for a binomial share k/n (95% by default)."""
    if n <= 0:
        raise ValueError("n must be positive")
    ph = k / n
    den = 1 + z * z / n
    centre = (ph + z * z / (2 * n)) / den
    half = z * np.sqrt(ph * (1 - ph) / n + z * z / (4 * n * n)) / den
    return float(max(0.0, centre - half)), float(min(1.0, centre + half))


# --------------------------------------------------------------------------------------------
# the chapter's calibration tables
# --------------------------------------------------------------------------------------------

PATTERNS = pd.DataFrame(
    [
        (
            "speculative decoding",
            "token",
            "draft model's token (or Medusa head)",
            "target verifies the draft in parallel; first rejection resamples",
            "draft compute per emitted token",
        ),
        (
            "early exit",
            "token × layers",
            "exit at an intermediate layer",
            "confidence below threshold: continue to deeper layers",
            "confidence measure, state propagation",
        ),
        (
            "cascade routing",
            "query",
            "cheapest LLM's answer",
            "scorer rejects: escalate to the next LLM",
            "scoring model per query",
        ),
        (
            "adaptive self-consistency",
            "sample",
            "stop sampling early",
            "votes not yet concentrated: draw more samples",
            "stopping test",
        ),
        (
            "complexity-aware exploration",
            "query",
            "small search budget",
            "estimated hard: wide search / more rollouts",
            "difficulty estimate",
        ),
    ],
    columns=["pattern", "unit routed", "cheap path", "verifier fallback", "overhead γ"],
)
"""The five patterns as slots of the one cheap-path-with-fallback rule (:func:`allocation_rule`)."""


def leviathan_table(lev: pd.DataFrame) -> pd.DataFrame:
    """Leviathan et al.'s Table 4 with Theorem 3.8 recomputed, the mapping to κΔ and γ (walltime
    basis), the safety ratio, the premium of the measured improvement, and the premium per
    arithmetic operation with free drafts (every drafted position also runs through the target)."""
    a, n, c = lev["acceptance_rate"], lev["draft_length"], lev["cost_coefficient"]
    out = lev.copy()
    out["E_tokens"] = spec_expected_tokens(a, n)
    out["exp_recomputed"] = spec_improvement(a, n, c)
    out["kappa_delta"] = spec_kappa_delta(a, n)
    out["gamma"] = spec_overhead(a, n, c)
    out["S"] = out["kappa_delta"] / out["gamma"]
    out["premium_measured"] = premium_from_speedup(lev["improvement_empirical"])
    out["gamma_flop"] = spec_flop_overhead(a, n, 0.0)
    out["premium_flop"] = out["kappa_delta"] - out["gamma_flop"]
    out["config"] = (
        lev["task"] + " / " + lev["draft_model"] + " / T=" + lev["temperature"].astype(str)
    )
    return out


def flop_premium(lev: pd.DataFrame, draft_flop_ratio: float) -> float:
    """Largest premium over the Table 4 configurations priced per arithmetic operation, drafts
    costing ``draft_flop_ratio`` of a target token (``lev`` from :func:`leviathan_table`)."""
    g = spec_flop_overhead(lev["acceptance_rate"], lev["draft_length"], draft_flop_ratio)
    return float((lev["kappa_delta"] - g).max())


def calibrate_systems(
    systems: pd.DataFrame, over: pd.DataFrame, lev: pd.DataFrame, modest_error: float
) -> pd.DataFrame:
    """Each system's κΔ, γ and safety ratio with their ranges, elasticities and critical errors.

    Speculative decoding (``leviathan``) comes from Table 4 (``lev`` from :func:`leviathan_table`;
    point: EnDe, T5-small, argmax). For the others a published cost-reduction factor ``F`` gives
    the net premium ``1 − 1/F = κΔ − γ``; the overhead is bracketed by ``over`` (capped at ``1/F``,
    :func:`overhead_cap`) and its geometric middle is the point. ``S_floor`` is the reported
    factor at its low end (``S >= F``)."""
    rows = []
    head = lev[(lev.task == "EnDe") & (lev.draft_model == "T5-small") & (lev.temperature == 0)]
    head = head.iloc[0]
    for name, sysrow in systems.iterrows():
        if name == "leviathan":
            kd_pt, g_pt = head.kappa_delta, head.gamma
            kd_lo, kd_hi = lev.kappa_delta.min(), lev.kappa_delta.max()
            g_lo, g_hi = lev.gamma.min(), lev.gamma.max()
            s_lo, s_hi = lev.S.min(), lev.S.max()
            p_pt = kd_pt - g_pt
            s_floor = float(lev.improvement_expected.min())
        else:
            f_pt = sysrow.factor_point
            f_lo = sysrow.factor_low if pd.notna(sysrow.factor_low) else f_pt
            f_hi = sysrow.factor_high if pd.notna(sysrow.factor_high) else f_pt
            g_lo = over.loc[name, "gamma_low"]
            g_hi = min(over.loc[name, "gamma_high"], float(overhead_cap(f_lo)))  # gamma <= 1/F
            g_pt = float(np.sqrt(g_lo * g_hi))
            p_pt, p_lo, p_hi = (float(premium_from_speedup(x)) for x in (f_pt, f_lo, f_hi))
            kd_pt, kd_lo, kd_hi = p_pt + g_pt, p_lo + g_lo, p_hi + g_hi
            s_lo, s_hi = (p_lo + g_hi) / g_hi, (p_hi + g_lo) / g_lo
            s_floor = f_lo
        rows.append(
            {
                "system": name,
                "pattern": sysrow.pattern,
                "substitute": bool(sysrow.substitute),
                "S_floor": s_floor,
                "gamma basis": over.loc[name, "basis"],
                "premium": p_pt,
                "kappa_delta": kd_pt,
                "kd_lo": kd_lo,
                "kd_hi": kd_hi,
                "gamma": g_pt,
                "g_lo": g_lo,
                "g_hi": g_hi,
                "S": kd_pt / g_pt,
                "S_low": s_lo,
                "S_high": s_hi,
            }
        )
    cal = pd.DataFrame(rows).set_index("system")
    cal["elasticity_kappa"] = elasticity_kappa(cal.S)
    cal["elasticity_kappa_worst"] = elasticity_kappa(cal.S_low)
    cal["eps_star"] = critical_error(cal.S)
    cal["eps_star_worst"] = critical_error(cal.S_low)
    cal["gamma_flip_factor"] = flip_factor(cal.S)
    cal["flips_at_modest_error"] = cal.eps_star_worst <= modest_error
    return cal


def deployment_table(
    eta_rho: float, eta_T: float, dollar_ratio: float, kappa_delta: float, gamma_: float
) -> pd.DataFrame:
    """Channel factor, routing factor, their product and the critical dollar ratio (unrouted and
    routed) of a deployment whose rollouts are routed at ``(κΔ, γ)``, under each reading of
    :data:`costcorrect.models.allocation.thresholds.READINGS`."""
    rows = []
    for reading in _thr.READINGS:
        rows.append(
            {
                "reading": reading,
                "channel factor Φ_c": float(
                    _thr.channel_factor(eta_rho, eta_T, dollar_ratio, reading=reading)
                ),
                "routing factor Φ_r": float(
                    _thr.routing_factor(kappa_delta, gamma_, reading=reading)
                ),
                "Φ_c·Φ_r": float(
                    _thr.composed_factor(
                        eta_rho, eta_T, dollar_ratio, kappa_delta, gamma_, reading=reading
                    )
                ),
                "critical D_inf/D_train, unrouted": float(
                    _thr.critical_dollar_ratio(eta_rho, eta_T)
                ),
                "critical D_inf/D_train, routed": float(
                    _thr.routed_critical_ratio(eta_rho, eta_T, kappa_delta, gamma_, reading=reading)
                ),
            }
        )
    return pd.DataFrame(rows).set_index("reading")


def arc_elasticities(curves: pd.DataFrame) -> pd.DataFrame:
    """Per model: the arc elasticity of accuracy in samples between the first and last point of
    its curve, the level reading's numerator ``η − 1`` and the κΔ the marginal reading would need
    at γ = 0, ``1/η − 1``."""

    def arc(d: pd.DataFrame) -> float:
        d = d.sort_values("samples")
        return float(
            np.log(d.accuracy.iloc[-1] / d.accuracy.iloc[0])
            / np.log(d.samples.iloc[-1] / d.samples.iloc[0])
        )

    eta = pd.Series({m: arc(d) for m, d in curves.groupby("model")}, name="arc elasticity η_ρ")
    out = eta.rename_axis("model").to_frame()
    out["level: numerator η_ρ − 1"] = eta - 1
    out["marginal: κΔ needed at γ = 0"] = 1 / eta - 1
    return out


def plane_points(cal: pd.DataFrame, lev: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The κΔ–γ plane's points: the calibrated systems (with a ``marker``) and the Table 4
    configurations on both cost bases (``basis``)."""
    pts = cal.reset_index()
    pts["marker"] = np.where(pts.substitute, "substitute", "cited system")
    both = [
        pd.DataFrame(
            {"gamma": lev[g], "kappa_delta": lev.kappa_delta, "basis": b, "config": lev.config}
        )
        for g, b in (("gamma", "walltime (Table 4)"), ("gamma_flop", "arithmetic operations"))
    ]
    return pts, pd.concat(both, ignore_index=True)
