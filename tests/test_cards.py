"""Claim cards and the verdict table: compact by default, numbers written for people, the rest folded."""

import re

from conftest import claim_record
from costcorrect import claims
from costcorrect.machinery import pages, reader


def _split(card: str) -> tuple[str, str]:
    """(what the card shows before its <details>, what the <details> hold)."""
    head, _, more = card.partition("<details")
    return head, more


def test_card_shows_status_claim_and_both_numbers_and_folds_the_rest():
    head, more = _split(claims.card_html(claim_record()))
    assert 'class="cc-badge cc-ok">reproduced' in head
    assert "The KV cache takes &lt;this&gt; many bytes per token." in head
    assert "<span>published</span> <strong>524,288 bytes per token</strong>" in head
    assert "<span>this book</span> <strong>524,288 bytes per token</strong>" in head
    for folded in (
        "A note for the details.",
        "Table 2",
        "halved: diverges",
        "evidence: independent",
    ):
        assert folded not in head and folded in more, folded
    assert more.startswith(' class="cc-card-more"><summary>') and "</summary>" in more
    assert 'href="../claims.html#claim-a.kv"' in more and 'href="../claims.html#row-a-kv"' in more


def test_numbers_are_never_written_in_exponent_form():
    for stated in ("5.24288e+05", "524288", ""):
        card = claims.card_html(claim_record(stated=stated, recomputed=5.24288e5 + 0.4))
        shown = re.sub(r"<[^>]+>", " ", _split(card)[0])
        assert not re.search(r"\d[eE][+-]?\d", shown), (stated, shown)
        assert shown.count("524,288 bytes per token") == 2, shown
    assert claims.published_text(claim_record(stated="1.5e-07", unit="s")) == "1.500 × 10⁻⁷ s"
    # the paper's own words, a sign and a year stay as written; words take no unit
    assert claims.published_text(claim_record(stated="+16.6", unit="points")) == "+16.6 points"
    assert claims.published_text(claim_record(stated="2026", unit="")) == "2026"
    assert claims.published_text(claim_record(stated="3–8", unit="x")) == "3–8x"
    assert claims.published_text(claim_record(stated="all six positive")) == "all six positive"
    assert claims.recomputed_text(claim_record(kind="symbolic", recomputed="proven")) == "proven"


def test_unverifiable_and_conditional_cards():
    card = claims.card_html(
        claim_record(status="unverifiable", evidence="none", why="private", recomputed=None)
    )
    head, more = _split(card)
    assert (
        "<span>this book</span> <strong>— (private)</strong>" in head
        and "<dt>why</dt><dd>private" in more
    )
    region = "holds at 1 of 2 declared points: slack=2"
    card = claims.card_html(
        claim_record(
            status="conditional", robustness={"method": "sweep", "region": region, "inputs": {}}
        )
    )
    head, more = _split(card)
    assert 'cc-cond">conditional' in head and region not in head and region in more
    long = claims.card_html(claim_record(stated="a sentence of the paper " * 4, unit=""))
    assert "in words (quoted in the details)" in _split(long)[0]


def test_verdict_table_uses_the_same_formatter():
    table = pages.verdict_table_html([claim_record()])
    assert "<td>524,288 bytes per token</td><td>524,288 bytes per token</td>" in table
    assert "e+05" not in table


def test_cards_are_redrawn_from_the_ledger_at_build_time():
    old = '<div class="cc-card cc-card-diverges" id="card-a.kv" role="group">old</div>'
    new = reader.redraw_card(old, {"a.kv": claim_record()})
    assert new == claims.card_html(claim_record()) and "cc-card-more" in new
    assert reader.redraw_card(old, {}) == old  # no such record: the executed card stays
    assert reader.redraw_card("<p>not a card</p>", {"a.kv": claim_record()}) == "<p>not a card</p>"


def test_launch_buttons_only_for_a_published_book():
    local = reader.launch_options(None)
    assert local["use_repository_button"] is False and local["use_issues_button"] is False
    assert not local["launch_buttons"]["binderhub_url"] and "repository_url" not in local
    assert reader.launch_options("") == local
    published = reader.launch_options("https://github.com/someone/costcorrect-book/")
    assert published["repository_url"] == "https://github.com/someone/costcorrect-book"
    assert published["use_repository_button"] and published["use_issues_button"]
    assert published["launch_buttons"]["binderhub_url"] == "https://mybinder.org"
    assert published["repository_provider"] == "github"  # also on a GitHub Enterprise host


def test_summary_box_shows_the_verdict_counts_and_folds_the_bookkeeping():
    box = pages.chapter_summary_html("a", [claim_record()], 1.5, ["a/t"], [], ["p"])
    shown, _, folded = box.partition('<details class="cc-summary-more">')
    assert "<strong>Ledger.</strong>" in shown and 'cc-ok">1 reproduced' in shown
    for part in ("Execution.", "Tables.", "Rerun.", "<code>data/a/t.csv</code>"):
        assert part not in shown and part in folded.split("</details>")[0], part
    assert folded.index("</aside>") < folded.index("cc-verdicts")
