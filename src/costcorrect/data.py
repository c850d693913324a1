"""Loading extracted tables from ``data/``, validated against ``data/datapackage.json``.

Every table is a CSV described in the Frictionless Data Package (v2) ``data/datapackage.json``:
field types, units in descriptions, constraints and ``sources``. Every row carries its own
provenance in three required columns (:data:`PROVENANCE`). :func:`load` validates and returns a
``pandas.DataFrame``; a bad table raises :class:`DataError` naming file, row, column and rule.

Validation is done by ``frictionless`` (the reference implementation of the Data Package standard):
types, constraints, primary and unique keys. This module adds the book's own rules — provenance
columns present, filled and http(s) (``rule: provenance``/``required``), a description with its unit
for every field, and no empty table unless the resource declares ``"x-empty": true`` — and words each
error as file, row (and line), column, value and rule. :func:`validate_package` checks every table
once per build, before any chapter runs.

Every numeric field also states its unit in a ``unit`` property (``"USD/Mtok"``, ``"fraction"``,
``"×"``), which tables show in their headers (see :func:`units` and ``figures.table``); the values in
:data:`NO_HEADER_UNIT` declare a field without a unit to show.
"""

from __future__ import annotations

import fcntl
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from costcorrect.paths import data_dir

PROVENANCE = ("source", "url", "locator")
"""Columns every table must have: the citation (paper + arXiv id), its URL, and the table/figure/page."""

TYPES = ("string", "number", "integer", "boolean", "date", "year")
NAME = re.compile(r"^[a-z0-9][a-z0-9-]*/[a-z0-9][a-z0-9_-]*$")
NO_HEADER_UNIT = ("count", "dimensionless", "per row")
"""``unit`` values of numeric fields that have no unit to show: a count of things, a pure number (level,
id, probability), and a value whose unit varies by row (given in the table's ``unit`` column)."""
# the tables :func:`load` returned in this process (a chapter's kernel), in order
_LOADED: list[str] = []


class DataError(ValueError):
    """A table or its description breaks a rule; the message names file, row, column and rule."""


def package_path() -> Path:
    return data_dir() / "datapackage.json"


def read_package(path: Path | None = None) -> dict:
    path = path or package_path()
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise DataError(f"{path}: not valid JSON ({e})") from e


def resource(name: str, package: dict | None = None) -> dict:
    """The descriptor of resource ``<slug>/<table>``."""
    package = package or read_package()
    for res in package.get("resources", []):
        if res.get("name") == name:
            return res
    known = ", ".join(sorted(r.get("name", "?") for r in package.get("resources", [])))
    raise DataError(f"data/datapackage.json: no resource named {name!r} (known: {known})")


def _describe_problems(res: dict) -> list[str]:
    problems = []
    name = res.get("name", "")
    if not NAME.match(name):
        problems.append(f"name {name!r} must be '<slug>/<table>' in lowercase")
    if res.get("path") != f"{name}.csv":
        problems.append(f"path must be '{name}.csv', got {res.get('path')!r}")
    if not res.get("sources"):
        problems.append("needs a non-empty 'sources' list (title + path URL)")
    for s in res.get("sources", []):
        if not str(s.get("path", "")).startswith(("http://", "https://")) or not s.get("title"):
            problems.append(f"source {s!r} needs a 'title' and an http(s) 'path'")
    fields = res.get("schema", {}).get("fields", [])
    names = [f.get("name") for f in fields]
    for p in PROVENANCE:
        if p not in names:
            problems.append(f"schema lacks the provenance column {p!r}")
    for f in fields:
        if f.get("type") not in TYPES:
            problems.append(f"field {f.get('name')!r}: type {f.get('type')!r} not in {TYPES}")
        if not f.get("description"):
            problems.append(f"field {f.get('name')!r}: needs a description (with its unit)")
    return problems


def _frictionless_descriptor(res: dict) -> dict:
    """The resource as frictionless checks it: our provenance rules added as constraints."""
    desc = json.loads(json.dumps(res))
    # columns are matched to the schema's fields by name, not by position (Table Schema's
    # fieldsMatch "equal": the described columns, in any order; _header_problems names any other)
    desc["schema"]["fieldsMatch"] = "equal"
    for f in desc["schema"]["fields"]:
        if f["name"] in PROVENANCE:
            c = f.setdefault("constraints", {})
            c["required"] = True
            if f["name"] == "url":
                c["pattern"] = r"https?://\S+"
    for key in [k for k in desc if k.startswith("x-")]:
        desc.pop(key)
    return desc


