"""The claims ledger: one call per claim records whose claim it is, the evidence, and the verdict.

A chapter calls :func:`check` once per claim. Each record says

* **origin** — ``paper`` (the paper states it; the published value comes from
  ``data/<slug>/published.csv`` through :func:`published`, never from a literal) or ``book`` (a result
  this book derives or finds; shown, never counted as a reproduction);
* **evidence** (paper claims) — ``independent`` (recomputed from primary data or from a model whose
  output could have contradicted the claim), ``consistency`` (the paper's own numbers checked against
  each other) or ``none`` (unverifiable: the inputs are not public);
* **the number that decided it** and the **condition** it was held to (``within 5% of 15``,
  ``in [2, 4]``, ``≥ 1``), never a bare boolean;
* **robustness** — for numeric and simulation verdicts, the declared uncertain inputs with ranges
  fixed before comparing (:func:`sweep`), the sampling interval (:func:`interval`) or why there is
  none (:func:`exact`); the verdict is ``robust`` or ``fragile`` with the region where it flips;
* **status** — ``reproduced``, ``diverges`` (a finding, explained in the note) or ``unverifiable``;
* **rows** (paper claims) — the rows of the chapter's claims register ``data/<slug>/register.csv``
  (the paper's claims, one atomic claim each) that the record decides, and ``partial`` — the reason,
  when the record checks less than its row says (it then does not decide the row).

The register is the paper's side and the ledger is ours: :func:`coverage` gives every register row
its status from the records that name it (``reproduced``, ``diverges``, ``unverifiable``,
``partial`` when only partial records name it, ``undecided`` when none does).

Every record holds what is needed to re-decide it (:func:`redecide`). Each call prints a short,
deterministic block (the cell is marked ``# NBVAL_CHECK_OUTPUT``) and rewrites the chapter's ledger
``_build/claims/<slug>.json``; :func:`collect` joins them into ``_build/claims.json``.
"""

from __future__ import annotations

import itertools
import json
import math
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from costcorrect.models._parallel import map_kwargs
from costcorrect.paths import build_dir, split_id

KINDS = ("symbolic", "numeric", "simulation")
STATUSES = ("reproduced", "diverges", "unverifiable")
ORIGINS = ("paper", "book")
EVIDENCE = ("independent", "consistency", "none")
ROBUSTNESS = ("robust", "fragile", "n/a")
BOUNDS = ("=", "range", ">=", "<=")
FIELDS = (
    "chapter",
    "id",
    "statement",
    "kind",
    "origin",
    "evidence",
    "published",
    "unit",
    "source",
    "locator",
    "recomputed",
    "condition",
    "rule",
    "robustness",
    "status",
    "note",
    "rows",
    "partial",
)
REGISTER_KINDS = ("number", "range", "comparison", "direction", "condition", "up-to", "statement")
READ_IN = ("abstract", "readable", "paper")
ROW_STATUSES = ("reproduced", "diverges", "unverifiable", "partial", "undecided")
# the CSS class of each status's badge (book/static/costcorrect.css), for records and register rows
BADGE = {
    "reproduced": "cc-ok",
    "diverges": "cc-bad",
    "unverifiable": "cc-unk",
    "partial": "cc-part",
    "undecided": "cc-none",
}


def badge(status: str, text: str | None = None) -> str:
    """The HTML badge of a status (a record's or a register row's), labelled ``text`` or the status."""
    import html

    return f'<span class="cc-badge {BADGE[status]}">{html.escape(status if text is None else text)}</span>'


_ledgers: dict[str, dict[str, Claim]] = {}


class ClaimError(ValueError):
    """A claim was recorded with inconsistent arguments."""


# --------------------------------------------------------------------------------------------------
# What the paper states: values read from data/<slug>/published.csv
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Published:
    """A value a paper states, as read from ``data/<slug>/published.csv`` (never typed in a notebook).

    ``bound`` says what the paper asserts: ``=`` (this value), ``range`` (``value`` is ``[lo, hi]``),
    ``>=`` / ``<=`` (at least / at most ``value``). Symbolic or qualitative statements carry their
    wording in ``value`` (a string read from the row's ``text`` column).
    """

    value: Any
    bound: str
    unit: str
    url: str
    locator: str
    rows: tuple[str, ...]

    def __float__(self) -> float:
        return float(self.value)


