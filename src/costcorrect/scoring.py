"""Strictly proper scoring rules and the capped affine payment built on them.

Three rules, for a report ``q`` (a probability vector over ``k`` outcomes) and a realised
outcome ``y`` (an index ``0..k-1``):

* ``"log"``:       ``S(q, y) = log q_y`` (reports are kept in ``[eps, 1]`` so a cap can bind);
* ``"brier"``:     ``S(q, y) = 1 - sum_j (q_j - [j == y])^2``  (quadratic rule, range ``[-1, 1]``);
* ``"spherical"``: ``S(q, y) = q_y / ||q||_2``                   (range ``[0, 1]``).

A binary report is the accept probability ``r`` of outcome 1, i.e. ``q = (1 - r, r)``; the
helpers named ``binary_*`` take ``r`` directly.  A 2×2 joint report (the 4-outcome space used by
the calibration-drift chapter) is simply ``k = 4``.

Numeric API (NumPy, vectorised over leading axes)
    :func:`score`, :func:`binary_score`, :func:`expected_score`, :func:`score_bounds`,
    :func:`payment_coefficients`, :func:`payment`.
SymPy API (the proofs)
    :func:`sym_score`, :func:`sym_expected_score`, :func:`divergence`,
    :func:`propriety_certificate` (any ``k``), :func:`binary_propriety` (first- and second-order
    conditions and the sign of the derivative), :func:`payment_properties` (DSIC, ex post IR,
    budget feasibility of ``a + b·S`` under a per-probe cap).

The proof strategy, the same for every rule: the *divergence*
``d(p, q) = E_p[S(p, Y)] - E_p[S(q, Y)]`` is rewritten by the CAS as a sum of terms that are each
non-negative and vanish only at ``q = p`` (a "certificate"); ``d >= 0`` with equality iff ``q = p``
is strict propriety.  ``propriety_certificate`` returns the divergence, the certificate and the
CAS verdict that the two are identical.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import sympy as sp

RULES: tuple[str, ...] = ("log", "brier", "spherical")
DEFAULT_EPS: float = 1e-3  # log-rule report floor: reports are kept in [eps, 1]


def _check_rule(rule: str) -> None:
    if rule not in RULES:
        raise ValueError(f"unknown scoring rule {rule!r}; use one of {RULES}")


# --------------------------------------------------------------------------------------------
# numeric rules
# --------------------------------------------------------------------------------------------

def score(rule: str, q: np.ndarray, y: np.ndarray, *, eps: float = DEFAULT_EPS) -> np.ndarray:
    """Score of report ``q`` (shape ``(..., k)``, rows sum to 1) when outcome ``y`` (shape ``(...)``) occurs.

    For the log rule the probability of the realised outcome is floored at ``eps``, which is the
    score of the report projected onto ``{q : q_j >= eps}`` — the report space the mechanism allows.
    """
    _check_rule(rule)
    q = np.asarray(q, dtype=float)
    y = np.asarray(y, dtype=int)
    qy = np.take_along_axis(q, y[..., None], axis=-1)[..., 0]
    if rule == "log":
        return np.log(np.clip(qy, eps, 1.0))
    if rule == "brier":
        return 2.0 * qy - np.sum(q * q, axis=-1)  # = 1 - sum_j (q_j - [j==y])^2
    return qy / np.sqrt(np.sum(q * q, axis=-1))


def binary_score(rule: str, r: np.ndarray, y: np.ndarray, *, eps: float = DEFAULT_EPS) -> np.ndarray:
    """Score of an accept probability ``r`` against a binary label ``y`` (1 = accept is correct)."""
    r = np.asarray(r, dtype=float)
    q = np.stack([1.0 - r, r], axis=-1)
    return score(rule, q, np.asarray(y, dtype=int), eps=eps)


def expected_score(rule: str, p: np.ndarray, q: np.ndarray, *, eps: float = DEFAULT_EPS) -> np.ndarray:
    """``E_{Y~p}[S(q, Y)]`` for belief ``p`` and report ``q`` (both shape ``(..., k)``)."""
    p = np.asarray(p, dtype=float)
    q = np.asarray(q, dtype=float)
    k = p.shape[-1]
    shape = np.broadcast_shapes(p.shape[:-1], q.shape[:-1])
    qb = np.broadcast_to(q, shape + (k,))
    out = np.zeros(shape)
    for j in range(k):
        out = out + p[..., j] * score(rule, qb, np.full(shape, j), eps=eps)
    return out


def score_bounds(rule: str, k: int = 2, *, eps: float = DEFAULT_EPS) -> tuple[float, float]:
    """``(min, max)`` of ``S(q, y)`` over all allowed reports and outcomes (needed for the cap)."""
    _check_rule(rule)
    if k < 2:
        raise ValueError("k must be at least 2")
    if rule == "log":
        return (float(np.log(eps)), 0.0)
    if rule == "brier":
        return (-1.0, 1.0)
    return (0.0, 1.0)


def payment_coefficients(rule: str, cap: float, *, k: int = 2, cost: float = 0.0,
                         eps: float = DEFAULT_EPS) -> tuple[float, float]:
    """``(a, b)`` of the per-probe payment ``a + b·S`` mapping the score range onto ``[cost, cap]``.

    ``b = (cap - cost)/(S_max - S_min) > 0`` keeps the rule strictly proper (DSIC) and
    ``a = cost - b·S_min`` makes the worst payment equal the seller's per-probe cost (ex post IR).
    """
    if not cap > cost >= 0:
        raise ValueError("need cap > cost >= 0")
    lo, hi = score_bounds(rule, k, eps=eps)
    b = (cap - cost) / (hi - lo)
    return (cost - b * lo, b)


def payment(rule: str, q: np.ndarray, y: np.ndarray, cap: float, *, cost: float = 0.0,
            eps: float = DEFAULT_EPS) -> np.ndarray:
    """Per-probe payment ``a + b·S(q, y)``; always inside ``[cost, cap]``."""
    q = np.asarray(q, dtype=float)
    a, b = payment_coefficients(rule, cap, k=q.shape[-1], cost=cost, eps=eps)
    return a + b * score(rule, q, y, eps=eps)


# --------------------------------------------------------------------------------------------
# symbolic rules and proofs
# --------------------------------------------------------------------------------------------

def simplex_symbols(name: str, k: int) -> list[sp.Symbol]:
    """Positive symbols ``name0..name{k-1}`` (a point of the open simplex once constrained)."""
    return list(sp.symbols(f"{name}0:{k}", positive=True))


def sym_score(rule: str, q: Sequence[sp.Expr], j: int) -> sp.Expr:
    """SymPy score of report ``q`` (a list of ``k`` expressions) when outcome ``j`` occurs (log: unfloored)."""
    _check_rule(rule)
    if rule == "log":
        return sp.log(q[j])
    if rule == "brier":
        return 1 - sum((qi - (1 if i == j else 0)) ** 2 for i, qi in enumerate(q))
    return q[j] / sp.sqrt(sum(qi ** 2 for qi in q))


def sym_expected_score(rule: str, p: Sequence[sp.Expr], q: Sequence[sp.Expr]) -> sp.Expr:
    """``sum_j p_j S(q, j)``."""
    return sum(p[j] * sym_score(rule, q, j) for j in range(len(p)))


def divergence(rule: str, p: Sequence[sp.Expr], q: Sequence[sp.Expr]) -> sp.Expr:
    """``d(p, q) = E_p[S(p, Y)] - E_p[S(q, Y)]``: the expected loss from reporting ``q`` instead of the belief ``p``."""
    return sym_expected_score(rule, p, p) - sym_expected_score(rule, p, q)


def _phi(t: sp.Expr) -> sp.Expr:
    """``t - 1 - log t``: non-negative for ``t > 0``, zero only at ``t = 1`` (see :func:`phi_facts`)."""
    return t - 1 - sp.log(t)


def phi_facts() -> dict[str, bool]:
    """CAS facts making ``phi(t) = t - 1 - log t`` a valid certificate term: ``phi(1)=0``, ``phi'(1)=0``, ``phi''>0``."""
    t = sp.Symbol("t", positive=True)
    f = _phi(t)
    return {
        "phi(1) = 0": sp.simplify(f.subs(t, 1)) == 0,
        "phi'(1) = 0": sp.simplify(sp.diff(f, t).subs(t, 1)) == 0,
        "phi'' > 0 on t > 0": bool(sp.ask(sp.Q.positive(sp.diff(f, t, 2)), sp.Q.positive(t))),
    }


