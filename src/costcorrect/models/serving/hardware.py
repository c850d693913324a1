"""The book's one hardware model: GPU and model tables and the one step-time (roofline) model.

Reads the shared, sourced tables ``data/hardware/gpus.csv`` and ``data/hardware/models.csv``
(validated by :mod:`costcorrect.data`) and exposes them as DataFrames and frozen dataclasses.
The serving-frontier, power-cap and coral chapters all price a GPU step with :func:`step_time`:

``t = overhead + max((W + ctx·kv) / (BW·u_bw),  (2P·tokens + attention FLOPs) / (F·u_f·f/f_max))``

— weights plus KV reads against dense FLOPs including attention, a fixed per-iteration overhead,
achieved-bandwidth and achieved-compute fractions, and the SM clock (which scales compute only:
HBM has its own clock). The efficiencies are declared once, in :data:`EFFICIENCY` (with the range a
chapter sweeps in :data:`EFFICIENCY_RANGES`); a chapter overrides them only where it says why.

API: :func:`gpus`, :func:`gpu` (:class:`GPU`), :func:`models`, :func:`model` (:class:`Model`),
:func:`kv_bytes_per_token`, :class:`Efficiency`, :func:`step_terms`, :func:`step_time`,
:func:`decode_tokens_per_s`, :func:`max_batch`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np
import pandas as pd

GPU_TABLE = "hardware/gpus"
MODEL_TABLE = "hardware/models"
DATACENTER = (
    "A100-80GB-SXM",
    "H100-SXM",
    "H200-SXM",
)  # the SXM generations the serving chapter compares

_ALIASES = {
    "a100": "A100-80GB-SXM",
    "a100-80gb": "A100-80GB-SXM",
    "a100-sxm": "A100-80GB-SXM",
    "a100-80gb-sxm": "A100-80GB-SXM",
    "h100": "H100-SXM",
    "h100-sxm": "H100-SXM",
    "h100-sxm5": "H100-SXM",
    "h200": "H200-SXM",
    "h200-sxm": "H200-SXM",
    "l40s": "L40S",
}


@dataclass(frozen=True)
class GPU:
    """One GPU's specification (units in the field names) and rental price."""

    gpu: str
    name: str
    hbm_gb: float
    hbm_tb_s: float
    bf16_dense_tflops: float
    fp8_dense_tflops: float | None
    fp32_tflops: float
    nvlink_gb_s: float
    internode_gb_s: float
    tdp_w: float
    price_usd_per_hour: float
    price_date: str

    @property
    def hbm_bytes(self) -> float:
        """HBM capacity in bytes."""
        return self.hbm_gb * 1e9

    @property
    def hbm_bw(self) -> float:
        """HBM bandwidth in bytes/s."""
        return self.hbm_tb_s * 1e12

    @property
    def flops(self) -> float:
        """Dense BF16 peak in FLOP/s."""
        return self.bf16_dense_tflops * 1e12

    @property
    def nvlink_one_way(self) -> float:
        """NVLink bandwidth in one direction, bytes/s (half the quoted bidirectional figure)."""
        return self.nvlink_gb_s * 1e9 / 2

    @property
    def internode(self) -> float:
        """Inter-node NIC bandwidth per GPU, one direction, bytes/s."""
        return self.internode_gb_s * 1e9

    @property
    def price_per_second(self) -> float:
        """Rental price in USD per GPU-second."""
        return self.price_usd_per_hour / 3600.0

    @property
    def ridge_flop_per_byte(self) -> float:
        """Roofline ridge point (dense BF16 FLOP per HBM byte)."""
        return self.flops / self.hbm_bw

    def attainable_tflops(self, intensity):
        """The datasheet roofline: attainable dense BF16 TFLOP/s at arithmetic ``intensity``
        (FLOP per HBM byte; a number or an array), ``min(peak, intensity × bandwidth)``."""
        return np.minimum(self.bf16_dense_tflops, np.asarray(intensity) * self.hbm_tb_s)


@lru_cache(maxsize=1)
def _gpu_frame() -> pd.DataFrame:
    from costcorrect import data

    return data.load(GPU_TABLE).set_index("gpu")


