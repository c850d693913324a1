"""Cost per SLO-compliant served token: colocated, chunked-prefill colocated and disaggregated serving.

Reconstruction (the paper's own equations are not public). Three layers:

1. **Hardware step model** (:class:`Engine`, a thin wrapper of the book's one step model
   :func:`costcorrect.models.serving.hardware.step_time`): an iteration that decodes ``B`` sequences
   with total context ``ctx`` and runs ``n`` prompt tokens takes
   ``overhead + max(bytes/BW_eff, flops/F_eff)`` — weights plus KV cache read from HBM against
   dense BF16 FLOPs including attention (roofline). Prefill is therefore compute-bound and decode
   bandwidth-bound and batch-dependent; a prompt chunk piggybacks on a memory-bound decode
   iteration.
2. **Queueing under p99 TTFT / TPOT** (:func:`latencies`): M/D/1 prefill queues, Little's law for the
   decode batch, Poisson / Binomial tails for prefill stalls and hybrid iterations; checked against
   the discrete-event simulation in :mod:`costcorrect.models.serving.queueing`.
3. **Cost** (:func:`evaluate`, :func:`recommend`): the largest per-instance arrival rate meeting both
   p99 SLOs (goodput), turned into dollars per SLO-compliant output token and split into a prefill
   term, a decode term and the KV-transfer tax (disaggregated only).

The symbolic decomposition and break-even conditions are in :func:`symbolic_model`.

Every numeric function takes NumPy arrays that broadcast (SLO targets, efficiencies, η, slack), so a
declared range is one vectorised evaluation: :func:`arch_costs` (the array form of :func:`evaluate`),
:func:`rederive`, :func:`iso_cost_power`, :func:`slo_tightening`, :func:`breakeven_maps` (a
:class:`Maps` of named axes) and :func:`on_grid` (a grid plus one point in a single call). Each
element is computed with the same operations as a scalar call, so a point of a grid equals that point
evaluated alone, bit for bit (the bisections run elementwise with fixed iteration counts).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from functools import cached_property

import numpy as np
import pandas as pd
import sympy as sp

from costcorrect.models._parallel import map_kwargs
from costcorrect.models.serving import hardware
from costcorrect.models.serving.queueing import (
    Z99,
    binom_quantile,
    borel_quantile,
    md1_wait_quantile,
    poisson_quantile,
)

ARCHS = ("colocated", "chunked", "disaggregated")
ARCH_LABELS = {
    "colocated": "Colocated (continuous batching)",
    "chunked": "Chunked-prefill colocated",
    "disaggregated": "Disaggregated (P/D)",
}


# ------------------------------------------------------------------ hardware step model


@dataclass(frozen=True)
class Engine:
    """One serving instance: ``tp`` GPUs of one type running one model (tensor parallel)."""

    gpu: hardware.GPU
    model: hardware.Model
    tp: int = 1
    mfu: float = (
        hardware.EFFICIENCY.mfu
    )  # achieved fraction of dense BF16 peak (declared in hardware)
    mbu: float = (
        hardware.EFFICIENCY.mbu
    )  # achieved fraction of HBM bandwidth (declared in hardware)
    overhead_s: float = hardware.EFFICIENCY.overhead_s  # fixed per-iteration overhead, s
    reserve_tokens: float = (
        0.0  # KV slots reserved per sequence (Orca-style max-length reservation)
    )

    def seq_tokens(self, I, O):
        """KV-cache slots one sequence occupies: its length, or the reservation if larger."""
        return np.maximum(np.asarray(I, float) + np.asarray(O, float), self.reserve_tokens)

    @property
    def bw(self) -> float:
        """Effective HBM bandwidth of the instance, bytes/s."""
        return self.tp * self.gpu.hbm_bw * self.mbu

    @property
    def flops(self) -> float:
        """Effective dense FLOP/s of the instance."""
        return self.tp * self.gpu.flops * self.mfu

    @property
    def kv_capacity_tokens(self) -> float:
        """KV-cache tokens that fit next to the weights (90% of HBM usable)."""
        return hardware.kv_capacity_tokens(self.model, self.gpu, self.tp)

    @cached_property
    def eff(self) -> hardware.Efficiency:
        """This instance's efficiencies as the shared step model takes them."""
        return hardware.Efficiency(mbu=self.mbu, mfu=self.mfu, overhead_s=self.overhead_s)

    def step(
        self, n_decode: float, ctx: float, n_prefill: float = 0.0, prefill_ctx: float = 0.0
    ) -> float:
        """Seconds for one iteration: the book's one step model,
        :func:`costcorrect.models.serving.hardware.step_time`.

        ``ctx`` = total context tokens of the decoding sequences; ``prefill_ctx`` = mean attention
        context per prompt token (``I/2`` for a whole prompt). Works on NumPy arrays.
        """
        return hardware.step_time(
            self.model, self.gpu, n_decode, ctx, n_prefill, prefill_ctx, tp=self.tp, eff=self.eff
        )

    def prefill_time(self, I) -> np.ndarray:
        """Seconds to prefill one prompt of ``I`` tokens alone."""
        I = np.asarray(I, float)
        return self.step(0.0, 0.0, I, I / 2)

    def unloaded(self, I, O) -> tuple[np.ndarray, np.ndarray]:
        """(TTFT, TPOT) floor of a lone request on a colocated instance (prefill plus one decode
        iteration in flight; one decode step): the reference SLO slack is measured from."""
        t_dec = self.step(1.0, np.asarray(I, float) + np.asarray(O, float) / 2)
        return self.prefill_time(I) + t_dec, t_dec

    def slos(self, I, O, slack) -> tuple[np.ndarray, np.ndarray]:
        """(p99 TTFT SLO, p99 TPOT SLO) = (1 + slack) × the unloaded floor."""
        t1, t2 = self.unloaded(I, O)
        return (1 + np.asarray(slack, float)) * t1, (1 + np.asarray(slack, float)) * t2


# ------------------------------------------------------------------ analytic latencies


@dataclass(frozen=True)
class Link:
    """KV-transfer path between prefill and decode instances."""

    bandwidth: float  # bytes/s, one direction, per instance (may be an array)
    eta: float = 0.0  # fraction of transfer time that blocks the prefill GPU (0 = fully overlapped)


def decode_batch(engine: Engine, lam, I, O, extra_per_step=0.0, stall_frac=0.0, iters: int = 60):
    """Mean decode batch ``B`` and mean per-token time from Little's law ``B = λ·O·TPOT``.

    ``extra_per_step`` (s) is added to every decode iteration (e.g. piggybacked chunks on average);
    ``stall_frac`` is the fraction of time the instance is busy with non-decode work (prefill stalls).
    Returns (B, TPOT_mean); ``inf`` where the instance is unstable.
    """
    lam = np.asarray(lam, float)
    I = np.asarray(I, float)
    O = np.asarray(O, float)
    ctx_mean = I + O / 2
    B = np.ones(np.broadcast(lam, I, O).shape)
    free = np.maximum(1 - stall_frac, 1e-9)
    lam_O = lam * O
    for _ in range(iters):
        tpot = (engine.step(B, B * ctx_mean) + extra_per_step) / free
        B = 0.5 * B + 0.5 * np.minimum(np.maximum(lam_O * tpot, 1e-9), 1e7)
    tpot = (engine.step(B, B * ctx_mean) + extra_per_step) / free
    bad = (lam_O * tpot > B * 1.02 + 1) | (stall_frac >= 1) | (B >= 1e7 * 0.99)
    return np.where(bad, np.inf, B), np.where(bad, np.inf, tpot)


