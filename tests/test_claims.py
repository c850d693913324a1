"""The ledger's grammar: a claim declared once in its register row, decided in one call over its whole
declared range, with a falsifiability probe and automatic notes for unexplained verdicts."""

import json

import pytest
import sympy as sp

from costcorrect import claims

URL = "https://example.org/paper"


def row(kind="number", test="=", threshold="2", tolerance="5%", probe="", reading="", **kw):
    """A register row as `claims.register` hands it out (all text)."""
    base = {
        "claim": kw.pop("claim", "A claim in our words."),
        "kind": kind,
        "origin": kw.pop("origin", "paper"),
        "value": kw.pop("value", threshold),
        "unit": kw.pop("unit", "x"),
        "source": "Paper 2026",
        "url": URL,
        "locator": "abstract",
        "read_in": "abstract",
        "test": test,
        "threshold": threshold if test not in ("", "proof") else "",
        "tolerance": tolerance if test not in ("", "proof") else "",
        "probe": probe,
        "reading": reading,
    }
    return {**base, **kw}


READING = "The sentence says the design wins; read as a cost ratio of at least one."
REGISTER = {
    "two": row(),
    "two-abs": row(threshold="0", tolerance="0.005"),
    "range": row(kind="range", test="range", threshold="2;4", tolerance="0"),
    "wins": row(kind="comparison", test=">=", threshold="1", tolerance="0", reading=READING),
    "bound": row(
        kind="condition", test="<=", threshold="1", tolerance="0", probe="scale", reading=READING
    ),
    "identity": row(kind="statement", test="proof"),
    "secret": row(kind="number", test=""),
    "cited": row(origin="cited"),
}


@pytest.fixture(autouse=True)
def scratch_build(tmp_path, monkeypatch):
    monkeypatch.setenv("COSTCORRECT_BUILD", str(tmp_path / "_build"))
    claims.reset()
    claims._registers["demo"] = {k: dict(v) for k, v in REGISTER.items()}
    claims._committed = {}
    yield tmp_path / "_build"
    claims.reset()


def chapter() -> claims.Chapter:
    return claims.Chapter("demo")


EXACT = claims.exact("arithmetic on published numbers only")


def test_decide_takes_words_value_and_test_from_the_register(scratch_build):
    c = chapter().decide("two", 2.05, evidence="independent", over=EXACT)
    assert c.status == "reproduced" and c.statement == "A claim in our words."
    assert (c.published, c.rule["bound"], c.rule["tolerance"]) == (2.0, "=", 0.05)
    assert c.condition == "within 5% of 2" and c.rows == ["two"] and c.source == URL
    recs = json.loads((scratch_build / "claims" / "demo.json").read_text())
    assert set(recs[0]) == set(claims.FIELDS)


def test_whole_range_verdict_reproduced_conditional_diverges():
    ch = chapter()
    everywhere = ch.decide(
        "range", 3.0, evidence="independent", over=claims.sweep(lambda a: a, a=[2.5, 3.5])
    )
    assert everywhere.status == "reproduced"
    some = ch.decide(
        "range",
        3.0,
        evidence="independent",
        name="range-some",
        over=claims.sweep(lambda slack: 0.5 * slack, slack=[1, 2, 4, 6, 9]),
        note="holds only for mid slack; see the chapter's sweep",
    )
    assert some.status == "conditional"
    assert some.robustness["region"].startswith("holds at 2 of 5 declared points: slack=4; slack=6")
    assert "fails at slack=1; slack=2; slack=9" in some.robustness["region"]
    nowhere = ch.decide(
        "range",
        9.0,
        evidence="independent",
        name="range-none",
        over=claims.sweep(lambda a: a, a=[5, 6]),
        note="the model never lands in the paper's range",
    )
    assert nowhere.status == "diverges"


def test_a_baseline_that_holds_does_not_hide_failing_points():
    c = chapter().decide(
        "two",
        2.0,
        evidence="independent",
        over=claims.sweep(lambda m: 2.0 * m, m=[1.0, 1.5]),
        note="holds at the declared low efficiency only",
    )
    assert c.status == "conditional"


