"""The claims ledger: each paper claim is declared once, in its register, and decided in one line.

The **register** ``data/<slug>/register.csv`` is the paper's side. Each row is one atomic claim: its
words, kind, the value as stated (with unit, source, URL and locator) and, when the book tests it, the
**test** (``=``, ``range``, ``>=``, ``<=`` or ``proof``), the **threshold** the test compares with,
the **tolerance** (``25%`` relative, ``0.05`` absolute, ``0`` exact) and the **reading**: how the book
turns a qualitative sentence into that test, and why. A figure the paper quotes from a cited source
has ``origin = cited``: a checked input, shown, never counted as the paper's claim.

A chapter decides a row with one call (:class:`Chapter`)::

    C = claims.chapter("serving-frontier")
    C.decide("sarathi-falcon", speedup, over=claims.sweep(f, slack=SLACKS), evidence="independent")
    C.unverifiable("mooncake-real", why="private", note="Kimi's production trace is not public.")
    C.result("cheapest-design", "Disaggregation is cheapest at 32k tokens.", ratio, expect=(">=", 1))

Each record says

* **origin** — ``paper``, ``cited`` (a cited source's figure) or ``book`` (a result this book
  derives; shown, never counted);
* **evidence** (paper and cited records) — ``independent`` (recomputed from primary data or a model
  that could have contradicted the claim), ``consistency`` (the paper's own numbers against each
  other), ``none`` (unverifiable, with its reason: ``private``, ``not retrieved`` or ``not
  empirical``), or ``vacuous`` (the falsifiability probe found that the verdict cannot change);
* **the number that decided it** and the **condition** it was held to, never a bare boolean;
* **robustness** — the declared uncertain inputs with ranges fixed before comparing
  (:func:`sweep`), the sampling interval (:func:`interval`) or why there is none (:func:`exact`);
* **status** over the whole declared range — ``reproduced`` (holds at every declared point, and for
  an interval over all of it), ``conditional`` (holds somewhere: the region is recorded), ``diverges``
  (holds nowhere) or ``unverifiable``;
* **probe** — the same check re-decided against counterfactual published values (the threshold
  halved and doubled, moved by the width of its range, or the opposite direction; see
  :func:`counterfactuals`). A reproduction whose verdict no counterfactual changes is graded
  ``vacuous`` and never counted.

A verdict that is not a reproduction needs a note explaining the finding. Outside the committed
book (a reader's rerun with other parameters or data), a missing note is not an error: the record
gets an **automatic note** naming what changed against the book's committed verdict
(``tests/__snapshots__/``), and the committed build is tested to have none.

:func:`coverage` gives every register row its status from the records that name it. Every record
holds what is needed to re-decide it (:func:`redecide`). Each call prints a short, deterministic block
and rewrites the chapter's ledger ``_build/claims/<slug>.json``; :func:`collect` joins them.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from costcorrect import numbers
from costcorrect.models._parallel import map_kwargs
from costcorrect.paths import build_dir, repo_root, split_id

KINDS = ("symbolic", "numeric", "simulation")
STATUSES = ("reproduced", "conditional", "diverges", "unverifiable")
ORIGINS = ("paper", "cited", "book")
EVIDENCE = ("independent", "consistency", "vacuous", "none")
WHY_UNVERIFIABLE = ("private", "not retrieved", "not empirical")
ROBUSTNESS = ("robust", "n/a")
BOUNDS = ("=", "range", ">=", "<=")
TESTS = (*BOUNDS, "proof")
PROBES = ("scale", "opposite")
FIELDS = (
    "chapter",
    "id",
    "statement",
    "kind",
    "origin",
    "evidence",
    "stated",
    "published",
    "unit",
    "source",
    "locator",
    "reading",
    "recomputed",
    "condition",
    "rule",
    "robustness",
    "probe",
    "status",
    "why",
    "note",
    "auto_note",
    "rows",
    "partial",
)
REGISTER_KINDS = ("number", "range", "comparison", "direction", "condition", "up-to", "statement")
# register kinds whose threshold is a quantity (probed by scaling), not a direction (probed by its opposite)
QUANTITATIVE = ("number", "range", "up-to")
REGISTER_ORIGINS = ("paper", "cited")
READ_IN = ("abstract", "readable", "paper")
ROW_STATUSES = ("reproduced", "conditional", "diverges", "unverifiable", "partial", "undecided")
# the CSS class of each status's badge (book/static/costcorrect.css), for records and register rows
BADGE = {
    "reproduced": "cc-ok",
    "conditional": "cc-cond",
    "diverges": "cc-bad",
    "unverifiable": "cc-unk",
    "partial": "cc-part",
    "undecided": "cc-none",
}
MARK = {"reproduced": "✔", "conditional": "◐", "diverges": "✘", "unverifiable": "?"}
AUTO = "Automatic note"


def badge(status: str, text: str | None = None) -> str:
    """The HTML badge of a status (a record's or a register row's), labelled ``text`` or the status."""
    import html

    return f'<span class="cc-badge {BADGE[status]}">{html.escape(status if text is None else text)}</span>'


_ledgers: dict[str, dict[str, Claim]] = {}


class ClaimError(ValueError):
    """A claim was recorded with inconsistent arguments, or a register row cannot be read."""


# --------------------------------------------------------------------------------------------------
# The register: each paper claim declared once
# --------------------------------------------------------------------------------------------------

_registers: dict[str, dict[str, dict]] = {}


def _cell(v: Any) -> str:
    """A register cell as text ('' for an empty cell, which pandas reads as None or NaN)."""
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v).strip()


def register(slug: str) -> dict[str, dict]:
    """The chapter's claims register, ``data/<slug>/register.csv``: row id -> row (all text).

    Validated (schema and the test columns, :func:`row_test`), and recorded as a dependency of the
    chapter being executed.
    """
    if slug not in _registers:
        from costcorrect import data

        frame = data.load(f"{slug}/register")
        rows = {str(r["id"]): {k: _cell(v) for k, v in r.items()} for r in frame.to_dict("records")}
        for i, (rid, row) in enumerate(rows.items(), start=2):
            row.setdefault("origin", "paper")
            row_test(slug, rid, row, line=i)
        _registers[slug] = rows
    return _registers[slug]


@dataclass(frozen=True)
class Test:
    """The test a register row declares: bound, threshold(s), tolerance, probe and reading."""

    bound: str  # one of TESTS, or "" (no test declared)
    threshold: Any  # float, [lo, hi] for a range, a list for elementwise "=", None for proof/none
    tolerance: float
    absolute: bool
    probe: str  # "scale" or "opposite"
    reading: str


def _number(text: str) -> float:
    return float(text.replace("−", "-").replace(",", ""))


def row_test(slug: str, rid: str, row: Mapping[str, str], line: int | None = None) -> Test:
    """Parse and check a register row's test columns (``test``, ``threshold``, ``tolerance``,
    ``probe``, ``reading``); a bad cell is an error naming the file, row and column."""
    where = f"data/{slug}/register.csv, row {rid!r}" + (f" (line {line})" if line else "")
    bound = row.get("test", "")
    if bound and bound not in TESTS:
        raise ClaimError(f"{where}, column 'test': {bound!r} is not one of {TESTS} (or empty)")
    raw = row.get("threshold", "")
    threshold: Any = None
    if bound in BOUNDS:
        if not raw:
            raise ClaimError(f"{where}, column 'threshold': a {bound!r} test needs a threshold")
        try:
            parts = [_number(p) for p in raw.split(";")]
        except ValueError:
            raise ClaimError(
                f"{where}, column 'threshold': {raw!r} is not a number (or numbers separated by ';')"
            ) from None
        if bound == "range":
            if len(parts) != 2:
                raise ClaimError(f"{where}, column 'threshold': a range is 'lo;hi', got {raw!r}")
            threshold = sorted(parts)
        elif len(parts) > 1 and bound != "=":
            raise ClaimError(f"{where}, column 'threshold': a {bound!r} test takes one number")
        else:
            threshold = parts[0] if len(parts) == 1 else parts
    elif raw:
        raise ClaimError(
            f"{where}, column 'threshold': set only for a numeric test (=, range, >=, <=)"
        )
    tol_raw = row.get("tolerance", "")
    tolerance, absolute = 0.0, False
    if bound in BOUNDS:
        if not tol_raw:
            raise ClaimError(
                f"{where}, column 'tolerance': a numeric test needs a tolerance ('25%', '0.05' "
                "absolute in the row's unit, or '0')"
            )
        try:
            if tol_raw.endswith("%"):
                tolerance = _number(tol_raw[:-1]) / 100
            else:
                tolerance, absolute = _number(tol_raw), True
        except ValueError:
            raise ClaimError(
                f"{where}, column 'tolerance': {tol_raw!r} is not '25%' or a number"
            ) from None
        if tolerance < 0:
            raise ClaimError(f"{where}, column 'tolerance': negative")
        if tolerance == 0:
            absolute = False
    elif tol_raw:
        raise ClaimError(f"{where}, column 'tolerance': set only for a numeric test")
    kind = row.get("kind", "")
    probe = row.get("probe", "") or (
        "scale" if kind in QUANTITATIVE or bound in ("=", "range") else "opposite"
    )
    if probe not in PROBES:
        raise ClaimError(f"{where}, column 'probe': {probe!r} is not one of {PROBES} (or empty)")
    if probe == "opposite" and bound in ("=", "range"):
        raise ClaimError(f"{where}, column 'probe': an '=' or range test is probed by 'scale'")
    reading = row.get("reading", "")
    if bound in BOUNDS and kind not in QUANTITATIVE and len(reading) < 20:
        raise ClaimError(
            f"{where}, column 'reading': a {kind!r} claim tested as {bound!r} needs the reading "
            "(how the sentence becomes this test, and why; at least a sentence)"
        )
    origin = row.get("origin", "paper") or "paper"
    if origin not in REGISTER_ORIGINS:
        raise ClaimError(f"{where}, column 'origin': {origin!r} is not one of {REGISTER_ORIGINS}")
    return Test(bound, threshold, tolerance, absolute, probe, reading)


# --------------------------------------------------------------------------------------------------
# Robustness: declared uncertain inputs, sampling intervals, or none
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Robustness:
    """How a verdict was stress-tested; the status is decided over all of it."""

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
    return _grid_record(names, ranges, grid, values)


def grid(values: Any, /, **ranges: Sequence[Any]) -> Robustness:
    """A sweep already evaluated on the grid: ``values`` has one axis per declared range, in order
    (as a vectorised model returns it from broadcast inputs, e.g. ``np.meshgrid(..., indexing="ij")``)."""
    import numpy as np

    if not ranges:
        raise ClaimError("grid needs at least one declared input range")
    names = list(ranges)
    arr = np.asarray(values)
    shape = tuple(len(list(ranges[n])) for n in names)
    if arr.shape[: len(shape)] != shape:
        raise ClaimError(f"grid values have shape {arr.shape}, the declared ranges {shape}")
    points = [
        dict(zip(names, combo)) for combo in itertools.product(*(list(ranges[n]) for n in names))
    ]
    flat = [arr[idx] for idx in itertools.product(*(range(s) for s in shape))]
    return _grid_record(names, ranges, points, flat)


def _grid_record(
    names: list[str], ranges: Mapping[str, Sequence[Any]], grid_: list[dict], values: list
) -> Robustness:
    points = tuple(
        {"at": {k: _to_plain(v) for k, v in g.items()}, "recomputed": _to_plain(v)}
        for g, v in zip(grid_, values)
    )
    return Robustness("sweep", {n: [_to_plain(v) for v in ranges[n]] for n in names}, points)


def interval(lo: float, hi: float, *, method: str, n: int | None = None) -> Robustness:
    """A sampling interval for a simulated value (e.g. Wilson 95% over shots, or min–max / t-interval
    over several seeds; paired where arms share draws). ``method`` says which; ``n`` the samples.
    The verdict covers the whole interval: reproduced only when all of it meets the test."""
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
    stated: str
    published: Any
    unit: str
    source: str
    locator: str
    reading: str
    recomputed: Any
    condition: str
    rule: dict
    robustness: dict
    probe: dict
    status: str
    why: str = ""
    note: str = ""
    auto_note: bool = False
    rows: list[str] = field(default_factory=list)
    partial: str = ""

    def _ipython_display_(self) -> None:
        """Show nothing as a cell's last value: the call already printed the block."""

    def to_json(self) -> dict:
        return asdict(self)

    def line(self) -> str:
        """The summary printed in the notebook (stable across runs); the note is always shown."""
        return summary_line(self.to_json())


