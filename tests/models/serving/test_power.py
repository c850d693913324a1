"""Tests of the phase-aware energy model and the NVML measurement helper
(costcorrect.models.serving.power)."""

import sys
import types

import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from costcorrect.models.serving import power


def test_batch_threshold_symbolic_matches_numeric():
    expr = power.decode_batch_threshold_expr()
    vals = {power.ridge: 206.0, power.N: 7e9, power.b_w: 2, power.L: 10, power.kv: 1000}
    num = power.decode_batch_threshold(7e9, 206.0, 10, 1000)
    assert np.isclose(float(expr.subs(vals)), num)
    # without KV traffic the threshold is ridge * b_w / 2
    assert np.isclose(power.decode_batch_threshold(7e9, 206.0, 0, 131072), 206.0)


def test_long_context_gqa_never_compute_bound():
    assert power.decode_batch_threshold(7.24e9, 206.0, 4096, 131072) == float("inf")


@given(st.floats(1, 4096), st.floats(0, 8192))
def test_intensity_below_two_n_over_kv(batch, ctx):
    i = power.decode_intensity(7e9, batch, ctx, 131072)
    assert i <= batch + 1e-9  # weights alone give intensity = batch at b_w = 2


def test_dvfs_scale_monotone_and_floor():
    f = np.linspace(0.1, 1, 50)
    g = power.dvfs_scale(f, 0.6)
    assert np.all(np.diff(g) > 0) and g[-1] == pytest.approx(1.0)
    assert power.dvfs_scale(0.5, 0.6) == pytest.approx(0.5 * 0.36)


def test_saving_and_min_share_consistent():
    phi = power.min_clock_share(0.32, 0.5, 0.6)
    assert power.clock_lock_saving(phi, 0.5, 0.6) == pytest.approx(0.32)
    assert sp.simplify(power.saving_expr() - power.phi * (1 - sp.Symbol("g", positive=True))) == 0


def test_crossover_and_halving():
    n_star = power.crossover_tokens_expr()
    e = power.request_energy_exprs()
    vals = {power.E_pre: 10.0, power.e_dec: 1.0, power.k_p: 1.5, power.k_d: 0.3}
    n = float(n_star.subs(vals))
    assert n == pytest.approx(0.5 * 10 / 0.7)
    assert float(
        (e["replacement"] - e["baseline"]).subs(vals).subs(power.n_out, n)
    ) == pytest.approx(0)
    h = float(power.halving_tokens_expr().subs(vals))
    assert float(
        (2 * e["replacement"] - e["baseline"]).subs(vals).subs(power.n_out, h)
    ) == pytest.approx(0)


def test_energy_cost_units():
    # 360 W at 100 tok/s = 3.6 J/token = 1 kWh per million tokens
    assert power.energy_cost_per_mtok(360, 100, 0.10) == pytest.approx(0.10)


def test_no_pynvml_raises_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "pynvml", None)  # makes `import pynvml` raise ImportError
    ok, why = power.nvml_status()
    assert not ok and "pynvml" in why
    with pytest.raises(power.NoGPUError, match="pynvml is not installed"):
        power.measure_decode_power(lambda: 1, steps=1)


def _fake_nvml(devices=1, fail_init=False):
    nv = types.ModuleType("pynvml")
    state = {"energy": 1_000_000, "init": 0}
    nv.NVML_CLOCK_SM = 1

    class NVMLError(Exception):
        pass

    def init():
        if fail_init:
            raise NVMLError("Driver Not Loaded")
        state["init"] += 1

    nv.nvmlInit = init
    nv.nvmlShutdown = lambda: None
    nv.nvmlDeviceGetCount = lambda: devices
    nv.nvmlDeviceGetHandleByIndex = lambda i: i
    nv.nvmlDeviceGetName = lambda h: b"Fake H200"
    nv.nvmlDeviceGetEnforcedPowerLimit = lambda h: 700_000
    nv.nvmlDeviceGetPowerUsage = lambda h: 250_000
    nv.nvmlDeviceGetClockInfo = lambda h, c: 1980

    def energy(h):
        state["energy"] += 5_000  # +5 J per read
        return state["energy"]

    nv.nvmlDeviceGetTotalEnergyConsumption = energy
    return nv