def auto_chunk(engine: Engine, I, B, tpot_slo) -> np.ndarray:
    """Sarathi-style token budget: the largest prompt chunk whose hybrid iteration fits the TPOT SLO.

    Solves ``overhead + (B + c)·2P/F + attention(c) ≤ S`` for ``c`` (compute-bound hybrid step),
    clipped to [32, I].
    """
    m = engine.model
    d = m.heads * m.head_dim
    per_tok = (m.flops_per_token + 4.0 * m.layers * d * np.asarray(I, float) / 2) / engine.flops
    c = (np.asarray(tpot_slo, float) - engine.overhead_s) / per_tok - B
    return np.clip(np.floor(c), 32, np.maximum(np.asarray(I, float), 32))


def _dis_prefill(engine: Engine, lam, I, link: Link):
    """The prefill side of disaggregated serving: (p99 TTFT, prefill time, KV-transfer time, service
    time of the prefill GPU) at prefill-instance rate ``lam``."""
    tp = engine.prefill_time(I)
    t_kv = I * engine.model.kv_bytes / link.bandwidth
    s = tp + link.eta * t_kv
    return md1_wait_quantile(lam, s) + tp + t_kv, tp, t_kv, s


def _dis_decode(eng_d: Engine, lam_d, I, O, keys=("tpot99", "tbt99")) -> dict[str, np.ndarray]:
    """The decode side of disaggregated serving at decode-instance rate ``lam_d``: the mean batch
    ``B`` and the p99s named in ``keys`` (``inf`` where the KV cache does not fit)."""
    B, _ = decode_batch(eng_d, lam_d, I, O)
    # batch over a request's lifetime is a time-averaged M/D/inf count: sd = sqrt(2B/3);
    # the batch at one token is the instantaneous count: sd = sqrt(B)
    ctx = I + O / 2
    mem_ok = B * eng_d.seq_tokens(I, O) <= eng_d.kv_capacity_tokens
    out = {"B": B}
    if "tpot99" in keys:
        Bq = B + Z99 * np.sqrt(2 * B / 3)
        out["tpot99"] = np.where(mem_ok, eng_d.step(Bq, Bq * ctx), np.inf)
    if "tbt99" in keys:
        Bt = B + Z99 * np.sqrt(B)
        out["tbt99"] = np.where(mem_ok, eng_d.step(Bt, Bt * ctx), np.inf)
    return out


def latencies(
    arch: str,
    engine: Engine,
    lam,
    I,
    O,
    *,
    chunk=None,
    tpot_slo=None,
    link: Link | None = None,
    engine_decode: Engine | None = None,
    lam_decode=None,
) -> dict[str, np.ndarray]:
    """Analytic p99 TTFT, p99 TPOT (per request), p99 TBT (per token gap) and mean batch at rate ``lam``.

    For ``"disaggregated"``, ``lam`` is the rate into one prefill instance and ``lam_decode`` (default
    ``lam``) the rate into one decode instance (``engine_decode`` defaults to ``engine``). For
    ``"chunked"``, ``chunk`` is the prompt-token budget per iteration (``None``: :func:`auto_chunk`
    from ``tpot_slo``, else 512).
    """
    lam = np.asarray(lam, float)
    I = np.asarray(I, float)
    O = np.asarray(O, float)
    if arch == "disaggregated":
        link = link or Link(bandwidth=np.inf)
        eng_d = engine_decode or engine
        lam_d = lam if lam_decode is None else np.asarray(lam_decode, float)
        ttft99, tp, t_kv, s = _dis_prefill(engine, lam, I, link)
        dec = _dis_decode(eng_d, lam_d, I, O)
        return {
            "ttft99": ttft99,
            "tpot99": dec["tpot99"],
            "tbt99": dec["tbt99"],
            "B": dec["B"],
            "prefill_busy": lam * s,
            "t_prefill": tp,
            "t_kv": t_kv,
            "chunk": 0 * tp,
        }
    if arch == "colocated":
        tp = engine.prefill_time(I)
        rho_p = lam * tp
        B, tpot = decode_batch(engine, lam, I, O, stall_frac=rho_p)
        ctx = I + O / 2
        t_dec = engine.step(B, B * ctx)
        n99 = poisson_quantile(lam * O * tpot)  # prompts that stall this request's decode
        Bq = B + Z99 * np.sqrt(2 * B / 3)  # lifetime-averaged batch, as for P/D decode
        tpot99 = engine.step(Bq, Bq * ctx) + n99 * tp / np.maximum(O - 1, 1)
        # a gap that contains a stall lasts a whole prefill busy period (prompts queued behind each
        # other run back to back): Borel-distributed count; such gaps start at rate λ(1−ρ) per second
        stall_share = np.clip(lam * (1 - rho_p) * tpot, 0, 1)
        k99 = borel_quantile(rho_p, np.clip(1 - 0.01 / np.maximum(stall_share, 1e-12), 0, 1))
        Bt = B + Z99 * np.sqrt(B)
        tbt99 = np.where(stall_share > 0.01, t_dec + k99 * tp, engine.step(Bt, Bt * ctx))
        ttft99 = md1_wait_quantile(lam, tp) + tp + t_dec  # + the decode iteration in flight
        ok = (B * engine.seq_tokens(I, O) <= engine.kv_capacity_tokens) & (rho_p < 1)
        return {
            "ttft99": np.where(ok, ttft99, np.inf),
            "tpot99": np.where(ok, tpot99, np.inf),
            "tbt99": np.where(ok, tbt99, np.inf),
            "B": B,
            "prefill_busy": rho_p,
            "t_prefill": tp,
            "t_kv": 0 * tp,
            "chunk": 0 * tp,
        }
    if arch == "chunked":
        shape = np.broadcast(lam, I, O).shape
        B = np.ones(shape)
        h = np.zeros(shape)
        for _ in range(60):
            if chunk is None:
                cmax = auto_chunk(engine, I, B, 0.1 if tpot_slo is None else tpot_slo)
            else:
                cmax = np.broadcast_to(np.asarray(chunk, float), shape)
            n_ch = np.ceil(I / cmax)
            c = I / n_ch  # tokens per chunk
            ctx = B * (I + O / 2)
            t0 = engine.step(B, ctx)
            th = engine.step(B, ctx, c, I / 2)
            tbar = (1 - h) * t0 + h * th
            h = np.clip(lam * n_ch * tbar, 0, 1)
            B = 0.5 * B + 0.5 * np.minimum(np.maximum(lam * O * tbar, 1e-9), 1e7)
        ctx = B * (I + O / 2)
        t0 = engine.step(B, ctx)
        th = engine.step(B, ctx, c, I / 2)
        tbar = (1 - h) * t0 + h * th
        x99 = binom_quantile(np.maximum(O - 1, 1), h)
        tpot99 = t0 + (th - t0) * x99 / np.maximum(O - 1, 1)
        Bt = B + Z99 * np.sqrt(B)
        tbt99 = np.where(
            h > 0.01, engine.step(Bt, Bt * (I + O / 2), c, I / 2), engine.step(Bt, Bt * (I + O / 2))
        )
        s = n_ch * th
        ttft99 = md1_wait_quantile(lam, s) + s + t0
        ok = (B * engine.seq_tokens(I, O) <= engine.kv_capacity_tokens) & (
            lam * n_ch * tbar < 0.999
        )
        return {
            "ttft99": np.where(ok, ttft99, np.inf),
            "tpot99": np.where(ok, tpot99, np.inf),
            "tbt99": np.where(ok, tbt99, np.inf),
            "B": B,
            "prefill_busy": h,
            "t_prefill": n_ch * (th - t0),
            "t_kv": 0 * th,
            "chunk": c,
        }
    raise ValueError(f"unknown architecture {arch!r}")


