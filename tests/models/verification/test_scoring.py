"""Tests of costcorrect.models.verification.scoring: CAS proofs of strict propriety, numeric
propriety on random beliefs, and the capped affine payment (DSIC, ex post IR, cap, budget)."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from costcorrect.models.verification import scoring as sc


def _simplex(k: int, min_p: float = 0.01):
    w = st.lists(st.floats(min_value=min_p, max_value=1.0), min_size=k, max_size=k)
    return w.map(lambda xs: np.asarray(xs) / np.sum(xs))


@pytest.mark.parametrize("rule", sc.RULES)
def test_binary_calculus_proof(rule):
    proof = sc.binary_propriety(rule)
    assert proof.holds
    # the derivative really is (p - r) * weight with weight free of p
    assert proof.p not in proof.weight.free_symbols


@pytest.mark.parametrize("rule", sc.RULES)
@pytest.mark.parametrize("k", [2, 3, 4])
def test_certificate_proof(rule, k):
    proof = sc.propriety_certificate(rule, k)
    assert proof.identity and proof.foc and proof.holds
    assert len(proof.terms) == (k * (k - 1) // 2 if rule == "spherical" else k)


def test_certificate_terms_vanish_at_truth():
    proof = sc.propriety_certificate("brier", 3)
    at_truth = dict(zip(proof.q[:-1], proof.p[:-1]))
    assert all(sp.simplify(t.subs(at_truth)) == 0 for t in proof.terms)


def test_positivity_checker_can_fail():
    x = sp.Symbol("x", positive=True)
    assert sc._positive_on_unit_interval(1 / (x * (1 - x)), x)
    assert not sc._positive_on_unit_interval(x - sp.Rational(1, 2), x)


def test_improper_rule_fails_the_certificate_logic():
    """The linear rule S(q, y) = q_y is proper-looking but not proper: its divergence can be negative."""
    p, q = sp.Rational(7, 10), sp.Rational(1)
    linear = lambda r, y: r if y == 1 else 1 - r  # noqa: E731
    d = (p * linear(p, 1) + (1 - p) * linear(p, 0)) - (p * linear(q, 1) + (1 - p) * linear(q, 0))
    assert d < 0  # reporting 1 beats truth: the property tests below would catch such a rule


@settings(deadline=None)
@given(p=_simplex(4), q=_simplex(4), rule=st.sampled_from(sc.RULES))
def test_truth_beats_any_other_report(p, q, rule):
    eps = 1e-3
    truth = sc.expected_score(rule, p, p, eps=eps)
    other = sc.expected_score(rule, p, q, eps=eps)
    assert truth >= other - 1e-12
    if np.max(np.abs(p - q)) > 1e-3:
        assert truth > other


# the whole binary report space, with its edges: exact 0 and 1, and points around eps and 1 - eps
_EDGE = [0.0, 1e-9, 5e-4, 1e-3, 1.5e-3, 2e-3, 0.5, 0.998, 0.999, 0.9995, 1.0 - 1e-9, 1.0]
_UNIT = st.one_of(
    st.sampled_from(_EDGE), st.floats(0.0, 1.0), st.floats(0.0, 0.01), st.floats(0.99, 1.0)
)


@settings(deadline=None)
@given(p=_UNIT, r=_UNIT, rule=st.sampled_from(sc.RULES))
def test_paid_binary_rule_is_proper_on_the_whole_report_space(p, r, rule):
    """The rule as paid (log: report projected onto [eps, 1 - eps]) is proper for every belief and report,
    including beliefs and reports at and near 0 and 1."""
    pr = np.array([1 - p, p])
    truth = sc.expected_score(rule, pr, pr)
    other = sc.expected_score(rule, pr, np.array([1 - r, r]))
    assert truth >= other - 1e-12


def _simplex_with_zeros(k: int):
    w = st.lists(
        st.one_of(st.just(0.0), st.floats(0.0, 1e-3), st.floats(0.0, 1.0)), min_size=k, max_size=k
    )
    return w.filter(lambda xs: sum(xs) > 1e-6).map(lambda xs: np.asarray(xs) / np.sum(xs))


@settings(deadline=None)
@given(p=_simplex_with_zeros(4), q=_simplex_with_zeros(4), rule=st.sampled_from(sc.RULES))
def test_paid_joint_rule_is_proper_with_zeros(p, q, rule):
    truth = sc.expected_score(rule, p, p)
    other = sc.expected_score(rule, p, q)
    assert truth >= other - 1e-12


def test_bare_floor_was_not_proper_and_projection_is():
    """Regression: the floored rule log max(q_y, eps) paid a belief of 0.002 more for reporting 0."""
    eps, p = 1e-3, np.array([0.998, 0.002])

    def floored(r):
        return p[1] * np.log(max(r, eps)) + p[0] * np.log(max(1 - r, eps))

    assert floored(0.0) > floored(0.002)  # the old rule: misreporting pays
    assert sc.expected_score("log", p, p, eps=eps) > sc.expected_score(
        "log", p, np.array([1.0, 0.0]), eps=eps
    )


@settings(deadline=None)
@given(q=_simplex_with_zeros(4), eps=st.sampled_from([1e-3, 0.01, 0.2]))
def test_projection_is_log_optimal_and_feasible(q, eps):
    qp = sc.project_report(q, eps)
    assert np.all(qp >= eps - 1e-12) and abs(qp.sum() - 1) < 1e-9
    # KKT form: unclamped coordinates are a common multiple of q, clamped ones have t q_j <= eps
    free = qp > eps + 1e-12
    if free.any():
        t = qp[free][0] / q[free][0]
        assert np.allclose(qp[free], t * q[free]) and np.all(t * q[~free] <= eps + 1e-9)
    # no other point of the trimmed simplex has a larger expected log score under q
    rng = np.random.default_rng(0)
    alt = eps + rng.dirichlet(np.ones(4), size=200) * (1 - 4 * eps)
    assert np.all(np.log(alt) @ q <= q @ np.log(qp) + 1e-12)


def test_binary_projection_is_clipping():
    r = np.array([0.0, 5e-4, 0.3, 0.9999, 1.0])
    qp = sc.project_report(np.stack([1 - r, r], -1), 1e-3)
    np.testing.assert_allclose(qp[:, 1], np.clip(r, 1e-3, 1 - 1e-3))


@pytest.mark.parametrize("k", [2, 3, 4])
def test_projected_log_certificate(k):
    proof = sc.projected_log_certificate(k)
    assert proof.holds


def test_projected_log_certificate_is_not_vacuous():
    """Flipping the sign of the clamping terms breaks the CAS identity."""
    proof = sc.projected_log_certificate(2)
    t = sp.Symbol("t", positive=True)
    R = list(sp.symbols("r0:2", nonnegative=True))
    Ps, Qs = sc.simplex_symbols("s", 2), sc.simplex_symbols("q", 2)
    wrong = proof.certificate - 2 * sum(R[j] * sp.log(Qs[j] / Ps[j]) for j in range(2))
    resid = sp.expand(
        sp.expand_log(
            proof.divergence - wrong - sum(Ps[j] - Qs[j] for j in range(2)) / t, force=True
        )
    )
    assert resid != 0


@pytest.mark.parametrize("rule", sc.RULES)
@pytest.mark.parametrize("k", [2, 4])
def test_score_range_certificate(rule, k):
    cert = sc.score_range_certificate(rule, k)
    assert cert.holds
    lo, hi = sc.score_bounds(rule, k)
    eps = sp.Symbol("epsilon", positive=True)
    assert float(cert.lo.subs(eps, sc.DEFAULT_EPS)) == pytest.approx(lo)
    assert float(cert.hi.subs(eps, sc.DEFAULT_EPS)) == pytest.approx(hi)


@settings(deadline=None)
@given(
    q=_simplex_with_zeros(4),
    y=st.integers(0, 3),
    rule=st.sampled_from(sc.RULES),
    cap=st.floats(0.1, 10.0),
    frac=st.floats(0.0, 0.9),
)
def test_payment_within_cost_and_cap(q, y, rule, cap, frac):
    cost = frac * cap
    pay = sc.payment(rule, q, np.array(y), cap, cost=cost)
    assert cost - 1e-9 <= pay <= cap + 1e-9


def test_payment_bounds_attained():
    a, b = sc.payment_coefficients("brier", 2.0, k=2, cost=0.5)
    assert a + b * -1 == pytest.approx(0.5) and a + b * 1 == pytest.approx(2.0)
    with pytest.raises(ValueError):
        sc.payment_coefficients("brier", 1.0, cost=1.0)


@pytest.mark.parametrize("rule", sc.RULES)
def test_payment_properties_symbolic(rule):
    proof = sc.payment_properties(rule)
    assert proof.dsic and proof.ir and proof.cap and proof.budget


def test_binary_score_matches_vector_form():
    r = np.array([0.2, 0.9])
    y = np.array([1, 0])
    for rule in sc.RULES:
        np.testing.assert_allclose(
            sc.binary_score(rule, r, y), sc.score(rule, np.stack([1 - r, r], -1), y)
        )
    np.testing.assert_allclose(sc.binary_score("brier", r, y), 1 - 2 * (r - y) ** 2)


def test_unknown_rule():
    with pytest.raises(ValueError):
        sc.score("linear", np.array([0.5, 0.5]), np.array(0))


@pytest.mark.parametrize("rule", ["brier", "spherical"])
def test_wrong_certificate_is_rejected(rule):
    """The CAS identity check is not vacuous: twice the certificate is not the divergence."""
    proof = sc.propriety_certificate(rule, 3)
    assert sc._is_zero(proof.divergence - proof.certificate) or rule == "spherical"
    assert not sc._is_zero(proof.divergence - 2 * proof.certificate)
