import json

import pytest
import sympy as sp

from costcorrect import claims


class _EveryRow(dict):
    """The register of the unit tests' ``demo`` chapter: it holds every row id."""

    def __contains__(self, key: object) -> bool:
        return True


@pytest.fixture(autouse=True)
def scratch_build(tmp_path, monkeypatch):
    monkeypatch.setenv("COSTCORRECT_BUILD", str(tmp_path / "_build"))
    claims.reset()
    claims._registers["demo"] = _EveryRow()
    yield tmp_path / "_build"
    claims.reset()


URL = "https://example.org/paper"


def pub(value, bound="=", unit="x", quantities=("q",)):
    """A published value as `claims.published(...)` hands it out (built directly for unit tests)."""
    return claims.Published(value, bound, unit, URL, "abstract", tuple(quantities))


EXACT = claims.exact("arithmetic on published numbers only")


def paper(id, published, recomputed, tolerance=0.0, **kw):
    kw.setdefault("evidence", "independent")
    kw.setdefault("robustness", EXACT)
    return claims.check(
        id,
        "A statement.",
        kw.pop("kind", "numeric"),
        published,
        recomputed=recomputed,
        tolerance=tolerance,
        origin="paper",
        **kw,
    )


def book(id, expected, recomputed, tolerance=0.0, **kw):
    """A book result checked against its own expectation (``claims.expect``)."""
    kw.setdefault("robustness", EXACT)
    return claims.check(
        id,
        "x",
        "numeric",
        expected,
        recomputed=recomputed,
        tolerance=tolerance,
        origin="book",
        **kw,
    )


def test_numeric_within_and_outside_tolerance(scratch_build):
    ok = paper("demo.within", pub(2.0), 2.01, 0.01)
    bad = paper("demo.outside", pub(2.0), 2.1, 0.01, note="off by 5%: the paper rounds its input")
    assert ok.status == "reproduced"
    assert bad.status == "diverges"
    recs = json.loads((scratch_build / "claims" / "demo.json").read_text())
    assert [r["id"] for r in recs] == ["demo.within", "demo.outside"]
    assert set(recs[0]) == set(claims.FIELDS)
    assert recs[1]["condition"] == "within 1% of 2"


def test_paper_claims_refuse_a_literal_published_value():
    with pytest.raises(claims.ClaimError, match=r"published\.csv"):
        paper("demo.lit", 2.0, 2.0)
    with pytest.raises(claims.ClaimError, match=r"published\.csv"):
        paper("demo.lit2", claims.expect(2.0), 2.0)
    with pytest.raises(claims.ClaimError, match=r"published\.csv"):
        paper("demo.lit3", [3, 8], 5.0)


def test_published_values_come_from_the_table():
    table = claims.published("cost-correct")
    v = table[table.quantities()[0]]
    assert isinstance(v, claims.Published) and v.url.startswith("https://") and v.locator
    with pytest.raises(claims.ClaimError, match="no row"):
        table["no_such_quantity"]


def test_book_results_are_not_paper_claims():
    c = claims.check(
        "demo.b",
        "Our corollary.",
        "numeric",
        claims.expect(1.0, ">="),
        recomputed=1.5,
        tolerance=0,
        origin="book",
        robustness=EXACT,
    )
    assert c.status == "reproduced" and c.evidence is None and c.locator == "this book"
    with pytest.raises(claims.ClaimError, match="evidence"):
        claims.check(
            "demo.b2",
            "x",
            "numeric",
            1.0,
            recomputed=1.0,
            tolerance=0,
            origin="book",
            evidence="independent",
            robustness=EXACT,
        )
    with pytest.raises(claims.ClaimError, match="expect"):
        claims.check(
            "demo.b3",
            "x",
            "numeric",
            pub(1.0),
            recomputed=1.0,
            tolerance=0,
            origin="book",
            robustness=EXACT,
        )