def _bisect(ok_fn, hi, iters: int = 32) -> np.ndarray:
    """Largest λ in (0, hi] with ``ok_fn(λ)`` true (monotone), elementwise; 0 if none."""
    hi = np.asarray(hi, float)
    lo = np.zeros_like(hi)
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        good = ok_fn(mid)
        lo = np.where(good, mid, lo)
        hi = np.where(good, hi, mid)
    return lo


# ------------------------------------------------------------------ deployment and cost


@dataclass(frozen=True)
class Deployment:
    """A deployment question: hardware, model, workload, SLO contract and KV link."""

    gpu: str = "H100-SXM"
    model: str = "LLaMA-2-70B"
    input_tokens: float = 1024
    output_tokens: float = 256
    arrival_rate: float = 10.0  # requests/s, whole service
    ttft_slo: float = 2.0  # p99 TTFT, s
    tpot_slo: float = 0.1  # p99 TPOT, s
    link_gb_s: float | None = (
        None  # KV-transfer bandwidth per instance, GB/s (None: inter-node NIC × tp)
    )
    eta: float = 0.0  # non-overlapped fraction of KV transfer
    tp: int | None = None  # GPUs per instance (None: smallest power of two that fits)
    decode_gpu: str | None = None  # heterogeneous decode pool (Splitwise-style), default = gpu
    chunk: int | None = None  # prompt-token budget per hybrid iteration (None: fit the TPOT SLO)
    tpot_metric: str = "tbt"  # "tbt": p99 over token gaps; "tpot": p99 over per-request means
    mfu: float = hardware.EFFICIENCY.mfu
    mbu: float = hardware.EFFICIENCY.mbu
    overhead_s: float = hardware.EFFICIENCY.overhead_s
    reserve_tokens: float = 0.0  # per-sequence KV reservation (0 = paged, exact)

    def engines(self) -> tuple[Engine, Engine]:
        """(prefill/colocated engine, decode engine)."""
        g = hardware.gpu(self.gpu)
        m = hardware.model(self.model)
        tp = self.tp or min_tp(g, m)
        e = Engine(g, m, tp, self.mfu, self.mbu, self.overhead_s, self.reserve_tokens)
        if self.decode_gpu:
            gd = hardware.gpu(self.decode_gpu)
            ed = Engine(
                gd,
                m,
                self.tp or min_tp(gd, m),
                self.mfu,
                self.mbu,
                self.overhead_s,
                self.reserve_tokens,
            )
        else:
            ed = e
        return e, ed

    def link(self) -> Link:
        """KV link: given GB/s, else the GPU's inter-node NIC bandwidth times the instance size."""
        e, _ = self.engines()
        bw = (self.link_gb_s * 1e9) if self.link_gb_s is not None else e.gpu.internode * e.tp
        return Link(bandwidth=bw, eta=self.eta)


def min_tp(gpu: hardware.GPU, model: hardware.Model, headroom: float = 0.4) -> int:
    """Smallest power-of-two GPU count whose HBM holds the weights with ``headroom`` left for KV."""
    tp = 1
    while model.weight_bytes > (1 - headroom) * 0.9 * tp * gpu.hbm_bytes and tp < 64:
        tp *= 2
    return tp


def goodput(
    arch: str, dep: Deployment, I=None, O=None, ttft_slo=None, tpot_slo=None
) -> dict[str, np.ndarray]:
    """Per-instance goodput (requests/s meeting both p99 SLOs); arrays broadcast over the overrides
    and over the deployment's array fields (SLOs, efficiencies, η).

    For ``"disaggregated"`` returns the prefill-instance and decode-instance goodputs separately.
    """
    e, ed = dep.engines()
    I = np.asarray(dep.input_tokens if I is None else I, float)
    O = np.asarray(dep.output_tokens if O is None else O, float)
    S1 = np.asarray(dep.ttft_slo if ttft_slo is None else ttft_slo, float)
    S2 = np.asarray(dep.tpot_slo if tpot_slo is None else tpot_slo, float)
    shape = np.broadcast(I, O, S1, S2).shape
    I, O, S1, S2 = (np.broadcast_to(x, shape) for x in (I, O, S1, S2))
    key = "tbt99" if dep.tpot_metric == "tbt" else "tpot99"
    if arch == "disaggregated":
        lam_p, lam_d = _dis_goodput(e, ed, I, O, S1, S2, dep.link(), key)
        # the TTFT contract must also hold unloaded (else zero goodput)
        return {"prefill": lam_p, "decode": lam_d}
    hi = 1.0 / e.prefill_time(I)
    lam = _bisect(
        lambda l: (lambda r: (r["ttft99"] <= S1) & (r[key] <= S2))(
            latencies(arch, e, l, I, O, chunk=dep.chunk, tpot_slo=S2)
        ),
        hi,
    )
    return {"instance": lam}


def _dis_goodput(e: Engine, ed: Engine, I, O, S1, S2, link: Link, key: str):
    """(prefill-instance, decode-instance) goodputs of disaggregated serving: the largest rates at
    which the p99 TTFT (prefill side) and the p99 token metric ``key`` (decode side) meet their SLOs."""
    tp = e.prefill_time(I)
    hi_p = 1.0 / (tp + link.eta * I * e.model.kv_bytes / link.bandwidth)
    lam_p = _bisect(lambda l: _dis_prefill(e, l, I, link)[0] <= S1, hi_p)
    lam_d = _bisect(
        lambda l: _dis_decode(ed, l, I, O, keys=(key,))[key] <= S2, np.full(np.shape(I), 1e4)
    )
    return lam_p, lam_d


def arch_costs(dep: Deployment, arch: str, integer_pools: bool = False) -> dict[str, np.ndarray]:
    """One architecture's cost per SLO-compliant output token and its three terms (USD per million),
    with the pool sizes; arrays broadcast over the deployment's array fields (SLOs, efficiencies, η).

    Keys: ``prefill``, ``decode``, ``kv_tax``, ``usd_per_mtok``, ``feasible`` and the instances
    ``n`` (colocated designs) or ``n_p``, ``n_d`` (disaggregated). With ``integer_pools`` the service
    rate ``arrival_rate`` is met with whole instances. :func:`evaluate` tabulates it.
    """
    e, ed = dep.engines()
    lam_tot, O, I = dep.arrival_rate, dep.output_tokens, dep.input_tokens
    g = goodput(arch, dep)
    tok_s = lam_tot * O

    def pool(lam):
        n = lam_tot / lam
        return np.ceil(n - 1e-9) if integer_pools else n

    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if arch == "disaggregated":
            lp, ld = g["prefill"], g["decode"]
            feasible = (lp > 0) & (ld > 0)
            n_p, n_d = pool(lp), pool(ld)
            usd_s_p = n_p * e.tp * e.gpu.price_per_second
            usd_s_d = n_d * ed.tp * ed.gpu.price_per_second
            link = dep.link()
            tax_share = link.eta * I * e.model.kv_bytes / link.bandwidth
            share = tax_share / (e.prefill_time(I) + tax_share)
            terms = {
                "prefill": usd_s_p * (1 - share) / tok_s * 1e6,
                "decode": usd_s_d / tok_s * 1e6,
                "kv_tax": usd_s_p * share / tok_s * 1e6,
            }
            sizes = {"n_p": n_p, "n_d": n_d}
        else:
            lam = g["instance"]
            feasible = lam > 0
            n = pool(lam)
            usd_s = n * e.tp * e.gpu.price_per_second
            # split GPU time between prefill work and the rest (decode + SLO headroom)
            r = latencies(arch, e, lam_tot / n, I, O, chunk=dep.chunk, tpot_slo=dep.tpot_slo)
            busy = r["prefill_busy"] if arch == "colocated" else (lam_tot / n) * r["t_prefill"]
            pshare = np.clip(busy, 0, 1)
            terms = {
                "prefill": usd_s * pshare / tok_s * 1e6,
                "decode": usd_s * (1 - pshare) / tok_s * 1e6,
                "kv_tax": 0.0,
            }
            sizes = {"n": n}
    out = {k: np.where(feasible, v, np.inf) for k, v in terms.items()}
    out["usd_per_mtok"] = out["prefill"] + out["decode"] + out["kv_tax"]
    return out | sizes | {"feasible": feasible}


