import json

import pytest
import sympy as sp

from costcorrect import claims


@pytest.fixture(autouse=True)
def scratch_build(tmp_path, monkeypatch):
    monkeypatch.setenv("COSTCORRECT_BUILD", str(tmp_path / "_build"))
    claims.reset()
    yield tmp_path / "_build"
    claims.reset()


URL = "https://example.org/paper"


def test_numeric_within_and_outside_tolerance(scratch_build):
    ok = claims.check("demo.within", "x", "numeric", 2.0, URL, recomputed=2.01, tolerance=0.01)
    bad = claims.check("demo.outside", "x", "numeric", 2.0, URL, recomputed=2.1, tolerance=0.01, note="off by 5%")
    assert ok.status == "reproduced"
    assert bad.status == "diverges"
    recs = json.loads((scratch_build / "claims" / "demo.json").read_text())
    assert [r["id"] for r in recs] == ["demo.within", "demo.outside"]
    assert set(recs[0]) == set(claims.FIELDS)


def test_absolute_tolerance_and_intervals():
    assert claims.check("demo.abs", "x", "numeric", 0.0, URL, recomputed=0.004, tolerance=0.005, absolute=True).status == "reproduced"
    assert claims.check("demo.iv", "x", "numeric", [3, 8], URL, recomputed=[1.43, 5.0], tolerance=0.1, note="n").status == "diverges"
    assert claims.check("demo.iv2", "x", "numeric", [3, 8], URL, recomputed=[3.1, 7.9], tolerance=0.05).status == "reproduced"


def test_symbolic_claims_need_a_proof():
    a, c = sp.symbols("a c", positive=True)
    assert claims.check("demo.eq", "d", "symbolic", "dC/da = -C/a", URL, recomputed=sp.Eq(sp.diff(c / a, a), -c / a**2)).status == "reproduced"
    assert claims.check("demo.false", "d", "symbolic", "a = 2a", URL, recomputed=sp.Eq(a, 2 * a), note="false").status == "diverges"
    assert claims.check("demo.zero", "d", "symbolic", "0", URL, recomputed=sp.sin(a) ** 2 + sp.cos(a) ** 2 - 1).status == "reproduced"
    with pytest.raises(claims.ClaimError):
        claims.check("demo.bad", "d", "symbolic", "x", URL, recomputed=3.0)


def test_booleans_compare_as_booleans():
    assert claims.check("demo.t", "x", "simulation", True, URL, recomputed=True).status == "reproduced"
    assert claims.check("demo.f", "x", "simulation", True, URL, recomputed=False, note="no").status == "diverges"


def test_unverifiable_needs_a_note():
    with pytest.raises(claims.ClaimError, match="note"):
        claims.check("demo.u", "x", "numeric", 5.0, URL, unverifiable=True)
    c = claims.check("demo.u2", "x", "numeric", 5.0, URL, unverifiable=True, note="inputs not public")
    assert c.status == "unverifiable" and c.recomputed is None


@pytest.mark.parametrize("kwargs, match", [
    (dict(id="nodot", kind="numeric"), "slug"),
    (dict(id="demo.k", kind="guess"), "kind"),
    (dict(id="demo.s", kind="numeric", source="paper"), "URL"),
    (dict(id="demo.t", kind="numeric", tolerance=None), "tolerance"),
])
def test_bad_arguments_are_refused(kwargs, match):
    args = dict(statement="x", published=1.0, source=URL, recomputed=1.0, tolerance=0.1)
    args.update(kwargs)
    with pytest.raises((claims.ClaimError, ValueError), match=match):
        claims.check(**args)


def test_duplicate_ids_refused():
    claims.check("demo.once", "x", "numeric", 1.0, URL, recomputed=1.0, tolerance=0)
    with pytest.raises(claims.ClaimError, match="twice"):
        claims.check("demo.once", "x", "numeric", 1.0, URL, recomputed=1.0, tolerance=0)


def test_diverges_without_note_warns():
    with pytest.warns(UserWarning, match="no note"):
        claims.check("demo.w", "x", "numeric", 1.0, URL, recomputed=2.0, tolerance=0.1)


def test_printed_line_is_deterministic(capsys):
    claims.check("demo.p", "x", "numeric", 1 / 3, URL, recomputed=0.333333, tolerance=1e-3)
    assert capsys.readouterr().out == "✔ reproduced   demo.p: published 0.3333; recomputed 0.3333 (tol 0.001)\n"


def test_collect_orders_by_chapter(scratch_build):
    claims.check("b-ch.one", "x", "numeric", 1.0, URL, recomputed=1.0, tolerance=0)
    claims.check("a-ch.two", "x", "numeric", 1.0, URL, recomputed=1.0, tolerance=0)
    recs = claims.collect(["b-ch", "a-ch", "missing"])
    assert [r["chapter"] for r in recs] == ["b-ch", "a-ch"]
    assert claims.load() == recs


def test_validate_record_flags_problems():
    good = {"chapter": "x", "id": "x.y", "statement": "s", "kind": "numeric", "published": 1, "source": URL,
            "recomputed": 1, "tolerance": 0, "status": "reproduced", "note": ""}
    assert claims.validate_record(good) == []
    assert claims.validate_record(dict(good, status="diverges"))  # no note
    assert claims.validate_record(dict(good, status="maybe"))
    assert claims.validate_record(dict(good, chapter="z"))


def test_published_range_against_one_value():
    assert claims.check("demo.r1", "x", "numeric", [2, 4], URL, recomputed=2.03, tolerance=0).status == "reproduced"
    assert claims.check("demo.r2", "x", "numeric", [2, 4], URL, recomputed=1.95, tolerance=0.05).status == "reproduced"
    assert claims.check("demo.r3", "x", "numeric", [2, 4], URL, recomputed=4.5, tolerance=0.05, note="above").status == "diverges"
    assert claims.check("demo.r4", "x", "numeric", [2, 4], URL, recomputed=1.5, tolerance=0.2, absolute=True, note="below").status == "diverges"
