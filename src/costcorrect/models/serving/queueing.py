"""Queueing under p99 SLO contracts: analytic tails and a seeded discrete-event simulation.

Analytic pieces (vectorised NumPy):

* :func:`md1_wait_quantile` — q-quantile of the waiting time in an M/D/1 FIFO queue, from the
  Cramér–Lundberg exponential tail ``P(W > t) ≈ C·exp(-θ t)`` with θ solving ``λ(e^{θs} − 1) = θ``
  and the exact M/D/1 prefactor ``C = (1−ρ)/(λ s e^{θ s} − ρ)·ρ``-type constant replaced by ρ
  (the standard conservative choice; see the chapter for the comparison with simulation);
* :func:`poisson_quantile`, :func:`binom_quantile` — tail counts used for TPOT.

Simulation (:func:`simulate`) — one serving instance (colocated) or one prefill + one decode
instance (disaggregated), iteration by iteration, with Poisson arrivals from a seeded RNG. The
iteration time comes from a callable supplied by :mod:`costcorrect.models.serving.serving`,
so the simulation and the analytic model share the hardware model but not the queueing
approximations.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import special, stats

Z99 = float(stats.norm.ppf(0.99))


def _theta_md1(lam: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Decay rate θ>0 of the M/D/1 waiting-time tail: the root of ``λ(e^{θ s}−1) = θ`` (ρ = λs < 1).

    Closed form with the lower Lambert-W branch: ``θ s = −W₋₁(−ρ e^{−ρ}) − ρ``.
    """
    rho = np.clip(np.asarray(lam, float) * np.asarray(s, float), 1e-12, 1 - 1e-12)
    x = -np.real(special.lambertw(-rho * np.exp(-rho), k=-1)) - rho
    return x / np.asarray(s, float)


def md1_wait_quantile(lam, s, q: float = 0.99) -> np.ndarray:
    """q-quantile of M/D/1 waiting time (arrival rate ``lam``, service time ``s``); ``inf`` if ρ ≥ 1.

    Uses ``P(W > t) ≈ ρ·exp(−θ t)`` (zero when ρ ≤ 1−q: at most that many arrivals ever wait).
    """
    lam = np.asarray(lam, float)
    s = np.asarray(s, float)
    rho = lam * s
    theta = _theta_md1(np.where(rho < 1, lam, 0.5 / s), s)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.log(np.maximum(rho, 1e-300) / (1 - q)) / theta
    w = np.where(rho <= 1 - q, 0.0, w)
    return np.where(rho >= 1, np.inf, np.maximum(w, 0.0))


def poisson_quantile(mean, q: float = 0.99) -> np.ndarray:
    """q-quantile of a Poisson count with the given mean (vectorised)."""
    return stats.poisson.ppf(q, np.maximum(np.asarray(mean, float), 0.0))


def borel_quantile(rho, q: float = 0.99, nmax: int = 400) -> np.ndarray:
    """q-quantile of the number of customers served in an M/D/1 busy period (Borel law, load ``rho``).

    ``P(N = n) = e^{-ρn} (ρn)^{n-1} / n!``; returns ``nmax`` where the quantile lies beyond it.
    """
    rho, q = np.broadcast_arrays(
        np.clip(np.asarray(rho, float), 1e-12, 1 - 1e-9), np.asarray(q, float)
    )
    idx = np.full(rho.shape, nmax - 1)
    hit = np.zeros(rho.shape, bool)
    todo = np.ones(rho.shape, bool)
    for n_terms in (min(32, nmax), nmax):  # most quantiles lie in the first terms: sum those first
        r, qq = rho[todo], q[todo]
        n = np.arange(1, n_terms + 1).reshape((-1,) + (1,) * r.ndim)
        logp = -r * n + (n - 1) * np.log(r * n) - special.gammaln(n + 1)
        cdf = np.cumsum(np.exp(logp), axis=0)
        reached = cdf[-1] >= qq
        idx[todo] = np.where(reached, np.argmax(cdf >= qq, axis=0), idx[todo])
        hit[todo] = reached
        todo &= ~hit
        if not todo.any():
            break
    return np.where(hit, idx + 1, nmax).astype(float)