def evaluate(dep: Deployment, archs=ARCHS, integer_pools: bool = True) -> pd.DataFrame:
    """Cost per SLO-compliant output token of each architecture, with its three-term split
    (:func:`arch_costs` at one deployment of scalars).

    Columns: arch, instances, gpus, prefill / decode / kv_tax components (USD per million compliant
    output tokens), usd_per_mtok (total), feasible.
    With ``integer_pools`` the service rate ``arrival_rate`` is met with whole instances.
    """
    e, ed = dep.engines()
    rows = []
    for arch in archs:
        c = arch_costs(dep, arch, integer_pools)
        feasible = bool(c["feasible"])
        count = (lambda n: int(n)) if integer_pools else float
        if not feasible:
            gpus, inst = np.nan, "—"
        elif arch == "disaggregated":
            n_p, n_d = count(c["n_p"]), count(c["n_d"])
            gpus = n_p * e.tp + n_d * ed.tp
            inst = f"{n_p:g}P+{n_d:g}D" if integer_pools else f"{n_p:.2f}P+{n_d:.2f}D"
        else:
            n = count(c["n"])
            gpus = n * e.tp
            inst = f"{n:g}" if integer_pools else f"{n:.2f}"
        terms = {k: float(c[k]) for k in ("prefill", "decode", "kv_tax")}
        rows.append(
            {
                "arch": arch,
                "instances": inst,
                "gpus": gpus,
                **terms,
                "usd_per_mtok": terms["prefill"] + terms["decode"] + terms["kv_tax"],
                "feasible": feasible,
            }
        )
    return pd.DataFrame(rows)


def cost_grid(
    dep: Deployment, I, O, ttft_slo, tpot_slo, link_gb_s=None, archs=ARCHS
) -> dict[str, dict[str, np.ndarray]]:
    """Vectorised goodputs for maps: per architecture the per-instance rates and GPUs per instance.

    Returns ``{arch: {"lam": ..., "gpus": ..., "price_s": ...}}``; for ``"disaggregated"`` the keys are
    ``lam_p``, ``lam_d``, ``gpus_p``, ``gpus_d``. Use :func:`pool_cost` to turn them into USD per
    million SLO-compliant output tokens at a service arrival rate. ``archs`` limits the designs.
    """
    d = dep if link_gb_s is None else replace(dep, link_gb_s=link_gb_s)
    e, ed = d.engines()
    out = {}
    for arch in ("colocated", "chunked"):
        if arch in archs:
            g = goodput(arch, d, I, O, ttft_slo, tpot_slo)["instance"]
            out[arch] = {"lam": g, "gpus": e.tp, "price_s": e.gpu.price_per_second}
    if "disaggregated" not in archs:
        return out
    key = "tbt99" if d.tpot_metric == "tbt" else "tpot99"
    if link_gb_s is not None:
        I_, O_, S1, S2, L = np.broadcast_arrays(
            np.asarray(I, float),
            np.asarray(O, float),
            np.asarray(ttft_slo, float),
            np.asarray(tpot_slo, float),
            np.asarray(link_gb_s, float),
        )
        lam_p, lam_d = _dis_goodput(e, ed, I_, O_, S1, S2, Link(L * 1e9, d.eta), key)
    else:
        g = goodput("disaggregated", d, I, O, ttft_slo, tpot_slo)
        lam_p, lam_d = g["prefill"], g["decode"]
    out["disaggregated"] = {
        "lam_p": lam_p,
        "lam_d": lam_d,
        "gpus_p": e.tp,
        "gpus_d": ed.tp,
        "price_p": e.gpu.price_per_second,
        "price_d": ed.gpu.price_per_second,
    }
    return out


def pool_cost(entry: dict, rate, O, integer: bool = True) -> np.ndarray:
    """USD per million SLO-compliant output tokens for one :func:`cost_grid` entry at service ``rate``."""
    rate = np.asarray(rate, float)
    O = np.asarray(O, float)

    def n(lam):
        with np.errstate(divide="ignore", invalid="ignore"):
            x = np.where(lam > 0, rate / lam, np.inf)
        return np.ceil(x - 1e-9) if integer else x

    if "lam" in entry:
        usd_s = n(entry["lam"]) * entry["gpus"] * entry["price_s"]
    else:
        usd_s = (
            n(entry["lam_p"]) * entry["gpus_p"] * entry["price_p"]
            + n(entry["lam_d"]) * entry["gpus_d"] * entry["price_d"]
        )
    return usd_s / (rate * O) * 1e6


@dataclass(frozen=True)
class Recommendation:
    """Result of :func:`recommend`."""

    best: str
    runner_up: str
    margin: float  # (runner-up cost − best cost) / best cost
    table: pd.DataFrame = field(repr=False, compare=False)

    def summary(self) -> str:
        """One deterministic sentence."""
        if not np.isfinite(self.table["usd_per_mtok"].min()):
            return "No architecture meets the SLO contract on this deployment."
        c = self.table.set_index("arch")["usd_per_mtok"]
        if self.margin == 0:
            return (
                f"{ARCH_LABELS[self.best]} and {ARCH_LABELS[self.runner_up].lower()} tie at "
                f"${c[self.best]:.3f} per million SLO-compliant output tokens."
            )
        return (
            f"{ARCH_LABELS[self.best]}: ${c[self.best]:.3f} per million SLO-compliant output tokens, "
            f"{100 * self.margin:.1f}% cheaper than {ARCH_LABELS[self.runner_up].lower()} "
            f"(${c[self.runner_up]:.3f})."
        )


def recommend(
    gpu: str = "H100-SXM",
    model: str = "LLaMA-2-70B",
    input_tokens: float = 1024,
    output_tokens: float = 256,
    arrival_rate: float = 10.0,
    ttft_slo: float = 2.0,
    tpot_slo: float = 0.1,
    link_gb_s: float | None = None,
    **kw,
) -> Recommendation:
    """Practical entry point: each architecture's cost per SLO-compliant token and the cheapest one.

    >>> r = recommend("H100", "LLaMA-2-70B", 8192, 256, arrival_rate=4, ttft_slo=4, tpot_slo=0.1)
    >>> r.best in ARCHS
    True
    """
    dep = Deployment(
        gpu=hardware.canonical_gpu(gpu),
        model=model,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        arrival_rate=arrival_rate,
        ttft_slo=ttft_slo,
        tpot_slo=tpot_slo,
        link_gb_s=link_gb_s,
        **kw,
    )
    t = evaluate(dep)
    order = t.sort_values(["usd_per_mtok", "arch"]).reset_index(drop=True)
    best, second = order.loc[0, "arch"], order.loc[1, "arch"]
    c0, c1 = order.loc[0, "usd_per_mtok"], order.loc[1, "usd_per_mtok"]
    margin = (
        float((c1 - c0) / c0)
        if np.isfinite(c0) and np.isfinite(c1)
        else (np.inf if np.isfinite(c0) else np.nan)
    )
    return Recommendation(best=best, runner_up=second, margin=margin, table=t)


