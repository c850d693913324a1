"""Tests of the serving-slack model used by the ROSE chapter."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from costcorrect.models.allocation import slack


def test_flat_load():
    assert slack.idle_gpu_hours(10, 0.5, 0.0, 0.2) == pytest.approx(10 * 24 * 0.3)
    assert slack.idle_gpu_hours(10, 0.9, 0.0, 0.2) == pytest.approx(0.0)


@settings(deadline=None)
@given(mean=st.floats(0.2, 0.6), amp=st.floats(0.0, 0.2), reserve=st.floats(0.0, 0.6))
def test_closed_form_matches_numeric(mean, amp, reserve):
    num = slack.idle_gpu_hours(1, mean, amp, reserve, steps_per_hour=240) / 24
    assert num == pytest.approx(slack.idle_fraction_closed_form(mean, amp, reserve), abs=2e-4)


@settings(deadline=None)
@given(
    mean=st.floats(0.1, 0.8), amp=st.floats(0.0, 0.3), r1=st.floats(0, 0.5), r2=st.floats(0, 0.5)
)
def test_more_reserve_less_slack(mean, amp, r1, r2):
    lo, hi = sorted((r1, r2))
    assert slack.idle_gpu_hours(4, mean, amp, hi) <= slack.idle_gpu_hours(4, mean, amp, lo) + 1e-9


def test_slack_price_and_blend():
    lam = slack.slack_price_fraction(0.5, 0.2, 1.0, 2.0, efficiency=0.5)
    assert lam == pytest.approx(0.1)
    assert slack.blended_lambda(10, 100, 0.1) == pytest.approx(0.1)
    assert slack.blended_lambda(10, 5, 0.1) == pytest.approx(0.55)
    assert slack.blended_lambda(10, 10, 0.1, efficiency=0.5) == pytest.approx(0.55)
    assert slack.gpu_hour_factor(2.0) == pytest.approx(0.5)