@dataclass
class ProprietyProof:
    """CAS proof that ``rule`` is strictly proper on ``k`` outcomes.

    ``divergence`` and ``certificate`` are both functions of the free coordinates ``p[:-1]``,
    ``q[:-1]`` (the last coordinate is ``1 - sum`` of the others); ``identity`` is the CAS verdict
    that they are equal; ``terms`` lists the certificate's summands, each ``>= 0`` and zero only at
    ``q = p``; ``foc`` is the verdict that the gradient of the expected score vanishes at ``q = p``.
    """

    rule: str
    k: int
    p: list[sp.Expr]
    q: list[sp.Expr]
    divergence: sp.Expr
    certificate: sp.Expr
    terms: list[sp.Expr]
    identity: bool
    foc: bool
    argument: str
    extra: dict = field(default_factory=dict)

    @property
    def holds(self) -> bool:
        """Strict propriety proven: the identity holds, the FOC holds and (log) the phi facts hold."""
        return bool(self.identity and self.foc and all(self.extra.get("phi_facts", {True: True}).values()))


def _simplex(k: int) -> tuple[list[sp.Symbol], list[sp.Symbol], list[sp.Expr], list[sp.Expr]]:
    ps = simplex_symbols("p", k - 1)
    qs = simplex_symbols("q", k - 1)
    p = ps + [1 - sum(ps)]
    q = qs + [1 - sum(qs)]
    return ps, qs, p, q


