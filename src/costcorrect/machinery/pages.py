"""Generated page fragments of the book, written from the ledger, timings and lock file.

The hand-written pages in ``book/`` include these fragments (``_generated/<name>``), so a number on a
page is never typed by hand: the claims dashboard, the status counts on the landing page and the
reproducibility table all come from ``_build/claims.json``, ``_build/timings.json`` and the lock file.
"""

from __future__ import annotations

import ast
import json
import re
from collections import Counter
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from costcorrect.claims import (
    EVIDENCE,
    READ_IN,
    ROW_STATUSES,
    STATUSES,
    WHO,
    WHY_UNVERIFIABLE,
    badge,
    coverage,
    fmt,
    published_text,
    recomputed_text,
    register,
    register_tally,
    tally,
)
from costcorrect.paths import build_dir

TEMPLATES = Path(__file__).with_name("templates")


@cache
def _templates() -> Environment:
    """The page templates (``templates/*.j2``): HTML ones autoescaped, Markdown ones not; ``badge``
    (already HTML) is marked ``| safe`` where used."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html.j2"], default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals.update(badge=badge, fmt=fmt, who=WHO)
    return env


def render(template: str, **context: object) -> str:
    """``templates/<template>`` rendered with ``context``."""
    return _templates().get_template(template).render(**context)


def register_rows(records: list[dict], order: list[str]) -> list[dict]:
    """Every chapter's claims register (in book order) with each row's status from the ledger."""
    from costcorrect import data

    have = {n.split("/", 1)[0] for n in data.names() if n.endswith("/register")}
    return coverage(records, {c: register(c) for c in in_book_order(have, order)})


def in_book_order(chapters: set[str], order: list[str]) -> list[str]:
    """``chapters`` in book order (``order``), then any others sorted."""
    return [c for c in order if c in chapters] + sorted(chapters - set(order))


def register_sentence(rows: list[dict], chapters: int) -> str:
    """'N of M claims decided (…)' over register rows, with the undecided ones named."""
    return render("register-sentence.md.j2", t=register_tally(rows), rows=rows, chapters=chapters)


def _ledger() -> list[dict]:
    path = build_dir() / "claims.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else []


def _titles(root: Path) -> dict[str, str]:
    """Chapter titles: the first ``# `` heading of each notebook."""
    out = {}
    for nb in (root / "notebooks").glob("*.md"):
        for line in nb.read_text(encoding="utf-8").splitlines():
            if line.startswith("# "):
                out[nb.stem] = line[2:].strip()
                break
    return out


def counts_markdown(records: list[dict], rows: list[dict] | None = None) -> str:
    """The landing-page sentences: register coverage (the papers' claims, decided by the ledger), then
    the ledger's paper records reproduced (independently), and the rest."""
    return render(
        "counts.md.j2",
        sentence=register_sentence(rows, len({r["chapter"] for r in rows})) if rows else "",
        t=tally(records),
        n=len(records),
        chapters=len({r["chapter"] for r in records}),
    )


FILTERS = ("chapter", "status", "origin", "evidence", "probe")


def register_html(
    rows: list[dict], titles: dict[str, str], records: list[dict] | None = None
) -> str:
    """The claims registers as one filterable table: every row of every paper, its status, and the
    ledger records that decide it (each with its own status; partial ones marked, so a failed
    partial check stays visible), linked to their rows below (``templates/register.html.j2``)."""
    status = {
        r["id"]: r["status"] + (", partial" if r.get("partial") else "") for r in records or []
    }
    chapters = list(dict.fromkeys(r["chapter"] for r in rows))
    opts = {
        "chapter": [(c, titles.get(c, c)) for c in chapters],
        "status": ROW_STATUSES,
        "why": WHY_UNVERIFIABLE,
        "origin": [("paper", "paper's claim"), ("cited", "cited figure")],
        "read": READ_IN,
    }
    return render("register.html.j2", rows=rows, titles=titles, status=status, opts=opts)


def register_coverage_markdown(rows: list[dict], titles: dict[str, str]) -> str:
    """Per chapter: register rows and how the ledger decides them (a Markdown table)."""
    if not rows:
        return "No claims register found.\n"
    chapters = list(dict.fromkeys(r["chapter"] for r in rows))
    return render(
        "register-coverage.md.j2",
        sentence=register_sentence(rows, len(chapters)),
        statuses=ROW_STATUSES,
        chapters=[
            (c, titles.get(c, c), register_tally(r for r in rows if r["chapter"] == c))
            for c in chapters
        ],
    )


