"""Tests for costcorrect.models.serving.hardware: sourced GPU/model tables and KV sizes."""

import dataclasses

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from costcorrect.models.serving import hardware


def test_gpu_table_has_three_gpus_with_provenance():
    g = hardware.gpus()
    assert list(g.index) == ["A100-80GB-SXM", "H100-SXM", "H200-SXM", "L40S"]
    assert list(hardware.gpus(hardware.DATACENTER).index) == list(hardware.DATACENTER)
    for col in ("source", "url", "locator", "price_url", "price_date"):
        assert g[col].notna().all() and (g[col].astype(str).str.len() > 0).all()
    assert g["url"].str.startswith("http").all()


def test_gpu_dataclass_is_frozen_and_aliases_work():
    h = hardware.gpu("H100")
    assert h.gpu == "H100-SXM" and h.hbm_tb_s == pytest.approx(3.35)
    with pytest.raises(dataclasses.FrozenInstanceError):
        h.hbm_gb = 1  # type: ignore[misc]
    assert hardware.gpu("a100").fp8_dense_tflops is None  # no FP8 tensor cores on Ampere
    with pytest.raises(KeyError):
        hardware.gpu("B200")


def test_h200_is_h100_compute_with_more_memory():
    h1, h2 = hardware.gpu("H100"), hardware.gpu("H200")
    assert h1.bf16_dense_tflops == h2.bf16_dense_tflops
    assert h2.hbm_bw / h1.hbm_bw == pytest.approx(4.8 / 3.35)
    assert h2.hbm_gb > h1.hbm_gb


def test_kv_bytes_known_models():
    assert hardware.kv_bytes_per_token(32, 32, 128, 2) == 524_288  # Llama-2-7B
    assert hardware.kv_bytes_per_token(80, 8, 128, 2) == 327_680  # Llama-2-70B (GQA-8)
    assert hardware.model("LLaMA-2-70B").kv_bytes == 327_680
    assert hardware.models().loc["Mistral-7B", "kv_bytes_per_token"] == 131_072


@given(st.integers(1, 200), st.integers(1, 128), st.integers(1, 256), st.sampled_from([1, 2, 4]))
def test_kv_bytes_linear_in_each_factor(L, H, D, s):
    base = hardware.kv_bytes_per_token(L, H, D, s)
    assert hardware.kv_bytes_per_token(2 * L, H, D, s) == 2 * base
    assert hardware.kv_bytes_per_token(L, H, D, 2 * s) == 2 * base


def test_kv_bytes_rejects_nonpositive():
    with pytest.raises(ValueError):
        hardware.kv_bytes_per_token(0, 8, 128, 2)


# ------------------------------------------------------------------ the one step model


def test_step_model_regimes_and_clock():
    m, g = hardware.model("LLaMA-2-70B"), hardware.gpu("H100")
    t_mem, t_cmp = hardware.step_terms(m, g, 1, 1024, tp=4)
    assert t_mem > t_cmp  # decode at batch 1: bandwidth-bound
    t_mem, t_cmp = hardware.step_terms(m, g, 0, 0, 4096, 2048, tp=4)
    assert t_cmp > t_mem  # a 4k prefill: compute-bound
    # the SM clock scales only the compute term
    a = hardware.step_terms(m, g, 8, 8 * 1024, tp=4, clock_ratio=0.5)
    b = hardware.step_terms(m, g, 8, 8 * 1024, tp=4)
    assert a[0] == pytest.approx(b[0]) and a[1] == pytest.approx(2 * b[1])
    t_mem, t_cmp = hardware.step_terms(m, g, 1, 1024, tp=4)
    assert hardware.step_time(m, g, 1, 1024, tp=4) == pytest.approx(
        hardware.EFFICIENCY.overhead_s + max(t_mem, t_cmp)
    )


def test_step_model_counts_attention_flops():
    m, g = hardware.model("Mistral-7B"), hardware.gpu("H200")
    _, c0 = hardware.step_terms(m, g, 64, 0)
    _, c1 = hardware.step_terms(m, g, 64, 64 * 4096)
    eff = hardware.EFFICIENCY
    extra = 4 * m.layers * m.heads * m.head_dim * 64 * 4096
    assert (c1 - c0) * g.flops * eff.mfu == pytest.approx(extra)


def test_max_batch_fits_memory():
    m, g = hardware.model("Mistral-7B"), hardware.gpu("A100")
    b = hardware.max_batch(m, g, 4096)
    used = m.weight_bytes + b * 4096 * m.kv_bytes
    assert used <= 0.9 * g.hbm_bytes < used + 4096 * m.kv_bytes


def test_fp32_peaks_give_splitwise_compute_ratio():
    """Splitwise's 3.43x H100/A100 compute gap is the FP32 (CUDA-core) ratio, 67/19.5, not BF16 tensor."""
    h, a = hardware.gpu("H100"), hardware.gpu("A100")
    assert h.fp32_tflops / a.fp32_tflops == pytest.approx(3.43, rel=0.01)
    assert h.bf16_dense_tflops / a.bf16_dense_tflops == pytest.approx(3.17, rel=0.01)


def test_one_step_model_behind_every_chapter():
    """Property: the serving engine, the fleet configurations and the power chapter's decode throughput
    are the shared step model's (no second roofline)."""
    from costcorrect.models.serving import fleet, serving

    m, g = hardware.model("LLaMA-2-70B"), hardware.gpu("H100")
    eng = serving.Engine(g, m, tp=4)
    for batch in (1, 8, 64, 256):
        want = batch / hardware.step_time(m, g, batch, batch * 1024, tp=4)
        assert batch / eng.step(batch, batch * 1024) == pytest.approx(want)
        assert hardware.decode_tokens_per_s(m, g, batch, 1024, tp=4) == pytest.approx(want)
    gpus = hardware.gpus(["H100-SXM"])[fleet.GPU_COLUMNS].assign(eta_bw=hardware.EFFICIENCY.mbu)
    cfg = fleet.replica_configs([m], gpus, context=1024, tp_eff=1.0, ks=(4,))
    row = cfg.iloc[0]
    assert row["tokens_per_s"] == pytest.approx(
        float(hardware.decode_tokens_per_s(m, g, row["batch"], 1024, tp=4))
    )


def test_decode_only_fast_path_equals_the_general_expressions():
    m, g = hardware.model("LLaMA-2-70B"), hardware.gpu("H100-SXM")
    eff = hardware.Efficiency(mbu=np.array([0.6, 0.9]), mfu=0.55)
    B = np.array([[1.0], [7.0], [300.0]])
    fast = hardware.step_time(m, g, B, B * 4096.0, tp=4, eff=eff)
    general = hardware.step_time(m, g, B, B * 4096.0, np.zeros(1), np.zeros(1), tp=4, eff=eff)
    assert fast.shape == (3, 2) and np.array_equal(fast, general)


def test_attainable_tflops_is_the_datasheet_roofline():
    g = hardware.gpu("H100")
    ridge = g.ridge_flop_per_byte
    got = g.attainable_tflops([ridge / 10, ridge, ridge * 10])
    assert got[0] == pytest.approx(g.bf16_dense_tflops / 10)  # bandwidth-bound left of the ridge
    assert got[1] == pytest.approx(g.bf16_dense_tflops)
    assert got[2] == g.bf16_dense_tflops  # flat at the peak right of it
