"""Tests for costcorrect.models.serving.serving: step model, goodput, cost decomposition,
break-even, recommend."""

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from costcorrect.models.serving import serving


@pytest.fixture(scope="module")
def dep():
    return serving.Deployment(
        gpu="H100-SXM",
        model="LLaMA-2-70B",
        input_tokens=2048,
        output_tokens=256,
        arrival_rate=8.0,
        ttft_slo=2.0,
        tpot_slo=0.1,
        link_gb_s=100.0,
        eta=0.5,
    )


def test_prefill_compute_bound_decode_bandwidth_bound(dep):
    e, _ = dep.engines()
    m = e.model
    t_pre = float(e.prefill_time(4096))
    assert t_pre == pytest.approx(
        e.overhead_s
        + (m.flops_per_token * 4096 + 4 * m.layers * m.heads * m.head_dim * 4096 * 2048) / e.flops,
        rel=1e-9,
    )
    t1 = float(e.step(1, 1000))
    assert t1 == pytest.approx(e.overhead_s + (m.weight_bytes + 1000 * m.kv_bytes) / e.bw, rel=1e-9)
    # per-token decode cost falls with batch size (weights amortised)
    B = np.array([1, 4, 16, 64])
    per_tok = e.step(B, B * 2000) / B
    assert (np.diff(per_tok) < 0).all()


def test_goodput_respects_slos(dep):
    e, _ = dep.engines()
    for arch in ("colocated", "chunked"):
        lam = float(serving.goodput(arch, dep)["instance"])
        assert lam > 0
        r = serving.latencies(arch, e, lam, 2048, 256, tpot_slo=0.1)
        assert float(r["ttft99"]) <= 2.0 + 1e-6 and float(r["tbt99"]) <= 0.1 + 1e-6
        r2 = serving.latencies(arch, e, lam * 1.05, 2048, 256, tpot_slo=0.1)
        assert float(r2["ttft99"]) > 2.0 or float(r2["tbt99"]) > 0.1


def test_tighter_slo_costs_more(dep):
    loose = serving.evaluate(serving.replace(dep, ttft_slo=4.0, tpot_slo=0.2), integer_pools=False)
    tight = serving.evaluate(serving.replace(dep, ttft_slo=1.0, tpot_slo=0.05), integer_pools=False)
    assert (tight["usd_per_mtok"].values >= loose["usd_per_mtok"].values - 1e-12).all()


def test_kv_tax_only_disaggregated_and_grows_with_eta(dep):
    t = serving.evaluate(dep, integer_pools=False).set_index("arch")
    assert t.loc["colocated", "kv_tax"] == 0 and t.loc["chunked", "kv_tax"] == 0
    assert t.loc["disaggregated", "kv_tax"] > 0
    t0 = serving.evaluate(serving.replace(dep, eta=0.0), integer_pools=False).set_index("arch")
    assert t0.loc["disaggregated", "kv_tax"] == 0
    assert np.isclose(
        t.loc["disaggregated", ["prefill", "decode", "kv_tax"]].sum(),
        t.loc["disaggregated", "usd_per_mtok"],
    )


def test_more_bandwidth_never_hurts_disaggregation(dep):
    costs = [
        float(
            serving.evaluate(
                serving.replace(dep, link_gb_s=bw), archs=("disaggregated",), integer_pools=False
            )["usd_per_mtok"].iloc[0]
        )
        for bw in (10.0, 50.0, 400.0)
    ]
    assert costs[0] >= costs[1] >= costs[2]


def test_symbolic_breakeven():
    S = serving.symbolic_model()
    y = S["symbols"]
    assert (
        sp.simplify(
            S["C_dis"].subs(y["B_x"], S["Bx_star"]) - S["C_col"].subs(y["B_x"], S["Bx_star"])
        )
        == 0
    )
    assert (
        sp.simplify(S["C_col"].subs(y["r"], S["r_star"]) - S["C_dis"].subs(y["r"], S["r_star"]))
        == 0
    )
    # no interference: colocated is cheaper whenever the tax is positive
    nointf = (S["C_dis"] - S["C_col"]).subs({y["kappa_P"]: 0, y["kappa_D"]: 0})
    assert sp.simplify(nointf - y["p"] * y["eta"] * y["r"] * y["b"] / (y["a"] * y["B_x"])) == 0