def dashboard_html(records: list[dict], order: list[str], titles: dict[str, str]) -> str:
    """The claims dashboard: one sortable, filterable table (plain HTML + a small local script;
    ``templates/dashboard.html.j2``).

    Filters: chapter, status, origin, evidence and probe; each row shows the condition the
    recomputed number was held to, the region where a conditional verdict holds, the falsifiability
    probe, and the note.
    """
    chapters = in_book_order({r["chapter"] for r in records}, order)
    rank = {c: i for i, c in enumerate(chapters)}
    recs = sorted(records, key=lambda r: (rank[r["chapter"]], r["id"]))
    opts = {
        "chapter": [(c, titles.get(c, c)) for c in chapters],
        "status": STATUSES,
        "origin": [("paper", "paper claim"), ("cited", "cited figure"), ("book", "book result")],
        "evidence": [*EVIDENCE, ("—", "— (book result)")],
        "probe": ["can fail", "cannot fail", "can change", "cannot change", "n/a"],
    }
    return render("dashboard.html.j2", records=recs, titles=titles, opts=opts)


def status_chart_html(records: list[dict], order: list[str], titles: dict[str, str]) -> str:
    """An interactive bar chart of claim statuses per chapter (drawn by the book's local Vega bundle;
    Vega-Lite counts the records)."""
    import altair as alt

    from costcorrect.figures import STATUS_COLORS, Figure

    rows = [
        {"chapter": titles.get(r["chapter"], r["chapter"]), "status": r["status"]}
        for r in records
        if r["origin"] == "paper"
    ]
    if not rows:
        return "<p>No claims recorded yet: run <code>make book</code>.</p>\n"
    chart = (
        alt.Chart(alt.Data(values=rows))
        .mark_bar()
        .encode(
            y=alt.Y("chapter:N", sort=[titles.get(c, c) for c in order], title=None),
            x=alt.X("count():Q", title="claims", stack="zero"),
            color=alt.Color(
                "status:N",
                scale=alt.Scale(domain=list(STATUS_COLORS), range=list(STATUS_COLORS.values())),
                legend=alt.Legend(orient="bottom", title=None),
            ),
            order=alt.Order("status:N"),
            tooltip=["chapter:N", "status:N", alt.Tooltip("count():Q", title="claims")],
        )
        .properties(width=460, height=alt.Step(18), title="Paper claims by chapter and status")
    )
    return Figure("book.claim-status", chart.to_dict(), svg="").html() + "\n"


def lock_versions(root: Path) -> list[tuple[str, str]]:
    """(package, version) pairs pinned in ``requirements.lock``."""
    lock = root / "requirements.lock"
    pins = []
    for line in lock.read_text(encoding="utf-8").splitlines() if lock.exists() else []:
        name, pinned, version = line.split("#", 1)[0].split(";", 1)[0].partition("==")
        if pinned:
            pins.append((name.strip(), version.strip()))
    return pins


def reproducibility_markdown(
    root: Path, records: list[dict], order: list[str], titles: dict[str, str]
) -> str:
    """Environment and per-chapter execution time and claim counts."""
    import platform

    tpath = build_dir() / "timings.json"
    timings = json.loads(tpath.read_text()) if tpath.exists() else {}
    chapters = [
        (
            ch,
            titles.get(ch, ch),
            timings.get(ch),
            Counter(r["status"] for r in records if r["chapter"] == ch and r["origin"] == "paper"),
            sum(r["chapter"] == ch and r["origin"] == "book" for r in records),
        )
        for ch in order
    ]
    return render(
        "reproducibility.md.j2",
        chapters=chapters,
        total=sum(v for v in timings.values() if isinstance(v, (int, float))),
        python=platform.python_version(),
        pins={name.lower().replace("_", "-"): (name, v) for name, v in lock_versions(root)},
    )


def model_parts(root: Path) -> dict[str, tuple[str, list[str]]]:
    """The model modules by part: part -> (title, dotted module names), parts in the order of their
    pages in ``book/_toc.yml`` (``models/<part>``), then any other; a part's title is the first line
    of its package's docstring."""
    base = root / "src" / "costcorrect" / "models"
    found = {p.parent.name for p in base.glob("*/__init__.py")}
    toc = (root / "book" / "_toc.yml").read_text(encoding="utf-8")
    out = {}
    for part in in_book_order(found, re.findall(r"file: models/(\w+)", toc)):
        doc = ast.get_docstring(
            ast.parse((base / part / "__init__.py").read_text(encoding="utf-8"))
        )
        modules = [
            f"costcorrect.models.{part}.{mod.stem}"
            for mod in sorted((base / part).glob("*.py"))
            if mod.name != "__init__.py"
        ]
        out[part] = ((doc or part).splitlines()[0].rstrip("."), modules)
    return out


def model_page(module: str) -> str:
    """Where a model module is documented, relative to the book root (one page per part, so an edit
    to one module re-reads one part's page, not the whole reference)."""
    return f"models/{module.split('.')[2]}.html#module-{module}"


