"""Phase-aware energy of LLM serving: roofline, a DVFS power model, the prefill–decode crossover, NVML.

Companion code of the chapter *The Power-Cap Illusion* (Field Notes #8 on Ma, Afzal, Eitzinger and
Wellein 2026, arXiv:2605.11999).

* Roofline: :func:`decode_intensity`, :func:`prefill_intensity`, :func:`decode_batch_threshold_expr`,
  :func:`decode_batch_threshold` (GPU constants and the one step-time model, with the SM clock in its
  compute term, are in :mod:`costcorrect.models.serving.hardware`).
* DVFS: :func:`dvfs_scale` (the ``f·V(f)²`` factor of dynamic power), :func:`locked_power`,
  :func:`clock_lock_saving`, :func:`saving_expr`, :func:`min_clock_share`, and the bound on the
  clock-dependent share, :func:`max_clock_share` (idle floor and :func:`hbm_power_w` excluded).
* Crossover: :func:`request_energy_exprs`, :func:`crossover_tokens_expr`, :func:`halving_tokens_expr`,
  and their numbers in the step model, :func:`request_energy_ratio` (the crossover figure).
* Roofline figure: :func:`roofline` (the GPUs' datasheet roofs), :func:`roofline_points` (decode and
  prefill placed on one roof).
* Sweeps of the chapter, vectorised where the step model allows: :func:`compute_over_memory`,
  :func:`lock_feasible_saving`, :func:`lock_throughput_loss`, :func:`cap_headroom_w`,
  :func:`energy_ratio_at_batch` (measured serving runs).
* Cost-correct: :func:`energy_cost_per_mtok`, :func:`cpm_change_from_energy_saving`,
  :func:`decode_cpm_parts`, :func:`decode_cpm_change`.
* Measurement on a real GPU: :func:`nvml_status`, :func:`measure_decode_power` (``pynvml`` imported
  lazily; without a GPU it raises :class:`NoGPUError` with the reason).

Everything except the NVML part is a *reconstruction*: the paper's equations are not public.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import sympy as sp

# ------------------------------------------------------------------ roofline

N, b_w, B, L, kv, S_state = sp.symbols("N b_w B L kv S", positive=True)
ridge = sp.Symbol("I_ridge", positive=True)


def decode_intensity_expr(state_bytes: sp.Expr | None = None) -> sp.Expr:
    """Arithmetic intensity (FLOP per HBM byte) of one decode step at batch ``B``.

    FLOPs ``2·N·B`` (dense matmuls); bytes: weights ``N·b_w`` once per step plus, per sequence, the
    KV cache ``L·kv`` (softmax attention) or a constant recurrent state ``S`` (linear attention).
    """
    per_seq = L * kv if state_bytes is None else state_bytes
    return 2 * N * B / (N * b_w + B * per_seq)


def decode_batch_threshold_expr(state_bytes: sp.Expr | None = None) -> sp.Expr:
    """Batch size at which decode's intensity reaches the ridge point (solved by SymPy).

    Returns the positive solution, or ``sp.oo`` when intensity never reaches the ridge
    (the supremum ``2N / per_seq`` is reached only as B → ∞).
    """
    sols = sp.solve(sp.Eq(decode_intensity_expr(state_bytes), ridge), B)
    if len(sols) != 1:
        raise ValueError(f"expected one solution, got {sols}")
    return sp.simplify(sols[0])


def decode_intensity(
    params: float,
    batch,
    context: float,
    kv_bytes: float,
    dtype_bytes: float = 2.0,
    state_bytes: float | None = None,
):
    """Numeric decode intensity, FLOP/byte (``state_bytes`` replaces ``context·kv_bytes`` per sequence)."""
    batch = np.asarray(batch, dtype=float)
    per_seq = context * kv_bytes if state_bytes is None else state_bytes
    return 2 * params * batch / (params * dtype_bytes + batch * per_seq)


def prefill_intensity(params: float, prompt_tokens, kv_bytes: float, dtype_bytes: float = 2.0):
    """Prefill intensity, FLOP/byte: ``2·N·T`` FLOPs over weights read once plus the KV cache written."""
    t = np.asarray(prompt_tokens, dtype=float)
    return 2 * params * t / (params * dtype_bytes + t * kv_bytes)


def decode_batch_threshold(
    params: float,
    ridge_flop_per_byte: float,
    context: float,
    kv_bytes: float,
    dtype_bytes: float = 2.0,
    state_bytes: float | None = None,
) -> float:
    """Numeric batch threshold (``inf`` if decode stays memory-bound at every batch size)."""
    per_seq = context * kv_bytes if state_bytes is None else state_bytes
    denom = 2 * params - ridge_flop_per_byte * per_seq
    if denom <= 0:
        return float("inf")
    return ridge_flop_per_byte * params * dtype_bytes / denom


# ------------------------------------------------------------------ DVFS

f_r, v_floor, phi = sp.symbols("f_r v_floor phi", positive=True)


def dvfs_scale(clock_ratio, v_floor_ratio: float):
    """Dynamic-power factor ``(f/f_max)·(V(f)/V_max)²`` with V ∝ f down to a floor ``v_floor_ratio``.

    Reconstruction: the voltage–frequency curve of Hopper is not public; V ∝ f above the floor is the
    textbook DVFS form (dynamic power ∝ C·V²·f, hence ∝ f³ on the proportional part).
    """
    fr = np.asarray(clock_ratio, dtype=float)
    v = np.maximum(fr, v_floor_ratio)
    return fr * v**2


def locked_power(p_decode_w, clock_share, clock_ratio, v_floor_ratio: float):
    """Board power after locking the SM clock at ``clock_ratio``·f_max.

    ``p_decode_w`` is decode power at the default clock; ``clock_share`` (φ) the part of it that scales
    with the SM clock domain (the rest — leakage floor, HBM, I/O — stays).
    """
    return p_decode_w * (1 - clock_share + clock_share * dvfs_scale(clock_ratio, v_floor_ratio))


def clock_lock_saving(clock_share, clock_ratio, v_floor_ratio: float, throughput_ratio=1.0):
    """Relative decode-energy saving from a clock lock: ``1 − (P_lock/P)·(TPS/TPS_lock)``."""
    p = 1 - clock_share + clock_share * dvfs_scale(clock_ratio, v_floor_ratio)
    return 1 - p / np.asarray(throughput_ratio, dtype=float)


def capped_clock_ratio(
    p_cap_w, p_decode_w: float, clock_share: float, v_floor_ratio: float, grid: int = 2001
) -> np.ndarray:
    """SM clock ratio an ideal power cap settles at: the highest ``f`` with ``locked_power(f) ≤ cap``.

    A cap at or above the default-clock draw does nothing (ratio 1). A cap below the clock-independent
    floor ``(1 − φ)·P`` cannot be met by clocks alone; the lowest grid clock is returned. Firmware lag and
    throttling noise — the paper's second confound — are not modelled: the cap here is a perfect
    governor, the best case for capping.
    """
    f = np.linspace(1.0 / grid, 1.0, grid)
    p = locked_power(p_decode_w, clock_share, f, v_floor_ratio)
    caps = np.atleast_1d(np.asarray(p_cap_w, dtype=float))
    idx = np.searchsorted(p, caps, side="right") - 1  # p is increasing in f
    return f[np.clip(idx, 0, grid - 1)]


def hbm_power_w(traffic_bytes_per_s, pj_per_bit):
    """Dynamic HBM access power, W: ``traffic · 8 bits · energy per bit``.

    It is paid on HBM's own clock and interface, so it does not scale with the SM clock: a clock
    lock cannot save it (the idle draw, measured with no traffic, does not contain it either).
    """
    return (
        np.asarray(traffic_bytes_per_s, dtype=float)
        * 8.0
        * np.asarray(pj_per_bit, dtype=float)
        * 1e-12
    )


def decode_hbm_traffic(model, gpu, batch, context, eff=None, state_bytes: float | None = None):
    """Mean HBM traffic of decode at ``batch`` sequences of ``context`` tokens, bytes/s: the bytes one
    step of the book's step model reads (weights plus KV cache or state) over the step's duration."""
    from costcorrect.models.serving import hardware

    eff = eff or hardware.EFFICIENCY
    b = np.asarray(batch, dtype=float)
    ctx = b * np.asarray(context, dtype=float) if state_bytes is None else 0.0
    t_mem, _ = hardware.step_terms(model, gpu, b, ctx, eff=eff, state_bytes=state_bytes)
    bytes_per_step = t_mem * gpu.hbm_bw * eff.mbu
    return bytes_per_step / hardware.step_time(model, gpu, b, ctx, eff=eff, state_bytes=state_bytes)


def max_clock_share(p_decode_w, idle_w: float, hbm_w=0.0):
    """Largest share φ of decode power that can sit in the SM clock domain: what is left after the
    idle floor and the HBM access power, neither of which scales with the SM clock (0 if none is)."""
    p = np.asarray(p_decode_w, dtype=float)
    return np.clip(1.0 - (idle_w + np.asarray(hbm_w, dtype=float)) / p, 0.0, 1.0)


def saving_expr() -> sp.Expr:
    """Symbolic saving at unchanged throughput: φ·(1 − g), with ``g`` the f·V² factor (symbol ``g``)."""
    g = sp.Symbol("g", positive=True)
    e_before = 1
    e_after = (1 - phi) + phi * g
    return sp.simplify((e_before - e_after) / e_before)


def min_clock_share(saving: float, clock_ratio: float, v_floor_ratio: float) -> float:
    """Smallest clock-dependent share φ of decode power for which a lock at ``clock_ratio``
    saves ``saving``."""
    g = float(dvfs_scale(clock_ratio, v_floor_ratio))
    return saving / (1 - g)


def lock_energy_ratio(
    model,
    gpu,
    batch: float,
    context: float,
    clock_ratio,
    clock_share: float,
    v_floor_ratio: float,
    eff=None,
):
    """(energy per token, throughput) at an SM-clock lock, both relative to the default clock.

    Throughput comes from the book's one step model
    (:func:`costcorrect.models.serving.hardware.step_time`, the clock scaling its compute term);
    power from :func:`locked_power` (a share ``clock_share`` of decode power scales with
    ``f·V(f)²``). Energy per token = power / throughput.
    """
    from costcorrect.models.serving import hardware

    eff = eff or hardware.EFFICIENCY
    t1 = hardware.step_time(model, gpu, batch, batch * context, eff=eff)
    tf = hardware.step_time(model, gpu, batch, batch * context, eff=eff, clock_ratio=clock_ratio)
    tput = t1 / tf
    power_ratio = locked_power(1.0, clock_share, clock_ratio, v_floor_ratio)
    return power_ratio / tput, tput


def decode_energy_ratio(
    model, gpu, batch: float, context: float, state_bytes: float, power_ratio: float = 1.0, eff=None
) -> float:
    """k_d: decode energy per token of a constant-state design over GQA's at the same batch.

    Both step times come from the shared step model (the replacement reads ``state_bytes`` per
    sequence instead of its KV cache); ``power_ratio`` is the replacement's board power over GQA's
    (1 = equal power, the assumption the chapter sweeps).
    """
    from costcorrect.models.serving import hardware

    eff = eff or hardware.EFFICIENCY
    t_gqa = hardware.step_time(model, gpu, batch, batch * context, eff=eff)
    t_lin = hardware.step_time(model, gpu, batch, 0.0, eff=eff, state_bytes=state_bytes)
    return float(power_ratio * t_lin / t_gqa)


def decode_time_share(
    model, gpu, input_tokens, output_tokens, batch: float, reused_tokens=0.0, eff=None
) -> float:
    """Share of the GPU time of serving a list of requests that is spent in decode.

    Decode: each output token costs its share ``step_time / B`` of a decode step at batch ``B`` (capped
    at the batch whose KV cache fits at the requests' mean decode context), with the request's own
    context ``I + O/2``. Prefill: the compute time of the prompt tokens not served from a prefix cache
    (``reused_tokens``), attending to the cached prefix plus half the new tokens, as when prompts are
    batched into compute-bound iterations (no per-prompt weight read or overhead).
    """
    from costcorrect.models.serving import hardware

    eff = eff or hardware.EFFICIENCY
    i = np.asarray(input_tokens, dtype=float)
    o = np.asarray(output_tokens, dtype=float)
    reused = np.minimum(np.broadcast_to(np.asarray(reused_tokens, dtype=float), i.shape), i)
    ctx = i + o / 2
    b = float(min(batch, max(hardware.max_batch(model, gpu, float(ctx.mean())), 1)))
    t_dec = o * hardware.step_time(model, gpu, b, b * ctx, eff=eff) / b
    new = i - reused
    _, t_pre = hardware.step_terms(model, gpu, 0.0, 0.0, new, reused + new / 2, eff=eff)
    t_pre = np.where(new > 0, t_pre, 0.0)
    return float(t_dec.sum() / (t_dec.sum() + t_pre.sum()))


def compute_over_memory(
    model, gpus, context: float, mbu: float, mfu: float, max_batch: int, state_bytes=None
) -> float:
    """Largest compute-time / memory-time ratio of a decode step of one design over ``gpus`` and
    every batch from 1 to ``max_batch`` whose KV cache fits at ``context`` tokens (above 1: the step
    is compute-bound). ``state_bytes`` None is the GQA KV cache, a byte count a constant state."""
    from costcorrect.models.serving import hardware

    eff = hardware.Efficiency(mbu=mbu, mfu=mfu)
    worst = 0.0
    for g in gpus:
        b = np.arange(1, min(max_batch, hardware.max_batch(model, g, context)) + 1)
        t_mem, t_cmp = hardware.step_terms(
            model, g, b, b * context, eff=eff, state_bytes=state_bytes
        )
        worst = max(worst, float(np.max(t_cmp / t_mem)))
    return worst


def lock_feasible_saving(
    model,
    gpu,
    batch: float,
    context: float,
    lock_ratio: float,
    v_floor_ratio: float,
    draws_w,
    idle_w: float,
    hbm_pj: float,
) -> float:
    """Largest decode-energy saving a lock at ``lock_ratio`` allows over the decode draws ``draws_w``:
    the clock-dependent share is what :func:`max_clock_share` leaves after the idle draw and the HBM
    access power of the step model's traffic at ``hbm_pj`` pJ/bit (:func:`hbm_power_w`)."""
    hbm = hbm_power_w(decode_hbm_traffic(model, gpu, batch, context), hbm_pj)
    shares = max_clock_share(np.asarray(draws_w, dtype=float), idle_w, float(hbm))
    energy, _ = lock_energy_ratio(model, gpu, batch, context, lock_ratio, shares, v_floor_ratio)
    return float(np.max(1 - np.asarray(energy)))


def lock_throughput_loss(
    model, gpu, batch: float, context: float, lock_ratio: float, v_floor_ratio: float, eff=None
) -> float:
    """Relative decode-throughput loss of an SM-clock lock in the step model (0: none)."""
    _, tput = lock_energy_ratio(model, gpu, batch, context, lock_ratio, 0.0, v_floor_ratio, eff=eff)
    return 1 - float(tput)


def decode_cpm_parts(model, gpu, batch: float, context: float, watts, usd_per_kwh: float, pue=1.0):
    """(tokens/s, rental USD per Mtok, energy USD per Mtok) of decode on a rented ``gpu``: the rent is
    its hourly price over the step model's throughput, the energy :func:`energy_cost_per_mtok`."""
    from costcorrect.models.serving import hardware

    tps = float(hardware.decode_tokens_per_s(model, gpu, batch, context))
    rent = gpu.price_per_second / tps * 1e6
    return tps, rent, energy_cost_per_mtok(watts, tps, usd_per_kwh, pue)


def decode_cpm_change(
    model, gpu, batch: float, context: float, saving: float, watts, usd_per_kwh: float, pue=1.0
):
    """Relative change of the decode CPM of a renter when decode energy falls by ``saving`` at
    unchanged throughput (:func:`cpm_change_from_energy_saving` on the energy share)."""
    _, rent, energy = decode_cpm_parts(model, gpu, batch, context, watts, usd_per_kwh, pue)
    return cpm_change_from_energy_saving(saving, energy / (rent + energy))


def cap_headroom_w(cap_w, draw_w):
    """Power a cap leaves above a draw, W: ``cap − draw`` (negative: the cap binds and throttles)."""
    return np.asarray(cap_w, dtype=float) - np.asarray(draw_w, dtype=float)


def energy_ratio_at_batch(runs, model_id: str, baseline_id: str, task: str, batch: int) -> float:
    """Energy per output token of ``model_id`` over ``baseline_id`` on one task at the same maximum
    batch, from a table of measured serving runs (columns ``model_id``, ``task``, ``max_num_seqs``,
    ``energy_per_token_joules``, as in the ML.ENERGY extract)."""

    def one(mid: str) -> float:
        sel = runs[
            (runs["model_id"] == mid) & (runs["task"] == task) & (runs["max_num_seqs"] == batch)
        ]
        if len(sel) != 1:
            raise ValueError(f"{len(sel)} runs of {mid} on {task} at batch {batch}, expected one")
        return float(sel["energy_per_token_joules"].iloc[0])

    return one(model_id) / one(baseline_id)


def trace_halves(trace, column: str = "arrival_s") -> dict:
    """A request trace whole and split at half its last arrival time: ``{"whole", "first half",
    "second half"}`` (the windows over which a trace-driven verdict is swept)."""
    half = trace[column].max() / 2
    return {
        "whole": trace,
        "first half": trace[trace[column] < half],
        "second half": trace[trace[column] >= half],
    }


def roofline_points(model, gpu, batches, context: float, prompt_tokens: float, state_bytes: float):
    """Decode steps (GQA at ``context``; a constant state of ``state_bytes``) at ``batches`` and one
    prefill of ``prompt_tokens``, placed on ``gpu``'s datasheet roofline: a frame of workload, batch,
    intensity (FLOP/byte) and attainable TFLOP/s."""
    import pandas as pd

    n, kv, b = model.params_b * 1e9, model.kv_bytes, np.asarray(batches)
    frame = pd.DataFrame(
        {
            "workload": ["decode, GQA"] * len(b)
            + ["decode, constant state"] * len(b)
            + ["prefill"],
            "batch": np.concatenate([b, b, [1]]),
            "intensity": np.concatenate(
                [
                    decode_intensity(n, b, context, kv),
                    decode_intensity(n, b, 0, kv, state_bytes=state_bytes),
                    [prefill_intensity(n, prompt_tokens, kv)],
                ]
            ),
        }
    )
    frame["tflops"] = gpu.attainable_tflops(frame["intensity"].to_numpy())
    return frame


def roofline(gpus, intensity):
    """Datasheet rooflines of ``gpus`` (each GPU's ``attainable_tflops``) at each arithmetic
    intensity of ``intensity`` (FLOP/byte); a frame of gpu, intensity and tflops."""
    import pandas as pd

    i = np.asarray(intensity, dtype=float)
    return pd.concat(
        [
            pd.DataFrame(
                {
                    "gpu": g.gpu,
                    "intensity": i,
                    "tflops": g.attainable_tflops(i),
                }
            )
            for g in gpus
        ],
        ignore_index=True,
    )


# ------------------------------------------------------------------ prefill–decode crossover

E_pre, e_dec, k_p, k_d, n_out = sp.symbols("E_pre e_dec k_p k_d n", positive=True)


def request_energy_exprs() -> dict[str, sp.Expr]:
    """Request energy of the baseline (GQA) and of a replacement with prefill ×k_p and decode ×k_d."""
    return {"baseline": E_pre + n_out * e_dec, "replacement": k_p * E_pre + n_out * k_d * e_dec}


def crossover_tokens_expr() -> sp.Expr:
    """Output length at which the replacement's request energy equals the baseline's."""
    e = request_energy_exprs()
    (sol,) = sp.solve(sp.Eq(e["replacement"], e["baseline"]), n_out)
    return sp.simplify(sol)


def halving_tokens_expr() -> sp.Expr:
    """Output length at which the replacement uses half the baseline's request energy (needs k_d < 1/2)."""
    e = request_energy_exprs()
    (sol,) = sp.solve(sp.Eq(e["replacement"], e["baseline"] / 2), n_out)
    return sp.simplify(sol)


def request_energy_ratio(
    model,
    gpu,
    batches,
    context: float,
    state_bytes: float,
    k_prefill: float,
    prompt_tokens: float,
    output_tokens,
    prefill_w: float,
    decode_w: float,
):
    """Request energy of a constant-state design over GQA's against output length, per batch.

    :func:`request_energy_exprs` evaluated with the step model
    (:func:`costcorrect.models.serving.hardware.step_time`): ``E_pre`` is the prompt's step time at
    ``prefill_w``, ``e_dec`` a GQA decode step at ``decode_w`` shared by its batch, ``k_p`` is
    ``k_prefill`` and ``k_d`` is :func:`decode_energy_ratio` at equal power. Batches larger than the
    KV cache holds at ``context`` are capped to the largest that fits (each batch kept once). A frame
    of batch, output tokens and ratio.
    """
    import pandas as pd

    from costcorrect.models.serving import hardware

    energy = request_energy_exprs()
    ratio = sp.lambdify((E_pre, e_dec, k_p, k_d, n_out), energy["replacement"] / energy["baseline"])
    e_pre = (
        float(hardware.step_time(model, gpu, 0, 0, prompt_tokens, prompt_tokens / 2)) * prefill_w
    )
    n = np.asarray(output_tokens, dtype=float)
    fits = hardware.max_batch(model, gpu, context)
    frames = []
    for b in dict.fromkeys(min(int(b), fits) for b in batches):
        e_tok = decode_w * float(hardware.step_time(model, gpu, b, b * context)) / b
        kd = decode_energy_ratio(model, gpu, b, context, state_bytes)
        r = ratio(e_pre, e_tok, k_prefill, kd, n)
        frames.append(pd.DataFrame({"batch": b, "output tokens": n, "ratio": r}))
    return pd.concat(frames, ignore_index=True)


# ------------------------------------------------------------------ Cost-correct


def energy_cost_per_mtok(power_w, tokens_per_s, usd_per_kwh: float, pue: float = 1.0):
    """Electricity cost of a million tokens, USD: ``P·PUE / TPS`` joules per token × price."""
    joules_per_token = (
        np.asarray(power_w, dtype=float) * pue / np.asarray(tokens_per_s, dtype=float)
    )
    return joules_per_token * 1e6 / 3.6e6 * usd_per_kwh


def cpm_change_from_energy_saving(saving, energy_share):
    """Relative change of the decode CPM when its energy part falls by ``saving`` at unchanged throughput."""
    return -np.asarray(saving) * np.asarray(energy_share)


# ------------------------------------------------------------------ NVML measurement


class NoGPUError(RuntimeError):
    """No NVIDIA GPU / NVML is available; the message says why (no pynvml, no driver, no device)."""


@dataclass(frozen=True)
class DecodePowerResult:
    """What :func:`measure_decode_power` measured on one device."""

    device: str
    steps: int
    tokens: int
    seconds: float
    energy_j: float
    mean_power_w: float
    max_power_w: float
    power_limit_w: float
    sm_clock_mhz: float
    samples: int
    energy_source: str  # "counter" (nvmlDeviceGetTotalEnergyConsumption) or "sampled"

    @property
    def joules_per_token(self) -> float:
        return self.energy_j / self.tokens

    @property
    def tokens_per_s(self) -> float:
        return self.tokens / self.seconds

    @property
    def cap_headroom_w(self) -> float:
        """Board power limit minus the highest sampled draw: > 0 means the cap never bound."""
        return self.power_limit_w - self.max_power_w


def _import_nvml():
    try:
        import pynvml
    except ImportError as exc:
        raise NoGPUError(
            "pynvml is not installed (pip install nvidia-ml-py); NVML power measurement "
            "needs an NVIDIA GPU and driver"
        ) from exc
    return pynvml


def nvml_status() -> tuple[bool, str]:
    """``(True, "<n> device(s): <name>")`` if NVML works here, else ``(False, reason)``; never raises."""
    try:
        nv = _import_nvml()
        nv.nvmlInit()
    except NoGPUError as exc:
        return False, str(exc)
    except Exception as exc:  # pynvml raises NVMLError subclasses (driver/library not found)
        return False, f"NVML could not be initialised: {exc}"
    try:
        n = nv.nvmlDeviceGetCount()
        if n == 0:
            return False, "NVML is available but reports no GPU"
        name = nv.nvmlDeviceGetName(nv.nvmlDeviceGetHandleByIndex(0))
        return True, f"{n} device(s): {name.decode() if isinstance(name, bytes) else name}"
    finally:
        nv.nvmlShutdown()


def measure_decode_power(
    step: Callable[[], int],
    steps: int = 200,
    device_index: int = 0,
    sample_interval_s: float = 0.01,
    warmup: int = 5,
) -> DecodePowerResult:
    """Measure board power and energy while ``step()`` runs ``steps`` decode steps on an NVIDIA GPU.

    ``step`` runs one decode step of the reader's engine (synchronised, e.g. ending in
    ``torch.cuda.synchronize()``) and returns the number of tokens it produced (the batch size).
    Energy comes from the board's energy counter when the GPU has one (Volta and later), else from
    trapezoidal integration of power samples taken every ``sample_interval_s`` seconds.

    Raises :class:`NoGPUError` (with the reason) when pynvml, the driver or the device is missing.
    To compare clock locks, run it under ``sudo nvidia-smi -lgc <MHz>`` (see :func:`lock_command`).
    """
    nv = _import_nvml()
    try:
        nv.nvmlInit()
    except Exception as exc:
        raise NoGPUError(
            f"NVML could not be initialised (no NVIDIA driver or GPU?): {exc}"
        ) from exc
    try:
        if nv.nvmlDeviceGetCount() <= device_index:
            raise NoGPUError(
                f"no GPU with index {device_index} (NVML reports {nv.nvmlDeviceGetCount()})"
            )
        h = nv.nvmlDeviceGetHandleByIndex(device_index)
        name = nv.nvmlDeviceGetName(h)
        name = name.decode() if isinstance(name, bytes) else str(name)
        limit_w = nv.nvmlDeviceGetEnforcedPowerLimit(h) / 1000.0
        for _ in range(warmup):
            step()
        samples: list[tuple[float, float]] = []
        stop = threading.Event()

        def sampler() -> None:
            while not stop.is_set():
                samples.append((time.perf_counter(), nv.nvmlDeviceGetPowerUsage(h) / 1000.0))
                stop.wait(sample_interval_s)

        try:
            e0 = nv.nvmlDeviceGetTotalEnergyConsumption(h)  # mJ
        except Exception:
            e0 = None
        th = threading.Thread(target=sampler, daemon=True)
        t0 = time.perf_counter()
        th.start()
        tokens = 0
        try:
            for _ in range(steps):
                tokens += int(step())
        finally:
            t1 = time.perf_counter()
            stop.set()
            th.join()
        clock = float(nv.nvmlDeviceGetClockInfo(h, nv.NVML_CLOCK_SM))
        e1 = None
        if e0 is not None:
            try:
                e1 = nv.nvmlDeviceGetTotalEnergyConsumption(h)
            except Exception:
                e1 = None
    finally:
        nv.nvmlShutdown()
    if tokens <= 0:
        raise ValueError("step() must return the number of tokens produced (> 0 in total)")
    watts = np.array([w for _, w in samples]) if samples else np.array([np.nan])
    if e0 is not None and e1 is not None and e1 > e0:
        energy, source = (e1 - e0) / 1000.0, "counter"
    else:
        ts = np.array([t for t, _ in samples])
        energy = (
            float(np.trapezoid(watts, ts)) if len(samples) > 1 else float(watts.mean() * (t1 - t0))
        )
        source = "sampled"
    seconds = t1 - t0
    return DecodePowerResult(
        device=name,
        steps=steps,
        tokens=tokens,
        seconds=seconds,
        energy_j=float(energy),
        mean_power_w=float(energy / seconds),
        max_power_w=float(np.nanmax(watts)),
        power_limit_w=limit_w,
        sm_clock_mhz=clock,
        samples=len(samples),
        energy_source=source,
    )


def lock_command(sm_mhz: int | None, device_index: int = 0) -> str:
    """The ``nvidia-smi`` command that locks (or, with ``None``, resets) the SM clock; not executed here."""
    if sm_mhz is None:
        return f"sudo nvidia-smi -i {device_index} -rgc"
    if sm_mhz <= 0:
        raise ValueError("sm_mhz must be positive")
    return f"sudo nvidia-smi -i {device_index} -lgc {int(sm_mhz)},{int(sm_mhz)}"
