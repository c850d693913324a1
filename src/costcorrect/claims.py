"""The claims ledger: one call per claim records the published and recomputed values and a verdict.

A chapter calls :func:`check` once per claim of its paper. Each call

* decides the status — ``reproduced`` (within tolerance, or a SymPy identity proven),
  ``diverges`` (outside tolerance: a finding) or ``unverifiable`` (inputs not public);
* prints one deterministic line (the cell is marked ``# NBVAL_CHECK_OUTPUT``);
* rewrites the chapter's ledger file ``_build/claims/<slug>.json``.

:func:`collect` joins the chapter files into ``_build/claims.json``.
"""

from __future__ import annotations

import json
import math
import os
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable

from .paths import build_dir, split_id

KINDS = ("symbolic", "numeric", "simulation")
STATUSES = ("reproduced", "diverges", "unverifiable")
FIELDS = (
    "chapter", "id", "statement", "kind", "published", "source",
    "recomputed", "tolerance", "status", "note",
)

_ledgers: dict[str, dict[str, "Claim"]] = {}


class ClaimError(ValueError):
    """A claim was recorded with inconsistent arguments."""


@dataclass(frozen=True)
class Claim:
    """One ledger record (the JSON fields are :data:`FIELDS`)."""

    chapter: str
    id: str
    statement: str
    kind: str
    published: Any
    source: str
    recomputed: Any
    tolerance: float | None
    status: str
    note: str = ""
    extra: dict = field(default_factory=dict, compare=False)

    def _ipython_display_(self) -> None:
        """Show nothing as a cell's last value: :func:`check` already printed the line."""

    def to_json(self) -> dict:
        d = asdict(self)
        d.pop("extra")
        return d

    def line(self) -> str:
        """The one-line summary printed in the notebook (stable across runs)."""
        mark = {"reproduced": "✔", "diverges": "✘", "unverifiable": "?"}[self.status]
        tol = "" if self.tolerance is None else f" (tol {fmt(self.tolerance)})"
        s = f"{mark} {self.status:<12} {self.id}: published {fmt(self.published)}; recomputed {fmt(self.recomputed)}{tol}"
        if self.note and self.status != "reproduced":
            s += f"\n    note: {self.note}"
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
    except ImportError:  # pragma: no cover
        pass
    if isinstance(value, int):
        return value
    if isinstance(value, float):
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


def _within(published: float, recomputed: float, tolerance: float, absolute: bool) -> bool:
    if any(isinstance(v, float) and math.isnan(v) for v in (published, recomputed)):
        return False
    err = abs(recomputed - published)
    return err <= (tolerance if absolute else tolerance * abs(published)) + 1e-12


def decide(kind: str, published: Any, recomputed: Any, tolerance: float | None, absolute: bool) -> bool:
    """True when ``recomputed`` agrees with ``published`` under the claim's rule."""
    if kind == "symbolic":
        return _proven(recomputed)
    if isinstance(published, bool) or isinstance(recomputed, bool):
        return bool(published) == bool(recomputed) and isinstance(recomputed, bool) == isinstance(published, bool)
    if isinstance(published, (int, float)) and isinstance(recomputed, (int, float)):
        return _within(float(published), float(recomputed), tolerance or 0.0, absolute)
    if (isinstance(published, (list, tuple)) and len(published) == 2 and isinstance(recomputed, (int, float))
            and all(isinstance(v, (int, float)) for v in published)):
        lo, hi = sorted(float(v) for v in published)  # a published range: the value must fall inside it
        slack = (tolerance or 0.0) if absolute else None
        lo_ok = recomputed >= (lo - slack if absolute else lo - (tolerance or 0.0) * abs(lo)) - 1e-12
        hi_ok = recomputed <= (hi + slack if absolute else hi + (tolerance or 0.0) * abs(hi)) + 1e-12
        return lo_ok and hi_ok
    if isinstance(published, (list, tuple)) and isinstance(recomputed, (list, tuple)):
        if len(published) != len(recomputed):
            return False
        return all(decide(kind, p, r, tolerance, absolute) for p, r in zip(published, recomputed))
    raise ClaimError(
        f"cannot compare published {published!r} with recomputed {recomputed!r}: use numbers, "
        "equal-length lists of numbers, booleans, or kind='symbolic'"
    )