def models_pages(root: Path) -> dict[str, str]:
    """The Models reference: an index (``_generated/models.md``) and one page per part
    (``models/<part>.md``) with an ``automodule`` per module."""
    parts = model_parts(root)
    index = [
        f"- [{title}](models/{part}.md): " + ", ".join(f"`{m.rsplit('.', 1)[1]}`" for m in mods)
        for part, (title, mods) in parts.items()
    ]
    out = {
        "_generated/models.md": "\n".join(index) + "\n" if index else "No model modules found.\n"
    }
    for part, (title, mods) in parts.items():
        out[f"models/{part}.md"] = render("models-part.md.j2", title=title, modules=mods)
    return out


def help_wanted_markdown(rows: list[dict], titles: dict[str, str], records: list[dict]) -> str:
    """The register rows left unverifiable because a public document is not reachable here, with
    the document and section a contributor needs (from each deciding record's note), by chapter."""
    notes = {x["id"]: x.get("note", "") for x in records}
    want = [
        (
            r,
            titles.get(r["chapter"], r["chapter"]),
            r["claim"].replace("|", "\\|"),
            " ".join(notes.get(x, "") for x in r["records"]).replace("|", "\\|"),
        )
        for r in rows
        if r["status"] == "unverifiable" and r.get("why") == "not retrieved"
    ]
    return render("help-wanted.md.j2", want=want)


def generated(root: Path) -> dict[str, str]:
    """Every generated page or fragment, by its path in the staged source tree (``_build/src``)."""
    from costcorrect.machinery.pipeline import toc_chapters

    records = _ledger()
    order = toc_chapters(root)
    titles = _titles(root)
    rows = register_rows(records, order) if records else []
    return {
        "_generated/claim-counts.md": counts_markdown(records, rows),
        "_generated/ledger-counts.md": counts_markdown(records),
        "_generated/register-coverage.md": register_coverage_markdown(rows, titles),
        "_generated/register-dashboard.html": register_html(rows, titles, records),
        "_generated/claims-dashboard.html": dashboard_html(records, order, titles),
        "_generated/claim-status-chart.html": status_chart_html(records, order, titles),
        "_generated/reproducibility.md": reproducibility_markdown(root, records, order, titles),
        "_generated/help-wanted.md": help_wanted_markdown(rows, titles, records),
        **models_pages(root),
    }


def _first_sentence(text: str, limit: int = 160) -> str:
    """The first sentence of a note (cut at ``limit`` characters), for one-line reasons."""
    m = re.match(r"(.+?[.;])(\s|$)", text.strip())
    out = (m.group(1) if m else text.strip()).rstrip(";")
    return out if len(out) <= limit else out[: limit - 1].rstrip() + "…"


def verdict_table_html(records: list[dict]) -> str:
    """The chapter's verdicts at a glance: each paper claim (and cited figure) in a row — the claim,
    the value as published, the book's number, the status and a one-line reason — linked to its
    claim card further down the page (``templates/verdicts.html.j2``). Book results are left to the
    text."""
    rows = []
    for r in records:
        if r["origin"] == "book":
            continue
        published = published_text(r)
        if len(published) > 60:  # a sentence: the claim says it, the card quotes it
            published = "in words (see the card)"
        if r["status"] == "unverifiable":
            why = f"{r['why']}: {_first_sentence(r['note'])}"
        elif r["robustness"].get("region"):
            why = r["robustness"]["region"].split(" — ")[0].split(":")[0]  # "holds at 15 of 45 …"
        elif r.get("evidence") == "vacuous":
            why = "the check cannot fail (falsifiability probe)"
        else:
            why = _first_sentence(r.get("note") or r["condition"])
        tags = ["cited figure"] * (r["origin"] == "cited") + ["partial"] * bool(r.get("partial"))
        rows.append(dict(r, published=published, ours=recomputed_text(r), why=why, tags=tags))
    return render("verdicts.html.j2", rows=rows) if rows else ""


def chapter_summary_html(
    slug: str,
    records: list[dict],
    seconds: float | None,
    tables: list[str],
    modules: list[str],
    parameters: list[str],
    rows: list[dict] | None = None,
) -> str:
    """The box at the top of a chapter: its claims by status, execution time, the tables and model
    modules it uses (linked to the Models reference), how to rerun it, and the executed notebook;
    then the verdict table (``templates/summary.html.j2``)."""
    rt = register_tally(rows) if rows else {}
    return render(
        "summary.html.j2",
        slug=slug,
        t=tally(records),
        by_status=Counter(r["status"] for r in records if r["origin"] == "paper"),
        statuses=STATUSES,
        rows=rows,
        rt=rt,
        row_statuses=ROW_STATUSES,
        whys=WHY_UNVERIFIABLE,
        leftovers=[
            (what, [r for r in rows or [] if r["status"] == s])
            for s, what in (("partial", "Only partly checked"), ("undecided", "Not decided"))
        ],
        seconds=seconds,
        tables=tables,
        modules=[(m, model_page(m)) for m in modules],
        parameters=parameters,
        verdicts=verdict_table_html(records),
    )