class PublishedTable:
    """The rows of one chapter's ``published.csv``, handed out as :class:`Published` values."""

    def __init__(self, slug: str, frame: Any) -> None:
        self.slug = slug
        self._rows = {str(r["quantity"]): r for r in frame.to_dict("records")}

    def _row(self, quantity: str) -> dict:
        if quantity not in self._rows:
            raise ClaimError(
                f"data/{self.slug}/published.csv has no row with quantity {quantity!r} "
                f"(known: {', '.join(sorted(self._rows))})"
            )
        return self._rows[quantity]

    def _number(self, quantity: str) -> float:
        v = self._row(quantity).get("value")
        if v is None or (isinstance(v, float) and math.isnan(v)):
            raise ClaimError(
                f"data/{self.slug}/published.csv, row {quantity!r}: column 'value' is empty"
            )
        return float(v)

    def _make(self, value: Any, bound: str, *quantities: str) -> Published:
        first = self._row(quantities[0])
        locs = []
        for q in quantities:
            loc = str(self._row(q).get("locator") or "")
            if loc not in locs:
                locs.append(loc)
        return Published(
            value,
            bound,
            str(first.get("unit") or ""),
            str(first.get("url") or ""),
            "; ".join(locs),
            tuple(quantities),
        )

    def __getitem__(self, quantity: str) -> Published:
        """The paper states this value (compared within a tolerance)."""
        return self._make(self._number(quantity), "=", quantity)

    def value(self, quantity: str) -> float:
        """The bare number of a row, to use as a model input (not as a claim)."""
        return self._number(quantity)

    def range(self, lo: str, hi: str) -> Published:
        """The paper states a range ``[lo, hi]`` (two rows)."""
        a, b = sorted((self._number(lo), self._number(hi)))
        return self._make([a, b], "range", lo, hi)

    def at_least(self, quantity: str) -> Published:
        """The paper states "at least" (or "more than") this value."""
        return self._make(self._number(quantity), ">=", quantity)

    def at_most(self, quantity: str) -> Published:
        """The paper states "at most" (or "less than") this value."""
        return self._make(self._number(quantity), "<=", quantity)

    def text(self, quantity: str) -> Published:
        """The paper's statement or formula, from the row's ``text`` column (symbolic claims)."""
        row = self._row(quantity)
        txt = row.get("text")
        if not isinstance(txt, str) or not txt.strip():
            raise ClaimError(
                f"data/{self.slug}/published.csv, row {quantity!r}: column 'text' is empty"
            )
        return self._make(txt.strip(), "=", quantity)

    def __contains__(self, quantity: str) -> bool:
        return quantity in self._rows

    def quantities(self) -> list[str]:
        return list(self._rows)


def published(slug: str) -> PublishedTable:
    """Read ``data/<slug>/published.csv`` (validated, and recorded as a dependency of the chapter)."""
    from costcorrect import data

    return PublishedTable(slug, data.load(f"{slug}/published"))


_registers: dict[str, dict[str, dict]] = {}


def _cell(v: Any) -> str:
    """A register cell as text ('' for an empty cell, which pandas reads as None or NaN)."""
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)


def register(slug: str) -> dict[str, dict]:
    """The chapter's claims register, ``data/<slug>/register.csv``: row id -> row.

    Each row is one atomic claim of the paper (one number, range, comparison, direction, condition,
    "up to" figure or statement) in our words, with its published value as stated, unit, URL,
    locator and where it was read (``abstract``, ``readable`` page or the primary ``paper``).
    Validated, and recorded as a dependency of the chapter being executed.
    """
    if slug not in _registers:
        from costcorrect import data

        frame = data.load(f"{slug}/register")
        _registers[slug] = {
            str(r["id"]): {k: _cell(v) for k, v in r.items()} for r in frame.to_dict("records")
        }
    return _registers[slug]


@dataclass(frozen=True)
class Expected:
    """A book result's own expectation (a condition our derivation sets; may be a literal)."""

    value: Any
    bound: str = "="
    unit: str = ""


def expect(value: Any, bound: str = "=", unit: str = "") -> Expected:
    """What a book result is expected to satisfy: ``expect(2.0)``, ``expect([1, 3], "range")``,
    ``expect(1.0, ">=")``. Only ``origin="book"`` accepts it."""
    if bound not in BOUNDS:
        raise ClaimError(f"bound must be one of {BOUNDS}, not {bound!r}")
    return Expected(value, bound, unit)


# --------------------------------------------------------------------------------------------------
# Robustness: declared uncertain inputs, sampling intervals, or none
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Robustness:
    """How a verdict was stress-tested; decided by :func:`check` against the claim's rule."""

    method: str  # "sweep", "interval" or "exact"
    inputs: dict = field(default_factory=dict)  # name -> declared values (sweep)
    points: tuple = ()  # ({"at": {...}, "recomputed": v}, ...)
    reason: str = ""