@settings(deadline=None)
@given(st.floats(0.05, 5.0), st.floats(-0.5, 2.0), st.floats(0.0, 2.0), st.floats(1e9, 1e12))
def test_breakeven_sign_property(r, kP, kD, Bx):
    """Numerically: disaggregation is cheaper exactly when B_x exceeds B_x* (positive denominator)."""
    S = serving.symbolic_model()
    y = S["symbols"]
    vals = {
        y["p"]: 1.0,
        y["a"]: 1.0,
        y["r"]: r,
        y["X_P"]: 3000.0,
        y["X_D"]: 800.0,
        y["b"]: 327680.0,
        y["eta"]: 0.5,
        y["kappa_P"]: kP,
        y["kappa_D"]: kD,
        y["B_x"]: Bx,
    }
    denom = 800.0 * kP * r + 3000.0 * kD
    if abs(denom) < 1e-6:
        return
    star = float(S["Bx_star"].subs(vals))
    dis_cheaper = float((S["C_dis"] - S["C_col"]).subs(vals)) < 0
    if denom > 0:
        assert dis_cheaper == (Bx > star)
    else:
        assert not dis_cheaper


def test_recommend_returns_consistent_margin():
    r = serving.recommend(
        "H100", "LLaMA-2-70B", 1024, 256, arrival_rate=8, ttft_slo=2.0, tpot_slo=0.1
    )
    c = r.table.set_index("arch")["usd_per_mtok"]
    assert r.best in serving.ARCHS and c[r.best] == c.min()
    assert r.margin == pytest.approx((c[r.runner_up] - c[r.best]) / c[r.best])
    assert "per million SLO-compliant output tokens" in r.summary()


def test_integer_pools_penalise_disaggregation_at_low_rate(dep):
    lo = serving.evaluate(serving.replace(dep, arrival_rate=0.2)).set_index("arch")
    assert lo.loc["disaggregated", "gpus"] >= 2 * lo.loc["chunked", "gpus"]


def test_three_terms_tax_only_disaggregated_and_bandwidth_sign():
    """Moved from the chapter's ledger: the decomposition, the tax's absence from colocated serving and
    the sign of d(C_col - C_dis)/dB_x hold by construction of the reconstructed cost model."""
    S = serving.symbolic_model()
    y = S["symbols"]
    assert sp.simplify(S["C_dis"] - (S["term_prefill"] + S["term_decode"] + S["term_kv_tax"])) == 0
    assert sp.diff(S["C_col"], y["B_x"]) == 0
    gain = sp.simplify(sp.diff(S["C_col"] - S["C_dis"], y["B_x"]))
    assert sp.simplify(gain - y["p"] * y["eta"] * y["r"] * y["b"] / (y["a"] * y["B_x"] ** 2)) == 0
    assert gain.is_positive


def test_rederive_uses_one_slack_for_every_paper():
    a = serving.rederive(4.0, 0.8, 0.6)
    assert set(a) == set(serving.CALIBRATION_SETTINGS)
    assert all(np.isfinite(v) and v > 0 for v in a.values())
    # vLLM's paging gain needs KV memory to bind: never below 1, larger at loose targets
    assert a["vllm"] >= 1 - 1e-9
    assert serving.rederive(9.0, 0.8, 0.6)["vllm"] >= a["vllm"] - 1e-9


def test_breakeven_maps_partition_and_winner_changes():
    maps = serving.breakeven_maps(
        "LLaMA-2-70B",
        ["H100-SXM"],
        r_grid=[0.125, 1.0, 8.0],
        rates=[64.0],
        bws=[25.0, 450.0],
        sigmas=[1.0],
    )
    assert maps.dims == serving.MAP_DIMS and maps.c_dis.shape == (1, 1, 1, 1, 2, 1, 3, 1)
    frame = maps.frame()
    assert len(frame) == 3 * 2
    assert (frame["c_col"] <= frame["c_plain"]).all()
    assert (frame["c_col"] <= frame["c_chunked"]).all()
    at = maps.sel(gpu="H100-SXM", mbu=0.8, mfu=0.6, eta=0.5, rate=64.0, slack=1.0)
    nums = serving.partition_numbers(at.sel(bw=25.0))
    assert set(nums) == {"short_dis_over_col", "short_rest_over_chunked", "long_dis_over_col"}
    n = serving.winner_changes(at, "bw")
    assert 0 <= n <= 3
    # more bandwidth never makes disaggregation dearer
    lo, hi = at.sel(bw=25.0).c_dis, at.sel(bw=450.0).c_dis
    assert (hi <= lo + 1e-9).all()


