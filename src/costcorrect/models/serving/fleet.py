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

Throughput model: the book's one step model (:func:`costcorrect.models.serving.hardware.step_time`), with the
achieved bandwidth fraction ``eta_g`` of each class calibrated on a measured throughput
(:func:`calibrate_eta`) — the one place this chapter departs from the declared efficiencies, because
it has a measurement per class — and each doubling of ``k`` keeping a fraction ``tp_eff`` of
per-GPU throughput.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp


@contextmanager
def _quiet_solver() -> Iterator[None]:
    """Silence HiGHS's debug lines, which it writes to the process's stdout file descriptor even with
    ``disp=False`` (they would make a chapter's checked output depend on the solver's search path)."""
    import os
    import sys

    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def calibrate_eta(
    measured_tokens_per_s: float, model, gpu, batch: float, context: float, eff=None
) -> float:
    """Achieved bandwidth fraction ``mbu`` that makes the shared step model
    (:func:`costcorrect.models.serving.hardware.step_time`, bandwidth-bound, with its fixed overhead)
    reproduce a measured decode throughput."""
    from costcorrect.models.serving import hardware

    eff = eff or hardware.EFFICIENCY
    step = batch / measured_tokens_per_s - eff.overhead_s
    if step <= 0:
        raise ValueError("measured throughput is faster than the fixed overhead allows")
    ideal = hardware.Efficiency(mbu=1.0, mfu=1e9, overhead_s=0.0)
    t_mem, _ = hardware.step_terms(model, gpu, batch, batch * context, eff=ideal)
    return float(t_mem / step)


def replica_configs(
    models: Sequence,
    gpus: pd.DataFrame,
    *,
    context: float = 1024.0,
    max_batch: int = 256,
    mem_frac: float = 0.9,
    tp_eff: float = 0.9,
    ks: Sequence[int] = (1, 2, 4, 8),
    mfu: float | None = None,
) -> pd.DataFrame:
    """All feasible replica configurations (model × GPU class × TP degree) with throughput and price.

    ``models`` are :class:`costcorrect.models.serving.hardware.Model`; ``gpus`` is indexed by GPU key
    (rows of the shared hardware table) with a column ``eta_bw`` (achieved bandwidth fraction,
    :func:`gpu_table`). Throughput is the shared step model's
    (:func:`costcorrect.models.serving.hardware.decode_tokens_per_s`); each doubling of ``k`` keeps
    a fraction ``tp_eff`` of per-GPU throughput. A configuration is feasible
    when the weights fit in ``mem_frac`` of the replica's memory with room for one sequence of
    ``context`` tokens; its batch is as large as the remaining memory allows, at most ``max_batch``.
    """
    from costcorrect.models.serving import hardware

    mfu = hardware.EFFICIENCY.mfu if mfu is None else mfu
    rows = []
    for m in models:
        for g, r in gpus.iterrows():
            gpu = hardware.gpu(g)
            eff = hardware.Efficiency(
                mbu=float(r["eta_bw"]), mfu=mfu, overhead_s=hardware.EFFICIENCY.overhead_s
            )
            for k in ks:
                batch = min(max_batch, hardware.max_batch(m, gpu, context, k, mem_frac))
                if batch < 1:
                    continue
                tps = float(
                    hardware.decode_tokens_per_s(m, gpu, batch, context, tp=k, eff=eff)
                ) * tp_eff ** math.log2(k)
                usd_h = k * gpu.price_usd_per_hour
                rows.append(
                    {
                        "model": m.model,
                        "gpu": g,
                        "k": k,
                        "batch": batch,
                        "tokens_per_s": tps,
                        "usd_per_hour": usd_h,
                        "usd_per_mtok": usd_h / (tps * 3600) * 1e6,
                    }
                )
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class FleetPlan:
    """A solved allocation: total USD/h, replica counts per configuration, GPUs used per class."""

    cost_per_hour: float
    replicas: pd.DataFrame
    gpus_used: dict
    feasible: bool