def gpus(keys=None) -> pd.DataFrame:
    """The GPU table (a copy) indexed by the ``gpu`` key; ``keys`` selects rows in that order
    (e.g. :data:`DATACENTER`)."""
    df = _gpu_frame().copy()
    return df if keys is None else df.loc[list(keys)]


def canonical_gpu(name: str) -> str:
    """Map a loose GPU name ("H100", "a100") to its table key; raise ``KeyError`` if unknown."""
    keys = list(_gpu_frame().index)
    if name in keys:
        return name
    key = _ALIASES.get(name.strip().lower())
    if key is None or key not in keys:
        raise KeyError(f"unknown GPU {name!r}; known: {', '.join(keys)}")
    return key


def gpu(name: str) -> GPU:
    """One GPU as a frozen :class:`GPU` (accepts aliases such as ``"H100"``)."""
    row = _gpu_frame().loc[canonical_gpu(name)]
    fp8 = row["fp8_dense_tflops"]
    nic = row["internode_gb_s"]
    return GPU(
        gpu=canonical_gpu(name),
        name=str(row["name"]),
        hbm_gb=float(row["hbm_gb"]),
        hbm_tb_s=float(row["hbm_tb_s"]),
        bf16_dense_tflops=float(row["bf16_dense_tflops"]),
        fp8_dense_tflops=None
        if fp8 is None or (isinstance(fp8, float) and math.isnan(fp8))
        else float(fp8),
        fp32_tflops=float(row["fp32_tflops"]),
        nvlink_gb_s=float(row["nvlink_gb_s"]),
        internode_gb_s=float("nan")
        if nic is None or (isinstance(nic, float) and math.isnan(nic))
        else float(nic),
        tdp_w=float(row["tdp_w"]),
        price_usd_per_hour=float(row["price_usd_per_hour"]),
        price_date=str(row["price_date"]),
    )


def kv_bytes_per_token(layers: int, kv_heads: int, head_dim: int, dtype_bytes: float = 2) -> float:
    """KV-cache bytes per token: ``2 (K and V) × layers × kv_heads × head_dim × dtype_bytes``.

    >>> kv_bytes_per_token(32, 32, 128, 2)   # Llama-2-7B, FP16
    524288
    """
    for v, n in (
        (layers, "layers"),
        (kv_heads, "kv_heads"),
        (head_dim, "head_dim"),
        (dtype_bytes, "dtype_bytes"),
    ):
        if v <= 0:
            raise ValueError(f"{n} must be positive, got {v}")
    return 2 * layers * kv_heads * head_dim * dtype_bytes


# ---------------------------------------------------------------- models


@dataclass(frozen=True)
class Model:
    """A decoder-only transformer's serving-relevant architecture."""

    model: str
    params_b: float
    layers: int
    hidden: int
    heads: int
    kv_heads: int
    head_dim: int
    dtype_bytes: float = 2.0

    @property
    def weight_bytes(self) -> float:
        """Weight bytes at ``dtype_bytes`` per parameter."""
        return self.params_b * 1e9 * self.dtype_bytes

    @cached_property
    def kv_bytes(self) -> float:
        """KV-cache bytes per token."""
        return kv_bytes_per_token(self.layers, self.kv_heads, self.head_dim, self.dtype_bytes)

    @property
    def flops_per_token(self) -> float:
        """Dense forward FLOPs per token, ``2 × parameters`` (attention-score FLOPs excluded)."""
        return 2.0 * self.params_b * 1e9

    def attn_flops_per_token(self, context: float) -> float:
        """Attention score+value FLOPs per token at a given context length (``4·L·d·ctx``)."""
        return 4.0 * self.layers * self.heads * self.head_dim * context


@lru_cache(maxsize=1)
def _model_frame() -> pd.DataFrame:
    from costcorrect import data

    df = data.load(MODEL_TABLE).set_index("model")
    df["kv_bytes_per_token"] = [
        kv_bytes_per_token(int(r.layers), int(r.kv_heads), int(r.head_dim), 2)
        for r in df.itertuples()
    ]
    return df


