"""Generated page fragments of the book, written from the ledger, timings and lock file.

The hand-written pages in ``book/`` include these fragments (``_generated/<name>``), so a number on a
page is never typed by hand: the claims dashboard, the status counts on the landing page and the
reproducibility table all come from ``_build/claims.json``, ``_build/timings.json`` and the lock file.
"""

from __future__ import annotations

import html
import json
from collections import Counter
from pathlib import Path

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


def register_rows(records: list[dict], order: list[str]) -> list[dict]:
    """Every chapter's claims register (in book order) with each row's status from the ledger."""
    from costcorrect import data

    have = {n.split("/", 1)[0] for n in data.names() if n.endswith("/register")}
    chapters = [c for c in order if c in have] + sorted(have - set(order))
    return coverage(records, {c: register(c) for c in chapters})


def register_sentence(rows: list[dict], chapters: int) -> str:
    """'N of M claims decided (…)' over register rows, with the undecided ones named."""
    t = register_tally(rows)
    s = (
        f"**{t['decided']} of {t['rows']} claims decided** in the claims registers of {chapters} "
        f"papers: **{t['reproduced']}** reproduced over their whole declared range "
        f"({t['independent']} independently), **{t['conditional']}** conditional (hold over part of "
        f"it), **{t['diverges']}** diverge, **{t['unverifiable']}** unverifiable "
        f"({t['private']} private data, {t['not retrieved']} not retrieved, {t['not empirical']} "
        f"not empirical), **{t['partial']}** only partly checked or checked in a way that cannot fail"
        + (
            f" (and {t['cited']} figures quoted from cited sources, checked as inputs)"
            if t["cited"]
            else ""
        )
    )
    if t["undecided"]:
        left = ", ".join(f"`{r['chapter']}/{r['id']}`" for r in rows if r["status"] == "undecided")
        return s + f"; **{t['undecided']} not decided by any record**: {left}."
    return s + "; none is left undecided."


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
    t = tally(records)
    chapters = len({r["chapter"] for r in records})
    head = (
        register_sentence(rows, len({r["chapter"] for r in rows})) + "\n\nIn the ledger, "
        if rows
        else ""
    )
    return head + (
        f"**{t['reproduced']} of {t['paper']} paper-claim records reproduced** over their whole "
        f"declared range by a check that could have failed ({t['independent']} independently); "
        f"**{t['conditional']}** are conditional, **{t['diverges']}** diverge, "
        f"**{t['unverifiable']}** are unverifiable, and **{t['vacuous']}** hold only by a check the "
        "falsifiability probe shows cannot fail (not counted). "
        f"The chapters also record **{t['book']}** results of this book's own, which never count as "
        f"reproductions. ({len(records)} ledger records from {chapters} chapters.)\n"
    )


FILTERS = ("chapter", "status", "origin", "evidence", "probe")


def _filters(label: str, opts: dict[str, list[tuple[str, str]]]) -> list[str]:
    """The filter form of a dashboard table: one labelled <select> per attribute."""
    out = [f'<form class="cc-filters" aria-label="{html.escape(label)}">']
    for f, choices in opts.items():
        options = "".join(
            f'<option value="{html.escape(v)}">{html.escape(lab)}</option>' for v, lab in choices
        )
        out.append(
            f'<label>{f} <select data-filter="{f}"><option value="">all</option>{options}</select></label>'
        )
    out.append('<span class="cc-shown" aria-live="polite"></span></form>')
    return out


def _head(heads: list[str], cls: str = "cc-claims cc-sortable") -> str:
    return (
        f'<div class="cc-scroll"><table class="{cls}"><thead><tr>'
        + "".join(f'<th scope="col"><button type="button">{h}</button></th>' for h in heads)
        + "</tr></thead><tbody>"
    )


