"""Tests of costcorrect.qec (small distances and shot counts; no network)."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from costcorrect import qec


def test_noise_parameters_map_release_defaults() -> None:
    n = qec.noise_parameters(0.003)
    assert n["after_clifford_depolarization"] == pytest.approx(0.003)
    assert n["after_reset_flip_probability"] == pytest.approx(0.002)
    assert n["before_measure_flip_probability"] == pytest.approx(0.002)
    assert n["before_round_data_depolarization"] == pytest.approx(3 * 0.001996)


def test_memory_circuit_size() -> None:
    c = qec.memory_circuit(3, 0.001)
    assert c.num_observables == 1
    assert c.num_detectors == 24            # (d^2-1)/2 per round for X, plus Z from round 2 and final
    assert qec.memory_circuit(3, 0.001, rounds=5).num_detectors > c.num_detectors


def test_seed_for_is_stable_and_key_sensitive() -> None:
    assert qec.seed_for(1, 5, 0.003) == qec.seed_for(1, 5, 0.003)
    assert qec.seed_for(1, 5, 0.003) != qec.seed_for(1, 5, 0.006)
    assert qec.seed_for(1, 5, 0.003) != qec.seed_for(2, 5, 0.003)


def test_run_memory_is_deterministic_and_seed_dependent() -> None:
    kw = dict(decoders=qec.DECODERS, max_shots=1500, max_errors=10**9, batch=512)
    a = qec.run_memory(3, 0.01, seed=7, **kw)
    b = qec.run_memory(3, 0.01, seed=7, **kw)
    c = qec.run_memory(3, 0.01, seed=8, **kw)
    assert a.errors == b.errors and a.detection_events == b.detection_events and a.shots == 1500
    assert a.detection_events != c.detection_events
    # toy pipelines hand fewer events to the global decoder
    assert a.detection_events["pairs+corr"] < a.detection_events["corr"]


def test_run_memory_stops_at_max_errors() -> None:
    t = qec.run_memory(3, 0.02, max_shots=100_000, max_errors=20, batch=256, seed=1)
    assert t.shots < 100_000 and min(t.errors.values()) >= 20


def test_run_memory_rejects_unknown_decoder() -> None:
    with pytest.raises(ValueError):
        qec.run_memory(3, 0.01, decoders=("bogus",), max_shots=10, max_errors=1)


def test_run_many_matches_sequential() -> None:
    tasks = [dict(d=3, p=0.01, max_shots=600, max_errors=10**9, batch=300, seed=s) for s in (1, 2)]
    seq = qec.run_many(tasks, workers=1)
    par = qec.run_many(tasks, workers=2)
    assert [t.errors for t in seq] == [t.errors for t in par]


def _line_graph(n: int, edges: list[tuple[int, int]], flips: list[bool] | None = None) -> qec.PairGraph:
    """A PairGraph built the way pair_graph builds it, from explicit edges."""
    u = np.array([min(e) for e in edges]); v = np.array([max(e) for e in edges])
    ends = np.concatenate([u, v]); order = np.argsort(ends, kind="stable")
    ids = np.concatenate([np.arange(u.size), np.arange(u.size)])[order]
    others = np.concatenate([v, u])[order]
    indptr = np.concatenate([[0], np.cumsum(np.bincount(ends, minlength=n))])
    fl = np.array(flips if flips is not None else [False] * len(edges))
    return qec.PairGraph(u, v, fl, n, indptr, ids, others)


# nodes: chain 0-1-2, isolated pair 3-4 (flips the observable), chain of four 5-6-7-8, triangle 9-10-11
EDGES = [(0, 1), (1, 2), (3, 4), (5, 6), (6, 7), (7, 8), (9, 10), (10, 11), (9, 11)]
FLIPS = [False, False, True, False, False, False, False, False, False]


def test_local_predecode_rules() -> None:
    g = _line_graph(12, EDGES, FLIPS)
    det = np.ones((1, 12), dtype=bool)
    res, flip = qec.local_predecode(det, g, "canonical")
    assert res[0].tolist() == [False, False, True, False, False] + [True] * 7  # (0,1) and (3,4) removed
    assert flip.tolist() == [True]
    res2, _ = qec.local_predecode(det, g, "canonical", chains=False)
    assert res2[0, :3].all() and not res2[0, 3:5].any()
    many = np.ones((4000, 12), dtype=bool)
    rres, rflip = qec.local_predecode(many, g, "random", np.random.default_rng(0))
    left_at_0 = rres[:, 0].mean()
    assert 0.45 < left_at_0 < 0.55                      # random representative: either end is left
    assert (rres[:, 0] ^ rres[:, 2]).all() and not rres[:, 1].any()
    assert rres[:, 5:].all() and rflip.all()


def test_local_predecode_needs_rng_for_random() -> None:
    g = _line_graph(2, [(0, 1)])
    with pytest.raises(ValueError):
        qec.local_predecode(np.ones((1, 2), bool), g, "random")
    with pytest.raises(ValueError):
        qec.local_predecode(np.ones((1, 2), bool), g, "other")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.booleans(), min_size=12, max_size=12), st.sampled_from(["canonical", "random"]))
def test_local_predecode_removes_pairs_only(bits: list[bool], rule: str) -> None:
    g = _line_graph(12, EDGES, FLIPS)
    det = np.array([bits])
    res, _ = qec.local_predecode(det, g, rule, np.random.default_rng(1))
    assert not (res & ~det).any()                      # never adds an event
    assert (det.sum() - res.sum()) % 2 == 0            # removes events in pairs


def test_pair_graph_of_a_real_circuit() -> None:
    import pymatching
    c = qec.memory_circuit(3, 0.01)
    m = pymatching.Matching.from_detector_error_model(c.detector_error_model(decompose_errors=True))
    g = qec.pair_graph(m)
    assert (g.u < g.v).all() and g.indptr[-1] == 2 * g.u.size
    assert np.all(np.diff(g.u * g.num_detectors + g.v) > 0)   # canonical order, no duplicates


def test_clopper_pearson() -> None:
    lo, hi = qec.clopper_pearson(0, 1000)
    assert lo == 0 and hi == pytest.approx(1 - 0.025 ** (1 / 1000))
    lo, hi = qec.clopper_pearson(np.array([10, 500]), np.array([1000, 1000]))
    assert (lo < np.array([0.01, 0.5])).all() and (hi > np.array([0.01, 0.5])).all()
    assert hi[0] < 0.02


@given(st.floats(1e-6, 0.2), st.integers(1, 40))
def test_per_round_inverts_composition(e: float, r: int) -> None:
    L = (1 - (1 - 2 * e) ** r) / 2
    assert float(qec.per_round(L, r)) == pytest.approx(e, rel=1e-6)


def test_fit_lambda_recovers_exponential() -> None:
    d = np.array([5, 9, 13, 17])
    ler = 0.1 * 2.0 ** (-(d + 1) / 2)
    lam, se, A = qec.fit_lambda(d, ler, errors=[100, 100, 100, 100])
    assert lam == pytest.approx(2.0) and A == pytest.approx(0.1)
    assert math.isnan(qec.fit_lambda([5, 9], [0.0, 0.0])[0])
    assert qec.pairwise_lambda(5, 0.04, 9, 0.01) == pytest.approx(2.0)


def test_ceiling_models_tell_floor_from_slope() -> None:
    d = np.array([5.0, 9, 13, 17, 21, 31])
    base = lambda x: 0.05 * 1.6 ** (-(np.asarray(x, float) + 1) / 2)
    with_floor = 0.8 * base(d) + 2e-4
    fl = qec.fit_floor_model(d, with_floor, base)
    sl = qec.fit_slope_model(d, with_floor)
    assert fl["c"] == pytest.approx(0.8, rel=1e-3) and fl["F"] == pytest.approx(2e-4, rel=1e-3)
    assert fl["rss_log"] < sl["rss_log"]
    pure = 0.03 * 1.3 ** (-(d + 1) / 2)
    assert qec.fit_slope_model(d, pure)["rss_log"] < qec.fit_floor_model(d, pure, base)["rss_log"]