def propriety_certificate(rule: str, k: int = 2) -> ProprietyProof:
    """Prove strict propriety of ``rule`` on ``k`` outcomes with a sum-of-non-negative-terms certificate.

    * Brier: ``d = sum_j (p_j - q_j)^2``.
    * Log:   ``d = sum_j p_j * phi(q_j/p_j)`` with ``phi(t) = t - 1 - log t`` (Gibbs' inequality;
      uses ``sum q = sum p = 1``).
    * Spherical: ``d = sum_{i<j} (p_i q_j - p_j q_i)^2 / (|q| (|p||q| + p·q))`` (Lagrange's identity);
      zero iff ``q`` is parallel to ``p``, which on the simplex means ``q = p``.
    """
    _check_rule(rule)
    ps, qs, p, q = _simplex(k)
    d = divergence(rule, p, q)
    extra: dict = {}
    if rule == "brier":
        terms = [(p[j] - q[j]) ** 2 for j in range(k)]
        argument = "d(p,q) = sum_j (p_j - q_j)^2: a sum of squares, zero only at q = p"
    elif rule == "log":
        terms = [p[j] * _phi(q[j] / p[j]) for j in range(k)]
        argument = ("d(p,q) = sum_j p_j phi(q_j/p_j), phi(t) = t - 1 - log t >= 0 with equality only at t = 1 "
                    "(phi(1) = phi'(1) = 0, phi'' = 1/t^2 > 0): zero only at q = p")
        extra["phi_facts"] = phi_facts()
    else:
        np2 = sp.sqrt(sum(x ** 2 for x in p))
        nq2 = sp.sqrt(sum(x ** 2 for x in q))
        dot = sum(a * b for a, b in zip(p, q))
        terms = [(p[i] * q[j] - p[j] * q[i]) ** 2 / (nq2 * (np2 * nq2 + dot))
                 for i in range(k) for j in range(i + 1, k)]
        argument = ("d(p,q) = sum_{i<j} (p_i q_j - p_j q_i)^2 / (|q|(|p||q| + p.q)) (Lagrange's identity): "
                    "zero only when q is parallel to p, i.e. q = p on the simplex")
    cert = sum(terms)
    if rule == "log":
        # logs expand only for positive arguments: prove d - cert = sum_j (p_j - q_j) with all
        # 2k coordinates free and positive, then use sum_j q_j = sum_j p_j = 1.
        P, Q = simplex_symbols("p", k), simplex_symbols("q", k)
        resid = sp.expand(sp.expand_log(divergence(rule, P, Q) - sum(P[j] * _phi(Q[j] / P[j]) for j in range(k)),
                                        force=True))
        extra["free_residual"] = resid
        identity = sp.simplify(resid - sum(P[j] - Q[j] for j in range(k))) == 0
    elif rule == "spherical":
        # Lagrange's identity holds for all positive vectors: prove it with 2k free coordinates
        # (faster than on the simplex, and the simplex is a special case).
        P, Q = simplex_symbols("p", k), simplex_symbols("q", k)
        nP, nQ = sp.sqrt(sum(x ** 2 for x in P)), sp.sqrt(sum(x ** 2 for x in Q))
        dotPQ = sum(a * b for a, b in zip(P, Q))
        certPQ = sum((P[i] * Q[j] - P[j] * Q[i]) ** 2 for i in range(k) for j in range(i + 1, k)) / (nQ * (nP * nQ + dotPQ))
        identity = _is_zero(divergence(rule, P, Q) - certPQ)
    else:
        identity = _is_zero(d - cert)
    # first-order condition at q = p
    if rule == "spherical":
        # the spherical expected score is homogeneous of degree 0 in q, so its full gradient vanishes
        # at q = p for any positive p (faster than the simplex parametrisation and implies it)
        P, Q = simplex_symbols("p", k), simplex_symbols("q", k)
        es = sym_expected_score(rule, P, Q)
        foc = all(_is_zero(sp.diff(es, x).subs(dict(zip(Q, P)))) for x in Q)
    else:
        # gradient in the free coordinates q_0..q_{k-2} (q_{k-1} = 1 - sum) at q = p
        es = sym_expected_score(rule, p, q)
        at_truth = dict(zip(qs, ps))
        foc = all(_is_zero(sp.diff(es, x).subs(at_truth)) for x in qs)
    return ProprietyProof(rule, k, p, q, d, cert, terms, identity, foc, argument, extra)


