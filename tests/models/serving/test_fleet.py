"""Tests for costcorrect.models.serving.fleet (joint vs per-model fleet procurement MILP)."""

import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from costcorrect.models.serving import fleet

INF = math.inf


def _toy():
    # two models, two GPU classes; "cheap" is better value for both but scarce
    return pd.DataFrame(
        [
            {
                "model": "a",
                "gpu": "cheap",
                "k": 1,
                "batch": 1,
                "tokens_per_s": 100.0,
                "usd_per_hour": 1.0,
            },
            {
                "model": "a",
                "gpu": "dear",
                "k": 1,
                "batch": 1,
                "tokens_per_s": 100.0,
                "usd_per_hour": 3.0,
            },
            {
                "model": "b",
                "gpu": "cheap",
                "k": 1,
                "batch": 1,
                "tokens_per_s": 100.0,
                "usd_per_hour": 1.0,
            },
            {
                "model": "b",
                "gpu": "dear",
                "k": 1,
                "batch": 1,
                "tokens_per_s": 100.0,
                "usd_per_hour": 1.2,
            },
        ]
    ).assign(usd_per_mtok=lambda d: d.usd_per_hour / (d.tokens_per_s * 3600) * 1e6)


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
    p = fleet.solve_per_model(
        cfg,
        demand,
        caps,
        shares=pd.DataFrame({"a": [0.6, 0.5], "b": [0.4, 0.5]}, index=["cheap", "dear"]),
    )
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


def test_calibration_roundtrip_and_configs():
    from costcorrect.models.serving import hardware

    m, g = hardware.model("Llama-3.1-8B"), hardware.gpu("H100")
    eff = hardware.Efficiency(mbu=0.55)
    measured = float(hardware.decode_tokens_per_s(m, g, 32, 1024, eff=eff))
    assert fleet.calibrate_eta(measured, m, g, 32, 1024) == pytest.approx(0.55)
    gpus = hardware.gpus(["L40S", "H100-SXM"])[fleet.GPU_COLUMNS].assign(eta_bw=0.6)
    cfg = fleet.replica_configs([hardware.model("LLaMA-2-70B")], gpus, ks=(1, 2, 4, 8))
    # 138 GB of weights need four 48 GB L40S (90% usable) and two 80 GB H100s
    assert cfg[cfg["gpu"] == "L40S"]["k"].min() == 4
    assert cfg[cfg["gpu"] == "H100-SXM"]["k"].min() == 2
    assert (cfg["tokens_per_s"] > 0).all()


def test_apportion_assigns_every_gpu():
    assert fleet.apportion(10, {"a": 1, "b": 1, "c": 1}) == {"a": 4, "b": 3, "c": 3}
    assert fleet.apportion(7, {"a": 0.0, "b": 2.0}) == {"a": 0, "b": 7}
    assert sum(fleet.apportion(13, {"a": 0.2, "b": 0.3, "c": 0.5}).values()) == 13


def test_per_model_baseline_with_joint_shares_loses_nothing_without_scarcity():
    """The fair baseline: teams sized by the ample-supply joint optimum serve all demand at its cost."""
    cfg, demand = _toy(), {"a": 500.0, "b": 500.0}
    free = fleet.solve_joint(cfg, demand, {"cheap": INF, "dear": INF})
    shares = fleet.plan_shares(free, list(demand), ["cheap", "dear"])
    caps = {g: free.gpus_used.get(g, 0) for g in ("cheap", "dear")}
    assert fleet.solve_per_model(cfg, demand, caps, shares).cost_per_hour == pytest.approx(
        free.cost_per_hour
    )
    assert fleet.max_goodput_per_model(cfg, demand, caps, shares) == pytest.approx(2.0)
    assert fleet.max_goodput(cfg, demand, caps)[0] == pytest.approx(2.0)


def test_fleet_factor_is_a_fifth_multiplicative_lever():
    """Moved from the chapter's ledger: log-additivity of a product is an identity (true by construction)."""
    import sympy as sp

    from costcorrect.models.foundations import levers

    assert sp.simplify(levers.log_additivity(with_fleet=True)) == 0


@settings(deadline=None)
@given(
    st.lists(st.floats(min_value=0.5, max_value=4.0), min_size=4, max_size=4),
    st.integers(min_value=0, max_value=12),
    st.integers(min_value=100, max_value=900),
)
def test_joint_never_costs_more_than_per_model(prices, cap, d):
    cfg = pd.DataFrame(
        [
            {"model": m, "gpu": g, "k": 1, "batch": 1, "tokens_per_s": 100.0, "usd_per_hour": p}
            for (m, g), p in zip(
                [("a", "cheap"), ("a", "dear"), ("b", "cheap"), ("b", "dear")], prices
            )
        ]
    )
    demand, caps = {"a": float(d), "b": 500.0}, {"cheap": cap, "dear": INF}
    j, p = fleet.solve_joint(cfg, demand, caps), fleet.solve_per_model(cfg, demand, caps)
    assert j.feasible and p.feasible
    assert j.cost_per_hour <= p.cost_per_hour + 1e-9


