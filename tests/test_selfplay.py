"""Tests of the VHG self-play model (costcorrect.selfplay)."""

from dataclasses import replace

import numpy as np
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from costcorrect import selfplay as sp_


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


@settings(max_examples=5, deadline=None)
@given(st.integers(0, 10_000))
def test_verifier_arm_beats_naive_arm(seed):
    base = replace(sp_.SelfPlayConfig(), iterations=40, invalid_harm=0.02)
    naive = sp_.simulate(replace(base, verifier=False), seed)
    vhg = sp_.simulate(base, seed)
    assert vhg["benchmark_accuracy"].iloc[-1] > naive["benchmark_accuracy"].iloc[-1]
    assert naive["mean_target"].iloc[-1] > vhg["mean_target"].iloc[-1]