def sweep(fn: Callable[..., Any], /, jobs: int = 1, **ranges: Sequence[Any]) -> Robustness:
    """Evaluate ``fn(**inputs)`` over the full grid of the declared input ranges.

    The ranges are the uncertainty the chapter declares *before* comparing (efficiencies, slack, cost
    shares, fit windows, seeds). ``fn`` returns the number that decides the claim. ``jobs > 1`` runs
    the grid in forked worker processes (for costly models). Points are evaluated once each.
    """
    if not ranges:
        raise ClaimError("sweep needs at least one declared input range")
    names = list(ranges)
    for n, vals in ranges.items():
        if isinstance(vals, (str, bytes)) or len(list(vals)) < 2:
            raise ClaimError(f"sweep input {n!r} needs at least two declared values")
    grid = [
        dict(zip(names, combo)) for combo in itertools.product(*(list(ranges[n]) for n in names))
    ]
    values = map_kwargs(fn, grid, jobs)
    points = tuple(
        {"at": {k: _to_plain(v) for k, v in g.items()}, "recomputed": _to_plain(v)}
        for g, v in zip(grid, values)
    )
    return Robustness("sweep", {n: [_to_plain(v) for v in ranges[n]] for n in names}, points)


def interval(lo: float, hi: float, *, method: str, n: int | None = None) -> Robustness:
    """A sampling interval for a simulated value (e.g. Wilson 95% over shots, or min–max / t-interval
    over several seeds; paired where arms share draws). ``method`` says which; ``n`` the samples."""
    if not (lo <= hi):
        raise ClaimError(f"interval needs lo <= hi, got [{lo}, {hi}]")
    reason = method + (f" (n = {n})" if n is not None else "")
    return Robustness(
        "interval",
        {},
        (
            {"at": {"interval": "low"}, "recomputed": _to_plain(lo)},
            {"at": {"interval": "high"}, "recomputed": _to_plain(hi)},
        ),
        reason,
    )


def exact(reason: str) -> Robustness:
    """No uncertain input: say why (e.g. "arithmetic on the paper's own published numbers")."""
    if len(reason.strip()) < 10:
        raise ClaimError("exact() needs a reason saying why the verdict has no uncertain input")
    return Robustness("exact", {}, (), reason.strip())


# --------------------------------------------------------------------------------------------------
# The record
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    """One ledger record (the JSON fields are :data:`FIELDS`)."""

    chapter: str
    id: str
    statement: str
    kind: str
    origin: str
    evidence: str | None
    published: Any
    unit: str
    source: str
    locator: str
    recomputed: Any
    condition: str
    rule: dict
    robustness: dict
    status: str
    note: str = ""
    rows: list[str] = field(default_factory=list)
    partial: str = ""

    def _ipython_display_(self) -> None:
        """Show nothing as a cell's last value: :func:`check` already printed the block."""

    def to_json(self) -> dict:
        return asdict(self)

    def line(self) -> str:
        """The summary printed in the notebook (stable across runs); the note is always shown."""
        return summary_line(self.to_json())


def summary_line(rec: Mapping[str, Any]) -> str:
    """The printed block of one record: verdict line, then evidence/robustness, then the note."""
    mark = {"reproduced": "✔", "diverges": "✘", "unverifiable": "?"}[rec["status"]]
    who = "paper claim" if rec["origin"] == "paper" else "book result"
    s = f"{mark} {rec['status']:<12} {rec['id']} ({who})"
    if rec["status"] != "unverifiable":
        s += f"\n    recomputed {fmt(rec['recomputed'])}; condition: {rec['condition']}"
    ev = f"evidence: {rec['evidence']}; " if rec["origin"] == "paper" else ""
    rob = rec["robustness"]
    s += f"\n    {ev}robustness: {rob['verdict']}"
    if rob.get("flips"):
        s += f" — {rob['flips']}"
    elif rob.get("reason"):
        s += f" — {rob['reason']}"
    if rec.get("partial"):
        s += f"\n    partial: {rec['partial']}"
    if rec.get("note"):
        s += f"\n    note: {rec['note']}"
    return s


def fmt(value: Any) -> str:
    """Format a published/recomputed value compactly and deterministically."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return str(value)
        return f"{value:.4g}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(fmt(v) for v in value) + "]"
    return str(value)


def _to_plain(value: Any) -> Any:
    """Turn NumPy/SymPy scalars and tuples into JSON-ready Python values."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_to_plain(v) for v in value]
    try:
        import numpy as np

        if isinstance(value, np.bool_):
            return bool(value)
        if isinstance(value, np.integer):
            return int(value)
        if isinstance(value, np.floating):
            return float(value)
        if isinstance(value, np.ndarray):
            return [_to_plain(v) for v in value.tolist()]
    except ImportError:  # pragma: no cover
        pass
    if isinstance(value, (int, float)):
        return value
    try:
        import sympy as sp

        if isinstance(value, sp.logic.boolalg.BooleanAtom):
            return bool(value)
        if isinstance(value, sp.Basic):
            if value.is_Integer:
                return int(value)
            if value.is_number:
                return float(value)
            return str(value)
    except ImportError:  # pragma: no cover
        pass
    return str(value)


