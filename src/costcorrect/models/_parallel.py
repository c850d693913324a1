"""Evaluate a function over a list of keyword sets, in forked worker processes when asked.

The one process-pool helper of the package: :func:`costcorrect.models.serving.serving.grid_table`
and :func:`costcorrect.claims.sweep` both use it. Workers are forked, so they inherit the function:
closures and lambdas need no pickling, only the index of each point and its result cross.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

_TASK: tuple[Callable[..., Any], Sequence[dict]] | None = None


def _call(i: int) -> Any:
    assert _TASK is not None
    fn, points = _TASK
    return fn(**points[i])


def map_kwargs(fn: Callable[..., Any], points: Sequence[dict], jobs: int = 1) -> list[Any]:
    """``[fn(**p) for p in points]``, in order; ``jobs > 1`` runs them in that many forked workers
    (at most one per point). Each point is evaluated once."""
    if jobs <= 1 or len(points) <= 1:
        return [fn(**p) for p in points]
    import multiprocessing as mp

    global _TASK
    _TASK = (fn, points)
    try:
        with mp.get_context("fork").Pool(min(jobs, len(points))) as pool:
            return pool.map(_call, range(len(points)))
    finally:
        _TASK = None
