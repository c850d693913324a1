"""Workload statistics of a serving trace: token sizes, decode share, arrival rate, burstiness, idle
capacity and prefix reuse.

A trace is three equal-length arrays, one entry per request (the tables under ``data/traces/``):
``arrival_s`` (seconds from the trace start, non-decreasing), ``input_tokens`` (prefill) and
``output_tokens`` (decode); the Mooncake traces add ``blocks`` (512-token prefix blocks of the
request) and ``reused_blocks`` (those already seen in an earlier request). Every function is
vectorised with numpy and takes and returns arrays or floats.

Windows are fixed and aligned on the trace start: window ``k`` is ``[k·w, (k+1)·w)``. Only *full*
windows inside ``[0, duration_s)`` count (``duration_s`` defaults to the last arrival), so a short
final window does not pull the mean down; arrivals at or after the last full window's end are left
out of window statistics (not out of :func:`arrival_rate`).

**Idle (headroom) fraction.** A fleet sized for the peak has a constant capacity ``C`` equal to the
largest per-window load (requests, or tokens when weighted) unless a capacity is given. In window
``k`` with load ``L_k`` the idle fraction is ``1 − L_k / C`` (:func:`headroom`); over the trace it is
the capacity-time left unused, ``1 − Σ L_k / (n·C) = 1 − mean/peak`` (:func:`idle_fraction`), which
for ``C`` = the peak equals ``1 − 1/(peak-to-mean)``. It assumes capacity scales linearly with load
and ignores queueing: a lower bound on the idle share of a fleet that must also meet a latency SLO.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

BLOCK_TOKENS = 512
"""Tokens per prefix-cache block in the Mooncake traces (their ``hash_ids``)."""


def _array(x: ArrayLike, name: str) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    if a.ndim != 1 or a.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array")
    if np.any(a < 0) or not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must be finite and non-negative")
    return a


def token_quantiles(tokens: ArrayLike, q: ArrayLike = (0.5, 0.9, 0.99)) -> np.ndarray:
    """Per-request token-count quantiles (numpy's default linear interpolation)."""
    return np.quantile(_array(tokens, "tokens"), np.asarray(q, dtype=float))


def decode_share(input_tokens: ArrayLike, output_tokens: ArrayLike) -> float:
    """Share of all tokens that are decode (output): ``Σ out / (Σ in + Σ out)``.

    The prefill (input) share is one minus this."""
    i, o = _array(input_tokens, "input_tokens"), _array(output_tokens, "output_tokens")
    total = i.sum() + o.sum()
    if total == 0:
        raise ValueError("the trace has no tokens")
    return float(o.sum() / total)


def arrival_rate(
    arrival_s: ArrayLike, per_s: float = 60.0, duration_s: float | None = None
) -> float:
    """Mean arrivals per ``per_s`` seconds (60: per minute, 3600: per hour): ``n / duration · per_s``,
    with ``duration_s`` defaulting to the last arrival (the trace starts at 0)."""
    t = _array(arrival_s, "arrival_s")
    duration = float(t.max()) if duration_s is None else float(duration_s)
    if duration <= 0:
        raise ValueError("duration_s must be positive")
    return float(t.size / duration * per_s)


def window_load(
    arrival_s: ArrayLike,
    window_s: float = 60.0,
    weights: ArrayLike | None = None,
    duration_s: float | None = None,
) -> np.ndarray:
    """Load per full window: the number of arrivals (or the sum of ``weights``, e.g. tokens) in each
    window ``[k·w, (k+1)·w)`` for ``k < floor(duration_s / w)``."""
    t = _array(arrival_s, "arrival_s")
    if window_s <= 0:
        raise ValueError("window_s must be positive")
    duration = float(t.max()) if duration_s is None else float(duration_s)
    n = int(np.floor(duration / window_s + 1e-9))
    if n < 1:
        raise ValueError(f"no full {window_s:g} s window in a {duration:g} s trace")
    w = np.ones_like(t) if weights is None else _array(weights, "weights")
    if w.shape != t.shape:
        raise ValueError("weights must have one entry per arrival")
    k = np.floor(t / window_s).astype(np.int64)
    inside = k < n
    return np.bincount(k[inside], weights=w[inside], minlength=n)


def peak_to_mean(load: ArrayLike) -> float:
    """Peak-to-mean ratio of a per-window load (1 for perfectly flat arrivals)."""
    L = _array(load, "load")
    if L.mean() == 0:
        raise ValueError("the load is zero in every window")
    return float(L.max() / L.mean())


def headroom(load: ArrayLike, capacity: float | None = None) -> np.ndarray:
    """Idle fraction of capacity in each window, ``1 − L_k / C``; ``C`` defaults to the peak load
    (a fleet sized for the peak)."""
    L = _array(load, "load")
    C = float(L.max()) if capacity is None else float(capacity)
    if C <= 0 or L.max() > C:
        raise ValueError("capacity must be positive and at least the peak load")
    return 1.0 - L / C


def idle_fraction(load: ArrayLike, capacity: float | None = None) -> float:
    """Share of the fleet's capacity-time left idle over the trace, ``1 − Σ L_k / (n·C)``; with ``C``
    the peak load (the default) it is ``1 − 1 / peak_to_mean(load)``."""
    return float(headroom(load, capacity).mean())


def prefix_reuse_share(blocks: ArrayLike, reused_blocks: ArrayLike) -> float:
    """Share of all prefix blocks already seen in an earlier request, ``Σ reused / Σ blocks``: the hit
    rate of an unbounded prefix cache (the Mooncake traces' ``hash_ids``)."""
    b, r = _array(blocks, "blocks"), _array(reused_blocks, "reused_blocks")
    if b.shape != r.shape or np.any(r > b):
        raise ValueError("reused_blocks must match blocks in length and never exceed it")
    if b.sum() == 0:
        raise ValueError("the trace has no blocks")
    return float(r.sum() / b.sum())


def reuse_request_share(reused_blocks: ArrayLike) -> float:
    """Share of requests that reuse at least one earlier prefix block."""
    return float(np.mean(_array(reused_blocks, "reused_blocks") > 0))


def summarise(
    arrival_s: ArrayLike,
    input_tokens: ArrayLike,
    output_tokens: ArrayLike,
    window_s: float = 60.0,
    blocks: ArrayLike | None = None,
    reused_blocks: ArrayLike | None = None,
    q: Sequence[float] = (0.5, 0.9, 0.99),
) -> dict[str, float]:
    """The statistics above for one trace, as a flat ``{name: value}`` dict (rates per minute and
    per hour; burstiness and idle fraction over ``window_s`` windows of request arrivals and of
    tokens; prefix reuse when ``blocks`` and ``reused_blocks`` are given)."""
    t = _array(arrival_s, "arrival_s")
    i, o = _array(input_tokens, "input_tokens"), _array(output_tokens, "output_tokens")
    if not (t.shape == i.shape == o.shape):
        raise ValueError("arrival_s, input_tokens and output_tokens must have equal length")
    out: dict[str, float] = {"requests": float(t.size), "duration_s": float(t.max())}
    for name, x in (("input", i), ("output", o)):
        for qq, v in zip(q, token_quantiles(x, q)):
            out[f"{name}_p{100 * qq:g}"] = float(v)
        out[f"{name}_mean"] = float(x.mean())
    out["decode_share"] = decode_share(i, o)
    out["per_minute"] = arrival_rate(t, 60.0)
    out["per_hour"] = arrival_rate(t, 3600.0)
    requests = window_load(t, window_s)
    tokens = window_load(t, window_s, weights=i + o)
    out["peak_to_mean"] = peak_to_mean(requests)
    out["idle_fraction"] = idle_fraction(requests)
    out["token_peak_to_mean"] = peak_to_mean(tokens)
    out["token_idle_fraction"] = idle_fraction(tokens)
    if blocks is not None and reused_blocks is not None:
        out["prefix_reuse_share"] = prefix_reuse_share(blocks, reused_blocks)
        out["reuse_request_share"] = reuse_request_share(reused_blocks)
    return out