def _proven(recomputed: Any) -> bool:
    """Decide a symbolic claim: ``True``, a SymPy ``Eq`` that simplifies, or an expression equal to 0."""
    import sympy as sp

    if isinstance(recomputed, bool):
        return recomputed
    if isinstance(recomputed, sp.logic.boolalg.BooleanAtom):
        return bool(recomputed)
    if isinstance(recomputed, sp.Equality):
        return sp.simplify(recomputed.lhs - recomputed.rhs) == 0
    if isinstance(recomputed, sp.Expr):
        return sp.simplify(recomputed) == 0
    raise ClaimError(
        "a symbolic claim's `recomputed` must be True/False (the CAS verdict), a sympy Eq, "
        f"or an expression that must simplify to 0; got {type(recomputed).__name__}"
    )


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def holds(rule: Mapping[str, Any], published: Any, recomputed: Any) -> bool:
    """True when the number ``recomputed`` meets the claim's rule against ``published``.

    ``rule`` = ``{"bound": "="|"range"|">="|"<=", "tolerance": t, "absolute": bool}``; a relative
    tolerance scales with the published value (for a range, with each end).
    """
    if isinstance(recomputed, (list, tuple)):
        if (
            rule["bound"] == "range"
            and len(recomputed) == 2
            and all(_is_num(v) for v in recomputed)
        ):
            return all(holds(dict(rule, bound="="), p, r) for p, r in zip(published, recomputed))
        if isinstance(published, (list, tuple)) and len(published) == len(recomputed):
            return all(holds(rule, p, r) for p, r in zip(published, recomputed))
        raise ClaimError(f"cannot compare published {published!r} with recomputed {recomputed!r}")
    if not _is_num(recomputed) or (isinstance(recomputed, float) and math.isnan(recomputed)):
        return False
    tol = float(rule.get("tolerance") or 0.0)
    absolute = bool(rule.get("absolute"))

    def slack(ref: float) -> float:
        return (tol if absolute else tol * abs(ref)) + 1e-12

    b = rule["bound"]
    if b == "=":
        return abs(recomputed - float(published)) <= slack(float(published))
    if b == "range":
        lo, hi = sorted(float(v) for v in published)
        return lo - slack(lo) <= recomputed <= hi + slack(hi)
    if b == ">=":
        return recomputed >= float(published) - slack(float(published))
    if b == "<=":
        return recomputed <= float(published) + slack(float(published))
    raise ClaimError(f"unknown bound {b!r}")


def condition_text(rule: Mapping[str, Any], published: Any, unit: str = "") -> str:
    """The condition a number was held to, in words (``within 5% of 15 x``, ``in [2, 4]``, ``≥ 1``)."""
    u = f" {unit}" if unit and unit not in ("ratio", "fraction", "x") else ""
    tol = rule.get("tolerance")
    if tol:
        t = f"{fmt(tol)}{u}" if rule.get("absolute") else f"{fmt(100 * tol)}%"
    else:
        t = ""
    b = rule["bound"]
    if b == "=":
        return f"within {t} of {fmt(published)}{u}" if t else f"equals {fmt(published)}{u}"
    if b == "range":
        return f"in {fmt(published)}{u}" + (f" (widened by {t})" if t else "")
    sym = "≥" if b == ">=" else "≤"
    return f"{sym} {fmt(published)}{u}" + (f" (less {t} slack)" if t else "")


def _flips(points: list[dict], status: str) -> str:
    """Where the verdict differs from the reported one, in words."""
    bad = [p for p in points if p["status"] != status]
    if not bad:
        return ""
    by_status: dict[str, list[str]] = {}
    for p in bad:
        at = ", ".join(f"{k}={fmt(v)}" for k, v in p["at"].items())
        by_status.setdefault(p["status"], []).append(at)
    parts = []
    for st, ats in by_status.items():
        shown = "; ".join(ats[:6]) + (f"; … ({len(ats) - 6} more)" if len(ats) > 6 else "")
        parts.append(f"{st} at {shown}")
    return f"{status} at {len(points) - len(bad)} of {len(points)} declared points; " + "; ".join(
        parts
    )


def _robustness_record(
    rob: Robustness | None, kind: str, status: str, rule: dict | None, published: Any
) -> dict:
    if rob is None:
        return {
            "verdict": "n/a",
            "method": None,
            "inputs": {},
            "points": [],
            "flips": "",
            "reason": "",
        }
    points = []
    for p in rob.points:
        st = "reproduced" if holds(rule, published, p["recomputed"]) else "diverges"
        points.append({"at": p["at"], "recomputed": p["recomputed"], "status": st})
    flips = _flips(points, status)
    verdict = "fragile" if flips else "robust"
    return {
        "verdict": verdict,
        "method": rob.method,
        "inputs": rob.inputs,
        "points": points,
        "flips": flips,
        "reason": rob.reason,
    }