def _rows(cfg: pd.DataFrame) -> tuple:
    """The configurations as a hashable tuple of ``(model, gpu, k, tokens/s, USD/h)`` rows, in order."""
    return tuple(
        zip(
            cfg["model"].astype(str).tolist(),
            cfg["gpu"].astype(str).tolist(),
            cfg["k"].astype(int).tolist(),
            cfg["tokens_per_s"].astype(float).tolist(),
            cfg["usd_per_hour"].astype(float).tolist(),
        )
    )


class _Family:
    """The solved instances of one MILP family: the same configurations and demand, under different
    availability caps (a sweep over scarcity re-solves the same family with tighter caps).

    An instance is solved once. A solution of a looser instance (every cap at least as high) that
    fits the tighter caps is optimal for them too, and a looser instance that is infeasible makes the
    tighter one infeasible: neither needs a solve. ``kind`` is ``"cost"`` (:func:`solve_joint`) or
    ``"goodput"`` (:func:`max_goodput`); the program of a solved instance is built exactly as a
    single call would build it.
    """

    def __init__(self, kind: str, rows: tuple, demand: tuple) -> None:
        self.kind, self.demand = kind, demand
        self.models = [m for m, _ in demand]
        model, self.gpu, k, tps, usd = (np.array(c) for c in zip(*rows))
        self.k, self.tps, self.usd = k.astype(float), tps.astype(float), usd.astype(float)
        self.model = model
        self.solved: list[tuple[dict, tuple]] = []

    def usage(self, x: np.ndarray, g: str) -> float:
        return float(self.k[self.gpu == g] @ np.round(x[self.gpu == g]))

    def solve(self, caps: Mapping[str, float]) -> tuple:
        finite = {g: float(c) for g, c in caps.items() if math.isfinite(c)}
        for done, res in self.solved:
            if done == finite:
                return res
        for done, res in self.solved:
            if any(g not in finite for g in done) or any(
                done.get(g, math.inf) < c for g, c in finite.items()
            ):
                continue  # not looser
            if res[1] is None:
                return res  # the looser instance is infeasible
            if all(self.usage(res[1], g) <= c for g, c in finite.items()):
                return res
        res = self._cost(caps) if self.kind == "cost" else self._goodput(caps)
        self.solved.append((finite, res))
        return res

    def _cap_rows(self, caps: Mapping[str, float], n: int):
        rows, hi = [], []
        for g, cap in caps.items():
            if math.isfinite(cap):
                r = np.zeros(n)
                r[: len(self.k)] = np.where(self.gpu == g, self.k, 0.0)
                rows.append(r)
                hi.append(float(cap))
        return rows, hi

    def _cost(self, caps: Mapping[str, float]) -> tuple:
        n = len(self.k)
        rows = [np.where(self.model == m, self.tps, 0.0) for m in self.models]
        lo, hi = [float(d) for _, d in self.demand], [np.inf] * len(self.models)
        cap_rows, cap_hi = self._cap_rows(caps, n)
        with _quiet_solver():
            res = milp(
                self.usd,
                constraints=LinearConstraint(
                    np.array(rows + cap_rows), lo + [-np.inf] * len(cap_hi), hi + cap_hi
                ),
                integrality=np.ones(n),
                bounds=Bounds(0, np.inf),
                options=_options(caps, self.kind),
            )
        if not res.success:
            return (math.inf, None)
        x = np.round(res.x).astype(int)
        return (float(self.usd @ x), x)

    def _goodput(self, caps: Mapping[str, float]) -> tuple:
        n, M = len(self.k), len(self.models)
        # variables: x_c (integer replicas), s_m (served tokens/s, continuous)
        c = np.concatenate([np.zeros(n), -np.array([1.0 / d for _, d in self.demand])])
        rows = []
        for i, m in enumerate(self.models):
            r = np.zeros(n + M)
            r[:n] = -np.where(self.model == m, self.tps, 0.0)
            r[n + i] = 1.0
            rows.append(r)
        cap_rows, cap_hi = self._cap_rows(caps, n + M)
        upper = np.concatenate([np.full(n, np.inf), [float(d) for _, d in self.demand]])
        with _quiet_solver():
            res = milp(
                c,
                constraints=LinearConstraint(
                    np.array(rows + cap_rows), [-np.inf] * (M + len(cap_hi)), [0.0] * M + cap_hi
                ),
                integrality=np.concatenate([np.ones(n), np.zeros(M)]),
                bounds=Bounds(0, upper),
                options=_options(caps, self.kind),
            )
        if not res.success:
            raise RuntimeError(f"goodput MILP failed: {res.message}")
        return (float(-res.fun), res.x[:n], res.x[n:])


