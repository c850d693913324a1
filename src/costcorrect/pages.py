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

from .claims import STATUSES, fmt
from .paths import build_dir

BADGE = {"reproduced": "cc-ok", "diverges": "cc-bad", "unverifiable": "cc-unk"}


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


def counts_markdown(records: list[dict]) -> str:
    """One sentence with the ledger's status counts."""
    c = Counter(r["status"] for r in records)
    chapters = len({r["chapter"] for r in records})
    parts = ", ".join(f"**{c.get(s, 0)}** {s}" for s in STATUSES)
    return f"The ledger holds **{len(records)}** claims from **{chapters}** chapters: {parts}.\n"


def dashboard_html(records: list[dict], order: list[str], titles: dict[str, str]) -> str:
    """The claims dashboard: one table per chapter, published vs recomputed with a status badge."""
    by: dict[str, list[dict]] = {}
    for r in records:
        by.setdefault(r["chapter"], []).append(r)
    rows = ['<div class="cc-dashboard">']
    for ch in [c for c in order if c in by] + sorted(c for c in by if c not in order):
        recs = by[ch]
        cnt = Counter(r["status"] for r in recs)
        title = html.escape(titles.get(ch, ch))
        summary = " · ".join(f'<span class="cc-badge {BADGE[s]}">{cnt[s]} {s}</span>' for s in STATUSES if cnt.get(s))
        rows.append(f'<h2 id="claims-{ch}"><a href="notebooks/{ch}.html">{title}</a></h2>')
        rows.append(f"<p>{summary}</p>")
        rows.append('<table class="cc-claims"><thead><tr><th>claim</th><th>statement</th><th>kind</th>'
                    "<th>published</th><th>recomputed</th><th>tolerance</th><th>status</th></tr></thead><tbody>")
        for r in recs:
            note = f'<div class="cc-note">{html.escape(r["note"])}</div>' if r.get("note") else ""
            tol = "" if r.get("tolerance") is None else fmt(r["tolerance"])
            rows.append(
                "<tr>"
                f'<td><code>{html.escape(r["id"])}</code></td>'
                f'<td>{html.escape(r["statement"])}{note}</td>'
                f'<td>{r["kind"]}</td>'
                f'<td><a href="{html.escape(r["source"])}">{html.escape(fmt(r["published"]))}</a></td>'
                f'<td>{html.escape(fmt(r["recomputed"]))}</td>'
                f"<td>{tol}</td>"
                f'<td><span class="cc-badge {BADGE[r["status"]]}">{r["status"]}</span></td>'
                "</tr>"
            )
        rows.append("</tbody></table>")
    rows.append("</div>")
    return "\n".join(rows) + "\n"


def status_chart_html(records: list[dict], order: list[str], titles: dict[str, str]) -> str:
    """An interactive bar chart of claim statuses per chapter (drawn by the book's local Vega bundle)."""
    import altair as alt
    import pandas as pd

    from .figures import STATUS_COLORS, Figure

    rows = [{"chapter": titles.get(r["chapter"], r["chapter"]), "slug": r["chapter"], "status": r["status"],
             "order": order.index(r["chapter"]) if r["chapter"] in order else len(order)} for r in records]
    if not rows:
        return "<p>No claims recorded yet: run <code>make book</code>.</p>\n"
    df = (pd.DataFrame(rows).groupby(["chapter", "slug", "status", "order"], as_index=False).size()
          .rename(columns={"size": "claims"}))
    chart = alt.Chart(df).mark_bar().encode(
        y=alt.Y("chapter:N", sort=[titles.get(c, c) for c in order], title=None),
        x=alt.X("claims:Q", title="claims", stack="zero"),
        color=alt.Color("status:N", scale=alt.Scale(domain=list(STATUS_COLORS), range=list(STATUS_COLORS.values())),
                        legend=alt.Legend(orient="bottom", title=None)),
        order=alt.Order("status:N"),
        tooltip=["chapter", "status", "claims"],
    ).properties(width=460, height=alt.Step(18), title="Claims by chapter and status")
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


KEY_PACKAGES = ["jupyter-book", "sphinx", "myst-nb", "papermill", "jupytext", "nbval", "altair",
                "vl-convert-python", "sympy", "numpy", "scipy", "pandas", "stim", "pymatching", "sinter"]


def reproducibility_markdown(root: Path, records: list[dict], order: list[str], titles: dict[str, str]) -> str:
    """Environment and per-chapter execution time and claim counts."""
    import platform

    tpath = build_dir() / "timings.json"
    timings = json.loads(tpath.read_text()) if tpath.exists() else {}
    out = ["| chapter | execution time (s) | claims | reproduced | diverges | unverifiable |",
           "|---|---:|---:|---:|---:|---:|"]
    for ch in order:
        c = Counter(r["status"] for r in records if r["chapter"] == ch)
        t = timings.get(ch)
        ts = f"{t:.1f}" if isinstance(t, (int, float)) else "—"
        out.append(f"| {{ref}}`{titles.get(ch, ch)} <chapter-{ch}>` | {ts} | {sum(c.values())} | "
                   f"{c.get('reproduced', 0)} | {c.get('diverges', 0)} | {c.get('unverifiable', 0)} |")
    total = sum(v for v in timings.values() if isinstance(v, (int, float)))
    out.append("")
    out.append(f"Sum of execution times: {total:.1f} s on the machine that built this copy "
               f"(Python {platform.python_version()}).")
    out.append("")
    out.append("| package | pinned version |")
    out.append("|---|---|")
    for name, ver in lock_versions(root, KEY_PACKAGES):
        out.append(f"| {name} | {ver} |")
    n = len(lock_versions(root))
    out.append("")
    out.append(f"The lock file `requirements.lock` pins {n} packages in all.")
    return "\n".join(out) + "\n"


def generated(root: Path) -> dict[str, str]:
    """Every generated fragment, by file name."""
    from .pipeline import toc_chapters

    records = _ledger()
    order = toc_chapters(root)
    titles = _titles(root)
    return {
        "claim-counts.md": counts_markdown(records),
        "claims-dashboard.html": dashboard_html(records, order, titles),
        "claim-status-chart.html": status_chart_html(records, order, titles),
        "reproducibility.md": reproducibility_markdown(root, records, order, titles),
    }