def summary_line(rec: Mapping[str, Any]) -> str:
    """The printed block of one record: verdict line, then evidence/robustness/probe, then the note."""
    who = {"paper": "paper claim", "cited": "cited figure", "book": "book result"}[rec["origin"]]
    s = f"{MARK[rec['status']]} {rec['status']:<12} {rec['id']} ({who})"
    if rec["status"] != "unverifiable":
        s += f"\n    recomputed {fmt(rec['recomputed'])}; condition: {rec['condition']}"
    ev = f"evidence: {rec['evidence']}; " if rec["origin"] != "book" else ""
    if rec["status"] == "unverifiable":
        s += f"\n    {ev}why: {rec['why']}"
    else:
        rob = rec["robustness"]
        s += f"\n    {ev}robustness: {rob['verdict']}"
        if rob.get("region"):
            s += f" — {rob['region']}"
        elif rob.get("reason"):
            s += f" — {rob['reason']}"
        if rec["probe"].get("verdict") not in (None, "n/a"):
            s += f"\n    probe: {rec['probe']['verdict']} — {rec['probe']['text']}"
    if rec.get("partial"):
        s += f"\n    partial: {rec['partial']}"
    if rec.get("note"):
        s += f"\n    note: {rec['note']}"
    return s


def fmt(value: Any) -> str:
    """A published/recomputed value as a card shows it (:func:`costcorrect.numbers.fmt`, 4 digits)."""
    return numbers.fmt(value, digits=4)