def _options(caps: Mapping[str, float], kind: str) -> dict:
    """HiGHS options. A capped cost instance is solved without presolve, which is faster and reaches
    the same optimal cost (only the cost of a capped instance is used; which of several equally cheap
    plans comes back may differ). The uncapped instance, whose replica counts fix the baselines'
    slices, and every goodput instance are solved with the defaults."""
    capped = any(math.isfinite(c) for c in caps.values())
    return {"disp": False, "presolve": not (capped and kind == "cost")}


@lru_cache(maxsize=512)
def _family(kind: str, rows: tuple, demand: tuple) -> _Family:
    return _Family(kind, rows, demand)


def _family_of(kind: str, cfg: pd.DataFrame, demand: Mapping[str, float]) -> _Family | None:
    """The MILP family of ``cfg`` (restricted to the demanded models) and ``demand``; None if empty."""
    models = list(demand)
    cfg = cfg[cfg["model"].isin(models)].reset_index(drop=True)
    if cfg.empty:
        return None
    return _family(kind, _rows(cfg), tuple((m, float(demand[m])) for m in models))


def _cost(fam: _Family | None, caps: Mapping[str, float]) -> float:
    """Optimal USD/h of a cost family under ``caps`` (inf if infeasible or empty)."""
    return math.inf if fam is None else fam.solve(caps)[0]


def _milp_cost(
    cfg: pd.DataFrame, demand: Mapping[str, float], caps: Mapping[str, float]
) -> FleetPlan:
    models = list(demand)
    cfg = cfg[cfg["model"].isin(models)].reset_index(drop=True)
    if cfg.empty:
        return FleetPlan(math.inf, cfg.assign(replicas=0), {}, False)
    fam = _family("cost", _rows(cfg), tuple((m, float(demand[m])) for m in models))
    cost, x = fam.solve(caps)
    if x is None:
        return FleetPlan(math.inf, cfg.assign(replicas=0), {}, False)
    out = cfg.assign(replicas=x)
    used = dict.fromkeys(pd.unique(out["gpu"]), 0)
    for g, k, n in zip(out["gpu"], out["k"], x):
        used[g] += int(k) * int(n)
    return FleetPlan(cost, out[out["replicas"] > 0].reset_index(drop=True), used, True)


def solve_joint(
    cfg: pd.DataFrame, demand: Mapping[str, float], caps: Mapping[str, float]
) -> FleetPlan:
    """Minimum-cost joint allocation of all models under shared GPU availability ``caps``."""
    return _milp_cost(cfg, demand, caps)


def need_shares(cfg: pd.DataFrame, demand: Mapping[str, float]) -> pd.DataFrame:
    """Each model's share of each GPU class, in proportion to the GPUs it would need on that class.

    Need = demand ÷ (best tokens/s per GPU of the model on the class). Rows: GPU classes; columns:
    models; each row sums to 1.
    """
    per_gpu = (
        cfg.assign(tps_per_gpu=cfg["tokens_per_s"] / cfg["k"])
        .groupby(["gpu", "model"])["tps_per_gpu"]
        .max()
    )
    need = per_gpu.unstack("model").reindex(columns=list(demand))
    need = pd.DataFrame({m: demand[m] / need[m] for m in demand}).fillna(0.0)
    return need.div(need.sum(axis=1), axis=0)


