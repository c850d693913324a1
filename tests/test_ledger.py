"""The claims ledger written by `make book`: complete, valid, and consistent with the chapters."""

import json
import re

import pytest

from conftest import BUILD, ROOT, require_build
from costcorrect import claims, pipeline

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
                assert "# NBVAL_CHECK_OUTPUT" in cell, f"{nb.name}: a cell calling claims.check lacks # NBVAL_CHECK_OUTPUT"


def test_diverging_claims_are_explained(ledger):
    for r in ledger:
        if r["status"] != "reproduced":
            assert len(r["note"]) >= 20, f"{r['id']} is {r['status']} with too short a note: {r['note']!r}"