def _snapshot_text(value: Any) -> str:
    """A recomputed value as the committed verdict snapshot records it (``%.4g``; stable on purpose)."""
    if isinstance(value, float) and math.isfinite(value):
        return f"{value:.4g}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_snapshot_text(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return "—" if value is None else str(value)


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

    def slack(ref: float) -> float:
        return _slack(rule, ref)

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


# --------------------------------------------------------------------------------------------------
# Deciding over the whole declared range, and the falsifiability probe
# --------------------------------------------------------------------------------------------------


def _slack(rule: Mapping[str, Any], ref: float) -> float:
    """The slack a rule allows around ``ref``: its tolerance, absolute or relative to ``ref``."""
    tol = float(rule.get("tolerance") or 0.0)
    return (tol if rule.get("absolute") else tol * abs(ref)) + 1e-12


def _band(rule: Mapping[str, Any], published: Any) -> tuple[float, float] | None:
    """The accepted interval of a scalar ``=`` or ``range`` test (None for one-sided bounds)."""
    b = rule["bound"]
    if b == "=" and _is_num(published):
        p = float(published)
        return p - _slack(rule, p), p + _slack(rule, p)
    if b == "range":
        lo, hi = sorted(float(v) for v in published)
        return lo - _slack(rule, lo), hi + _slack(rule, hi)
    return None


def _interval_status(rule: Mapping[str, Any], published: Any, lo: Any, hi: Any) -> str:
    """A sampled interval [lo, hi] against the test: all of it holds, part of it, or none."""
    ok_lo, ok_hi = holds(rule, published, lo), holds(rule, published, hi)
    if ok_lo and ok_hi:
        return "reproduced"
    if ok_lo or ok_hi:
        return "conditional"
    band = _band(rule, published)
    if band is not None and _is_num(lo) and _is_num(hi) and lo <= band[1] and band[0] <= hi:
        return "conditional"  # the accepted band lies inside the interval
    return "diverges"


def _status_over(
    rule: Mapping[str, Any], published: Any, recomputed: Any, rob: Mapping[str, Any] | None
) -> tuple[str, list[dict]]:
    """The status over the whole declared range, and each declared point with its own status.

    A sweep or an exact check: reproduced when the test holds at the baseline and every declared
    point, diverges when it holds at none, else conditional. An interval: over all of the interval.
    """
    points = []
    for p in (rob or {}).get("points", []):
        st = "reproduced" if holds(rule, published, p["recomputed"]) else "diverges"
        points.append({"at": p["at"], "recomputed": p["recomputed"], "status": st})
    if rob and rob.get("method") == "interval":
        return _interval_status(
            rule, published, points[0]["recomputed"], points[1]["recomputed"]
        ), points
    seen = {"reproduced" if holds(rule, published, recomputed) else "diverges"}
    seen |= {p["status"] for p in points}
    return (seen.pop() if len(seen) == 1 else "conditional"), points


def _region(points: list[dict], status: str, method: str | None) -> str:
    """Where a conditional verdict holds and where it fails, in words."""
    if status != "conditional":
        return ""
    if method == "interval":
        lo, hi = (p["recomputed"] for p in points)
        return f"holds over part of the interval [{fmt(lo)}, {fmt(hi)}] only"

    def at(p: dict) -> str:
        return ", ".join(f"{k}={fmt(v)}" for k, v in p["at"].items())

    good = [at(p) for p in points if p["status"] == "reproduced"]
    bad = [at(p) for p in points if p["status"] != "reproduced"]

    def show(xs: list[str]) -> str:
        return "; ".join(xs[:6]) + (f"; … ({len(xs) - 6} more)" if len(xs) > 6 else "")

    if not points:
        return ""
    return (
        f"holds at {len(good)} of {len(points)} declared points"
        + (f": {show(good)}" if good else "")
        + (f" — fails at {show(bad)}" if bad else " — fails at the baseline")
    )