def test_bounds_absolute_tolerance_and_ranges():
    assert paper("demo.abs", pub(0.0), 0.004, 0.005, absolute=True).status == "reproduced"
    assert paper("demo.r1", pub([2, 4], "range"), 2.03).status == "reproduced"
    assert paper("demo.r2", pub([2, 4], "range"), 1.95, 0.05).status == "reproduced"
    assert (
        paper(
            "demo.r3", pub([2, 4], "range"), 4.5, 0.05, note="above the range by 12 percent"
        ).status
        == "diverges"
    )
    assert paper("demo.r4", pub([3, 8], "range"), [3.1, 7.9], 0.05).status == "reproduced"
    assert (
        paper(
            "demo.r5",
            pub([3, 8], "range"),
            [1.43, 5.0],
            0.1,
            note="the low end is half the paper's",
        ).status
        == "diverges"
    )
    assert paper("demo.ge", pub(1.0, ">="), 1.2).status == "reproduced"
    assert (
        paper("demo.le", pub(1.0, "<="), 1.2, note="exceeds the paper's upper bound").status
        == "diverges"
    )


def test_numbers_not_booleans():
    with pytest.raises(claims.ClaimError, match="boolean"):
        paper("demo.bool", pub(1.0), True)


def test_numeric_needs_tolerance_and_robustness():
    with pytest.raises(claims.ClaimError, match="tolerance"):
        paper("demo.t", pub(1.0), 1.0, None)
    with pytest.raises(claims.ClaimError, match="robustness"):
        paper("demo.r", pub(1.0), 1.0, robustness=None)
    with pytest.raises(claims.ClaimError, match="interval or a sweep"):
        paper("demo.s", pub(1.0), 1.0, kind="simulation")


def test_sweep_records_where_the_verdict_flips():
    rob = claims.sweep(lambda slack: 0.5 * slack, slack=[1, 2, 4, 6, 9])
    c = paper(
        "demo.sw",
        pub([2, 4], "range"),
        2.0,
        robustness=rob,
        note="holds only for mid slack; see the chapter's sweep",
    )
    assert c.status == "reproduced" and c.robustness["verdict"] == "fragile"
    assert "diverges at slack=1; slack=2; slack=9" in c.robustness["flips"]
    assert [p["status"] for p in c.robustness["points"]] == [
        "diverges",
        "diverges",
        "reproduced",
        "reproduced",
        "diverges",
    ]
    with pytest.raises(claims.ClaimError, match="fragile"):
        paper("demo.sw2", pub([2, 4], "range"), 2.0, robustness=rob)
    robust = paper(
        "demo.sw3",
        pub(1.0, ">="),
        2.0,
        robustness=claims.sweep(lambda a, b: a + b, a=[1, 2], b=[0, 1]),
    )
    assert robust.robustness["verdict"] == "robust" and len(robust.robustness["points"]) == 4


def test_sweep_in_parallel_matches_serial():
    serial = claims.sweep(lambda x: x * x, x=[1, 2, 3, 4])
    forked = claims.sweep(lambda x: x * x, jobs=2, x=[1, 2, 3, 4])
    assert serial == forked


def test_interval_decides_robustness():
    c = paper(
        "demo.iv",
        pub(3.84, ">="),
        3.9,
        kind="simulation",
        robustness=claims.interval(3.7, 4.1, method="Wilson 95% over shots", n=300),
        note="the interval straddles the bound: more shots needed",
    )
    assert c.status == "reproduced" and c.robustness["verdict"] == "fragile"
    assert c.robustness["reason"] == "Wilson 95% over shots (n = 300)"


def test_symbolic_claims_need_a_proof():
    a, c = sp.symbols("a c", positive=True)
    t = pub("dC/da = -C/a")
    ok = claims.check(
        "demo.eq",
        "d",
        "symbolic",
        t,
        recomputed=sp.Eq(sp.diff(c / a, a), -c / a**2),
        origin="paper",
        evidence="independent",
    )
    assert (
        ok.status == "reproduced"
        and ok.recomputed == "proven"
        and ok.robustness["verdict"] == "n/a"
    )
    bad = claims.check(
        "demo.false",
        "d",
        "symbolic",
        t,
        recomputed=sp.Eq(a, 2 * a),
        origin="paper",
        evidence="independent",
        note="the identity is false as stated",
    )
    assert bad.status == "diverges"
    with pytest.raises(claims.ClaimError):
        claims.check(
            "demo.bad", "d", "symbolic", t, recomputed=3.0, origin="paper", evidence="independent"
        )


