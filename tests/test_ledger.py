"""The claims ledger written by `make book`: complete, valid, and consistent with the chapters."""

import json
import re

import pytest
from syrupy.extensions.json import JSONSnapshotExtension

from conftest import BUILD, ROOT, require_build
from costcorrect import claims
from costcorrect.machinery import pipeline

pytestmark = pytest.mark.book


@pytest.fixture(scope="module")
def ledger():
    require_build()
    return json.loads((BUILD / "claims.json").read_text())


def test_every_record_is_valid(ledger):
    problems = {r.get("id"): claims.validate_record(r) for r in ledger}
    assert not {k: v for k, v in problems.items() if v}


def test_ids_unique_and_chapters_known(ledger):
    ids = [r["id"] for r in ledger]
    assert len(ids) == len(set(ids))
    assert {r["chapter"] for r in ledger} <= set(pipeline.notebook_slugs(ROOT))


def test_every_chapter_records_claims(ledger):
    chapters = {r["chapter"] for r in ledger}
    missing = [s for s in pipeline.toc_chapters(ROOT) if s not in chapters]
    assert not missing, f"chapters with no claim in the ledger: {missing}"


def test_every_claim_id_is_checked_in_its_notebook(ledger):
    for r in ledger:
        text = (ROOT / "notebooks" / f"{r['chapter']}.md").read_text()
        name = r["id"].split(".", 1)[1]
        # or made by an f-string in a loop, e.g. f"corr-gain-p006-d{d}"
        made = [
            re.escape(t).replace(r"\{", "{").replace(r"\}", "}")
            for t in re.findall(r'f"([^"]*\{[^"]*)"', text)
        ]
        patterns = [re.sub(r"\{[^}]*\}", ".+", m) for m in made]
        patterns = [p for p in patterns if len(p.replace(".+", "")) >= 4]  # a literal part to match
        assert name in text or any(re.fullmatch(p, name) for p in patterns), (
            f"{r['id']} not found in notebooks/{r['chapter']}.md"
        )


def test_claim_cells_are_checked_by_nbval():
    for nb in (ROOT / "notebooks").glob("*.md"):
        for cell in re.findall(r"```\{code-cell\}[^\n]*\n(.*?)```", nb.read_text(), flags=re.S):
            if re.search(r"\.(decide|unverifiable|result)\(", cell):
                assert "# NBVAL_CHECK_OUTPUT" in cell, (
                    f"{nb.name}: a cell deciding a claim lacks # NBVAL_CHECK_OUTPUT"
                )


def test_diverging_and_conditional_claims_are_explained(ledger):
    for r in ledger:
        if r["status"] != "reproduced":
            assert len(r["note"]) >= 20, (
                f"{r['id']} is {r['status']} with too short a note: {r['note']!r}"
            )


def test_every_record_redecides_from_the_file_alone(ledger):
    """The ledger holds everything needed to re-decide each status and evidence grade (the
    whole-range verdict and the falsifiability probe)."""
    changed = {
        r["id"]: (r["status"], r["evidence"], claims.redecide(r))
        for r in ledger
        if claims.redecide(r) != (r["status"], r["evidence"])
    }
    assert not changed, f"records whose stored verdict their own fields do not imply: {changed}"


def test_records_carry_their_register_rows_declaration(ledger, registers):
    """One declaration per claim: a paper or cited record's words, stated value, unit, source,
    locator, test and reading are those of its (first) register row, not typed in the chapter."""
    for r in (r for r in ledger if r["origin"] != "book"):
        row = registers[r["chapter"]][r["rows"][0]]
        assert r["origin"] == (row.get("origin") or "paper"), r["id"]
        assert (r["statement"], r["stated"], r["unit"], r["source"], r["locator"]) == (
            row["claim"],
            row["value"],
            row["unit"],
            row["url"],
            row["locator"],
        ), f"{r['id']}: differs from data/{r['chapter']}/register.csv row {r['rows'][0]!r}"
        assert r["reading"] == row["reading"], r["id"]
        if r["status"] != "unverifiable" and r["kind"] != "symbolic":
            t = claims.row_test(r["chapter"], r["rows"][0], row)
            assert (r["rule"]["bound"], r["published"]) == (t.bound, t.threshold), r["id"]


def test_chapters_never_pass_a_claims_words_or_value():
    """The register holds each claim: no chapter calls the legacy check or reads published.csv."""
    for nb in sorted((ROOT / "notebooks").glob("*.md")):
        text = nb.read_text(encoding="utf-8")
        for legacy in ("claims.check(", "claims.published(", "claims.expect("):
            assert legacy not in text, f"{nb.name}: uses {legacy}"
    assert not list((ROOT / "data").glob("*/published.csv")), (
        "published.csv is replaced by the register"
    )