def counterfactuals(
    rule: Mapping[str, Any], published: Any, probe: str
) -> list[tuple[str, dict, Any]]:
    """The counterfactual published values a check must be able to tell apart from the real one.

    ``=``: the value halved and doubled (shifted by twice the slack when it is 0); ``range``: the
    range moved down and up by its width (halved and doubled when it has none); a one-sided bound
    probed by ``scale``: the bound doubled towards the stricter side (``≥ v`` → ``≥ 2v``, ``≤ v`` →
    ``≤ v/2``); probed by ``opposite``: the opposite bound with the same slack (``≥ v`` → ``≤ v``).
    """
    b = rule["bound"]

    def scaled(f: float) -> Any:
        if isinstance(published, (list, tuple)):
            return [float(v) * f for v in published]
        return float(published) * f

    if b == "=":
        vals = published if isinstance(published, (list, tuple)) else [published]
        if all(float(v) == 0 for v in vals):
            d = 2 * _slack(rule, 0.0) if rule.get("absolute") else 1.0
            return [
                (f"shifted to {fmt(-d)}", dict(rule), -d),
                (f"shifted to {fmt(d)}", dict(rule), d),
            ]
        return [
            (f"halved ({fmt(scaled(0.5))})", dict(rule), scaled(0.5)),
            (f"doubled ({fmt(scaled(2.0))})", dict(rule), scaled(2.0)),
        ]
    if b == "range":
        lo, hi = sorted(float(v) for v in published)
        w = hi - lo
        if w > 0:
            return [
                (f"moved down to {fmt([lo - w, hi - w])}", dict(rule), [lo - w, hi - w]),
                (f"moved up to {fmt([lo + w, hi + w])}", dict(rule), [lo + w, hi + w]),
            ]
        return [
            (f"halved ({fmt(scaled(0.5))})", dict(rule), scaled(0.5)),
            (f"doubled ({fmt(scaled(2.0))})", dict(rule), scaled(2.0)),
        ]
    v = float(published)
    other = "<=" if b == ">=" else ">="
    sym = {">=": "≥", "<=": "≤"}
    if probe == "scale" and v != 0:
        stricter = (2 * v if v > 0 else v / 2) if b == ">=" else (v / 2 if v > 0 else 2 * v)
        return [(f"{sym[b]} {fmt(stricter)} (the bound moved by a factor 2)", dict(rule), stricter)]
    return [(f"the opposite, {sym[other]} {fmt(v)}", dict(rule, bound=other), v)]


def _probe(
    rule: Mapping[str, Any],
    published: Any,
    recomputed: Any,
    rob: Mapping[str, Any] | None,
    status: str,
    probe: str,
) -> dict:
    """Re-decide the record against each counterfactual: a reproduction ``can fail`` when every one
    changes it (else ``cannot fail``: graded vacuous); another verdict ``can change`` when any does."""
    cfs = []
    for label, r, pub in counterfactuals(rule, published, probe):
        st, _ = _status_over(r, pub, recomputed, rob)
        cfs.append({"label": label, "rule": r, "published": _to_plain(pub), "status": st})
    changed = [c["status"] != status for c in cfs]
    if status == "reproduced":
        verdict = "can fail" if all(changed) else "cannot fail"
    else:  # a divergence or conditional verdict: does any counterfactual change it?
        verdict = "can change" if any(changed) else "cannot change"
    text = "; ".join(f"{c['label']}: {c['status']}" for c in cfs)
    return {
        "verdict": verdict,
        "method": probe,
        "counterfactuals": cfs,
        "text": text,
    }


NO_PROBE = {"verdict": "n/a", "method": None, "counterfactuals": [], "text": ""}


def _robustness_record(rob: Robustness | None, points: list[dict], status: str) -> dict:
    if rob is None:
        return {
            "verdict": "n/a",
            "method": None,
            "inputs": {},
            "points": [],
            "region": "",
            "reason": "",
        }
    return {
        "verdict": "robust",
        "method": rob.method,
        "inputs": rob.inputs,
        "points": points,
        "region": _region(points, status, rob.method),
        "reason": rob.reason,
    }


# --------------------------------------------------------------------------------------------------
# Automatic notes: a verdict that changes is reported, never a crash
# --------------------------------------------------------------------------------------------------

SNAPSHOT = (
    Path("tests")
    / "__snapshots__"
    / "test_ledger"
    / "test_verdicts_match_the_committed_snapshot.json"
)
_committed: dict | None = None


def committed_verdicts() -> dict:
    """The book's committed verdicts (the snapshot ``make snapshot`` writes), or {} when absent."""
    global _committed
    if _committed is None:
        path = repo_root() / SNAPSHOT
        try:
            _committed = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            _committed = {}
    return _committed


def _auto_note(rid: str, status: str, recomputed: Any, note: str) -> tuple[str, bool]:
    """The note, with an automatic sentence when the verdict is unexplained or differs from the
    book's committed one."""
    old = committed_verdicts().get(rid)
    changed = isinstance(old, dict) and old.get("status") != status
    unexplained = status not in ("reproduced", "unverifiable") and len(note.strip()) < 20
    if not (changed or unexplained):
        return note.strip(), False
    if isinstance(old, dict):
        was = (
            f"the book's committed verdict is {old.get('status')} (recomputed "
            f"{old.get('recomputed')}); this run gives {status} (recomputed {fmt(recomputed)})"
        )
    else:
        was = f"this record is not among the book's committed verdicts; this run gives {status}"
    extra = f"{AUTO}: {was}" + ("; no explanation was written for it." if unexplained else ".")
    return (note.strip() + " " + extra).strip(), True