def check(
    id: str,
    statement: str,
    kind: str,
    published: Published | Expected | str | None = None,
    recomputed: Any = None,
    tolerance: float | None = None,
    *,
    origin: str,
    evidence: str | None = None,
    robustness: Robustness | None = None,
    absolute: bool = False,
    unverifiable: bool = False,
    source: str | None = None,
    note: str = "",
    rows: str | Sequence[str] | None = None,
    partial: str = "",
    quiet: bool = False,
) -> Claim:
    """Check one claim and record it in the chapter's ledger.

    Parameters
    ----------
    id: ``<slug>.<name>``; the slug is the chapter.
    statement: the claim in one sentence, in our words.
    kind: ``symbolic`` (a CAS proof), ``numeric`` or ``simulation``.
    published: for ``origin="paper"``, a :class:`Published` from :func:`published` (a bare literal
        is refused); for ``origin="book"``, an :func:`expect` condition or a plain number.
    recomputed: the number that decides the claim (a list for several values; for a range bound, a
        single number or a ``[lo, hi]`` pair); booleans are refused for numeric and simulation
        claims. For symbolic claims, the CAS verdict (``True``/``False``, a SymPy ``Eq``, or an
        expression that must simplify to 0).
    tolerance: relative (absolute when ``absolute=True``) slack on the bound; required for numeric
        and simulation claims.
    origin: ``paper`` or ``book``. evidence: for paper claims, one of :data:`EVIDENCE`.
    robustness: for numeric and simulation claims, :func:`sweep`, :func:`interval` or :func:`exact`.
    unverifiable: the paper's inputs are not public; ``note`` must say what is missing.
    source: the URL of a book result's basis (defaults to the published row's URL for paper claims).
    note: the caveat, finding or reason; shown for every status.
    rows: for paper claims, the register rows (``data/<slug>/register.csv``) this record decides;
        defaults to the id's name. partial: the reason, when the record checks less than its rows
        say (a partial record does not decide its rows).
    """
    chapter, name = split_id(id)
    if kind not in KINDS:
        raise ClaimError(f"{id}: kind must be one of {KINDS}, not {kind!r}")
    if origin not in ORIGINS:
        raise ClaimError(f"{id}: origin must be one of {ORIGINS}, not {origin!r}")
    if not statement.strip():
        raise ClaimError(f"{id}: statement is empty")
    if origin == "paper":
        if not isinstance(published, Published):
            raise ClaimError(
                f"{id}: a paper claim's published value must be read from data/{chapter}/published.csv "
                f"with claims.published({chapter!r})[...]; got a literal {published!r}"
            )
        if evidence not in EVIDENCE:
            raise ClaimError(f"{id}: a paper claim needs evidence in {EVIDENCE}, got {evidence!r}")
        if (evidence == "none") != bool(unverifiable):
            raise ClaimError(f"{id}: evidence 'none' goes with unverifiable=True, and only with it")
        pub_value, bound, unit = published.value, published.bound, published.unit
        src, locator = published.url, published.locator
        row_ids = [rows] if isinstance(rows, str) else list(rows or [name])
        known = register(chapter)
        missing = [r for r in row_ids if r not in known]
        if missing:
            raise ClaimError(
                f"{id}: register row(s) {missing} not in data/{chapter}/register.csv; add the "
                "paper's claim there as a row, or name the rows this record decides with rows=[...]"
            )
        if partial and len(partial.strip()) < 20:
            raise ClaimError(
                f"{id}: partial needs a reason (a sentence on what the check leaves out)"
            )
        if source is not None:
            raise ClaimError(
                f"{id}: a paper claim's source is its published.csv row, not an argument"
            )
    else:
        if evidence is not None:
            raise ClaimError(f"{id}: evidence grades paper claims; a book result has none")
        if unverifiable:
            raise ClaimError(f"{id}: only a paper claim can be unverifiable")
        if rows is not None or partial:
            raise ClaimError(
                f"{id}: register rows are the paper's claims; a book result names none"
            )
        row_ids = []
        if isinstance(published, Published):
            raise ClaimError(
                f"{id}: a book result compares with expect(...), not with a paper's value"
            )
        exp = published if isinstance(published, Expected) else Expected(published)
        pub_value, bound, unit = exp.value, exp.bound, exp.unit
        src, locator = source or "", "this book"
    if src and not str(src).startswith(("http://", "https://")):
        raise ClaimError(f"{id}: source must be a URL, got {src!r}")
    if bound not in BOUNDS:
        raise ClaimError(f"{id}: bound must be one of {BOUNDS}")

    rule: dict = {
        "bound": bound,
        "tolerance": None if tolerance is None else float(tolerance),
        "absolute": bool(absolute),
    }
    rec_plain: Any
    if unverifiable:
        if not note.strip():
            raise ClaimError(
                f"{id}: an unverifiable claim needs a note saying which inputs are missing"
            )
        status, rec_plain, condition = "unverifiable", _to_plain(recomputed), "not checkable"
        rob_rec = _robustness_record(None, kind, status, None, None)
    elif kind == "symbolic":
        ok = _proven(recomputed)
        status = "reproduced" if ok else "diverges"
        rec_plain, condition = (
            ("proven" if ok else "not proven"),
            "a CAS proof of the stated identity",
        )
        rule = {"bound": "proof", "tolerance": None, "absolute": False}
        rob_rec = _robustness_record(None, kind, status, None, None)
    else:
        if isinstance(recomputed, bool) or type(recomputed).__name__ == "bool_":
            raise ClaimError(
                f"{id}: record the number that decided the claim, not a boolean "
                "(e.g. the ratio with published=...at_least(...), or expect(1.0, '>='))"
            )
        if tolerance is None:
            raise ClaimError(f"{id}: a {kind} claim needs a tolerance (0 for an exact bound)")
        if robustness is None:
            raise ClaimError(
                f"{id}: a {kind} verdict needs a robustness record: claims.sweep(...) over its "
                "uncertain inputs, claims.interval(...) for a sampled value, or claims.exact(reason)"
            )
        if kind == "simulation" and robustness.method == "exact":
            raise ClaimError(
                f"{id}: a simulation verdict rests on an interval or a sweep over seeds"
            )
        rec_plain = _to_plain(recomputed)
        pub_plain = _to_plain(pub_value)
        status = "reproduced" if holds(rule, pub_plain, rec_plain) else "diverges"
        condition = condition_text(rule, pub_plain, unit)
        rob_rec = _robustness_record(robustness, kind, status, rule, pub_plain)
    if status == "diverges" and len(note.strip()) < 20:
        raise ClaimError(f"{id}: diverges; the note must explain the finding (at least a sentence)")
    if rob_rec["verdict"] == "fragile" and len(note.strip()) < 20:
        raise ClaimError(
            f"{id}: the verdict is fragile ({rob_rec['flips']}); the note must discuss it"
        )

    claim = Claim(
        chapter=chapter,
        id=id,
        statement=statement.strip(),
        kind=kind,
        origin=origin,
        evidence=evidence,
        published=_to_plain(pub_value),
        unit=unit,
        source=str(src),
        locator=locator,
        recomputed=rec_plain,
        condition=condition,
        rule=rule,
        robustness=rob_rec,
        status=status,
        note=note.strip(),
        rows=row_ids,
        partial=partial.strip(),
    )
    ledger = _ledgers.setdefault(chapter, {})
    if id in ledger:
        raise ClaimError(f"{id}: claim checked twice in one run (ids must be unique)")
    ledger[id] = claim
    _write_chapter(chapter)
    if not quiet:
        _show(claim)
    return claim