def test_unverifiable_needs_a_note_and_evidence_none():
    with pytest.raises(claims.ClaimError, match="note"):
        paper("demo.u", pub(5.0), None, evidence="none", unverifiable=True)
    with pytest.raises(claims.ClaimError, match="none"):
        paper("demo.u1", pub(5.0), None, unverifiable=True, note="inputs not public")
    c = paper(
        "demo.u2", pub(5.0), None, evidence="none", unverifiable=True, note="inputs not public"
    )
    assert c.status == "unverifiable" and c.recomputed is None


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(id="nodot"), "slug"),
        (dict(kind="guess"), "kind"),
        (dict(origin="blog"), "origin"),
        (dict(evidence="strong"), "evidence"),
    ],
)
def test_bad_arguments_are_refused(kwargs, match):
    args = dict(
        id="demo.x",
        statement="x",
        kind="numeric",
        published=pub(1.0),
        recomputed=1.0,
        tolerance=0.1,
        origin="paper",
        evidence="independent",
        robustness=EXACT,
    )
    args.update(kwargs)
    with pytest.raises((claims.ClaimError, ValueError), match=match):
        claims.check(**args)


def test_duplicate_ids_refused():
    paper("demo.once", pub(1.0), 1.0)
    with pytest.raises(claims.ClaimError, match="twice"):
        paper("demo.once", pub(1.0), 1.0)


def test_diverges_needs_an_explaining_note():
    with pytest.raises(claims.ClaimError, match="note"):
        paper("demo.w", pub(1.0), 2.0, 0.1)


def test_printed_block_is_deterministic_and_shows_the_note(capsys):
    paper("demo.p", pub(1 / 3), 0.333333, 1e-3, note="rounded in the paper")
    assert capsys.readouterr().out == (
        "✔ reproduced   demo.p (paper claim)\n"
        "    recomputed 0.3333; condition: within 0.1% of 0.3333\n"
        "    evidence: independent; robustness: robust — arithmetic on published numbers only\n"
        "    note: rounded in the paper\n"
    )


def test_collect_orders_by_chapter(scratch_build):
    claims._registers.update({"a-ch": _EveryRow(), "b-ch": _EveryRow()})
    paper("b-ch.one", pub(1.0), 1.0)
    paper("a-ch.two", pub(1.0), 1.0)
    recs = claims.collect(["b-ch", "a-ch", "missing"])
    assert [r["chapter"] for r in recs] == ["b-ch", "a-ch"]
    assert claims.load() == recs


def test_records_redecide_from_themselves():
    recs = [
        paper("demo.a", pub(2.0), 2.1, 0.01, note="off by 5%: the paper rounds its input"),
        paper(
            "demo.b",
            pub([2, 4], "range"),
            2.0,
            robustness=claims.sweep(lambda s: s, s=[1, 3]),
            note="fragile at low values of s",
        ),
        paper(
            "demo.c", pub(5.0), None, evidence="none", unverifiable=True, note="inputs not public"
        ),
        claims.check(
            "demo.d",
            "s",
            "symbolic",
            pub("x"),
            recomputed=True,
            origin="paper",
            evidence="consistency",
        ),
    ]
    for c in recs:
        rec = json.loads(json.dumps(c.to_json()))
        assert claims.redecide(rec) == (rec["status"], rec["robustness"]["verdict"])
    flipped = dict(json.loads(json.dumps(recs[0].to_json())), recomputed=2.0)
    assert claims.redecide(flipped)[0] == "reproduced"


def test_validate_record_flags_problems():
    good = paper("demo.v", pub(1.0), 1.0).to_json()
    assert claims.validate_record(good) == []
    assert claims.validate_record(dict(good, status="diverges"))  # no note
    assert claims.validate_record(dict(good, status="maybe"))
    assert claims.validate_record(dict(good, chapter="z"))
    assert claims.validate_record(dict(good, origin="book"))  # a book result with an evidence grade
    assert claims.validate_record(dict(good, robustness=dict(good["robustness"], verdict="n/a")))
    assert claims.validate_record({"id": "x.y"})


