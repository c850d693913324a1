"""Tests of the VHG self-play model (costcorrect.models.verification.selfplay)."""

from dataclasses import replace

import numpy as np
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from costcorrect.models.verification import selfplay as sp_


def test_invalid_problem_earns_nothing_under_exact_verifier():
    assert sp_.setter_reward(0, 0.0) == 0
    assert sp_.setter_reward(1, 0.25) == 0.75


def test_threshold_solves_the_indifference():
    th = sp_.false_accept_threshold()
    assert sp.simplify(th - sp_.t_a * (1 - sp_.a_h) / (1 - sp_.a_inv)) == 0


_E = sp_.expected_rewards()
_SYMS = (sp_.t_a, sp_.f_a, sp_.a_h, sp_.a_inv)
_GAP = sp.lambdify(_SYMS, _E["hack"] - _E["honest"])
_TH = sp.lambdify(_SYMS, sp_.false_accept_threshold())


@given(st.floats(0, 1), st.floats(0, 1), st.floats(0, 0.99), st.floats(0, 0.99))
def test_condition_matches_threshold(ta, fa, ah, ainv):
    gap, th = _GAP(ta, fa, ah, ainv), _TH(ta, fa, ah, ainv)
    if abs(fa - th) > 1e-9:
        assert (gap > 0) == (fa > th)


def test_hard_verifier_accepts_and_rejects():
    assert sp_.hard_verify_antiderivative("x*log(x) - x", "log(x)")
    assert sp_.hard_verify_antiderivative("sin(x)**2/2", "sin(x)*cos(x)")
    assert not sp_.hard_verify_antiderivative("x*log(x)", "log(x)")
    assert not sp_.hard_verify_antiderivative("((", "x")


def test_cost_factor_is_inverse_accuracy_ratio():
    assert np.isclose(sp_.cost_per_correct_factor(0.5, 0.8), 0.625)


def test_simulation_is_seeded_and_verifier_blocks_invalid_training():
    cfg = replace(sp_.SelfPlayConfig(), iterations=10, problems_per_iter=64)
    a, b = sp_.simulate(cfg, 1), sp_.simulate(cfg, 1)
    assert a.equals(b)
    assert (a["accepted_invalid_share"] == 0).all()
    naive = sp_.simulate(replace(cfg, verifier=False), 1)
    assert (naive["accepted_invalid_share"] > 0).all()


@settings(deadline=None)
@given(st.integers(0, 10_000))
def test_verifier_arm_beats_naive_arm(seed):
    base = replace(sp_.SelfPlayConfig(), iterations=40, invalid_harm=0.02)
    naive = sp_.simulate(replace(base, verifier=False), seed)
    vhg = sp_.simulate(base, seed)
    assert vhg["benchmark_accuracy"].iloc[-1] > naive["benchmark_accuracy"].iloc[-1]
    assert naive["mean_target"].iloc[-1] > vhg["mean_target"].iloc[-1]


def test_rejected_problem_earns_zero_symbolically():
    """By definition of the VHG reward (moved here from the chapter's ledger: not a paper finding)."""
    r = sp_.setter_reward_expr()
    assert sp.simplify(r.subs(sp_.accept, 0)) == 0
    assert sp.simplify(r.subs(sp_.accept, 1) - (1 - sp_.acc)) == 0


def test_hard_verifier_table_of_the_chapter():
    pairs = [
        ("x*log(x) - x", "log(x)"),
        ("x*log(x)", "log(x)"),
        ("atan(x)", "1/(1 + x**2)"),
        ("exp(x**2)", "exp(x**2)"),
        ("log(", "1/x"),
    ]
    assert [sp_.hard_verify_antiderivative(F, f) for F, f in pairs] == [
        True,
        False,
        True,
        False,
        False,
    ]


def test_accepted_invalid_problems_use_up_training_budget():
    """With the same setter, training on every generated problem (invalid ones included) learns less than
    training on the verified ones only: invalid problems take training slots."""
    base = replace(sp_.SelfPlayConfig(), iterations=30, problems_per_iter=128)
    filt = sp_.simulate(base, 5)
    unfilt = sp_.simulate(replace(base, filter_training=False), 5)
    assert (unfilt["trained_invalid_share"].iloc[1:] > 0).all()
    assert (filt["trained_invalid_share"] == 0).all()
    assert filt["solver_skill"].iloc[-1] > unfilt["solver_skill"].iloc[-1]


def test_paired_difference_and_t_interval():
    cfg = replace(sp_.SelfPlayConfig(), iterations=5, problems_per_iter=32)
    sim = sp_.simulate_arms({"a": cfg, "b": replace(cfg, verifier=False)}, [1, 2, 3])
    d = sp_.final_paired(sim, "benchmark_accuracy", "a", "a")
    assert np.allclose(d, 0)
    m, lo, hi = sp_.t_interval(np.array([1.0, 2.0, 3.0]))
    assert m == 2.0 and lo < 2.0 < hi
    assert np.isclose(hi - m, 4.302652729911275 * 1.0 / np.sqrt(3))


def test_safe_solver_accuracy_solves_the_threshold():
    ah = sp_.safe_solver_accuracy(0.95, 0.2, 0.1)
    thr = sp_.false_accept_threshold().subs({sp_.t_a: 0.95, sp_.a_h: ah, sp_.a_inv: 0.1})
    assert abs(float(thr) - 0.2) < 1e-12


def test_smallest_cost_cut_and_summaries():
    before, after = np.array([0.5, 0.4]), np.array([0.6, 0.8])
    assert abs(sp_.smallest_cost_cut(before, after) - (1 - 0.5 / 0.6)) < 1e-12
    assert sp_.smallest_cost_cut(before, after, 1.3) < 0
    cfg = replace(sp_.SelfPlayConfig(), iterations=3)
    arms = sp_.default_arms(cfg)
    sim = sp_.simulate_arms(arms, [1, 2])
    summary = sp_.arm_summary(sim)
    assert list(summary.index) == list(arms)
    bands = sp_.trajectory_bands(sim)
    assert (bands["min"] <= bands["mean"]).all() and (bands["mean"] <= bands["max"]).all()
    sweep = sp_.leakage_sweep(cfg, [1], [0.0, 0.5])
    assert list(sweep.index) == [0.0, 0.5]