def models() -> pd.DataFrame:
    """The model-architecture table with computed ``kv_bytes_per_token`` (FP16/BF16)."""
    return _model_frame().copy()


def model(name: str, dtype_bytes: float = 2.0) -> Model:
    """One model as a frozen :class:`Model`."""
    df = _model_frame()
    if name not in df.index:
        low = {k.lower(): k for k in df.index}
        if name.lower() not in low:
            raise KeyError(f"unknown model {name!r}; known: {', '.join(df.index)}")
        name = low[name.lower()]
    r = df.loc[name]
    return Model(
        model=name,
        params_b=float(r["params_b"]),
        layers=int(r["layers"]),
        hidden=int(r["hidden"]),
        heads=int(r["heads"]),
        kv_heads=int(r["kv_heads"]),
        head_dim=int(r["head_dim"]),
        dtype_bytes=dtype_bytes,
    )


# ---------------------------------------------------------------- the step-time model


@dataclass(frozen=True)
class Efficiency:
    """Achieved fractions of the datasheet peaks and the fixed per-iteration overhead.

    Reconstruction assumptions, chosen before any comparison and declared once for the book:
    ``mbu`` — achieved fraction of HBM bandwidth in a bandwidth-bound step; ``mfu`` — achieved
    fraction of dense BF16 peak in a compute-bound step; ``overhead_s`` — launch, sampling and
    scheduling time per iteration (does not scale with the SM clock here).
    """

    mbu: float = 0.8
    mfu: float = 0.6
    overhead_s: float = 0.004


EFFICIENCY = Efficiency()
#: the declared uncertainty of the efficiencies, swept by every verdict that depends on them
EFFICIENCY_RANGES = {"mbu": (0.6, 0.75, 0.9), "mfu": (0.4, 0.55, 0.7)}


def _no_prefill(n_prefill, prefill_ctx) -> bool:
    """True when a step runs no prompt tokens: ``n_prefill`` a scalar zero, ``prefill_ctx`` finite."""
    return (
        isinstance(n_prefill, (int, float))
        and n_prefill == 0
        and isinstance(prefill_ctx, (int, float))
        and math.isfinite(prefill_ctx)
    )


def step_terms(
    model: Model,
    gpu: GPU,
    n_decode,
    ctx,
    n_prefill=0.0,
    prefill_ctx=0.0,
    *,
    tp: int = 1,
    eff: Efficiency = EFFICIENCY,
    clock_ratio=1.0,
    state_bytes: float | None = None,
):
    """(memory time, compute time) of one iteration, seconds, without the fixed overhead.

    ``n_decode`` sequences decode one token each with ``ctx`` context tokens in total; ``n_prefill``
    prompt tokens run with mean attention context ``prefill_ctx`` each (``I/2`` for a whole prompt;
    earlier-chunk KV is re-read once). Bytes: weights once plus the KV read. FLOPs: ``2P`` per token
    plus attention ``4·L·d`` per (token, context token), for decode and prefill alike. ``tp`` GPUs share
    the work; the SM clock ``clock_ratio`` = f/f_max scales compute only. ``state_bytes`` models a
    linear-attention design: each decoding sequence reads a constant recurrent state of that many
    bytes instead of its KV cache (and no per-context attention FLOPs). Works on NumPy arrays.
    """
    d = model.heads * model.head_dim
    if state_bytes is None and _no_prefill(n_prefill, prefill_ctx):
        # decode only: the general expressions below without their zero prefill terms (x + 0 == x)
        ctx = np.asarray(ctx, float)
        t_mem = (model.weight_bytes + ctx * model.kv_bytes) / (tp * gpu.hbm_bw * eff.mbu)
        flops = model.flops_per_token * np.asarray(n_decode, float) + 4.0 * model.layers * d * ctx
        return t_mem, flops / (tp * gpu.flops * eff.mfu * np.asarray(clock_ratio, float))
    n_prefill = np.asarray(n_prefill, float)
    has_p = n_prefill > 0
    if state_bytes is None:
        bytes_ = (
            model.weight_bytes
            + (np.asarray(ctx, float) + np.where(has_p, prefill_ctx, 0.0)) * model.kv_bytes
        )
        attn_ctx = np.asarray(ctx, float) + n_prefill * np.asarray(prefill_ctx, float)
    else:
        bytes_ = model.weight_bytes + np.asarray(n_decode, float) * state_bytes
        attn_ctx = 0.0
    flops = (
        model.flops_per_token * (np.asarray(n_decode, float) + n_prefill)
        + 4.0 * model.layers * d * attn_ctx
    )
    t_mem = bytes_ / (tp * gpu.hbm_bw * eff.mbu)
    t_cmp = flops / (tp * gpu.flops * eff.mfu * np.asarray(clock_ratio, float))
    return t_mem, t_cmp


