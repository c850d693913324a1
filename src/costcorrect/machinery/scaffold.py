"""``make new-paper``: scaffold a chapter, its data folder, its example claim, toc and bibliography entries.

The data folder holds two tables: ``example.csv`` (model inputs, extracted from the paper) and
``register.csv`` (the paper's claims register: each claim declared once, with its published value and
the test the book decides it with; one ledger call decides each row).

Everything is checked before anything is written; an existing or malformed slug, an empty title or a
URL that is not http(s) is refused with a clear message and leaves the repository untouched. If a
write fails half-way, the files already written are restored.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from costcorrect.claims import PROBES, READ_IN, REGISTER_KINDS, REGISTER_ORIGINS, TESTS
from costcorrect.paths import repo_root

SLUG = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
CONTRIBUTED = "  - caption: Contributed chapters"
LEDGER_PART = "  - caption: The ledger"


class ScaffoldError(ValueError):
    """The request cannot be scaffolded; nothing was written."""


def _template() -> str:
    return (Path(__file__).parent / "templates" / "chapter.md").read_text(encoding="utf-8")


def _bib_escape(text: str) -> str:
    return (
        text.replace("\\", "")
        .replace("{", "")
        .replace("}", "")
        .replace("&", r"\&")
        .replace("%", r"\%")
        .replace("#", r"\#")
    )


def descriptor(slug: str, title: str, url: str) -> dict:
    """The data-package descriptor of the example table."""
    return {
        "name": f"{slug}/example",
        "path": f"{slug}/example.csv",
        "format": "csv",
        "mediatype": "text/csv",
        "title": f"Example table of '{title}'",
        "description": "Scaffolded example: replace with a table extracted from the paper, "
        "one row per value, with its source.",
        "sources": [{"title": title, "path": url}],
        "schema": {
            "fields": [
                {
                    "name": "quantity",
                    "type": "string",
                    "description": "Name of the quantity",
                    "constraints": {"required": True, "unique": True},
                },
                {
                    "name": "value",
                    "type": "number",
                    "description": "Value (state the unit here)",
                    "constraints": {"required": True},
                },
                {
                    "name": "source",
                    "type": "string",
                    "description": "Citation of the source (paper, arXiv id)",
                },
                {"name": "url", "type": "string", "description": "URL of the source"},
                {
                    "name": "locator",
                    "type": "string",
                    "description": "Table, figure or page in the source",
                },
            ],
            "primaryKey": ["quantity"],
        },
    }


REGISTER_COLUMNS = (
    "id",
    "claim",
    "kind",
    "origin",
    "value",
    "unit",
    "source",
    "url",
    "locator",
    "read_in",
    "test",
    "threshold",
    "tolerance",
    "probe",
    "reading",
)


def register_descriptor(slug: str, title: str, url: str) -> dict:
    """The data-package descriptor of the chapter's claims register ``register.csv`` (the paper's
    claims, one atomic claim per row); every chapter's register has this schema (a test checks)."""

    def text(name: str, description: str, required: bool = True, **more: object) -> dict:
        constraints = {"required": True, **more} if required else dict(more)
        field = {"name": name, "type": "string", "description": description}
        return {**field, "constraints": constraints} if constraints else field

    return {
        "name": f"{slug}/register",
        "path": f"{slug}/register.csv",
        "format": "csv",
        "mediatype": "text/csv",
        "title": f"Claims register: {title}",
        "description": "The paper's claims, each declared once: one atomic claim per row (a number, "
        "range, comparison, direction, condition, 'up to' figure or statement), in this book's words, "
        "with the value as stated and where it was read, and the test the book decides it with "
        "(bound, threshold, tolerance, falsifiability probe and, for a qualitative claim, the reading "
        "that makes it decidable). Rows of origin 'cited' are figures the paper quotes from a cited "
        "source: checked inputs, never counted as the paper's claims.",
        "sources": [{"title": title, "path": url}],
        "schema": {
            "fields": [
                text(
                    "id",
                    "Row id, unique in the chapter; a ledger record names it",
                    unique=True,
                    pattern="[a-z0-9][a-z0-9_-]*",
                ),
                text("claim", "The claim in this book's words"),
                text("kind", "Kind of atomic claim", enum=list(REGISTER_KINDS)),
                text(
                    "origin",
                    "paper (the paper's own claim) or cited (a figure it quotes from a cited source)",
                    enum=list(REGISTER_ORIGINS),
                ),
                text(
                    "value",
                    "The published value or expression as stated (empty for a statement without one)",
                    required=False,
                ),
                text(
                    "unit",
                    "Unit of the value (empty when dimensionless or a statement)",
                    required=False,
                ),
                text("source", "Citation of the source"),
                text("url", "URL of the source", pattern="https?://.+"),
                text("locator", "Where in the source the claim is stated"),
                text(
                    "read_in",
                    "Where this book read it: the abstract, the readable page, or the primary paper",
                    enum=list(READ_IN),
                ),
                text(
                    "test",
                    "How the book decides the row: =, range, >=, <= (against the threshold) or proof "
                    "(a CAS identity); empty when the row is not tested (unverifiable)",
                    required=False,
                    enum=list(TESTS),
                ),
                text(
                    "threshold",
                    "The number the test compares with ('lo;hi' for a range, 'a;b;…' for several "
                    "values); for a qualitative claim the book's reading of it, never the paper's value",
                    required=False,
                    pattern=r"(-?[0-9.eE+-]+(;-?[0-9.eE+-]+)*)?",
                ),
                text(
                    "tolerance",
                    "Slack of a numeric test, fixed before comparing: '25%' (relative), '0.05' "
                    "(absolute, in the row's unit) or '0'",
                    required=False,
                    pattern=r"([0-9.eE+-]+%?)?",
                ),
                text(
                    "probe",
                    "Counterfactual of the falsifiability probe: scale (the threshold halved/doubled) "
                    "or opposite (the opposite bound); empty for the default by kind",
                    required=False,
                    enum=list(PROBES),
                ),
                text(
                    "reading",
                    "For a qualitative claim: how the book turns the sentence into the test, and why",
                    required=False,
                ),
            ],
            "primaryKey": ["id"],
        },
    }


