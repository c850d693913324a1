"""``make new-paper``: scaffold a chapter, its data folder, its example claim, toc and bibliography entries.

The data folder holds two tables: ``example.csv`` (model inputs, extracted from the paper) and
``register.csv`` (the paper's claims register: each claim declared once, with its published value and
the test the book decides it with; one ledger call decides each row). The new files and the two
tables' data-package descriptors are Jinja2 templates in ``templates/new-paper/``.

Everything is checked before anything is written; an existing or malformed slug, an empty title or a
URL that is not http(s) is refused with a clear message and leaves the repository untouched. If a
write fails half-way, the files already written are restored.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from costcorrect.claims import PROBES, READ_IN, REGISTER_KINDS, REGISTER_ORIGINS, TESTS
from costcorrect.paths import repo_root

SLUG = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
CONTRIBUTED = "  - caption: Contributed chapters"
LEDGER_PART = "  - caption: The ledger"


class ScaffoldError(ValueError):
    """The request cannot be scaffolded; nothing was written."""


@cache
def _templates() -> Environment:
    """The scaffold's templates (``templates/new-paper``), with a ``csv`` filter that quotes a field."""
    env = Environment(
        loader=FileSystemLoader(Path(__file__).with_name("templates") / "new-paper"),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["csv"] = lambda text: '"' + str(text).replace('"', '""') + '"'
    return env


def _render(template: str, **context: object) -> str:
    return _templates().get_template(template).render(**context)


def descriptors(slug: str, title: str, url: str) -> list[dict]:
    """The data-package descriptors of the example table and the claims register; every chapter's
    register has this schema (``tests/test_data.py`` checks)."""
    text = _render(
        "resources.yaml.j2",
        slug=slug,
        title=title,
        url=url,
        kinds=list(REGISTER_KINDS),
        origins=list(REGISTER_ORIGINS),
        read_in=list(READ_IN),
        tests=list(TESTS),
        probes=list(PROBES),
    )
    return yaml.safe_load(text)


def _bib_escape(text: str) -> str:
    return (
        text.replace("\\", "")
        .replace("{", "")
        .replace("}", "")
        .replace("&", r"\&")
        .replace("%", r"\%")
        .replace("#", r"\#")
    )


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
    title = title.strip()
    if not title:
        raise ScaffoldError("TITLE is empty")
    if not re.match(r"^https?://\S+$", url or ""):
        raise ScaffoldError(f"URL {url!r} must be an http(s) address of the paper")
    ddir = root / "data" / slug
    toc_path = root / "book" / "_toc.yml"
    bib_path = root / "book" / "references.bib"
    toc = toc_path.read_text(encoding="utf-8")
    bib = bib_path.read_text(encoding="utf-8")
    files = {
        f"notebooks/{slug}.md": "chapter.md.j2",
        f"data/{slug}/example.csv": "example.csv.j2",
        f"data/{slug}/register.csv": "register.csv.j2",
    }
    if (
        (root / "notebooks" / f"{slug}.md").exists()
        or ddir.exists()
        or f"notebooks/{slug}\n" in toc
        or f"{{{slug}," in bib
    ):
        raise ScaffoldError(
            f"slug {slug!r} already exists (notebook, data folder, toc or bibliography entry); choose another"
        )
    if any(n.startswith(slug + "/") for n in data.names()):
        raise ScaffoldError(f"data/datapackage.json already has tables for {slug!r}")

    entry = (
        f"@misc{{{slug},\n  title = {{{_bib_escape(title)}}},\n  year = {{2026}},\n"
        f"  howpublished = {{\\url{{{url}}}}},\n  url = {{{url}}}}}\n"
    )
    backups = {
        toc_path: toc,
        bib_path: bib,
        data.package_path(): data.package_path().read_text(encoding="utf-8"),
    }
    try:
        ddir.mkdir(parents=True)
        for path, template in files.items():
            (root / path).write_text(
                _render(template, slug=slug, title=title, url=url), encoding="utf-8"
            )
        for descriptor in descriptors(slug, title, url):
            data.register(descriptor)
        toc_path.write_text(_toc_with(toc, slug), encoding="utf-8")
        bib_path.write_text(bib.rstrip("\n") + "\n" + entry, encoding="utf-8")
        data.validate(f"{slug}/example")
        data.validate(f"{slug}/register")
    except BaseException:
        for p, old in backups.items():
            p.write_text(old, encoding="utf-8")
        for path in files:
            (root / path).unlink(missing_ok=True)
        if ddir.is_dir():
            ddir.rmdir()
        raise
    return [*files, "data/datapackage.json", "book/_toc.yml", "book/references.bib"]