def binom_quantile(n, p, q: float = 0.99) -> np.ndarray:
    """q-quantile of a Binomial(n, p) count (vectorised)."""
    return stats.binom.ppf(q, np.asarray(n), np.clip(np.asarray(p, float), 0.0, 1.0))


# ------------------------------------------------------------------ simulation

StepFn = Callable[[int, float, int, float], float]
"""``step(n_decode, sum_decode_context, n_prefill_tokens, prefill_attention_context) -> seconds``."""


@dataclass(frozen=True)
class SimResult:
    """Per-request latencies from :func:`simulate` (warm-up requests dropped)."""

    ttft: np.ndarray
    tpot: np.ndarray
    tbt: np.ndarray

    def p99(self) -> tuple[float, float, float]:
        """(p99 TTFT, p99 per-request TPOT, p99 per-token gap TBT) in seconds."""
        return (
            float(np.quantile(self.ttft, 0.99)),
            float(np.quantile(self.tpot, 0.99)),
            float(np.quantile(self.tbt, 0.99)),
        )


def simulate(
    mode: str,
    lam: float,
    I: int,
    O: int,
    step: StepFn,
    *,
    n_requests: int = 2000,
    seed: int = 0,
    chunk: int = 512,
    kv_delay: float = 0.0,
    prefill_block: float = 0.0,
    max_batch: int = 10**9,
    warmup: float = 0.1,
) -> SimResult:
    """Seeded discrete-event simulation of one instance under Poisson arrivals at rate ``lam``.

    ``mode``: ``"colocated"`` (prefill-prioritising continuous batching, a whole prompt per
    iteration, decodes stall), ``"chunked"`` (Sarathi-style hybrid iterations: all decodes plus up to
    ``chunk`` prompt tokens) or ``"disaggregated"`` (a prefill instance feeding a decode instance;
    the prefill GPU is blocked ``prefill_block`` s per request and the KV cache reaches the decode
    instance ``kv_delay`` s after the prefill ends). All requests have ``I`` input and ``O`` output
    tokens. TTFT = first token time − arrival; TPOT = (last − first token time)/(O − 1).
    """
    rng = np.random.default_rng(seed)
    arrivals = np.cumsum(rng.exponential(1.0 / lam, n_requests))
    first = np.full(n_requests, np.nan)
    last = np.full(n_requests, np.nan)
    prev = np.full(n_requests, np.nan)
    gaps: list[np.ndarray] = []
    warm_id = int(warmup * n_requests)

    if mode == "disaggregated":
        # prefill instance: FIFO, one prompt per iteration (compute-bound, so batching adds nothing)
        t = 0.0
        ready = np.empty(n_requests)
        for i in range(n_requests):
            t = max(t, arrivals[i])
            t += step(0, 0.0, I, I / 2)
            first[i] = t
            ready[i] = t + kv_delay
            t += prefill_block
        order = np.argsort(ready, kind="stable")
        prev[:] = first
        _decode_loop(ready[order], order, I, O, step, last, max_batch, prev, gaps, warm_id)
    elif mode in ("colocated", "chunked"):
        _colocated_loop(
            mode, arrivals, I, O, step, first, last, chunk, max_batch, prev, gaps, warm_id
        )
    else:
        raise ValueError(f"unknown mode {mode!r}")

    keep = np.arange(n_requests) >= int(warmup * n_requests)
    ttft = first - arrivals
    tpot = (last - first) / max(O - 1, 1)
    tbt = np.concatenate(gaps) if gaps else np.array([np.nan])
    return SimResult(ttft=ttft[keep], tpot=tpot[keep], tbt=tbt)


def _record(t: float, ids: list[int], prev: np.ndarray, gaps: list, warm_id: int) -> None:
    if ids:
        a = np.asarray(ids)
        a = a[a >= warm_id]
        if len(a):
            gaps.append(t - prev[a])
            prev[a] = t


