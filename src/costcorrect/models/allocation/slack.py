"""Serving slack: a diurnal load model, the idle GPU-hours it leaves, and the price of harvesting them.

Companion of the chapter *Harvesting Serving Slack: ROSE* (Field Notes #7). Every modelling choice
here is a **reconstruction** (the note's own model is not public):

* serving load as a fraction of the fleet's provisioned capacity follows a sinusoidal day,
  ``u(t) = mean + amplitude · cos(2π (t − peak_hour)/24)``, clipped to [0, 1];
* an SLO reserve ``reserve`` (fraction of capacity) is never lent out, so the harvestable share is
  ``max(0, 1 − reserve − u(t))``;
* a harvested GPU-hour does ``efficiency`` of the rollout work of a dedicated one (memory sharing,
  pre-emption when traffic bursts) and costs only the extra energy plus an overhead charge, so the
  slack price fraction is ``λ = (ΔP · price_kWh · PUE + overhead_usd_h) / (efficiency · dedicated_usd_h)``;
* rollout demand above the available slack runs on dedicated GPUs at λ = 1 (capacity cap).
"""

from __future__ import annotations

import numpy as np


def diurnal_load(t_hours, mean: float, amplitude: float, peak_hour: float = 14.0):
    """Serving load as a fraction of provisioned capacity at hour ``t_hours`` (clipped to [0, 1])."""
    t = np.asarray(t_hours, dtype=float)
    return np.clip(mean + amplitude * np.cos(2 * np.pi * (t - peak_hour) / 24.0), 0.0, 1.0)


def harvestable_fraction(load, reserve: float):
    """Share of capacity that can be lent to rollouts: max(0, 1 − reserve − load)."""
    return np.clip(1.0 - reserve - np.asarray(load, dtype=float), 0.0, None)


def idle_gpu_hours(
    n_gpus: float,
    mean: float,
    amplitude: float,
    reserve: float,
    peak_hour: float = 14.0,
    steps_per_hour: int = 60,
) -> float:
    """Harvestable GPU-hours per day of a fleet of ``n_gpus`` (midpoint rule over 24 h)."""
    n = 24 * steps_per_hour
    t = (np.arange(n) + 0.5) / steps_per_hour
    return float(
        n_gpus
        * harvestable_fraction(diurnal_load(t, mean, amplitude, peak_hour), reserve).sum()
        / steps_per_hour
    )


def idle_fraction_closed_form(mean: float, amplitude: float, reserve: float) -> float:
    """Daily average of max(0, s − A cos θ) with s = 1 − reserve − mean (no clipping of the load).

    With φ = arccos(−s/A): (s φ + A sin φ)/π for ``|s| < A``; s for s ≥ A; 0 for s ≤ −A.
    Valid when the load itself is not clipped (0 ≤ mean − A and mean + A ≤ 1).
    """
    s = 1.0 - reserve - mean
    A = amplitude
    if A <= 0:
        return max(s, 0.0)
    if s >= A:
        return s
    if s <= -A:
        return 0.0
    phi = np.arccos(-s / A)
    return float((s * phi + A * np.sin(phi)) / np.pi)


def slack_price_fraction(
    delta_power_kw,
    usd_per_kwh,
    pue,
    dedicated_usd_per_hour,
    efficiency: float = 1.0,
    overhead_usd_per_hour: float = 0.0,
):
    """λ: cost of one dedicated-equivalent GPU-hour of rollouts on harvested slack ÷ dedicated price."""
    energy = np.asarray(delta_power_kw, dtype=float) * usd_per_kwh * pue
    return (energy + overhead_usd_per_hour) / (
        np.asarray(efficiency, dtype=float) * dedicated_usd_per_hour
    )


def blended_lambda(demand_gpu_hours, slack_gpu_hours, lam, efficiency: float = 1.0):
    """Average price fraction when rollout demand (dedicated-equivalent GPU-hours) is served first
    from slack (``slack_gpu_hours`` raw hours, each worth ``efficiency``) and the rest at λ = 1."""
    d = np.asarray(demand_gpu_hours, dtype=float)
    cap = np.asarray(slack_gpu_hours, dtype=float) * efficiency
    on_slack = np.minimum(d, cap)
    return (np.asarray(lam, dtype=float) * on_slack + (d - on_slack)) / d


def gpu_hour_factor(speedup):
    """Dedicated GPU-hours per RL step relative to baseline, at fixed hardware: 1/speedup."""
    return 1.0 / np.asarray(speedup, dtype=float)


def kv_occupancy(arrival_s, input_tokens, output_tokens, tpot_s: float, window_s: float):
    """Mean KV-cache tokens held in each full window of a replayed request trace.

    Reconstruction: request ``i`` holds its prompt plus the tokens generated so far, from its arrival
    until its last output token, one token every ``tpot_s`` seconds (prefill time and queueing are
    left out), i.e. ``I + (t − a)/tpot`` tokens for ``a ≤ t < a + O·tpot``. The integral over each
    window ``[k·w, (k+1)·w)`` (full windows up to the last arrival, as in
    :func:`costcorrect.models.serving.workload.window_load`) divided by ``w`` is its mean occupancy;
    multiply by the bytes per token of a model for memory. Evaluated on arrays at once.
    """
    a = np.asarray(arrival_s, dtype=float)
    i = np.asarray(input_tokens, dtype=float)
    dur = np.asarray(output_tokens, dtype=float) * tpot_s
    n = int(np.floor((a.max() - a.min()) / window_s + 1e-9))
    if n < 1:
        raise ValueError("the trace is shorter than one window")
    edges = a.min() + window_s * np.arange(n + 1)
    x = np.clip(edges[None, :] - a[:, None], 0.0, dur[:, None])  # time held before each edge
    held = i[:, None] * x + x**2 / (2.0 * tpot_s)  # token-seconds held before each edge
    return np.diff(held.sum(axis=0)) / window_s


def cost_factor(speedup, lam):
    """Cost per RL step relative to the baseline when an end-to-end speed-up ``x`` comes wholly from
    borrowed capacity priced at ``λ`` of the dedicated rate: ``F(x, λ) = (1 + λ(x − 1))/x``
    (λ = 1: faster at the same cost; λ = 0: the dedicated GPU-hour factor ``1/x``)."""
    x = np.asarray(speedup, dtype=float)
    return (1.0 + np.asarray(lam, dtype=float) * (x - 1.0)) / x


def histogram_quantile(edges, counts, q):
    """Quantile ``q`` of a distribution published as a histogram (``len(edges) = len(counts) + 1``),
    interpolated linearly inside the bin where the cumulative share reaches ``q``."""
    e = np.asarray(edges, dtype=float)
    c = np.asarray(counts, dtype=float)
    if e.shape != (c.size + 1,) or c.sum() <= 0:
        raise ValueError("need one more edge than counts and a positive total count")
    cum = np.concatenate([[0.0], np.cumsum(c)]) / c.sum()
    return np.interp(np.asarray(q, dtype=float), cum, e)


def tail_ratio(edges, counts, q: float = 0.99) -> float:
    """How long the slow tail runs: the ``q`` quantile over the median of a histogram of rollout or
    generation lengths (a synchronous RL step waits for its slowest rollouts)."""
    lo, hi = histogram_quantile(edges, counts, [0.5, q])
    return float(hi / lo)
