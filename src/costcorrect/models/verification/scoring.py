"""Strictly proper scoring rules and the capped affine payment built on them.

Three rules, for a report ``q`` (a probability vector over ``k`` outcomes) and a realised
outcome ``y`` (an index ``0..k-1``):

* ``"log"``:       ``S(q, y) = log Π_eps(q)_y`` — the report is first projected onto the trimmed
  simplex ``{q : q_j >= eps}`` by :func:`project_report` (for a binary report: clipped to
  ``[eps, 1 - eps]``), so the score is bounded and a cap can bind. The projection is the
  log-score-optimal one, which keeps the rule *as paid* proper on the whole report space
  (:func:`projected_log_certificate`). A bare floor ``log max(q_y, eps)`` would not be: with
  ``eps = 1e-3`` a belief of 0.002 earns more by reporting 0 (−0.0138) than by telling the truth
  (−0.0144);
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

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import sympy as sp

RULES: tuple[str, ...] = ("log", "brier", "spherical")
DEFAULT_EPS: float = 1e-3  # log-rule trimming: reports are projected onto {q : q_j >= eps}


def _check_rule(rule: str) -> None:
    if rule not in RULES:
        raise ValueError(f"unknown scoring rule {rule!r}; use one of {RULES}")


# --------------------------------------------------------------------------------------------
# numeric rules
# --------------------------------------------------------------------------------------------


def project_report(q: np.ndarray, eps: float = DEFAULT_EPS) -> np.ndarray:
    """Project reports ``q`` (shape ``(..., k)``, rows on the simplex) onto ``{q : q_j >= eps, sum q = 1}``.

    The projection maximises ``sum_j q_j log q'_j`` over the trimmed simplex (the log score's own
    geometry): ``q'_j = max(eps, t·q_j)`` with ``t > 0`` chosen so that ``q'`` sums to 1 (found by
    clamping the smallest coordinates one at a time). For ``k = 2`` it is clipping to
    ``[eps, 1 - eps]``. Needs ``0 < eps < 1/k``.
    """
    q = np.asarray(q, dtype=float)
    k = q.shape[-1]
    if not 0 < eps < 1.0 / k:
        raise ValueError(f"need 0 < eps < 1/k = {1.0 / k}")
    clamped = np.zeros(q.shape, dtype=bool)
    for _ in range(k):
        free_mass = np.where(clamped, 0.0, q).sum(axis=-1, keepdims=True)
        n_cl = clamped.sum(axis=-1, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(free_mass > 0, (1.0 - n_cl * eps) / free_mass, np.inf)
        new = clamped | (t * q < eps)
        if np.array_equal(new, clamped):
            break
        clamped = new
    free_mass = np.where(clamped, 0.0, q).sum(axis=-1, keepdims=True)
    n_cl = clamped.sum(axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(free_mass > 0, (1.0 - n_cl * eps) / free_mass, 0.0)
    return np.where(clamped, eps, t * q)


def score(rule: str, q: np.ndarray, y: np.ndarray, *, eps: float = DEFAULT_EPS) -> np.ndarray:
    """Score of report ``q`` (shape ``(..., k)``, rows sum to 1) when outcome ``y`` (shape ``(...)``) occurs.

    For the log rule the report is first projected onto the trimmed simplex (:func:`project_report`);
    the score paid is ``log`` of the projected report's probability of ``y``.
    """
    _check_rule(rule)
    q = np.asarray(q, dtype=float)
    y = np.asarray(y, dtype=int)
    if rule == "log":
        qp = project_report(q, eps)
        return np.log(np.take_along_axis(qp, y[..., None], axis=-1)[..., 0])
    qy = np.take_along_axis(q, y[..., None], axis=-1)[..., 0]
    if rule == "brier":
        return 2.0 * qy - np.sum(q * q, axis=-1)  # = 1 - sum_j (q_j - [j==y])^2
    return qy / np.sqrt(np.sum(q * q, axis=-1))


def binary_score(
    rule: str, r: np.ndarray, y: np.ndarray, *, eps: float = DEFAULT_EPS
) -> np.ndarray:
    """Score of an accept probability ``r`` against a binary label ``y`` (1 = accept is correct)."""
    r = np.asarray(r, dtype=float)
    q = np.stack([1.0 - r, r], axis=-1)
    return score(rule, q, np.asarray(y, dtype=int), eps=eps)


def expected_score(
    rule: str, p: np.ndarray, q: np.ndarray, *, eps: float = DEFAULT_EPS
) -> np.ndarray:
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
        return (float(np.log(eps)), float(np.log(1.0 - (k - 1) * eps)))
    if rule == "brier":
        return (-1.0, 1.0)
    return (0.0, 1.0)


def payment_coefficients(
    rule: str, cap: float, *, k: int = 2, cost: float = 0.0, eps: float = DEFAULT_EPS
) -> tuple[float, float]:
    """``(a, b)`` of the per-probe payment ``a + b·S`` mapping the score range onto ``[cost, cap]``.

    ``b = (cap - cost)/(S_max - S_min) > 0`` keeps the rule strictly proper (DSIC) and
    ``a = cost - b·S_min`` makes the worst payment equal the seller's per-probe cost (ex post IR).
    """
    if not cap > cost >= 0:
        raise ValueError("need cap > cost >= 0")
    lo, hi = score_bounds(rule, k, eps=eps)
    b = (cap - cost) / (hi - lo)
    return (cost - b * lo, b)


def payment(
    rule: str,
    q: np.ndarray,
    y: np.ndarray,
    cap: float,
    *,
    cost: float = 0.0,
    eps: float = DEFAULT_EPS,
) -> np.ndarray:
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
    """SymPy score of report ``q`` (a list of ``k`` expressions) when outcome ``j`` occurs
    (log: unfloored)."""
    _check_rule(rule)
    if rule == "log":
        return sp.log(q[j])
    if rule == "brier":
        return 1 - sum((qi - (1 if i == j else 0)) ** 2 for i, qi in enumerate(q))
    return q[j] / sp.sqrt(sum(qi**2 for qi in q))


def sym_expected_score(rule: str, p: Sequence[sp.Expr], q: Sequence[sp.Expr]) -> sp.Expr:
    """``sum_j p_j S(q, j)``."""
    return sum(p[j] * sym_score(rule, q, j) for j in range(len(p)))


def divergence(rule: str, p: Sequence[sp.Expr], q: Sequence[sp.Expr]) -> sp.Expr:
    """``d(p, q) = E_p[S(p, Y)] - E_p[S(q, Y)]``: the expected loss from reporting ``q`` instead of
    the belief ``p``."""
    return sym_expected_score(rule, p, p) - sym_expected_score(rule, p, q)


def _phi(t: sp.Expr) -> sp.Expr:
    """``t - 1 - log t``: non-negative for ``t > 0``, zero only at ``t = 1`` (see :func:`phi_facts`)."""
    return t - 1 - sp.log(t)


def phi_facts() -> dict[str, bool]:
    """CAS facts making ``phi(t) = t - 1 - log t`` a valid certificate term: ``phi(1)=0``,
    ``phi'(1)=0``, ``phi''>0``."""
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
        return bool(
            self.identity and self.foc and all(self.extra.get("phi_facts", {True: True}).values())
        )


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
        argument = (
            "d(p,q) = sum_j p_j phi(q_j/p_j), phi(t) = t - 1 - log t >= 0 with equality only at t = 1 "
            "(phi(1) = phi'(1) = 0, phi'' = 1/t^2 > 0): zero only at q = p"
        )
        extra["phi_facts"] = phi_facts()
    else:
        np2 = sp.sqrt(sum(x**2 for x in p))
        nq2 = sp.sqrt(sum(x**2 for x in q))
        dot = sum(a * b for a, b in zip(p, q))
        terms = [
            (p[i] * q[j] - p[j] * q[i]) ** 2 / (nq2 * (np2 * nq2 + dot))
            for i in range(k)
            for j in range(i + 1, k)
        ]
        argument = (
            "d(p,q) = sum_{i<j} (p_i q_j - p_j q_i)^2 / (|q|(|p||q| + p.q)) (Lagrange's identity): "
            "zero only when q is parallel to p, i.e. q = p on the simplex"
        )
    cert = sum(terms)
    if rule == "log":
        # logs expand only for positive arguments: prove d - cert = sum_j (p_j - q_j) with all
        # 2k coordinates free and positive, then use sum_j q_j = sum_j p_j = 1.
        P, Q = simplex_symbols("p", k), simplex_symbols("q", k)
        resid = sp.expand(
            sp.expand_log(
                divergence(rule, P, Q) - sum(P[j] * _phi(Q[j] / P[j]) for j in range(k)), force=True
            )
        )
        extra["free_residual"] = resid
        identity = sp.simplify(resid - sum(P[j] - Q[j] for j in range(k))) == 0
    elif rule == "spherical":
        # Lagrange's identity holds for all positive vectors: prove it with 2k free coordinates
        # (faster than on the simplex, and the simplex is a special case).
        P, Q = simplex_symbols("p", k), simplex_symbols("q", k)
        nP, nQ = sp.sqrt(sum(x**2 for x in P)), sp.sqrt(sum(x**2 for x in Q))
        dotPQ = sum(a * b for a, b in zip(P, Q))
        certPQ = sum(
            (P[i] * Q[j] - P[j] * Q[i]) ** 2 for i in range(k) for j in range(i + 1, k)
        ) / (nQ * (nP * nQ + dotPQ))
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
    m, c, eps = sp.symbols("m c epsilon", positive=True)  # cap, per-probe cost, log trimming
    K, N, B = sp.symbols("K N B", positive=True)
    if rule == "log":
        lo, hi = sp.log(eps), sp.log(1 - (k - 1) * eps)
    elif rule == "brier":
        lo, hi = sp.Integer(-1), sp.Integer(1)
    else:
        lo, hi = sp.Integer(0), sp.Integer(1)
    sol = sp.solve([sp.Eq(a + b * lo, c), sp.Eq(a + b * hi, m)], [a, b], dict=True)[0]
    a_s, b_s = sp.simplify(sol[a]), sp.simplify(sol[b])
    # DSIC: b > 0 whenever m > c (substitute m = c + delta, delta > 0); for log also eps < 1/k
    delta = sp.Symbol("delta", positive=True)
    b_sub = sp.simplify(b_s.subs(m, c + delta))
    if rule == "log":
        u = sp.Symbol("u", positive=True)  # eps = 1/(k + u) in (0, 1/k)
        b_sub = sp.simplify(sp.expand_log(b_sub.subs(eps, 1 / (k + u)), force=True))
    dsic = bool(b_sub.is_positive)
    # ex post IR and cap are *shown*: every score of every allowed report lies in [lo, hi]
    # (score_range_certificate), b > 0, and the payment at lo (hi) is the cost (cap)
    rng_ok = score_range_certificate(rule, k).holds
    ir = bool(rng_ok and dsic and _is_zero(a_s + b_s * lo - c))
    capok = bool(rng_ok and dsic and _is_zero(a_s + b_s * hi - m))
    # budget: each of K*N payments <= m, so the total is <= K N m; with m = B/(K N) it is <= B
    total_max = K * N * m
    budget = _is_zero(total_max.subs(m, B / (K * N)) - B)
    syms = {"cap": m, "cost": c, "eps": eps, "K": K, "N": N, "budget": B}
    return PaymentProof(a_s, b_s, dsic, ir, capok, budget, syms)


