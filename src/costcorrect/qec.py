"""Surface-code memory experiments (stim + PyMatching) for the chapter "The Structural Residual Ceiling".

Everything here is deterministic for a fixed seed: stim's sampler is seeded per (seed, d, p, tag),
shots are drawn in fixed-size batches, PyMatching is deterministic, and the toy pre-decoder uses a
NumPy generator derived from the same seed.

Contents
- :func:`memory_circuit`: rotated surface-code memory circuit under a circuit-level depolarising
  model mapped from the release's 25-parameter defaults (see the chapter for the mapping).
- :func:`run_memory`: bounded-budget Monte Carlo of several decoders on the same shots.
- :func:`clopper_pearson`, :func:`per_round`, :func:`fit_lambda`, :func:`pairwise_lambda`:
  statistics.
- :func:`fit_floor_model`, :func:`fit_slope_model`: the two ceiling models.
- :func:`local_predecode`: the mechanistic toy (greedy local pair removal with a canonical or a
  randomised choice of representative).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import pymatching
import stim
from scipy import optimize, stats

__all__ = [
    "memory_circuit", "noise_parameters", "seed_for", "Tally", "run_memory", "clopper_pearson",
    "per_round", "fit_lambda", "pairwise_lambda", "fit_floor_model", "fit_slope_model",
    "PairGraph", "pair_graph", "local_predecode",
]


# --------------------------------------------------------------------------------------------
# Circuit
# --------------------------------------------------------------------------------------------
def noise_parameters(p: float) -> dict[str, float]:
    """stim generator arguments that reproduce the release's grouped noise defaults at strength ``p``.

    prep and measurement flips 2p/3; two-qubit depolarising p after each CNOT (p/15 per Pauli);
    data-qubit depolarising during the SPAM window 3*(2p/3 - 4p^2/9) in total per round. Idle noise
    during CNOT layers (p/3 per Pauli in the release) has no stim-generator knob and is left out;
    stim additionally applies DEPOLARIZE1(p) after the Hadamards of the X-type ancillas.
    """
    return {
        "after_clifford_depolarization": p,
        "after_reset_flip_probability": 2 * p / 3,
        "before_measure_flip_probability": 2 * p / 3,
        "before_round_data_depolarization": 3 * (2 * p / 3 - 4 * p**2 / 9),
    }


def memory_circuit(d: int, p: float, rounds: int | None = None, basis: str = "x") -> stim.Circuit:
    """Rotated surface-code memory experiment of distance ``d`` with ``rounds`` (default d) rounds."""
    return stim.Circuit.generated(
        f"surface_code:rotated_memory_{basis}", distance=d, rounds=d if rounds is None else rounds,
        **noise_parameters(p),
    )


def seed_for(seed: int, *key: int | float | str) -> int:
    """A stable 63-bit seed derived from ``seed`` and a key (independent of Python's hash salt)."""
    words = [int(seed)]
    for k in key:
        if isinstance(k, float):
            words.append(int(round(k * 1e9)))
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
    indptr: np.ndarray = field(default=None, repr=False)   # CSR adjacency: node -> incident edges
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


def local_predecode(det: np.ndarray, graph: PairGraph, rule: str, rng: np.random.Generator | None = None,
                    chains: bool = True) -> tuple[np.ndarray, np.ndarray]:
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
    fu = s_idx * nd + graph.u[e_idx]                                  # flat (shot, node) ids
    fv = s_idx * nd + graph.v[e_idx]
    deg = np.bincount(np.concatenate([fu, fv]), minlength=shots * nd)
    du, dv = deg[fu], deg[fv]
    nbsum = np.bincount(np.concatenate([fu, fv]), weights=np.concatenate([dv, du]), minlength=shots * nd)
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
# Monte Carlo
# --------------------------------------------------------------------------------------------
@dataclass
class Tally:
    """Shots and logical failures per decoder for one (d, p) point."""

    d: int
    p: float
    rounds: int
    shots: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    detection_events: dict[str, int] = field(default_factory=dict)


DECODERS = ("uncorr", "corr", "pairs+uncorr", "pairs+corr", "chains_canonical+corr", "chains_random+corr")


def run_memory(d: int, p: float, *, decoders: Sequence[str] = ("uncorr", "corr"), max_shots: int,
               max_errors: int, batch: int = 2048, seed: int = 0, rounds: int | None = None) -> Tally:
    """Sample a memory experiment and decode every batch with each decoder.

    Decoders: ``uncorr`` (PyMatching), ``corr`` (PyMatching with ``enable_correlations``), and the
    toy pipelines (see :func:`local_predecode`): ``pairs+uncorr`` / ``pairs+corr`` remove isolated
    pairs only; ``chains_canonical+corr`` / ``chains_random+corr`` also reduce isolated 3-chains
    with a canonical or a randomised representative; the residual goes to PyMatching. Sampling stops after the batch in which every decoder has reached
    ``max_errors`` failures, or at ``max_shots``. Deterministic for fixed arguments.
    """
    unknown = set(decoders) - set(DECODERS)
    if unknown:
        raise ValueError(f"unknown decoders {sorted(unknown)}")
    r = d if rounds is None else rounds
    circuit = memory_circuit(d, p, r)
    dem = circuit.detector_error_model(decompose_errors=True)
    need_corr = any(name.endswith("+corr") or name == "corr" for name in decoders)
    m_unc = pymatching.Matching.from_detector_error_model(dem)
    m_cor = pymatching.Matching.from_detector_error_model(dem, enable_correlations=True) if need_corr else None
    graph = pair_graph(m_unc)
    sampler = circuit.compile_detector_sampler(seed=seed_for(seed, d, p, r, "sample"))
    rng = np.random.default_rng(seed_for(seed, d, p, r, "toy"))
    tally = Tally(d, p, r, 0, {n: 0 for n in decoders}, {n: 0 for n in decoders})
    while tally.shots < max_shots and min(tally.errors.values()) < max_errors:
        n = min(batch, max_shots - tally.shots)
        det, obs = sampler.sample(n, separate_observables=True)
        truth = obs[:, 0]
        pairs = None
        for name in decoders:
            if name == "uncorr":
                pred = m_unc.decode_batch(det)[:, 0].astype(bool)
                events = det
            elif name == "corr":
                pred = m_cor.decode_batch(det, enable_correlations=True)[:, 0].astype(bool)
                events = det
            else:
                if name.startswith("pairs"):
                    if pairs is None:
                        pairs = local_predecode(det, graph, "canonical", chains=False)
                    events, flip = pairs
                else:
                    rule = "canonical" if "canonical" in name else "random"
                    events, flip = local_predecode(det, graph, rule, rng, chains=True)
                if name.endswith("+corr"):
                    pred = m_cor.decode_batch(events, enable_correlations=True)[:, 0].astype(bool) ^ flip
                else:
                    pred = m_unc.decode_batch(events)[:, 0].astype(bool) ^ flip
            tally.errors[name] += int(np.count_nonzero(pred != truth))
            tally.detection_events[name] += int(np.count_nonzero(events))
        tally.shots += n
    return tally


# --------------------------------------------------------------------------------------------
# Statistics
# --------------------------------------------------------------------------------------------
def clopper_pearson(k: np.ndarray | int, n: np.ndarray | int, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Exact two-sided binomial interval; with k = 0 the lower end is 0 and the upper end is the bound."""
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    a = 1 - level
    with np.errstate(invalid="ignore", divide="ignore"):
        lo = np.where(k > 0, stats.beta.ppf(a / 2, np.maximum(k, 1e-12), n - k + 1), 0.0)
        hi = np.where(k < n, stats.beta.ppf(1 - a / 2, k + 1, np.maximum(n - k, 1e-12)), 1.0)
    return lo, hi


def per_round(ler_shot: np.ndarray | float, rounds: np.ndarray | int) -> np.ndarray:
    """Per-round logical error rate e with 1 - 2*L = (1 - 2*e)**rounds (independent rounds)."""
    L = np.asarray(ler_shot, dtype=float)
    return (1 - np.clip(1 - 2 * L, 0, None) ** (1 / np.asarray(rounds, dtype=float))) / 2


def fit_lambda(d: Sequence[int], ler: Sequence[float], errors: Sequence[int] | None = None) -> tuple[float, float, float]:
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


def fit_floor_model(d: Sequence[int], ler: Sequence[float], baseline: Callable[[np.ndarray], np.ndarray]) -> dict[str, float]:
    """Model (a), a constant floor on top of the baseline: L(d) = c * baseline(d) + F, fitted in ln L."""
    d = np.asarray(d, float)
    y = np.asarray(ler, float)
    base = baseline(d)

    def resid(theta: np.ndarray) -> np.ndarray:
        c, logF = theta
        return np.log(c * base + np.exp(logF)) - np.log(y)

    sol = optimize.least_squares(resid, x0=np.array([1.0, np.log(y.min() / 2)]), bounds=([1e-6, -40], [10, 0]))
    return {"c": float(sol.x[0]), "F": float(np.exp(sol.x[1])), "rss_log": float(np.sum(sol.fun**2))}


def _run_task(kwargs: dict) -> Tally:
    return run_memory(**kwargs)


def run_many(tasks: Sequence[dict], workers: int = 1) -> list[Tally]:
    """Run :func:`run_memory` for each keyword dict, optionally in ``workers`` spawned processes.

    Every task is seeded independently, so the results do not depend on ``workers``.
    """
    if workers <= 1 or len(tasks) <= 1:
        return [run_memory(**t) for t in tasks]
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    # longest tasks first keeps both workers busy; results are returned in task order
    order = sorted(range(len(tasks)), key=lambda i: -tasks[i]["d"])
    with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn")) as pool:
        done = dict(zip(order, pool.map(_run_task, [tasks[i] for i in order])))
    return [done[i] for i in range(len(tasks))]
