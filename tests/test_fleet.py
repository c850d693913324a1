"""Tests for costcorrect.fleet (joint vs per-model fleet procurement MILP)."""

import math

import pandas as pd
import pytest

from costcorrect import fleet

INF = math.inf


def _toy():
    # two models, two GPU classes; "cheap" is better value for both but scarce
    return pd.DataFrame([
        {"model": "a", "gpu": "cheap", "k": 1, "batch": 1, "tokens_per_s": 100.0, "usd_per_hour": 1.0},
        {"model": "a", "gpu": "dear", "k": 1, "batch": 1, "tokens_per_s": 100.0, "usd_per_hour": 3.0},
        {"model": "b", "gpu": "cheap", "k": 1, "batch": 1, "tokens_per_s": 100.0, "usd_per_hour": 1.0},
        {"model": "b", "gpu": "dear", "k": 1, "batch": 1, "tokens_per_s": 100.0, "usd_per_hour": 1.2},
    ]).assign(usd_per_mtok=lambda d: d.usd_per_hour / (d.tokens_per_s * 3600) * 1e6)


def test_joint_equals_per_model_when_nothing_binds():
    cfg, demand = _toy(), {"a": 500.0, "b": 500.0}
    caps = {"cheap": INF, "dear": INF}
    j, p = fleet.solve_joint(cfg, demand, caps), fleet.solve_per_model(cfg, demand, caps)
    assert j.cost_per_hour == pytest.approx(10.0)
    assert p.cost_per_hour == pytest.approx(j.cost_per_hour)


def test_joint_gives_scarce_class_to_the_model_that_gains_most():
    cfg, demand = _toy(), {"a": 500.0, "b": 500.0}
    caps = {"cheap": 5, "dear": INF}
    j = fleet.solve_joint(cfg, demand, caps)
    # all 5 cheap GPUs to model a (saves 2 $/h each), model b on dear (costs 0.2 more each)
    assert j.cost_per_hour == pytest.approx(5 * 1.0 + 5 * 1.2)
    p = fleet.solve_per_model(cfg, demand, caps, shares=pd.DataFrame({"a": [0.6, 0.5], "b": [0.4, 0.5]},
                                                                     index=["cheap", "dear"]))
    assert p.cost_per_hour == pytest.approx(3 * 1.0 + 2 * 3.0 + 2 * 1.0 + 3 * 1.2)
    assert p.cost_per_hour > j.cost_per_hour
    assert j.gpus_used["cheap"] <= 5


def test_need_shares_rows_sum_to_one():
    s = fleet.need_shares(_toy(), {"a": 300.0, "b": 100.0})
    assert s.sum(axis=1).tolist() == pytest.approx([1.0, 1.0])
    assert s.loc["cheap", "a"] == pytest.approx(0.75)


def test_homogeneous_and_infeasible():
    cfg, demand = _toy(), {"a": 500.0, "b": 500.0}
    g, plan = fleet.solve_homogeneous(cfg, demand, {"cheap": 5, "dear": INF})
    assert g == "dear" and plan.cost_per_hour == pytest.approx(5 * 3.0 + 5 * 1.2)
    assert not fleet.solve_joint(cfg, demand, {"cheap": 1, "dear": 1}).feasible


def test_goodput_caps_at_demand_and_prefers_joint():
    cfg, demand = _toy(), {"a": 500.0, "b": 500.0}
    g_all, served = fleet.max_goodput(cfg, demand, {"cheap": 100, "dear": 100})
    assert g_all == pytest.approx(2.0) and served["a"] == pytest.approx(500.0)
    g_j, _ = fleet.max_goodput(cfg, demand, {"cheap": 3, "dear": 0})
    assert g_j == pytest.approx(0.6)
    assert fleet.max_goodput_per_model(cfg, demand, {"cheap": 3, "dear": 0}) <= g_j + 1e-9


def test_roofline_calibration_roundtrip_and_configs():
    a = fleet.Arch("m", 8.0, 32, 8, 128)
    ideal = fleet.roofline_tokens_per_s(a, 32, 1024, 2.0, 1e6, 1, 1.0, 1.0)
    eta = fleet.calibrate_eta(0.5 * ideal, a, 32, 1024, 2.0, 1e6)
    assert eta == pytest.approx(0.5)
    gpus = pd.DataFrame({"hbm_gb": [16.0, 80.0], "hbm_tb_s": [1.0, 2.0], "bf16_dense_tflops": [100.0, 300.0],
                         "price_usd_per_hour": [0.5, 2.0], "eta_bw": [0.6, 0.6]}, index=["small", "big"])
    cfg = fleet.replica_configs([a], gpus, ks=(1, 2))
    # 16 GB weights do not fit one 16 GB GPU at 90% memory
    assert not ((cfg["gpu"] == "small") & (cfg["k"] == 1)).any()
    assert ((cfg["gpu"] == "big") & (cfg["k"] == 1)).any()
    assert (cfg["tokens_per_s"] > 0).all()


from hypothesis import given, settings
from hypothesis import strategies as st


@settings(max_examples=20, deadline=None)
@given(st.lists(st.floats(min_value=0.5, max_value=4.0), min_size=4, max_size=4),
       st.integers(min_value=0, max_value=12), st.integers(min_value=100, max_value=900))
def test_joint_never_costs_more_than_per_model(prices, cap, d):
    cfg = pd.DataFrame([
        {"model": m, "gpu": g, "k": 1, "batch": 1, "tokens_per_s": 100.0, "usd_per_hour": p}
        for (m, g), p in zip([("a", "cheap"), ("a", "dear"), ("b", "cheap"), ("b", "dear")], prices)])
    demand, caps = {"a": float(d), "b": 500.0}, {"cheap": cap, "dear": INF}
    j, p = fleet.solve_joint(cfg, demand, caps), fleet.solve_per_model(cfg, demand, caps)
    assert j.feasible and p.feasible
    assert j.cost_per_hour <= p.cost_per_hour + 1e-9


def test_arch_from_hardware_model_shares_the_kv_formula():
    from costcorrect import hardware

    m = hardware.model("LLaMA-2-70B")
    a = fleet.Arch.from_model(m, "alias")
    assert a.name == "alias" and a.kv_bytes_per_token == pytest.approx(m.kv_bytes)
    assert a.weight_bytes == pytest.approx(m.weight_bytes)