def register_html(
    rows: list[dict], titles: dict[str, str], records: list[dict] | None = None
) -> str:
    """The claims registers as one filterable table: every row of every paper, its status, and the
    ledger records that decide it (each with its own status; partial ones marked, so a failed
    partial check stays visible), linked to their rows below."""
    e = html.escape
    status = {
        r["id"]: r["status"] + (", partial" if r.get("partial") else "") for r in records or []
    }
    chapters = list(dict.fromkeys(r["chapter"] for r in rows))
    opts = {
        "chapter": [(c, titles.get(c, c)) for c in chapters],
        "status": [(s, s) for s in ROW_STATUSES],
        "why": [(w, w) for w in WHY_UNVERIFIABLE],
        "origin": [("paper", "paper's claim"), ("cited", "cited figure")],
        "read": [(x, x) for x in READ_IN],
    }
    out = ['<div class="cc-dashboard" data-noun="register rows">']
    out += _filters("Filter the claims register", opts)
    out.append(_head(["row", "claim", "as stated", "read in", "decided by", "status"]))
    for r in rows:
        recs = [
            f'<a href="#claim-{e(x)}"><code>{e(x.split(".", 1)[1])}</code></a>'
            + (f" ({e(status[x])})" if x in status else "")
            for x in r["records"] + r["partial_records"]
        ]
        value = e(r["value"]) + (f" {e(r['unit'])}" if r["unit"] else "")
        out.append(
            f'<tr id="row-{e(r["chapter"])}-{e(r["id"])}" data-chapter="{e(r["chapter"])}" '
            f'data-status="{e(r["status"])}" data-why="{e(r.get("why") or "")}" '
            f'data-origin="{e(r["origin"])}" data-read="{e(r["read_in"])}">'
            f'<td><code>{e(r["id"])}</code><div class="cc-note">'
            f'<a href="notebooks/{e(r["chapter"])}.html">{e(titles.get(r["chapter"], r["chapter"]))}</a>'
            "</div></td>"
            f"<td>{e(r['claim'])}</td>"
            f'<td><a href="{e(r["url"])}">{value or "(statement)"}</a>'
            f'<div class="cc-note">{e(r["locator"])}</div></td>'
            f"<td>{e(r['read_in'])}</td>"
            f"<td>{', '.join(recs) or '—'}</td>"
            f"<td>{badge(r['status'])}"
            + (f'<div class="cc-note">{e(r["why"])}</div>' if r.get("why") else "")
            + (f'<div class="cc-note">{WHO["cited"]}</div>' if r["origin"] == "cited" else "")
            + "</td></tr>"
        )
    out.append("</tbody></table></div></div>")
    return "\n".join(out) + "\n"


def register_coverage_markdown(rows: list[dict], titles: dict[str, str]) -> str:
    """Per chapter: register rows and how the ledger decides them (a Markdown table)."""
    if not rows:
        return "No claims register found.\n"
    chapters = list(dict.fromkeys(r["chapter"] for r in rows))
    lines = [
        register_sentence(rows, len(chapters)),
        "",
        "| chapter | rows | decided | " + " | ".join(ROW_STATUSES) + " |",
        "|---|" + "---:|" * (2 + len(ROW_STATUSES)),
    ]
    for c in chapters:
        t = register_tally(r for r in rows if r["chapter"] == c)
        lines.append(
            f"| [{titles.get(c, c)}](notebooks/{c}) | {t['rows']} | {t['decided']} | "
            + " | ".join(str(t[s]) for s in ROW_STATUSES)
            + " |"
        )
    return "\n".join(lines) + "\n"


