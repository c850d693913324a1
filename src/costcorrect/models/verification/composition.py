"""Verifier composition: the miscalibration identity, its bounds and a procurement simulator.

Companion of the chapter *Calibration Drift Under Verifier Composition*. Only the paper's abstract
is public, so everything here is a **reconstruction**; the docstrings say which choices are ours.

Outcome coding. Two binary verifiers ``V1, V2`` (1 = accept). Their joint law is a vector over the
four outcomes in the order ``(00, 01, 10, 11)`` (index ``2*v1 + v2``), parametrised by the
marginals ``p1, p2`` and the covariance ``c = Cov(V1, V2)``::

    P11 = p1 p2 + c,  P10 = p1 - P11,  P01 = p2 - P11,  P00 = 1 - p1 - p2 + P11.

A composition rule is a Boolean function ``g: {0,1}^n -> {0,1}`` given by its truth table (a tuple
of ``2**n`` outputs indexed by the bits of the input, verifier 1 the most significant bit). The
pipeline's *miscalibration* is ``P(g(V) = 1) - P_indep(g(V) = 1)``: the true pipeline accept rate
minus the forecast a deployer builds from calibrated per-verifier marginals.

Symbolic API (SymPy)
    :func:`monotone_rules`, :func:`sym_joint_pmf2`, :func:`composition_errors2`,
    :func:`bahadur_pmf3`, :func:`composition_errors3`, :func:`covariance_split`,
    :func:`brier_joint_vs_product`, :func:`sym_union_bound`, :func:`sym_lecam`.
Numeric API (NumPy, vectorised)
    :func:`joint_pmf`, :func:`corr_bounds`, :func:`pipeline_accept`, :func:`union_bound`,
    :func:`lecam_bound`, :func:`candidate_design`, :func:`simulate_selection`,
    :func:`threshold_n`, :func:`simulate_audit`, :func:`matched_marginal_selection`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
import sympy as sp

OUTCOMES: tuple[str, ...] = ("00", "01", "10", "11")
MECHANISMS: tuple[str, ...] = ("joint", "joint+side-channel", "per-verifier")

# --------------------------------------------------------------------------------------------
# Boolean rules
# --------------------------------------------------------------------------------------------


def _bits(i: int, n: int) -> tuple[int, ...]:
    """Bits of ``i`` (length ``n``, most significant first): the verdicts of verifiers 1..n."""
    return tuple((i >> (n - 1 - j)) & 1 for j in range(n))


def is_monotone(table: Sequence[int], n: int) -> bool:
    """``g(x) <= g(y)`` whenever ``x <= y`` coordinate-wise."""
    for i in range(2**n):
        for j in range(2**n):
            if (i & j) == i and table[i] > table[j]:
                return False
    return True


def monotone_rules(n: int) -> list[tuple[int, ...]]:
    """All monotone Boolean functions of ``n`` verdicts as truth tables (by brute force over ``2**2**n``).

    The counts are the Dedekind numbers 3, 6, 20, 168 for n = 1..4 (constants included).
    """
    if n > 4:
        raise ValueError("brute force is limited to n <= 4")
    return [t for t in itertools.product((0, 1), repeat=2**n) if is_monotone(t, n)]


_NAMES2 = {
    (0, 1, 1, 0): "XOR",
    (1, 0, 0, 1): "XNOR",
    (1, 1, 1, 0): "NAND",
    (1, 0, 0, 0): "NOR",
    (1, 1, 0, 0): "¬V1",
    (1, 0, 1, 0): "¬V2",
    (0, 0, 1, 0): "V1∧¬V2",
    (0, 1, 0, 0): "¬V1∧V2",
    (1, 0, 1, 1): "V1 ∨ ¬V2",
    (1, 1, 0, 1): "¬V1 ∨ V2",
}


def rule_name(table: Sequence[int], n: int) -> str:
    """A readable name: the minimal accepting sets (minterms of the monotone DNF), e.g. ``V1∧V2 ∨ V3``.

    Non-monotone two-verdict rules get their usual names (XOR, NAND, ...).
    """
    if n == 2 and tuple(table) in _NAMES2:
        return _NAMES2[tuple(table)]
    if not any(table):
        return "reject-all"
    if all(table):
        return "accept-all"
    ones = [frozenset(j for j in range(n) if _bits(i, n)[j]) for i in range(2**n) if table[i]]
    minimal = sorted(
        {s for s in ones if not any(o < s for o in ones)}, key=lambda s: (len(s), sorted(s))
    )
    return " ∨ ".join("∧".join(f"V{j + 1}" for j in sorted(s)) for s in minimal)


# --------------------------------------------------------------------------------------------
# two verifiers: the identity
# --------------------------------------------------------------------------------------------

p1, p2, c = sp.symbols("p1 p2 c", real=True)


def sym_joint_pmf2(a: sp.Expr = p1, b: sp.Expr = p2, cov: sp.Expr = c) -> list[sp.Expr]:
    """Joint law of two binary verdicts in the order (00, 01, 10, 11) from marginals and covariance."""
    P11 = a * b + cov
    return [1 - a - b + P11, b - P11, a - P11, P11]


def sym_accept(table: Sequence[int], pmf: Sequence[sp.Expr]) -> sp.Expr:
    """``P(g = 1) = sum of the pmf over accepting outcomes``."""
    return sp.expand(sum(pmf[i] for i in range(len(pmf)) if table[i]))


@dataclass
class RuleError:
    """One composition rule with its pipeline accept probability and miscalibration (symbolic)."""

    table: tuple[int, ...]
    name: str
    monotone: bool
    accept: sp.Expr
    forecast: sp.Expr
    error: sp.Expr


def composition_errors2(rules: Iterable[tuple[int, ...]] | None = None) -> list[RuleError]:
    """Miscalibration of every two-verifier rule (default: all 16 Boolean functions).

    ``forecast`` is the accept rate under independence (``c = 0``) built from the true marginals.
    """
    rules = list(rules) if rules is not None else list(itertools.product((0, 1), repeat=4))
    pmf = sym_joint_pmf2()
    pmf0 = sym_joint_pmf2(cov=0)
    out = []
    for t in rules:
        acc, fc = sym_accept(t, pmf), sym_accept(t, pmf0)
        out.append(
            RuleError(tuple(t), rule_name(t, 2), is_monotone(t, 2), acc, fc, sp.expand(acc - fc))
        )
    return out


def frechet_bounds(a: sp.Expr = p1, b: sp.Expr = p2) -> tuple[sp.Expr, sp.Expr]:
    """Feasible covariance range ``max(0, a+b-1) - ab <= c <= min(a, b) - ab`` (all four cells >= 0)."""
    return (sp.Max(0, a + b - 1) - a * b, sp.Min(a, b) - a * b)


# --------------------------------------------------------------------------------------------
# within- and between-instance covariance
# --------------------------------------------------------------------------------------------


@dataclass
class CovarianceSplit:
    """Law of total covariance on ``m`` instance types, and which forecast errs by which part.

    ``total``: Cov(V1, V2) over the population; ``within``: E_x[c(x)]; ``between``:
    Cov_x(p1(x), p2(x)). ``identity`` is the CAS verdict ``total == within + between``;
    ``instance_forecast_error`` (AND pipeline minus the instance-calibrated product forecast
    E_x[p1(x) p2(x)]) and ``population_forecast_error`` (minus E p1 · E p2) are simplified.
    """

    m: int
    total: sp.Expr
    within: sp.Expr
    between: sp.Expr
    identity: bool
    instance_forecast_error: sp.Expr
    population_forecast_error: sp.Expr
    instance_error_is_within: bool
    population_error_is_total: bool


def covariance_split(m: int = 3) -> CovarianceSplit:
    """Prove the within/between split with the CAS for ``m`` instance types with weights summing to 1."""
    w = list(sp.symbols(f"w0:{m}", positive=True))
    a = list(sp.symbols(f"a0:{m}", real=True))  # p1(x_i)
    b = list(sp.symbols(f"b0:{m}", real=True))  # p2(x_i)
    cc = list(sp.symbols(f"c0:{m}", real=True))  # c(x_i)
    sub = {w[-1]: 1 - sum(w[:-1])}
    E = lambda xs: sum(wi * xi for wi, xi in zip(w, xs))  # noqa: E731
    P11 = E([ai * bi + ci for ai, bi, ci in zip(a, b, cc)])
    Ea, Eb = E(a), E(b)
    total = P11 - Ea * Eb
    within = E(cc)
    between = E([ai * bi for ai, bi in zip(a, b)]) - Ea * Eb
    zero = lambda e: sp.expand(e.subs(sub)) == 0  # noqa: E731
    inst_err = P11 - E([ai * bi for ai, bi in zip(a, b)])
    pop_err = P11 - Ea * Eb
    return CovarianceSplit(
        m,
        total,
        within,
        between,
        zero(total - within - between),
        sp.simplify(inst_err.subs(sub)),
        sp.simplify(pop_err.subs(sub)),
        zero(inst_err - within),
        zero(pop_err - total),
    )


# --------------------------------------------------------------------------------------------
# three verifiers: Bahadur representation
# --------------------------------------------------------------------------------------------

q1, q2, q3 = sp.symbols("p1 p2 p3", positive=True)
c12, c13, c23, k123 = sp.symbols("c12 c13 c23 kappa123", real=True)


def within_between_example(
    w: np.ndarray, p1x: np.ndarray, p2x: np.ndarray, cx: np.ndarray
) -> dict[str, float]:
    """An AND pipeline over instance types with weights ``w``, per-type accept rates ``p1x, p2x``
    and within-instance covariances ``cx``: its accept rate, the within and between parts of the
    verdicts' covariance, and the error of the instance-level and of the population forecast."""
    and_rate = float(w @ (p1x * p2x + cx))
    return {
        "AND accept rate": and_rate,
        "within E[c(x)]": float(w @ cx),
        "between Cov(p1(x), p2(x))": float(w @ (p1x * p2x) - (w @ p1x) * (w @ p2x)),
        "error of instance-level forecast": float(and_rate - w @ (p1x * p2x)),
        "error of population forecast": float(and_rate - (w @ p1x) * (w @ p2x)),
    }


