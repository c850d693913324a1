"""Tests of the trace-driven KV-cache occupancy of the serving-slack model."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from costcorrect.models.allocation import slack


def test_one_request_by_hand():
    # 100 prompt tokens, 10 output tokens at 1 s each, arriving at t = 0: held 100..110 tokens for 10 s
    occ = slack.kv_occupancy([0.0, 40.0], [100, 0], [10, 0], tpot_s=1.0, window_s=20.0)
    assert occ.shape == (2,)
    assert occ[0] == pytest.approx((100 * 10 + 10**2 / 2) / 20)
    assert occ[1] == pytest.approx(0.0)


def test_request_spanning_windows_is_split():
    occ = slack.kv_occupancy([0.0, 30.0], [0, 0], [20, 0], tpot_s=1.0, window_s=10.0)
    # held t tokens for t in [0, 20): integrals 50 and 150 over the first two windows
    assert occ[:2] == pytest.approx([5.0, 15.0])
    assert occ[2] == pytest.approx(0.0)


@given(st.floats(0.01, 0.2), st.integers(5, 50))
def test_total_token_seconds_conserved(tpot, window):
    rng = np.random.default_rng(0)
    a = np.sort(rng.uniform(0, 1000, 200))
    a[0] = 0.0
    i = rng.integers(1, 500, 200)
    o = rng.integers(1, 200, 200)
    occ = slack.kv_occupancy(a, i, o, tpot, float(window))
    horizon = window * len(occ)
    held = np.clip(horizon - a, 0, o * tpot)
    assert occ.sum() * window == pytest.approx(np.sum(i * held + held**2 / (2 * tpot)), rel=1e-9)


def test_too_short_trace_refused():
    with pytest.raises(ValueError):
        slack.kv_occupancy([0.0, 5.0], [1, 1], [1, 1], tpot_s=0.1, window_s=60.0)


@given(st.floats(1.0, 5.0), st.floats(0.0, 1.0))
def test_cost_factor_between_free_and_dedicated(x, lam):
    f = slack.cost_factor(x, lam)
    assert slack.gpu_hour_factor(x) - 1e-12 <= f <= 1.0 + 1e-12
    assert slack.cost_factor(x, 1.0) == pytest.approx(1.0)
    assert slack.cost_factor(x, 0.0) == pytest.approx(1 / x)


def test_histogram_quantile_and_tail_ratio():
    edges, counts = [0, 10, 20, 30, 40], [1, 1, 1, 1]
    assert slack.histogram_quantile(edges, counts, 0.5) == pytest.approx(20)
    assert slack.histogram_quantile(edges, counts, [0.25, 1.0]) == pytest.approx([10, 40])
    assert slack.tail_ratio(edges, counts, 0.75) == pytest.approx(1.5)
    # a long tail: most mass short, a little far out
    assert slack.tail_ratio([0, 1, 2, 10], [90, 9, 1], 0.99) > 2
    with pytest.raises(ValueError):
        slack.histogram_quantile([0, 1], [1, 1], 0.5)
