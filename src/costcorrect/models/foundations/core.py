"""The Cost-correct algebra, shared by every chapter.

Cost-correct = CPM · R · (1 + ρ̄) / α  (Field Notes #2–#3, Bhardwaj 2026):

* ``CPM`` — blended list price, USD per million tokens, (input + output) / 2;
* ``R`` — reasoning multiplier: billed output tokens ÷ final-answer tokens (1 without reasoning);
* ``ρ̄`` — mean extra rollouts per accepted answer (0 for one sample; N − 1 for best-of-N);
* ``α`` — verifier accept rate at the quality threshold.

Numeric helpers take floats or NumPy arrays; :data:`SYMBOLS` and :func:`cost_correct_expr`
give the SymPy form that chapters derive from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
import sympy as sp

CPM, R, rho, alpha = sp.symbols("CPM R rho_bar alpha", positive=True)
SYMBOLS = {"CPM": CPM, "R": R, "rho_bar": rho, "alpha": alpha}


def cost_correct_expr(
    cpm: sp.Expr = CPM, r: sp.Expr = R, rho_bar: sp.Expr = rho, a: sp.Expr = alpha
) -> sp.Expr:
    """The symbolic Cost-correct expression (any argument may be replaced by an expression)."""
    return cpm * r * (1 + rho_bar) / a


def blended_cpm(price_in: float, price_out: float):
    """Blended CPM as the series defines it: the unweighted mean of input and output list prices."""
    return (price_in + price_out) / 2


def reasoning_multiplier(billed_output_tokens, answer_tokens):
    """R = billed output tokens (chain of thought + answer) ÷ answer-only tokens."""
    return billed_output_tokens / answer_tokens


def rollout_ratio(n_samples):
    """ρ̄ for best-of-N with one accepted answer: N − 1 extra rollouts."""
    return n_samples - 1


def cost_correct(cpm, r, rho_bar, a):
    """Cost-correct in USD per million accepted final-answer tokens."""
    return cpm * r * (1 + rho_bar) / a


def sensitivity(
    reference: Mapping[str, float], spans: Mapping[str, Sequence[float]]
) -> pd.DataFrame:
    """Cost-correct as one term at a time moves over its span, the others held at ``reference``.

    ``reference`` gives ``cpm``, ``r``, ``rho_bar`` and ``a`` (the arguments of :func:`cost_correct`);
    ``spans`` maps some of them to the values to sweep. A frame of term, value, cost_correct (USD per
    million accepted tokens) and relative (over Cost-correct at the reference).
    """
    unknown = set(spans) - set(reference)
    if unknown:
        raise ValueError(f"spans name terms the reference does not give: {sorted(unknown)}")
    base = cost_correct(**reference)
    rows = [
        {
            "term": term,
            "value": float(x),
            "cost_correct": float(cost_correct(**{**reference, term: x})),
        }
        for term, xs in spans.items()
        for x in xs
    ]
    out = pd.DataFrame(rows, columns=["term", "value", "cost_correct"])
    out["relative"] = out["cost_correct"] / base
    return out


def sensitivity_spread(frame: pd.DataFrame) -> pd.Series:
    """How far each term of a :func:`sensitivity` frame moves Cost-correct over its span: the ratio of
    its largest to its smallest value, per term, largest first."""
    spread = frame.groupby("term")["relative"].agg(lambda v: v.max() / v.min())
    return spread.sort_values(ascending=False)


def vcpd(cpm):
    """Verified Capability per Dollar's cost side (Field Notes #1): Cost-correct at R=1, ρ̄=0, α=1."""
    return cost_correct(cpm, 1, 0, 1)


def vcpd_limit() -> sp.Expr:
    """The symbolic limit of Cost-correct as R → 1, ρ̄ → 0, α → 1."""
    c = cost_correct_expr()
    return sp.limit(sp.limit(sp.limit(c, R, 1), rho, 0), alpha, 1)