def check(
    id: str,
    statement: str,
    kind: str,
    published: Any,
    source: str,
    recomputed: Any = None,
    tolerance: float | None = None,
    *,
    absolute: bool = False,
    unverifiable: bool = False,
    note: str = "",
    quiet: bool = False,
) -> Claim:
    """Check one claim and record it in the chapter's ledger.

    Parameters
    ----------
    id: ``<slug>.<name>``; the slug is the chapter.
    statement: the claim in one sentence, in our words.
    kind: ``symbolic``, ``numeric`` or ``simulation``.
    published: the value as the paper states it (number, ``[lo, hi]``, bool, or the formula as text
        for symbolic claims). A ``[lo, hi]`` range against a single recomputed number checks that the
        number lies in the range (widened by the tolerance); against a ``[lo, hi]`` pair it compares
        the endpoints.
    source: URL where the published value is stated.
    recomputed: our value: a number/list/bool, or for symbolic claims the CAS verdict
        (``True``/``False``, a SymPy ``Eq``, or an expression that must simplify to 0).
    tolerance: relative tolerance (absolute when ``absolute=True``); required for numeric comparison.
    unverifiable: the paper's inputs are not public; ``note`` must say what is missing.
    note: why a claim diverges or cannot be checked (required for those statuses).
    """
    chapter, _ = split_id(id)
    if kind not in KINDS:
        raise ClaimError(f"{id}: kind must be one of {KINDS}, not {kind!r}")
    if not statement.strip():
        raise ClaimError(f"{id}: statement is empty")
    if not str(source).startswith(("http://", "https://")):
        raise ClaimError(f"{id}: source must be a URL where the published value is stated, got {source!r}")
    if unverifiable:
        if not note.strip():
            raise ClaimError(f"{id}: an unverifiable claim needs a note saying which inputs are missing")
        status = "unverifiable"
    else:
        if kind != "symbolic" and tolerance is None and not isinstance(published, bool):
            raise ClaimError(f"{id}: a {kind} claim needs a tolerance")
        status = "reproduced" if decide(kind, published, recomputed, tolerance, absolute) else "diverges"
    if status == "diverges" and not note.strip():
        warnings.warn(f"{id} diverges and has no note explaining why", stacklevel=2)
    if kind == "symbolic":
        shown = "proven" if status == "reproduced" else ("not proven" if status == "diverges" else None)
    else:
        shown = _to_plain(recomputed)
    claim = Claim(
        chapter=chapter,
        id=id,
        statement=statement.strip(),
        kind=kind,
        published=_to_plain(published),
        source=str(source),
        recomputed=shown,
        tolerance=None if tolerance is None else float(tolerance),
        status=status,
        note=note.strip(),
        extra={"absolute": absolute},
    )
    ledger = _ledgers.setdefault(chapter, {})
    if id in ledger:
        raise ClaimError(f"{id}: claim checked twice in one run (ids must be unique)")
    ledger[id] = claim
    _write_chapter(chapter)
    if not quiet:
        print(claim.line())
    return claim


def chapter_claims(chapter: str) -> list[Claim]:
    """The claims recorded so far in this process for ``chapter``."""
    return list(_ledgers.get(chapter, {}).values())


def reset(chapter: str | None = None) -> None:
    """Forget recorded claims (all chapters, or one) — for tests."""
    if chapter is None:
        _ledgers.clear()
    else:
        _ledgers.pop(chapter, None)


def chapter_file(chapter: str) -> Path:
    return build_dir() / "claims" / f"{chapter}.json"


def _write_chapter(chapter: str) -> None:
    path = chapter_file(chapter)
    path.parent.mkdir(parents=True, exist_ok=True)
    records = [c.to_json() for c in _ledgers[chapter].values()]
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(records, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)


def validate_record(rec: dict) -> list[str]:
    """Problems with one ledger record (empty when it is valid)."""
    problems = []
    missing = [f for f in FIELDS if f not in rec]
    if missing:
        problems.append(f"missing fields {missing}")
    if rec.get("status") not in STATUSES:
        problems.append(f"status {rec.get('status')!r} not in {STATUSES}")
    if rec.get("kind") not in KINDS:
        problems.append(f"kind {rec.get('kind')!r} not in {KINDS}")
    if rec.get("status") in ("diverges", "unverifiable") and not str(rec.get("note", "")).strip():
        problems.append(f"status {rec.get('status')} without a note")
    try:
        chapter, _ = split_id(str(rec.get("id", "")))
        if chapter != rec.get("chapter"):
            problems.append(f"id prefix {chapter!r} does not match chapter {rec.get('chapter')!r}")
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