def test_driver_missing_raises(monkeypatch):
    monkeypatch.setitem(sys.modules, "pynvml", _fake_nvml(fail_init=True))
    assert power.nvml_status()[0] is False
    with pytest.raises(power.NoGPUError, match="NVML could not be initialised"):
        power.measure_decode_power(lambda: 1, steps=1)


def test_no_device_raises(monkeypatch):
    monkeypatch.setitem(sys.modules, "pynvml", _fake_nvml(devices=0))
    assert power.nvml_status() == (False, "NVML is available but reports no GPU")
    with pytest.raises(power.NoGPUError, match="no GPU with index 0"):
        power.measure_decode_power(lambda: 1, steps=1)


def test_measurement_with_fake_device(monkeypatch):
    monkeypatch.setitem(sys.modules, "pynvml", _fake_nvml())
    assert power.nvml_status() == (True, "1 device(s): Fake H200")
    res = power.measure_decode_power(lambda: 8, steps=10, warmup=0, sample_interval_s=0.001)
    assert res.tokens == 80 and res.energy_source == "counter"
    assert res.energy_j == pytest.approx(5.0)
    assert res.joules_per_token == pytest.approx(5.0 / 80)
    assert res.max_power_w == pytest.approx(250.0) and res.cap_headroom_w == pytest.approx(450.0)
    assert res.device == "Fake H200" and res.sm_clock_mhz == 1980


def test_lock_command():
    assert power.lock_command(1200) == "sudo nvidia-smi -i 0 -lgc 1200,1200"
    assert power.lock_command(None, 1) == "sudo nvidia-smi -i 1 -rgc"
    with pytest.raises(ValueError):
        power.lock_command(0)


def test_cap_above_draw_is_inert_and_below_draw_lowers_clock():
    f = power.capped_clock_ratio([300.0, 700.0, 200.0], 250.0, 0.5, 0.6)
    assert f[0] == 1.0 and f[1] == 1.0
    assert 0 < f[2] < 1
    assert power.locked_power(250.0, 0.5, f[2], 0.6) <= 200.0 + 1e-9
    # a cap the clock-independent floor cannot meet bottoms out at the lowest clock
    assert power.capped_clock_ratio(100.0, 250.0, 0.5, 0.6)[0] < 0.01


def test_cap_lands_on_known_clocks_and_energies():
    """An idealised cap below the draw settles where the clock-dependent power meets it. Known values
    (φ = 0.5, floor 0.6, 300 W draw): a 250 W cap needs f·V² ≤ 2/3, i.e. f = (2/3)^(1/3) above the
    floor; a 200 W cap needs f³ ≤ 1/3. Decode at batch 64 and a 4k context is memory-bound at those
    clocks, so throughput is unchanged and energy per token falls to cap / draw."""
    from costcorrect.models.serving import hardware

    m, g = hardware.model("Mistral-7B"), hardware.gpu("H200")
    caps = np.array([700.0, 300.0, 250.0, 200.0])
    f = power.capped_clock_ratio(caps, 300.0, 0.5, 0.6)
    assert f[0] == 1.0 and f[1] == 1.0
    step = 1.0 / 2001
    assert f[2] == pytest.approx((2 / 3) ** (1 / 3), abs=step)
    assert f[3] == pytest.approx((1 / 3) ** (1 / 3), abs=step)
    for fc, cap in zip(f[2:], caps[2:]):
        e, t = power.lock_energy_ratio(m, g, 64, 4096, fc, 0.5, 0.6)
        assert t == pytest.approx(1.0)
        assert e == pytest.approx(cap / 300.0, abs=0.005)