@cache
def bahadur_pmf3() -> tuple[sp.Expr, ...]:
    """Joint law of three binary verdicts from marginals, pairwise covariances and the third central moment.

    ``P(x) = prod_i f_i(x_i) * (1 + sum_{i<j} c_ij z_i z_j + kappa z_1 z_2 z_3)`` with
    ``z_i = (x_i - p_i)/(p_i(1 - p_i))`` (Bahadur 1961, in covariance form); :func:`bahadur_checks`
    proves that the marginals, covariances and ``E[(V1-p1)(V2-p2)(V3-p3)]`` come out as named.
    """
    ps = (q1, q2, q3)
    cov = {(0, 1): c12, (0, 2): c13, (1, 2): c23}
    pmf = []
    for i in range(8):
        x = _bits(i, 3)
        f = sp.Mul(*[ps[j] if x[j] else 1 - ps[j] for j in range(3)])
        z = [(x[j] - ps[j]) / (ps[j] * (1 - ps[j])) for j in range(3)]
        corr = (
            1 + sum(cov[(i1, j1)] * z[i1] * z[j1] for (i1, j1) in cov) + k123 * z[0] * z[1] * z[2]
        )
        pmf.append(sp.factor(sp.expand(f * corr)))
    return tuple(pmf)  # built once (SymPy's factoring is slow) and shared: immutable