def _register_csv(title: str, url: str) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(REGISTER_COLUMNS)
    w.writerow(
        [
            "example-ratio",
            "Example: the headline ratio is 3 (replace with the paper's claims, one per row).",
            "number",
            "paper",
            "3",
            "ratio",
            title,
            url,
            "replace: where the paper states it (e.g. abstract)",
            "abstract",
            "=",
            "3",
            "5%",
            "",
            "",
        ]
    )
    return buf.getvalue()


def _example_csv(title: str, url: str) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["quantity", "value", "source", "url", "locator"])
    for q, v, loc in (
        ("numerator", 6.0, "replace: table or figure"),
        ("denominator", 2.0, "replace: table or figure"),
    ):
        w.writerow([q, v, title, url, loc])
    return buf.getvalue()


def _toc_with(toc: str, slug: str) -> str:
    entry = f"      - file: notebooks/{slug}\n"
    lines = toc.splitlines(keepends=True)
    if any(ln.rstrip("\n") == CONTRIBUTED for ln in lines):
        i = next(i for i, ln in enumerate(lines) if ln.rstrip("\n") == CONTRIBUTED)
        j = i + 1
        while j < len(lines) and (lines[j].startswith("    ") or not lines[j].strip()):
            j += 1
        while j > i + 1 and not lines[j - 1].strip():
            j -= 1
        return "".join(lines[:j] + [entry] + lines[j:])
    block = f"{CONTRIBUTED}\n    chapters:\n{entry}"
    for i, ln in enumerate(lines):
        if ln.rstrip("\n") == LEDGER_PART:
            return "".join(lines[:i] + [block] + lines[i:])
    return toc.rstrip("\n") + "\n" + block


def new_paper(slug: str, title: str, url: str, root: Path | None = None) -> list[str]:
    """Scaffold chapter ``slug``; returns the paths written (relative to the repository)."""
    from costcorrect import data

    root = root or repo_root()
    if not SLUG.match(slug or ""):
        raise ScaffoldError(
            f"slug {slug!r} is malformed: use lowercase letters, digits and single hyphens, "
            "starting with a letter (e.g. alpha-asymmetry)"
        )
    if not title.strip():
        raise ScaffoldError("TITLE is empty")
    if not re.match(r"^https?://\S+$", url or ""):
        raise ScaffoldError(f"URL {url!r} must be an http(s) address of the paper")
    nb = root / "notebooks" / f"{slug}.md"
    ddir = root / "data" / slug
    toc_path = root / "book" / "_toc.yml"
    bib_path = root / "book" / "references.bib"
    toc = toc_path.read_text(encoding="utf-8")
    bib = bib_path.read_text(encoding="utf-8")
    if nb.exists() or ddir.exists() or f"notebooks/{slug}\n" in toc or f"{{{slug}," in bib:
        raise ScaffoldError(
            f"slug {slug!r} already exists (notebook, data folder, toc or bibliography entry); choose another"
        )
    names = data.names()
    if any(n.startswith(slug + "/") for n in names):
        raise ScaffoldError(f"data/datapackage.json already has tables for {slug!r}")

    text = (
        _template()
        .replace("__SLUG__", slug)
        .replace("__TITLE__", title.strip())
        .replace("__URL__", url)
        .replace("__BIBKEY__", slug)
    )
    entry = (
        f"@misc{{{slug},\n  title = {{{_bib_escape(title.strip())}}},\n  year = {{2026}},\n"
        f"  howpublished = {{\\url{{{url}}}}},\n  url = {{{url}}}}}\n"
    )
    backups = {
        toc_path: toc,
        bib_path: bib,
        data.package_path(): data.package_path().read_text(encoding="utf-8"),
    }
    try:
        ddir.mkdir(parents=True)
        (ddir / "example.csv").write_text(_example_csv(title.strip(), url), encoding="utf-8")
        (ddir / "register.csv").write_text(_register_csv(title.strip(), url), encoding="utf-8")
        data.register(descriptor(slug, title.strip(), url))
        data.register(register_descriptor(slug, title.strip(), url))
        nb.write_text(text, encoding="utf-8")
        toc_path.write_text(_toc_with(toc, slug), encoding="utf-8")
        bib_path.write_text(bib.rstrip("\n") + "\n" + entry, encoding="utf-8")
        data.validate(f"{slug}/example")
        data.validate(f"{slug}/register")
    except BaseException:
        for p, old in backups.items():
            p.write_text(old, encoding="utf-8")
        nb.unlink(missing_ok=True)
        if ddir.exists():
            for f in ddir.iterdir():
                f.unlink()
            ddir.rmdir()
        raise
    return [
        f"notebooks/{slug}.md",
        f"data/{slug}/example.csv",
        f"data/{slug}/register.csv",
        "data/datapackage.json",
        "book/_toc.yml",
        "book/references.bib",
    ]