def test_joint_never_worse_than_per_model_or_homogeneous_on_the_chapter_fleet():
    """Moved from the chapter's ledger (coral.joint-never-worse): any per-model or single-class plan is
    feasible for the joint MILP, so joint is never more expensive — a property, tested here."""
    from costcorrect.models.serving import hardware

    gpus = fleet.gpu_table()
    cfg = fleet.replica_configs([hardware.model(m) for m in ("Mistral-7B", "LLaMA-2-70B")], gpus)
    demand = {"Mistral-7B": 20000.0, "LLaMA-2-70B": 8000.0}
    free = fleet.solve_joint(cfg, demand, dict.fromkeys(gpus.index, INF))
    shares = fleet.plan_shares(free, list(demand), list(gpus.index))
    for s in (2.0, 0.5, 0.2):
        caps = {g: (math.floor(s * n) if n > 0 else INF) for g, n in free.gpus_used.items()} | {
            g: INF for g in gpus.index if g not in free.gpus_used
        }
        j = fleet.solve_joint(cfg, demand, caps)
        assert (
            j.cost_per_hour <= fleet.solve_per_model(cfg, demand, caps, shares).cost_per_hour + 1e-6
        )
        assert j.cost_per_hour <= fleet.solve_homogeneous(cfg, demand, caps)[1].cost_per_hour + 1e-6


def test_a_family_solves_each_instance_once_and_reuses_looser_solutions():
    """A sweep re-solves one MILP family under tighter caps: an instance a looser one already answers
    (its plan fits the tighter caps, or it was infeasible) is not solved again, and the answer is the
    one a fresh solve gives."""
    cfg, demand = _toy(), {"a": 500.0, "b": 500.0}
    fam = fleet._Family("cost", fleet._rows(cfg), tuple(demand.items()))  # not the shared cache
    calls = []
    solve = fam._cost
    fam._cost = lambda caps: calls.append(dict(caps)) or solve(caps)
    try:
        loose = fam.solve({"cheap": 20, "dear": INF})
        assert fam.solve({"cheap": 12, "dear": INF}) == loose  # the looser plan (10 cheap) fits
        assert len(calls) == 1
        tight = fam.solve({"cheap": 5, "dear": INF})
        assert len(calls) == 2 and tight[0] == pytest.approx(5 * 1.0 + 5 * 1.2)
        assert fam.solve({"cheap": 0, "dear": 0})[1] is None
        assert fam.solve({"cheap": 0, "dear": 0})[1] is None and len(calls) == 3
    finally:
        fam._cost = solve


@settings(deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=12), min_size=1, max_size=6))
def test_sweep_reuse_matches_fresh_solves(caps_seq):
    """Whatever order the caps come in, the cached family gives the optimum a fresh MILP gives."""
    cfg, demand = _toy(), {"a": 500.0, "b": 400.0}
    for cap in caps_seq:
        caps = {"cheap": cap, "dear": 6}
        cached = fleet.solve_joint(cfg, demand, caps).cost_per_hour
        rows, dem = fleet._rows(cfg), tuple(demand.items())
        assert cached == pytest.approx(fleet._Family("cost", rows, dem)._cost(caps)[0])
        g_cached = fleet.max_goodput(cfg, demand, caps)[0]
        assert g_cached == pytest.approx(fleet._Family("goodput", rows, dem)._goodput(caps)[0])


def test_build_configs_returns_copies():
    models = ["Mistral-7B"]
    _, a = fleet.build_configs(models, context=1024)
    a.loc[:, "tokens_per_s"] = 0.0
    _, b = fleet.build_configs(models, context=1024)
    assert (b["tokens_per_s"] > 0).all()


def test_point_helpers_match_the_sweeps():
    """The one-point helpers the chapter sweeps are the sweeps' own maxima."""
    names, demand = ["Mistral-7B", "LLaMA-2-70B"], {"Mistral-7B": 20000.0, "LLaMA-2-70B": 8000.0}
    kw = {"context": 1024, "max_batch": 128, "tp_eff": 0.9}
    gpus, cfg = fleet.build_configs(names, **kw)
    table, _ = fleet.scarcity_sweep(cfg, demand, list(gpus.index), [1.0, 0.5, 0.0])
    assert (
        fleet.cost_gain_at(names, demand, [1.0, 0.5, 0.0], **kw) == table["gain vs per-model"].max()
    )
    good = fleet.goodput_sweep(cfg, demand, list(gpus.index), [1.0, 0.5])
    assert fleet.goodput_gain_at(names, demand, [1.0, 0.5], **kw) == good["goodput gain"].max()
    mid, top = ["A100-80GB-SXM", "L40S"], ["H100-SXM", "H200-SXM"]
    assert fleet.midtier_ratio_at(names, mid, top, **kw) == fleet.perf_per_dollar_ratio(
        cfg, mid, top
    )


def test_listing_breadth_counts_distinct_clouds_per_class():
    listings = pd.DataFrame(
        {
            "snapshot": ["s"] * 6,
            "accelerator": ["H100", "H100-SXM", "H100", "A100", "A100-80GB", "L40S"],
            "cloud": ["x", "x", "y", "x", "z", "x"],
        }
    )
    exact = fleet.listing_breadth(listings, "s", "exact")
    family = fleet.listing_breadth(listings, "s", "family")
    assert exact["H100-SXM"] == 2 and exact["A100-80GB-SXM"] == 1 and exact["H200-SXM"] == 0
    assert family["H100-SXM"] == 2 and family["A100-80GB-SXM"] == 2  # x and z
    mid, top = ["A100-80GB-SXM", "L40S"], ["H100-SXM", "H200-SXM"]
    assert fleet.top_vs_mid_breadth(listings, mid, top, snapshot="s", naming="exact") == 2.0
    assert fleet.top_vs_mid_breadth(listings, mid, top, snapshot="s", naming="family") == 1.0