def _show(claim: Claim) -> None:
    """Print the record's block; in a kernel, also a claim card (text/plain stays the checked output)."""
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # pragma: no cover
        get_ipython = None  # type: ignore[assignment]
    if (
        get_ipython is not None
        and get_ipython() is not None
        and getattr(get_ipython(), "kernel", None)
    ):
        display({"text/plain": claim.line(), "text/html": card_html(claim.to_json())}, raw=True)
    else:
        print(claim.line())


def card_html(rec: Mapping[str, Any], dashboard: str = "../claims.html") -> str:
    """A compact card for one record: status badge, published vs recomputed with unit, condition,
    origin / evidence / robustness, the note, and links to the source and the dashboard row."""
    import html as h

    e = h.escape
    unit = f" {rec['unit']}" if rec.get("unit") else ""
    who = "paper claim" if rec["origin"] == "paper" else "book result"
    rob = rec["robustness"]
    chips = [who]
    if rec["origin"] == "paper":
        chips.append(f"evidence: {rec['evidence']}")
    chips.append(f"robustness: {rob['verdict']}")
    src = rec.get("source") or ""
    where = e(rec.get("locator") or "")
    pub = e(fmt(rec["published"])) + e(unit)
    pub_html = f'<a href="{e(src)}">{pub}</a>' if src else pub
    rows = [
        f'<div class="cc-card cc-card-{e(rec["status"])}" role="group" '
        f'aria-label="{e(rec["id"])}: {e(rec["status"])}">',
        f'<div class="cc-card-head">{badge(rec["status"])} '
        f'<a class="cc-card-id" href="{dashboard}#claim-{e(rec["id"])}"><code>{e(rec["id"])}</code></a> '
        + "".join(f'<span class="cc-chip">{e(c)}</span>' for c in chips)
        + "</div>",
        f'<div class="cc-card-statement">{e(rec["statement"])}</div>',
        '<dl class="cc-card-values">',
        f"<dt>published</dt><dd>{pub_html}"
        + (f" <small>({where})</small>" if where else "")
        + "</dd>",
    ]
    if rec["status"] != "unverifiable":
        rows.append(
            f"<dt>recomputed</dt><dd>{e(fmt(rec['recomputed']))}"
            f"{e(unit) if rec['kind'] != 'symbolic' else ''}</dd>"
        )
        rows.append(f"<dt>condition</dt><dd>{e(rec['condition'])}</dd>")
    if rob.get("flips"):
        rows.append(f"<dt>flips</dt><dd>{e(rob['flips'])}</dd>")
    elif rob.get("reason"):
        rows.append(
            f"<dt>{'interval' if rob.get('method') == 'interval' else 'why exact'}</dt>"
            f"<dd>{e(rob['reason'])}</dd>"
        )
    elif rob.get("method") == "sweep":
        inputs = "; ".join(f"{k} ∈ {fmt(v)}" for k, v in rob["inputs"].items())
        rows.append(f"<dt>declared inputs</dt><dd>{e(inputs)}</dd>")
    rows.append("</dl>")
    if rec.get("rows"):
        rows.append(
            '<div class="cc-card-rows">'
            + ("checks part of register row" if rec.get("partial") else "decides register row")
            + ("s " if len(rec["rows"]) > 1 else " ")
            + ", ".join(
                f'<a href="{dashboard}#row-{e(rec["chapter"])}-{e(x)}"><code>{e(x)}</code></a>'
                for x in rec["rows"]
            )
            + "</div>"
        )
    if rec.get("partial"):
        rows.append(
            f'<div class="cc-card-note"><strong>Partial:</strong> {e(rec["partial"])}</div>'
        )
    if rec.get("note"):
        rows.append(f'<div class="cc-card-note">{e(rec["note"])}</div>')
    rows.append("</div>")
    return "".join(rows)