@dataclass
class ScoreRange:
    """CAS certificates that every allowed report scores in ``[lo, hi]`` for outcome ``y = 0``
    (the rules are symmetric in the outcomes, so ``y = 0`` is without loss of generality).

    ``lower`` (``upper``) lists identities ``S - lo = sum(terms)`` (``hi - S = sum(terms)``) whose
    terms are non-negative on the allowed report space; ``identities`` is the CAS verdict.
    """

    rule: str
    k: int
    lo: sp.Expr
    hi: sp.Expr
    lower_terms: list
    upper_terms: list
    identities: bool
    argument: str

    @property
    def holds(self) -> bool:
        return bool(self.identities)


def score_range_certificate(rule: str, k: int = 2) -> ScoreRange:
    """Show (not assume) the score range used by the payment: ``lo <= S(q, y) <= hi`` for all allowed ``q``.

    * Brier: ``S + 1 = 2 q_y + 2 sum_{i<j} q_i q_j`` and ``1 - S = sum_j (q_j - [j = y])^2`` on the simplex;
    * spherical: ``S = q_y/|q| >= 0`` and ``1 - S = (sum_{j != y} q_j^2) / (|q| (|q| + q_y))``;
    * projected log: the projected report ``q'`` has ``q'_j >= eps`` and sums to 1, so
      ``S - log eps = log(q'_y/eps)`` with ``q'_y/eps >= 1`` and
      ``log(1 - (k-1) eps) - S = log((1 - (k-1) eps)/q'_y)`` with ``q'_y <= 1 - (k-1) eps``.
    """
    _check_rule(rule)
    eps = sp.Symbol("epsilon", positive=True)
    Q = simplex_symbols(
        "q", k
    )  # non-negative coordinates (positive symbols; boundary by continuity)
    if rule == "brier":
        on_simplex = {Q[-1]: 1 - sum(Q[:-1])}
        S = sym_score(rule, Q, 0)
        lo, hi = sp.Integer(-1), sp.Integer(1)
        lower = [2 * Q[0]] + [2 * Q[i] * Q[j] for i in range(k) for j in range(i + 1, k)]
        upper = [(Q[j] - (1 if j == 0 else 0)) ** 2 for j in range(k)]
        ok = _is_zero((S - lo - sum(lower)).subs(on_simplex)) and _is_zero(
            (hi - S - sum(upper)).subs(on_simplex)
        )
        arg = "S + 1 = 2q_y + 2 sum_{i<j} q_i q_j >= 0 and 1 - S = sum_j (q_j - [j=y])^2 >= 0 on the simplex"
    elif rule == "spherical":
        S = sym_score(rule, Q, 0)
        nq = sp.sqrt(sum(x**2 for x in Q))
        lo, hi = sp.Integer(0), sp.Integer(1)
        lower = [S]  # a ratio of a non-negative coordinate and a positive norm
        upper = [sum(Q[j] ** 2 for j in range(1, k)) / (nq * (nq + Q[0]))]
        ok = _is_zero(hi - S - sum(upper)) and bool(S.is_nonnegative)
        arg = "S = q_y/|q| >= 0 and 1 - S = sum_{j != y} q_j^2 / (|q|(|q| + q_y)) >= 0"
    else:
        # the projected report q' = (eps + x_0, ..., eps + x_{k-1}) with x_j >= 0 and sum x = 1 - k eps
        X = simplex_symbols("x", k)
        qy = eps + X[0]
        S = sp.log(qy)
        lo, hi = sp.log(eps), sp.log(1 - (k - 1) * eps)
        lower = [sp.log(qy / eps)]
        upper = [sp.log((1 - (k - 1) * eps) / qy)]
        on = {X[-1]: 1 - k * eps - sum(X[:-1])} if k > 1 else {}
        ratio_lo = sp.simplify(qy / eps - 1 - X[0] / eps)  # q'_y/eps = 1 + x_0/eps >= 1
        ratio_hi = sp.simplify(
            (1 - (k - 1) * eps - qy).subs(on) - sum(X[1:-1]) - (1 - k * eps - sum(X[:-1]))
        )
        ok = (
            _is_zero(sp.expand_log(S - lo - lower[0], force=True))
            and _is_zero(sp.expand_log(hi - S - upper[0], force=True))
            and ratio_lo == 0
            and _is_zero(ratio_hi)
        )
        arg = (
            "the projected report has q'_j = eps + x_j, x_j >= 0, sum q' = 1: "
            "S - log eps = log(1 + x_y/eps) >= 0 "
            "and log(1-(k-1)eps) - S = log((1-(k-1)eps)/q'_y) >= 0 "
            "since 1-(k-1)eps - q'_y = sum_{j != y} x_j >= 0"
        )
    return ScoreRange(rule, k, lo, hi, lower, upper, bool(ok), arg)