def apportion(total: int, weights: Mapping[str, float]) -> dict[str, int]:
    """Split ``total`` whole GPUs in proportion to ``weights`` by largest remainder (Hamilton).

    Every GPU is assigned (the parts sum to ``total``) and no part differs from its exact share by a
    whole GPU or more; zero weights get nothing (all-zero weights: an even split).
    """
    total = int(total)
    keys = list(weights)
    w = np.array([max(float(weights[k]), 0.0) for k in keys])
    if total <= 0 or not keys:
        return dict.fromkeys(keys, 0)
    if w.sum() <= 0:
        w = np.ones(len(keys))
    exact = total * w / w.sum()
    base = np.floor(exact).astype(int)
    rest = total - int(base.sum())
    order = np.argsort(-(exact - base), kind="stable")
    base[order[:rest]] += 1
    return {k: int(v) for k, v in zip(keys, base)}


def plan_shares(plan: FleetPlan, models: Sequence[str], classes: Sequence[str]) -> pd.DataFrame:
    """GPUs of each class that each model uses in ``plan``, as shares (rows: classes; columns: models).

    The stated sizing rule of the per-model baseline: every team keeps the slice of each class it
    would use in the ample-supply joint optimum; a class that no model uses there is split evenly.
    """
    r = plan.replicas
    used = (
        r.assign(g=r["k"] * r["replicas"])
        .groupby(["gpu", "model"])["g"]
        .sum()
        .unstack("model")
        .reindex(index=list(classes), columns=list(models))
        .fillna(0.0)
    )
    tot = used.sum(axis=1)
    even = pd.DataFrame(1.0 / len(models), index=used.index, columns=used.columns)
    return used.div(tot.where(tot > 0), axis=0).where(tot > 0, even, axis=0)