def test_hbm_power_and_the_clock_share_bound():
    # 1 TB/s at 4 pJ/bit = 8e12 bit/s x 4e-12 J = 32 W
    assert power.hbm_power_w(1e12, 4.0) == pytest.approx(32.0)
    assert power.max_clock_share(300.0, 74.0, 82.0) == pytest.approx(1 - 156 / 300)
    assert power.max_clock_share(137.0, 74.0, 82.0) == 0.0  # idle + HBM exceed the draw
    from costcorrect.models.serving import hardware

    m, g = hardware.model("Mistral-7B"), hardware.gpu("H200")
    traffic = power.decode_hbm_traffic(m, g, 64, 4096)
    bytes_per_step = m.weight_bytes + 64 * 4096 * m.kv_bytes
    assert traffic * hardware.step_time(m, g, 64, 64 * 4096) == pytest.approx(bytes_per_step)
    assert traffic < g.hbm_bw * hardware.EFFICIENCY.mbu  # the fixed overhead leaves HBM idle


def test_clock_slows_only_the_compute_term_and_saving_bounded_by_share():
    from costcorrect.models.serving import hardware

    m, g = hardware.model("Mistral-7B"), hardware.gpu("H200")
    e, t = power.lock_energy_ratio(m, g, 64, 4096, 1.0, 0.5, 0.6)
    assert e == pytest.approx(1.0) and t == pytest.approx(1.0)
    e, t = power.lock_energy_ratio(m, g, 64, 4096, 0.5, 0.5, 0.6)
    assert t == pytest.approx(1.0)  # memory-bound: no loss at half clock
    assert 1 - e <= 0.5 + 1e-12  # saving never exceeds the clock share
    _, t = power.lock_energy_ratio(m, g, 256, 8192, 0.05, 0.5, 0.6)
    assert t < 1.0  # a deep lock crosses the compute knee


def test_energy_saving_always_tightens_the_cpm():
    """Moved from the ledger (power-cap.tighter-decode-term): −saving × share < 0 by construction."""
    assert power.cpm_change_from_energy_saving(0.32, 0.01) == pytest.approx(-0.0032)
    assert power.cpm_change_from_energy_saving(0.1, 0.5) < 0


def test_decode_energy_ratio_falls_with_batch():
    from costcorrect.models.serving import hardware

    m, g = hardware.model("Mistral-7B"), hardware.gpu("H200")
    state = m.layers * m.heads * m.head_dim**2 * m.dtype_bytes
    kd = [power.decode_energy_ratio(m, g, b, 4096, state) for b in (8, 32, 128)]
    assert kd[0] > kd[1] > kd[2]
    assert power.decode_energy_ratio(m, g, 64, 4096, state, 2.0) == pytest.approx(
        2 * power.decode_energy_ratio(m, g, 64, 4096, state)
    )


def test_decode_time_share_by_hand():
    from costcorrect.models.serving import hardware

    m, g = hardware.model("Mistral-7B"), hardware.gpu("H200")
    eff = hardware.EFFICIENCY
    # one request, 1000 prompt tokens and 100 output tokens, decoded at batch 8
    dec = 100 * hardware.step_time(m, g, 8, 8 * 1050) / 8
    flops = m.flops_per_token * 1000 + 4.0 * m.layers * m.heads * m.head_dim * 1000 * 500
    pre = flops / (g.flops * eff.mfu)
    share = power.decode_time_share(m, g, [1000], [100], 8)
    assert share == pytest.approx(dec / (dec + pre))
    # a fully cached prompt leaves only decode; a longer output raises the share
    assert power.decode_time_share(m, g, [1024], [100], 8, reused_tokens=[1024]) == pytest.approx(
        1.0
    )
    assert power.decode_time_share(m, g, [1000], [400], 8) > share
