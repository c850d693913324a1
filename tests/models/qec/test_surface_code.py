"""Tests of costcorrect.models.qec.surface_code (small distances and shot counts; no network)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from costcorrect.models.qec import surface_code as qec


def test_noise_parameters_map_release_defaults() -> None:
    n = qec.noise_parameters(0.003)
    assert n["after_clifford_depolarization"] == pytest.approx(0.003)
    assert n["after_reset_flip_probability"] == pytest.approx(0.002)
    assert n["before_measure_flip_probability"] == pytest.approx(0.002)
    assert n["before_round_data_depolarization"] == pytest.approx(3 * 0.001996)


def test_memory_circuit_size() -> None:
    c = qec.memory_circuit(3, 0.001)
    assert c.num_observables == 1
    assert c.num_detectors == 24  # (d^2-1)/2 per round for X, plus Z from round 2 and final
    assert qec.memory_circuit(3, 0.001, rounds=5).num_detectors > c.num_detectors


def test_seed_for_is_stable_and_key_sensitive() -> None:
    assert qec.seed_for(1, 5, 0.003) == qec.seed_for(1, 5, 0.003)
    assert qec.seed_for(1, 5, 0.003) != qec.seed_for(1, 5, 0.006)
    assert qec.seed_for(1, 5, 0.003) != qec.seed_for(2, 5, 0.003)


def test_noise_parameters_uniform_switches() -> None:
    p = 0.006
    uni = qec.noise_parameters(p, qec.NOISE_CHANNELS)
    assert all(v == pytest.approx(p) for v in uni.values())
    only_data = qec.noise_parameters(p, ["data"])
    chapter = qec.noise_parameters(p)
    assert only_data["before_round_data_depolarization"] == pytest.approx(p)
    assert (
        only_data["before_measure_flip_probability"] == chapter["before_measure_flip_probability"]
    )
    assert (
        chapter["after_clifford_depolarization"] == uni["after_clifford_depolarization"]
    )  # gate: same in both
    with pytest.raises(ValueError):
        qec.noise_parameters(p, ["idle"])
    for label in ("chapter", "uniform", "uniform-data", "uniform-measure+reset"):
        assert qec.noise_label(qec.parse_noise_label(label)) == label


POINTS = [
    qec.make_task(3, 0.01, arms=qec.ARMS, max_shots=6000, max_errors=60, batch=500, seed=7),
    qec.make_task(
        3,
        0.006,
        arms=("uncorr", "corr"),
        max_shots=3000,
        max_errors=10**6,
        batch=700,
        seed=7,
        noise="uniform-data",
    ),
]


def test_collect_is_deterministic_and_independent_of_sinter_workers() -> None:
    local = qec.collect(POINTS, workers=0)
    again = qec.collect(POINTS, workers=0)
    with_sinter = qec.collect(POINTS, workers=2)
    assert local == again == with_sinter
    (_m0, c0), (_m1, c1) = local
    # first point stops at the batch where every arm has 60 failures; second at its shot ceiling
    # (last batch cut)
    assert (
        min(c0[f"fail:{a}"] for a in qec.ARMS) >= 60
        and c0["shots"] < 6000
        and c0["shots"] % 500 == 0
    )
    assert c1["shots"] == 3000 and c1["batches"] == 5
    other_seed = qec.collect([dict(POINTS[1], seed=8)], workers=0)[0][1]
    assert (
        other_seed["fail:uncorr"] != c1["fail:uncorr"]
        or other_seed["events:uncorr"] != c1["events:uncorr"]
    )


def test_reduce_batches_drops_extra_and_fills_missing() -> None:
    meta = qec.make_task(
        3, 0.01, arms=("uncorr",), max_shots=10_000, max_errors=5, batch=100, seed=1
    )
    batch = {"shots": 100, "fail:uncorr": 2}
    computed = []
    logged = {0: batch, 2: batch, 3: batch, 7: batch}  # 1 missing, 7 beyond the stop
    out = qec.reduce_batches(meta, logged, lambda i: computed.append(i) or batch)
    assert (
        computed == [1] and out["batches"] == 3 and out["fail:uncorr"] == 6 and out["shots"] == 300
    )


def test_pairs_and_stats_round_trip_through_sinter_csv(tmp_path) -> None:
    import sinter

    res = qec.collect(POINTS, workers=0)
    frame, pairs = qec.stats_frame(res), qec.pair_frame(res)
    # toy pipelines hand fewer events to the global decoder; shared failures never exceed either arm's
    f0 = frame[frame.noise == "chapter"].set_index("decoder")
    assert f0.loc["pairs+corr", "events_per_shot"] < f0.loc["corr", "events_per_shot"]
    for r in pairs.itertuples():
        row = frame[(frame.noise == r.noise) & (frame.p == r.p)].set_index("decoder")
        assert r.both <= min(row.loc[r.a, "errors"], row.loc[r.b, "errors"])
    path = tmp_path / "stats.csv"
    with open(path, "w") as fh:
        print(sinter.CSV_HEADER, file=fh)
        for s in qec.to_task_stats(res):
            print(s.to_csv_line(), file=fh)
    f2, p2 = qec.frame_from_sinter_stats(sinter.stats_from_csv_files(path))
    key = ["p", "d", "noise", "decoder"]
    merged = frame.merge(f2, on=key, suffixes=("", "_csv"))
    assert (
        len(merged) == len(frame)
        and (merged.errors == merged.errors_csv).all()
        and (merged.shots == merged.shots_csv).all()
    )

    def norm(f):
        return f.assign(a=f[["a", "b"]].min(axis=1), b=f[["a", "b"]].max(axis=1))

    m = norm(pairs).merge(norm(p2), on=["p", "d", "noise", "a", "b"], suffixes=("", "_csv"))
    assert len(m) == len(pairs) and (m.both == m.both_csv).all()


def test_sinter_decoders_and_circuit_files(tmp_path) -> None:
    import sinter

    paths = qec.write_circuits(tmp_path, [3], [0.01], ["chapter", "uniform-data"])
    assert sorted(p.name for p in paths) == [
        "d=3,p=0.01,noise=chapter.stim",
        "d=3,p=0.01,noise=uniform-data.stim",
    ]
    assert sinter.comma_separated_key_values(str(paths[1])) == {
        "d": 3,
        "p": 0.01,
        "noise": "uniform-data",
    }
    decs = qec.sinter_decoders()
    assert set(decs) == {a for a in qec.ARMS if "+" in a}
    c = qec.memory_circuit(3, 0.01)
    dem = c.detector_error_model(decompose_errors=True)
    det, obs = c.compile_detector_sampler(seed=3).sample(
        400, separate_observables=True, bit_packed=True
    )
    pred = (
        decs["pairs+corr"]
        .compile_decoder_for_dem(dem=dem)
        .decode_shots_bit_packed(bit_packed_detection_event_data=det)
    )
    assert pred.shape == (400, 1) and pred.dtype == np.uint8
    assert np.count_nonzero((pred ^ obs) & 1) < 60  # a working decoder at p = 0.01, d = 3


def _line_graph(
    n: int, edges: list[tuple[int, int]], flips: list[bool] | None = None
) -> qec.PairGraph:
    """A PairGraph built the way pair_graph builds it, from explicit edges."""
    u = np.array([min(e) for e in edges])
    v = np.array([max(e) for e in edges])
    ends = np.concatenate([u, v])
    order = np.argsort(ends, kind="stable")
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
    assert (
        res[0].tolist() == [False, False, True, False, False] + [True] * 7
    )  # (0,1) and (3,4) removed
    assert flip.tolist() == [True]
    res2, _ = qec.local_predecode(det, g, "canonical", chains=False)
    assert res2[0, :3].all() and not res2[0, 3:5].any()
    many = np.ones((4000, 12), dtype=bool)
    rres, rflip = qec.local_predecode(many, g, "random", np.random.default_rng(0))
    left_at_0 = rres[:, 0].mean()
    assert 0.45 < left_at_0 < 0.55  # random representative: either end is left
    assert (rres[:, 0] ^ rres[:, 2]).all() and not rres[:, 1].any()
    assert rres[:, 5:].all() and rflip.all()


def test_local_predecode_needs_rng_for_random() -> None:
    g = _line_graph(2, [(0, 1)])
    with pytest.raises(ValueError):
        qec.local_predecode(np.ones((1, 2), bool), g, "random")
    with pytest.raises(ValueError):
        qec.local_predecode(np.ones((1, 2), bool), g, "other")


@settings(deadline=None)
@given(st.lists(st.booleans(), min_size=12, max_size=12), st.sampled_from(["canonical", "random"]))
def test_local_predecode_removes_pairs_only(bits: list[bool], rule: str) -> None:
    g = _line_graph(12, EDGES, FLIPS)
    det = np.array([bits])
    res, _ = qec.local_predecode(det, g, rule, np.random.default_rng(1))
    assert not (res & ~det).any()  # never adds an event
    assert (det.sum() - res.sum()) % 2 == 0  # removes events in pairs


def test_pair_graph_of_a_real_circuit() -> None:
    import pymatching

    c = qec.memory_circuit(3, 0.01)
    m = pymatching.Matching.from_detector_error_model(c.detector_error_model(decompose_errors=True))
    g = qec.pair_graph(m)
    assert (g.u < g.v).all() and g.indptr[-1] == 2 * g.u.size
    assert np.all(np.diff(g.u * g.num_detectors + g.v) > 0)  # canonical order, no duplicates


def test_wilson() -> None:
    lo, hi = qec.wilson(0, 1000)
    assert lo == 0 and 0 < hi < 0.005
    lo, hi = qec.wilson(np.array([10, 500]), np.array([1000, 1000]))
    assert (lo < np.array([0.01, 0.5])).all() and (hi > np.array([0.01, 0.5])).all()
    assert hi[1] - 0.5 == pytest.approx(0.5 - lo[1])  # symmetric at 1/2
    z = 1.959964
    assert hi[1] - lo[1] == pytest.approx(
        2 * z * np.sqrt(0.25 / 1000 + z**2 / 4e6) / (1 + z**2 / 1000), rel=1e-4
    )


def test_log_ratio_interval_paired_is_narrower() -> None:
    r, lo, hi, se = qec.log_ratio_interval(400, 10_000, 200, 10_000, both=180)
    ru, lou, hiu, seu = qec.log_ratio_interval(400, 10_000, 200, 10_000)
    assert r == pytest.approx(2.0) == ru and lo < r < hi
    assert se == pytest.approx(np.sqrt((400 + 200 - 360) / (400 * 200)))
    assert se < seu and (hi - lo) < (hiu - lou)


def test_fit_log_lambda_and_paired_delta() -> None:
    d = np.array([5, 9, 13])
    n = np.array([10**6] * 3)
    k = np.round(n * 0.1 * 2.0 ** (-(d + 1) / 2)).astype(int)
    f = qec.fit_log_lambda(d, k, n)
    assert (
        f["Lambda"] == pytest.approx(2.0, rel=1e-2) and f["lo"] < 2.0 < f["hi"] and f["points"] == 3
    )
    assert np.isnan(qec.fit_log_lambda([5, 9], [0, 3], [100, 100])["Lambda"])
    kb = np.round(n * 0.1 * 1.5 ** (-(d + 1) / 2)).astype(int)
    delta = qec.paired_delta_log_lambda(d, k, kb, np.minimum(k, kb) // 2)
    assert (
        delta["delta"] == pytest.approx(np.log(2.0 / 1.5), abs=0.02)
        and delta["lo"] < delta["delta"] < delta["hi"]
    )


def test_contrast_log_lambda_generalises_the_paired_delta() -> None:
    d = [5, 7, 9]
    n = [20_000] * 3
    ka, kb, kab = [900, 700, 500], [600, 400, 250], [450, 300, 180]
    two = qec.contrast_log_lambda(d, {"a": 1, "b": -1}, {"a": ka, "b": kb}, {("a", "b"): kab}, n)
    ref = qec.paired_delta_log_lambda(d, ka, kb, kab)
    assert two["contrast"] == pytest.approx(ref["delta"]) and two["se"] == pytest.approx(ref["se"])
    # four arms on the same shots: a difference of differences; shared failures shrink its error
    k4 = {"a": ka, "b": kb, "c": [1000, 900, 800], "e": [800, 650, 500]}
    indep = {
        (x, y): [round(u * v / 20_000) for u, v in zip(k4[x], k4[y])]
        for x in k4
        for y in k4
        if x < y
    }
    shared = {**indep, ("a", "b"): kab, ("c", "e"): [700, 600, 450]}
    coef = {"a": 1, "b": -1, "c": -1, "e": 1}
    lo_corr = qec.contrast_log_lambda(d, coef, k4, shared, n)
    no_corr = qec.contrast_log_lambda(d, coef, k4, indep, n)
    assert (
        lo_corr["contrast"] == pytest.approx(no_corr["contrast"], abs=0.01)
        and lo_corr["se"] < no_corr["se"]
    )
    with pytest.raises(KeyError):
        qec.contrast_log_lambda(d, coef, k4, {("a", "b"): kab}, n)


def test_crossing_distance_interpolates_log_ratio() -> None:
    assert qec.crossing_distance([13, 17], [0.5, 2.0]) == pytest.approx(15.0)
    assert qec.crossing_distance([5, 9, 13, 17], [0.8, 0.9, 0.868, 1.12]) == pytest.approx(
        13 + 4 * -np.log(0.868) / (np.log(1.12) - np.log(0.868))
    )
    assert np.isnan(qec.crossing_distance([5, 9], [0.5, 0.9]))


def test_ceiling_model_roots_close_their_equations() -> None:
    import sympy as sp

    x, A_c, Lam_c, A_p, Lam_p, c, F = sp.symbols("x A_c Lambda_c A_p Lambda_p c F", positive=True)
    x_slope = sp.solve(sp.Eq(sp.log(A_p) - x * sp.log(Lam_p), sp.log(A_c) - x * sp.log(Lam_c)), x)[
        0
    ]
    x_floor = sp.solve(sp.Eq(sp.log(F), sp.log((1 - c) * A_c) - x * sp.log(Lam_c)), x)[0]
    vals = {
        A_c: sp.Rational(1, 20),
        Lam_c: sp.Rational(3, 2),
        A_p: sp.Rational(1, 30),
        Lam_p: sp.Rational(6, 5),
        c: sp.Rational(4, 5),
        F: sp.Rational(1, 10**5),
    }
    xs = x_slope.subs(vals)
    assert sp.N(A_p * Lam_p ** (-xs) - A_c * Lam_c ** (-xs), subs=vals) == pytest.approx(
        0, abs=1e-12
    )
    xf = x_floor.subs(vals)
    assert float(
        sp.N((c * A_c * Lam_c ** (-xf) + F - A_c * Lam_c ** (-xf)).subs(vals))
    ) == pytest.approx(0, abs=1e-12)


@given(st.floats(1e-6, 0.2), st.integers(1, 40))
def test_per_round_inverts_composition(e: float, r: int) -> None:
    L = (1 - (1 - 2 * e) ** r) / 2
    assert float(qec.per_round(L, r)) == pytest.approx(e, rel=1e-6)


def test_fit_lambda_recovers_exponential() -> None:
    d = np.array([5, 9, 13, 17])
    ler = 0.1 * 2.0 ** (-(d + 1) / 2)
    lam, _se, A = qec.fit_lambda(d, ler, errors=[100, 100, 100, 100])
    assert lam == pytest.approx(2.0) and pytest.approx(0.1) == A
    assert math.isnan(qec.fit_lambda([5, 9], [0.0, 0.0])[0])
    assert qec.pairwise_lambda(5, 0.04, 9, 0.01) == pytest.approx(2.0)


def test_ceiling_models_tell_floor_from_slope() -> None:
    d = np.array([5.0, 9, 13, 17, 21, 31])

    def base(x):
        return 0.05 * 1.6 ** (-(np.asarray(x, float) + 1) / 2)

    with_floor = 0.8 * base(d) + 2e-4
    fl = qec.fit_floor_model(d, with_floor, base)
    sl = qec.fit_slope_model(d, with_floor)
    assert fl["c"] == pytest.approx(0.8, rel=1e-3) and fl["F"] == pytest.approx(2e-4, rel=1e-3)
    assert fl["rss_log"] < sl["rss_log"]
    pure = 0.03 * 1.3 ** (-(d + 1) / 2)
    assert qec.fit_slope_model(d, pure)["rss_log"] < qec.fit_floor_model(d, pure, base)["rss_log"]


# --------------------------------------------------------------------------------------------
# decoding shortcuts, sampling plan and the chapter's analysis tables
# --------------------------------------------------------------------------------------------
def test_decode_arms_reuse_equals_full_decode() -> None:
    circuit = qec.memory_circuit(5, 0.006)
    dem = circuit.detector_error_model(decompose_errors=True)
    arms = qec.Arms(dem, qec.ARMS)
    det, _ = circuit.compile_detector_sampler(seed=3).sample(2000, separate_observables=True)
    preds, _ = qec.decode_arms(det, arms, np.random.default_rng(4))
    rng = np.random.default_rng(4)
    pairs, pflip = qec.local_predecode(det, arms.graph, "canonical", chains=False)
    canon, cflip = qec.local_predecode(det, arms.graph, "canonical", chains=True)
    rand, rflip = qec.local_predecode(det, arms.graph, "random", rng, chains=True)

    def full(m, ev, corr):
        return m.decode_batch(ev, enable_correlations=corr)[:, 0].astype(bool)

    assert np.array_equal(preds["corr"], full(arms.m_cor, det, True))
    assert np.array_equal(preds["uncorr"], full(arms.m_unc, det, False))
    assert np.array_equal(preds["pairs+corr"], full(arms.m_cor, pairs, True) ^ pflip)
    assert np.array_equal(preds["chains_canonical+corr"], full(arms.m_cor, canon, True) ^ cflip)
    assert np.array_equal(preds["chains_random+corr"], full(arms.m_cor, rand, True) ^ rflip)


def test_prefix_complete_reads_the_log(tmp_path) -> None:
    meta = qec.make_task(3, 0.01, arms=("uncorr",), max_shots=1000, max_errors=5, batch=10, seed=1)
    log = tmp_path / "p.log"
    assert not qec._prefix_complete(meta, log)
    log.write_text('{"i": 1, "c": {"shots": 10, "fail:uncorr": 9}}\n')
    assert not qec._prefix_complete(meta, log)  # batch 0 missing
    log.write_text(log.read_text() + '{"i": 0, "c": {"shots": 10, "fail:uncorr": 2}}\n{"i": 2, "c"')
    assert qec._prefix_complete(meta, log)  # 2 + 9 >= 5; the torn line is skipped


def test_sampling_plan_scales_with_budget() -> None:
    plan, tasks = qec.sampling_plan(1.0, 100, 300, seed=7)
    assert len(plan) == len(tasks) == 6 + len(qec.ABLATION) * len(qec.ABLATION_D)
    assert {t["max_errors"] for t in tasks} == {100, 200, 300}
    plan4, tasks4 = qec.sampling_plan(4.0, 100, 300, seed=7)
    assert len(plan4) == len(plan) + 2
    assert tasks4[0]["max_errors"] == 4 * tasks[0]["max_errors"]
    assert tasks4[0]["max_shots"] == 4 * tasks[0]["max_shots"]


def _fake_stats():
    import pandas as pd

    rows = []
    for d, (ku, kc) in {5: (400, 300), 9: (300, 150), 13: (200, 70)}.items():
        for dec, k in (("uncorr", ku), ("corr", kc)):
            for nz in ("chapter", *qec.ABLATION):
                rows.append(
                    dict(
                        p=0.006,
                        d=d,
                        rounds=d,
                        noise=nz,
                        decoder=dec,
                        shots=10_000,
                        errors=k,
                        events_per_shot=1.0,
                    )
                )
    stats = qec.annotate(pd.DataFrame(rows), 0.95, 100)
    pairs = pd.DataFrame(
        [
            dict(p=0.006, d=d, noise="chapter", a="uncorr", b="corr", shots=10_000, both=kc)
            for d, (_, kc) in {5: (0, 250), 9: (0, 140), 13: (0, 60)}.items()
        ]
    )
    return stats, pairs


def test_annotate_series_and_pairs() -> None:
    stats, pairs = _fake_stats()
    assert stats["ler"].iloc[0] == pytest.approx(0.04)
    assert (stats["ler_lo"] < stats["ler"]).all() and (stats["ler"] < stats["ler_hi"]).all()
    s = qec.series(stats, 0.006, "corr")
    assert list(s["d"]) == [9, 5] or list(s["d"]) == [5, 9]  # d = 13 has 70 < 100 failures
    assert 13 not in set(s["d"])
    assert qec.pair_count(pairs, 0.006, 9, "corr", "uncorr") == 140
    assert qec.pair_count(pairs, 0.006, 7, "corr", "uncorr") is None


def test_paired_gain_and_tables() -> None:
    import pandas as pd

    stats, pairs = _fake_stats()
    g = qec.paired_gain(stats, pairs, 0.006, 9, 0.95)
    assert g["gain uncorr/corr"] == pytest.approx(2.0)
    assert g["se ln (paired)"] < g["se ln (if unpaired)"]
    pub = pd.DataFrame({"distance": [5, 9, 13], "ler": [0.04, 0.03, 0.02]})
    fac = qec.factor_table(stats, {(0.006, "uncorr"): pub})
    assert list(fac["factor"]) == pytest.approx([1.0, 1.0, 1.0])
    lam = qec.lambda_table(stats, {(0.006, "uncorr"): pub}, 0.95)
    assert lam["ratio"].iloc[0] == pytest.approx(1.0, rel=0.05)
    fig = pd.DataFrame({"uncorr_pm": [0.04, 0.03], "corr_pm": [0.03, 0.015]}, index=[5, 9])
    abl = qec.ablation_table(stats, fig, 0.95)
    assert (abl.loc[abl.noise == "chapter", "vs chapter"] == 1.0).all()
    assert abl["vs chapter"].to_numpy() == pytest.approx(1.0)  # every variant has the same counts


def test_worst_factor() -> None:
    worst, near, far = qec.worst_factor([1.5, 0.5], [1.2, 0.4], [1.8, 0.9])
    assert worst == pytest.approx(2.0)
    assert near == pytest.approx(1.2)  # the largest of the nearer ends (1.2 and 1 / 0.9)
    assert far == pytest.approx(2.5)
    assert qec.worst_factor([1.1], [0.9], [1.3])[1] == 1.0  # interval containing 1


def test_toy_analysis_on_counts() -> None:
    import pandas as pd

    rows, pair_rows = [], []
    for d, base in zip(qec.TOY_D, (500, 300, 180)):
        for i, arm in enumerate(qec.ARMS):
            rows.append(
                dict(
                    p=0.006,
                    d=d,
                    rounds=d,
                    noise="chapter",
                    decoder=arm,
                    shots=20_000,
                    errors=base + 10 * i,
                    events_per_shot=2.0,
                )
            )
    stats = qec.annotate(pd.DataFrame(rows), 0.95, 100)
    out = qec.toy_analysis(
        stats, pd.DataFrame(pair_rows, columns=["p", "d", "noise", "a", "b", "shots", "both"]), 0.95
    )
    assert set(out) >= {"lams", "det", "loss_c", "loss_u", "contrast", "shots"}
    assert out["shots"] == 20_000 * len(qec.TOY_D)
    assert len(out["lams"]) == len(qec.ARMS)


def test_plot_frames() -> None:
    import pandas as pd

    stats, _ = _fake_stats()
    paper = pd.DataFrame(
        {
            "decoder": ["uncorr_pm", "corr_pm", "m6_corr_pm"],
            "distance": [5, 5, 5],
            "p": [0.006] * 3,
            "ler": [0.03, 0.02, 0.02],
        }
    )
    card = pd.DataFrame(
        {
            "decoder": ["mwpm", "mwpm"],
            "distance": [5, 21],
            "p": [0.003, 0.003],
            "ler": [0.004, 1e-6],
        }
    )
    f = qec.ler_plot_frame(stats, paper, card, 100)
    assert set(f["kind"]) == {
        "simulated",
        "simulated (< 100 failures)",
        "uniform model",
        "published",
    }
    assert f["d"].max() <= 17
    curves = qec.ceiling_curves(
        [5, 9], {"A": 1.0, "Lambda": 2.0}, {"c": 0.5, "F": 0.1}, {"A": 1.0, "Lambda": 1.5}
    )
    assert len(curves) == 6
    assert curves.loc[curves.curve == "(a) constant floor", "ler"].iloc[0] == pytest.approx(
        0.5 / 8 + 0.1
    )


def test_sample_writes_and_reads_a_sinter_csv(tmp_path) -> None:
    meta = qec.make_task(
        3, 0.01, arms=("uncorr", "corr"), max_shots=512, max_errors=5, batch=256, seed=2
    )
    path = str(tmp_path / "s.csv")
    stats, pairs = qec.sample([meta], workers=0, save_stats=path)
    loaded, _ = qec.sample([], stats_csv=path)
    assert set(stats["decoder"]) == {"uncorr", "corr"} and len(pairs) == 1
    merged = loaded.set_index("decoder")["errors"].to_dict()
    assert merged == stats.set_index("decoder")["errors"].to_dict()


def test_ablation_summary_names_the_biggest_switch() -> None:
    import pandas as pd

    stats, _ = _fake_stats()
    stats.loc[(stats.noise == "uniform-data") & (stats.decoder == "corr"), "ler"] *= 0.5
    stats.loc[(stats.noise == "uniform-data") & (stats.decoder == "corr"), "errors"] //= 2
    fig = pd.DataFrame({"uncorr_pm": [0.04, 0.03], "corr_pm": [0.03, 0.015]}, index=[5, 9])
    out = qec.ablation_summary(qec.ablation_table(stats, fig, 0.95), fig)
    assert out["biggest"] == "data"
    assert out["move"] == pytest.approx(0.5, rel=0.02)
    assert out["gain_pub"] == pytest.approx(2.0)
    assert set(out) >= {
        "others",
        "chapter_pub",
        "uniform_pub",
        "lam_chapter",
        "lam_uniform",
        "lam_pub",
    }