def test_interval_verdict_covers_the_whole_interval():
    ch = chapter()
    inside = ch.decide(
        "two", 2.0, evidence="independent", over=claims.interval(1.95, 2.05, method="Wilson 95%")
    )
    assert inside.status == "reproduced" and inside.kind == "simulation"
    part = ch.decide(
        "two",
        2.0,
        evidence="independent",
        name="two-part",
        over=claims.interval(1.5, 2.05, method="Wilson 95%"),
        note="the interval is wider than the band",
    )
    assert part.status == "conditional"
    around = ch.decide(
        "two",
        2.0,
        evidence="independent",
        name="two-around",
        over=claims.interval(1.0, 3.0, method="t"),
        note="the band lies inside a wide interval",
    )
    assert around.status == "conditional"
    off = ch.decide(
        "two",
        3.0,
        evidence="independent",
        name="two-off",
        over=claims.interval(2.9, 3.1, method="t"),
        note="the simulation sits 50% above the paper",
    )
    assert off.status == "diverges"


def test_grid_matches_sweep():
    import numpy as np

    a, b = [1.0, 2.0], [0.0, 1.0, 3.0]
    swept = claims.sweep(lambda a, b: a + b, a=a, b=b)
    A, B = np.meshgrid(a, b, indexing="ij")
    gridded = claims.grid(A + B, a=a, b=b)
    assert swept == gridded
    with pytest.raises(claims.ClaimError, match="shape"):
        claims.grid(np.zeros((3, 2)), a=a, b=b)


def test_probe_grades_a_check_that_cannot_fail_as_vacuous():
    ch = chapter()
    tight = ch.decide("bound", 0.8, evidence="independent", over=EXACT)
    assert tight.status == "reproduced" and tight.evidence == "independent"
    assert tight.probe["verdict"] == "can fail" and "≤ 0.5" in tight.probe["text"]
    loose = ch.decide("bound", 0.06, evidence="independent", over=EXACT, name="bound-loose")
    assert loose.status == "reproduced" and loose.evidence == "vacuous"
    assert loose.probe["verdict"] == "cannot fail"
    t = claims.tally(r.to_json() for r in claims.chapter_claims("demo"))
    assert t["reproduced"] == 1 and t["vacuous"] == 1


def test_probe_counterfactuals_by_bound():
    eq = claims.counterfactuals({"bound": "=", "tolerance": 0.1, "absolute": False}, 4.0, "scale")
    assert [p for _, _, p in eq] == [2.0, 8.0]
    rg = claims.counterfactuals(
        {"bound": "range", "tolerance": 0, "absolute": False}, [2, 4], "scale"
    )
    assert [p for _, _, p in rg] == [[0.0, 2.0], [4.0, 6.0]]
    opp = claims.counterfactuals(
        {"bound": ">=", "tolerance": 0, "absolute": False}, 1.0, "opposite"
    )
    assert opp[0][1]["bound"] == "<="
    # a comparison at its boundary holds both ways: the check cannot tell the claim from its opposite
    c = chapter().decide("wins", 1.0, evidence="independent", over=EXACT)
    assert c.evidence == "vacuous"
    assert (
        chapter().decide("wins", 1.4, evidence="independent", over=EXACT, name="w2").evidence
        == "independent"
    )


def test_the_probe_changes_verdicts_of_a_sensitive_check():
    c = chapter().decide("two", 2.0, evidence="independent", over=EXACT)
    assert [cf["status"] for cf in c.probe["counterfactuals"]] == ["diverges", "diverges"]


def test_unexplained_verdicts_get_an_automatic_note_not_an_error():
    claims._committed = {"demo.two": {"status": "reproduced", "recomputed": "2"}}
    c = chapter().decide("two", 2.5, evidence="independent", over=EXACT)
    assert c.status == "diverges" and c.auto_note
    assert c.note.startswith("Automatic note: the book's committed verdict is reproduced")
    assert "this run gives diverges (recomputed 2.5)" in c.note
    explained = chapter().decide(
        "two-abs",
        0.004,
        evidence="independent",
        over=EXACT,
        note="a fine explanation of the result",
    )
    assert not explained.auto_note


def test_a_changed_verdict_with_a_note_is_flagged_too():
    claims._committed = {"demo.two": {"status": "diverges", "recomputed": "3"}}
    c = chapter().decide(
        "two", 2.0, evidence="independent", over=EXACT, note="used to diverge, see text"
    )
    assert c.status == "reproduced" and c.auto_note and "committed verdict is diverges" in c.note