# --------------------------------------------------------------------------------------------------
# Recording
# --------------------------------------------------------------------------------------------------


def _kind_of(kind: str | None, rob: Robustness | None, test: Test) -> str:
    if test.bound == "proof":
        return "symbolic"
    if kind is not None:
        if kind not in KINDS:
            raise ClaimError(f"kind must be one of {KINDS}, not {kind!r}")
        return kind
    return "simulation" if rob is not None and rob.method == "interval" else "numeric"


def _record(
    *,
    chapter: str,
    name: str,
    statement: str,
    origin: str,
    evidence: str | None,
    stated: str,
    test: Test,
    unit: str,
    source: str,
    locator: str,
    recomputed: Any,
    robustness: Robustness | None,
    kind: str | None = None,
    note: str = "",
    rows: Sequence[str] = (),
    partial: str = "",
    why: str = "",
    quiet: bool = False,
) -> Claim:
    """Decide and store one record (the common path of :class:`Chapter`'s methods)."""
    rid = f"{chapter}.{name}"
    split_id(rid)
    if evidence is not None and evidence not in EVIDENCE:
        raise ClaimError(f"{rid}: evidence must be one of {EVIDENCE}, not {evidence!r}")
    if partial and len(partial.strip()) < 20:
        raise ClaimError(f"{rid}: partial needs a reason (a sentence on what the check leaves out)")
    if source and not str(source).startswith(("http://", "https://")):
        raise ClaimError(f"{rid}: source must be a URL, got {source!r}")
    rule: dict = {"bound": test.bound, "tolerance": test.tolerance, "absolute": test.absolute}
    k = _kind_of(kind, robustness, test)
    probe = dict(NO_PROBE)
    if evidence == "none":
        if why not in WHY_UNVERIFIABLE:
            raise ClaimError(f"{rid}: say why it is unverifiable: one of {WHY_UNVERIFIABLE}")
        if len(note.strip()) < 20:
            raise ClaimError(f"{rid}: an unverifiable claim needs a note saying what is missing")
        status, rec_plain, condition = "unverifiable", None, "not checkable"
        rule = {"bound": test.bound or "none", "tolerance": None, "absolute": False}
        rob_rec = _robustness_record(None, [], status)
    elif test.bound == "proof":
        ok = _proven(recomputed)
        status, rec_plain = ("reproduced" if ok else "diverges"), ("proven" if ok else "not proven")
        condition = "a CAS proof of the stated identity"
        rule = {"bound": "proof", "tolerance": None, "absolute": False}
        rob_rec = _robustness_record(None, [], status)
    else:
        if test.bound not in BOUNDS:
            raise ClaimError(
                f"{rid}: register row declares no test; give it test/threshold/tolerance (and a "
                "reading) in the register, or record it as unverifiable"
            )
        if isinstance(recomputed, bool) or type(recomputed).__name__ == "bool_":
            raise ClaimError(f"{rid}: record the number that decided the claim, not a boolean")
        if robustness is None:
            raise ClaimError(
                f"{rid}: a {k} verdict needs over=claims.sweep(...) (or grid) over its uncertain "
                "inputs, claims.interval(...) for a sampled value, or claims.exact(reason)"
            )
        if k == "simulation" and robustness.method == "exact":
            raise ClaimError(
                f"{rid}: a simulation verdict rests on an interval or a sweep over seeds"
            )
        rec_plain = _to_plain(recomputed)
        rob_plain = {"method": robustness.method, "points": list(robustness.points)}
        status, points = _status_over(rule, test.threshold, rec_plain, rob_plain)
        condition = condition_text(rule, test.threshold, unit)
        rob_rec = _robustness_record(robustness, points, status)
        if origin != "book":
            probe = _probe(rule, test.threshold, rec_plain, rob_plain, status, test.probe)
            if status == "reproduced" and probe["verdict"] == "cannot fail":
                evidence = "vacuous"
    note, auto = _auto_note(rid, status, rec_plain, note)
    claim = Claim(
        chapter=chapter,
        id=rid,
        statement=statement.strip(),
        kind=k,
        origin=origin,
        evidence=evidence,
        stated=stated,
        published=_to_plain(test.threshold),
        unit=unit,
        source=str(source),
        locator=locator,
        reading=test.reading,
        recomputed=rec_plain,
        condition=condition,
        rule=rule,
        robustness=rob_rec,
        probe=probe,
        status=status,
        why=why,
        note=note,
        auto_note=auto,
        rows=list(rows),
        partial=partial.strip(),
    )
    ledger = _ledgers.setdefault(chapter, {})
    if rid in ledger:
        raise ClaimError(f"{rid}: claim checked twice in one run (ids must be unique)")
    ledger[rid] = claim
    _write_chapter(chapter)
    if not quiet:
        _show(claim)
    return claim