def bahadur_checks() -> dict[str, bool]:
    """CAS checks that :func:`bahadur_pmf3` sums to 1 and has the named moments."""
    pmf = bahadur_pmf3()
    ps = (q1, q2, q3)
    X = [_bits(i, 3) for i in range(8)]
    zero = lambda e: sp.cancel(sp.together(e)) == 0  # noqa: E731
    E = lambda f: sum(pmf[i] * f(X[i]) for i in range(8))  # noqa: E731
    out = {"sums to 1": zero(sum(pmf) - 1)}
    for j in range(3):
        out[f"E V{j + 1} = p{j + 1}"] = zero(E(lambda x, j=j: x[j]) - ps[j])
    for (i, j), s in {(0, 1): c12, (0, 2): c13, (1, 2): c23}.items():
        out[f"Cov(V{i + 1},V{j + 1}) = {s}"] = zero(
            E(lambda x, i=i, j=j: (x[i] - ps[i]) * (x[j] - ps[j])) - s
        )
    out["third central moment = kappa123"] = zero(
        E(lambda x: (x[0] - ps[0]) * (x[1] - ps[1]) * (x[2] - ps[2])) - k123
    )
    return out


def composition_errors3() -> list[RuleError]:
    """Miscalibration of all 20 monotone rules of three verdicts, in terms of ``c_ij`` and ``kappa123``."""
    pmf = bahadur_pmf3()
    indep = {c12: 0, c13: 0, c23: 0, k123: 0}
    out = []
    for t in monotone_rules(3):
        acc = sp.expand(sp.cancel(sum(pmf[i] for i in range(8) if t[i])))
        fc = sp.expand(acc.subs(indep))
        out.append(RuleError(t, rule_name(t, 3), True, acc, fc, sp.expand(acc - fc)))
    return out


# --------------------------------------------------------------------------------------------
# the joint scoring rule sees what the marginal one cannot
# --------------------------------------------------------------------------------------------


def per_verifier_blind(rule: str) -> bool:
    """Whether the expected per-verifier payment ``E[S(r1, V1)] + E[S(r2, V2)]`` under the joint law
    of two verdicts (:func:`sym_joint_pmf2`) is free of the covariance ``c`` (SymPy), for a scoring
    rule of :mod:`costcorrect.models.verification.scoring`."""
    from costcorrect.models.verification import scoring

    r1, r2 = sp.symbols("r1 r2", positive=True)
    pm = sym_joint_pmf2()
    # V1 = 1 on outcomes 10, 11; V2 = 1 on 01, 11
    e1 = (pm[2] + pm[3]) * scoring.sym_score(rule, [1 - r1, r1], 1) + (
        pm[0] + pm[1]
    ) * scoring.sym_score(rule, [1 - r1, r1], 0)
    e2 = (pm[1] + pm[3]) * scoring.sym_score(rule, [1 - r2, r2], 1) + (
        pm[0] + pm[2]
    ) * scoring.sym_score(rule, [1 - r2, r2], 0)
    return sp.simplify(sp.diff(e1 + e2, c)) == 0


def brier_joint_vs_product() -> sp.Expr:
    """Expected Brier-score loss of reporting the independent product law instead of the true joint law.

    Uses :func:`costcorrect.models.verification.scoring.divergence` on the 4-outcome space; the CAS
    reduces it to ``4 c^2``.
    """
    from costcorrect.models.verification.scoring import divergence

    return sp.factor(sp.expand(divergence("brier", sym_joint_pmf2(), sym_joint_pmf2(cov=0))))


# --------------------------------------------------------------------------------------------
# bounds
# --------------------------------------------------------------------------------------------


@dataclass
class UnionBound:
    """Symbolic derivation of the Hoeffding + union bound for selecting among ``M = K1 K2`` pairs.

    ``expected_max``: bound on ``E max_k |hat P_k - P_k|`` from the sub-Gaussian moment-generating
    function (variance proxy ``1/(4N)``, Hoeffding's lemma) and a union over ``2M`` signed
    deviations, optimised over the free parameter ``lambda``; ``regret``: ``2 * expected_max``
    (the selected pair loses at most twice the largest error); ``relative``: divided by the
    smallest candidate accept rate ``alpha_min`` (Cost-correct is ``∝ 1/alpha``); ``C_H``: the
    constant in front of ``sqrt((log K1 + log K2)/N)``, valid for ``K1 K2 >= 2``.
    """

    lam_opt: sp.Expr
    expected_max: sp.Expr
    regret: sp.Expr
    relative: sp.Expr
    C_H: sp.Expr
    dominated: bool


N, K1, K2, lam, amin = sp.symbols("N K1 K2 lambda alpha_min", positive=True)


def sym_union_bound() -> UnionBound:
    """Derive the bound: minimise ``(log(2M) + lambda^2 sigma^2 / 2)/lambda`` over ``lambda``."""
    M = K1 * K2
    L = sp.Symbol("L", positive=True)  # log(2M) > 0 for M >= 1
    sigma2 = 1 / (4 * N)
    f = (L + lam**2 * sigma2 / 2) / lam
    sol = [s for s in sp.solve(sp.diff(f, lam), lam) if s.is_positive]
    lo = sol[0].subs(L, sp.log(2 * M))
    em = sp.simplify(f.subs(lam, sol[0])).subs(L, sp.log(2 * M))
    regret = sp.simplify(2 * em)
    rel = regret / amin
    C_H = 2 / amin
    # log(2M) <= 2 log M for M >= 2, hence rel <= C_H sqrt(log M / N)
    Msym = sp.Symbol("M", positive=True)
    dominated = bool(sp.simplify((2 * sp.log(Msym) - sp.log(2 * Msym)) - sp.log(Msym / 2)) == 0)
    return UnionBound(lo, em, regret, rel, C_H, dominated)