def dashboard_html(records: list[dict], order: list[str], titles: dict[str, str]) -> str:
    """The claims dashboard: one sortable, filterable table (plain HTML + a small local script).

    Filters: chapter, status, origin, evidence and probe; each row shows the condition the
    recomputed number was held to, the region where a conditional verdict holds, the falsifiability
    probe, and the note.
    """
    chapters = [c for c in order if any(r["chapter"] == c for r in records)]
    chapters += sorted({r["chapter"] for r in records} - set(chapters))
    rank = {c: i for i, c in enumerate(chapters)}
    recs = sorted(records, key=lambda r: (rank[r["chapter"]], r["id"]))
    opts = {
        "chapter": [(c, titles.get(c, c)) for c in chapters],
        "status": [(s, s) for s in STATUSES],
        "origin": [("paper", "paper claim"), ("cited", "cited figure"), ("book", "book result")],
        "evidence": [(e, e) for e in EVIDENCE] + [("—", "— (book result)")],
        "probe": [
            (v, v) for v in ("can fail", "cannot fail", "can change", "cannot change", "n/a")
        ],
    }
    out = ['<div class="cc-dashboard" data-noun="records">']
    out += _filters("Filter the claims", opts)
    heads = [
        "claim",
        "statement and note",
        "origin",
        "evidence",
        "published",
        "recomputed",
        "condition",
        "robustness and probe",
        "status",
    ]
    out.append(_head(heads))
    for r in recs:
        rob = r["robustness"]
        region = (
            f'<div class="cc-note">{html.escape(rob["region"])}</div>' if rob.get("region") else ""
        )
        probe = (
            f'<div class="cc-note">probe: {html.escape(r["probe"]["verdict"])} — '
            f"{html.escape(r['probe']['text'])}</div>"
            if r["probe"]["verdict"] != "n/a"
            else ""
        )
        reason = rob.get("reason") or ""
        if r.get("reading"):
            reading = f'<div class="cc-note">reading: {html.escape(r["reading"])}</div>'
        else:
            reading = ""
        note = reading + (
            f'<div class="cc-note">{html.escape(r["note"])}</div>' if r.get("note") else ""
        )
        if r["status"] == "unverifiable":
            note += f'<div class="cc-note">why: {html.escape(r["why"])}</div>'
        if r.get("rows"):
            links = ", ".join(
                f'<a href="#row-{html.escape(r["chapter"])}-{html.escape(x)}">{html.escape(x)}</a>'
                for x in r["rows"]
            )
            part = f" — partial: {html.escape(r['partial'])}" if r.get("partial") else ""
            note += f'<div class="cc-note">register: {links}{part}</div>'

        ev = r["evidence"] or "—"
        shown = html.escape(r.get("stated") or fmt(r["published"]))
        src = f'<a href="{html.escape(r["source"])}">{shown}</a>' if r.get("source") else shown
        loc = f'<div class="cc-note">{html.escape(r["locator"])}</div>' if r.get("locator") else ""
        title = html.escape(titles.get(r["chapter"], r["chapter"]))
        attrs = " ".join(
            f'data-{f}="{html.escape(v)}"'
            for f, v in (
                ("chapter", r["chapter"]),
                ("status", r["status"]),
                ("origin", r["origin"]),
                ("evidence", ev),
                ("probe", r["probe"]["verdict"]),
            )
        )
        out.append(
            f'<tr id="claim-{html.escape(r["id"])}" {attrs}>'
            f'<td><code>{html.escape(r["id"])}</code><div class="cc-note">'
            f'<a href="notebooks/{r["chapter"]}.html">{title}</a></div></td>'
            f"<td>{html.escape(r['statement'])}{note}</td>"
            f"<td>{WHO[r['origin']]}</td>"
            f"<td>{html.escape(ev)}</td>"
            f"<td>{src}{loc}</td>"
            f"<td>{html.escape(fmt(r['recomputed']))}</td>"
            f"<td>{html.escape(r['condition'])}</td>"
            f'<td title="{html.escape(reason)}">{rob.get("method") or "—"}{region}{probe}</td>'
            f"<td>{badge(r['status'])}</td>"
            "</tr>"
        )
    out.append("</tbody></table></div></div>")
    return "\n".join(out) + "\n"


