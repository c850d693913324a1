"""Tests for costcorrect.models.serving.workload (trace statistics) and the committed traces."""

import math

import numpy as np
import pytest

from costcorrect import data
from costcorrect.models.serving import workload as wl

T = np.array([0.0, 10.0, 20.0, 61.0, 62.0, 179.9])


def test_token_quantiles_and_decode_share():
    assert list(wl.token_quantiles([1, 2, 3, 4], (0.0, 0.5, 1.0))) == [1.0, 2.5, 4.0]
    assert wl.decode_share([100, 300], [50, 50]) == pytest.approx(0.2)
    assert wl.decode_share([0, 0], [5, 5]) == 1.0
    with pytest.raises(ValueError, match="no tokens"):
        wl.decode_share([0], [0])


def test_arrival_rate_per_minute_and_hour():
    assert wl.arrival_rate(T, 60.0, duration_s=180.0) == pytest.approx(2.0)
    assert wl.arrival_rate(T, 3600.0, duration_s=180.0) == pytest.approx(120.0)
    assert wl.arrival_rate([0.0, 30.0, 60.0], 60.0) == pytest.approx(3.0)  # duration = last arrival


def test_window_load_counts_only_full_windows():
    # default duration = last arrival 179.9 s: two full minutes, the 179.9 s arrival is left out
    assert list(wl.window_load(T, 60.0)) == [3.0, 2.0]
    assert list(wl.window_load(T, 60.0, duration_s=180.0)) == [3.0, 2.0, 1.0]
    tokens = [1, 2, 3, 4, 5, 6]
    assert list(wl.window_load(T, 60.0, weights=tokens, duration_s=180.0)) == [6.0, 9.0, 6.0]
    with pytest.raises(ValueError, match="no full"):
        wl.window_load([0.0, 30.0], 60.0)


def test_peak_to_mean_headroom_and_idle_fraction():
    load = [3.0, 2.0, 1.0]
    assert wl.peak_to_mean(load) == pytest.approx(1.5)
    assert list(wl.headroom(load)) == pytest.approx([0.0, 1 / 3, 2 / 3])
    assert wl.idle_fraction(load) == pytest.approx(1 / 3)
    assert wl.idle_fraction(load) == pytest.approx(1 - 1 / wl.peak_to_mean(load))
    assert wl.idle_fraction(load, capacity=6.0) == pytest.approx(2 / 3)
    assert wl.idle_fraction([4.0, 4.0]) == 0.0
    with pytest.raises(ValueError, match="capacity"):
        wl.headroom(load, capacity=2.0)


def test_prefix_reuse():
    assert wl.prefix_reuse_share([2, 3, 1], [0, 2, 1]) == pytest.approx(0.5)
    assert wl.reuse_request_share([0, 2, 1]) == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="exceed"):
        wl.prefix_reuse_share([1], [2])


def test_bad_input_is_refused():
    for bad in ([], [-1.0], [np.nan], [[1.0]]):
        with pytest.raises(ValueError):
            wl.token_quantiles(bad)


def test_summarise_on_a_hand_trace():
    s = wl.summarise(
        [0.0, 30.0, 60.0, 120.0],
        [10, 20, 30, 40],
        [1, 2, 3, 4],
        window_s=60.0,
        blocks=[1, 1, 1, 1],
        reused_blocks=[0, 1, 1, 0],
    )
    assert s["requests"] == 4 and s["duration_s"] == 120.0
    assert s["input_p50"] == 25.0 and s["output_mean"] == 2.5
    assert s["decode_share"] == pytest.approx(10 / 110)
    assert s["per_minute"] == pytest.approx(2.0) and s["per_hour"] == pytest.approx(120.0)
    # full windows [0,60), [60,120): 2 and 1 arrivals (the arrival at 120 s is past them)
    assert s["peak_to_mean"] == pytest.approx(2 / 1.5)
    assert s["idle_fraction"] == pytest.approx(0.25)
    assert s["token_peak_to_mean"] == pytest.approx(33 / 33)  # 11+22 vs 33 tokens
    assert s["prefix_reuse_share"] == 0.5 and s["reuse_request_share"] == 0.5


TRACES = [r for r in data.names() if r.startswith("traces/")]


def test_the_traces_are_registered():
    assert set(TRACES) >= {
        "traces/azure-2023-code",
        "traces/azure-2023-conv",
        "traces/mooncake-conversation",
        "traces/mooncake-synthetic",
    }


@pytest.mark.parametrize("name", TRACES)
def test_committed_trace_loads_and_is_plausible(name):
    df = data.load(name)
    src = data.resource(name)["sources"][0]
    assert len(df) == src["rows"] > 0  # every raw row kept
    assert list(df["locator"]) == [f"row {n}" for n in range(1, len(df) + 1)]
    t = df["arrival_s"].to_numpy()
    assert t[0] == 0.0 and np.all(np.diff(t) >= 0)
    for col in ("input_tokens", "output_tokens"):
        assert (df[col] >= 0).all() and df[col].max() < 1_000_000
    s = wl.summarise(df["arrival_s"], df["input_tokens"], df["output_tokens"])
    assert 0 < s["decode_share"] < 1 and s["peak_to_mean"] >= 1
    assert 0 <= s["idle_fraction"] < 1 and s["per_minute"] > 0
    if "blocks" in df:
        # hash_ids are 512-token blocks: one per started block of the input
        assert list(df["blocks"]) == [math.ceil(n / wl.BLOCK_TOKENS) for n in df["input_tokens"]]
        assert (df["reused_blocks"] <= df["blocks"]).all()
        assert (df["reuse"] == (df["reused_blocks"] > 0)).all()
        assert not df["reuse"].iloc[0]
        assert 0 < wl.prefix_reuse_share(df["blocks"], df["reused_blocks"]) < 1