def _rule(err: Any) -> str:
    """Our name for a frictionless error: the constraint (minimum, enum, ...) or the error type."""
    note = str(getattr(err, "note", ""))
    m = re.search(r'constraint "(\w+)"', note)
    return m.group(1) if m else err.type


def _message(where: str, err: Any, res: dict) -> str:
    """One frictionless error in this package's words: file, row (and line), column, value, rule."""
    row = getattr(err, "row_number", None)
    col = getattr(err, "field_name", None)
    cell = getattr(err, "cell", None)
    rule = _rule(err)
    if err.type == "source-error" and "empty" in str(err.note):
        return (
            f'{where}: the table has no rows (rule: non-empty; declare "x-empty": true to allow it)'
        )
    if err.type.endswith("-label"):  # headers are checked by name first (_header_problems)
        label = getattr(err, "label", None) or col
        return f"{where}, header (line 1), column {label!r}: {err.note} (rule: {err.type})"
    loc = f"{where}, row {row - 1} (line {row})" if row else where
    if col:
        loc += f", column {col!r}"
    if rule == "required" or (err.type == "constraint-error" and cell in ("", None)):
        return f"{loc}: empty value (rule: required)"
    if col == "url" and rule == "pattern":
        return f"{loc}: value {cell!r} is not an http(s) URL (rule: provenance)"
    if err.type == "type-error":
        ftype = next((f["type"] for f in res["schema"]["fields"] if f["name"] == col), "?")
        return f"{loc}: value {cell!r} is not of type {ftype} (rule: type)"
    if err.type == "constraint-error":
        return f"{loc}: value {cell!r} breaks {err.note} (rule: {rule})"
    if err.type in ("unique-error", "primary-key"):
        kind = "unique" if err.type == "unique-error" else "primaryKey"
        return f"{loc}: {err.note} (rule: {kind})"
    return f"{loc}: {err.note or err.message} (rule: {err.type})"


def _labels(res: dict) -> list[str]:
    """The header row of the resource's CSV as frictionless reads it (its dialect and encoding)."""
    from frictionless import Resource

    desc = {k: v for k, v in res.items() if k not in ("schema",) and not k.startswith("x-")}
    with Resource(desc, basepath=str(data_dir())) as fr:
        return list(fr.labels or [])


def _header_problems(where: str, name: str, res: dict) -> list[str]:
    """The header compared with the schema by column name: every unknown, unnamed, repeated or missing
    column, named with its position (``column 7``) and the resource whose schema describes it."""
    labels = _labels(res)
    if not labels:  # no header at all: frictionless reports the empty table
        return []
    fields = [f.get("name") for f in res.get("schema", {}).get("fields", [])]
    schema = f"the schema of {name!r} in data/datapackage.json"
    out = []
    seen: set[str] = set()
    for i, label in enumerate(labels, start=1):
        if not str(label).strip():
            out.append(
                f"{where}, header (line 1), column {i}: the column has no name "
                f"(rule: every column is named and described in {schema})"
            )
        elif label in seen:
            out.append(
                f"{where}, header (line 1), column {i}: column {label!r} appears twice "
                "(rule: unique column names)"
            )
        elif label not in fields:
            out.append(
                f"{where}, header (line 1), column {i}: unknown column {label!r} "
                f"(rule: every column must be described in {schema})"
            )
        seen.add(str(label))
    for field in fields:
        if field not in seen:
            out.append(
                f"{where}, header (line 1): column {field!r} described in {schema} is missing "
                "(rule: schema)"
            )
    return out