def union_bound(n: np.ndarray, k1: int, k2: int, alpha_min: float) -> np.ndarray:
    """Numeric upper bound on the expected relative Cost-correct gap: ``sqrt(2 log(2 K1 K2)/N)/alpha_min``."""
    return np.sqrt(2.0 * np.log(2.0 * k1 * k2) / np.asarray(n, dtype=float)) / alpha_min


@dataclass
class LeCam:
    """Le Cam two-point lower bound for telling a pair at ``1/2 + eps`` from one at ``1/2 - eps``.

    ``risk``: ``(eps/2)(1 - TV)`` with ``TV <= sqrt(N KL / 2)`` (Pinsker) and ``KL <= 16 eps^2`` for
    ``eps <= 1/4``; ``eps_opt`` maximises it; ``bound`` is the resulting minimax lower bound on the
    expected accept-rate regret. ``kl_ok`` is the CAS check of the KL inequality at the optimum's scale.
    """

    kl: sp.Expr
    risk: sp.Expr
    eps_opt: sp.Expr
    bound: sp.Expr
    kl_ok: bool


def sym_lecam() -> LeCam:
    """Derive the two-point bound ``1/(16 sqrt(2N))`` (in accept-rate units)."""
    eps = sp.Symbol("epsilon", positive=True)
    kl = 2 * eps * sp.log((1 + 2 * eps) / (1 - 2 * eps))  # KL(Bern(1/2+e) || Bern(1/2-e))
    tv = sp.sqrt(N * 16 * eps**2 / 2)
    risk = eps / 2 * (1 - tv)
    sol = [s for s in sp.solve(sp.diff(risk, eps), eps) if s.is_positive]
    e0 = sol[0]
    bound = sp.simplify(risk.subs(eps, e0))
    # KL <= 16 eps^2 on (0, 1/4]: g(e) = 16 e^2 - KL has g(0) = 0 and g' >= 0 there; check g' at a grid
    g = sp.diff(16 * eps**2 - kl, eps)
    kl_ok = all(float(g.subs(eps, sp.Rational(i, 400))) >= 0 for i in range(1, 101))
    return LeCam(kl, risk, e0, bound, kl_ok)


def lecam_bound(n: np.ndarray) -> np.ndarray:
    """Numeric Le Cam lower bound on the expected accept-rate regret, ``1/(16 sqrt(2N))``."""
    return 1.0 / (16.0 * np.sqrt(2.0 * np.asarray(n, dtype=float)))


# --------------------------------------------------------------------------------------------
# numeric joint laws
# --------------------------------------------------------------------------------------------