# --------------------------------------------------------------------------------------------------
# Re-deciding a record from the file alone, and the ledger files
# --------------------------------------------------------------------------------------------------


def redecide(rec: Mapping[str, Any]) -> tuple[str, str]:
    """The (status, robustness verdict) a record implies from its own fields alone."""
    if rec.get("evidence") == "none":
        return "unverifiable", "n/a"
    rule = rec["rule"]
    if rule["bound"] == "proof":
        return ("reproduced" if rec["recomputed"] == "proven" else "diverges"), "n/a"
    status = "reproduced" if holds(rule, rec["published"], rec["recomputed"]) else "diverges"
    rob = rec["robustness"]
    if rob["method"] is None:
        return status, "n/a"
    flips = any(
        ("reproduced" if holds(rule, rec["published"], p["recomputed"]) else "diverges") != status
        for p in rob["points"]
    )
    return status, ("fragile" if flips else "robust")


def chapter_claims(chapter: str) -> list[Claim]:
    """The claims recorded so far in this process for ``chapter``."""
    return list(_ledgers.get(chapter, {}).values())


def reset(chapter: str | None = None) -> None:
    """Forget recorded claims (all chapters, or one) — for tests."""
    if chapter is None:
        _ledgers.clear()
        _registers.clear()
    else:
        _ledgers.pop(chapter, None)
        _registers.pop(chapter, None)


def chapter_file(chapter: str) -> Path:
    return build_dir() / "claims" / f"{chapter}.json"


def _write_chapter(chapter: str) -> None:
    path = chapter_file(chapter)
    path.parent.mkdir(parents=True, exist_ok=True)
    records = [c.to_json() for c in _ledgers[chapter].values()]
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(records, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)


def validate_record(rec: Mapping[str, Any]) -> list[str]:
    """Problems with one ledger record (empty when it is valid)."""
    problems = []
    missing = [f for f in FIELDS if f not in rec]
    if missing:
        return [f"missing fields {missing}"]
    if rec["status"] not in STATUSES:
        problems.append(f"status {rec['status']!r} not in {STATUSES}")
    if rec["kind"] not in KINDS:
        problems.append(f"kind {rec['kind']!r} not in {KINDS}")
    if rec["origin"] not in ORIGINS:
        problems.append(f"origin {rec['origin']!r} not in {ORIGINS}")
    if rec["origin"] == "paper" and rec["evidence"] not in EVIDENCE:
        problems.append(f"paper claim with evidence {rec['evidence']!r} not in {EVIDENCE}")
    if rec["origin"] == "book" and rec["evidence"] is not None:
        problems.append("a book result carries no evidence grade")
    if rec["origin"] == "paper" and not str(rec["source"]).startswith(("http://", "https://")):
        problems.append("paper claim without a source URL")
    if rec["robustness"].get("verdict") not in ROBUSTNESS:
        problems.append(f"robustness {rec['robustness'].get('verdict')!r} not in {ROBUSTNESS}")
    if (
        rec["kind"] != "symbolic"
        and rec["status"] != "unverifiable"
        and rec["robustness"].get("verdict") == "n/a"
    ):
        problems.append("numeric/simulation verdict without a robustness record")
    if rec["origin"] == "paper" and not rec["rows"]:
        problems.append("paper claim that names no register row")
    if rec["origin"] == "book" and (rec["rows"] or rec["partial"]):
        problems.append("a book result names no register row and is never partial")
    if rec["status"] in ("diverges", "unverifiable") and not str(rec["note"]).strip():
        problems.append(f"status {rec['status']} without a note")
    try:
        chapter, _ = split_id(str(rec["id"]))
        if chapter != rec["chapter"]:
            problems.append(f"id prefix {chapter!r} does not match chapter {rec['chapter']!r}")
    except ValueError as e:
        problems.append(str(e))
    return problems