def _check(name: str, res: dict) -> Any:
    """Validate one table with frictionless; raise :class:`DataError` on the first problems found."""
    from frictionless import Resource

    where = f"data/{res.get('path', name + '.csv')}"
    problems = _describe_problems(res)
    if problems:
        raise DataError(f"data/datapackage.json, resource {name!r}: " + "; ".join(problems))
    path = data_dir() / res["path"]
    if not path.exists():
        raise DataError(f"{where}: file missing (described in data/datapackage.json)")
    header = _header_problems(where, name, res)
    if header:
        raise DataError("; ".join(header))
    fr = Resource(_frictionless_descriptor(res), basepath=str(data_dir()))
    report = fr.validate()
    errors = [e for task in report.tasks for e in task.errors] + list(report.errors)
    if res.get("x-empty"):
        errors = [e for e in errors if not (e.type == "source-error" and "empty" in str(e.note))]
    rows = sum(int(task.stats.get("rows") or 0) for task in report.tasks)
    if not errors and rows == 0 and not res.get("x-empty"):
        raise DataError(
            f'{where}: the table has no rows (rule: non-empty; declare "x-empty": true to allow it)'
        )
    if errors:
        shown = [_message(where, e, res) for e in errors[:5]]
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        raise DataError("; ".join(shown) + more)
    return fr


def validate(name: str, package: dict | None = None) -> list[dict]:
    """Validate table ``name`` with frictionless (types, constraints, keys, provenance, non-empty);
    return its rows as typed dicts (numbers as ``float``, dates as ``datetime.date``)."""
    from decimal import Decimal

    res = resource(name, package)
    fr = _check(name, res)
    columns = [f["name"] for f in res["schema"]["fields"]]
    rows = []
    with fr:
        for row in fr.row_stream:
            d = row.to_dict()
            rows.append(
                {c: float(d[c]) if isinstance(d.get(c), Decimal) else d.get(c) for c in columns}
            )
    return rows


def unlisted(package: dict | None = None) -> list[str]:
    """CSV tables under ``data/`` that no resource of the package describes (paths relative to
    ``data/``, sorted)."""
    package = package or read_package()
    listed = {str(r.get("path", "")) for r in package.get("resources", [])}
    root = data_dir()
    return sorted(
        rel
        for rel in (p.relative_to(root).as_posix() for p in root.rglob("*.csv") if p.is_file())
        if rel not in listed
    )


def validate_package(package: dict | None = None) -> int:
    """Validate every table of ``data/datapackage.json`` (once per build, before any chapter runs),
    and refuse a CSV under ``data/`` that the package does not list.

    Returns the number of tables; raises :class:`DataError` naming every failing table's file, row,
    column and rule, and every unlisted table's file.
    """
    package = package or read_package()
    problems = [
        f"data/{path}: this table is not listed in data/datapackage.json (rule: every table under "
        "data/ is registered; describe it as a resource in data/datapackage.json, for instance with "
        "`python -m costcorrect.data register <descriptor.json>`, or move it out of data/)"
        for path in unlisted(package)
    ]
    names_ = [r.get("name", "?") for r in package.get("resources", [])]
    for n in names_:
        try:
            _check(n, resource(n, package))
        except DataError as e:
            problems.append(str(e))
    if problems:
        raise DataError("\n".join(problems))
    return len(names_)


def load(name: str):
    """Load table ``<slug>/<table>`` as a validated ``pandas.DataFrame`` (dates as ``datetime64``)."""
    import pandas as pd

    package = read_package()
    res = resource(name, package)
    rows = validate(name, package)
    _record_dependency(name)
    columns = [f["name"] for f in res["schema"]["fields"]]
    df = pd.DataFrame(rows, columns=columns)
    for f in res["schema"]["fields"]:
        if f["type"] == "date":
            df[f["name"]] = pd.to_datetime(df[f["name"]])
    df.attrs["resource"] = name
    df.attrs["sources"] = res["sources"]
    return df


class Inputs(dict):
    """``quantity -> value`` of a chapter's ``inputs.csv``; a missing quantity names the file."""

    slug: str = ""

    def __missing__(self, quantity: str) -> float:
        raise DataError(
            f"data/{self.slug}/inputs.csv has no row with quantity {quantity!r} "
            f"(known: {', '.join(sorted(self))})"
        )