def _all_scalar(*xs) -> bool:
    return all(isinstance(x, (int, float)) for x in xs)


def _scalar_terms(model, gpu, n_decode, ctx, n_prefill, prefill_ctx, tp, eff, clock_ratio):
    """:func:`step_terms` for scalars, operation for operation (the same IEEE results)."""
    d = model.heads * model.head_dim
    n_p, ctx = float(n_prefill), float(ctx)
    bytes_ = model.weight_bytes + (ctx + (float(prefill_ctx) if n_p > 0 else 0.0)) * model.kv_bytes
    attn_ctx = ctx + n_p * float(prefill_ctx)
    flops = model.flops_per_token * (float(n_decode) + n_p) + 4.0 * model.layers * d * attn_ctx
    t_mem = bytes_ / (tp * gpu.hbm_bw * eff.mbu)
    return t_mem, flops / (tp * gpu.flops * eff.mfu * float(clock_ratio))


def step_time(
    model: Model,
    gpu: GPU,
    n_decode,
    ctx,
    n_prefill=0.0,
    prefill_ctx=0.0,
    *,
    tp: int = 1,
    eff: Efficiency = EFFICIENCY,
    clock_ratio=1.0,
    state_bytes: float | None = None,
):
    """Seconds for one iteration: ``overhead + max(memory time, compute time)`` (:func:`step_terms`)."""
    if (
        state_bytes is None
        and _all_scalar(n_decode, ctx, n_prefill, prefill_ctx, clock_ratio, eff.mbu, eff.mfu)
    ):  # one iteration of a simulation: the same arithmetic on Python floats, without array overhead
        t_mem, t_cmp = _scalar_terms(
            model, gpu, n_decode, ctx, n_prefill, prefill_ctx, tp, eff, clock_ratio
        )
        return eff.overhead_s + np.maximum(t_mem, t_cmp)
    t_mem, t_cmp = step_terms(
        model,
        gpu,
        n_decode,
        ctx,
        n_prefill,
        prefill_ctx,
        tp=tp,
        eff=eff,
        clock_ratio=clock_ratio,
        state_bytes=state_bytes,
    )
    return eff.overhead_s + np.maximum(t_mem, t_cmp)


def decode_tokens_per_s(
    model: Model,
    gpu: GPU,
    batch,
    context,
    *,
    tp: int = 1,
    eff: Efficiency = EFFICIENCY,
    clock_ratio=1.0,
    state_bytes: float | None = None,
):
    """Decode tokens/s of one instance at ``batch`` sequences of mean ``context`` tokens each."""
    batch = np.asarray(batch, float)
    return batch / step_time(
        model,
        gpu,
        batch,
        batch * np.asarray(context, float),
        tp=tp,
        eff=eff,
        clock_ratio=clock_ratio,
        state_bytes=state_bytes,
    )


def kv_capacity_tokens(model: Model, gpu: GPU, tp: int = 1, mem_frac: float = 0.9) -> float:
    """KV-cache tokens that fit next to the weights in ``mem_frac`` of the instance's HBM."""
    free = mem_frac * tp * gpu.hbm_bytes - model.weight_bytes
    return max(free, 0.0) / model.kv_bytes


def max_batch(model: Model, gpu: GPU, context: float, tp: int = 1, mem_frac: float = 0.9) -> int:
    """Largest decode batch whose KV cache (``context`` tokens per sequence) fits; 0 if none."""
    return math.floor(kv_capacity_tokens(model, gpu, tp, mem_frac) / context)