# ------------------------------------------------------------------ symbolic model


def symbolic_model() -> dict[str, sp.Expr]:
    """The reconstructed closed-form cost per SLO-compliant output token and its break-evens.

    Symbols: price ``p`` ($/GPU-s), attainment ``a``, input/output ratio ``r = I/O``, per-GPU
    prefill and decode goodput token rates ``X_P``, ``X_D`` of the disaggregated pools, KV bytes
    per token ``b``, link bandwidth ``B_x``, non-overlapped fraction ``eta``, and the colocated
    interference factors ``kappa_P``, ``kappa_D`` (colocated GPU-time per token is
    ``(1+kappa)/X``; negative kappa = piggyback discount).
    """
    p, a, r, XP, XD, b, Bx, eta, kP, kD, I, O = sp.symbols(
        "p a r X_P X_D b B_x eta kappa_P kappa_D I O", positive=True
    )
    kP, kD = sp.symbols("kappa_P kappa_D", real=True)
    G_dis = I / XP + O / XD + eta * I * b / Bx  # GPU-seconds per request
    G_col = I * (1 + kP) / XP + O * (1 + kD) / XD
    C_dis = sp.simplify((p * G_dis / (a * O)).subs(I, r * O))
    C_col = sp.simplify((p * G_col / (a * O)).subs(I, r * O))
    terms = {
        "prefill": p * r / (a * XP),
        "decode": p / (a * XD),
        "kv_tax": p * eta * r * b / (a * Bx),
    }
    Bx_star = sp.solve(sp.Eq(C_col, C_dis), Bx)[0]
    r_star = sp.solve(sp.Eq(C_col, C_dis), r)[0]
    return {
        "C_dis": C_dis,
        "C_col": C_col,
        "G_dis": G_dis,
        "G_col": G_col,
        "Bx_star": Bx_star,
        "r_star": r_star,
        **{f"term_{k}": v for k, v in terms.items()},
        "symbols": dict(
            p=p, a=a, r=r, X_P=XP, X_D=XD, b=b, B_x=Bx, eta=eta, kappa_P=kP, kappa_D=kD, I=I, O=O
        ),
    }


def implied_kappas(dep: Deployment) -> dict[str, float]:
    """Interference factors implied by the queueing model (continuous pools, chunked vs disaggregated).

    ``X_P``, ``X_D``: disaggregated per-GPU goodput token rates (input tokens/s/GPU on prefill,
    output tokens/s/GPU on decode); the colocated GPU-time per request ``tp/λ`` is split into
    prefill and decode shares as in :func:`evaluate` and expressed relative to them.
    """
    e, ed = dep.engines()
    I, O = dep.input_tokens, dep.output_tokens
    g = goodput("disaggregated", dep)
    XP = float(g["prefill"]) * I / e.tp
    XD = float(g["decode"]) * O / ed.tp
    t = evaluate(dep, archs=("chunked",), integer_pools=False).iloc[0]
    price = e.gpu.price_per_second
    # USD per Mtok -> GPU-seconds per output token
    gp = t["prefill"] / 1e6 / price
    gd = t["decode"] / 1e6 / price
    r = I / O
    return {
        "X_P": XP,
        "X_D": XD,
        "kappa_P": gp * XP / r - 1 if r > 0 else 0.0,
        "kappa_D": gd * XD - 1,
    }


def as_dict(dep: Deployment) -> dict:
    """A deployment as a plain dict (for tables)."""
    return asdict(dep)


__all__ = [
    "ARCHS",
    "Deployment",
    "Engine",
    "Link",
    "Recommendation",
    "cost_grid",
    "decode_batch",
    "evaluate",
    "goodput",
    "implied_kappas",
    "latencies",
    "min_tp",
    "pool_cost",
    "recommend",
    "replace",
    "symbolic_model",
]


# ------------------------------------------------------------------ calibration, maps and grids


def grid_table(fn, jobs: int = 1, **ranges) -> dict[tuple, object]:
    """``{values: fn(**inputs)}`` over the full grid of ``ranges`` (keys are value tuples in the order
    given); ``jobs > 1`` evaluates in forked worker processes. For results that several claims read."""
    import itertools

    names = list(ranges)
    combos = list(itertools.product(*(list(ranges[n]) for n in names)))
    return dict(zip(combos, map_kwargs(fn, [dict(zip(names, c)) for c in combos], jobs)))


def _out(x):
    """A 0-d result as a float, an array result as an array."""
    return float(x) if np.ndim(x) == 0 else np.asarray(x)


def speedup(base: Deployment, system: Deployment, base_arch: str, sys_arch: str):
    """Cost per compliant token of the baseline over that of the system (continuous pools); an
    array where the deployments hold arrays."""
    cb = arch_costs(base, base_arch)["usd_per_mtok"]
    cs = arch_costs(system, sys_arch)["usd_per_mtok"]
    with np.errstate(divide="ignore", invalid="ignore"):
        return _out(cb / cs)


def at_slack(
    model: str,
    gpu: str,
    I: float,
    O: float,
    slack,
    *,
    mfu,
    mbu,
    tpot_metric: str = "tbt",
    **kw,
) -> Deployment:
    """A deployment whose p99 SLOs are ``(1 + slack)`` × the unloaded latencies of its own engine
    (``slack``, ``mfu`` and ``mbu`` may be arrays that broadcast)."""
    e = Deployment(
        gpu=gpu, model=model, mfu=mfu, mbu=mbu, **{k: v for k, v in kw.items() if k == "tp"}
    ).engines()[0]
    s1, s2 = e.slos(I, O, slack)
    return Deployment(
        gpu=gpu,
        model=model,
        input_tokens=I,
        output_tokens=O,
        ttft_slo=_out(s1),
        tpot_slo=_out(s2),
        mfu=mfu,
        mbu=mbu,
        tpot_metric=tpot_metric,
        **kw,
    )


A100, H100 = "A100-80GB-SXM", "H100-SXM"
#: the setting at which each paper's headline speed-up is re-derived (model, GPU, I, O, extra settings);
#: the SLO slack and the efficiencies are the same declared inputs for every paper
CALIBRATION_SETTINGS = {
    "vllm": ("OPT-13B", A100, 256, 256, {}),
    "sarathi-mistral": ("Mistral-7B", A100, 1024, 256, {"tp": 1}),
    "sarathi-yi": ("Yi-34B", A100, 1024, 256, {"tp": 2}),
    "sarathi-falcon": ("Falcon-180B", A100, 1024, 256, {"tp": 8}),
    "distserve": ("OPT-13B", A100, 256, 256, {"link_gb_s": 300.0}),
    "splitwise": ("LLaMA-2-70B", H100, 1500, 250, {"link_gb_s": 200.0}),
    "mooncake-sim": ("LLaMA-2-70B", A100, 16384, 512, {"link_gb_s": 100.0}),
}