def inputs(slug: str) -> Inputs:
    """The numbers chapter ``slug`` takes as model inputs (``data/<slug>/inputs.csv``, validated):
    ``quantity -> value``. Claims are not here: each is declared once in ``register.csv``."""
    frame = load(f"{slug}/inputs")
    out = Inputs()
    out.slug = slug
    for r in frame.to_dict("records"):
        v = r.get("value")
        if v is not None and not (isinstance(v, float) and v != v):
            out[str(r["quantity"])] = float(v)
    return out


def loaded() -> tuple[str, ...]:
    """The tables :func:`load` has returned in this process, in order (a chapter's reads)."""
    return tuple(_LOADED)


def units(name: str, package: dict | None = None) -> dict[str, str]:
    """``{field: unit}`` of resource ``name``: every field with a ``unit`` property, as declared
    (including the :data:`NO_HEADER_UNIT` markers)."""
    fields = resource(name, package).get("schema", {}).get("fields", [])
    return {f["name"]: str(f["unit"]) for f in fields if f.get("unit")}


def dependencies_file(chapter: str) -> Path:
    """Where the pipeline keeps the tables a chapter loaded in its last execution."""
    from costcorrect.paths import build_dir

    return build_dir() / "deps" / f"{chapter}.json"


def _record_dependency(name: str) -> None:
    """Note that this process read table ``name`` (:func:`loaded`) and, when it executes a chapter
    (``$COSTCORRECT_CHAPTER``, set by the pipeline), record it in :func:`dependencies_file`.

    The execution cache uses this to re-run a chapter when any table it read changes, including
    another chapter's table read through a shared module (e.g. the GPU table in ``hardware``).
    """
    import os

    if name not in _LOADED:
        _LOADED.append(name)
    chapter = os.environ.get("COSTCORRECT_CHAPTER")
    if not chapter:
        return
    path = dependencies_file(chapter)
    path.parent.mkdir(parents=True, exist_ok=True)
    known = set(json.loads(path.read_text())) if path.exists() else set()
    if name not in known:
        path.write_text(json.dumps(sorted(known | {name})) + "\n")


def names(package: dict | None = None) -> list[str]:
    """Every resource name in the package, sorted."""
    package = package or read_package()
    return sorted(r["name"] for r in package.get("resources", []))


@contextmanager
def _locked_package() -> Iterator[dict]:
    path = package_path()
    lock = path.with_suffix(".lock")
    with open(lock, "w") as lf:
        fcntl.flock(lf, fcntl.LOCK_EX)
        pkg = read_package(path)
        yield pkg
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(pkg, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        tmp.replace(path)
    lock.unlink(missing_ok=True)


def register(descriptor: dict) -> None:
    """Add or replace one resource descriptor in ``data/datapackage.json`` (kept sorted by name).

    Safe to call from several processes at once (file lock). Checks the descriptor first.
    """
    problems = _describe_problems(descriptor)
    if problems:
        raise DataError(f"resource {descriptor.get('name')!r}: " + "; ".join(problems))
    with _locked_package() as pkg:
        res = [r for r in pkg.get("resources", []) if r.get("name") != descriptor["name"]]
        res.append(descriptor)
        pkg["resources"] = sorted(res, key=lambda r: r["name"])


def register_file(path: Path) -> list[str]:
    """Register every descriptor of a JSON list file (one descriptor or a list) into
    ``data/datapackage.json``."""
    descriptors = json.loads(Path(path).read_text(encoding="utf-8"))
    if isinstance(descriptors, dict):
        descriptors = [descriptors]
    for d in descriptors:
        register(d)
    return [d["name"] for d in descriptors]


def main(argv: list[str] | None = None) -> int:
    """``python -m costcorrect.data register FILE...`` or
    ``python -m costcorrect.data validate [NAME...]``."""
    import sys

    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] not in ("register", "validate"):
        print(
            "usage: python -m costcorrect.data register FILE... | validate [NAME...]",
            file=sys.stderr,
        )
        return 2
    if args[0] == "register":
        for f in args[1:]:
            print("registered", ", ".join(register_file(Path(f))))
        return 0
    try:
        if not args[1:]:  # the whole package, as `make book` checks it (unlisted tables too)
            validate_package()
        for n in args[1:] or names():
            rows = validate(n)
            print(f"ok {n} ({len(rows)} rows)")
    except DataError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
