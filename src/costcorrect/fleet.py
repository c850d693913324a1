"""Fleet procurement over heterogeneous GPUs: a reconstruction of Coral's joint allocation.

Coral (Mei et al. 2026, arXiv:2605.04357) jointly chooses, for every served model, how many
replicas to run on which GPU configuration. Its formulation is not public; this module builds the
smallest mixed-integer program with the same structure:

* a **replica configuration** ``c = (model m, GPU class g, tensor-parallel degree k)`` has a decode
  throughput ``t_c`` (tokens/s) and a price ``k · p_g`` (USD/h) — see :func:`replica_configs`;
* **joint allocation** (:func:`solve_joint`) picks integer replica counts ``x_c`` minimising
  ``Σ k_c p_g x_c`` subject to demand ``Σ_{c∈m} t_c x_c ≥ D_m`` for every model and availability
  ``Σ_{c∈g} k_c x_c ≤ A_g`` for every GPU class (``scipy.optimize.milp``);
* **per-model allocation** (:func:`solve_per_model`) solves each model alone inside a fixed share of
  every class's availability (:func:`need_shares`), as independent teams would;
* **homogeneous** (:func:`solve_homogeneous`) serves the whole fleet on one GPU class;
* **goodput** (:func:`max_goodput`) maximises the demand-weighted served fraction
  ``Σ_m s_m / D_m`` with ``s_m ≤ D_m`` when availability cannot meet all demand.

Throughput model (reconstruction): decode is memory-bound below the roofline ridge, so one step of a
replica reads the weights once plus the KV cache of its batch, at an achieved fraction ``eta_g`` of
the class's HBM bandwidth that is calibrated on a measured throughput (:func:`calibrate_eta`); a
compute bound ``2·params·B / (k·peak·eta_c)`` caps it, and each doubling of ``k`` keeps a fraction
``tp_eff`` of per-GPU throughput.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp


@dataclass(frozen=True)
class Arch:
    """The serving-relevant shape of a model (FP16/BF16 weights unless ``dtype_bytes`` says otherwise)."""

    name: str
    params_b: float
    layers: int
    kv_heads: int
    head_dim: int
    dtype_bytes: float = 2.0

    @classmethod
    def from_model(cls, m, name: str | None = None) -> "Arch":
        """The serving shape of a :class:`costcorrect.hardware.Model` (optionally under another name)."""
        return cls(name or m.model, m.params_b, m.layers, m.kv_heads, m.head_dim, m.dtype_bytes)

    @property
    def weight_bytes(self) -> float:
        return self.params_b * 1e9 * self.dtype_bytes

    @property
    def kv_bytes_per_token(self) -> float:
        from .hardware import kv_bytes_per_token

        return float(kv_bytes_per_token(self.layers, self.kv_heads, self.head_dim, self.dtype_bytes))


def roofline_tokens_per_s(arch: Arch, batch: float, context: float, hbm_tb_s: float, tflops: float,
                          k: int = 1, eta_bw: float = 1.0, eta_c: float = 0.5) -> float:
    """Decode tokens/s of one replica of ``k`` GPUs at ``batch`` sequences of mean ``context`` tokens."""
    bytes_step = arch.weight_bytes + batch * context * arch.kv_bytes_per_token
    t_mem = bytes_step / (k * hbm_tb_s * 1e12 * eta_bw)
    t_cmp = 2.0 * arch.params_b * 1e9 * batch / (k * tflops * 1e12 * eta_c)
    return batch / max(t_mem, t_cmp)


def calibrate_eta(measured_tokens_per_s: float, arch: Arch, batch: float, context: float,
                  hbm_tb_s: float, tflops: float) -> float:
    """Achieved bandwidth fraction that makes the memory-bound roofline match a measured throughput."""
    ideal = roofline_tokens_per_s(arch, batch, context, hbm_tb_s, tflops, 1, 1.0, 1e9)
    return measured_tokens_per_s / ideal


def replica_configs(archs: Sequence[Arch], gpus: pd.DataFrame, *, context: float = 1024.0,
                    max_batch: int = 256, mem_frac: float = 0.9, tp_eff: float = 0.9,
                    ks: Sequence[int] = (1, 2, 4, 8)) -> pd.DataFrame:
    """All feasible replica configurations (model × GPU class × TP degree) with throughput and price.

    ``gpus`` is indexed by GPU class with columns ``hbm_gb``, ``hbm_tb_s``, ``bf16_dense_tflops``,
    ``price_usd_per_hour`` and ``eta_bw``. A configuration is feasible when the weights fit in
    ``mem_frac`` of the replica's memory with room for at least one sequence of ``context`` tokens;
    its batch is as large as the remaining memory allows, at most ``max_batch``.
    """
    rows = []
    for a in archs:
        for g, r in gpus.iterrows():
            for k in ks:
                free = k * r["hbm_gb"] * 1e9 * mem_frac - a.weight_bytes
                batch = min(max_batch, math.floor(free / (context * a.kv_bytes_per_token))) if free > 0 else 0
                if batch < 1:
                    continue
                tps = roofline_tokens_per_s(a, batch, context, r["hbm_tb_s"], r["bf16_dense_tflops"], k,
                                            r["eta_bw"]) * tp_eff ** math.log2(k)
                usd_h = k * r["price_usd_per_hour"]
                rows.append({"model": a.name, "gpu": g, "k": k, "batch": batch, "tokens_per_s": tps,
                             "usd_per_hour": usd_h, "usd_per_mtok": usd_h / (tps * 3600) * 1e6})
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class FleetPlan:
    """A solved allocation: total USD/h, replica counts per configuration, GPUs used per class."""

    cost_per_hour: float
    replicas: pd.DataFrame
    gpus_used: dict
    feasible: bool


def _milp_cost(cfg: pd.DataFrame, demand: Mapping[str, float], caps: Mapping[str, float]) -> FleetPlan:
    models = list(demand)
    cfg = cfg[cfg["model"].isin(models)].reset_index(drop=True)
    if cfg.empty:
        return FleetPlan(math.inf, cfg.assign(replicas=0), {}, False)
    n = len(cfg)
    c = cfg["usd_per_hour"].to_numpy(float)
    rows, lo, hi = [], [], []
    for m in models:
        rows.append(np.where(cfg["model"] == m, cfg["tokens_per_s"], 0.0))
        lo.append(float(demand[m]))
        hi.append(np.inf)
    for g, cap in caps.items():
        if math.isfinite(cap):
            rows.append(np.where(cfg["gpu"] == g, cfg["k"], 0).astype(float))
            lo.append(-np.inf)
            hi.append(float(cap))
    res = milp(c, constraints=LinearConstraint(np.array(rows), lo, hi), integrality=np.ones(n),
               bounds=Bounds(0, np.inf), options={"disp": False})
    if not res.success:
        return FleetPlan(math.inf, cfg.assign(replicas=0), {}, False)
    x = np.round(res.x).astype(int)
    out = cfg.assign(replicas=x)
    used = {g: int((out["k"] * out["replicas"])[out["gpu"] == g].sum()) for g in out["gpu"].unique()}
    return FleetPlan(float(c @ x), out[out["replicas"] > 0].reset_index(drop=True), used, True)


def solve_joint(cfg: pd.DataFrame, demand: Mapping[str, float], caps: Mapping[str, float]) -> FleetPlan:
    """Minimum-cost joint allocation of all models under shared GPU availability ``caps``."""
    return _milp_cost(cfg, demand, caps)


def need_shares(cfg: pd.DataFrame, demand: Mapping[str, float]) -> pd.DataFrame:
    """Each model's share of each GPU class, in proportion to the GPUs it would need on that class.

    Need = demand ÷ (best tokens/s per GPU of the model on the class). Rows: GPU classes; columns:
    models; each row sums to 1.
    """
    per_gpu = cfg.assign(tps_per_gpu=cfg["tokens_per_s"] / cfg["k"]).groupby(["gpu", "model"])["tps_per_gpu"].max()
    need = per_gpu.unstack("model").reindex(columns=list(demand))
    need = pd.DataFrame({m: demand[m] / need[m] for m in demand}).fillna(0.0)
    return need.div(need.sum(axis=1), axis=0)


def solve_per_model(cfg: pd.DataFrame, demand: Mapping[str, float], caps: Mapping[str, float],
                    shares: pd.DataFrame | None = None) -> FleetPlan:
    """Each model alone, inside ``floor(share × cap)`` of every capped class; costs add up."""
    shares = need_shares(cfg, demand) if shares is None else shares
    total, parts, used, ok = 0.0, [], {}, True
    for m in demand:
        own = {g: (math.floor(shares.loc[g, m] * cap) if math.isfinite(cap) else cap) for g, cap in caps.items()}
        plan = _milp_cost(cfg, {m: demand[m]}, own)
        ok &= plan.feasible
        total += plan.cost_per_hour
        parts.append(plan.replicas)
        for g, v in plan.gpus_used.items():
            used[g] = used.get(g, 0) + v
    return FleetPlan(total, pd.concat(parts, ignore_index=True), used, ok)


def solve_homogeneous(cfg: pd.DataFrame, demand: Mapping[str, float], caps: Mapping[str, float]) -> tuple[str, FleetPlan]:
    """The cheapest single-class fleet (every model on one GPU class) and its plan."""
    best = ("", FleetPlan(math.inf, cfg.iloc[:0], {}, False))
    for g in sorted(cfg["gpu"].unique()):
        plan = _milp_cost(cfg[cfg["gpu"] == g], demand, {g: caps.get(g, math.inf)})
        if plan.cost_per_hour < best[1].cost_per_hour:
            best = (g, plan)
    return best


def max_goodput(cfg: pd.DataFrame, demand: Mapping[str, float], caps: Mapping[str, float]) -> tuple[float, dict]:
    """Maximise Σ_m s_m/D_m (served fraction, each ≤ 1) under availability; returns (goodput, served)."""
    models = list(demand)
    cfg = cfg[cfg["model"].isin(models)].reset_index(drop=True)
    n, M = len(cfg), len(models)
    # variables: x_c (integer replicas), s_m (served tokens/s, continuous)
    c = np.concatenate([np.zeros(n), -np.array([1.0 / demand[m] for m in models])])
    rows, lo, hi = [], [], []
    for i, m in enumerate(models):
        r = np.zeros(n + M)
        r[:n] = -np.where(cfg["model"] == m, cfg["tokens_per_s"], 0.0)
        r[n + i] = 1.0
        rows.append(r); lo.append(-np.inf); hi.append(0.0)
    for g, cap in caps.items():
        if math.isfinite(cap):
            r = np.zeros(n + M)
            r[:n] = np.where(cfg["gpu"] == g, cfg["k"], 0)
            rows.append(r); lo.append(-np.inf); hi.append(float(cap))
    upper = np.concatenate([np.full(n, np.inf), [float(demand[m]) for m in models]])
    res = milp(c, constraints=LinearConstraint(np.array(rows), lo, hi),
               integrality=np.concatenate([np.ones(n), np.zeros(M)]), bounds=Bounds(0, upper),
               options={"disp": False})
    if not res.success:
        raise RuntimeError(f"goodput MILP failed: {res.message}")
    served = {m: float(res.x[n + i]) for i, m in enumerate(models)}
    return float(-res.fun), served


def max_goodput_per_model(cfg: pd.DataFrame, demand: Mapping[str, float], caps: Mapping[str, float],
                          shares: pd.DataFrame | None = None) -> float:
    """Σ_m served fraction when each model maximises its own goodput inside its share of ``caps``."""
    shares = need_shares(cfg, demand) if shares is None else shares
    total = 0.0
    for m in demand:
        own = {g: (math.floor(shares.loc[g, m] * cap) if math.isfinite(cap) else cap) for g, cap in caps.items()}
        total += max_goodput(cfg, {m: demand[m]}, own)[0]
    return total


GPU_COLUMNS = ["name", "hbm_gb", "hbm_tb_s", "bf16_dense_tflops", "price_usd_per_hour", "price_date"]


def gpu_table(context: float = 1024.0, same_eta: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The fleet's GPU classes with calibrated ``eta_bw``.

    A100/H100/H200 come from the shared serving-frontier table (:func:`costcorrect.hardware.gpus`),
    mid-tier classes from ``data/coral/gpus.csv``; ``eta_bw`` is calibrated per class on
    ``data/coral/anchors.csv``. Classes without an anchor borrow the value of the class named in
    ``same_eta`` (default: H200 uses H100's, same Hopper generation).
    """
    from . import data, hardware

    shared = hardware.gpus()[GPU_COLUMNS].assign(table="serving-frontier/gpus")
    own = data.load("coral/gpus").set_index("gpu")[GPU_COLUMNS].assign(table="coral/gpus")
    g = pd.concat([shared, own])
    g["price_date"] = g["price_date"].astype(str)
    anchors = data.load("coral/anchors").set_index("gpu")
    eta = {}
    for name, r in anchors.iterrows():
        a = Arch(str(r["model"]), float(r["params_b"]), int(r["layers"]), int(r["kv_heads"]), int(r["head_dim"]))
        eta[name] = calibrate_eta(float(r["tokens_per_s"]), a, float(r["batch"]), context,
                                  float(g.loc[name, "hbm_tb_s"]), float(g.loc[name, "bf16_dense_tflops"]))
    for name, donor in (same_eta or {"H200-SXM": "H100-SXM"}).items():
        eta[name] = eta[donor]
    g["eta_bw"] = pd.Series(eta)
    return g