def _setting(row: str, slack, mbu, mfu, eta, tpot_metric: str) -> Deployment:
    """The deployment of one calibration row at the given slack, efficiencies and η."""
    model, gpu, I, O, kw = CALIBRATION_SETTINGS[row]
    extra = dict(kw)
    if "link_gb_s" in extra:
        extra["eta"] = eta
    return at_slack(model, gpu, I, O, slack, mfu=mfu, mbu=mbu, tpot_metric=tpot_metric, **extra)


def rederive(slack, mbu, mfu, eta: float = 0.5, tpot_metric: str = "tbt") -> dict:
    """Each calibration paper's speed-up in this frame, all at one SLO slack, efficiencies and η.

    vLLM: paged KV vs an Orca-style 2,048-slot reservation per sequence (colocated both); Sarathi-Serve:
    chunked vs plain continuous batching; DistServe: disaggregated over intra-node NVLink vs colocated;
    Splitwise: H100 prompt pool + A100 token pool vs all-H100 colocated (throughput per dollar);
    Mooncake: disaggregated over RDMA vs colocated at 16k-token prompts. ``slack``, ``mbu`` and
    ``mfu`` may be arrays: each value is then an array of their broadcast shape (one call for a grid).
    """
    shape = np.broadcast(np.asarray(slack), np.asarray(mbu), np.asarray(mfu)).shape
    out = {}
    for row in CALIBRATION_SETTINGS:
        b = _setting(row, slack, mbu, mfu, eta, tpot_metric)
        if row == "vllm":
            v = speedup(replace(b, reserve_tokens=2048), b, "colocated", "colocated")
        elif row.startswith("sarathi"):
            v = speedup(b, b, "colocated", "chunked")
        elif row == "splitwise":
            v = speedup(b, replace(b, decode_gpu=A100), "colocated", "disaggregated")
        else:
            v = speedup(b, b, "colocated", "disaggregated")
        out[row] = _out(np.broadcast_to(v, shape))
    return out


def iso_cost_power(slack, mbu, mfu, eta: float = 0.5, tpot_metric: str = "tbt"):
    """Splitwise's setting (:data:`CALIBRATION_SETTINGS`): the throughput-per-dollar and the
    throughput-per-watt ratio of H100 prompt + A100 token pools over an all-H100 colocated cluster.

    Continuous pool sizes; a GPU's power is its TDP (the provisioned power a cluster is sized by), so
    the watts of each cost term are its GPU-seconds times the TDP of the GPU that pays it. At equal
    cost *and* equal power the cluster is limited by the tighter budget, so its throughput ratio is
    the smaller of the two. Arrays broadcast (a pair of arrays for a grid).
    """
    b = _setting("splitwise", slack, mbu, mfu, eta, tpot_metric)
    tb = arch_costs(b, "colocated")
    ts = arch_costs(replace(b, decode_gpu=A100), "disaggregated")
    gp, gd = hardware.gpu(b.gpu), hardware.gpu(A100)

    def watts(usd, g: hardware.GPU):
        return usd / g.price_per_second * g.tdp_w

    w_base = watts(tb["usd_per_mtok"], gp)
    w_sys = watts(ts["prefill"] + ts["kv_tax"], gp) + watts(ts["decode"], gd)
    return _out(tb["usd_per_mtok"] / ts["usd_per_mtok"]), _out(w_base / w_sys)


def slo_tightening(
    slack,
    mbu,
    mfu,
    eta: float = 0.5,
    tpot_metric: str = "tbt",
    row: str = "distserve",
    iters: int = 8,
):
    """How many times tighter both p99 targets can be made for disaggregated serving at the cost per
    compliant token that colocated serving reaches at ``slack`` (DistServe's "× tighter SLO").

    Both designs use the setting of ``CALIBRATION_SETTINGS[row]``; the targets are a scale ``k`` times
    the unloaded latencies of the colocated engine, colocated at ``k = 1 + slack``. The result is
    ``(1 + slack) / k*`` with ``k*`` the smallest scale at which disaggregation costs no more
    (bisection on ``log k``); below 1 when disaggregation needs looser targets; 0 when it costs more
    at every scale up to 8 × ``(1 + slack)``; NaN when colocated serving is infeasible at ``slack``.
    Arrays broadcast: every point runs its own search, all points in one vectorised pass.
    """
    k0 = 1.0 + np.broadcast_to(np.asarray(slack, float), np.broadcast(slack, mbu, mfu).shape)

    def cost(arch: str, scale):
        d = _setting(row, scale - 1, mbu, mfu, eta, tpot_metric)
        return arch_costs(d, arch)["usd_per_mtok"]

    c_col = cost("colocated", k0)
    live = np.isfinite(c_col)  # else NaN

    def ok(k):
        return cost("disaggregated", k) <= c_col

    hi, zero = k0.copy(), np.zeros(k0.shape, bool)
    good = ok(hi)
    while (grow := live & ~good & ~zero).any():  # double until disaggregation is no dearer
        hi = np.where(grow, hi * 2, hi)
        zero |= grow & (hi > 8 * k0)
        good = np.where(grow & ~zero, ok(hi), good)
    live &= ~zero
    lo, run = hi / 2, live
    while (down := run & ok(lo) & (lo > 1e-3)).any():  # halve while it still is
        hi, lo, run = np.where(down, lo, hi), np.where(down, lo / 2, lo), down
    for _ in range(iters):
        mid = np.sqrt(lo * hi)
        g = ok(mid)
        lo, hi = np.where(g, lo, mid), np.where(g, mid, hi)
    return _out(np.where(np.isfinite(c_col), np.where(zero, 0.0, k0 / hi), np.nan))


# ------------------------------------------------------------------ break-even maps

MAP_DIMS = ("gpu", "mbu", "mfu", "eta", "bw", "slack", "r", "rate")


@dataclass(frozen=True)
class Maps:
    """Break-even maps as arrays: the cost per compliant token (USD per million) of plain colocated,
    chunked colocated and disaggregated serving over named axes (:data:`MAP_DIMS`, or what
    :meth:`sel` leaves of them); ``coords`` holds each axis's values."""

    dims: tuple[str, ...]
    coords: dict[str, tuple]
    c_plain: np.ndarray = field(repr=False)
    c_chunked: np.ndarray = field(repr=False)
    c_dis: np.ndarray = field(repr=False)

    @property
    def c_col(self) -> np.ndarray:
        """The cheaper colocated design's cost."""
        return np.minimum(self.c_plain, self.c_chunked)

    @property
    def dis_wins(self) -> np.ndarray:
        """Where disaggregation is strictly the cheapest."""
        return self.c_dis < self.c_col

    def axis(self, dim: str) -> int:
        """The position of a named axis."""
        return self.dims.index(dim)

    def sel(self, **at) -> Maps:
        """Fix axes: a scalar drops the axis (its value matched with ``isclose``, or equal for
        GPUs), a list keeps those values in that order."""
        dims, coords = list(self.dims), dict(self.coords)
        arrays = [self.c_plain, self.c_chunked, self.c_dis]
        for dim, v in at.items():
            vals, ax = coords[dim], dims.index(dim)
            pick = [_index(vals, x) for x in v] if isinstance(v, (list, tuple)) else _index(vals, v)
            arrays = [np.take(a, pick, axis=ax) for a in arrays]
            if isinstance(pick, list):
                coords[dim] = tuple(vals[i] for i in pick)
            else:
                dims.pop(ax)
                coords.pop(dim)
        return Maps(tuple(dims), coords, *arrays)

    def frame(self, order=("gpu", "rate", "bw", "slack", "r")) -> pd.DataFrame:
        """The maps as a long table (one row per point, axes in ``order`` varying slowest first):
        the axes, c_plain, c_chunked, c_dis, c_col (the cheaper colocated) and the winner."""
        order = [d for d in order if d in self.dims] + [d for d in self.dims if d not in order]
        perm = [self.axis(d) for d in order]
        idx = np.meshgrid(*(np.arange(len(self.coords[d])) for d in order), indexing="ij")
        cols = {d: np.asarray(self.coords[d])[i.ravel()] for d, i in zip(order, idx)}
        out = pd.DataFrame({d: cols[d] for d in self.dims})
        for k in ("c_plain", "c_chunked", "c_dis"):
            out[k] = np.transpose(getattr(self, k), perm).ravel()
        out["c_col"] = np.minimum(out["c_plain"], out["c_chunked"])
        out["winner"] = np.where(
            out["c_dis"] < out["c_col"],
            "disaggregated",
            np.where(out["c_chunked"] < out["c_plain"], "chunked colocated", "colocated"),
        )
        return out

    def values(self, arr: np.ndarray, order) -> np.ndarray:
        """``arr`` (one value per point of these maps' axes) with its axes in ``order``."""
        return np.transpose(arr, [self.axis(d) for d in order])


