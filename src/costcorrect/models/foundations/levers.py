"""Multiplicative lever decomposition of the price of a token at fixed quality.

Reconstruction of Field Notes #1's decomposition (the note's own symbols are not public): the
price ratio between two dates at a fixed quality bar is the reciprocal of a product of efficiency
factors, each ≥ 1 when the lever helps,

    CPM(t0) / CPM(t1) = F_q · F_rt · F_dec · F_hw · F_arch  ( · F_fleet ),

quantization, runtime, decoding-time parallelism, hardware tokens per dollar, model architecture,
and — for the Coral chapter — fleet-level procurement. In logs the factors add, which is what makes
a waterfall chart and a budget of "how much of the fall each lever explains" meaningful.

Used by the chapters *The Inference Stack in 2026* and *The Heterogeneous-GPU Margin: Coral*.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import pandas as pd
import sympy as sp

STACK_LEVERS = ("quantization", "runtime", "decoding", "hardware")
"""The four stack levers of Field Notes #1, in the order the chapters display them."""

F_q, F_rt, F_dec, F_hw, F_arch, F_fleet = sp.symbols(
    "F_q F_rt F_dec F_hw F_arch F_fleet", positive=True
)
F_stack, F_total = sp.symbols("F_stack F_total", positive=True)
LEVER_SYMBOLS = {
    "quantization": F_q,
    "runtime": F_rt,
    "decoding": F_dec,
    "hardware": F_hw,
    "architecture": F_arch,
    "fleet": F_fleet,
}


def stack_product(levers: Iterable[str] = STACK_LEVERS) -> sp.Expr:
    """The product of the named levers' symbols (default: the four stack levers)."""
    return sp.Mul(*[LEVER_SYMBOLS[name] for name in levers])


def compression_expr(with_fleet: bool = False) -> sp.Expr:
    """Total compression factor CPM(t0)/CPM(t1) as the product of all levers."""
    names = [*STACK_LEVERS, "architecture"] + (["fleet"] if with_fleet else [])
    return stack_product(names)


def price_ratio_expr(with_fleet: bool = False) -> sp.Expr:
    """CPM(t1)/CPM(t0) at fixed quality: the reciprocal of :func:`compression_expr`."""
    return 1 / compression_expr(with_fleet)


def solve_stack_factor(total: sp.Expr = F_total, arch: sp.Expr = F_arch) -> sp.Expr:
    """Solve F_total = F_stack · F_arch for F_stack (SymPy ``solve``, not typed in)."""
    (sol,) = sp.solve(sp.Eq(total, F_stack * arch), F_stack)
    return sol


def log_additivity(with_fleet: bool = False) -> sp.Expr:
    """ln(product) − Σ ln(factors); simplifies to 0 for positive factors (the waterfall identity)."""
    expr = compression_expr(with_fleet)
    return sp.expand_log(sp.log(expr), force=False) - sum(sp.log(s) for s in expr.args)


def lever_ranges(levers: pd.DataFrame) -> pd.DataFrame:
    """Per lever: the widest range over its source rows (min of lows, max of highs) and the geometric mid.

    ``levers`` has columns ``lever``, ``factor_low``, ``factor_high``.
    """
    g = levers.groupby("lever", sort=False).agg(
        low=("factor_low", "min"), high=("factor_high", "max"), sources=("row_id", "count")
    )
    g["mid"] = (g["low"] * g["high"]) ** 0.5
    order = [name for name in STACK_LEVERS if name in g.index] + [
        n for n in g.index if n not in STACK_LEVERS
    ]
    return g.loc[order]


def product_range(ranges: pd.DataFrame) -> dict[str, float]:
    """Product of the lever ranges: low, geometric mid and high (assumes the levers compound)."""
    return {
        "low": float(ranges["low"].prod()),
        "mid": float(ranges["mid"].prod()),
        "high": float(ranges["high"].prod()),
    }


def waterfall(factors: Mapping[str, float], start: float = 1.0) -> pd.DataFrame:
    """Cumulative waterfall of multiplicative factors on a log scale.

    Each row holds the lever, its factor, and the running price index before and after it is applied
    (``start`` / cumulative product), so the bars can be drawn from ``before`` to ``after``.
    """
    rows, level = [], float(start)
    for name, f in factors.items():
        if f <= 0:
            raise ValueError(f"{name}: a factor must be positive, got {f}")
        after = level / f
        rows.append(
            {
                "lever": name,
                "factor": float(f),
                "before": level,
                "after": after,
                "log10_factor": math.log10(f),
            }
        )
        level = after
    return pd.DataFrame(rows)


def implied_residual(total: float, known: Mapping[str, float]) -> float:
    """The factor left for the remaining levers once ``known`` factors explain part of ``total``."""
    prod = math.prod(known.values())
    if prod <= 0:
        raise ValueError("known factors must be positive")
    return total / prod


def waterfall_to(total: float, factors: Mapping[str, float]) -> pd.DataFrame:
    """:func:`waterfall` of ``factors`` followed by the ``unexplained`` factor that takes the price
    index down to ``1/total`` (:func:`implied_residual`): the lever waterfall of a fall of ``total``."""
    return waterfall({**factors, "unexplained": implied_residual(total, factors)})


def stack_factor_curve(total: float, arch) -> pd.DataFrame:
    """The stack factor a fall of ``total`` demands at each architecture factor of ``arch``:
    :func:`solve_stack_factor` evaluated; a frame of ``F_arch`` and ``F_stack``."""
    import numpy as np

    demand = sp.lambdify(F_arch, solve_stack_factor().subs(F_total, total))
    arch = np.asarray(arch, dtype=float)
    return pd.DataFrame({"F_arch": arch, "F_stack": demand(arch)})


LEVER_POINTS = ("low", "mid", "high")


def product_at(ranges: pd.DataFrame, points: Mapping[str, str]) -> float:
    """Product of the levers, each taken at the named point of its range (``low``, ``mid``, ``high``).

    Levers not named in ``points`` enter at ``mid``. Used to sweep the stack factor over the declared
    lever ranges.
    """
    total = 1.0
    for name in ranges.index:
        point = points.get(name, "mid")
        if point not in LEVER_POINTS:
            raise ValueError(f"{name}: point must be one of {LEVER_POINTS}, not {point!r}")
        total *= float(ranges.loc[name, point])
    return total


def fleet_multipliers(factors: Mapping[str, float]) -> pd.DataFrame:
    """Each fleet factor placed in the decomposition, every other lever held at 1.

    Rows: the names of ``factors``; columns: the fleet factor, the CPM multiplier it gives through
    :func:`price_ratio_expr` (``with_fleet=True``) and the Cost-correct multiplier at R = 1, ρ̄ = 0,
    α = 1 (:func:`costcorrect.models.foundations.core.cost_correct`).
    """
    from costcorrect.models.foundations import core

    ratio = price_ratio_expr(with_fleet=True)
    neutral = {LEVER_SYMBOLS[n]: 1 for n in [*STACK_LEVERS, "architecture"]}
    out = pd.DataFrame({"fleet factor": {k: float(v) for k, v in factors.items()}})
    out["CPM multiplier"] = [
        float(ratio.subs({F_fleet: f, **neutral})) for f in out["fleet factor"]
    ]
    out["Cost-correct multiplier"] = [
        float(core.cost_correct(m, 1, 0, 1)) for m in out["CPM multiplier"]
    ]
    return out
