"""Tests of the chapter sweeps of costcorrect.models.serving.power (one function, one question)."""

import numpy as np
import pandas as pd
import pytest

from costcorrect.models.serving import hardware, power


@pytest.fixture(scope="module")
def setup():
    return hardware.model("Mistral-7B"), hardware.gpu("H200")


def test_compute_over_memory_matches_step_terms(setup):
    m, g = setup
    got = power.compute_over_memory(m, [g], 4096, 0.8, 0.6, 16)
    b = np.arange(1, 17)
    eff = hardware.Efficiency(mbu=0.8, mfu=0.6)
    t_mem, t_cmp = hardware.step_terms(m, g, b, b * 4096, eff=eff)
    assert got == pytest.approx(float(np.max(t_cmp / t_mem)))
    # GQA decode at a 4k context is memory-bound; more compute efficiency only lowers the ratio
    assert got < 1
    assert power.compute_over_memory(m, [g], 4096, 0.8, 0.9, 16) < got


def test_lock_saving_zero_without_clock_power(setup):
    m, g = setup
    # a draw equal to the idle floor leaves no clock-dependent power, so no lock saves anything
    assert power.lock_feasible_saving(
        m, g, 8, 4096, 0.5, 0.6, [100.0], 100.0, 3.5
    ) == pytest.approx(0)
    both = power.lock_feasible_saving(m, g, 8, 4096, 0.5, 0.6, [100.0, 300.0], 74.0, 3.5)
    assert both == pytest.approx(
        power.lock_feasible_saving(m, g, 8, 4096, 0.5, 0.6, [300.0], 74.0, 3.5)
    )


def test_memory_bound_lock_costs_no_throughput(setup):
    m, g = setup
    assert power.lock_throughput_loss(m, g, 8, 4096, 0.7, 0.6) == pytest.approx(0.0, abs=1e-12)
    assert power.lock_throughput_loss(m, g, 8, 4096, 0.01, 0.6) > 0


def test_cpm_change_is_minus_saving_times_energy_share(setup):
    m, g = setup
    tps, rent, energy = power.decode_cpm_parts(m, g, 64, 4096, 300.0, 0.15)
    assert tps > 0 and rent > 0 and energy > 0
    change = power.decode_cpm_change(m, g, 64, 4096, 0.32, 300.0, 0.15)
    assert change == pytest.approx(-0.32 * energy / (rent + energy))


def test_cap_headroom_and_energy_ratio():
    assert power.cap_headroom_w([200, 300, 700], 300) == pytest.approx([-100, 0, 400])
    runs = pd.DataFrame(
        {
            "model_id": ["a", "b", "a"],
            "task": ["t", "t", "u"],
            "max_num_seqs": [8, 8, 8],
            "energy_per_token_joules": [0.5, 1.0, 9.0],
        }
    )
    assert power.energy_ratio_at_batch(runs, "a", "b", "t", 8) == pytest.approx(0.5)
    with pytest.raises(ValueError):
        power.energy_ratio_at_batch(runs, "a", "b", "t", 16)


def test_trace_halves_partition():
    t = pd.DataFrame({"arrival_s": [0.0, 1.0, 2.0, 3.0, 4.0]})
    h = power.trace_halves(t)
    assert len(h["first half"]) + len(h["second half"]) == len(h["whole"]) == 5
    assert h["first half"]["arrival_s"].max() < 2.0 <= h["second half"]["arrival_s"].min()


def test_roofline_points_under_the_roof(setup):
    m, g = setup
    pts = power.roofline_points(m, g, [1, 8, 64], 4096, 2048, 1e6)
    assert list(pts["workload"]).count("prefill") == 1 and len(pts) == 7
    assert (pts["tflops"] <= g.bf16_dense_tflops + 1e-9).all()
    assert (pts["tflops"] <= pts["intensity"] * g.hbm_tb_s + 1e-9).all()


def test_roofline_is_the_lower_of_the_two_roofs():
    gpus = [hardware.gpu("A100"), hardware.gpu("H200")]
    roofs = power.roofline(gpus, [1.0, 100.0, 1e4])
    names = [g.gpu for g in gpus]
    assert list(roofs["gpu"]) == [names[0]] * 3 + [names[1]] * 3
    h200 = roofs[roofs["gpu"] == names[1]]["tflops"].to_numpy()
    g = gpus[1]
    # left of the ridge the roof is bandwidth-bound, right of it compute-bound
    assert h200 == pytest.approx([g.hbm_tb_s, 100 * g.hbm_tb_s, g.bf16_dense_tflops])


def test_request_energy_ratio_starts_at_k_p_and_tends_to_k_d(setup):
    m, g = setup
    state = m.layers * m.heads * m.head_dim**2 * m.dtype_bytes
    n = [1e-3, 1e9]
    fits = hardware.max_batch(m, g, 4096)
    got = power.request_energy_ratio(
        m, g, [8, fits, fits + 100], 4096, state, 1.5, 2048, n, 700, 300
    )
    # a batch that does not fit is capped to the largest that does, and kept once
    assert sorted(set(got["batch"])) == sorted({8, fits})
    for b, rows in got.groupby("batch"):
        short, long_ = rows["ratio"]
        assert short == pytest.approx(1.5, rel=1e-3)  # no output: the prefill ratio k_p
        assert long_ == pytest.approx(power.decode_energy_ratio(m, g, b, 4096, state), rel=1e-3)
    # the crossover: above 1 on short requests, below it on long ones (k_d < 1 at these batches)
    assert (
        got.groupby("batch")["ratio"]
        .agg(["first", "last"])
        .pipe(lambda r: (r["first"] > 1) & (r["last"] < 1))
    ).all()