def status_chart_html(records: list[dict], order: list[str], titles: dict[str, str]) -> str:
    """An interactive bar chart of claim statuses per chapter (drawn by the book's local Vega bundle)."""
    import altair as alt
    import pandas as pd

    from costcorrect.figures import STATUS_COLORS, Figure

    rows = [
        {
            "chapter": titles.get(r["chapter"], r["chapter"]),
            "slug": r["chapter"],
            "status": r["status"],
            "order": order.index(r["chapter"]) if r["chapter"] in order else len(order),
        }
        for r in records
        if r["origin"] == "paper"
    ]
    if not rows:
        return "<p>No claims recorded yet: run <code>make book</code>.</p>\n"
    df = (
        pd.DataFrame(rows)
        .groupby(["chapter", "slug", "status", "order"], as_index=False)
        .size()
        .rename(columns={"size": "claims"})
    )
    chart = (
        alt.Chart(df)
        .mark_bar()
        .encode(
            y=alt.Y("chapter:N", sort=[titles.get(c, c) for c in order], title=None),
            x=alt.X("claims:Q", title="claims", stack="zero"),
            color=alt.Color(
                "status:N",
                scale=alt.Scale(domain=list(STATUS_COLORS), range=list(STATUS_COLORS.values())),
                legend=alt.Legend(orient="bottom", title=None),
            ),
            order=alt.Order("status:N"),
            tooltip=["chapter", "status", "claims"],
        )
        .properties(width=460, height=alt.Step(18), title="Paper claims by chapter and status")
    )
    return Figure("book.claim-status", chart.to_dict(), svg="").html() + "\n"


def lock_versions(root: Path, names: list[str] | None = None) -> list[tuple[str, str]]:
    """(package, version) pairs pinned in ``requirements.lock`` (all, or those named)."""
    lock = root / "requirements.lock"
    pins = []
    if lock.exists():
        for line in lock.read_text(encoding="utf-8").splitlines():
            line = line.split("#", 1)[0].strip()
            if "==" in line:
                name, ver = line.split("==", 1)
                pins.append((name.strip(), ver.split(";")[0].strip()))
    if names is not None:
        want = {n.lower().replace("_", "-") for n in names}
        pins = [p for p in pins if p[0].lower().replace("_", "-") in want]
    return pins


KEY_PACKAGES = [
    "jupyter-book",
    "sphinx",
    "myst-nb",
    "papermill",
    "jupytext",
    "nbval",
    "altair",
    "vl-convert-python",
    "sympy",
    "numpy",
    "scipy",
    "pandas",
    "stim",
    "pymatching",
    "sinter",
]