def test_numeric_and_simulation_verdicts_carry_robustness(ledger):
    for r in ledger:
        if r["kind"] != "symbolic" and r["status"] != "unverifiable":
            assert r["robustness"]["verdict"] == "robust", r["id"]
            assert r["robustness"]["method"] in ("sweep", "interval", "exact"), r["id"]
        if r["kind"] == "simulation" and r["status"] != "unverifiable":
            assert r["robustness"]["method"] in ("sweep", "interval"), (
                f"{r['id']}: one draw is not evidence"
            )
        assert not isinstance(r["recomputed"], bool), (
            f"{r['id']}: records a boolean, not the deciding number"
        )


@pytest.fixture(scope="module")
def registers():
    return {c: claims.register(c) for c in pipeline.toc_chapters(ROOT)}


def test_every_chapter_has_a_claims_register(registers):
    for chapter, rows in registers.items():
        assert rows, f"data/{chapter}/register.csv is empty: the paper's claims go there"


def test_every_register_row_is_decided(ledger, registers):
    """Coverage: each row of each register is decided by a ledger record (a partial record marks it
    partial; it does not reproduce it)."""
    rows = claims.coverage(ledger, registers)
    undecided = [f"{r['chapter']}/{r['id']}" for r in rows if r["status"] == "undecided"]
    assert not undecided, f"register rows no ledger record decides: {undecided}"
    t = claims.register_tally(rows)
    assert t["decided"] == t["rows"] == sum(r["origin"] == "paper" for r in rows)


def test_every_paper_record_names_existing_register_rows(ledger, registers):
    for r in ledger:
        if r["origin"] == "book":
            assert not r["rows"] and not r["partial"], f"{r['id']}: a book result names no row"
            continue
        assert r["rows"], (
            f"{r['id']}: a {r['origin']} record must name the register row(s) it decides"
        )
        missing = [x for x in r["rows"] if x not in registers[r["chapter"]]]
        assert not missing, f"{r['id']}: rows {missing} not in data/{r['chapter']}/register.csv"
        if r["partial"]:
            assert len(r["partial"]) >= 20, f"{r['id']}: partial without a reason"


def test_register_rows_cite_a_url_the_chapter_lists(registers):
    """Where a row was read is an http(s) address, and 'abstract' rows cite the paper's page."""
    for chapter, rows in registers.items():
        for rid, row in rows.items():
            assert row["url"].startswith(("http://", "https://")), f"{chapter}/{rid}: url"
            assert row["claim"].strip() and row["locator"].strip(), f"{chapter}/{rid}: empty cell"


def test_verdicts_match_the_committed_snapshot(ledger, registers, snapshot):
    """No silent verdict changes: `make snapshot` updates the JSON under tests/__snapshots__/ after
    review (the ledger also reads it, to name what changed in an automatic note).

    A pull request that changes any verdict (status, origin, evidence, probe, the recomputed value to
    4 significant digits, the register rows a record decides, the reason a claim is unverifiable,
    and every register row's status) shows the change in this file's diff.
    """
    rows = claims.coverage(ledger, registers)
    got = {**claims.verdicts(ledger), **claims.register_verdicts(rows)}
    assert got == snapshot.use_extension(JSONSnapshotExtension)
    assert (ROOT / claims.SNAPSHOT).is_file(), "the ledger reads the snapshot from claims.SNAPSHOT"


def test_no_automatic_notes_in_the_committed_book(ledger):
    """Every verdict of the committed book is explained by its authors: an automatic note (written
    when a verdict is unexplained or differs from the committed one) is for readers' reruns only."""
    auto = [r["id"] for r in ledger if r["auto_note"]]
    assert not auto, (
        f"records with an automatic note (write the note, review, `make snapshot`): {auto}"
    )


def test_every_counted_reproduction_could_fail_and_holds_everywhere(ledger):
    """A reproduction counts only when it holds at every declared point (or over its whole
    interval) and the falsifiability probe changes its verdict."""
    for r in ledger:
        if r["origin"] == "paper" and r["status"] == "reproduced" and claims.counts(r):
            if r["kind"] != "symbolic":
                assert r["probe"]["verdict"] == "can fail", r["id"]
            assert all(p["status"] == "reproduced" for p in r["robustness"]["points"]) or (
                r["robustness"]["method"] == "interval"
            ), r["id"]


def test_register_readings_are_written():
    """No placeholder reading is left in a register (a qualitative claim's test needs its reason)."""
    for path in sorted((ROOT / "data").glob("*/register.csv")):
        text = path.read_text(encoding="utf-8")
        assert "TODO" not in text, f"{path.relative_to(ROOT)}: a placeholder is left"