def test_tally_counts_paper_claims_only():
    paper("demo.t1", pub(1.0), 1.0)
    paper("demo.t2", pub(1.0), 1.0, evidence="consistency")
    paper("demo.t3", pub(1.0), 3.0, note="triples: the paper's input differs")
    book("demo.t4", claims.expect(1.0), 1.0)
    t = claims.tally(c.to_json() for c in claims.chapter_claims("demo"))
    assert t == {
        "paper": 3,
        "reproduced": 2,
        "independent": 1,
        "robust": 2,
        "diverges": 1,
        "unverifiable": 0,
        "book": 1,
    }


def test_card_shows_verdict_evidence_robustness_note_and_links():
    c = paper(
        "demo.card", pub(2.0, unit="x"), 2.1, 0.01, note="off by 5% <because> the paper rounds"
    )
    card = claims.card_html(c.to_json())
    assert 'class="cc-badge cc-bad">diverges' in card
    assert 'href="../claims.html#claim-demo.card"' in card and f'href="{URL}"' in card
    assert "evidence: independent" in card and "robustness: robust" in card
    assert "within 1% of 2" in card and "off by 5% &lt;because&gt; the paper rounds" in card


# --- the claims register -------------------------------------------------------------------------

ROW = {
    "claim": "c",
    "kind": "number",
    "value": "2",
    "unit": "x",
    "url": URL,
    "locator": "l",
    "read_in": "abstract",
}


def test_paper_claims_name_register_rows():
    claims._registers["reg"] = {"two": ROW, "also": ROW}
    rec = paper("reg.two", pub(2.0), 2.0)
    assert rec.rows == ["two"]
    both = paper("reg.other", pub(2.0), 2.0, rows=["two", "also"])
    assert both.rows == ["two", "also"]
    with pytest.raises(claims.ClaimError, match=r"data/reg/register\.csv"):
        paper("reg.missing", pub(2.0), 2.0)
    with pytest.raises(claims.ClaimError, match="names none"):
        book("reg.mine", claims.expect(2.0), 2.0, rows="two")


def test_partial_needs_a_reason_and_does_not_decide_its_row():
    claims._registers["reg"] = {"a": ROW, "b": ROW, "c": ROW, "d": ROW}
    with pytest.raises(claims.ClaimError, match="partial needs a reason"):
        paper("reg.a", pub(2.0), 2.0, partial="weaker")
    paper("reg.a", pub(2.0), 2.0, partial="checks the per-token energy, not the request energy")
    paper("reg.b", pub(2.0), 2.0)
    paper("reg.b2", pub(2.0), 2.0, rows="b")
    paper("reg.b3", pub(2.0), 3.0, rows="c", note="three is not two: the paper rounds its input")
    paper("reg.c", pub(2.0), 2.0)
    recs = [c.to_json() for c in claims.chapter_claims("reg")]
    assert "partial: checks the per-token" in claims.summary_line(recs[0])
    rows = {r["id"]: r for r in claims.coverage(recs, {"reg": claims._registers["reg"]})}
    assert {k: r["status"] for k, r in rows.items()} == {
        "a": "partial",
        "b": "reproduced",
        "c": "diverges",  # one full record diverges: the row diverges
        "d": "undecided",
    }
    assert rows["a"]["partial_records"] == ["reg.a"] and rows["a"]["records"] == []
    assert rows["b"]["records"] == ["reg.b", "reg.b2"]
    t = claims.register_tally(rows.values())
    assert (t["rows"], t["decided"], t["undecided"], t["partial"], t["reproduced"]) == (
        4,
        3,
        1,
        1,
        1,
    )
    assert t["independent"] == 1


def test_records_without_rows_are_invalid():
    claims._registers["reg"] = {"a": ROW}
    rec = paper("reg.a", pub(2.0), 2.0).to_json()
    assert claims.validate_record(rec) == []
    assert "names no register row" in " ".join(claims.validate_record({**rec, "rows": []}))