def test_register_errors_name_file_row_and_column():
    bad = {"x": row(test="~")}
    with pytest.raises(claims.ClaimError, match=r"data/demo/register.csv, row 'x'.*column 'test'"):
        claims.row_test("demo", "x", bad["x"])
    with pytest.raises(claims.ClaimError, match="column 'threshold'"):
        claims.row_test("demo", "x", row(threshold="two"))
    with pytest.raises(claims.ClaimError, match="column 'tolerance'"):
        claims.row_test("demo", "x", row(tolerance=""))
    with pytest.raises(claims.ClaimError, match="column 'reading'"):
        claims.row_test("demo", "x", row(kind="direction", test=">=", threshold="0", reading=""))
    with pytest.raises(claims.ClaimError, match="a range is 'lo;hi'"):
        claims.row_test("demo", "x", row(test="range", threshold="1"))
    with pytest.raises(claims.ClaimError, match="no row 'nope'"):
        chapter().decide("nope", 1.0, evidence="independent", over=EXACT)


def test_tolerances_absolute_and_relative():
    t = claims.row_test("demo", "a", row(threshold="0", tolerance="0.005"))
    assert (t.tolerance, t.absolute) == (0.005, True)
    assert (
        chapter().decide("two-abs", 0.004, evidence="independent", over=EXACT).status
        == "reproduced"
    )
    t = claims.row_test("demo", "a", row(tolerance="25%"))
    assert (t.tolerance, t.absolute) == (0.25, False)


def test_numbers_not_booleans_and_robustness_required():
    with pytest.raises(claims.ClaimError, match="boolean"):
        chapter().decide("two", True, evidence="independent", over=EXACT)
    with pytest.raises(claims.ClaimError, match="over="):
        chapter().decide("two", 2.0, evidence="independent")
    with pytest.raises(claims.ClaimError, match="interval or a sweep"):
        chapter().decide("two", 2.0, evidence="independent", over=EXACT, kind="simulation")
    with pytest.raises(claims.ClaimError, match="evidence"):
        chapter().decide("two", 2.0, evidence="none", over=EXACT)


def test_a_row_without_a_test_cannot_be_decided_only_left_unverifiable():
    with pytest.raises(claims.ClaimError, match="declares no test"):
        chapter().decide("secret", 1.0, evidence="independent", over=EXACT)
    with pytest.raises(claims.ClaimError, match="say why"):
        chapter().unverifiable(
            "secret", why="unknown", note="the trace was never published anywhere"
        )
    c = chapter().unverifiable(
        "secret", why="private", note="the trace was never published anywhere"
    )
    assert (c.status, c.evidence, c.why) == ("unverifiable", "none", "private")


def test_symbolic_rows_need_a_proof():
    a = sp.symbols("a", positive=True)
    ok = chapter().decide("identity", sp.Eq(a * 2, a + a), evidence="consistency")
    assert ok.status == "reproduced" and ok.recomputed == "proven" and ok.kind == "symbolic"
    bad = chapter().decide(
        "identity",
        sp.Eq(a * 2, a),
        evidence="consistency",
        name="identity-bad",
        note="the stated identity fails for positive a",
    )
    assert bad.status == "diverges"


def test_book_results_are_shown_never_counted():
    c = chapter().result("corollary", "Our corollary.", 1.5, expect=(">=", 1), over=EXACT)
    assert c.origin == "book" and c.evidence is None and c.status == "reproduced"
    assert c.probe["verdict"] == "n/a" and c.rows == []
    t = claims.tally([c.to_json()])
    assert t["paper"] == 0 and t["book"] == 1


def test_cited_figures_are_checked_inputs_not_paper_claims():
    c = chapter().decide("cited", 2.0, evidence="independent", over=EXACT)
    assert c.origin == "cited"
    rows = claims.coverage([c.to_json()], {"demo": claims._registers["demo"]})
    t = claims.register_tally(rows)
    assert t["cited"] == 1 and t["rows"] == len(REGISTER) - 1


def test_partial_records_do_not_decide_their_row():
    ch = chapter()
    with pytest.raises(claims.ClaimError, match="partial needs a reason"):
        ch.decide("two", 2.0, evidence="independent", over=EXACT, partial="short")
    p = ch.decide(
        "two",
        2.0,
        evidence="independent",
        over=EXACT,
        partial="checks the ratio but not the 20% cost cut",
    )
    rows = {r["id"]: r for r in claims.coverage([p.to_json()], {"demo": claims._registers["demo"]})}
    assert rows["two"]["status"] == "partial" and rows["range"]["status"] == "undecided"