def collect(chapters: Iterable[str], out: Path | None = None) -> list[dict]:
    """Join the chapter ledgers (in the given order) into ``_build/claims.json``."""
    records: list[dict] = []
    for ch in chapters:
        path = chapter_file(ch)
        if not path.exists():
            continue
        recs = json.loads(path.read_text(encoding="utf-8"))
        records.extend(sorted(recs, key=lambda r: r["id"]))
    out = out or build_dir() / "claims.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(records, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return records


def load(path: Path | None = None) -> list[dict]:
    """Read ``_build/claims.json``."""
    path = path or build_dir() / "claims.json"
    return json.loads(path.read_text(encoding="utf-8"))


def verdicts(records: Iterable[Mapping[str, Any]]) -> dict[str, dict]:
    """The verdict snapshot: id -> status, origin, evidence, robustness, recomputed (4 significant
    digits). Committed under ``tests/__snapshots__`` and compared by ``make test``."""
    out = {}
    for r in sorted(records, key=lambda r: r["id"]):
        out[r["id"]] = {
            "status": r["status"],
            "origin": r["origin"],
            "evidence": r["evidence"],
            "robustness": r["robustness"]["verdict"],
            "recomputed": fmt(r["recomputed"]),
            "rows": " ".join(r.get("rows") or []),
            "partial": bool(r.get("partial")),
        }
    return out


def register_verdicts(rows: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """The register part of the snapshot: ``<slug>/<row>`` -> row status."""
    return {f"{r['chapter']}/{r['id']}": r["status"] for r in rows}


def coverage(
    records: Iterable[Mapping[str, Any]],
    registers: Mapping[str, Mapping[str, Mapping[str, Any]]],
) -> list[dict]:
    """Every register row (chapters in the order of ``registers``) with the status the paper records
    naming it give it: ``diverges`` if any full record diverges, else ``reproduced`` if any
    reproduces it, else ``unverifiable``; ``partial`` when only partial records name it;
    ``undecided`` when none does. ``records``/``partial_records`` list the deciding record ids."""
    named: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for r in records:
        if r["origin"] == "paper":
            for row in r.get("rows") or []:
                named.setdefault((r["chapter"], row), []).append(r)
    out = []
    for chapter, reg in registers.items():
        for rid, row in reg.items():
            recs = sorted(named.get((chapter, rid), []), key=lambda r: r["id"])
            full = [r for r in recs if not r.get("partial")]
            seen = {r["status"] for r in full}
            status = next(
                (s for s in ("diverges", "reproduced", "unverifiable") if s in seen),
                "partial" if recs else "undecided",
            )
            ok = [r for r in full if r["status"] == "reproduced"]
            out.append(
                {
                    **row,
                    "chapter": chapter,
                    "id": rid,
                    "status": status,
                    "independent": any(r["evidence"] == "independent" for r in ok),
                    "robust": any(r["robustness"]["verdict"] in ("robust", "n/a") for r in ok),
                    "records": [r["id"] for r in full],
                    "partial_records": [r["id"] for r in recs if r.get("partial")],
                }
            )
    return out


def register_tally(rows: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Counts over register rows: all, decided, each row status, reproduced independently/robustly."""
    rows = list(rows)
    out = {"rows": len(rows)}
    out.update({s: sum(r["status"] == s for r in rows) for s in ROW_STATUSES})
    out["decided"] = out["rows"] - out["undecided"]
    out["independent"] = sum(r["status"] == "reproduced" and r["independent"] for r in rows)
    out["robust"] = sum(r["status"] == "reproduced" and r["robust"] for r in rows)
    return out


def tally(records: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Counts for the landing page: paper claims, reproduced, of which independent and robust."""
    recs = list(records)
    paper = [r for r in recs if r["origin"] == "paper"]
    rep = [r for r in paper if r["status"] == "reproduced"]
    return {
        "paper": len(paper),
        "reproduced": len(rep),
        "independent": sum(r["evidence"] == "independent" for r in rep),
        "robust": sum(r["robustness"]["verdict"] in ("robust", "n/a") for r in rep),
        "diverges": sum(r["status"] == "diverges" for r in paper),
        "unverifiable": sum(r["status"] == "unverifiable" for r in paper),
        "book": len(recs) - len(paper),
    }