def elasticities() -> dict[str, sp.Expr]:
    """Elasticity ∂ln C / ∂ln x of Cost-correct in each of its four terms, simplified."""
    c = cost_correct_expr()
    return {name: sp.simplify(sp.diff(c, s) * s / c) for name, s in SYMBOLS.items()}


@dataclass(frozen=True)
class Deployment:
    """One operating point of the decomposition."""

    cpm: float
    r: float = 1.0
    rho_bar: float = 0.0
    alpha: float = 1.0

    @property
    def cost_correct(self) -> float:
        return cost_correct(self.cpm, self.r, self.rho_bar, self.alpha)


def alpha_lift_leverage(a, lift: float = 0.01, cpm_cut: float = 0.01):
    """How many times more a ``lift`` (absolute) rise in α cuts Cost-correct than a ``cpm_cut``
    (relative) cut in CPM.

    Finite-difference form: (lift / (α + lift)) / cpm_cut. Its marginal limit is 1/α (see
    :func:`alpha_leverage_expr`).
    """
    return (lift / (a + lift)) / cpm_cut


def alpha_leverage_expr(lift: sp.Expr | None = None, cpm_cut: sp.Expr | None = None) -> sp.Expr:
    """Symbolic ratio of the relative cost cut from raising α by ``lift`` to that from cutting CPM by
    ``cpm_cut``.

    With no arguments it returns the marginal ratio (lift, cut → 0 at the same rate): 1/α.
    """
    d, c = sp.symbols("delta c", positive=True)
    cost = cost_correct_expr()
    rel_alpha = sp.simplify((cost - cost.subs(alpha, alpha + d)) / cost)
    rel_cpm = sp.simplify((cost - cost.subs(CPM, CPM * (1 - c))) / cost)
    ratio = sp.simplify(rel_alpha / rel_cpm)
    if lift is None and cpm_cut is None:
        return sp.simplify(sp.limit(ratio.subs(c, d), d, 0))
    return sp.simplify(ratio.subs({d: lift, c: cpm_cut}))


ALPHA_STEP_BASES = ("marginal", "one point vs 1%", "equal relative step")
"""Readings of Field Notes #3's comparison "a one-point rise in α against a comparable cut in CPM"."""


def alpha_leverage(a, basis: str = "one point vs 1%", lift: float = 0.01, cpm_cut: float = 0.01):
    """Ratio of the relative Cost-correct cut from an α step to that from a CPM cut, under a reading.

    * ``"marginal"`` — both steps vanish at the same rate: 1/α;
    * ``"one point vs 1%"`` — α rises by ``lift`` (absolute), CPM falls by ``cpm_cut`` (relative):
      :func:`alpha_lift_leverage`;
    * ``"equal relative step"`` — CPM falls by the same relative amount as α rises (``lift/α``):
      α/(α + lift), below 1 (the elasticities of α and CPM are equal in size).
    """
    if basis == "marginal":
        return 1 / a
    if basis == "one point vs 1%":
        return alpha_lift_leverage(a, lift, cpm_cut)
    if basis == "equal relative step":
        return (lift / (a + lift)) / (lift / a)
    raise ValueError(f"basis must be one of {ALPHA_STEP_BASES}, not {basis!r}")


def alpha_leverage_span(
    alpha_lo: float,
    alpha_hi: float,
    basis: str = "one point vs 1%",
    lift: float = 0.01,
    cpm_cut: float = 0.01,
) -> list[float]:
    """[min, max] of :func:`alpha_leverage` over α in [alpha_lo, alpha_hi] (monotone in α, so the ends)."""
    ends = [float(alpha_leverage(x, basis, lift, cpm_cut)) for x in (alpha_lo, alpha_hi)]
    return sorted(ends)


def most_extreme(values, lo: float, hi: float) -> float:
    """The value farthest from the middle of [lo, hi] (in the range iff all values are)."""
    mid = (lo + hi) / 2
    vals = [float(v) for v in values]
    return max(vals, key=lambda v: abs(v - mid))