def team_caps(caps: Mapping[str, float], shares: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Each model's own availability: every finite class cap apportioned by ``shares`` (all GPUs
    assigned, no rounding loss); unlimited classes stay unlimited for every team."""
    out: dict[str, dict[str, float]] = {m: {} for m in shares.columns}
    for g, cap in caps.items():
        if math.isfinite(cap):
            w = shares.loc[g] if g in shares.index else pd.Series(1.0, index=shares.columns)
            part = apportion(int(cap), {m: float(w[m]) for m in shares.columns})
            for m in shares.columns:
                out[m][g] = part[m]
        else:
            for m in shares.columns:
                out[m][g] = cap
    return out


def solve_per_model(
    cfg: pd.DataFrame,
    demand: Mapping[str, float],
    caps: Mapping[str, float],
    shares: pd.DataFrame | None = None,
) -> FleetPlan:
    """Each model alone, inside its apportioned slice of every capped class (:func:`team_caps`); costs add up.

    ``shares`` (rows: classes, columns: models) defaults to :func:`need_shares`.
    """
    shares = need_shares(cfg, demand) if shares is None else shares
    own_caps = team_caps(caps, shares)
    total, parts, used, ok = 0.0, [], {}, True
    for m in demand:
        own = own_caps[m]
        plan = _milp_cost(cfg, {m: demand[m]}, own)
        ok &= plan.feasible
        total += plan.cost_per_hour
        parts.append(plan.replicas)
        for g, v in plan.gpus_used.items():
            used[g] = used.get(g, 0) + v
    return FleetPlan(total, pd.concat(parts, ignore_index=True), used, ok)


def solve_homogeneous(
    cfg: pd.DataFrame, demand: Mapping[str, float], caps: Mapping[str, float]
) -> tuple[str, FleetPlan]:
    """The cheapest single-class fleet (every model on one GPU class) and its plan."""
    best = ("", FleetPlan(math.inf, cfg.iloc[:0], {}, False))
    for g in sorted(cfg["gpu"].unique()):
        plan = _milp_cost(cfg[cfg["gpu"] == g], demand, {g: caps.get(g, math.inf)})
        if plan.cost_per_hour < best[1].cost_per_hour:
            best = (g, plan)
    return best


def max_goodput(
    cfg: pd.DataFrame, demand: Mapping[str, float], caps: Mapping[str, float]
) -> tuple[float, dict]:
    """Maximise Σ_m s_m/D_m (served fraction, each ≤ 1) under availability; returns (goodput, served)."""
    models = list(demand)
    fam = _family_of("goodput", cfg, demand)
    if fam is None:
        return 0.0, dict.fromkeys(models, 0.0)
    value, _, served = fam.solve(caps)
    return value, {m: float(served[i]) for i, m in enumerate(models)}


def max_goodput_per_model(
    cfg: pd.DataFrame,
    demand: Mapping[str, float],
    caps: Mapping[str, float],
    shares: pd.DataFrame | None = None,
) -> float:
    """Σ_m served fraction when each model maximises its own goodput inside its share of ``caps``."""
    shares = need_shares(cfg, demand) if shares is None else shares
    own_caps = team_caps(caps, shares)
    total = 0.0
    for m in demand:
        total += max_goodput(cfg, {m: demand[m]}, own_caps[m])[0]
    return total


GPU_COLUMNS = [
    "name",
    "hbm_gb",
    "hbm_tb_s",
    "bf16_dense_tflops",
    "price_usd_per_hour",
    "price_date",
]
FLEET_CLASSES = ("A100-80GB-SXM", "H100-SXM", "H200-SXM", "L40S")


@lru_cache(maxsize=1)
def _anchors() -> pd.DataFrame:
    """``data/coral/anchors.csv``, read (and validated) once per process."""
    from costcorrect import data

    return data.load("coral/anchors").set_index("gpu")


@lru_cache(maxsize=64)
def _gpu_table(context: float, same_eta: tuple, classes: tuple) -> pd.DataFrame:
    from costcorrect.models.serving import hardware

    g = hardware.gpus(list(classes))[GPU_COLUMNS].copy()
    g["price_date"] = g["price_date"].astype(str)
    eta = {}
    for name, r in _anchors().iterrows():
        eta[name] = calibrate_eta(
            float(r["tokens_per_s"]),
            hardware.model(str(r["model"])),
            hardware.gpu(name),
            float(r["batch"]),
            context,
        )
    for name, donor in same_eta:
        eta[name] = eta[donor]
    g["eta_bw"] = pd.Series(eta)
    return g


def gpu_table(
    context: float = 1024.0,
    same_eta: Mapping[str, str] | None = None,
    classes: Sequence[str] = FLEET_CLASSES,
) -> pd.DataFrame:
    """The fleet's GPU classes (rows of the shared ``hardware/gpus`` table) with calibrated ``eta_bw``.

    ``eta_bw`` is calibrated per class on ``data/coral/anchors.csv`` (one measured decode throughput
    per class) with the shared step model; classes without an anchor borrow the value of the class
    named in ``same_eta`` (default: H200 uses H100's, same Hopper generation). Computed once per
    distinct argument set; each call returns its own copy.
    """
    donors = tuple((same_eta or {"H200-SXM": "H100-SXM"}).items())
    return _gpu_table(float(context), donors, tuple(classes)).copy()


@lru_cache(maxsize=128)
def _build(names: tuple, context: float, max_batch: int, tp_eff: float) -> tuple:
    from costcorrect.models.serving import hardware

    gpus = gpu_table(context=context)
    cfg = replica_configs(
        [hardware.model(n) for n in names],
        gpus,
        context=context,
        max_batch=max_batch,
        tp_eff=tp_eff,
    )
    return gpus, cfg


def build_configs(
    model_names: Sequence[str],
    *,
    context: float = 1024.0,
    max_batch: int = 256,
    tp_eff: float = 0.9,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(GPU classes with calibrated ``eta_bw``, replica configurations) for the named models.

    Built once per distinct argument set (a sweep asks for the same point more than once); each call
    returns its own copies.
    """
    gpus, cfg = _build(tuple(model_names), context, max_batch, tp_eff)
    return gpus.copy(), cfg.copy()


def perf_per_dollar_ratio(cfg: pd.DataFrame, mid: Sequence[str], top: Sequence[str]) -> float:
    """Largest, over models, of (best mid-tier USD per Mtok) ÷ (best top-tier USD per Mtok): ≤ 1 means
    some mid-tier or older class is at least as cheap per token as every top-tier class, for every model."""
    best = cfg.groupby(["model", "gpu"])["usd_per_mtok"].min().unstack("gpu")
    return float((best[list(mid)].min(axis=1) / best[list(top)].min(axis=1)).max())


def scarcity_sweep(
    cfg: pd.DataFrame,
    demand: Mapping[str, float],
    classes: Sequence[str],
    scarcity: Sequence[float],
) -> tuple[pd.DataFrame, FleetPlan]:
    """Cost of joint, per-model and single-class allocation as the cheap classes become scarce.

    The unconstrained joint optimum fixes which classes are cheap (those it buys, except the unlimited
    top tier is kept unlimited) and, by :func:`plan_shares`, each team's slice: the per-model baseline
    keeps the slice of each class it would use there, with scarce supply apportioned without
    rounding loss (:func:`team_caps`). Availability ``s`` caps each cheap class at ``floor(s × used)``.
    """
    inf = math.inf
    free = solve_joint(cfg, demand, dict.fromkeys(classes, inf))
    shares = plan_shares(free, list(demand), list(classes))
    cheap = [g for g, n in free.gpus_used.items() if n > 0 and g in ("A100-80GB-SXM", "L40S")]
    # each MILP family is built once; an instance a looser one already answers is not re-solved
    joint = _family_of("cost", cfg, demand)
    teams = {m: _family_of("cost", cfg, {m: demand[m]}) for m in demand}
    single = {
        g: _family_of("cost", cfg[cfg["gpu"] == g], demand) for g in sorted(cfg["gpu"].unique())
    }
    rows = []
    for s in scarcity:
        caps = {g: (math.floor(s * free.gpus_used[g]) if g in cheap else inf) for g in classes}
        j = _cost(joint, caps)
        own = team_caps(caps, shares)
        p = 0.0
        for m in demand:
            p += _cost(teams[m], own[m])
        hg, h = "", inf
        for g, fam in single.items():
            c = _cost(fam, {g: caps.get(g, inf)})
            if c < h:
                hg, h = g, c
        rows.append(
            {
                "availability s": s,
                "joint $/h": j,
                "per-model $/h": p,
                "homogeneous $/h": h,
                "homogeneous class": hg,
                "gain vs per-model": p / j,
                "gain vs homogeneous": h / j,
            }
        )
    return pd.DataFrame(rows), free


def goodput_sweep(
    cfg: pd.DataFrame,
    demand: Mapping[str, float],
    classes: Sequence[str],
    fractions: Sequence[float],
) -> pd.DataFrame:
    """Mean served fraction of demand, joint vs per-model, when the cost-optimal fleet is scaled by ``f``.

    Each class keeps ``floor(f × used)`` GPUs; the per-model teams split them by their slices of the
    cost-optimal fleet (:func:`plan_shares`, :func:`team_caps`), so at ``f = 1`` both serve everything.
    """
    inf = math.inf
    free = solve_joint(cfg, demand, dict.fromkeys(classes, inf))
    shares = plan_shares(free, list(demand), list(classes))
    joint = _family_of("goodput", cfg, demand)
    teams = {m: _family_of("goodput", cfg, {m: demand[m]}) for m in demand}
    rows = []
    for f in fractions:
        caps = {g: math.floor(f * free.gpus_used.get(g, 0)) for g in classes}
        gj = joint.solve(caps)[0] if joint is not None else 0.0
        own = team_caps(caps, shares)
        gp = 0.0
        for m in demand:
            gp += teams[m].solve(own[m])[0] if teams[m] is not None else 0.0
        rows.append(
            {
                "fleet fraction f": f,
                "joint goodput": gj / len(demand),
                "per-model goodput": gp / len(demand),
                "goodput gain": (gj / gp) if gp > 0 else math.inf,
            }
        )
    return pd.DataFrame(rows)


def midtier_ratio_at(
    model_names: Sequence[str],
    mid: Sequence[str],
    top: Sequence[str],
    *,
    context: float,
    max_batch: int,
    tp_eff: float,
) -> float:
    """:func:`perf_per_dollar_ratio` of the configurations at one point of the declared ranges."""
    cfg = build_configs(model_names, context=context, max_batch=max_batch, tp_eff=tp_eff)[1]
    return perf_per_dollar_ratio(cfg, mid, top)


def cost_gain_at(
    model_names: Sequence[str],
    demand: Mapping[str, float],
    scarcity: Sequence[float],
    *,
    context: float,
    max_batch: int,
    tp_eff: float,
) -> float:
    """Largest joint-vs-per-model cost gain over :func:`scarcity_sweep` at one point of the ranges."""
    gpus, cfg = build_configs(model_names, context=context, max_batch=max_batch, tp_eff=tp_eff)
    table, _ = scarcity_sweep(cfg, demand, list(gpus.index), scarcity)
    return float(table["gain vs per-model"].max())


def goodput_gain_at(
    model_names: Sequence[str],
    demand: Mapping[str, float],
    fractions: Sequence[float],
    *,
    context: float,
    max_batch: int,
    tp_eff: float,
) -> float:
    """Largest joint-vs-per-model goodput gain over :func:`goodput_sweep` at one point of the ranges."""
    gpus, cfg = build_configs(model_names, context=context, max_batch=max_batch, tp_eff=tp_eff)
    return float(goodput_sweep(cfg, demand, list(gpus.index), fractions)["goodput gain"].max())


#: accelerator names of each fleet class in SkyPilot's catalogue: the class's own name ("exact") or
#: every variant of the same chip ("family"; the L40, a different part, belongs to neither)
CATALOGUE_NAMES = {
    "exact": {
        "A100-80GB-SXM": ("A100-80GB",),
        "L40S": ("L40S",),
        "H100-SXM": ("H100",),
        "H200-SXM": ("H200",),
    },
    "family": {
        "A100-80GB-SXM": ("A100", "A100-80GB", "A100-80GB-SXM"),
        "L40S": ("L40S",),
        "H100-SXM": ("H100", "H100-MEGA", "H100-NVL", "H100-NVLINK", "H100-SXM"),
        "H200-SXM": ("H200", "H200-SXM"),
    },
}


def listing_breadth(listings: pd.DataFrame, snapshot: str, naming: str) -> pd.Series:
    """Distinct clouds that list each fleet class in one catalogue snapshot (``data/coral/cloud_listings``).

    ``naming`` is ``"exact"`` or ``"family"`` (:data:`CATALOGUE_NAMES`). A listing says a cloud offers
    the class, not how much of it is free to rent.
    """
    snap = listings[listings["snapshot"] == snapshot]
    return pd.Series(
        {
            g: snap.loc[snap["accelerator"].isin(names), "cloud"].nunique()
            for g, names in CATALOGUE_NAMES[naming].items()
        }
    )


def top_vs_mid_breadth(
    listings: pd.DataFrame, mid: Sequence[str], top: Sequence[str], *, snapshot: str, naming: str
) -> float:
    """Clouds listing the most widely listed top-tier class ÷ those listing the most widely listed
    mid-tier class (> 1: the top tier is listed more widely)."""
    b = listing_breadth(listings, snapshot, naming)
    return float(b[list(top)].max() / b[list(mid)].max())