def test_breakeven_maps_vectorised_over_efficiencies_equal_one_at_a_time():
    kw = dict(r_grid=[0.25, 4.0, 32.0], rates=[4.0, 64.0], bws=[50.0, 200.0], sigmas=[0.25, 2.0])
    both = serving.breakeven_maps(
        "LLaMA-2-70B", ["A100-80GB-SXM"], mbu=[0.6, 0.9], eta=[0.5, 0.0], **kw
    )
    for mbu in (0.6, 0.9):
        for eta in (0.5, 0.0):
            one = serving.breakeven_maps("LLaMA-2-70B", ["A100-80GB-SXM"], mbu=mbu, eta=eta, **kw)
            a, b = both.sel(mbu=mbu, eta=eta).frame(), one.sel(mbu=mbu, eta=eta).frame()
            assert a.equals(b)


def test_partition_numbers_and_changes_keep_axes_in_order():
    kw = dict(r_grid=[0.125, 0.25, 8.0, 16.0], rates=[64.0], bws=[25.0, 450.0], sigmas=[1.0, 4.0])
    maps = serving.breakeven_maps("LLaMA-2-70B", ["H100-SXM", "H200-SXM"], mfu=[0.4, 0.7], **kw)
    m = maps.sel(mbu=0.8, eta=0.5, rate=64.0)
    part = serving.partition_numbers(m.sel(bw=25.0), order=("slack", "gpu", "mfu"))
    assert part["long_dis_over_col"].shape == (2, 2, 2)
    one = serving.partition_numbers(m.sel(bw=25.0, gpu="H200-SXM", slack=4.0, mfu=0.4))
    assert part["long_dis_over_col"][1, 1, 0] == one["long_dis_over_col"]
    moves = serving.winner_changes(m, "bw", keep=("gpu", "slack", "mfu"))
    assert moves.shape == (2, 2, 2)
    assert moves[0, 1, 1] == serving.winner_changes(m.sel(gpu="H100-SXM", slack=4.0, mfu=0.7), "bw")
    with pytest.raises(ValueError, match="fix or keep"):
        serving.winner_changes(m, "bw")
    assert serving.dis_band(m.sel(gpu="H100-SXM", slack=1.0, mfu=0.7, bw=450.0)) is not None


def test_grid_table_forks_closures():
    k = 3
    t = serving.grid_table(lambda a, b: a * b + k, jobs=2, a=[1, 2], b=[10, 20])
    assert t == {(1, 10): 13, (1, 20): 23, (2, 10): 23, (2, 20): 43}


def test_slo_tightening_is_the_scale_at_which_disaggregation_matches_colocated_cost():
    k = serving.slo_tightening(2.0, 0.8, 0.6)
    assert np.isfinite(k) and k > 0
    # at the found scale disaggregation costs no more than colocated serving at slack 2
    model, gpu, I, O, kw = serving.CALIBRATION_SETTINGS["distserve"]
    kw = dict(kw, eta=0.5)
    col = serving.at_slack(model, gpu, I, O, 2.0, mfu=0.6, mbu=0.8, **kw)
    dis = serving.at_slack(model, gpu, I, O, 3.0 / k - 1, mfu=0.6, mbu=0.8, **kw)
    c_col = serving.evaluate(col, archs=("colocated",), integer_pools=False)["usd_per_mtok"].iloc[0]
    c_dis = serving.evaluate(dis, archs=("disaggregated",), integer_pools=False)[
        "usd_per_mtok"
    ].iloc[0]
    assert c_dis <= c_col * (1 + 1e-9)