class Chapter:
    """A chapter's handle on its register and ledger: ``C = claims.chapter(slug)``."""

    def __init__(self, slug: str) -> None:
        self.slug = slug

    @property
    def rows(self) -> dict[str, dict]:
        """The chapter's register rows (read and validated on first use)."""
        return register(self.slug)

    def row(self, rid: str) -> dict:
        """A register row (all text), or an error naming the file."""
        if rid not in self.rows:
            raise ClaimError(
                f"data/{self.slug}/register.csv has no row {rid!r}; declare the paper's claim there "
                f"(known: {', '.join(sorted(self.rows))})"
            )
        return self.rows[rid]

    def test(self, rid: str) -> Test:
        """The test a register row declares."""
        return row_test(self.slug, rid, self.row(rid))

    def value(self, rid: str) -> Any:
        """A row's threshold as a number (a list for a range): to use as a model input."""
        t = self.test(rid)
        if t.threshold is None:
            raise ClaimError(f"data/{self.slug}/register.csv, row {rid!r}: no numeric threshold")
        return t.threshold

    def _declared(self, row: str, name: str | None, rows: Sequence[str] | None) -> dict:
        """The record fields a register row declares (words, value, test, source), for ``_record``."""
        r = self.row(row)
        return dict(
            chapter=self.slug,
            name=name or row,
            statement=r["claim"],
            origin=r.get("origin") or "paper",
            stated=r["value"],
            test=self.test(row),
            unit=r["unit"],
            source=r["url"],
            locator=r["locator"],
            rows=self._rows(row, rows),
        )

    def _rows(self, row: str, rows: Sequence[str] | None) -> list[str]:
        out = [row, *[r for r in (rows or []) if r != row]]
        for r in out:
            self.row(r)
        return out

    def decide(
        self,
        row: str,
        recomputed: Any,
        *,
        evidence: str,
        over: Robustness | None = None,
        note: str = "",
        name: str | None = None,
        rows: Sequence[str] | None = None,
        partial: str = "",
        kind: str | None = None,
        quiet: bool = False,
    ) -> Claim:
        """Decide register row ``row`` with the number ``recomputed`` (the baseline) over the declared
        range ``over``; the claim's words, value, test and reading come from the register.

        ``evidence``: ``independent`` or ``consistency``. ``name``: the record's id when a row has
        several records (default: the row id). ``rows``: further rows the same record decides.
        ``partial``: why the record checks less than its rows say (it then does not decide them).
        """
        if evidence not in ("independent", "consistency"):
            raise ClaimError(
                f"{self.slug}.{name or row}: evidence is 'independent' or 'consistency'"
            )
        return _record(
            **self._declared(row, name, rows),
            evidence=evidence,
            recomputed=recomputed,
            robustness=over,
            kind=kind,
            note=note,
            partial=partial,
            quiet=quiet,
        )

    def unverifiable(
        self,
        row: str,
        *,
        why: str,
        note: str,
        name: str | None = None,
        rows: Sequence[str] | None = None,
        quiet: bool = False,
    ) -> Claim:
        """Record that row ``row`` cannot be checked here: ``why`` is ``private`` (never published),
        ``not retrieved`` (public, but not reachable from this book's sources: the note names the
        document and section) or ``not empirical`` (a design, framing, legal or normative statement)."""
        declared = self._declared(row, name, rows)
        return _record(
            **declared,
            evidence="none",
            recomputed=None,
            robustness=None,
            kind="symbolic" if declared["test"].bound == "proof" else "numeric",
            note=note,
            why=why,
            quiet=quiet,
        )

    def result(
        self,
        name: str,
        statement: str,
        recomputed: Any,
        *,
        expect: tuple,
        over: Robustness | None = None,
        note: str = "",
        source: str = "",
        kind: str | None = None,
        quiet: bool = False,
    ) -> Claim:
        """A result of this book's own (never counted): ``expect=(">=", 1)`` or ``("=", 2.0, "5%")``
        or ``("range", [1, 3])`` or ``("proof",)`` for a symbolic identity."""
        bound = expect[0]
        if bound not in TESTS:
            raise ClaimError(f"{self.slug}.{name}: expect's bound must be one of {TESTS}")
        if bound == "proof":
            test = Test("proof", None, 0.0, False, "scale", "")
        else:
            row = {
                "test": bound,
                "threshold": ";".join(str(v) for v in _as_list(expect[1])),
                "tolerance": str(expect[2]) if len(expect) > 2 else "0",
                "kind": "number",
            }
            test = row_test(self.slug, name, row)
        return _record(
            chapter=self.slug,
            name=name,
            statement=statement,
            origin="book",
            evidence=None,
            stated="",
            test=test,
            unit="",
            source=source,
            locator="this book",
            recomputed=recomputed,
            robustness=over,
            kind=kind,
            note=note,
            quiet=quiet,
        )


def _as_list(v: Any) -> list:
    return list(v) if isinstance(v, (list, tuple)) else [v]


def chapter(slug: str) -> Chapter:
    """The handle a chapter decides its claims with (reads and validates its register)."""
    return Chapter(slug)


# --------------------------------------------------------------------------------------------------
# Showing a record
# --------------------------------------------------------------------------------------------------


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


WHO = {"paper": "paper claim", "cited": "cited figure (checked input)", "book": "book result"}


_PLAIN_NUMBER = re.compile(r"-?[0-9][0-9,]*(\.[0-9]+)?([eE][+-]?[0-9]+)?")


def _with_unit(text: str, unit: str) -> str:
    """``text`` and its ``unit``, placed as :func:`costcorrect.numbers.fmt` places it (not twice)."""
    if not unit or text.endswith(unit) or text == "—":
        return text
    return text + (unit if unit.startswith(("%", "x", "×", "°")) else f" {unit}")


def published_text(rec: Mapping[str, Any]) -> str:
    """The value as published, for people: the paper's own words (``"3–8"``, ``"up to 7.4x"``), a
    stated number re-written by :func:`costcorrect.numbers.fmt` (``"524,288"``, never ``5.243e+05``),
    or the published number itself, each with its unit."""
    stated = str(rec.get("stated") or "").strip()
    unit = str(rec.get("unit") or "")
    if stated:
        # a bare machine number (exponent, or 10000 and up without separators) is re-written;
        # anything else ("3–8", "+16.6", a year) stays as the paper wrote it
        if _PLAIN_NUMBER.fullmatch(stated) and (
            "e" in stated.lower() or abs(float(stated.replace(",", ""))) >= 1e4
        ):
            stated = numbers.fmt(float(stated.replace(",", "")), digits=4)
        # words ("all six positive") take no unit; a number or a short range does ("3–8 ratio")
        numeric = len(stated) <= 24 and any(ch.isdigit() for ch in stated)
        return _with_unit(stated, unit) if numeric else stated
    return _with_unit(fmt(rec.get("published")), unit)