def test_coverage_precedence_and_unverifiable_reasons():
    ch = chapter()
    recs = [
        ch.decide("two", 2.0, evidence="independent", over=EXACT),
        ch.decide(
            "two",
            3.0,
            evidence="independent",
            over=EXACT,
            name="two-b",
            note="a second check disagrees",
        ),
        ch.decide(
            "range",
            3.0,
            evidence="independent",
            over=claims.sweep(lambda a: a, a=[3, 5]),
            note="holds at low a only",
        ),
        ch.unverifiable(
            "secret", why="not retrieved", note="Appendix B of the paper is not reachable here"
        ),
    ]
    rows = {
        r["id"]: r
        for r in claims.coverage([r.to_json() for r in recs], {"demo": claims._registers["demo"]})
    }
    assert rows["two"]["status"] == "diverges"
    assert rows["range"]["status"] == "conditional"
    assert rows["secret"]["status"] == "unverifiable" and rows["secret"]["why"] == "not retrieved"
    t = claims.register_tally(rows.values())
    assert t["not retrieved"] == 1 and t["conditional"] == 1 and t["diverges"] == 1


def test_records_redecide_from_themselves():
    ch = chapter()
    recs = [
        ch.decide("two", 2.0, evidence="independent", over=EXACT).to_json(),
        ch.decide("bound", 0.06, evidence="independent", over=EXACT).to_json(),
        ch.decide(
            "range",
            3.0,
            evidence="independent",
            over=claims.sweep(lambda a: a, a=[3, 5]),
            note="only for low a",
        ).to_json(),
    ]
    for r in recs:
        assert claims.redecide(r) == (r["status"], r["evidence"])
    forged = dict(recs[1], evidence="independent")
    assert claims.redecide(forged) != (forged["status"], forged["evidence"])


def test_validate_record_flags_problems():
    good = chapter().decide("two", 2.0, evidence="independent", over=EXACT).to_json()
    assert claims.validate_record(good) == []
    assert claims.validate_record(dict(good, status="maybe"))
    assert claims.validate_record(dict(good, rows=[]))
    assert "missing fields" in claims.validate_record({"id": "demo.x"})[0]
    unv = (
        chapter()
        .unverifiable("secret", why="private", note="the trace was never published")
        .to_json()
    )
    assert claims.validate_record(dict(unv, why="")) == [
        f"unverifiable without a reason in {claims.WHY_UNVERIFIABLE}"
    ]


def test_printed_block_is_deterministic(capsys):
    chapter().decide("bound", 0.06, evidence="independent", over=EXACT)
    out = capsys.readouterr().out
    assert out.startswith("✔ reproduced   demo.bound (paper claim)")
    assert "evidence: vacuous" in out and "probe: cannot fail — ≤ 0.5" in out


def test_card_shows_reading_probe_region_and_links():
    c = chapter().decide(
        "wins",
        1.4,
        evidence="independent",
        over=claims.sweep(lambda a: a, a=[0.5, 2.0]),
        note="only <above> a=1",
    )
    card = claims.card_html(c.to_json())
    assert 'class="cc-badge cc-cond">conditional' in card
    assert "reading</dt><dd>The sentence says" in card and "falsifiability" in card
    assert "region</dt><dd>holds at 1 of 2" in card and "only &lt;above&gt; a=1" in card
    assert 'href="../claims.html#claim-demo.wins"' in card and f'href="{URL}"' in card


def test_duplicate_ids_refused():
    chapter().decide("two", 2.0, evidence="independent", over=EXACT)
    with pytest.raises(claims.ClaimError, match="twice"):
        chapter().decide("two", 2.0, evidence="independent", over=EXACT)


def test_collect_orders_by_chapter(scratch_build):
    chapter().decide("two", 2.0, evidence="independent", over=EXACT)
    recs = claims.collect(["demo", "absent"])
    assert [r["id"] for r in recs] == ["demo.two"]
    assert json.loads((scratch_build / "claims.json").read_text()) == recs


def test_value_reads_a_rows_threshold_as_a_model_input():
    assert chapter().value("range") == [2.0, 4.0]
    with pytest.raises(claims.ClaimError, match="no numeric threshold"):
        chapter().value("identity")


def test_every_chapter_register_parses():
    """The real registers load: every row's test columns are well formed."""
    from costcorrect.machinery import pipeline
    from costcorrect.paths import repo_root

    for slug in pipeline.toc_chapters(repo_root()):
        claims._registers.pop(slug, None)
        assert claims.register(slug), slug