def reproducibility_markdown(
    root: Path, records: list[dict], order: list[str], titles: dict[str, str]
) -> str:
    """Environment and per-chapter execution time and claim counts."""
    import platform

    tpath = build_dir() / "timings.json"
    timings = json.loads(tpath.read_text()) if tpath.exists() else {}
    out = [
        "| chapter | execution time (s) | paper claims | reproduced | conditional | diverges "
        "| unverifiable "
        "| book results |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for ch in order:
        c = Counter(r["status"] for r in records if r["chapter"] == ch and r["origin"] == "paper")
        book = sum(r["chapter"] == ch and r["origin"] == "book" for r in records)
        t = timings.get(ch)
        ts = f"{t:.1f}" if isinstance(t, (int, float)) else "—"
        out.append(
            f"| {{ref}}`{titles.get(ch, ch)} <chapter-{ch}>` | {ts} | {sum(c.values())} | "
            f"{c.get('reproduced', 0)} | {c.get('conditional', 0)} | {c.get('diverges', 0)} | "
            f"{c.get('unverifiable', 0)} | {book} |"
        )
    total = sum(v for v in timings.values() if isinstance(v, (int, float)))
    out.append("")
    out.append(
        f"Sum of execution times: {total:.1f} s on the machine that built this copy "
        f"(Python {platform.python_version()})."
    )
    out.append("")
    out.append("| package | pinned version |")
    out.append("|---|---|")
    for name, ver in lock_versions(root, KEY_PACKAGES):
        out.append(f"| {name} | {ver} |")
    n = len(lock_versions(root))
    out.append("")
    out.append(f"The lock file `requirements.lock` pins {n} packages in all.")
    return "\n".join(out) + "\n"


PARTS = {
    "foundations": "Foundations: the Cost-correct algebra, prices and levers",
    "serving": "Serving and hardware: one hardware model, queueing, fleets, power",
    "allocation": "Allocating compute: channel thresholds, routing, scaling laws",
    "verification": "Markets for verification: scoring rules, mechanisms, self-play",
    "qec": "Beyond LLM inference: surface-code simulation",
}


def model_parts(root: Path) -> dict[str, list[str]]:
    """The model modules by part (book order, then any other part): part -> dotted module names."""
    base = root / "src" / "costcorrect" / "models"
    if not base.is_dir():
        return {}
    parts = [p for p in PARTS if (base / p).is_dir()] + sorted(
        p.name
        for p in base.iterdir()
        if p.is_dir() and p.name not in PARTS and (p / "__init__.py").exists()
    )
    return {
        part: [
            f"costcorrect.models.{part}.{mod.stem}"
            for mod in sorted((base / part).glob("*.py"))
            if mod.name != "__init__.py"
        ]
        for part in parts
    }


def model_page(module: str) -> str:
    """Where a model module is documented, relative to the book root (one page per part, so an edit
    to one module re-reads one part's page, not the whole reference)."""
    return f"models/{module.split('.')[2]}.html#module-{module}"


def models_pages(root: Path) -> dict[str, str]:
    """The Models reference: an index (``_generated/models.md``) and one page per part
    (``models/<part>.md``) with an ``automodule`` per module."""
    parts = model_parts(root)
    index = [
        f"- [{PARTS.get(part, part)}](models/{part}.md): "
        + ", ".join(f"`{m.rsplit('.', 1)[1]}`" for m in mods)
        for part, mods in parts.items()
    ]
    out = {
        "_generated/models.md": "\n".join(index) + "\n" if index else "No model modules found.\n"
    }
    for part, mods in parts.items():
        body = [f"# {PARTS.get(part, part)}\n"]
        # autodoc writes reStructuredText: MyST must read it as such (eval-rst)
        body += [
            f"```{{eval-rst}}\n.. automodule:: {m}\n   :members:\n   :show-inheritance:\n```\n"
            for m in mods
        ]
        out[f"models/{part}.md"] = "\n".join(body)
    return out


def help_wanted_markdown(rows: list[dict], titles: dict[str, str], records: list[dict]) -> str:
    """The register rows left unverifiable because a public document is not reachable here, with
    the document and section a contributor needs (from each deciding record's note), by chapter."""
    want = [r for r in rows if r["status"] == "unverifiable" and r.get("why") == "not retrieved"]
    if not want:
        return "No claim is waiting for a document: every unverifiable claim is private or not empirical.\n"
    notes = {x["id"]: x.get("note", "") for x in records}
    out = [
        f"**{len(want)} claims** are public in principle but undecided here, because the document or "
        "table that decides them is not reachable from this book's sources. Each row names what is "
        "needed; CONTRIBUTING.md (*Deciding a not-retrieved claim*) says how to add it.",
        "",
        "| chapter | claim | what would decide it |",
        "|---|---|---|",
    ]
    for r in want:
        need = " ".join(notes.get(x, "") for x in r["records"]).replace("|", "\\|")
        claim = r["claim"].replace("|", "\\|")
        out.append(
            f"| [{titles.get(r['chapter'], r['chapter'])}](notebooks/{r['chapter']}) | "
            f"`{r['id']}`: {claim} | {need} |"
        )
    return "\n".join(out) + "\n"


def generated(root: Path) -> dict[str, str]:
    """Every generated page or fragment, by its path in the staged source tree (``_build/src``)."""
    from costcorrect.build.pipeline import toc_chapters

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
    import re

    m = re.match(r"(.+?[.;])(\s|$)", text.strip())
    out = (m.group(1) if m else text.strip()).rstrip(";")
    return out if len(out) <= limit else out[: limit - 1].rstrip() + "…"


def verdict_table_html(records: list[dict]) -> str:
    """The chapter's verdicts at a glance: each paper claim (and cited figure) in a row — the claim,
    the value as published, the book's number, the status and a one-line reason — linked to its
    claim card further down the page. Book results are left to the text."""
    e = html.escape
    recs = [r for r in records if r["origin"] != "book"]
    if not recs:
        return ""
    out = [
        '<div class="cc-scroll"><table class="cc-verdicts">',
        "<caption>What the paper claims and what this chapter finds</caption>",
        '<thead><tr><th scope="col">claim</th><th scope="col">published</th>'
        '<th scope="col">this book</th><th scope="col">status</th>'
        '<th scope="col">why</th></tr></thead><tbody>',
    ]
    for r in recs:
        ours = recomputed_text(r)
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
        tags = []
        if r["origin"] == "cited":
            tags.append("cited figure")
        if r.get("partial"):
            tags.append("partial")
        tag = f" <small>({', '.join(tags)})</small>" if tags else ""
        out.append(
            f'<tr><td><a href="#card-{e(r["id"])}">{e(r["statement"])}</a>{tag}</td>'
            f"<td>{e(published)}</td><td>{e(ours)}</td>"
            f"<td>{badge(r['status'])}</td><td>{e(why)}</td></tr>"
        )
    out.append("</tbody></table></div>")
    return "".join(out)


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
    modules it uses (linked to the Models reference), how to rerun it, and the executed notebook."""
    paper = [r for r in records if r["origin"] == "paper"]
    t = tally(records)
    c = Counter(r["status"] for r in paper)
    e = html.escape
    parts = [
        '<aside class="cc-summary" aria-label="Chapter summary">',
        f"<p><strong>Ledger.</strong> {t['paper']} paper claims: "
        + ", ".join(badge(s, f"{c.get(s, 0)} {s}") for s in STATUSES)
        + f" ({t['independent']} of the reproduced independently; {t['vacuous']} checks that cannot "
        "fail, not counted); "
        f"{t['book']} results of the book's own. "
        f'<a href="../claims.html">All records on the dashboard</a>.</p>',
    ]
    if rows:
        rt = register_tally(rows)
        parts.append(
            f"<p><strong>Register.</strong> {rt['decided']} of {rt['rows']} of the paper's claims "
            "decided: "
            + ", ".join(badge(s, f"{rt[s]} {s}") for s in ROW_STATUSES if rt[s] or s != "undecided")
            + (
                " (unverifiable: "
                + ", ".join(f"{rt[w]} {w}" for w in WHY_UNVERIFIABLE if rt[w])
                + ")"
                if rt["unverifiable"]
                else ""
            )
            + f'. <a href="../claims.html#row-{e(slug)}-{e(rows[0]["id"])}">The register</a>.'
        )
        for s, what in (("partial", "Only partly checked"), ("undecided", "Not decided")):
            left = [r for r in rows if r["status"] == s]
            if left:
                parts.append(
                    f" {what}: "
                    + ", ".join(
                        f'<a href="../claims.html#row-{e(slug)}-{e(r["id"])}"><code>{e(r["id"])}</code></a>'
                        for r in left
                    )
                    + "."
                )
        parts.append("</p>")
    if seconds is not None:
        parts.append(
            f"<p><strong>Execution.</strong> {seconds:.1f} s on the machine that built this copy. "
            f'<a href="{e(slug)}.ipynb" download>Download the executed notebook</a>.</p>'
        )
    if tables:
        parts.append(
            "<p><strong>Tables.</strong> "
            + ", ".join(f"<code>data/{e(n)}.csv</code>" for n in tables)
            + "</p>"
        )
    if modules:
        links = ", ".join(
            f'<a href="../{e(model_page(m))}"><code>{e(m)}</code></a>' for m in modules
        )
        parts.append(f"<p><strong>Models.</strong> {links}</p>")
    example = f" -p {e(parameters[0])} VALUE" if parameters else ""
    names = (
        (" Parameters: " + ", ".join(f"<code>{e(p)}</code>" for p in parameters) + ".")
        if parameters
        else ""
    )
    parts.append(
        f"<p><strong>Rerun.</strong> <code>python -m costcorrect execute {e(slug)}{example}</code> "
        f"writes <code>_build/runs/{e(slug)}-&lt;hash&gt;/</code> and leaves the book unchanged.{names}</p>"
    )
    parts.append("</aside>")
    return "".join(parts) + verdict_table_html(records)
