"""Surface-code memory experiments (stim + PyMatching, sampled with sinter) for
"The Structural Residual Ceiling".

Contents:

- :func:`noise_parameters`, :func:`memory_circuit`: rotated surface-code memory circuit under the
  chapter's mapping of the release's 25-parameter noise defaults, with any of its four stim channels
  switchable to the uniform circuit-level model (all four = p) for the ablation.
- :class:`PairedSampler`: a ``sinter.Sampler`` that decodes every shot with several decoders
  ("arms": uncorrelated / correlated PyMatching and the toy pipelines), so comparisons are paired,
  and that draws shots from stim samplers seeded per (seed, task, batch index).
  :func:`collect` runs it under ``sinter.collect`` (sinter's worker processes, error-targeted
  stopping, shot ceilings) and then reduces the batches to a deterministic prefix, so the result does
  not depend on the number of workers or on timing.
- :func:`stats_frame`, :func:`frame_from_sinter_stats`: per-arm tables from the sampler or from a
  merged ``sinter`` CSV (``sinter collect`` on several machines, then ``sinter combine``).
- :func:`sinter_decoders`: the arms as ``sinter.Decoder`` objects for ``sinter collect
  --custom_decoders_module_function costcorrect.models.qec.surface_code:sinter_decoders``;
  :func:`write_circuits` writes the chapter's circuits as ``d=..,p=..,noise=...stim`` files for
  that command.
- statistics: :func:`wilson`, :func:`log_ratio_interval` (paired when the arms share shots),
  :func:`fit_log_lambda`, :func:`paired_delta_log_lambda`, :func:`crossing_distance`,
  :func:`per_round`, :func:`fit_lambda`, :func:`fit_floor_model`, :func:`fit_slope_model`.
- :func:`local_predecode`: the mechanistic toy (local pair removal, canonical or randomised choice of
  representative).
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pymatching
import sinter
import stim

__all__ = [
    "ABLATION",
    "ABLATION_D",
    "ARMS",
    "BASE_ARMS",
    "BATCH",
    "NOISE_CHANNELS",
    "TOY_D",
    "Arms",
    "PairGraph",
    "PairedSampler",
    "ablation_summary",
    "ablation_table",
    "annotate",
    "ceiling_curves",
    "collect",
    "contrast_log_lambda",
    "crossing_distance",
    "decode_arms",
    "factor_table",
    "fit_floor_model",
    "fit_lambda",
    "fit_log_lambda",
    "fit_slope_model",
    "frame_from_sinter_stats",
    "lambda_table",
    "ler_plot_frame",
    "local_predecode",
    "log_ratio_interval",
    "make_task",
    "memory_circuit",
    "noise_parameters",
    "pair_count",
    "pair_frame",
    "pair_graph",
    "paired_delta_log_lambda",
    "paired_gain",
    "pairwise_lambda",
    "per_round",
    "reduce_batches",
    "sample",
    "sampling_plan",
    "seed_for",
    "series",
    "sinter_decoders",
    "stats_frame",
    "to_task_stats",
    "toy_analysis",
    "wilson",
    "worst_factor",
    "write_circuits",
]

# --------------------------------------------------------------------------------------------
# Circuit
# --------------------------------------------------------------------------------------------
NOISE_CHANNELS = ("data", "gate", "measure", "reset")
"""stim generator channels: data-qubit depolarisation before each round, depolarisation after each
Clifford gate, flips before measurement, flips after reset."""

_STIM_ARG = {
    "data": "before_round_data_depolarization",
    "gate": "after_clifford_depolarization",
    "measure": "before_measure_flip_probability",
    "reset": "after_reset_flip_probability",
}


def noise_parameters(p: float, uniform: Iterable[str] = ()) -> dict[str, float]:
    """stim generator arguments for strength ``p``: the chapter's mapping, with the channels named in
    ``uniform`` set to the uniform circuit-level value ``p`` instead.

    Chapter mapping of the release's grouped defaults: prep and measurement flips 2p/3; two-qubit
    depolarising p after each CNOT (p/15 per Pauli; stim also applies one-qubit depolarising p after
    the Hadamards); data-qubit depolarising during the SPAM window 3*(2p/3 - 4p^2/9) in total per
    round. Idle noise during CNOT layers (p/3 per Pauli in the release) has no generator knob and is
    left out. The uniform model sets all four channels to p.
    """
    uniform = set(uniform)
    unknown = uniform - set(NOISE_CHANNELS)
    if unknown:
        raise ValueError(f"unknown noise channels {sorted(unknown)}; known: {NOISE_CHANNELS}")
    chapter = {
        "data": 3 * (2 * p / 3 - 4 * p**2 / 9),
        "gate": p,
        "measure": 2 * p / 3,
        "reset": 2 * p / 3,
    }
    return {_STIM_ARG[ch]: (p if ch in uniform else chapter[ch]) for ch in NOISE_CHANNELS}


def noise_label(uniform: Iterable[str] = ()) -> str:
    """Name of a noise variant: ``chapter``, ``uniform`` (all four channels) or ``uniform-data+reset``."""
    u = [ch for ch in NOISE_CHANNELS if ch in set(uniform)]
    if not u:
        return "chapter"
    return "uniform" if len(u) == len(NOISE_CHANNELS) else "uniform-" + "+".join(u)


def parse_noise_label(label: str) -> tuple[str, ...]:
    """Inverse of :func:`noise_label`."""
    if label == "chapter":
        return ()
    if label == "uniform":
        return NOISE_CHANNELS
    if not label.startswith("uniform-"):
        raise ValueError(f"unknown noise label {label!r}")
    return tuple(label[len("uniform-") :].split("+"))


def memory_circuit(
    d: int, p: float, rounds: int | None = None, basis: str = "x", uniform: Iterable[str] = ()
) -> stim.Circuit:
    """Rotated surface-code memory experiment of distance ``d`` with ``rounds`` (default d) rounds."""
    return stim.Circuit.generated(
        f"surface_code:rotated_memory_{basis}",
        distance=d,
        rounds=d if rounds is None else rounds,
        **noise_parameters(p, uniform),
    )


def seed_for(seed: int, *key: int | float | str) -> int:
    """A stable 63-bit seed derived from ``seed`` and a key (independent of Python's hash salt)."""
    words = [int(seed)]
    for k in key:
        if isinstance(k, float):
            words.append(round(k * 1e9))
        elif isinstance(k, str):
            words.extend(k.encode())
        else:
            words.append(int(k))
    return int(np.random.SeedSequence(words).generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


# --------------------------------------------------------------------------------------------
# Toy pre-decoder
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PairGraph:
    """Detector-detector edges of a matching graph, in canonical order (sorted by (min, max))."""

    u: np.ndarray
    v: np.ndarray
    flips: np.ndarray  # bool, does the edge's error flip observable 0
    num_detectors: int
    indptr: np.ndarray = field(default=None, repr=False)  # CSR adjacency: node -> incident edges
    inc_edge: np.ndarray = field(default=None, repr=False)
    inc_other: np.ndarray = field(default=None, repr=False)


def pair_graph(matching: pymatching.Matching) -> PairGraph:
    """Extract the detector-pair edges (boundary edges dropped) of a PyMatching graph."""
    rows = []
    for a, b, attrs in matching.edges():
        if b is None:
            continue
        lo, hi = (a, b) if a < b else (b, a)
        rows.append((lo, hi, 0 in set(attrs.get("fault_ids", ()))))
    rows.sort()
    arr = np.array(rows, dtype=np.int64).reshape(-1, 3)
    u, v = arr[:, 0], arr[:, 1]
    n = matching.num_detectors
    ends = np.concatenate([u, v])
    order = np.argsort(ends, kind="stable")
    edge_ids = np.concatenate([np.arange(u.size), np.arange(u.size)])[order]
    others = np.concatenate([v, u])[order]
    indptr = np.concatenate([[0], np.cumsum(np.bincount(ends, minlength=n))])
    return PairGraph(u, v, arr[:, 2].astype(bool), n, indptr, edge_ids, others)


def _flagged_edges(res: np.ndarray, graph: PairGraph) -> tuple[np.ndarray, np.ndarray]:
    """(shot, edge) index pairs of edges whose two endpoints are both flagged (sparse walk)."""
    s, n = np.nonzero(res)
    counts = graph.indptr[n + 1] - graph.indptr[n]
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    starts = np.repeat(graph.indptr[n], counts)
    offs = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    idx = starts + offs
    s_rep = np.repeat(s, counts)
    n_rep = np.repeat(n, counts)
    other = graph.inc_other[idx]
    keep = (n_rep < other) & res[s_rep, other]
    s_idx, e_idx = s_rep[keep], graph.inc_edge[idx[keep]]
    order = np.lexsort((e_idx, s_idx))
    return s_idx[order], e_idx[order]


def local_predecode(
    det: np.ndarray,
    graph: PairGraph,
    rule: str,
    rng: np.random.Generator | None = None,
    chains: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Remove isolated, locally explained pairs of detection events before global matching.

    Flagged detectors joined by graph edges form clusters. An isolated pair (a cluster of two) is
    always removed, with the observable flip of its edge. When ``chains`` is true, an isolated chain
    of three events a-b-c is also reduced: either (a, b) or (b, c) is removed and one event is left
    for the global decoder. That choice is the choice of representative: ``rule="canonical"`` always
    takes the lower-ranked edge (a fixed orientation, the same in every shot); ``rule="random"``
    takes either with probability 1/2, independently per shot and chain. Larger clusters are left
    untouched.

    Returns the residual detection events and the observable flips of the removed edges.
    """
    if rule not in ("canonical", "random"):
        raise ValueError("rule must be 'canonical' or 'random'")
    if rule == "random" and rng is None:
        raise ValueError("rule='random' needs rng")
    res = np.array(det, dtype=bool, copy=True)
    flip = np.zeros(res.shape[0], dtype=bool)
    shots, nd = res.shape
    s_idx, e_idx = _flagged_edges(res, graph)
    if s_idx.size == 0:
        return res, flip
    fu = s_idx * nd + graph.u[e_idx]  # flat (shot, node) ids
    fv = s_idx * nd + graph.v[e_idx]
    deg = np.bincount(np.concatenate([fu, fv]), minlength=shots * nd)
    du, dv = deg[fu], deg[fv]
    nbsum = np.bincount(
        np.concatenate([fu, fv]), weights=np.concatenate([dv, du]), minlength=shots * nd
    )
    # degree of the endpoint's other flagged neighbour (0 when it has none)
    other_u = nbsum[fu] - dv
    other_v = nbsum[fv] - du
    pair = (du == 1) & (dv == 1)
    chain = ((du + dv) == 3) & (other_u <= 1) & (other_v <= 1)
    keep = pair | (chain if chains else np.zeros_like(pair))
    s_idx, e_idx, fu, fv = s_idx[keep], e_idx[keep], fu[keep], fv[keep]
    if s_idx.size == 0:
        return res, flip
    if rule == "canonical":
        key = e_idx.astype(np.float64)
    else:
        key = rng.random(s_idx.size)
    best = np.full(shots * nd, np.inf)
    np.minimum.at(best, fu, key)
    np.minimum.at(best, fv, key)
    take = (best[fu] == key) & (best[fv] == key)
    s_t, e_t = s_idx[take], e_idx[take]
    res[s_t, graph.u[e_t]] = False
    res[s_t, graph.v[e_t]] = False
    np.logical_xor.at(flip, s_t, graph.flips[e_t])
    return res, flip


# --------------------------------------------------------------------------------------------
# Decoding arms on shared shots
# --------------------------------------------------------------------------------------------
ARMS = (
    "uncorr",
    "corr",
    "pairs+uncorr",
    "pairs+corr",
    "chains_canonical+corr",
    "chains_random+corr",
)
"""Decoders ("arms"): PyMatching, correlated PyMatching, and the toy pipelines (:func:`local_predecode`
followed by PyMatching): ``pairs+*`` remove isolated pairs only; ``chains_*+corr`` also reduce
isolated 3-chains with a canonical or a randomised representative."""

SINTER_NAMES = {"uncorr": "pymatching", "corr": "pymatching-correlated"}
"""Arms that are sinter built-in decoders, under sinter's names (the toy arms keep their own)."""


class Arms:
    """The decoders of one detector error model, built once and applied to batches of shots."""

    def __init__(self, dem: stim.DetectorErrorModel, arms: Sequence[str]) -> None:
        unknown = set(arms) - set(ARMS)
        if unknown:
            raise ValueError(f"unknown decoders {sorted(unknown)}")
        self.arms = tuple(arms)
        self.m_unc = pymatching.Matching.from_detector_error_model(dem)
        need_corr = any(a == "corr" or a.endswith("+corr") for a in self.arms)
        self.m_cor = (
            pymatching.Matching.from_detector_error_model(dem, enable_correlations=True)
            if need_corr
            else None
        )
        self.graph = pair_graph(self.m_unc) if any("+" in a for a in self.arms) else None


def _decode_reusing(
    matcher: pymatching.Matching,
    events: np.ndarray,
    done: list[tuple[np.ndarray, np.ndarray]],
    correlated: bool,
) -> np.ndarray:
    """Observable-0 predictions of ``matcher`` for ``events``, decoding only the shots whose events
    differ from the same shot in every array already decoded by this matcher (``done``: pairs of
    events and predictions, appended to). PyMatching decodes each shot on its own, deterministically,
    so a shot with the same events gets the same prediction: the result equals a full decode."""
    pred = np.zeros(events.shape[0], dtype=bool)
    todo = np.ones(events.shape[0], dtype=bool)
    for ev, pr in done:
        same = todo & (events == ev).all(axis=1)
        pred[same] = pr[same]
        todo &= ~same
    if todo.any():
        out = matcher.decode_batch(events[todo], enable_correlations=correlated)
        pred[todo] = out[:, 0].astype(bool)
    done.append((events, pred))
    return pred


def decode_arms(
    det: np.ndarray, arms: Arms, rng: np.random.Generator | None = None
) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """Predict observable 0 for every shot with every arm; also count the events each global decoder sees.

    A toy arm whose residual equals, shot by shot, events an earlier arm already decoded with the
    same matcher reuses that prediction (:func:`_decode_reusing`); the result is that of a full decode.
    """
    preds: dict[str, np.ndarray] = {}
    events_seen: dict[str, int] = {}
    done: dict[bool, list[tuple[np.ndarray, np.ndarray]]] = {False: [], True: []}
    pairs = None
    for name in arms.arms:
        flip: np.ndarray | bool = False
        if name in ("uncorr", "corr"):
            events = det
        elif name.startswith("pairs"):
            if pairs is None:
                pairs = local_predecode(det, arms.graph, "canonical", chains=False)
            events, flip = pairs
        else:
            rule = "canonical" if "canonical" in name else "random"
            events, flip = local_predecode(det, arms.graph, rule, rng, chains=True)
        correlated = name == "corr" or name.endswith("+corr")
        matcher = arms.m_cor if correlated else arms.m_unc
        preds[name] = _decode_reusing(matcher, events, done[correlated], correlated) ^ flip
        events_seen[name] = int(np.count_nonzero(events))
    return preds, events_seen


# --------------------------------------------------------------------------------------------
# Deterministic sampling under sinter
# --------------------------------------------------------------------------------------------
def make_task(
    d: int,
    p: float,
    *,
    arms: Sequence[str],
    max_shots: int,
    max_errors: int,
    batch: int,
    seed: int,
    noise: str = "chapter",
    rounds: int | None = None,
) -> dict:
    """The description of one point (its ``json_metadata`` under sinter).
    ``max_errors`` applies to every arm."""
    return {
        "d": int(d),
        "p": float(p),
        "r": int(d if rounds is None else rounds),
        "noise": noise,
        "arms": ",".join(arms),
        "max_shots": int(max_shots),
        "max_errors": int(max_errors),
        "batch": int(batch),
        "seed": int(seed),
    }


def _circuit(meta: Mapping) -> stim.Circuit:
    return memory_circuit(meta["d"], meta["p"], meta["r"], uniform=parse_noise_label(meta["noise"]))


def _batch_size(meta: Mapping, index: int) -> int:
    """Shots of batch ``index``: fixed size, the last one inside the ceiling cut to fit it."""
    left = meta["max_shots"] - index * meta["batch"]
    return min(meta["batch"], left) if left > 0 else meta["batch"]


def _task_key(meta: Mapping) -> str:
    return format(seed_for(0, json.dumps(dict(meta), sort_keys=True)), "016x")


@dataclass
class _Context:
    """What a process needs to compute batches of one point (built lazily, once)."""

    meta: dict
    circuit: stim.Circuit | None = None
    arms: Arms | None = None

    def ready(self) -> _Context:
        if self.circuit is None:
            self.circuit = _circuit(self.meta)
            dem = self.circuit.detector_error_model(decompose_errors=True)
            self.arms = Arms(dem, self.meta["arms"].split(","))
        return self


def compute_batch(ctx: _Context, index: int) -> Counter:
    """Sample batch ``index`` of a point with its own stim seed and decode it with every arm.

    Counts: ``shots``, ``fail:<arm>``, ``both:<a>|<b>`` (shots where both arms fail, for paired
    comparisons) and ``events:<arm>`` (detection events the arm's global decoder sees).
    """
    m = ctx.ready().meta
    key = (m["d"], m["p"], m["r"], m["noise"], "batch", index)
    sampler = ctx.circuit.compile_detector_sampler(seed=seed_for(m["seed"], *key))
    det, obs = sampler.sample(_batch_size(m, index), separate_observables=True)
    rng = np.random.default_rng(seed_for(m["seed"], *key, "toy"))
    preds, events = decode_arms(det, ctx.arms, rng)
    fails = {a: preds[a] != obs[:, 0] for a in ctx.arms.arms}
    c = Counter({"shots": int(det.shape[0])})
    for i, a in enumerate(ctx.arms.arms):
        c[f"fail:{a}"] = int(np.count_nonzero(fails[a]))
        c[f"events:{a}"] = events[a]
        for b in ctx.arms.arms[i + 1 :]:
            c[f"both:{a}|{b}"] = int(np.count_nonzero(fails[a] & fails[b]))
    return c


def _stop(meta: Mapping, acc: Mapping[str, int]) -> bool:
    if acc.get("shots", 0) >= meta["max_shots"]:
        return True
    return all(acc.get(f"fail:{a}", 0) >= meta["max_errors"] for a in meta["arms"].split(","))


def reduce_batches(
    meta: Mapping,
    logged: Mapping[int, Mapping[str, int]],
    compute: Callable[[int], Mapping[str, int]],
) -> Counter:
    """The deterministic result of a point: batches 0, 1, 2, ... until every arm has ``max_errors``
    failures or the shot ceiling is reached. Batches sinter's workers already computed are taken
    from ``logged``; any missing one is computed here with the same seed; extra ones are dropped."""
    acc: Counter = Counter()
    i = 0
    while not _stop(meta, acc):
        acc.update(logged[i] if i in logged else compute(i))
        i += 1
    acc["batches"] = i
    return acc


def _read_log(log: Path) -> dict[int, dict]:
    """The batches a point's log holds (a torn last line, from a worker stopped mid-write, is skipped)."""
    got: dict[int, dict] = {}
    if log.exists():
        for line in log.read_text().splitlines():
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue
            got[int(rec["i"])] = rec["c"]
    return got


def _prefix_complete(meta: Mapping, log: Path) -> bool:
    """Whether the logged batches 0, 1, 2, ... already meet the point's stopping rule."""
    got, acc, i = _read_log(log), Counter(), 0
    while not _stop(meta, acc):
        if i not in got:
            return False
        acc.update(got[i])
        i += 1
    return True


class _CompiledPaired(sinter.CompiledSampler):
    def __init__(self, meta: dict, circuit: stim.Circuit, workdir: str) -> None:
        self.ctx = _Context(dict(meta), circuit)
        self.ctx.arms = Arms(
            circuit.detector_error_model(decompose_errors=True), meta["arms"].split(",")
        )
        base = Path(workdir) / _task_key(meta)
        self.counter, self.log = base.with_suffix(".next"), base.with_suffix(".log")

    def handles_throttling(self) -> bool:
        return True  # one fixed-size batch per call

    def _claim(self) -> int:
        with open(self.counter, "a+") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            f.seek(0)
            i = int(f.read() or 0)
            f.seek(0)
            f.truncate()
            f.write(str(i + 1))
            f.flush()
            fcntl.flock(f, fcntl.LOCK_UN)
        return i

    def sample(self, suggested_shots: int) -> sinter.AnonTaskStats:
        i = self._claim()
        c = compute_batch(self.ctx, i)
        line = json.dumps({"i": i, "c": dict(c)}) + "\n"
        fd = os.open(self.log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode())
        finally:
            os.close(fd)
        # sinter stops a point on `errors`: the per-batch minimum over arms never exceeds any arm's
        # total, so sinter cannot stop before every arm has reached the target; once the logged
        # batches 0, 1, 2, ... already meet the stopping rule, every shot is reported as an error
        # so that sinter stops the point at once (its own counts are not used)
        if _prefix_complete(self.ctx.meta, self.log):
            return sinter.AnonTaskStats(shots=c["shots"], errors=c["shots"])
        arms = self.ctx.meta["arms"].split(",")
        return sinter.AnonTaskStats(shots=c["shots"], errors=min(c[f"fail:{a}"] for a in arms))


class PairedSampler(sinter.Sampler):
    """sinter sampler: fixed-size batches, each from a stim sampler seeded by (seed, point, batch
    index); batch indices are claimed through a lock file, so workers never draw the same batch twice;
    every batch is decoded by all the point's arms (paired) and logged for :func:`reduce_batches`."""

    def __init__(self, workdir: str) -> None:
        self.workdir = str(workdir)

    def compiled_sampler_for_task(self, task: sinter.Task) -> sinter.CompiledSampler:
        return _CompiledPaired(task.json_metadata, task.circuit, self.workdir)


def collect(points: Sequence[Mapping], workers: int = 2) -> list[tuple[dict, Counter]]:
    """Sample every point with ``sinter.collect`` (``workers`` processes; 0 = no sinter, all in this
    process) and return ``(meta, counts)`` per point, reduced to the deterministic prefix of batches.

    The result depends only on the points (seeds included), not on ``workers`` or timing.
    """
    logged: dict[str, dict[int, dict]] = {}
    if workers > 0 and points:
        with tempfile.TemporaryDirectory(prefix="qec-sinter-") as workdir:
            tasks = [
                sinter.Task(
                    circuit=_circuit(m),
                    decoder="paired",
                    json_metadata=dict(m),
                    collection_options=sinter.CollectionOptions(
                        max_shots=m["max_shots"], max_errors=m["max_errors"]
                    ),
                )
                for m in points
            ]
            sinter.collect(
                num_workers=workers,
                tasks=tasks,
                custom_decoders={"paired": PairedSampler(workdir)},
                print_progress=False,
            )
            for m in points:
                # a batch missing from the log (torn line) is recomputed from its seed below
                logged[_task_key(m)] = _read_log((Path(workdir) / _task_key(m)).with_suffix(".log"))
    out = []
    for m in points:
        ctx = _Context(dict(m))
        out.append(
            (
                dict(m),
                reduce_batches(
                    m, logged.get(_task_key(m), {}), lambda i, ctx=ctx: compute_batch(ctx, i)
                ),
            )
        )
    return out


# --------------------------------------------------------------------------------------------
# Tables and sinter stats
# --------------------------------------------------------------------------------------------
def stats_frame(results: Sequence[tuple[Mapping, Mapping[str, int]]]):
    """One row per (point, arm): d, p, rounds, noise, decoder, shots, errors, events_per_shot."""
    import pandas as pd

    rows = []
    for m, c in results:
        for a in m["arms"].split(","):
            rows.append(
                {
                    "p": m["p"],
                    "d": m["d"],
                    "rounds": m["r"],
                    "noise": m["noise"],
                    "decoder": a,
                    "shots": int(c["shots"]),
                    "errors": int(c.get(f"fail:{a}", 0)),
                    "events_per_shot": c.get(f"events:{a}", 0) / max(c["shots"], 1),
                }
            )
    return pd.DataFrame(rows)


def pair_frame(results: Sequence[tuple[Mapping, Mapping[str, int]]]):
    """One row per (point, arm a, arm b) sharing shots: shots and ``both`` (shots where both fail)."""
    import pandas as pd

    rows = []
    for m, c in results:
        for k, v in c.items():
            if k.startswith("both:"):
                a, b = k[5:].split("|")
                rows.append(
                    {
                        "p": m["p"],
                        "d": m["d"],
                        "noise": m["noise"],
                        "a": a,
                        "b": b,
                        "shots": int(c["shots"]),
                        "both": int(v),
                    }
                )
    return pd.DataFrame(rows, columns=["p", "d", "noise", "a", "b", "shots", "both"])


def to_task_stats(results: Sequence[tuple[Mapping, Mapping[str, int]]]) -> list[sinter.TaskStats]:
    """The results as ``sinter.TaskStats`` rows (one per arm; built-in arms under sinter's decoder
    names, metadata ``{d, p, noise}`` as ``--metadata_func auto`` reads it from the circuit file
    names), so they can be written with ``sinter.CSV_HEADER`` and merged with ``sinter combine``."""
    out = []
    for m, c in results:
        meta = {"d": m["d"], "p": m["p"], "noise": m["noise"]}
        circuit = _circuit(m)
        dem = circuit.detector_error_model(
            decompose_errors=True, approximate_disjoint_errors=True
        )  # as sinter
        arms = m["arms"].split(",")
        for a in arms:
            name = SINTER_NAMES.get(a, a)
            custom = Counter(
                {
                    f"both:{SINTER_NAMES.get(b, b)}": int(
                        c.get(f"both:{a}|{b}", c.get(f"both:{b}|{a}", 0))
                    )
                    for b in arms
                    if b != a
                }
            )
            custom["paired_shots"] = int(c["shots"])
            sid = sinter.Task(
                circuit=circuit, decoder=name, json_metadata=meta, detector_error_model=dem
            ).strong_id()
            out.append(
                sinter.TaskStats(
                    strong_id=sid,
                    decoder=name,
                    json_metadata=meta,
                    shots=int(c["shots"]),
                    errors=int(c.get(f"fail:{a}", 0)),
                    custom_counts=+custom,
                )
            )
    return out


def frame_from_sinter_stats(stats_list: Iterable[sinter.TaskStats]):
    """Tables (as :func:`stats_frame` and :func:`pair_frame`) from sinter stats, e.g. a merged CSV read
    with ``sinter.stats_from_csv_files``. Rows of the same point and decoder are summed. Pair counts
    are kept only where every shot of both arms carries them (rows written by :func:`to_task_stats`);
    otherwise comparisons fall back to unpaired intervals."""
    import pandas as pd

    back = {v: k for k, v in SINTER_NAMES.items()}
    agg: dict[tuple, Counter] = {}
    for s in stats_list:
        md = s.json_metadata or {}
        key = (
            float(md["p"]),
            int(md["d"]),
            int(md.get("r", md["d"])),
            str(md.get("noise", "chapter")),
            back.get(s.decoder, s.decoder),
        )
        c = agg.setdefault(key, Counter())
        c["shots"] += s.shots
        c["errors"] += s.errors
        for k, v in s.custom_counts.items():
            c[k] += v
    rows, pairs = [], []
    for (p, d, r, noise, a), c in sorted(agg.items()):
        rows.append(
            {
                "p": p,
                "d": d,
                "rounds": r,
                "noise": noise,
                "decoder": a,
                "shots": c["shots"],
                "errors": c["errors"],
                "events_per_shot": float("nan"),
            }
        )
        for k, v in c.items():
            if not k.startswith("both:"):
                continue
            b = back.get(k[5:], k[5:])
            other = agg.get((p, d, r, noise, b))
            if (
                a < b
                and other is not None
                and c["paired_shots"] == c["shots"] == other["shots"] == other["paired_shots"]
            ):
                pairs.append(
                    {"p": p, "d": d, "noise": noise, "a": a, "b": b, "shots": c["shots"], "both": v}
                )
    return (
        pd.DataFrame(rows),
        pd.DataFrame(pairs, columns=["p", "d", "noise", "a", "b", "shots", "both"]),
    )


class _CompiledToy(sinter.CompiledDecoder):
    def __init__(self, dem: stim.DetectorErrorModel, arm: str) -> None:
        self.arms = Arms(dem, (arm,))
        self.arm = arm
        self.num_det = dem.num_detectors
        self.num_obs = dem.num_observables
        self.rng = np.random.default_rng()

    def decode_shots_bit_packed(self, *, bit_packed_detection_event_data: np.ndarray) -> np.ndarray:
        det = np.unpackbits(
            bit_packed_detection_event_data, axis=1, count=self.num_det, bitorder="little"
        ).astype(bool)
        pred = decode_arms(det, self.arms, self.rng)[0][self.arm]
        full = np.zeros((det.shape[0], self.num_obs), dtype=np.uint8)
        full[:, 0] = pred
        return np.packbits(full, axis=1, bitorder="little")


class ToyDecoder(sinter.Decoder):
    """One toy arm (local pre-decoder + PyMatching) as a sinter decoder, for ``sinter collect``."""

    def __init__(self, arm: str) -> None:
        if arm not in ARMS or "+" not in arm:
            raise ValueError(f"not a toy arm: {arm!r}")
        self.arm = arm

    def compile_decoder_for_dem(self, *, dem: stim.DetectorErrorModel) -> sinter.CompiledDecoder:
        return _CompiledToy(dem, self.arm)


def sinter_decoders() -> dict[str, sinter.Decoder]:
    """The toy arms for
    ``sinter collect --custom_decoders_module_function costcorrect.models.qec.surface_code:sinter_decoders``
    (PyMatching and correlated PyMatching are sinter's built-in ``pymatching`` and
    ``pymatching-correlated``)."""
    return {a: ToyDecoder(a) for a in ARMS if "+" in a}


def write_circuits(
    out_dir: str | os.PathLike,
    distances: Iterable[int],
    p_values: Iterable[float],
    noises: Iterable[str] = ("chapter",),
) -> list[Path]:
    """Write the chapter's circuits as ``d=<d>,p=<p>,noise=<label>.stim`` (read back by
    ``sinter collect --metadata_func auto``)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for noise in noises:
        for p in p_values:
            for d in distances:
                path = out / f"d={int(d)},p={float(p)},noise={noise}.stim"
                memory_circuit(int(d), float(p), uniform=parse_noise_label(noise)).to_file(path)
                paths.append(path)
    return paths


# --------------------------------------------------------------------------------------------
# Statistics
# --------------------------------------------------------------------------------------------
def _z(level: float) -> float:
    from scipy import stats  # imported here: sinter's spawned workers never need scipy

    return float(stats.norm.ppf(0.5 + level / 2))


def wilson(
    k: np.ndarray | int, n: np.ndarray | int, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a binomial proportion k/n (with k = 0 the lower end is 0)."""
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    z = _z(level)
    with np.errstate(invalid="ignore", divide="ignore"):
        ph = k / n
        centre = (ph + z**2 / (2 * n)) / (1 + z**2 / n)
        half = z * np.sqrt(ph * (1 - ph) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    lo = np.where(k > 0, np.clip(centre - half, 0, 1), 0.0)
    hi = np.where(k < n, np.clip(centre + half, 0, 1), 1.0)
    return lo, hi


def log_ratio_interval(
    k_a: int, n_a: int, k_b: int, n_b: int, both: int | None = None, level: float = 0.95
) -> tuple[float, float, float, float]:
    """Ratio (k_a/n_a)/(k_b/n_b) with a delta-method interval on its logarithm.

    Paired (the arms decode the same shots, ``both`` = shots where both fail, ``n_a == n_b``):
    var ln r = (k_a + k_b - 2 both) / (k_a k_b); shared failures cancel. Unpaired otherwise:
    1/k_a - 1/n_a + 1/k_b - 1/n_b. Returns (ratio, low, high, standard error of ln r).
    """
    if k_a <= 0 or k_b <= 0:
        return float("nan"), float("nan"), float("nan"), float("nan")
    r = (k_a / n_a) / (k_b / n_b)
    if both is not None and n_a == n_b:
        var = (k_a + k_b - 2 * both) / (k_a * k_b)
    else:
        var = 1 / k_a - 1 / n_a + 1 / k_b - 1 / n_b
    se = float(np.sqrt(max(var, 0.0)))
    z = _z(level)
    return float(r), float(r * np.exp(-z * se)), float(r * np.exp(z * se)), se


def _wls_line(
    x: np.ndarray, y: np.ndarray, var: np.ndarray
) -> tuple[np.ndarray, np.ndarray, float]:
    """Weighted least squares y = b0 + b1 x with known variances: (beta, covariance, chi^2)."""
    X = np.column_stack([np.ones_like(x), x])
    W = 1 / var
    cov = np.linalg.inv((X.T * W) @ X)
    beta = cov @ ((X.T * W) @ y)
    chi2 = float(np.sum(W * (y - X @ beta) ** 2))
    return beta, cov, chi2


def fit_log_lambda(
    d: Sequence[int], k: Sequence[int], n: Sequence[int], level: float = 0.95
) -> dict[str, float]:
    """Fit ln L = ln A - (d+1)/2 ln Lambda by weighted least squares on ln L, each point weighted by
    its binomial variance (1 - L)/(n L); points without failures are left out.

    Returns Lambda, its interval (lo, hi) at ``level``, ln Lambda and its standard error, A, the
    number of points and chi^2 of the fit (a check of the straight line; not folded into the error).
    """
    d = np.asarray(d, float)
    k = np.asarray(k, float)
    n = np.asarray(n, float)
    keep = k > 0
    nan = float("nan")
    if keep.sum() < 2:
        return {
            "Lambda": nan,
            "lo": nan,
            "hi": nan,
            "ln_lambda": nan,
            "se": nan,
            "A": nan,
            "points": int(keep.sum()),
            "chi2": nan,
        }
    L = k[keep] / n[keep]
    var = (1 - L) / (n[keep] * L)
    beta, cov, chi2 = _wls_line((d[keep] + 1) / 2, np.log(L), var)
    ln_lam, se = float(-beta[1]), float(np.sqrt(cov[1, 1]))
    z = _z(level)
    return {
        "Lambda": float(np.exp(ln_lam)),
        "lo": float(np.exp(ln_lam - z * se)),
        "hi": float(np.exp(ln_lam + z * se)),
        "ln_lambda": ln_lam,
        "se": se,
        "A": float(np.exp(beta[0])),
        "points": int(keep.sum()),
        "chi2": chi2,
    }


def paired_delta_log_lambda(
    d: Sequence[int],
    k_a: Sequence[int],
    k_b: Sequence[int],
    both: Sequence[int],
    level: float = 0.95,
) -> dict[str, float]:
    """ln Lambda_a - ln Lambda_b for two arms decoding the same shots at each distance.

    The per-distance log ratio r_d = ln(k_a/k_b) has the paired variance (k_a + k_b - 2 both)/(k_a k_b);
    r_d = const - (d+1)/2 (ln Lambda_a - ln Lambda_b), so the difference is minus the slope of a
    weighted straight line through r_d. Returns delta, se, lo, hi.
    """
    d = np.asarray(d, float)
    ka, kb, kab = (np.asarray(v, float) for v in (k_a, k_b, both))
    var = (ka + kb - 2 * kab) / (ka * kb)
    beta, cov, _ = _wls_line((d + 1) / 2, np.log(ka / kb), var)
    delta, se = float(-beta[1]), float(np.sqrt(cov[1, 1]))
    z = _z(level)
    return {"delta": delta, "se": se, "lo": delta - z * se, "hi": delta + z * se}


def contrast_log_lambda(
    d: Sequence[int],
    coef: Mapping[str, float],
    k: Mapping[str, Sequence[int]],
    both: Mapping[tuple[str, str], Sequence[int]],
    n: Sequence[int],
    level: float = 0.95,
) -> dict[str, float]:
    """A linear contrast sum_a coef_a ln Lambda_a of arms that decode the same shots at each distance.

    At each distance r_d = sum_a coef_a ln(k_a / n) has the multinomial (delta-method) variance
    sum_a sum_b coef_a coef_b cov_ab with cov_aa = 1/k_a - 1/n and cov_ab = both_ab/(k_a k_b) - 1/n
    (``both`` keyed by either order of the pair). ln L = ln A - (d+1)/2 ln Lambda for each arm, so
    the contrast is minus the slope of a weighted straight line through r_d. With coefficients
    {a: 1, b: -1} it equals :func:`paired_delta_log_lambda`. Returns contrast, se, lo, hi.
    """
    d = np.asarray(d, float)
    n = np.asarray(n, float)
    arms = list(coef)

    def joint(a: str, b: str) -> np.ndarray:
        v = both.get((a, b), both.get((b, a)))
        if v is None:
            raise KeyError(f"no shared-failure counts for arms {a!r} and {b!r}")
        return np.asarray(v, float)

    ks = {a: np.asarray(k[a], float) for a in arms}
    r = sum(coef[a] * np.log(ks[a] / n) for a in arms)
    var = np.zeros_like(d)
    for i, a in enumerate(arms):
        var += coef[a] ** 2 * (1 / ks[a] - 1 / n)
        for b in arms[i + 1 :]:
            var += 2 * coef[a] * coef[b] * (joint(a, b) / (ks[a] * ks[b]) - 1 / n)
    beta, cov, _ = _wls_line((d + 1) / 2, r, var)
    val, se = float(-beta[1]), float(np.sqrt(cov[1, 1]))
    z = _z(level)
    return {"contrast": val, "se": se, "lo": val - z * se, "hi": val + z * se}


def crossing_distance(d: Sequence[float], ratio: Sequence[float]) -> float:
    """First distance where ``ratio`` (e.g. pipeline LER / baseline LER) reaches 1, interpolating
    ln(ratio) linearly in d between the last point below 1 and the next one; NaN when it never does."""
    d = np.asarray(d, float)
    lr = np.log(np.asarray(ratio, float))
    order = np.argsort(d)
    d, lr = d[order], lr[order]
    for i in range(1, d.size):
        if lr[i - 1] < 0 <= lr[i]:
            return float(d[i - 1] + (d[i] - d[i - 1]) * (-lr[i - 1]) / (lr[i] - lr[i - 1]))
    return float("nan")


def per_round(ler_shot: np.ndarray | float, rounds: np.ndarray | int) -> np.ndarray:
    """Per-round logical error rate e with 1 - 2*L = (1 - 2*e)**rounds (independent rounds)."""
    L = np.asarray(ler_shot, dtype=float)
    return (1 - np.clip(1 - 2 * L, 0, None) ** (1 / np.asarray(rounds, dtype=float))) / 2


def fit_lambda(
    d: Sequence[int], ler: Sequence[float], errors: Sequence[int] | None = None
) -> tuple[float, float, float]:
    """Fit ln L = ln A - (d+1)/2 * ln Lambda; returns (Lambda, its standard error, A).

    Points with no failures are left out; with ``errors`` given each point is weighted by its
    binomial precision (sd of ln L ~ 1/sqrt(errors)).
    """
    d = np.asarray(d, dtype=float)
    y = np.asarray(ler, dtype=float)
    w = np.ones_like(y) if errors is None else np.sqrt(np.asarray(errors, dtype=float))
    keep = (y > 0) & (w > 0)
    x = (d[keep] + 1) / 2
    if keep.sum() < 2:
        return float("nan"), float("nan"), float("nan")
    X = np.column_stack([np.ones_like(x), -x])
    W = w[keep] ** 2
    XtW = X.T * W
    cov = np.linalg.inv(XtW @ X)
    beta = cov @ (XtW @ np.log(y[keep]))
    if errors is None and keep.sum() > 2:
        resid = np.log(y[keep]) - X @ beta
        cov = cov * (resid @ resid) / (keep.sum() - 2)
    lam = float(np.exp(beta[1]))
    return lam, float(lam * np.sqrt(cov[1, 1])), float(np.exp(beta[0]))


def pairwise_lambda(d1: int, l1: float, d2: int, l2: float) -> float:
    """Suppression per +2 in distance between two points: (L1/L2)**(2/(d2-d1))."""
    return float((l1 / l2) ** (2.0 / (d2 - d1)))


def fit_slope_model(d: Sequence[int], ler: Sequence[float]) -> dict[str, float]:
    """Model (b), a degraded slope: L(d) = A * Lambda**(-(d+1)/2), least squares in ln L."""
    lam, se, A = fit_lambda(d, ler)
    pred = A * lam ** (-(np.asarray(d, float) + 1) / 2)
    rss = float(np.sum(np.log(np.asarray(ler, float) / pred) ** 2))
    return {"A": A, "Lambda": lam, "Lambda_se": se, "rss_log": rss}


def fit_floor_model(
    d: Sequence[int], ler: Sequence[float], baseline: Callable[[np.ndarray], np.ndarray]
) -> dict[str, float]:
    """Model (a), a constant floor on top of the baseline: L(d) = c * baseline(d) + F, fitted in ln L."""
    d = np.asarray(d, float)
    y = np.asarray(ler, float)
    base = baseline(d)

    def resid(theta: np.ndarray) -> np.ndarray:
        c, logF = theta
        return np.log(c * base + np.exp(logF)) - np.log(y)

    from scipy import optimize

    sol = optimize.least_squares(
        resid, x0=np.array([1.0, np.log(y.min() / 2)]), bounds=([1e-6, -40], [10, 0])
    )
    return {
        "c": float(sol.x[0]),
        "F": float(np.exp(sol.x[1])),
        "rss_log": float(np.sum(sol.fun**2)),
    }


# --------------------------------------------------------------------------------------------
# The chapter's sampling plan and analysis tables
# --------------------------------------------------------------------------------------------
BASE_ARMS = ("uncorr", "corr")
TOY_D = (5, 7, 9)
"""Distances of the mechanistic toy (p = 0.006)."""
ABLATION_D = (5, 9)
"""Distances of the noise ablation (p = 0.006)."""
ABLATION = ("uniform-data", "uniform-measure", "uniform-reset", "uniform")
"""Noise variants of the ablation (the gate channel is p in both models, so it is not switched)."""
BATCH = {5: 4096, 7: 4096, 9: 2048, 13: 1024, 17: 512}
"""Shots per batch by distance."""


def sampling_plan(
    budget: float, min_failures: int, target_failures: int, seed: int
) -> tuple[list[dict], list[dict]]:
    """The chapter's points ``(plan, tasks)``: each plan row (p, d, noise, role, arms, target,
    ceiling) and its :func:`make_task`, with every failure target and shot ceiling times ``budget``.

    Claim points (the gain at d = 5, 9, 13 and the two cheap slope-fit points at p = 0.003) target
    ``target_failures`` on every decoder; the toy's d = 7 twice ``min_failures``; the ablation
    ``min_failures``. d = 17 (p = 0.006) and d = 13 (p = 0.003) join only from ``budget >= 4``.
    """
    rows = [
        (0.006, 5, "gain claim + toy", target_failures, 200_000, ARMS),
        (0.006, 7, "toy", min_failures * 2, 100_000, ARMS),
        (0.006, 9, "gain claim + toy", target_failures, 100_000, ARMS),
        (0.006, 13, "gain claim", target_failures, 60_000, BASE_ARMS),
        (0.003, 5, "slope fit", target_failures, 400_000, ("uncorr",)),
        (0.003, 9, "slope fit", target_failures, 400_000, ("uncorr",)),
    ]
    if budget >= 4:
        rows += [
            (0.006, 17, "slope fit", min_failures, 20_000, BASE_ARMS),
            (0.003, 13, "slope fit", min_failures, 400_000, ("uncorr",)),
        ]
    plan = [
        dict(p=p, d=d, role=role, noise="chapter", target=t, ceiling=cap, arms=arms)
        for p, d, role, t, cap, arms in rows
    ]
    plan += [
        dict(
            p=0.006,
            d=d,
            role="ablation",
            noise=nz,
            target=min_failures,
            ceiling=100_000,
            arms=BASE_ARMS,
        )
        for nz in ABLATION
        for d in ABLATION_D
    ]
    tasks = [
        make_task(
            q["d"],
            q["p"],
            arms=q["arms"],
            noise=q["noise"],
            seed=seed,
            batch=BATCH[q["d"]],
            max_errors=round(budget * q["target"]),
            max_shots=round(budget * q["ceiling"]),
        )
        for q in plan
    ]
    return plan, tasks


def sample(points: Sequence[Mapping], workers: int = 2, stats_csv: str = "", save_stats: str = ""):
    """The chapter's statistics ``(stats, pairs)``: sampled here with :func:`collect`, or, when
    ``stats_csv`` names a merged sinter CSV (``sinter combine``), read from it (no pair counts).
    ``save_stats``: also write this run's statistics there as a sinter CSV."""
    if stats_csv:
        return frame_from_sinter_stats(sinter.stats_from_csv_files(stats_csv))
    results = collect(points, workers=workers)
    if save_stats:
        with open(save_stats, "w") as fh:
            print(sinter.CSV_HEADER, file=fh)
            for s in to_task_stats(results):
                print(s.to_csv_line(), file=fh)
    return stats_frame(results), pair_frame(results)


def annotate(stats, level: float, min_failures: int):
    """``stats`` (:func:`stats_frame`) with the LER, its Wilson interval at ``level``, the per-round
    LER and ``in_verdicts`` (at least ``min_failures`` failures)."""
    s = stats.copy()
    s["ler"] = s["errors"] / s["shots"]
    s["ler_lo"], s["ler_hi"] = wilson(s["errors"].to_numpy(), s["shots"].to_numpy(), level)
    s["ler_round"] = per_round(s["ler"], s["rounds"])
    s["in_verdicts"] = s["errors"] >= min_failures
    return s


def series(stats, p: float, dec: str, noise: str = "chapter", usable: bool = True):
    """One decoder's rows at strength ``p`` and noise ``noise``, by distance (only the points in the
    verdicts when ``usable``)."""
    s = stats[np.isclose(stats.p, p) & (stats.decoder == dec) & (stats.noise == noise)]
    return (s[s.in_verdicts] if usable else s).sort_values("d")


def pair_count(pairs, p: float, d: int, a: str, b: str, noise: str = "chapter") -> int | None:
    """Shots where both arms ``a`` and ``b`` fail at one point (``None`` when not recorded)."""
    m = pairs[
        np.isclose(pairs.p, p)
        & (pairs.d == d)
        & (pairs.noise == noise)
        & (((pairs.a == a) & (pairs.b == b)) | ((pairs.a == b) & (pairs.b == a)))
    ]
    return int(m["both"].iloc[0]) if len(m) else None


def lambda_table(stats, published: Mapping[tuple[float, str], object], level: float):
    """Per (p, decoder): Λ fitted to the simulation (with its interval) against Λ fitted to the
    published points at the same distances, and the ratio of the exponents ln Λ sim / published."""
    import pandas as pd

    rows = []
    for (p, dec), pub in published.items():
        s = series(stats, p, dec)
        f = fit_log_lambda(s["d"], s["errors"], s["shots"], level)
        g = pub[pub["distance"].isin(s["d"])]
        lam_pub = fit_lambda(g["distance"], g["ler"])[0]
        ln_pub = np.log(lam_pub)
        rows.append(
            {
                "p": p,
                "decoder": dec,
                "distances": ", ".join(map(str, s["d"])),
                "failures": ", ".join(str(v) for v in s["errors"]),
                "n": int(s["errors"].sum()),
                "Lambda (sim)": f["Lambda"],
                "low": f["lo"],
                "high": f["hi"],
                "se of ln Lambda": f["se"],
                "Lambda (published)": lam_pub,
                "ratio": f["ln_lambda"] / ln_pub,
                "ratio low": np.log(f["lo"]) / ln_pub,
                "ratio high": np.log(f["hi"]) / ln_pub,
            }
        )
    return pd.DataFrame(rows)


def factor_table(stats, published: Mapping[tuple[float, str], object]):
    """Per (p, decoder, distance): simulated / published LER, the Wilson interval carried through."""
    import pandas as pd

    out = []
    for (p, dec), pub_rows in published.items():
        pub = pub_rows.set_index("distance")["ler"]
        s = series(stats, p, dec, usable=False)
        s = s[s.d.isin(pub.index) & (s.errors > 0)]
        ref = pub[s["d"]].to_numpy()
        out.append(
            pd.DataFrame(
                {
                    "p": p,
                    "decoder": dec,
                    "d": s["d"].to_numpy(),
                    "failures": s["errors"].to_numpy(),
                    "in_verdicts": s["in_verdicts"].to_numpy(),
                    "factor": s["ler"].to_numpy() / ref,
                    "low": s["ler_lo"].to_numpy() / ref,
                    "high": s["ler_hi"].to_numpy() / ref,
                }
            )
        )
    return pd.concat(out, ignore_index=True)


def worst_factor(factor, low, high) -> tuple[float, float, float]:
    """The worst factor ``max(f, 1/f)`` over distances, and its range over the ends of each
    distance's interval (1 where an interval contains 1)."""
    f, lo, hi = (np.asarray(v, float) for v in (factor, low, high))
    fold = lambda v: np.maximum(v, 1 / v)  # noqa: E731
    near = np.where((lo <= 1) & (hi >= 1), 1.0, np.minimum(fold(lo), fold(hi)))
    return (
        float(np.max(fold(f))),
        float(np.max(near)),
        float(np.max(np.maximum(fold(lo), fold(hi)))),
    )


def paired_gain(stats, pairs, p: float, d: int, level: float, noise: str = "chapter") -> dict:
    """Uncorrelated / correlated LER at one point, paired on the shared shots (and, for comparison,
    the standard error an unpaired comparison would have)."""
    u = series(stats, p, "uncorr", noise, usable=False).set_index("d").loc[d]
    c = series(stats, p, "corr", noise, usable=False).set_index("d").loc[d]
    both = pair_count(pairs, p, d, "uncorr", "corr", noise)
    k = (int(u.errors), int(u.shots), int(c.errors), int(c.shots))
    r, lo, hi, se = log_ratio_interval(*k, both, level)
    unpaired_se = log_ratio_interval(*k, None, level)[3]
    return {
        "d": d,
        "uncorr failures": k[0],
        "corr failures": k[2],
        "both fail": both,
        "corr shots": k[3],
        "gain uncorr/corr": r,
        "low": lo,
        "high": hi,
        "se ln (paired)": se,
        "se ln (if unpaired)": unpaired_se,
    }


def ablation_table(stats, published_ler, level: float, p: float = 0.006):
    """Each ablation variant's LER per decoder and distance, relative to the chapter's mapping
    (unpaired interval: independent shots) and to the published LER (``published_ler``: a
    distance × decoder table with columns ``uncorr_pm``, ``corr_pm``)."""
    import pandas as pd

    rows = []
    for nz in ("chapter", *ABLATION):
        for dec in BASE_ARMS:
            for d in ABLATION_D:
                s = series(stats, p, dec, nz, usable=False).set_index("d").loc[d]
                ref = series(stats, p, dec, "chapter", usable=False).set_index("d").loc[d]
                r, lo, hi, _ = (
                    (1.0, 1.0, 1.0, 0.0)
                    if nz == "chapter"
                    else log_ratio_interval(
                        int(s.errors), int(s.shots), int(ref.errors), int(ref.shots), None, level
                    )
                )
                pub = published_ler.loc[d, "uncorr_pm" if dec == "uncorr" else "corr_pm"]
                rows.append(
                    {
                        "noise": nz,
                        "decoder": dec,
                        "d": d,
                        "failures": int(s.errors),
                        "ler": s.ler,
                        "vs chapter": r,
                        "low": lo,
                        "high": hi,
                        "vs published": s.ler / pub,
                    }
                )
    return pd.DataFrame(rows)


def toy_analysis(stats, pairs, level: float, p: float = 0.006) -> dict:
    """The mechanistic toy's results at ``TOY_D``: Λ per arm (``lams``), the paired change of ln Λ
    from a random instead of a canonical representative (``det``), the ln Λ lost to pair removal by
    correlated (``loss_c``) and uncorrelated (``loss_u``) matching, and the difference of the two
    losses with the covariances of all four arms on the shared shots (``contrast``)."""
    import pandas as pd

    toy = stats[(stats.noise == "chapter") & np.isclose(stats.p, p) & stats.d.isin(TOY_D)]

    def at(arm: str, col: str) -> list[int]:
        return [int(toy[(toy.decoder == arm) & (toy.d == d)][col].iloc[0]) for d in TOY_D]

    def both(a: str, b: str) -> list[int | None]:
        return [pair_count(pairs, p, d, a, b) for d in TOY_D]

    lams = []
    for dec in ARMS:
        g = toy[toy.decoder == dec].sort_values("d")
        f = fit_log_lambda(g["d"], g["errors"], g["shots"], level)
        lams.append(
            {
                "decoder": dec,
                "Lambda": f["Lambda"],
                "low": f["lo"],
                "high": f["hi"],
                **{f"failures d={d}": k for d, k in zip(TOY_D, at(dec, "errors"))},
                "events left per shot (largest d)": float(g["events_per_shot"].iloc[-1]),
            }
        )

    def delta(a: str, b: str) -> dict:
        shared = both(a, b)
        if any(v is None for v in shared):  # a loaded CSV without pair counts: treat as unpaired
            shared = [0] * len(TOY_D)
        return paired_delta_log_lambda(TOY_D, at(a, "errors"), at(b, "errors"), shared, level)

    spec = {"corr": 1, "pairs+corr": -1, "uncorr": -1, "pairs+uncorr": 1}
    k = {a: at(a, "errors") for a in spec}
    n = at("corr", "shots")
    shared = {(a, b): both(a, b) for a in spec for b in spec if a < b}
    if any(v is None for vals in shared.values() for v in vals):  # no pair counts: independence
        shared = {
            ab: [k[ab[0]][i] * k[ab[1]][i] / n[i] for i in range(len(TOY_D))] for ab in shared
        }
    return {
        "frame": toy,
        "lams": pd.DataFrame(lams),
        "det": delta("chains_random+corr", "chains_canonical+corr"),
        "loss_c": delta("corr", "pairs+corr"),
        "loss_u": delta("uncorr", "pairs+uncorr"),
        "contrast": contrast_log_lambda(TOY_D, spec, k, shared, n, level),
        "shots": int(sum(n)),
    }


def ler_plot_frame(stats, paper, card, min_failures: int, d_max: int = 17):
    """Long table for the LER-against-distance figure: the simulated baselines (chapter mapping, with
    their Wilson intervals; marked when below ``min_failures``), the uniform model, and the
    published PyMatching points (paper figure and model card) up to ``d_max``. Columns ``p, d,
    series, kind, ler, ler_lo, ler_hi``."""
    import pandas as pd

    names = {"uncorr": "uncorrelated PM", "corr": "correlated PM"}
    sim = stats[stats.noise.isin(["chapter", "uniform"]) & stats.decoder.isin(BASE_ARMS)]
    uniform = sim.noise == "uniform"
    low = f"simulated (< {min_failures} failures)"
    sim = sim.assign(
        series=sim.decoder.map(names) + np.where(uniform, " (uniform model)", " (sim)"),
        kind=np.where(uniform, "uniform model", np.where(sim.in_verdicts, "simulated", low)),
    )
    pub_names = {"uncorr_pm": names["uncorr"], "corr_pm": names["corr"], "mwpm": names["uncorr"]}
    pub = pd.concat(
        [paper[paper.decoder.isin(["uncorr_pm", "corr_pm"])], card[card.decoder == "mwpm"]]
    )
    pub = pub.assign(series=pub.decoder.map(pub_names) + " (published)", kind="published")
    pub = pub.rename(columns={"distance": "d"})
    cols = ["p", "d", "series", "kind", "ler", "ler_lo", "ler_hi"]
    out = pd.concat([sim.reindex(columns=cols), pub.reindex(columns=cols)], ignore_index=True)
    return out[out.d <= d_max].reset_index(drop=True)


def ceiling_curves(d, corr_fit: Mapping, floor: Mapping, slope: Mapping):
    """The fitted curves of the ceiling figure at distances ``d``: the correlated baseline's
    exponential fit, (a) the constant-floor and (b) the degraded-slope model of the pipeline.
    Columns ``d, ler, curve``."""
    import pandas as pd

    d = np.asarray(d, float)
    base = corr_fit["A"] * corr_fit["Lambda"] ** (-(d + 1) / 2)
    return pd.concat(
        [
            pd.DataFrame({"d": d, "ler": base, "curve": "corr PM, exponential fit"}),
            pd.DataFrame(
                {"d": d, "ler": floor["c"] * base + floor["F"], "curve": "(a) constant floor"}
            ),
            pd.DataFrame(
                {
                    "d": d,
                    "ler": slope["A"] * slope["Lambda"] ** (-(d + 1) / 2),
                    "curve": "(b) degraded slope",
                }
            ),
        ],
        ignore_index=True,
    )


def ablation_summary(abl, published_ler) -> dict:
    """What the ablation says at its larger distance (correlated matching): the channel whose switch
    to the uniform value moves the LER most (``biggest``) and by how much (``move``), the other
    switches (``others``, text), the LER against the published one under the chapter's and the
    uniform mapping, and the uncorrelated/correlated gain and Λ between the two ablation distances
    under each mapping and in the published figure (``published_ler``: distance × decoder)."""
    d0, d1 = min(ABLATION_D), max(ABLATION_D)
    a = abl.set_index(["noise", "decoder", "d"])
    move = {nz: float(a.loc[(nz, "corr", d1), "vs chapter"]) for nz in ABLATION if nz != "uniform"}
    biggest = max(move, key=lambda k: abs(np.log(move[k])))
    out = {
        "biggest": biggest.replace("uniform-", ""),
        "move": move[biggest],
        "others": ", ".join(
            f"{v:.2f} ({k.replace('uniform-', '')})" for k, v in move.items() if k != biggest
        ),
    }
    for nz in ("chapter", "uniform"):
        out[f"{nz}_pub"] = float(a.loc[(nz, "corr", d1), "vs published"])
        out[f"gain_{nz}"] = float(a.loc[(nz, "uncorr", d1), "ler"] / a.loc[(nz, "corr", d1), "ler"])
        l0, l1 = a.loc[(nz, "corr", d0), "ler"], a.loc[(nz, "corr", d1), "ler"]
        out[f"lam_{nz}"] = pairwise_lambda(d0, l0, d1, l1)
    pub = published_ler
    out["gain_pub"] = pub.loc[d1, "uncorr_pm"] / pub.loc[d1, "corr_pm"]
    out["lam_pub"] = pairwise_lambda(d0, pub.loc[d0, "corr_pm"], d1, pub.loc[d1, "corr_pm"])
    return out