def _index(vals, x) -> int:
    """The position of ``x`` among an axis's values (``isclose`` for numbers)."""
    if isinstance(x, str):
        return list(vals).index(x)
    hits = np.flatnonzero(np.isclose(np.asarray(vals, float), x))
    if not len(hits):
        raise KeyError(f"{x!r} is not on the axis {vals!r}")
    return int(hits[0])


def breakeven_maps(
    model: str,
    gpus,
    r_grid,
    rates,
    bws,
    sigmas,
    *,
    O: float = 256.0,
    mfu=0.6,
    mbu=0.8,
    eta=0.5,
    tpot_metric: str = "tbt",
) -> Maps:
    """Cost per compliant token of plain colocated, chunked colocated and disaggregated serving over
    GPU × efficiencies × η × KV bandwidth × SLO slack × input/output ratio × service rate (whole
    instances), one vectorised evaluation per GPU. ``mbu``, ``mfu`` and ``eta`` are one value or a
    list each (the axes of :data:`MAP_DIMS`)."""
    axes = {"mbu": mbu, "mfu": mfu, "eta": eta, "bw": bws, "slack": sigmas, "r": r_grid}
    arr = {k: np.atleast_1d(np.asarray(v, float)) for k, v in axes.items()}
    rates = np.asarray(rates, float)

    def along(k):  # the values of one axis, shaped to broadcast over the per-GPU axes
        shape = [1] * len(arr)
        shape[list(arr).index(k)] = -1
        return arr[k].reshape(shape)

    I_grid = along("r") * O
    costs = {"c_plain": [], "c_chunked": [], "c_dis": []}
    full = tuple(len(v) for v in arr.values()) + (len(rates),)
    for g in gpus:
        d0 = Deployment(
            gpu=g,
            model=model,
            mfu=along("mfu"),
            mbu=along("mbu"),
            tpot_metric=tpot_metric,
            eta=along("eta"),
        )
        S1, S2 = d0.engines()[0].slos(I_grid, O, along("slack"))
        grid = cost_grid(d0, I_grid, O, S1, S2, link_gb_s=along("bw"))
        for k, arch in (
            ("c_plain", "colocated"),
            ("c_chunked", "chunked"),
            ("c_dis", "disaggregated"),
        ):
            entry = {
                n: v[..., None] if isinstance(v, np.ndarray) else v for n, v in grid[arch].items()
            }
            costs[k].append(np.broadcast_to(pool_cost(entry, rates, O), full))
    coords = {"gpu": tuple(gpus)} | {k: tuple(v.tolist()) for k, v in arr.items()}
    coords["rate"] = tuple(rates.tolist())
    return Maps(MAP_DIMS, coords, *(np.stack(costs[k]) for k in ("c_plain", "c_chunked", "c_dis")))