@dataclass
class ProjectedLogProof:
    """CAS certificate that the projected log rule is proper on the whole report space.

    For belief ``p`` (any point of the simplex, zeros allowed) the projection of the truthful report is
    ``p*_j = t·p_j + t·r_j`` with ``t > 0``, ``r_j >= 0`` and ``r_j > 0`` only where ``p*_j = eps``
    (the KKT form of :func:`project_report`). For any report whose projection is ``q'`` (``q'_j >= eps``,
    ``sum q' = 1``) the expected loss of misreporting is

        d = sum_j p_j log(p*_j / q'_j)
          = (1/t) sum_j p*_j phi(q'_j / p*_j) + sum_j r_j log(q'_j / eps)  (+ (1/t) sum_j (p*_j - q'_j) = 0),

    a sum of non-negative terms: ``phi(x) = x - 1 - log x >= 0`` and, where ``r_j > 0``,
    ``q'_j >= eps = p*_j``. ``identity`` is the CAS verdict on the displayed identity; ``d = 0`` forces
    ``q' = p*``, so the truthful report is optimal for every belief and strictly better than any report
    with a different projection.
    """

    k: int
    divergence: sp.Expr
    certificate: sp.Expr
    identity: bool
    phi: dict

    @property
    def holds(self) -> bool:
        return bool(self.identity and all(self.phi.values()))