def _advance(
    active_ids: list, active_done: list, O: int, t: float, last: np.ndarray
) -> tuple[list, list]:
    """One decode step for every active request: count its token, retire those that reached ``O``."""
    keep_ids, keep_done = [], []
    for rid, d in zip(active_ids, active_done):
        d += 1
        if d >= O:
            last[rid] = t
        else:
            keep_ids.append(rid)
            keep_done.append(d)
    return keep_ids, keep_done


def _decode_loop(
    ready: np.ndarray,
    ids: np.ndarray,
    I: int,
    O: int,
    step: StepFn,
    last: np.ndarray,
    max_batch: int,
    prev: np.ndarray,
    gaps: list,
    warm_id: int,
) -> None:
    """Continuous-batching decode instance: requests join when their KV cache is ready."""
    n = len(ready)
    t = 0.0
    nxt = 0
    active_ids: list[int] = []
    active_done: list[int] = []
    while nxt < n or active_ids:
        if not active_ids and nxt < n:
            t = max(t, ready[nxt])
        while nxt < n and ready[nxt] <= t and len(active_ids) < max_batch:
            active_ids.append(int(ids[nxt]))
            active_done.append(1)  # the first token came from the prefill
            nxt += 1
        ctx = float(I * len(active_done) + sum(active_done))  # integers: exact
        t += step(len(active_ids), ctx, 0, 0.0)
        _record(t, active_ids, prev, gaps, warm_id)
        active_ids, active_done = _advance(active_ids, active_done, O, t, last)


def _colocated_loop(
    mode: str,
    arrivals: np.ndarray,
    I: int,
    O: int,
    step: StepFn,
    first: np.ndarray,
    last: np.ndarray,
    chunk: int,
    max_batch: int,
    prev: np.ndarray,
    gaps: list,
    warm_id: int,
) -> None:
    n = len(arrivals)
    t = 0.0
    nxt = 0
    waiting: deque[list[int]] = deque()  # [request id, prompt tokens already processed]
    active_ids: list[int] = []
    active_done: list[int] = []
    while nxt < n or waiting or active_ids:
        if not waiting and not active_ids and nxt < n:
            t = max(t, arrivals[nxt])
        while nxt < n and arrivals[nxt] <= t:
            waiting.append([nxt, 0])
            nxt += 1
        n_dec = len(active_ids)
        ctx = float(I * n_dec + sum(active_done)) if n_dec else 0.0  # integers: exact
        finished_prefill: list[int] = []
        if mode == "colocated":
            if waiting and n_dec < max_batch:
                rid, _ = waiting.popleft()  # prefill-prioritising: the prompt runs alone
                t += step(0, 0.0, I, I / 2)
                finished_prefill.append(rid)
                dec_ran = False
            else:
                t += step(n_dec, ctx, 0, 0.0)
                dec_ran = True
        else:  # chunked: decodes + up to `chunk` prompt tokens in one hybrid iteration
            budget = chunk
            p_tokens = 0
            attn_ctx = 0.0
            for w in waiting:
                if budget <= 0 or n_dec + len(finished_prefill) >= max_batch:
                    break
                take = min(budget, I - w[1])
                attn_ctx += take * (w[1] + take / 2)
                w[1] += take
                p_tokens += take
                budget -= take
                if w[1] >= I:
                    finished_prefill.append(w[0])
            while waiting and waiting[0][1] >= I:
                waiting.popleft()
            t += step(n_dec, ctx, p_tokens, attn_ctx / max(p_tokens, 1))
            dec_ran = n_dec > 0
        if dec_ran:
            _record(t, active_ids, prev, gaps, warm_id)
            active_ids, active_done = _advance(active_ids, active_done, O, t, last)
        for rid in finished_prefill:
            first[rid] = t
            prev[rid] = t
            if O <= 1:
                last[rid] = t
            else:
                active_ids.append(rid)
                active_done.append(1)
