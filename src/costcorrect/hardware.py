"""GPU and model hardware constants for the serving chapters.

Reads the sourced tables ``data/serving-frontier/gpus.csv`` and ``data/serving-frontier/models.csv``
(both validated by :mod:`costcorrect.data`) and exposes them as DataFrames and frozen dataclasses.

Stable API (used by other chapters):

* :func:`gpus` → DataFrame (one row per GPU, index = ``gpu`` key);
* :func:`gpu` → :class:`GPU` (frozen dataclass, SI helpers);
* :func:`kv_bytes_per_token` (layers × KV heads × head dim × 2 (K and V) × dtype bytes);
* :func:`models` / :func:`model` for the model-architecture table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

GPU_TABLE = "serving-frontier/gpus"
MODEL_TABLE = "serving-frontier/models"

_ALIASES = {
    "a100": "A100-80GB-SXM", "a100-80gb": "A100-80GB-SXM", "a100-sxm": "A100-80GB-SXM",
    "a100-80gb-sxm": "A100-80GB-SXM",
    "h100": "H100-SXM", "h100-sxm": "H100-SXM", "h100-sxm5": "H100-SXM",
    "h200": "H200-SXM", "h200-sxm": "H200-SXM",
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


@lru_cache(maxsize=1)
def _gpu_frame() -> pd.DataFrame:
    from . import data

    return data.load(GPU_TABLE).set_index("gpu")


def gpus() -> pd.DataFrame:
    """The GPU table (a copy), indexed by the ``gpu`` key (A100-80GB-SXM, H100-SXM, H200-SXM)."""
    return _gpu_frame().copy()


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
    return GPU(
        gpu=canonical_gpu(name), name=str(row["name"]), hbm_gb=float(row["hbm_gb"]),
        hbm_tb_s=float(row["hbm_tb_s"]), bf16_dense_tflops=float(row["bf16_dense_tflops"]),
        fp8_dense_tflops=None if fp8 is None or (isinstance(fp8, float) and math.isnan(fp8)) else float(fp8),
        nvlink_gb_s=float(row["nvlink_gb_s"]), internode_gb_s=float(row["internode_gb_s"]),
        tdp_w=float(row["tdp_w"]), price_usd_per_hour=float(row["price_usd_per_hour"]),
        price_date=str(row["price_date"]),
    )


def kv_bytes_per_token(layers: int, kv_heads: int, head_dim: int, dtype_bytes: float = 2) -> float:
    """KV-cache bytes per token: ``2 (K and V) × layers × kv_heads × head_dim × dtype_bytes``.

    >>> kv_bytes_per_token(32, 32, 128, 2)   # Llama-2-7B, FP16
    524288
    """
    for v, n in ((layers, "layers"), (kv_heads, "kv_heads"), (head_dim, "head_dim"), (dtype_bytes, "dtype_bytes")):
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

    @property
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
    from . import data

    df = data.load(MODEL_TABLE).set_index("model")
    df["kv_bytes_per_token"] = [
        kv_bytes_per_token(int(r.layers), int(r.kv_heads), int(r.head_dim), 2) for r in df.itertuples()
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
    return Model(model=name, params_b=float(r["params_b"]), layers=int(r["layers"]), hidden=int(r["hidden"]),
                 heads=int(r["heads"]), kv_heads=int(r["kv_heads"]), head_dim=int(r["head_dim"]),
                 dtype_bytes=dtype_bytes)
