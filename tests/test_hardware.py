"""Tests for costcorrect.hardware: sourced GPU/model tables and KV sizes."""

import dataclasses

import pytest
from hypothesis import given, strategies as st

from costcorrect import hardware


def test_gpu_table_has_three_gpus_with_provenance():
    g = hardware.gpus()
    assert list(g.index) == ["A100-80GB-SXM", "H100-SXM", "H200-SXM"]
    for col in ("source", "url", "locator", "price_url", "price_date"):
        assert g[col].notna().all() and (g[col].astype(str).str.len() > 0).all()
    assert g["url"].str.startswith("http").all()


def test_gpu_dataclass_is_frozen_and_aliases_work():
    h = hardware.gpu("H100")
    assert h.gpu == "H100-SXM" and h.hbm_tb_s == pytest.approx(3.35)
    with pytest.raises(dataclasses.FrozenInstanceError):
        h.hbm_gb = 1  # type: ignore[misc]
    assert hardware.gpu("a100").fp8_dense_tflops is None   # no FP8 tensor cores on Ampere
    with pytest.raises(KeyError):
        hardware.gpu("B200")


def test_h200_is_h100_compute_with_more_memory():
    h1, h2 = hardware.gpu("H100"), hardware.gpu("H200")
    assert h1.bf16_dense_tflops == h2.bf16_dense_tflops
    assert h2.hbm_bw / h1.hbm_bw == pytest.approx(4.8 / 3.35)
    assert h2.hbm_gb > h1.hbm_gb


def test_kv_bytes_known_models():
    assert hardware.kv_bytes_per_token(32, 32, 128, 2) == 524_288      # Llama-2-7B
    assert hardware.kv_bytes_per_token(80, 8, 128, 2) == 327_680       # Llama-2-70B (GQA-8)
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