def _is_zero(expr: sp.Expr) -> bool:
    """CAS test ``expr == 0`` (expand logs and radicals, then simplify)."""
    e = sp.expand_log(sp.expand(expr), force=True)
    e = sp.together(e)
    num = sp.expand(sp.numer(e))
    if num == 0:
        return True
    return sp.simplify(num) == 0 or sp.simplify(expr) == 0


def _positive_on_unit_interval(expr: sp.Expr, x: sp.Symbol) -> bool:
    """CAS check that ``expr(x) > 0`` for every ``x`` in ``(0, 1)``.

    Substitutes ``x = 1/(1+s)`` with ``s > 0`` (a bijection onto ``(0, 1)``), puts every base of a
    power over a common denominator and factors it, then asks SymPy's assumption system.
    """
    s = sp.Symbol("s", positive=True)
    e = sp.factor(sp.together(expr.subs(x, 1 / (1 + s))))
    e = e.replace(lambda z: z.is_Pow, lambda z: sp.Pow(sp.factor(sp.together(z.base)), z.exp))
    return bool(sp.powdenest(e).is_positive)


@dataclass
class BinaryProof:
    """Binary strict propriety via calculus in the accept probability ``r``.

    ``derivative = d/dr E_p[S(r, Y)]``; the CAS writes it as ``(p - r) * weight`` with
    ``weight > 0`` on ``(0, 1)``, so the expected score rises for ``r < p`` and falls for ``r > p``:
    the truthful report is the unique maximiser.  ``foc``/``soc`` are the first- and second-order
    conditions at ``r = p``.
    """

    rule: str
    p: sp.Symbol
    r: sp.Symbol
    expected: sp.Expr
    derivative: sp.Expr
    weight: sp.Expr
    factorisation: bool
    weight_positive: bool
    foc: bool
    soc: sp.Expr
    soc_negative: bool

    @property
    def holds(self) -> bool:
        return bool(self.factorisation and self.weight_positive and self.foc and self.soc_negative)