def recomputed_text(rec: Mapping[str, Any]) -> str:
    """The book's number, for people (:func:`costcorrect.numbers.fmt`, with its unit); ``—`` for an
    unverifiable record; a symbolic record's result (``proven``) without a unit."""
    if rec["status"] == "unverifiable":
        return "—"
    unit = "" if rec.get("kind") == "symbolic" else str(rec.get("unit") or "")
    return _with_unit(fmt(rec["recomputed"]), unit)


def card_html(rec: Mapping[str, Any], dashboard: str = "../claims.html") -> str:
    """A compact card for one record: its status badge, the claim and published vs recomputed (with
    units) on view; the reading, condition, region, probe, origin and evidence, source and locator,
    register rows and note folded in a ``<details>`` a click (or Enter) opens — open in print."""
    import html as h

    e = h.escape
    rob = rec["robustness"]
    book = rec["origin"] == "book"
    ours = recomputed_text(rec)
    published = published_text(rec)
    if len(published) > 60:  # a sentence: the claim above says it, the details quote it
        published = "in words (quoted in the details)"
    if rec["status"] == "unverifiable":
        ours = f"— ({rec['why']})"
    src = rec.get("source") or ""
    head = [
        f'<div class="cc-card cc-card-{e(rec["status"])}" id="card-{e(rec["id"])}" role="group" '
        f'aria-label="{e(rec["id"])}: {e(rec["status"])}">',
        f'<p class="cc-card-head">{badge(rec["status"])} '
        f'<span class="cc-card-statement">{e(rec["statement"])}</span></p>',
        '<p class="cc-card-values">'
        f"<span>{'expected' if book else 'published'}</span> <strong>{e(published)}</strong>"
        f" · <span>this book</span> <strong>{e(ours)}</strong></p>",
    ]
    more = [
        f'<dt>record</dt><dd><a href="{dashboard}#claim-{e(rec["id"])}"><code>{e(rec["id"])}</code>'
        f"</a> ({WHO[rec['origin']]}"
        + ("" if book else f"; evidence: {e(str(rec['evidence']))}")
        + ")</dd>"
    ]
    if not book and (src or rec.get("locator")):
        where = e(rec.get("locator") or "source")
        more.append(
            "<dt>source</dt><dd>"
            + (f'<a href="{e(src)}">{where}</a>' if src else where)
            + (f" (stated as “{e(str(rec['stated']))}”)" if rec.get("stated") else "")
            + "</dd>"
        )
    if rec.get("reading"):
        more.append(f"<dt>reading</dt><dd>{e(rec['reading'])}</dd>")
    if rec["status"] == "unverifiable":
        more.append(f"<dt>why</dt><dd>{e(rec['why'])}</dd>")
    else:
        more.append(f"<dt>condition</dt><dd>{e(rec['condition'])}</dd>")
        if rob.get("region"):
            more.append(f"<dt>region</dt><dd>{e(rob['region'])}</dd>")
        elif rob.get("reason"):
            label = "interval" if rob.get("method") == "interval" else "why exact"
            more.append(f"<dt>{label}</dt><dd>{e(rob['reason'])}</dd>")
        elif rob.get("method") == "sweep":
            inputs = "; ".join(f"{k} ∈ {fmt(v)}" for k, v in rob["inputs"].items())
            more.append(f"<dt>declared inputs</dt><dd>{e(inputs)}</dd>")
        if rec["probe"].get("verdict") not in (None, "n/a"):
            more.append(
                f"<dt>falsifiability</dt><dd>{e(rec['probe']['verdict'])}: "
                f"{e(rec['probe']['text'])}</dd>"
            )
    if rec.get("rows"):
        label = "checks part of" if rec.get("partial") else "decides"
        links = ", ".join(
            f'<a href="{dashboard}#row-{e(rec["chapter"])}-{e(x)}"><code>{e(x)}</code></a>'
            for x in rec["rows"]
        )
        more.append(f"<dt>register</dt><dd>{label} {links}</dd>")
    if rec.get("partial"):
        more.append(f"<dt>partial</dt><dd>{e(rec['partial'])}</dd>")
    if rec.get("note"):
        more.append(f"<dt>note</dt><dd>{e(rec['note'])}</dd>")
    return (
        "".join(head)
        + '<details class="cc-card-more"><summary>Reading, evidence, probe and source</summary>'
        + '<dl class="cc-card-details">'
        + "".join(more)
        + "</dl></details></div>"
    )


# --------------------------------------------------------------------------------------------------
# Re-deciding a record from the file alone, and the ledger files
# --------------------------------------------------------------------------------------------------


def redecide(rec: Mapping[str, Any]) -> tuple[str, str]:
    """The (status, evidence) a record implies from its own fields alone."""
    if rec.get("evidence") == "none":
        return "unverifiable", "none"
    rule = rec["rule"]
    if rule["bound"] == "proof":
        return ("reproduced" if rec["recomputed"] == "proven" else "diverges"), rec["evidence"]
    rob = rec["robustness"]
    status, _ = _status_over(rule, rec["published"], rec["recomputed"], rob)
    evidence = rec["evidence"]
    if rec["origin"] != "book":
        probe = _probe(
            rule, rec["published"], rec["recomputed"], rob, status, rec["probe"]["method"]
        )
        if status == "reproduced" and probe["verdict"] == "cannot fail":
            evidence = "vacuous"
        elif evidence == "vacuous":
            evidence = "?"  # a stored 'vacuous' the probe does not imply
    return status, evidence


def chapter_claims(chapter: str) -> list[Claim]:
    """The claims recorded so far in this process for ``chapter``."""
    return list(_ledgers.get(chapter, {}).values())


