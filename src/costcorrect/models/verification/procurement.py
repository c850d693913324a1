"""Verifier procurement under unobservable quality: a reconstruction.

The paper (Bhardwaj 2026, "Verifier Procurement Under Unobservable Quality") is public only as an
abstract, so everything here is a *reconstruction* of the mechanisms it names:

* :func:`posted_price_equilibria` — a posted-price market for verification on a discrete type
  space with a single-crossing cost of quality (Akerlof-style adverse selection);
* the **probe mechanism** — every candidate verifier reports an accept probability on ``N`` probes
  with known labels and is paid ``a + b·S`` for a strictly proper scoring rule ``S``
  (:mod:`costcorrect.models.verification.scoring`); the deployer buys the candidate whose
  *verdicts* were right on the most probes (:func:`simulate_mechanism` with
  ``select="verdicts"``), a statistic no report can
  move, so the payment's propriety makes truthful reports dominant even with a prize for winning
  (:func:`selection_truthfulness`). Buying the highest reported score instead (``select="score"``)
  turns the payment into a contest, which is not truthful (:func:`score_contest_win`);
* :func:`hoeffding_bound` — the Hoeffding + union regret bound, with the constant made explicit;
* :func:`le_cam_bound` — the two-point (Le Cam) minimax lower bound on a calibration-monotone pair;
* :func:`simulate` — a vectorised, seeded NumPy simulator of the mechanism and of the baselines.

Verifier model (reconstruction). A probe is a (problem, candidate answer) pair whose correctness
``y`` the deployer knows; a share ``q`` of probes is correct.  Verifier ``k`` has quality
``theta_k`` in ``[1/2, 1)``: its accept/reject decision matches ``y`` with probability ``theta_k``
independently across probes (a binary symmetric channel), and its truthful report is the posterior
``P(y = 1 | decision)``.  Deployed behind a best-of-n generator with pass@1 ``pi``, the verifier's
accepted answers are correct with probability (the ``n -> infinity`` precision)

    alpha(theta) = pi·theta / (pi·theta + (1 - pi)(1 - theta)),

which plays the accept rate in Cost-correct ``= CPM·R·(1+rho)/alpha``; the relative gap of buying
``k`` instead of the best ``k*`` is ``alpha(theta_k*)/alpha(theta_k) - 1`` (CPM, R, rho cancel).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sympy as sp

from costcorrect.models.verification import scoring

N_GRID: tuple[int, ...] = (32, 64, 128, 256, 512, 1024, 2048, 4096)


# --------------------------------------------------------------------------------------------
# verifier family and the Cost-correct link
# --------------------------------------------------------------------------------------------


def precision(theta: np.ndarray, pi: float) -> np.ndarray:
    """Accuracy of answers accepted by a verifier of quality ``theta`` when the generator's
    pass@1 is ``pi``."""
    theta = np.asarray(theta, dtype=float)
    return pi * theta / (pi * theta + (1 - pi) * (1 - theta))


def theta_for_precision(alpha: float, pi: float) -> float:
    """Invert :func:`precision`: the verifier quality whose accepted answers are correct with
    probability ``alpha``."""
    return alpha * (1 - pi) / (alpha * (1 - pi) + pi * (1 - alpha))


def candidate_family(pi: float, alpha_best: float, K: int) -> np.ndarray:
    """``K`` candidate qualities, evenly spaced from ``1/2`` (uninformative) to the best published
    verifier."""
    return np.linspace(0.5, theta_for_precision(alpha_best, pi), K)


def cost_gap(theta: np.ndarray, pi: float, theta_best: float | None = None) -> np.ndarray:
    """Relative Cost-correct gap ``alpha(theta*)/alpha(theta) - 1`` (``theta*`` = max of ``theta``
    by default)."""
    theta = np.asarray(theta, dtype=float)
    tb = np.max(theta) if theta_best is None else theta_best
    return precision(tb, pi) / precision(theta, pi) - 1.0


def posteriors(theta: np.ndarray, q: float) -> tuple[np.ndarray, np.ndarray]:
    """Truthful reports ``(P(y=1 | accept), P(y=1 | reject))`` of verifiers of quality ``theta`` on
    probes with label share ``q``."""
    theta = np.asarray(theta, dtype=float)
    r1 = q * theta / (q * theta + (1 - q) * (1 - theta))
    r0 = q * (1 - theta) / (q * (1 - theta) + (1 - q) * theta)
    return r1, r0


def score_table(
    rule: str, theta: np.ndarray, q: float, eps: float = scoring.DEFAULT_EPS
) -> np.ndarray:
    """Per-probe scores of truthful verifiers by cell: shape ``(K, 4)`` for
    (y, d) = (1,1), (1,0), (0,1), (0,0)."""
    r1, r0 = posteriors(theta, q)
    one, zero = np.ones_like(r1, dtype=int), np.zeros_like(r1, dtype=int)
    return np.stack(
        [
            scoring.binary_score(rule, r1, one, eps=eps),
            scoring.binary_score(rule, r0, one, eps=eps),
            scoring.binary_score(rule, r1, zero, eps=eps),
            scoring.binary_score(rule, r0, zero, eps=eps),
        ],
        axis=-1,
    )


def expected_probe_score(
    rule: str, theta: np.ndarray, q: float, eps: float = scoring.DEFAULT_EPS
) -> np.ndarray:
    """Expected per-probe score ``S(theta)`` of a truthful verifier (increasing in ``theta``:
    calibration-monotone)."""
    theta = np.asarray(theta, dtype=float)
    t = score_table(rule, theta, q, eps)
    w = np.stack([q * theta, q * (1 - theta), (1 - q) * (1 - theta), (1 - q) * theta], axis=-1)
    return np.sum(w * t, axis=-1)


def maximin_entropy_share(theta: Sequence[float], grid: int = 1001) -> float:
    """Probe label share ``q`` maximising the minimum over candidates of the entropy of their decision.

    Reconstruction of "maximin-entropy probes": a candidate of quality ``theta`` accepts with
    probability ``q·theta + (1-q)(1-theta)``; the design picks ``q`` so the least uncertain
    candidate's decision is as uncertain as possible (for the symmetric channel this is ``q = 1/2``).
    """
    qs = np.linspace(0.0, 1.0, grid)
    th = np.asarray(theta, dtype=float)[:, None]
    a = qs * th + (1 - qs) * (1 - th)
    a = np.clip(a, 1e-12, 1 - 1e-12)
    h = -(a * np.log(a) + (1 - a) * np.log(1 - a))
    return float(qs[np.argmax(h.min(axis=0))])


# --------------------------------------------------------------------------------------------
# posted-price market (adverse selection)
# --------------------------------------------------------------------------------------------


@dataclass
class Market:
    """Discrete type space: qualities, prior, seller cost ``c`` and buyer value ``v`` per type
    (exact rationals allowed)."""

    theta: list
    prior: list
    cost: list
    value: list

    def single_crossing(self) -> bool:
        """Seller utility ``p - c(theta)``: participation threshold monotone iff ``c`` strictly
        increases in ``theta``."""
        return all(self.cost[i] < self.cost[i + 1] for i in range(len(self.cost) - 1)) and all(
            self.theta[i] < self.theta[i + 1] for i in range(len(self.theta) - 1)
        )

    def efficient(self) -> int:
        """Index of the efficient type (max ``v - c``)."""
        surplus = [v - c for v, c in zip(self.value, self.cost)]
        return max(range(len(surplus)), key=lambda i: surplus[i])


def pooled_value(m: Market, j: int):
    """Buyer's expected value of a seller drawn from types ``0..j`` (all types with cost ``<= c_j``
    sell at price ``c_j``)."""
    w = sum(m.prior[: j + 1])
    return sum(pr * v for pr, v in zip(m.prior[: j + 1], m.value[: j + 1])) / w


def posted_price_equilibria(m: Market) -> list[int]:
    """Indices ``j`` such that the price ``p = c_j`` is a competitive equilibrium with types ``0..j`` trading.

    At price ``p`` exactly the types with ``c(theta) <= p`` sell (single crossing); buyers pay ``p``
    only if the pooled value of the sellers covers it: ``E[v | c <= p] >= p``.  The highest such
    ``j`` is the equilibrium that trades most; the efficient type trades iff ``j`` reaches it.
    """
    out = []
    for j in range(len(m.theta)):
        if pooled_value(m, j) >= m.cost[j]:
            out.append(j)
    return out


def two_type_condition() -> dict:
    """SymPy: two types L < H with prior ``mu`` on H; find when the posted price ``c_H`` sustains H.

    At ``p = c_H`` both types sell, so buyers pay it iff ``mu·v_H + (1-mu)·v_L >= c_H``.  The CAS
    solves for the critical prior ``mu* = (c_H - v_L)/(v_H - v_L)``: below it the efficient type is
    priced out (adverse selection); at or above it a posted price keeps it trading.
    """
    mu = sp.Symbol("mu", positive=True)
    vL, vH, cL, cH = sp.symbols("v_L v_H c_L c_H", positive=True)
    pooled = mu * vH + (1 - mu) * vL
    mu_star = sp.solve(sp.Eq(pooled, cH), mu)[0]
    return {"pooled": pooled, "mu_star": sp.simplify(mu_star), "symbols": (mu, vL, vH, cL, cH)}


def unravels(m: Market) -> bool:
    """True when no posted price sustains the efficient type (and the top of trade is the lowest type)."""
    eq = posted_price_equilibria(m)
    return m.efficient() not in eq and (not eq or max(eq) < m.efficient())


# --------------------------------------------------------------------------------------------
# bounds
# --------------------------------------------------------------------------------------------


def subgaussian_max_derivation() -> dict:
    """SymPy: ``E max_{j<=M} Z_j <= ln(M)/lam + lam·s2/2`` minimised over ``lam`` (Chernoff/Jensen).

    Returns the optimal ``lam`` and the bound ``sqrt(2·s2·ln M)`` as solved by the CAS.
    """
    lam, s2, M = sp.symbols("lambda sigma2 M", positive=True)
    f = sp.log(M) / lam + lam * s2 / 2
    lam_star = next(s for s in sp.solve(sp.diff(f, lam), lam) if s.is_positive is not False)
    return {
        "objective": f,
        "lam_star": sp.simplify(lam_star),
        "bound": sp.simplify(f.subs(lam, lam_star)),
        "symbols": (lam, s2, M),
    }


def hoeffding_bound(N: np.ndarray, K: int, width: float, lipschitz: float) -> np.ndarray:
    """Upper bound on the expected Cost-correct gap of the max-empirical-score rule.

    Each mean score is sub-Gaussian with proxy ``width^2/(4N)`` (Hoeffding's lemma); the maximum of
    the ``2K`` variables ``±(S_hat_k - S_k)`` has mean ``<= width·sqrt(ln(2K)/(2N))``; the selected
    candidate's score shortfall is at most twice that; the gap is at most ``lipschitz`` times the
    shortfall.  Result: ``lipschitz·width·sqrt(2·ln(2K)/N)``.
    """
    N = np.asarray(N, dtype=float)
    return lipschitz * width * np.sqrt(2.0 * np.log(2 * K) / N)


def secant_lipschitz(
    rule: str, theta: np.ndarray, q: float, pi: float, eps: float = scoring.DEFAULT_EPS
) -> float:
    """Smallest ``L`` with ``gap_k <= L·(S* - S_k)`` for every candidate (the link from score to
    Cost-correct)."""
    s = expected_probe_score(rule, theta, q, eps)
    g = cost_gap(theta, pi)
    kstar = int(np.argmax(theta))
    mask = np.arange(len(theta)) != kstar
    return float(np.max(g[mask] / (s[kstar] - s[mask])))


def verdict_lipschitz(theta: np.ndarray, pi: float) -> float:
    """Smallest ``L`` with ``gap_k <= L·(theta* - theta_k)``: the link from verdict accuracy to Cost-correct.

    Under the symmetric channel a candidate's expected share of correct verdicts on any probe mix is
    ``theta`` itself, so the selection statistic of the verdict rule has mean ``theta`` and range 1.
    """
    theta = np.asarray(theta, dtype=float)
    g = cost_gap(theta, pi)
    kstar = int(np.argmax(theta))
    mask = np.arange(len(theta)) != kstar
    return float(np.max(g[mask] / (theta[kstar] - theta[mask])))


def selection_truthfulness() -> dict:
    """SymPy: a seller's expected utility from reporting ``r`` on ``N`` probes, with a prize ``V``
    for being bought.

    ``U(r) = N·(a + b·E_p S(r, Y)) + V·w`` where the win probability ``w`` depends on the verdicts and
    the labels only (selection on realised verdicts), hence not on ``r``. For each rule the CAS shows
    ``dU/dr = N·b·(p - r)·weight(r)`` with the same positive weight as the binary propriety proof, so
    ``r = p`` is the unique best report whatever ``V``, ``w`` and the other sellers do (DSIC). With a
    score contest, ``w = w(r)`` and ``dU/dr|_{r=p} = V·w'(p)``, which is not zero in general.
    """
    p, r = sp.symbols("p r", positive=True)
    a, b, N, V = sp.symbols("a b N V", positive=True)
    w = sp.Symbol("w", nonnegative=True)  # win probability under verdict selection: no r in it
    wf = sp.Function("w")(r)  # win probability under a score contest
    out = {}
    for rule in scoring.RULES:
        proof = scoring.binary_propriety(rule)
        es = proof.expected.subs({proof.p: p, proof.r: r})
        weight = proof.weight.subs({proof.r: r})
        U = N * (a + b * es) + V * w
        dU = sp.diff(U, r)
        verdict_ok = bool(proof.holds and scoring._is_zero(dU - N * b * (p - r) * weight))
        Uc = N * (a + b * es) + V * wf
        contest_foc = sp.simplify(sp.diff(Uc, r).subs(r, p))
        out[rule] = {
            "dU_dr": sp.factor(dU),
            "verdict_selection_dsic": verdict_ok,
            "contest_foc_at_truth": contest_foc,
            "contest_foc_zero": bool(sp.simplify(contest_foc) == 0),
        }
    return out


def score_contest_win(
    rng: np.random.Generator,
    rule: str,
    theta_weak: float,
    theta_strong: float,
    q: float,
    N: int,
    reps: int,
    report_weak: tuple[float, float] | None = None,
    eps: float = scoring.DEFAULT_EPS,
) -> float:
    """Probability that the weaker of two candidates wins a contest on total reported score.

    Both see the same ``N`` probes (label share ``q``); the strong candidate reports truthfully, the weak
    one reports ``report_weak = (r_accept, r_reject)`` (its truthful posteriors when ``None``). Ties
    are split evenly. Used to show that a score contest is not truthful: a weak seller can raise its
    chance of winning by misreporting, at a small loss in expected payment.
    """
    th = np.array([theta_weak, theta_strong])
    r1, r0 = posteriors(th, q)
    if report_weak is not None:
        r1[0], r0[0] = report_weak
    one, zero = np.ones(2, dtype=int), np.zeros(2, dtype=int)
    table = np.stack(
        [
            scoring.binary_score(rule, r1, one, eps=eps),
            scoring.binary_score(rule, r0, one, eps=eps),
            scoring.binary_score(rule, r1, zero, eps=eps),
            scoring.binary_score(rule, r0, zero, eps=eps),
        ],
        -1,
    )
    n1 = rng.binomial(N, q, size=(reps, 1))
    n0 = N - n1
    c11 = rng.binomial(np.broadcast_to(n1, (reps, 2)), th)
    c00 = rng.binomial(np.broadcast_to(n0, (reps, 2)), th)
    tot = (
        c11 * table[:, 0] + (n1 - c11) * table[:, 1] + (n0 - c00) * table[:, 2] + c00 * table[:, 3]
    )
    diff = tot[:, 0] - tot[:, 1]
    return float(np.mean(diff > 1e-12) + 0.5 * np.mean(np.abs(diff) <= 1e-12))


def kl_bern(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """KL divergence between Bernoulli(a) and Bernoulli(b)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a * np.log(a / b) + (1 - a) * np.log((1 - a) / (1 - b))


def le_cam_bound(
    N: np.ndarray, theta_hi: float, pi: float, deltas: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Le Cam two-point lower bound on the worst-case expected gap, and the maximising separation ``delta``.

    Two worlds swap the qualities ``theta_hi`` and ``theta_hi - delta`` of two candidates.  With
    truthful reports the deployer observes, per probe and candidate, whether the decision was right
    (Bernoulli(theta)).  ``KL = N·[kl(hi||lo) + kl(lo||hi)]``, Pinsker gives ``TV <= sqrt(KL/2)``, and
    any selection rule errs with probability ``>= (1 - TV)/2`` in one of the worlds, costing the gap
    ``alpha(hi)/alpha(lo) - 1``.  The bound is maximised over ``delta``.
    """
    N = np.atleast_1d(np.asarray(N, dtype=float))
    if deltas is None:
        deltas = np.linspace(1e-4, theta_hi - 0.5, 2000)
    lo = theta_hi - deltas
    kl = kl_bern(theta_hi, lo) + kl_bern(lo, theta_hi)
    tv = np.minimum(1.0, np.sqrt(N[:, None] * kl[None, :] / 2.0))
    gap = precision(theta_hi, pi) / precision(lo, pi) - 1.0
    lb = gap[None, :] * (1.0 - tv) / 2.0
    i = np.argmax(lb, axis=1)
    return lb[np.arange(len(N)), i], deltas[i]


def le_cam_rate_derivation() -> dict:
    """SymPy: with ``KL ≈ Nδ²/(θ(1-θ))`` (second order) and a gap slope ``g``,
    maximise ``gδ(1 - sqrt(KL/2))/2``.

    ``theta`` is written as ``1/(1+s)`` with ``s > 0`` so the CAS knows ``0 < theta < 1``.  Returns the
    CAS-solved ``delta_star`` and bound (both in ``theta``), and the check that the second-order
    expansion of the symmetrised Bernoulli KL is ``δ²/(θ(1-θ))``.
    """
    d, N, g, s = sp.symbols("delta N g s", positive=True)
    th = 1 / (1 + s)
    kl = (
        th * sp.log(th / (th - d))
        + (1 - th) * sp.log((1 - th) / (1 - th + d))
        + (th - d) * sp.log((th - d) / th)
        + (1 - th + d) * sp.log((1 - th + d) / (1 - th))
    )
    kl2 = sp.simplify(sp.series(kl, d, 0, 3).removeO())
    approx = d**2 / (th * (1 - th))
    lb = g * d * (1 - sp.sqrt(N * approx / 2)) / 2
    sols = [x for x in sp.solve(sp.diff(lb, d), d) if x.is_positive is not False]
    dstar = sp.simplify(sols[0])
    bound = sp.simplify(lb.subs(d, dstar))
    T = sp.Symbol("theta", positive=True)
    back = {s: 1 / T - 1}
    return {
        "kl_series": sp.simplify(kl2.subs(back)),
        "kl_approx": sp.simplify(approx.subs(back)),
        "kl_series_matches": sp.simplify(kl2 - approx) == 0,
        "delta_star": sp.simplify(dstar.subs(back)),
        "bound": sp.simplify(bound.subs(back)),
        "bound_times_sqrtN_free_of_N": N not in sp.simplify(bound * sp.sqrt(N)).free_symbols,
        "symbols": (d, T, N, g),
    }


# --------------------------------------------------------------------------------------------
# simulation
# --------------------------------------------------------------------------------------------


def _select(totals: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Argmax over the last axis with uniformly random tie-breaking."""
    noise = rng.random(totals.shape) * 1e-9
    return np.argmax(totals + noise, axis=-1)


def simulate_mechanism(
    rng: np.random.Generator,
    rule: str,
    theta: np.ndarray,
    pi: float,
    q: float,
    N: Sequence[int],
    reps: int,
    eps: float = scoring.DEFAULT_EPS,
    select: str = "verdicts",
) -> np.ndarray:
    """Cost-correct gap of the probe mechanism, shape ``(len(N), reps)``.

    Per replication: ``n1 ~ Bin(N, q)`` correct probes (shared by all candidates); candidate ``k``
    gets ``Bin(n1, theta_k)`` right on them and ``Bin(N - n1, theta_k)`` right on the incorrect
    ones. ``select="verdicts"`` buys the candidate with the most correct verdicts (reports are paid
    by ``rule`` but do not enter the choice; the draws, and so the gaps, do not depend on ``rule``).
    A candidate's count of correct verdicts is then ``Bin(N, theta_k)`` whatever ``n1`` (a sum of two
    independent binomials with the same success probability), so it is drawn directly and the
    label share ``q`` does not enter: balanced and natural probes select identically in law;
    ``select="score"`` buys the highest total truthful score (from the cell counts and :func:`score_table`).
    """
    if select not in ("verdicts", "score"):
        raise ValueError("select must be 'verdicts' or 'score'")
    theta = np.asarray(theta, dtype=float)
    K = theta.size
    table = score_table(rule, theta, q, eps) if select == "score" else None  # (K, 4)
    gaps = cost_gap(theta, pi)
    out = np.empty((len(N), reps))
    for a, n in enumerate(N):
        if select == "verdicts":
            # correct verdicts: Bin(n1, θ) + Bin(n − n1, θ) = Bin(n, θ) whatever n1, so the label
            # share q does not enter; one column per candidate keeps the sampler's set-up cached
            tot = np.empty((reps, K))
            for j in range(K):
                tot[:, j] = rng.binomial(n, theta[j], size=reps)
            out[a] = gaps[_select(tot, rng)]
            continue
        n1 = rng.binomial(n, q, size=(reps, 1))
        n0 = n - n1
        c11 = rng.binomial(np.broadcast_to(n1, (reps, K)), theta)
        c00 = rng.binomial(np.broadcast_to(n0, (reps, K)), theta)
        tot = (
            c11 * table[:, 0]
            + (n1 - c11) * table[:, 1]
            + (n0 - c00) * table[:, 2]
            + c00 * table[:, 3]
        )
        out[a] = gaps[_select(tot, rng)]
    return out


def worst_case_gap(
    rng: np.random.Generator,
    rule: str,
    theta_hi: float,
    pi: float,
    K: int,
    N: int,
    reps: int,
    deltas: np.ndarray,
    q: float = 0.5,
    eps: float = scoring.DEFAULT_EPS,
    select: str = "verdicts",
) -> tuple[float, float]:
    """Largest mean gap of the selection rule (verdicts by default) over the family
    {one candidate at ``theta_hi``, ``K-1`` at ``theta_hi - delta``}.

    The least favourable ``delta`` balances the chance of a wrong pick against its cost; the
    resulting worst-case gap is what the ``sqrt(log K / N)`` rate describes.  Returns
    ``(gap, delta)`` at the maximising separation.
    """
    best, arg = -1.0, float(deltas[0])
    for d in deltas:
        th = np.concatenate([np.full(K - 1, theta_hi - d), [theta_hi]])
        g = float(simulate_mechanism(rng, rule, th, pi, q, [N], reps, eps, select).mean())
        if g > best:
            best, arg = g, float(d)
    return best, arg


def loglog_slope(x: np.ndarray, y: np.ndarray) -> float:
    """Least-squares slope of ``log y`` on ``log x``."""
    return float(np.polyfit(np.log(np.asarray(x, float)), np.log(np.asarray(y, float)), 1)[0])


def simulate_posted_price(
    rng: np.random.Generator,
    theta: np.ndarray,
    pi: float,
    price_index: int,
    N: Sequence[int],
    reps: int,
) -> np.ndarray:
    """Cost-correct gap of a posted-price purchase, shape ``(len(N), reps)``.

    Reconstruction: at the posted price ``c(theta_j)`` only candidates ``0..j`` participate (single
    crossing); pay is flat, so probe answers do not move a seller's pay and carry no information the
    buyer can act on; the buyer draws a participant uniformly at random.  ``N`` is irrelevant by
    construction, which is the point of the baseline.
    """
    gaps = cost_gap(theta, pi)
    out = np.empty((len(N), reps))
    for a, _ in enumerate(N):
        pick = rng.integers(0, price_index + 1, size=reps)
        out[a] = gaps[pick]
    return out


def summarise(gaps: np.ndarray, N: Sequence[int]) -> pd.DataFrame:
    """Mean gap per ``N`` with a 95% normal-approximation CI (mean ± 1.96 standard errors over
    replications)."""
    reps = gaps.shape[1]
    m = gaps.mean(axis=1)
    se = gaps.std(axis=1, ddof=1) / np.sqrt(reps)
    return pd.DataFrame({"N": list(N), "gap": m, "lo": m - 1.96 * se, "hi": m + 1.96 * se})


def first_crossing(N: Sequence[int], gap: np.ndarray, target: float = 0.05) -> float:
    """Smallest ``N`` at which ``gap <= target``, log-linearly interpolated between grid points
    (``inf`` if never)."""
    N = np.asarray(N, dtype=float)
    gap = np.asarray(gap, dtype=float)
    below = np.nonzero(gap <= target)[0]
    if below.size == 0:
        return float("inf")
    i = int(below[0])
    if i == 0:
        return float(N[0])
    g0, g1 = gap[i - 1], gap[i]
    x0, x1 = np.log(N[i - 1]), np.log(N[i])
    if g0 <= 0 or g1 <= 0:
        t = (g0 - target) / (g0 - g1)
        return float(np.exp(x0 + t * (x1 - x0)))
    t = (np.log(g0) - np.log(target)) / (np.log(g0) - np.log(g1))
    return float(np.exp(x0 + t * (x1 - x0)))


def threshold_ci(
    gaps: np.ndarray,
    N: Sequence[int],
    rng: np.random.Generator,
    target: float = 0.05,
    boot: int = 400,
) -> tuple[float, float, float]:
    """Point estimate and 95% bootstrap CI of the first ``N`` with mean gap ``<= target``."""
    reps = gaps.shape[1]
    point = first_crossing(N, gaps.mean(axis=1), target)
    idx = rng.integers(0, reps, size=(boot, reps))
    # resample means as (multiplicity of each replication) @ gaps: one matrix product instead of a
    # (len(N), boot, reps) gather
    offsets = (idx + reps * np.arange(boot)[:, None]).ravel()
    counts = np.bincount(offsets, minlength=boot * reps).reshape(boot, reps)
    bm = (counts @ gaps.T).T / reps
    ns = np.sort(np.array([first_crossing(N, bm[:, b], target) for b in range(boot)]))
    # order statistics (no interpolation, so ``inf`` — never reached — is handled without warnings)
    lo_i, hi_i = int(np.floor(0.025 * (boot - 1))), int(np.ceil(0.975 * (boot - 1)))
    return point, float(ns[lo_i]), float(ns[hi_i])


__all__ = [
    "N_GRID",
    "Market",
    "candidate_family",
    "cost_gap",
    "expected_probe_score",
    "first_crossing",
    "hoeffding_bound",
    "kl_bern",
    "le_cam_bound",
    "le_cam_rate_derivation",
    "loglog_slope",
    "maximin_entropy_share",
    "pooled_value",
    "posted_price_equilibria",
    "posteriors",
    "precision",
    "score_contest_win",
    "score_table",
    "secant_lipschitz",
    "selection_truthfulness",
    "simulate_mechanism",
    "simulate_posted_price",
    "subgaussian_max_derivation",
    "summarise",
    "theta_for_precision",
    "threshold_ci",
    "two_type_condition",
    "unravels",
    "verdict_lipschitz",
    "worst_case_gap",
]


# --------------------------------------------------------------------------------------------
# the chapter's calibrated experiments (one function per table, in the order the draws are made)
# --------------------------------------------------------------------------------------------

POSTED = ("posted price, equilibrium", "posted price, pooled")


def family(bench: pd.DataFrame, b: str, k: int) -> tuple[float, np.ndarray]:
    """Pass@1 ``pi`` and the ``k`` calibrated candidate qualities of benchmark ``b``
    (``bench`` indexed by benchmark, with columns ``pass1`` and ``verified_accuracy``)."""
    pi_b = float(bench.loc[b, "pass1"])
    return pi_b, candidate_family(pi_b, float(bench.loc[b, "verified_accuracy"]), k)


def calibrated_market(pi: float, theta: np.ndarray, share: float) -> Market:
    """The posted-price market of a calibrated candidate set, in exact rationals: uniform prior,
    buyer value ``v = 1 - psi(1/2)/psi(theta)`` (Cost-correct saving over an uninformative
    verifier), seller cost ``share · v`` (single crossing; the top type is efficient)."""

    def q(x: float) -> sp.Rational:
        return sp.Rational(round(float(x) * 10**6), 10**6)

    v = 1 - precision(0.5, pi) / precision(theta, pi)
    s = sp.nsimplify(share)
    k = len(theta)
    return Market(
        theta=[q(t) for t in theta],
        prior=[sp.Rational(1, k)] * k,
        cost=[s * q(x) for x in v],
        value=[q(x) for x in v],
    )


def simulate_grid(
    rng: np.random.Generator,
    bench: pd.DataFrame,
    K_grid: Sequence[int],
    mechanisms: dict[str, tuple[str, str, str]],
    N: Sequence[int],
    reps: int,
    share: float,
    eps: float = scoring.DEFAULT_EPS,
) -> tuple[dict, pd.DataFrame]:
    """Every mechanism and the two posted-price baselines at every ``K`` and benchmark.

    ``mechanisms`` maps a label to ``(rule, design, selection)`` with design ``"maximin"`` or
    ``"natural"``. Returns the gap arrays keyed ``(K, benchmark, label)`` and their summaries
    (:func:`summarise`) as one frame with columns ``benchmark``, ``K``, ``mechanism``.
    """
    gaps, frames = {}, []
    for k in K_grid:
        for b in bench.index:
            pi_b, th = family(bench, b, k)
            q_mm = maximin_entropy_share(th)
            for label, (rl, design, sel) in mechanisms.items():
                q = q_mm if design == "maximin" else pi_b
                gaps[(k, b, label)] = simulate_mechanism(
                    rng, rl, th, pi_b, q, N, reps, eps=eps, select=sel
                )
            top = max(posted_price_equilibria(calibrated_market(pi_b, th, share)))
            gaps[(k, b, POSTED[0])] = simulate_posted_price(rng, th, pi_b, top, N, reps)
            gaps[(k, b, POSTED[1])] = simulate_posted_price(rng, th, pi_b, k - 1, N, reps)
            for label in [*mechanisms, *POSTED]:
                s = summarise(gaps[(k, b, label)], N)
                s["benchmark"], s["K"], s["mechanism"] = b, k, label
                frames.append(s)
    return gaps, pd.concat(frames, ignore_index=True)


def threshold_table(
    gaps: dict,
    benchmarks: Sequence[str],
    k: int,
    labels: Sequence[str],
    N: Sequence[int],
    rng: np.random.Generator,
    target: float,
    boot: int,
) -> pd.DataFrame:
    """First ``N`` at ``target`` with its bootstrap 95% CI (:func:`threshold_ci`), per benchmark
    and mechanism at ``K = k``."""
    rows = []
    for b in benchmarks:
        for label in labels:
            n5, lo, hi = threshold_ci(gaps[(k, b, label)], N, rng, target, boot)
            rows.append(
                {"benchmark": b, "mechanism": label, "N at 5%": n5, "CI low": lo, "CI high": hi}
            )
    return pd.DataFrame(rows)


def blind_gap(bench: pd.DataFrame, b: str, k: int) -> float:
    """Mean Cost-correct gap of a uniformly random candidate (a blind pick)."""
    pi_b, th = family(bench, b, k)
    return float(np.mean(cost_gap(th, pi_b)))


def bounds_table(bench: pd.DataFrame, K_grid: Sequence[int], N: Sequence[int]) -> pd.DataFrame:
    """Hoeffding + union upper bound (statistic range 1) and Le Cam lower bound at every N, K and
    benchmark, with the Lipschitz constant ``L`` and the constant ``C = sqrt(2)·L``."""
    out = []
    n = np.asarray(N)
    for k in K_grid:
        for b in bench.index:
            pi_b, th = family(bench, b, k)
            L = verdict_lipschitz(th, pi_b)
            lb, dl = le_cam_bound(n, th[-1], pi_b)
            out.append(
                pd.DataFrame(
                    {
                        "N": list(N),
                        "benchmark": b,
                        "K": k,
                        "upper": hoeffding_bound(n, k, 1.0, L),
                        "lower": lb,
                        "delta": dl,
                        "L": L,
                        "C": np.sqrt(2) * L,
                    }
                )
            )
    return pd.concat(out, ignore_index=True)


def le_cam_check(
    rng: np.random.Generator,
    rule: str,
    bench: pd.DataFrame,
    k: int,
    N: Sequence[int],
    reps: int,
    eps: float = scoring.DEFAULT_EPS,
) -> pd.DataFrame:
    """Simulated gap of the verdict rule on the least favourable two-point pair against the Le
    Cam bound, per benchmark and ``N`` (the best calibrated quality of a ``k``-candidate set)."""
    rows = []
    for b in bench.index:
        pi_b, th = family(bench, b, k)
        lb, dl = le_cam_bound(np.asarray(N), th[-1], pi_b)
        for n, lbn, d in zip(N, lb, dl):
            pair = np.array([th[-1] - d, th[-1]])
            s = summarise(simulate_mechanism(rng, rule, pair, pi_b, 0.5, [n], reps, eps=eps), [n])
            rows.append(
                {
                    "benchmark": b,
                    "N": n,
                    "delta*": d,
                    "Le Cam bound": lbn,
                    "simulated gap": float(s.gap[0]),
                    "CI low": float(s.lo[0]),
                    "CI high": float(s.hi[0]),
                }
            )
    return pd.DataFrame(rows)


def worst_case_table(
    seed: int,
    rule: str,
    bench: pd.DataFrame,
    k: int,
    N: Sequence[int],
    reps: int,
    eps: float = scoring.DEFAULT_EPS,
) -> pd.DataFrame:
    """Worst-case (least favourable two-point) gap of the verdict rule per benchmark and ``N``, for
    one seed; ``delta`` is searched on 16 points around ``1/sqrt(N)`` capped at the family's edge."""
    rng = np.random.default_rng(seed)
    rows = []
    for b in bench.index:
        pi_b, th = family(bench, b, k)
        edge = th[-1] - 0.5
        for n in N:
            deltas = np.unique(np.minimum(np.sqrt(0.25 / n) * np.linspace(0.25, 4, 16), edge))
            g, d = worst_case_gap(rng, rule, th[-1], pi_b, 2, n, reps, deltas, eps=eps)
            rows.append(
                {
                    "benchmark": b,
                    "N": n,
                    "worst-case gap": g,
                    "delta*": d,
                    "interior": bool(d < edge - 1e-12),
                }
            )
    return pd.DataFrame(rows)


def worst_case_exponents(table: pd.DataFrame, n_min: int) -> dict[str, float]:
    """Fitted exponent of ``1/N`` (minus the log-log slope) per benchmark on ``N >= n_min``."""
    w = table[table["N"] >= n_min]
    return {b: -loglog_slope(x.N, x["worst-case gap"]) for b, x in w.groupby("benchmark")}


def worst_case_vs_k(
    rng: np.random.Generator,
    rule: str,
    pi: float,
    theta_hi: float,
    K_values: Sequence[int],
    n: int,
    reps: int,
    eps: float = scoring.DEFAULT_EPS,
) -> pd.DataFrame:
    """Worst-case gap at ``N = n`` against the number of candidates (``K - 1`` equal rivals)."""
    rows = []
    for k in K_values:
        deltas = np.minimum(np.sqrt(0.25 / n) * np.linspace(0.25, 6, 24), theta_hi - 0.5)
        g, d = worst_case_gap(rng, rule, theta_hi, pi, k, n, reps, np.unique(deltas), eps=eps)
        rows.append(
            {
                "K": k,
                "worst-case gap": g,
                "delta*": d,
                "gap / sqrt(log 2K)": g / np.sqrt(np.log(2 * k)),
            }
        )
    return pd.DataFrame(rows).set_index("K")


def threshold_rerun(
    seed: int,
    rule: str,
    bench: pd.DataFrame,
    k: int,
    N: Sequence[int],
    reps: int,
    target: float,
    eps: float = scoring.DEFAULT_EPS,
) -> dict[str, dict[str, float]]:
    """A fresh run of the headline mechanism (verdicts, maximin-entropy probes) with its own seed:
    per benchmark, the first ``N`` at ``target`` under both readings of the gap (``first-best``:
    of Cost-correct; ``blind-pick``: of a blind pick's gap)."""
    rng = np.random.default_rng(seed)
    out = {}
    for b in bench.index:
        pi_b, th = family(bench, b, k)
        g = simulate_mechanism(rng, rule, th, pi_b, maximin_entropy_share(th), N, reps, eps=eps)
        g = g.mean(axis=1)
        out[b] = {
            "first-best": first_crossing(N, g, target),
            "blind-pick": first_crossing(N, g, target * float(np.mean(cost_gap(th, pi_b)))),
        }
    return out


__all__ += [
    "POSTED",
    "blind_gap",
    "bounds_table",
    "calibrated_market",
    "family",
    "le_cam_check",
    "simulate_grid",
    "threshold_rerun",
    "threshold_table",
    "worst_case_exponents",
    "worst_case_table",
    "worst_case_vs_k",
]


# --------------------------------------------------------------------------------------------
# the chapter's derivation tables
# --------------------------------------------------------------------------------------------


def propriety_table() -> tuple[dict, pd.DataFrame]:
    """Propriety of each paid rule: the binary calculus proof and the k = 2 and k = 4 certificates
    (:mod:`scoring`). Returns the proofs per rule and a summary table."""
    proofs, rows = {}, []
    for name in scoring.RULES:
        b = scoring.binary_propriety(name)
        c2, c4 = scoring.propriety_certificate(name, 2), scoring.propriety_certificate(name, 4)
        proofs[name] = (b, c2, c4)
        rows.append(
            {
                "rule": name,
                "dE/dr = (p - r)·w(r), w": sp.sstr(b.weight),
                "w > 0 on (0,1)": b.weight_positive,
                "FOC at r = p": b.foc,
                "SOC at r = p": sp.sstr(b.soc),
                "certificate k=2": c2.identity and c2.foc,
                "certificate k=4": c4.identity and c4.foc,
            }
        )
    return proofs, pd.DataFrame(rows).set_index("rule")


def floored_log_scores(belief: float = 0.002, eps: float = 1e-3) -> dict[str, float]:
    """Expected bare-floor log score ``log max(q_y, eps)`` of a seller who believes ``belief``:
    reporting the truth against reporting 0 (the floor makes the lie pay)."""
    p = np.array([1 - belief, belief])
    return {
        "truth": float(p[1] * np.log(max(belief, eps)) + p[0] * np.log(1 - belief)),
        "report 0": float(p[1] * np.log(eps) + p[0] * np.log(1.0)),
    }


def projected_log_table(belief: float = 0.002, eps: float = 1e-3) -> tuple[dict, pd.DataFrame]:
    """The projected log rule's certificates (k = 2, 4) and its expected score for a seller who
    believes ``belief``: truth against a report of 0."""
    plog = {k: scoring.projected_log_certificate(k) for k in (2, 4)}
    p = np.array([1 - belief, belief])
    paid = [scoring.expected_score("log", p, r, eps=eps) for r in (p, np.array([1.0, 0.0]))]
    table = pd.DataFrame(
        {
            "k": list(plog),
            "CAS identity": [c.identity for c in plog.values()],
            "phi facts": [all(c.phi.values()) for c in plog.values()],
            f"paid log rule: truth vs report 0 (belief {belief:g})": [
                f"{float(paid[0]):.4f} vs {float(paid[1]):.4f}"
            ]
            * len(plog),
        }
    ).set_index("k")
    return plog, table


def payment_table() -> tuple[dict, dict, pd.DataFrame]:
    """Per rule: the payment ``a + b·S`` solved for IR and the cap, its certified score range, and
    the truthfulness of verdict selection against a score contest (:func:`selection_truthfulness`)."""
    pay = {name: scoring.payment_properties(name) for name in scoring.RULES}
    ranges = {name: scoring.score_range_certificate(name, 2) for name in scoring.RULES}
    seltr = selection_truthfulness()
    rows = [
        {
            "rule": n,
            "a": sp.sstr(p.a),
            "b": sp.sstr(p.b),
            "score range certified": ranges[n].holds,
            "b > 0": p.dsic,
            "min pay = cost (IR)": p.ir,
            "max pay = cap": p.cap,
            "budget K·N·cap <= B": p.budget,
            "dU/dr (verdict selection)": sp.sstr(seltr[n]["dU_dr"]),
            "dU/dr at r = p (score contest)": sp.sstr(seltr[n]["contest_foc_at_truth"]),
        }
        for n, p in pay.items()
    ]
    return pay, seltr, pd.DataFrame(rows).set_index("rule")


def two_type_example(
    v_low: int = 2, v_high: int = 10, c_low: int = 1, c_high: int = 4, mu_high: str = "1/2"
) -> dict:
    """A two-type market where single crossing holds, the high type is efficient, and the pooled
    price ``c_H`` is still paid (``mu >= mu*``): a counterexample to unravelling without the lemons
    condition. Returns ``mu*``, its value here, the market and whether the high type trades."""
    tt = two_type_condition()
    mu, vL, vH, cL, cH = tt["symbols"]
    mu_high = sp.Rational(mu_high)
    ex = {
        vL: sp.Integer(v_low),
        vH: sp.Integer(v_high),
        cL: sp.Integer(c_low),
        cH: sp.Integer(c_high),
    }
    m = Market(
        theta=[1, 2], prior=[1 - mu_high, mu_high], cost=[ex[cL], ex[cH]], value=[ex[vL], ex[vH]]
    )
    pooled_ok = bool(tt["pooled"].subs(ex).subs(mu, mu_high) >= ex[cH])
    return {
        "mu*": tt["mu_star"],
        "mu* in the example": tt["mu_star"].subs(ex),
        "single crossing": m.single_crossing(),
        "high type efficient": m.efficient() == 1,
        "high type trades at a posted price": pooled_ok and 1 in posted_price_equilibria(m),
    }


def market_table(m: Market) -> pd.DataFrame:
    """Types, value, cost and pooled value at each price, and whether the price is an equilibrium."""
    eq = posted_price_equilibria(m)
    cols = {
        "theta": m.theta,
        "value v": m.value,
        "cost c": m.cost,
        "pooled value at price c": [pooled_value(m, j) for j in range(len(m.theta))],
    }
    out = pd.DataFrame({c: [float(x) for x in v] for c, v in cols.items()})
    out["price c is an equilibrium"] = [j in eq for j in range(len(m.theta))]
    return out


def calibration_table(bench: pd.DataFrame, k: int) -> pd.DataFrame:
    """Per benchmark: pass@1, best quality and precision, the gaps of the worst and second-best of
    ``k`` candidates, and the maximin-entropy label share."""
    rows = {}
    for b in bench.index:
        pi_b, th = family(bench, b, k)
        g = cost_gap(th, pi_b)
        rows[b] = {
            "pi": pi_b,
            "theta best": th[-1],
            "precision psi best": precision(th[-1], pi_b),
            "gap of worst candidate": g[0],
            "gap of 2nd best": g[-2],
            "maximin-entropy share q": maximin_entropy_share(th),
        }
    return pd.DataFrame(rows).T


def first_n_by_k(
    gaps: dict,
    bench: pd.DataFrame,
    K_grid: Sequence[int],
    label: str,
    N: Sequence[int],
    target: float,
    blind: bool = False,
) -> pd.DataFrame:
    """First ``N`` at ``target`` of mechanism ``label`` for every ``K`` (rows) and benchmark
    (columns); with ``blind`` the target is a share of the blind pick's gap (:func:`blind_gap`)."""
    return pd.DataFrame(
        {
            b: {
                k: first_crossing(
                    N,
                    gaps[(k, b, label)].mean(axis=1),
                    target * (blind_gap(bench, b, k) if blind else 1.0),
                )
                for k in K_grid
            }
            for b in bench.index
        }
    ).rename_axis("K")


__all__ += [
    "calibration_table",
    "first_n_by_k",
    "floored_log_scores",
    "market_table",
    "payment_table",
    "projected_log_table",
    "propriety_table",
    "two_type_example",
]


def gap_curves(sim: pd.DataFrame, bounds: pd.DataFrame) -> pd.DataFrame:
    """Simulated gaps and both bounds in one long frame (``kind`` simulated or bound, ``log2K``),
    without the zero gaps a log axis cannot show."""
    names = {"upper": "Hoeffding + union upper bound", "lower": "Le Cam lower bound"}
    bl = bounds.melt(id_vars=["N", "benchmark", "K"], value_vars=list(names), value_name="gap")
    bl["mechanism"] = bl["variable"].map(names)
    cols = ["benchmark", "K", "mechanism", "N", "gap"]
    both = pd.concat(
        [sim[cols].assign(kind="simulated"), bl[cols].assign(kind="bound")], ignore_index=True
    )
    return both[both["gap"] > 0].assign(log2K=lambda d: np.log2(d["K"]).round().astype(int))


class ThresholdReruns:
    """Memoised :func:`threshold_rerun`: ``reruns(b, k, reading, seed)`` is the first ``N`` at the
    target (rounded to 0.1) of benchmark ``b`` in the run with ``k`` candidates and that seed."""

    def __init__(
        self, rule: str, bench: pd.DataFrame, N: Sequence[int], reps: int, target: float, eps: float
    ):
        self.args = (rule, bench)
        self.kw = dict(N=N, reps=reps, target=target, eps=eps)
        self.runs: dict = {}

    def __call__(self, b: str, k: int, reading: str, seed: int) -> float:
        if (k, seed) not in self.runs:
            self.runs[(k, seed)] = threshold_rerun(seed, self.args[0], self.args[1], k, **self.kw)
        return round(float(self.runs[(k, seed)][b][reading]), 1)


__all__ += ["ThresholdReruns", "gap_curves"]


def threshold_cells(thresholds: pd.DataFrame, n_min: int) -> pd.DataFrame:
    """The threshold table for reading: ``N [CI low, CI high]`` per mechanism and benchmark,
    ``≤ n_min`` when the target is met at the grid's first point, ``not reached`` when never."""

    def cell(r: pd.Series) -> str:
        if not np.isfinite(r["N at 5%"]):
            return "not reached"
        if r["N at 5%"] <= n_min:
            return f"≤ {n_min}"
        return f"{r['N at 5%']:.0f} [{r['CI low']:.0f}, {r['CI high']:.0f}]"

    out = thresholds.assign(cell=thresholds.apply(cell, axis=1))
    return out.pivot(index="mechanism", columns="benchmark", values="cell")


def thresholds_long(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """First-N tables (:func:`first_n_by_k`) keyed by reading, as one long frame with columns
    ``K``, ``benchmark``, ``N5`` and ``reading`` (points never reached left out)."""
    long = pd.concat(
        [
            t.reset_index()
            .melt(id_vars="K", var_name="benchmark", value_name="N5")
            .assign(reading=r)
            for r, t in tables.items()
        ],
        ignore_index=True,
    )
    return long[np.isfinite(long["N5"])]


__all__ += ["threshold_cells", "thresholds_long"]
