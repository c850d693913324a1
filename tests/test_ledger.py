"""The claims ledger written by `make book`: complete, valid, and consistent with the chapters."""

import json
import re

import pytest

from conftest import BUILD, ROOT, require_build
from costcorrect import claims
from costcorrect.build import pipeline

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
        assert name in text, f"{r['id']} not found in notebooks/{r['chapter']}.md"


def test_claim_cells_are_checked_by_nbval():
    for nb in (ROOT / "notebooks").glob("*.md"):
        for cell in re.findall(r"```\{code-cell\}[^\n]*\n(.*?)```", nb.read_text(), flags=re.S):
            if "claims.check(" in cell:
                assert "# NBVAL_CHECK_OUTPUT" in cell, (
                    f"{nb.name}: a cell calling claims.check lacks # NBVAL_CHECK_OUTPUT"
                )


def test_diverging_and_fragile_claims_are_explained(ledger):
    for r in ledger:
        if r["status"] != "reproduced" or r["robustness"]["verdict"] == "fragile":
            assert len(r["note"]) >= 20, (
                f"{r['id']} is {r['status']} with too short a note: {r['note']!r}"
            )


def test_every_record_redecides_from_the_file_alone(ledger):
    """The ledger holds everything needed to re-decide each status and robustness verdict."""
    changed = {
        r["id"]: (r["status"], r["robustness"]["verdict"], claims.redecide(r))
        for r in ledger
        if claims.redecide(r) != (r["status"], r["robustness"]["verdict"])
    }
    assert not changed, f"records whose stored verdict their own fields do not imply: {changed}"


def test_paper_claims_cite_their_published_row(ledger):
    """A paper claim's source and locator are those of a row of data/<slug>/published.csv."""
    import csv

    for r in (r for r in ledger if r["origin"] == "paper"):
        path = ROOT / "data" / r["chapter"] / "published.csv"
        assert path.exists(), f"{r['id']}: no data/{r['chapter']}/published.csv"
        rows = list(csv.DictReader(path.open(encoding="utf-8")))
        assert any(row["url"] == r["source"] for row in rows), (
            f"{r['id']}: source is not a published.csv row"
        )


def test_numeric_and_simulation_verdicts_carry_robustness(ledger):
    for r in ledger:
        if r["kind"] != "symbolic" and r["status"] != "unverifiable":
            assert r["robustness"]["verdict"] in ("robust", "fragile"), r["id"]
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
    assert claims.register_tally(rows)["decided"] == len(rows)


def test_every_paper_record_names_existing_register_rows(ledger, registers):
    for r in ledger:
        if r["origin"] != "paper":
            assert not r["rows"] and not r["partial"], f"{r['id']}: a book result names no row"
            continue
        assert r["rows"], f"{r['id']}: a paper record must name the register row(s) it decides"
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
    """No silent verdict changes: `make snapshot` updates tests/__snapshots__/ after review.

    A pull request that changes any verdict (status, origin, evidence, robustness or the recomputed
    value to 4 significant digits, the register rows a record decides, and every register row's
    status) shows the change in this file's diff.
    """
    rows = claims.coverage(ledger, registers)
    assert {**claims.verdicts(ledger), **claims.register_verdicts(rows)} == snapshot