def reset(chapter: str | None = None) -> None:
    """Forget recorded claims (all chapters, or one) — for tests."""
    global _committed
    _committed = None
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
    if rec["origin"] != "book" and rec["evidence"] not in EVIDENCE:
        problems.append(
            f"{rec['origin']} record with evidence {rec['evidence']!r} not in {EVIDENCE}"
        )
    if rec["origin"] == "book" and rec["evidence"] is not None:
        problems.append("a book result carries no evidence grade")
    if rec["origin"] != "book" and not str(rec["source"]).startswith(("http://", "https://")):
        problems.append(f"{rec['origin']} record without a source URL")
    if rec["robustness"].get("verdict") not in ROBUSTNESS:
        problems.append(f"robustness {rec['robustness'].get('verdict')!r} not in {ROBUSTNESS}")
    if (
        rec["kind"] != "symbolic"
        and rec["status"] != "unverifiable"
        and rec["robustness"].get("verdict") == "n/a"
    ):
        problems.append("numeric/simulation verdict without a robustness record")
    if rec["status"] == "unverifiable" and rec["why"] not in WHY_UNVERIFIABLE:
        problems.append(f"unverifiable without a reason in {WHY_UNVERIFIABLE}")
    if rec["status"] == "conditional" and not rec["robustness"].get("region"):
        problems.append("conditional verdict without the region where it holds")
    if rec["origin"] != "book" and not rec["rows"]:
        problems.append(f"{rec['origin']} record that names no register row")
    if rec["origin"] == "book" and (rec["rows"] or rec["partial"]):
        problems.append("a book result names no register row and is never partial")
    if (
        rec["status"] in ("diverges", "conditional", "unverifiable")
        and not str(rec["note"]).strip()
    ):
        problems.append(f"status {rec['status']} without a note")
    try:
        chapter_, _ = split_id(str(rec["id"]))
        if chapter_ != rec["chapter"]:
            problems.append(f"id prefix {chapter_!r} does not match chapter {rec['chapter']!r}")
    except ValueError as err:
        problems.append(str(err))
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
    """The verdict snapshot: id -> status, origin, evidence, probe, recomputed (4 significant
    digits), rows. Committed under ``tests/__snapshots__`` and compared by ``make test``."""
    out = {}
    for r in sorted(records, key=lambda r: r["id"]):
        out[r["id"]] = {
            "status": r["status"],
            "origin": r["origin"],
            "evidence": r["evidence"],
            "probe": r["probe"]["verdict"],
            "recomputed": _snapshot_text(r["recomputed"]),
            "rows": " ".join(r.get("rows") or []),
            "partial": bool(r.get("partial")),
            "why": r.get("why") or "",
        }
    return out


def register_verdicts(rows: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """The register part of the snapshot: ``<slug>/<row>`` -> row status."""
    return {f"{r['chapter']}/{r['id']}": r["status"] for r in rows}


def counts(record: Mapping[str, Any]) -> bool:
    """Whether a record decides its rows: a full (not partial) record whose check could fail."""
    return not record.get("partial") and record.get("evidence") != "vacuous"


def coverage(
    records: Iterable[Mapping[str, Any]],
    registers: Mapping[str, Mapping[str, Mapping[str, Any]]],
) -> list[dict]:
    """Every register row with the status its deciding records give it: ``diverges`` if any
    diverges, else ``conditional`` if any is conditional, else ``reproduced``, else
    ``unverifiable``; ``partial`` when only partial records (or checks that cannot fail) name it;
    ``undecided`` when none does. Rows of ``origin = cited`` are listed too (``origin`` field)."""
    named: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for r in records:
        if r["origin"] != "book":
            for row in r.get("rows") or []:
                named.setdefault((r["chapter"], row), []).append(r)
    out = []
    for chapter_, reg in registers.items():
        for rid, row in reg.items():
            recs = sorted(named.get((chapter_, rid), []), key=lambda r: r["id"])
            full = [r for r in recs if counts(r)]
            seen = {r["status"] for r in full}
            status = next(
                (s for s in ("diverges", "conditional", "reproduced", "unverifiable") if s in seen),
                "partial" if recs else "undecided",
            )
            ok = [r for r in full if r["status"] == "reproduced"]
            why = sorted({r.get("why") or "" for r in full if r["status"] == "unverifiable"} - {""})
            out.append(
                {
                    **row,
                    "origin": row.get("origin") or "paper",
                    "chapter": chapter_,
                    "id": rid,
                    "status": status,
                    "why": why[0] if status == "unverifiable" and why else "",
                    "independent": any(r["evidence"] == "independent" for r in ok),
                    "records": [r["id"] for r in full],
                    "partial_records": [r["id"] for r in recs if not counts(r)],
                }
            )
    return out


def register_tally(rows: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Counts over the papers' register rows (cited figures apart): each row status, the
    reproduced ones decided independently, and the unverifiable ones by reason."""
    rows = list(rows)
    paper = [r for r in rows if (r.get("origin") or "paper") == "paper"]
    out = {"rows": len(paper), "cited": len(rows) - len(paper)}
    out.update({s: sum(r["status"] == s for r in paper) for s in ROW_STATUSES})
    out["decided"] = out["rows"] - out["undecided"]
    out["independent"] = sum(r["status"] == "reproduced" and r["independent"] for r in paper)
    for w in WHY_UNVERIFIABLE:
        out[w] = sum(r["status"] == "unverifiable" and r.get("why") == w for r in paper)
    return out


def tally(records: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Counts of the ledger's paper records: each status, reproductions counted (could fail, full)
    and of those independent; vacuous checks; cited figures and book results apart."""
    recs = list(records)
    paper = [r for r in recs if r["origin"] == "paper"]
    rep = [r for r in paper if r["status"] == "reproduced" and counts(r)]
    out = {"paper": len(paper), "reproduced": len(rep)}
    out["independent"] = sum(r["evidence"] == "independent" for r in rep)
    out["vacuous"] = sum(r["evidence"] == "vacuous" for r in paper)
    for s in ("conditional", "diverges", "unverifiable"):
        out[s] = sum(r["status"] == s for r in paper)
    out["cited"] = sum(r["origin"] == "cited" for r in recs)
    out["book"] = sum(r["origin"] == "book" for r in recs)
    return out