def _nan_reduce(fn, a: np.ndarray, axis: int) -> np.ndarray:
    """``fn`` (nanmin or nanmax) over one axis, NaN where every value is NaN (like pandas)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return fn(a, axis=axis)


def partition_numbers(
    maps: Maps, *, short_r: float = 0.25, long_r: float = 8.0, order=None
) -> dict[str, np.ndarray]:
    """The numbers that decide the abstract's partition, reduced over the ``r`` axis (every other
    axis kept, in ``order`` if given; fix rate and bandwidth with :meth:`Maps.sel` first).

    ``short_dis_over_col``: min over short-context cells (r ≤ short_r) of C_dis / C_col (≥ 1: colocation
    wins every one); ``short_rest_over_chunked``: min over those cells of min(C_plain, C_dis) / C_chunked
    (≥ 1: chunked prefill is the winner); ``long_dis_over_col``: max over long-context cells
    (r ≥ long_r) of C_dis / C_col (≤ 1: disaggregation wins every one).
    """
    ax = maps.axis("r")
    r = np.asarray(maps.coords["r"])
    short, long_ = np.flatnonzero(r <= short_r + 1e-12), np.flatnonzero(r >= long_r - 1e-12)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = maps.c_dis / maps.c_col
        rest = np.minimum(maps.c_plain, maps.c_dis) / maps.c_chunked
    out = {
        "short_dis_over_col": _nan_reduce(np.nanmin, np.take(ratio, short, axis=ax), ax),
        "short_rest_over_chunked": _nan_reduce(np.nanmin, np.take(rest, short, axis=ax), ax),
        "long_dis_over_col": _nan_reduce(np.nanmax, np.take(ratio, long_, axis=ax), ax),
    }
    if order is None:
        return out
    left = [d for d in maps.dims if d != "r"]
    return {k: np.transpose(v, [left.index(d) for d in order]) for k, v in out.items()}


def _changes(maps: Maps, along: str) -> np.ndarray:
    """Where the winner (disaggregated or not) differs between the values of ``along`` (axis dropped)."""
    w = maps.dis_wins
    ax = maps.axis(along)
    return w.any(axis=ax) & ~w.all(axis=ax)


def winner_varies(maps: Maps, along: str, keep=()) -> np.ndarray:
    """Number of lines along one axis (``"r"``, ``"rate"``, ``"bw"``, ``"slack"`` or ``"gpu"``) on which
    the winner (disaggregated or not) changes, summed over every other axis except those in ``keep``
    (fix axes with :meth:`Maps.sel` first); an array over the ``keep`` axes, in their order."""
    ch = _changes(maps, along)
    rest = [d for d in maps.dims if d != along]
    summed = tuple(i for i, d in enumerate(rest) if d not in keep)
    out_dims = [d for d in rest if d in keep]
    n = ch.sum(axis=summed)
    return np.transpose(n, [out_dims.index(d) for d in keep]) if keep else n


def winner_changes(maps: Maps, along: str, keep=()) -> np.ndarray:
    """Number of (r, rate) cells whose winner (disaggregated or not) differs between the values of
    ``along`` (e.g. ``"bw"`` or ``"gpu"``); every axis other than r and rate must be fixed
    (:meth:`Maps.sel`) or listed in ``keep`` (an array over them, in that order)."""
    if extra := [d for d in maps.dims if d not in (along, "r", "rate", *keep)]:
        raise ValueError(f"fix or keep the axes {extra}")
    return winner_varies(maps, along, keep=keep)


def dis_band(maps: Maps) -> tuple[float, float]:
    """(lowest, highest) ``r`` at which disaggregation is the cheapest, over maps whose only axis left
    is ``r`` (NaN, NaN where it never is)."""
    r = np.asarray(maps.coords["r"])[maps.dis_wins]
    return (float(r.min()), float(r.max())) if len(r) else (np.nan, np.nan)


# ------------------------------------------------------------------ the chapter's evaluations


def on_grid(fn, point: dict, **ranges):
    """``fn`` evaluated in one vectorised call on the full grid of ``ranges`` and at ``point``.

    Returns ``(grid, at_point)``: ``grid`` has one axis per range in order (what :func:`claims.grid`
    takes), ``at_point`` is ``fn(**point)``; a dict or tuple result is split key by key."""
    mesh = np.meshgrid(*(np.asarray(v, float) for v in ranges.values()), indexing="ij")
    shape = mesh[0].shape
    flat = {k: np.append(m.ravel(), point[k]) for k, m in zip(ranges, mesh)}
    res = fn(**flat)

    def split(v):
        v = np.asarray(v)
        return v[:-1].reshape(shape), float(v[-1])

    if isinstance(res, dict):
        parts = {k: split(v) for k, v in res.items()}
        return {k: p[0] for k, p in parts.items()}, {k: p[1] for k, p in parts.items()}
    if isinstance(res, tuple):
        parts = [split(v) for v in res]
        return tuple(p[0] for p in parts), tuple(p[1] for p in parts)
    return split(res)


def analytic_vs_simulated(
    dep: Deployment, cases, I: int, O: int, *, n_requests: int, rng, chunk: int = 512
) -> pd.DataFrame:
    """The analytic p99s (:func:`latencies`) next to the seeded discrete-event simulation's
    (:func:`costcorrect.models.serving.queueing.simulate`) for ``(architecture, rate)`` cases, one seed
    drawn from ``rng`` per case; the relative gaps in the ``… error`` columns (units in the names)."""
    from costcorrect.models.serving import queueing

    eng = dep.engines()[0]
    link = dep.link()  # eta of the transfer blocks the prefill GPU, all of it delays decode
    t_kv = I * eng.model.kv_bytes / link.bandwidth
    rows = []
    for arch, lam in cases:
        an = latencies(arch, eng, lam, I, O, chunk=chunk, link=link)
        sim = queueing.simulate(
            arch,
            lam,
            I,
            O,
            lambda n, c, p, pc: float(eng.step(n, c, p, pc)),
            n_requests=n_requests,
            seed=int(rng.integers(2**31)),
            chunk=chunk,
            kv_delay=t_kv,
            prefill_block=link.eta * t_kv,
        )
        s_ttft, s_tpot, s_tbt = sim.p99()
        rows.append(
            {
                "architecture": arch,
                "rate (req/s)": lam,
                "p99 TTFT analytic (s)": float(an["ttft99"]),
                "p99 TTFT simulated (s)": s_ttft,
                "p99 TBT analytic (ms)": 1e3 * float(an["tbt99"]),
                "p99 TBT simulated (ms)": 1e3 * s_tbt,
                "p99 TPOT analytic (ms)": 1e3 * float(an["tpot99"]),
                "p99 TPOT simulated (ms)": 1e3 * s_tpot,
            }
        )
    out = pd.DataFrame(rows)
    for k in ("TTFT", "TBT", "TPOT"):
        a, s = (c for c in out.columns if c.startswith(f"p99 {k} "))
        out[f"{k} error (fraction)"] = out[a] / out[s] - 1
    return out


#: the five system archetypes of the frontier: name -> (architecture, deployment overrides); a link of
#: "nvlink" is one direction of the GPU's NVLink per instance, "nic" its inter-node NIC per instance
FRONTIER_SYSTEMS = {
    "vLLM-style colocated": ("colocated", {}),
    "Sarathi-style chunked": ("chunked", {}),
    "DistServe-style P/D (NVLink)": ("disaggregated", {"link_gb_s": "nvlink"}),
    "Mooncake-style P/D (RDMA)": ("disaggregated", {"link_gb_s": 100.0}),
    "Splitwise-style P/D (H100→A100)": (
        "disaggregated",
        {"decode_gpu": "A100-80GB-SXM", "link_gb_s": "nic"},
    ),
}


def frontier_costs(model: str, gpus, I, O, slacks, **kw) -> pd.DataFrame:
    """Cost per million compliant output tokens (continuous pools) of each :data:`FRONTIER_SYSTEMS`
    archetype on each GPU at each SLO slack (targets ``(1 + slack)`` × the unloaded latency of the
    GPU's colocated engine); ``kw`` sets mfu, mbu, η and the TPOT metric. Infeasible points dropped;
    the heterogeneous system is skipped on its own decode GPU."""
    slacks = np.asarray(slacks, float)
    rows = []
    for g in gpus:
        base = Deployment(gpu=g, model=model, input_tokens=I, output_tokens=O, **kw)
        e0 = base.engines()[0]
        S1, S2 = e0.slos(I, O, slacks)
        for name, (arch, ov) in FRONTIER_SYSTEMS.items():
            if ov.get("decode_gpu") == g:
                continue
            ov = dict(ov)
            if ov.get("link_gb_s") == "nvlink":
                ov["link_gb_s"] = hardware.gpu(g).nvlink_gb_s / 2 * e0.tp
            elif ov.get("link_gb_s") == "nic":
                ov["link_gb_s"] = hardware.gpu(g).internode_gb_s * e0.tp
            link = ov.get("link_gb_s") if arch == "disaggregated" else None
            grid = cost_grid(replace(base, **ov), I, O, S1, S2, link_gb_s=link, archs=(arch,))
            usd = np.broadcast_to(pool_cost(grid[arch], 1e6, O, integer=False), slacks.shape)
            rows += [
                {"gpu": g, "system": name, "slack": s, "usd_per_mtok": float(u)}
                for s, u in zip(slacks, usd)
            ]
    fr = pd.DataFrame(rows)
    return fr[np.isfinite(fr["usd_per_mtok"])]


def calibration_baselines(cal: pd.DataFrame) -> pd.Series:
    """Each calibration system's headline baseline as its abstract names it (first row per system,
    parenthesised qualifiers dropped)."""
    import re

    heads = cal.groupby("system", sort=False)["baseline"].first()
    return heads.map(lambda b: re.sub(r"\s*\(.*\)", "", b).strip())


def step_table(engine: Engine, batches, I: float, O: float) -> pd.DataFrame:
    """Decode step time, per-token decode cost and the prompt's prefill time of one instance at each
    decode batch (mean context ``I + O/2`` per sequence); units in the column names."""
    B = np.asarray(batches)
    t = engine.step(B, B * (I + O / 2))
    return pd.DataFrame(
        {
            "decode batch": B,
            "decode step (ms)": 1e3 * t,
            "per-token decode cost (ms·GPU)": 1e3 * engine.tp * t / B,
            "prefill of the prompt (ms)": 1e3 * engine.prefill_time(I),
        }
    )


def compare_calibration(cal: pd.DataFrame, rederived: dict, other: dict) -> pd.DataFrame:
    """Each calibration row's published speed-up next to the re-derived one (``rederived``) and the
    re-derivation under the other reading of the TPOT contract (``other``)."""
    out = cal.loc[list(rederived), ["system", "speedup", "speedup_kind"]]
    out["recomputed (×)"] = pd.Series(rederived)
    out["recomputed / published (×)"] = out["recomputed (×)"] / out["speedup"]
    out["other contract reading (×)"] = pd.Series(other)
    return out