def corr_bounds(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Feasible range of the correlation of two binary verdicts with accept rates ``a, b`` (Fréchet)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    sd = np.sqrt(a * (1 - a) * b * (1 - b))
    lo = (np.maximum(0.0, a + b - 1) - a * b) / sd
    hi = (np.minimum(a, b) - a * b) / sd
    return lo, hi


def joint_pmf(a: np.ndarray, b: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """Joint law ``(..., 4)`` over (00, 01, 10, 11) of two verdicts with accept rates ``a, b`` and
    correlation ``rho``.

    Raises ``ValueError`` if ``rho`` is outside the Fréchet range (a cell would be negative).
    """
    a, b, rho = np.broadcast_arrays(
        np.asarray(a, float), np.asarray(b, float), np.asarray(rho, float)
    )
    cov = rho * np.sqrt(a * (1 - a) * b * (1 - b))
    P11 = a * b + cov
    P = np.stack([1 - a - b + P11, b - P11, a - P11, P11], axis=-1)
    if np.any(P < -1e-12):
        raise ValueError("correlation outside the feasible (Fréchet) range")
    return np.clip(P, 0.0, 1.0)


def pipeline_accept(P: np.ndarray, table: Sequence[int]) -> np.ndarray:
    """Accept rate of the pipeline with rule ``table`` under joint law ``P`` (last axis: 4 outcomes)."""
    return np.asarray(P)[..., [i for i in range(4) if table[i]]].sum(axis=-1)


AND2: tuple[int, ...] = (0, 0, 0, 1)
OR2: tuple[int, ...] = (0, 1, 1, 1)


# --------------------------------------------------------------------------------------------
# the procurement simulation
# --------------------------------------------------------------------------------------------


@dataclass
class Design:
    """Candidate accept rates per stage (``K`` each) and, per replication, each pair's correlation."""

    a: np.ndarray  # (K,) stage-1 accept rates
    b: np.ndarray  # (K,) stage-2 accept rates
    rho: np.ndarray  # (R, K, K) correlation of each pair in each replication
    alpha: np.ndarray  # (R, K, K) true AND-pipeline accept rate
    P: np.ndarray  # (R, K, K, 4) joint laws


def candidate_design(
    low: float, high: float, K: int, C: float, R: int, rng: np.random.Generator
) -> Design:
    """Reconstruction of the candidate market (the paper's design is not public).

    Both stages offer ``K`` verifiers whose accept rates are evenly spaced on ``[low, high]`` (the
    benchmark anchors). Each pair's within-instance correlation is ``C`` times a random sign, drawn
    independently per pair and replication (the deployer does not know which pairs co-fail), then
    clipped into the pair's Fréchet range.
    """
    a = np.linspace(low, high, K)
    b = np.linspace(low, high, K)
    sign = np.where(rng.random((R, K, K)) < 0.5, -1.0, 1.0)
    lo, hi = corr_bounds(a[:, None], b[None, :])
    rho = np.clip(C * sign, lo * (1 - 1e-9), hi * (1 - 1e-9))
    P = joint_pmf(a[None, :, None], b[None, None, :], rho)
    return Design(a, b, rho, P[..., 3], P)


def adversarial_design(low: float, high: float, K: int, C: float) -> Design:
    """A deterministic worst-case variant of :func:`candidate_design` (one replication).

    Pairs whose product of accept rates is at or above the median get correlation ``-C``, the others
    ``+C`` (clipped to the Fréchet range): the covariance works against the marginal ranking.
    """
    a = np.linspace(low, high, K)
    b = np.linspace(low, high, K)
    prod = np.outer(a, b)
    sign = np.where(prod >= np.median(prod), -1.0, 1.0)[None]
    lo, hi = corr_bounds(a[:, None], b[None, :])
    rho = np.clip(C * sign, lo * (1 - 1e-9), hi * (1 - 1e-9))
    P = joint_pmf(a[None, :, None], b[None, None, :], rho)
    return Design(a, b, rho, P[..., 3], P)


def _joint_counts(P: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Multinomial(n, P) counts along the last axis by sequential conditional binomials (vectorised)."""
    out = np.empty(P.shape, dtype=np.int64)
    left = np.full(P.shape[:-1], n, dtype=np.int64)
    mass = np.ones(P.shape[:-1])
    for j in range(3):
        pj = np.clip(np.divide(P[..., j], mass, out=np.zeros_like(mass), where=mass > 0), 0.0, 1.0)
        out[..., j] = rng.binomial(left, pj)
        left = left - out[..., j]
        mass = mass - P[..., j]
    out[..., 3] = left
    return out


def _select(score: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Flat index of the best pair per replication, ties broken uniformly at random."""
    R = score.shape[0]
    flat = score.reshape(R, -1)
    jitter = rng.random(flat.shape) * 1e-12
    return np.argmax(flat + jitter, axis=1)


def simulate_selection(
    design: Design, n: int, rng: np.random.Generator, per_verifier_probes: str = "equal"
) -> dict[str, np.ndarray]:
    """Relative Cost-correct gap of each mechanism's chosen pair, per replication (equal prices).

    * ``joint``: each pair's pipeline is run on ``n`` probes; the joint (4-outcome) ledger gives
      ``hat P11``; pick the largest (truthful joint reports, which a strictly proper joint rule makes
      dominant, carry the same information).
    * ``joint+side-channel``: the pair's correlation is supplied; the estimate is
      ``hat p1 hat p2 + rho hat s1 hat s2`` from the same probes.
    * ``per-verifier``: each verifier is probed alone; pick the largest ``hat p1 hat p2`` (the
      marginal mechanism cannot see the covariance). With ``per_verifier_probes="equal"`` (default)
      each verifier gets ``K·n`` probes — as many as it runs in the joint mechanism, where it sits in
      ``K`` pairs of ``n`` probes each — so both mechanisms spend the same probe budget; with
      ``"same-n"`` it gets only ``n`` (the unequal budget of an earlier version).

    Gap ``= alpha* / alpha_selected - 1`` (Cost-correct ``∝ 1/alpha`` at equal prices).
    """
    R, K, _ = design.alpha.shape
    alpha = design.alpha.reshape(R, -1)
    best = alpha.max(axis=1)
    counts = _joint_counts(design.P, n, rng)
    h11 = counts[..., 3] / n
    h1 = (counts[..., 2] + counts[..., 3]) / n
    h2 = (counts[..., 1] + counts[..., 3]) / n
    side = h1 * h2 + design.rho * np.sqrt(h1 * (1 - h1) * h2 * (1 - h2))
    if per_verifier_probes not in ("equal", "same-n"):
        raise ValueError("per_verifier_probes must be 'equal' or 'same-n'")
    m = K * n if per_verifier_probes == "equal" else n
    ha = rng.binomial(m, np.broadcast_to(design.a, (R, K))) / m
    hb = rng.binomial(m, np.broadcast_to(design.b, (R, K))) / m
    marg = ha[:, :, None] * hb[:, None, :]
    out = {}
    rows = np.arange(R)
    for name, s in (("joint", h11), ("joint+side-channel", side), ("per-verifier", marg)):
        k = _select(s, rng)
        out[name] = best / alpha[rows, k] - 1.0
    return out


def per_verifier_floor(design: Design) -> np.ndarray:
    """Gap the per-verifier mechanism keeps as ``N -> infinity``, per replication.

    With exact marginals it picks the pair with the largest ``p1 p2`` (ties: the first); its gap is
    ``alpha* / alpha(that pair) - 1``, which no amount of probing removes.
    """
    R, _K, _ = design.alpha.shape
    alpha = design.alpha.reshape(R, -1)
    k = int(np.argmax(np.outer(design.a, design.b)))
    return alpha.max(axis=1) / alpha[:, k] - 1.0


def simulate_grid(
    benchmarks: pd.DataFrame,
    Cs: Sequence[float],
    Ks: Sequence[int],
    Ns: Sequence[int],
    R: int,
    seed: int,
    per_verifier_probes: str = "equal",
) -> pd.DataFrame:
    """Mean relative gap and its Monte Carlo standard error for every benchmark × C × K × N × mechanism.

    ``benchmarks`` has columns ``benchmark``, ``low``, ``high`` (accept-rate anchors). One seeded
    generator drives everything in a fixed loop order, so the table is identical run to run. The same
    design (signs) is reused across N for a given (benchmark, C, K): the curves are paired. Rows
    with ``N = inf`` hold the per-verifier floor (:func:`per_verifier_floor`), exact given the design.
    ``per_verifier_probes`` is passed to :func:`simulate_selection` (``"equal"`` budgets by default).
    """
    rng = np.random.default_rng(seed)
    rows = []
    for bench, low, high in benchmarks[["benchmark", "low", "high"]].itertuples(index=False):
        for C in Cs:
            for K in Ks:
                d = candidate_design(float(low), float(high), int(K), float(C), R, rng)
                fl = per_verifier_floor(d)
                rows.append(
                    {
                        "benchmark": bench,
                        "C": float(C),
                        "K": int(K),
                        "N": np.inf,
                        "mechanism": "per-verifier",
                        "gap": float(fl.mean()),
                        "se": float(fl.std(ddof=1) / np.sqrt(R)),
                        "alpha_min": float(d.alpha.min()),
                    }
                )
                for n in Ns:
                    gaps = simulate_selection(d, int(n), rng, per_verifier_probes)
                    for mech in MECHANISMS:
                        g = gaps[mech]
                        rows.append(
                            {
                                "benchmark": bench,
                                "C": float(C),
                                "K": int(K),
                                "N": int(n),
                                "mechanism": mech,
                                "gap": float(g.mean()),
                                "se": float(g.std(ddof=1) / np.sqrt(R)),
                                "alpha_min": float(d.alpha.min()),
                            }
                        )
    return pd.DataFrame(rows)


def simulate_single(
    low: float, high: float, K: int, Ns: Sequence[int], R: int, rng: np.random.Generator
) -> np.ndarray:
    """Gap of single-verifier procurement (Paper #1's setting in this chapter's model),
    shape ``(len(Ns), R)``.

    ``K`` candidate verifiers with accept rates evenly spaced on ``[low, high]``; each is run on ``n``
    probes and the largest observed accept rate is bought; gap ``= max(a)/a_selected - 1``.
    """
    a = np.linspace(low, high, K)
    out = np.empty((len(Ns), R))
    for i, n in enumerate(Ns):
        h = rng.binomial(int(n), np.broadcast_to(a, (R, K))) / int(n)
        k = _select(h[:, :, None], rng)
        out[i] = a.max() / a[k] - 1.0
    return out


def seed_thresholds(
    benchmarks: pd.DataFrame,
    C: float,
    Ks: Sequence[int],
    Ns: Sequence[int],
    R: int,
    seed: int,
    target: float = 0.05,
) -> pd.DataFrame:
    """Interpolated ``target`` thresholds (:func:`first_crossing`) and smallest mean gap per benchmark,
    ``K`` and mechanism at correlation ``C``, for one seed: the pair mechanisms from
    :func:`simulate_grid` (``seed``) and single-verifier procurement from :func:`simulate_single`
    (one generator seeded ``seed + 7``, benchmarks then ``K`` in order). Columns ``benchmark, K,
    mechanism, n5, min_gap``."""
    r = simulate_grid(benchmarks, [C], Ks, Ns, R, seed)
    r = r[np.isfinite(r["N"])]
    rows = []
    for (b, k, m), g in r.groupby(["benchmark", "K", "mechanism"]):
        g = g.sort_values("N")
        rows.append(
            {
                "benchmark": b,
                "K": int(k),
                "mechanism": m,
                "n5": first_crossing(g["N"], g["gap"], target),
                "min_gap": float(g["gap"].min()),
            }
        )
    s_rng = np.random.default_rng(seed + 7)
    for b, lo, hi in benchmarks[["benchmark", "low", "high"]].itertuples(index=False):
        for k in Ks:
            gs = simulate_single(float(lo), float(hi), int(k), Ns, R, s_rng).mean(axis=1)
            rows.append(
                {
                    "benchmark": b,
                    "K": int(k),
                    "mechanism": "single verifier",
                    "n5": first_crossing(Ns, gs, target),
                    "min_gap": float(gs.min()),
                }
            )
    return pd.DataFrame(rows)


def worst_threshold(table: pd.DataFrame, mechanism: str, k: int) -> float:
    """The ``N`` at which every benchmark of a :func:`seed_thresholds` table has reached the target
    (the largest benchmark threshold, to 0.1; ``inf`` if one never does)."""
    t = table[(table["mechanism"] == mechanism) & (table["K"] == k)]
    return round(float(t["n5"].max()), 1)


def threshold_ratio_by_benchmark(
    table: pd.DataFrame, num: str, den: str, k: int
) -> dict[str, float]:
    """Per benchmark (in the table's order of first appearance), the ratio of mechanism ``num``'s
    threshold to ``den``'s in a :func:`seed_thresholds` table at ``K = k``, to two decimals."""
    t = table[table["K"] == k].set_index(["mechanism", "benchmark"])["n5"]
    order = list(dict.fromkeys(table["benchmark"]))
    return {b: round(float(t[(num, b)] / t[(den, b)]), 2) for b in order}


def interpolated_thresholds(sim: pd.DataFrame, target: float = 0.05) -> pd.DataFrame:
    """Interpolated ``target`` threshold (:func:`first_crossing`) per benchmark, ``C`` and mechanism of
    a :func:`simulate_grid` table (the ``N = inf`` floor rows left out); column ``"N at 5%"``."""
    df = sim[np.isfinite(sim["N"])]
    return (
        df.groupby(["benchmark", "C", "mechanism"])
        .apply(
            lambda g: first_crossing(g.sort_values("N")["N"], g.sort_values("N")["gap"], target),
            include_groups=False,
        )
        .rename("N at 5%")
        .reset_index()
    )


_TASKS = {"grid": simulate_grid, "thresholds": seed_thresholds}


def _run_task(kind: str, kwargs: dict) -> pd.DataFrame:
    return _TASKS[kind](**kwargs)


def run_all(tasks: Sequence[tuple[str, dict]], jobs: int = 2) -> list[pd.DataFrame]:
    """Run each ``(kind, kwargs)`` task, ``"grid"`` (:func:`simulate_grid`) or ``"thresholds"``
    (:func:`seed_thresholds`), in ``jobs`` forked workers; results in the order of ``tasks``.

    Every task seeds its own generator, so the tables equal those of running the tasks one by one.
    """
    from costcorrect.models._parallel import map_kwargs

    return map_kwargs(_run_task, [{"kind": k, "kwargs": kw} for k, kw in tasks], jobs)


def first_crossing(Ns: Sequence[float], gap: Sequence[float], target: float = 0.05) -> float:
    """Smallest ``N`` with mean gap ``<= target``, log-linearly interpolated between grid points.

    ``N[0]`` when the first grid point already meets the target; ``inf`` when no grid point does.
    """
    N = np.asarray(Ns, dtype=float)
    g = np.asarray(gap, dtype=float)
    below = np.nonzero(g <= target)[0]
    if below.size == 0:
        return float("inf")
    i = int(below[0])
    if i == 0:
        return float(N[0])
    g0, g1 = g[i - 1], g[i]
    x0, x1 = np.log(N[i - 1]), np.log(N[i])
    if g1 <= 0:
        t = (g0 - target) / (g0 - g1)
    else:
        t = (np.log(g0) - np.log(target)) / (np.log(g0) - np.log(g1))
    return float(np.exp(x0 + t * (x1 - x0)))


def threshold_n(df: pd.DataFrame, target: float = 0.05, z: float = 1.96) -> pd.DataFrame:
    """First N of the grid at which the mean gap is <= ``target``, with a Monte Carlo interval.

    ``n_lo``/``n_hi``: first N at which the lower/upper end of the ``mean ± z·se`` interval is
    ``<= target`` (NaN = never within the grid). Groups by every column except N, gap, se, alpha_min;
    rows with infinite N (the floors) are ignored.
    """
    keys = [k for k in df.columns if k not in ("N", "gap", "se", "alpha_min")]
    df = df[np.isfinite(df["N"].astype(float))]
    out = []
    for key, g in df.sort_values("N").groupby(keys, sort=True):

        def first(mask: pd.Series, g: pd.DataFrame = g) -> float:
            hit = g.loc[mask, "N"]
            return float(hit.iloc[0]) if len(hit) else float("nan")

        rec = dict(zip(keys, key if isinstance(key, tuple) else (key,)))
        rec.update(
            n_star=first(g["gap"] <= target),
            n_lo=first(g["gap"] - z * g["se"] <= target),
            n_hi=first(g["gap"] + z * g["se"] <= target),
            gap_at_max_n=float(g["gap"].iloc[-1]),
        )
        out.append(rec)
    return pd.DataFrame(out)


# --------------------------------------------------------------------------------------------
# matched marginals and the audit
# --------------------------------------------------------------------------------------------


def payment_illustration(
    a: float, rho: float, n: int, R: int, rng: np.random.Generator, cap: float = 1.0
) -> dict[str, float]:
    """The joint Brier payment (per-probe cost 0, cap ``cap``) of a pair with both accept rates
    ``a`` and correlation ``rho`` that reports its true joint law, against one that reports the
    product of its (correct) marginals, on the same ``R`` audits of ``n`` i.i.d. probes each."""
    from costcorrect.models.verification import scoring

    true_p = joint_pmf(a, a, rho)
    product = joint_pmf(a, a, 0.0)
    outcomes = rng.choice(4, size=(R, n), p=true_p)
    pay_true = scoring.payment("brier", np.broadcast_to(true_p, (R, n, 4)), outcomes, cap).mean(
        axis=1
    )
    pay_prod = scoring.payment("brier", np.broadcast_to(product, (R, n, 4)), outcomes, cap).mean(
        axis=1
    )
    b = scoring.payment_coefficients("brier", cap, k=4)[1]
    return {
        "mean payment per probe, truthful joint report": float(pay_true.mean()),
        "mean payment per probe, product-of-marginals report": float(pay_prod.mean()),
        "difference (simulated)": float((pay_true - pay_prod).mean()),
        "difference (b·4c²)": float(b * 4 * (true_p[3] - a**2) ** 2),
        "share of audits where truthful earns more": float(np.mean(pay_true > pay_prod)),
        "payments within [cost, cap]": bool((pay_true >= 0).all() and (pay_true <= cap).all()),
    }


def gap_figure_frame(finite: pd.DataFrame) -> pd.DataFrame:
    """The gap-against-N figure's table: the simulated mean gaps (with 95% bands, clipped at 1e-4
    for a log axis) plus, on the joint mechanism's grid, the derived upper bound
    ``C_H sqrt(log(K1 K2)/N)`` with ``C_H = 2/alpha_min`` and the Le Cam lower bound."""
    fig = finite[["benchmark", "C", "K", "N", "mechanism", "gap", "se", "alpha_min"]].copy()
    joint = fig[fig["mechanism"] == "joint"]
    upper = joint.assign(
        gap=2 / joint["alpha_min"] * np.sqrt(np.log(joint["K"] ** 2) / joint["N"]),
        mechanism="upper bound C_H·sqrt(log K1K2 / N)",
    )
    lower = joint.assign(gap=lecam_bound(joint["N"].to_numpy()), mechanism="Le Cam lower bound")
    fig = pd.concat([fig, upper, lower], ignore_index=True)
    fig["lo"] = (fig["gap"] - 1.96 * fig["se"]).clip(lower=1e-4)
    fig["hi"] = fig["gap"] + 1.96 * fig["se"]
    fig["gap_plot"] = fig["gap"].clip(lower=1e-4)
    cols = ["benchmark", "C", "K", "N", "mechanism", "gap", "se", "gap_plot", "lo", "hi"]
    return fig[cols].round(6)


def matched_marginal_selection(
    a: float, b: float, rho: float, n: int, R: int, rng: np.random.Generator
) -> dict[str, float]:
    """Two pairs with the same verifiers' marginals and correlations ``+rho`` and ``-rho``.

    Returns how often each mechanism picks the ``+rho`` pair (the better AND pipeline) over ``R``
    replications, and the two pipelines' accept rates.
    """
    P = joint_pmf(np.array([a, a]), np.array([b, b]), np.array([rho, -rho]))  # (2, 4)
    counts = _joint_counts(np.broadcast_to(P, (R, 2, 4)), n, rng)
    joint = counts[..., 3] / n
    ha = rng.binomial(n, np.full((R, 2), a)) / n
    hb = rng.binomial(n, np.full((R, 2), b)) / n
    pick_j = _select(joint, rng)
    pick_m = _select(ha * hb, rng)
    return {
        "alpha_plus": float(P[0, 3]),
        "alpha_minus": float(P[1, 3]),
        "joint_picks_plus": float(np.mean(pick_j == 0)),
        "per_verifier_picks_plus": float(np.mean(pick_m == 0)),
    }


def simulate_audit(
    a: float, b: float, rho: float, n: int, R: int, rng: np.random.Generator
) -> pd.DataFrame:
    """A simulated audit of two pipelines A (correlation ``+rho``) and B (``-rho``) built from verifiers
    with the same accept rates ``a, b``.

    Each replication logs ``n`` probes per pipeline. The per-component record holds each verifier's
    accept count; the joint-report ledger holds the four joint counts. For each record the auditor
    runs a two-sided two-sample z-test at level 5% of "A and B have the same pipeline accept rate",
    using what the record allows: the per-component record can only estimate the pipeline rate as
    ``hat p1 hat p2``; the joint ledger has ``hat P11``. Returns one row per record type with
    expected values, the mean estimate per pipeline and the rejection rate.
    """
    P = joint_pmf(np.array([a, a]), np.array([b, b]), np.array([rho, -rho]))
    counts = _joint_counts(np.broadcast_to(P, (R, 2, 4)), n, rng)
    v1 = (counts[..., 2] + counts[..., 3]) / n
    v2 = (counts[..., 1] + counts[..., 3]) / n
    p11 = counts[..., 3] / n

    def ztest(est: np.ndarray) -> np.ndarray:
        pooled = est.mean(axis=1)
        se = np.sqrt(2 * pooled * (1 - pooled) / n)
        return np.abs(est[:, 0] - est[:, 1]) > 1.96 * np.maximum(se, 1e-12)

    rows = [
        {
            "record": "per-verifier (V1 accepts)",
            "A": float(v1[:, 0].mean()),
            "B": float(v1[:, 1].mean()),
            "true A": float(a),
            "true B": float(a),
            "rejects 'same'": float(ztest(v1).mean()),
        },
        {
            "record": "per-verifier (V2 accepts)",
            "A": float(v2[:, 0].mean()),
            "B": float(v2[:, 1].mean()),
            "true A": float(b),
            "true B": float(b),
            "rejects 'same'": float(ztest(v2).mean()),
        },
        {
            "record": "per-verifier forecast p1·p2",
            "A": float((v1 * v2)[:, 0].mean()),
            "B": float((v1 * v2)[:, 1].mean()),
            "true A": float(P[0, 3]),
            "true B": float(P[1, 3]),
            "rejects 'same'": float(ztest(v1 * v2).mean()),
        },
        {
            "record": "joint ledger P11 (pipeline accept)",
            "A": float(p11[:, 0].mean()),
            "B": float(p11[:, 1].mean()),
            "true A": float(P[0, 3]),
            "true B": float(P[1, 3]),
            "rejects 'same'": float(ztest(p11).mean()),
        },
    ]
    return pd.DataFrame(rows)


def audit_power(
    a: float, b: float, rho: float, ns: Sequence[int], R: int, rng: np.random.Generator
) -> pd.DataFrame:
    """Rejection rate of the auditor's test by record type for each audit size in ``ns``
    (see :func:`simulate_audit`)."""
    rows = []
    for n in ns:
        t = simulate_audit(a, b, rho, int(n), R, rng).set_index("record")["rejects 'same'"]
        rows.append({"N": int(n), **t.to_dict()})
    return pd.DataFrame(rows)


__all__ = [
    "AND2",
    "MECHANISMS",
    "OR2",
    "OUTCOMES",
    "CovarianceSplit",
    "Design",
    "LeCam",
    "RuleError",
    "UnionBound",
    "adversarial_design",
    "audit_power",
    "bahadur_checks",
    "bahadur_pmf3",
    "brier_joint_vs_product",
    "candidate_design",
    "composition_errors2",
    "composition_errors3",
    "corr_bounds",
    "covariance_split",
    "first_crossing",
    "frechet_bounds",
    "gap_figure_frame",
    "interpolated_thresholds",
    "is_monotone",
    "joint_pmf",
    "lecam_bound",
    "matched_marginal_selection",
    "monotone_rules",
    "payment_illustration",
    "per_verifier_blind",
    "per_verifier_floor",
    "pipeline_accept",
    "rule_name",
    "run_all",
    "seed_thresholds",
    "simulate_audit",
    "simulate_grid",
    "simulate_selection",
    "simulate_single",
    "sym_accept",
    "sym_joint_pmf2",
    "sym_lecam",
    "sym_union_bound",
    "threshold_n",
    "threshold_ratio_by_benchmark",
    "union_bound",
    "within_between_example",
    "worst_threshold",
]