def projected_log_certificate(k: int = 2) -> ProjectedLogProof:
    """Prove propriety of the log rule as paid (report projected onto the trimmed simplex) on
    ``k`` outcomes."""
    t = sp.Symbol("t", positive=True)
    Ps = simplex_symbols("s", k)  # p*_j (projected truthful report), positive
    Qs = simplex_symbols("q", k)  # q'_j (projected actual report), positive
    R = list(sp.symbols(f"r0:{k}", nonnegative=True))
    # where r_j > 0 the truthful projection is clamped: p*_j = eps, so log(q'_j/eps) = log(q'_j/p*_j)
    p = [Ps[j] / t - R[j] for j in range(k)]
    d = sum(p[j] * (sp.log(Ps[j]) - sp.log(Qs[j])) for j in range(k))
    cert = sum(Ps[j] / t * _phi(Qs[j] / Ps[j]) for j in range(k)) + sum(
        R[j] * sp.log(Qs[j] / Ps[j]) for j in range(k)
    )
    resid = sp.expand(
        sp.expand_log(d - cert - sum(Ps[j] - Qs[j] for j in range(k)) / t, force=True)
    )
    return ProjectedLogProof(k, d, cert, resid == 0 or _is_zero(resid), phi_facts())


__all__ = [
    "DEFAULT_EPS",
    "RULES",
    "BinaryProof",
    "PaymentProof",
    "ProjectedLogProof",
    "ProprietyProof",
    "ScoreRange",
    "binary_propriety",
    "binary_score",
    "divergence",
    "expected_score",
    "payment",
    "payment_coefficients",
    "payment_properties",
    "phi_facts",
    "project_report",
    "projected_log_certificate",
    "propriety_certificate",
    "score",
    "score_bounds",
    "score_range_certificate",
    "simplex_symbols",
    "sym_expected_score",
    "sym_score",
]