def binary_propriety(rule: str) -> BinaryProof:
    """First-order condition, second-order condition and derivative sign of the binary rule."""
    _check_rule(rule)
    p, r = sp.symbols("p r", positive=True)
    q = [1 - r, r]
    es = p * sym_score(rule, q, 1) + (1 - p) * sym_score(rule, q, 0)
    de = sp.diff(es, r)
    weight = sp.simplify(sp.factor(sp.together(de / (p - r))))
    fact = _is_zero(de - (p - r) * weight)
    # weight contains only r; positivity on (0, 1): substitute r = 1/(1+s), s > 0 (maps (0,∞) onto (0,1))
    wpos = (p not in weight.free_symbols) and _positive_on_unit_interval(weight, r)
    foc = _is_zero(de.subs(r, p))
    soc = sp.simplify(sp.diff(es, r, 2).subs(r, p))
    socneg = _positive_on_unit_interval(-soc, p)
    return BinaryProof(rule, p, r, es, de, weight, fact, wpos, foc, soc, socneg)


@dataclass
class PaymentProof:
    """Symbolic properties of the capped affine payment ``pi = a + b·S``.

    * ``dsic``: ``b > 0`` so ``argmax_q E_p[pi] = argmax_q E_p[S] = p`` whatever others report
      (``pi`` depends on one's own report and the labels only);
    * ``ir``: the smallest payment ``a + b·S_min`` equals the per-probe cost ``c``;
    * ``cap``: the largest payment ``a + b·S_max`` equals the cap ``m``;
    * ``budget``: total outlay ``<= K·N·m``, so ``m <= B/(K N)`` is budget feasible.
    """

    a: sp.Expr
    b: sp.Expr
    dsic: bool
    ir: bool
    cap: bool
    budget: bool
    symbols: dict


def payment_properties(rule: str, k: int = 2) -> PaymentProof:
    """Solve for ``(a, b)`` with the CAS and verify DSIC, ex post IR and budget feasibility symbolically."""
    _check_rule(rule)
    a, b = sp.symbols("a b", real=True)
    m, c, eps = sp.symbols("m c epsilon", positive=True)  # cap, per-probe cost, log floor
    K, N, B = sp.symbols("K N B", positive=True)
    if rule == "log":
        lo, hi = sp.log(eps), sp.Integer(0)
    elif rule == "brier":
        lo, hi = sp.Integer(-1), sp.Integer(1)
    else:
        lo, hi = sp.Integer(0), sp.Integer(1)
    sol = sp.solve([sp.Eq(a + b * lo, c), sp.Eq(a + b * hi, m)], [a, b], dict=True)[0]
    a_s, b_s = sp.simplify(sol[a]), sp.simplify(sol[b])
    # DSIC: b > 0 whenever m > c (substitute m = c + delta, delta > 0); for log also eps < 1
    delta = sp.Symbol("delta", positive=True)
    b_sub = sp.simplify(b_s.subs(m, c + delta))
    if rule == "log":
        u = sp.Symbol("u", positive=True)  # eps = exp(-u) in (0, 1)
        b_sub = sp.simplify(b_sub.subs(eps, sp.exp(-u)))
    dsic = bool(b_sub.is_positive)
    ir = _is_zero(a_s + b_s * lo - c)
    capok = _is_zero(a_s + b_s * hi - m)
    # budget: each of K*N payments <= m, so the total is <= K N m; with m = B/(K N) it is <= B
    total_max = K * N * m
    budget = _is_zero(total_max.subs(m, B / (K * N)) - B)
    syms = {"cap": m, "cost": c, "eps": eps, "K": K, "N": N, "budget": B}
    return PaymentProof(a_s, b_s, dsic, ir, capok, budget, syms)


__all__ = [
    "RULES", "DEFAULT_EPS", "score", "binary_score", "expected_score", "score_bounds",
    "payment_coefficients", "payment", "simplex_symbols", "sym_score", "sym_expected_score",
    "divergence", "phi_facts", "ProprietyProof", "propriety_certificate", "BinaryProof",
    "binary_propriety", "PaymentProof", "payment_properties",
]