def test_winner_varies_counts_lines_along_an_axis():
    # one GPU, two r values by two rates: disaggregation wins only at (r = 1, rate = 1)
    dis = np.array([[1.0, 1.0], [0.5, 1.0]])  # c_dis over (r, rate); colocated costs 0.8
    col = np.full((2, 2), 0.8)
    maps = serving.Maps(("r", "rate"), {"r": (0.5, 1.0), "rate": (1.0, 2.0)}, col, col, dis)
    assert serving.winner_varies(maps, "r") == 1  # only the rate-1 line changes
    assert serving.winner_varies(maps, "rate") == 1  # only the r = 1 line changes
    assert serving.winner_varies(maps.sel(rate=[2.0]), "r") == 0


def test_iso_cost_power_matches_the_cost_ratio_and_prices_watts_at_tdp():
    from costcorrect.models.serving import hardware

    per_dollar, per_watt = serving.iso_cost_power(4.0, 0.75, 0.55)
    assert per_dollar == pytest.approx(serving.rederive(4.0, 0.75, 0.55)["splitwise"])
    # by hand: the same pools, GPU-seconds priced at TDP instead of the hourly price
    b = serving.at_slack(
        "LLaMA-2-70B", "H100-SXM", 1500, 250, 4.0, mfu=0.55, mbu=0.75, eta=0.5, link_gb_s=200.0
    )
    s = serving.replace(b, decode_gpu="A100-80GB-SXM")
    tb = serving.evaluate(b, archs=("colocated",), integer_pools=False).iloc[0]
    ts = serving.evaluate(s, archs=("disaggregated",), integer_pools=False).iloc[0]
    h, a = hardware.gpu("H100-SXM"), hardware.gpu("A100-80GB-SXM")
    gpu_s_base = tb["usd_per_mtok"] / h.price_per_second
    joules_sys = (ts["prefill"] + ts["kv_tax"]) / h.price_per_second * 700.0 + ts[
        "decode"
    ] / a.price_per_second * 400.0
    assert (h.tdp_w, a.tdp_w) == (700.0, 400.0)
    assert per_watt == pytest.approx(gpu_s_base * 700.0 / joules_sys)


def test_vectorised_calibration_equals_point_by_point():
    slack, mbu, mfu = np.ix_([1.0, 6.0], [0.6, 0.9], [0.55])
    grid = serving.rederive(slack, mbu, mfu)
    iso = serving.iso_cost_power(slack, mbu, mfu)
    tight = serving.slo_tightening(slack, mbu, mfu)
    for i, s in enumerate((1.0, 6.0)):
        for j, b in enumerate((0.6, 0.9)):
            one = serving.rederive(s, b, 0.55)
            assert {k: v[i, j, 0] for k, v in grid.items()} == one
            assert (iso[0][i, j, 0], iso[1][i, j, 0]) == serving.iso_cost_power(s, b, 0.55)
            assert np.array_equal(
                tight[i, j, 0], serving.slo_tightening(s, b, 0.55), equal_nan=True
            )


def test_arch_costs_equal_evaluate_and_on_grid_splits_the_point():
    dep = serving.Deployment(input_tokens=2048, output_tokens=256, link_gb_s=100.0, eta=0.5)
    t = serving.evaluate(dep, integer_pools=False).set_index("arch")
    for arch in serving.ARCHS:
        c = serving.arch_costs(dep, arch)
        assert float(c["usd_per_mtok"]) == t.loc[arch, "usd_per_mtok"]
    grid, point = serving.on_grid(lambda a, b: (a * b, a + b), dict(a=3.0, b=5.0), a=[1, 2], b=[10])
    assert grid[0].shape == (2, 1) and grid[0][1, 0] == 20 and point == (15.0, 8.0)


def test_frontier_costs_and_analytic_vs_simulated():
    fr = serving.frontier_costs("LLaMA-2-70B", ["H100-SXM"], 1024, 256, [1.0, 4.0])
    assert set(fr["system"]) <= set(serving.FRONTIER_SYSTEMS) and (fr["usd_per_mtok"] > 0).all()
    dep = serving.Deployment(link_gb_s=100.0, eta=0.5)
    rng = np.random.default_rng(0)
    des = serving.analytic_vs_simulated(dep, [("chunked", 3.0)], 512, 32, n_requests=200, rng=rng)
    assert list(des["architecture"]) == ["chunked"] and "TTFT error (fraction)" in des
    steps = serving.step_table(dep.engines()[0], [1, 8], 1024, 256)
    assert (steps["per-token decode cost (ms·GPU)"].diff().dropna() < 0).all()
