"""Tests of costcorrect.models.verification.composition: the composition identity (CAS and
Hypothesis on random joint laws), the covariance split, the three-verifier terms, the bounds and
the simulators."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from costcorrect.models.verification import composition as cm


def test_dedekind_counts():
    assert [len(cm.monotone_rules(n)) for n in (1, 2, 3)] == [3, 6, 20]


def test_is_monotone_rejects_xor_and_accepts_and():
    assert cm.is_monotone(cm.AND2, 2) and cm.is_monotone(cm.OR2, 2)
    assert not cm.is_monotone((0, 1, 1, 0), 2)


def test_two_verifier_errors():
    errs = {r.name: r.error for r in cm.composition_errors2()}
    c = cm.c
    assert errs["V1∧V2"] == c
    assert errs["V1 ∨ V2"] == -c
    assert errs["XOR"] == -2 * c
    for name in ("V1", "V2", "accept-all", "reject-all"):
        assert errs[name] == 0
    mono = [r for r in cm.composition_errors2() if r.monotone]
    assert len(mono) == 6
    # the literal "equals c for every monotone rule" is false
    assert not all(sp.simplify(r.error - c) == 0 for r in mono)


def test_covariance_split_identity():
    s = cm.covariance_split(3)
    assert s.identity and s.instance_error_is_within and s.population_error_is_total


def test_bahadur_parametrisation_and_and3():
    assert all(cm.bahadur_checks().values())
    errs = {r.name: r.error for r in cm.composition_errors3()}
    expected = cm.q3 * cm.c12 + cm.q2 * cm.c13 + cm.q1 * cm.c23 + cm.k123
    assert sp.simplify(errs["V1∧V2∧V3"] - expected) == 0
    assert errs["V1∧V2"] == cm.c12
    assert sum(1 for e in errs.values() if e.has(cm.k123)) == 9


def test_brier_joint_vs_product():
    assert sp.simplify(cm.brier_joint_vs_product() - 4 * cm.c**2) == 0


def test_union_bound_and_lecam():
    ub = cm.sym_union_bound()
    assert ub.dominated
    assert sp.simplify(ub.regret - sp.sqrt(2 * sp.log(2 * cm.K1 * cm.K2) / cm.N)) == 0
    lc = cm.sym_lecam()
    assert lc.kl_ok
    assert sp.simplify(lc.bound - sp.sqrt(2) / (32 * sp.sqrt(cm.N))) == 0
    assert np.isclose(cm.lecam_bound(np.array([2.0]))[0], 1 / 32)
    assert np.isclose(
        cm.union_bound(np.array([8.0]), 2, 2, 0.5)[0], np.sqrt(2 * np.log(8) / 8) / 0.5
    )


# ------------------------------------------------------------------ Hypothesis: random joint laws


@st.composite
def joint_laws(draw):
    a = draw(st.floats(0.02, 0.98))
    b = draw(st.floats(0.02, 0.98))
    lo, hi = cm.corr_bounds(a, b)
    t = draw(st.floats(0.0, 1.0))
    rho = float(lo + t * (hi - lo)) * (1 - 1e-9)
    return a, b, rho


@settings(deadline=None)
@given(joint_laws())
def test_identity_on_random_joint_laws(law):
    a, b, rho = law
    P = cm.joint_pmf(a, b, rho)
    P0 = cm.joint_pmf(a, b, 0.0)
    assert np.all(P >= 0) and np.isclose(P.sum(), 1.0)
    cov = P[3] - a * b
    # marginals preserved
    assert np.isclose(P[2] + P[3], a) and np.isclose(P[1] + P[3], b)
    for table in cm.monotone_rules(2):
        err = cm.pipeline_accept(P, table) - cm.pipeline_accept(P0, table)
        if table == cm.AND2:
            assert np.isclose(err, cov, atol=1e-12)
        elif table == cm.OR2:
            assert np.isclose(err, -cov, atol=1e-12)
        else:
            assert np.isclose(err, 0.0, atol=1e-12)


@settings(deadline=None)
@given(st.lists(st.floats(0.01, 1.0), min_size=8, max_size=8))
def test_three_verifier_formula_on_random_laws(w):
    """Numeric AND3 error equals p3 c12 + p2 c13 + p1 c23 + kappa on an arbitrary 8-point law."""
    P = np.asarray(w) / np.sum(w)
    X = np.array([[(i >> (2 - j)) & 1 for j in range(3)] for i in range(8)], dtype=float)
    p = P @ X
    D = X - p
    cov = lambda i, j: float(P @ (D[:, i] * D[:, j]))  # noqa: E731
    kappa = float(P @ (D[:, 0] * D[:, 1] * D[:, 2]))
    err = P[7] - p.prod()
    assert np.isclose(
        err, p[2] * cov(0, 1) + p[1] * cov(0, 2) + p[0] * cov(1, 2) + kappa, atol=1e-12
    )


@settings(deadline=None)
@given(st.integers(2, 4), st.lists(st.floats(0.01, 1.0), min_size=16, max_size=16))
def test_total_covariance_split_numeric(m, raw):
    """Mixture of m instance types with random joint laws: Cov = E[c(x)] + Cov(p1(x), p2(x))."""
    raw = np.asarray(raw[: 4 * m]).reshape(m, 4)
    Px = raw / raw.sum(axis=1, keepdims=True)
    w = np.linspace(1, 2, m)
    w = w / w.sum()
    a, b = Px[:, 2] + Px[:, 3], Px[:, 1] + Px[:, 3]
    cx = Px[:, 3] - a * b
    P = w @ Px
    total = P[3] - (P[2] + P[3]) * (P[1] + P[3])
    between = w @ (a * b) - (w @ a) * (w @ b)
    assert np.isclose(total, w @ cx + between, atol=1e-12)


def test_joint_pmf_rejects_infeasible():
    with pytest.raises(ValueError):
        cm.joint_pmf(0.9, 0.9, -0.5)


# ------------------------------------------------------------------ simulators


def _bench():
    return pd.DataFrame({"benchmark": ["X"], "low": [0.6], "high": [0.8]})


def test_simulation_is_deterministic_and_sane():
    a = cm.simulate_grid(_bench(), [0.0, 0.2], [2, 3], [32, 256], 200, 7)
    b = cm.simulate_grid(_bench(), [0.0, 0.2], [2, 3], [32, 256], 200, 7)
    pd.testing.assert_frame_equal(a, b)
    fin = a[np.isfinite(a["N"])]
    assert (fin["gap"] >= 0).all()
    # more probes never hurt the joint mechanism much (paired design)
    j = fin[fin["mechanism"] == "joint"].set_index(["C", "K", "N"])["gap"]
    for C in (0.0, 0.2):
        for K in (2, 3):
            assert j[(C, K, 256)] <= j[(C, K, 32)] + 0.01
    # no correlation: no per-verifier floor
    floors = a[~np.isfinite(a["N"])].set_index(["C", "K"])["gap"]
    assert floors[(0.0, 2)] == 0 and floors[(0.0, 3)] == 0


def test_per_verifier_floor_positive_under_adversarial_correlation():
    d = cm.adversarial_design(0.7, 0.75, 3, 0.3)
    assert cm.per_verifier_floor(d)[0] > 0
    assert cm.per_verifier_floor(cm.adversarial_design(0.6, 0.8, 3, 0.0))[0] == 0


def test_threshold_n():
    df = pd.DataFrame(
        {
            "m": ["a"] * 3,
            "N": [32, 64, 128],
            "gap": [0.2, 0.04, 0.01],
            "se": [0.01, 0.02, 0.001],
            "alpha_min": [0.5] * 3,
        }
    )
    t = cm.threshold_n(df, target=0.05).iloc[0]
    assert t["n_star"] == 64 and t["n_lo"] == 64 and t["n_hi"] == 128


def test_matched_marginals_and_audit():
    rng = np.random.default_rng(3)
    mm = cm.matched_marginal_selection(0.7, 0.7, 0.2, 256, 2000, rng)
    assert abs(mm["per_verifier_picks_plus"] - 0.5) < 0.05
    assert mm["joint_picks_plus"] > 0.9
    assert mm["alpha_plus"] > mm["alpha_minus"]
    audit = cm.simulate_audit(0.7, 0.7, 0.2, 1024, 1000, rng).set_index("record")["rejects 'same'"]
    assert audit["per-verifier (V1 accepts)"] < 0.1
    assert audit["joint ledger P11 (pipeline accept)"] > 0.8


@settings(deadline=None)
@given(joint_laws())
def test_joint_brier_gap_on_random_laws(law):
    """Numeric check with costcorrect.models.verification.scoring: E_P[S(P)] - E_P[S(product)] =
    4 c^2 (Brier, 4 outcomes), while the per-verifier expected Brier scores do not depend on c."""
    from costcorrect.models.verification import scoring

    a, b, rho = law
    P = cm.joint_pmf(a, b, rho)
    P0 = cm.joint_pmf(a, b, 0.0)
    cov = P[3] - a * b
    gap = scoring.expected_score("brier", P, P) - scoring.expected_score("brier", P, P0)
    assert np.isclose(gap, 4 * cov**2, atol=1e-12)
    # marginal of V1 is the same under P and P0, hence the same per-verifier expected score
    m1, m10 = (
        np.array([1 - (P[2] + P[3]), P[2] + P[3]]),
        np.array([1 - (P0[2] + P0[3]), P0[2] + P0[3]]),
    )
    assert np.allclose(m1, m10)


def test_joint_beats_per_verifier_under_adversarial_correlation():
    rng = np.random.default_rng(11)
    d = cm.adversarial_design(0.7, 0.75, 3, 0.3)
    d = cm.Design(
        d.a,
        d.b,
        np.repeat(d.rho, 500, axis=0),
        np.repeat(d.alpha, 500, axis=0),
        np.repeat(d.P, 500, axis=0),
    )
    g = cm.simulate_selection(d, 4096, rng)
    assert g["joint"].mean() < 0.005 < cm.per_verifier_floor(d).mean() - 0.01
    assert g["per-verifier"].mean() > g["joint"].mean()


def test_and_or_identities_are_the_covariance_definition():
    """Moved from the chapter's ledger: AND errs by +c and OR by -c (the covariance's definition restated)."""
    err = {r.name: r.error for r in cm.composition_errors2()}
    assert sp.simplify(err["V1∧V2"] - cm.c) == 0
    assert sp.simplify(err["V1 ∨ V2"] + cm.c) == 0


def test_bound_implied_doubling_is_an_identity():
    """Moved from the chapter's ledger: the bound's N ratio for K^2 pairs against K candidates is
    log K^2 / log K = 2."""
    N1, N2, K = sp.symbols("N_1 N_2 K", positive=True)
    n2 = sp.solve(sp.Eq(sp.sqrt(sp.log(K**2) / N2), sp.sqrt(sp.log(K) / N1)), N2)[0]
    assert sp.simplify(sp.expand_log(n2 / N1, force=True)) == 2


def test_equal_probe_budget_helps_per_verifier_only():
    """With equal budgets each verifier gets K·n probes, so the per-verifier estimate is sharper."""
    d = cm.candidate_design(0.7, 0.8, 4, 0.0, 400, np.random.default_rng(0))
    eq = cm.simulate_selection(d, 32, np.random.default_rng(1), "equal")
    same = cm.simulate_selection(d, 32, np.random.default_rng(1), "same-n")
    assert eq["per-verifier"].mean() < same["per-verifier"].mean()
    with pytest.raises(ValueError):
        cm.simulate_selection(d, 32, np.random.default_rng(1), "double")


def test_simulate_single_and_first_crossing():
    g = cm.simulate_single(0.3, 0.7, 4, [16, 4096], 500, np.random.default_rng(2)).mean(axis=1)
    assert g[1] < g[0] and g[1] < 0.01
    assert cm.first_crossing([32, 64], [0.01, 0.0]) == 32
    assert cm.first_crossing([32, 64], [0.2, 0.2]) == float("inf")
    assert 32 < cm.first_crossing([32, 64], [0.1, 0.025]) < 64


def test_simulate_grid_passes_the_budget_option():
    b = pd.DataFrame({"benchmark": ["X"], "low": [0.7], "high": [0.8]})
    eq = cm.simulate_grid(b, [0.0], [3], [16], 200, 4, "equal")
    same = cm.simulate_grid(b, [0.0], [3], [16], 200, 4, "same-n")

    def pv(d):
        return float(d[(d.mechanism == "per-verifier") & np.isfinite(d.N)]["gap"].iloc[0])

    assert pv(eq) < pv(same)


def _two_benchmarks():
    import pandas as pd

    return pd.DataFrame({"benchmark": ["A", "B"], "low": [0.3, 0.6], "high": [0.6, 0.9]})


def test_seed_thresholds_and_run_all_match_serial() -> None:
    b = _two_benchmarks()
    kw = dict(benchmarks=b, C=0.1, Ks=[2, 3], Ns=[16, 64, 256], R=200, seed=5, target=0.05)
    serial = cm.seed_thresholds(**kw)
    assert set(serial["mechanism"]) == {*cm.MECHANISMS, "single verifier"}
    grid_kw = dict(benchmarks=b, Cs=[0.0, 0.1], Ks=[2], Ns=[16, 64], R=100, seed=9)
    forked = cm.run_all([("thresholds", kw), ("grid", grid_kw)], jobs=2)
    assert forked[0].equals(serial)
    assert forked[1].equals(cm.simulate_grid(**grid_kw))


def test_worst_threshold_and_ratios() -> None:
    import pandas as pd

    t = pd.DataFrame(
        {
            "benchmark": ["A", "B", "A", "B"],
            "K": [2] * 4,
            "mechanism": ["joint", "joint", "single verifier", "single verifier"],
            "n5": [100.04, 250.0, 50.0, 100.0],
            "min_gap": [0.0] * 4,
        }
    )
    assert cm.worst_threshold(t, "joint", 2) == 250.0
    assert cm.threshold_ratio_by_benchmark(t, "joint", "single verifier", 2) == {"A": 2.0, "B": 2.5}


def test_interpolated_thresholds_use_first_crossing() -> None:
    import pandas as pd

    sim = pd.DataFrame(
        {
            "benchmark": "A",
            "C": 0.0,
            "mechanism": "joint",
            "N": [16, 64, float("inf")],
            "gap": [0.1, 0.025, 0.5],
        }
    )
    out = cm.interpolated_thresholds(sim, 0.05)
    assert out["N at 5%"].iloc[0] == pytest.approx(cm.first_crossing([16, 64], [0.1, 0.025], 0.05))


def test_payment_illustration_truthful_earns_more_on_average() -> None:
    out = cm.payment_illustration(0.6, 0.2, 256, 400, np.random.default_rng(1))
    assert out["payments within [cost, cap]"]
    assert out["difference (simulated)"] == pytest.approx(out["difference (b·4c²)"], abs=0.01)
    assert out["difference (b·4c²)"] > 0
    assert (
        cm.payment_illustration(0.6, 0.0, 16, 10, np.random.default_rng(1))["difference (b·4c²)"]
        == 0
    )


def test_gap_figure_frame_adds_both_bounds() -> None:
    sim = cm.simulate_grid(_two_benchmarks(), [0.1], [2], [16, 64], 50, 3)
    finite = sim[np.isfinite(sim["N"])]
    fig = cm.gap_figure_frame(finite)
    assert len(fig) == len(finite) + 2 * (finite["mechanism"] == "joint").sum()
    up = fig[fig["mechanism"].str.startswith("upper")]
    assert (up["gap"] > 0).all() and (fig["gap_plot"] >= 1e-4).all()


def test_per_verifier_pay_is_blind_to_the_covariance() -> None:
    from costcorrect.models.verification import scoring

    assert all(cm.per_verifier_blind(rule) for rule in scoring.RULES)


def test_within_between_example_splits_the_covariance() -> None:
    w, p1, p2 = np.array([0.5, 0.5]), np.array([0.9, 0.5]), np.array([0.85, 0.45])
    a = cm.within_between_example(w, p1, p2, np.zeros(2))
    b = cm.within_between_example(w, p1, p2, np.array([0.03, 0.06]))
    assert a["error of instance-level forecast"] == pytest.approx(0.0)
    assert b["error of instance-level forecast"] == pytest.approx(b["within E[c(x)]"])
    total = b["within E[c(x)]"] + b["between Cov(p1(x), p2(x))"]
    assert b["error of population forecast"] == pytest.approx(total)
