"""Loading extracted tables from ``data/``, validated against ``data/datapackage.json``.

Every table is a CSV described in the Frictionless Data Package (v2) ``data/datapackage.json``:
field types, units in descriptions, constraints and ``sources``. Every row carries its own
provenance in three required columns (:data:`PROVENANCE`). :func:`load` validates and returns a
``pandas.DataFrame``; a bad table raises :class:`DataError` naming file, row, column and rule.
"""

from __future__ import annotations

import csv
import datetime as dt
import fcntl
import json
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from .paths import data_dir

PROVENANCE = ("source", "url", "locator")
"""Columns every table must have: the citation (paper + arXiv id), its URL, and the table/figure/page."""

TYPES = ("string", "number", "integer", "boolean", "date", "year")
NAME = re.compile(r"^[a-z0-9][a-z0-9-]*/[a-z0-9][a-z0-9_-]*$")


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


def _convert(value: str, ftype: str) -> Any:
    if ftype == "string":
        return value
    if ftype == "number":
        v = float(value)
        return v
    if ftype in ("integer", "year"):
        if not re.fullmatch(r"[+-]?\d+", value):
            raise ValueError
        return int(value)
    if ftype == "boolean":
        if value.lower() in ("true", "1", "yes"):
            return True
        if value.lower() in ("false", "0", "no"):
            return False
        raise ValueError
    if ftype == "date":
        return dt.date.fromisoformat(value)
    raise ValueError


def validate(name: str, package: dict | None = None) -> list[dict]:
    """Validate table ``name`` against its schema; return its rows as typed dicts."""
    res = resource(name, package)
    where = f"data/{res.get('path', name + '.csv')}"
    problems = _describe_problems(res)
    if problems:
        raise DataError(f"data/datapackage.json, resource {name!r}: " + "; ".join(problems))
    path = data_dir() / res["path"]
    if not path.exists():
        raise DataError(f"{where}: file missing (described in data/datapackage.json)")
    fields = {f["name"]: f for f in res["schema"]["fields"]}
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        try:
            header = next(reader)
        except StopIteration:
            raise DataError(f"{where}: empty file (no header row)") from None
        unknown = [h for h in header if h not in fields]
        if unknown:
            raise DataError(f"{where}, header: unknown column(s) {unknown} (rule: every column must be described in the schema)")
        absent = [f for f in fields if f not in header]
        if absent:
            raise DataError(f"{where}, header: column(s) {absent} described in the schema are missing")
        rows: list[dict] = []
        seen: dict[str, dict] = {}
        for lineno, raw in enumerate(reader, start=2):
            if not raw:
                continue
            if len(raw) != len(header):
                raise DataError(f"{where}, row {lineno - 1} (line {lineno}): {len(raw)} cells for {len(header)} columns")
            row: dict[str, Any] = {}
            for col, text in zip(header, raw):
                f = fields[col]
                c = f.get("constraints", {})
                loc = f"{where}, row {lineno - 1} (line {lineno}), column {col!r}"
                if text == "":
                    if c.get("required") or col in PROVENANCE:
                        raise DataError(f"{loc}: empty value (rule: required)")
                    row[col] = None
                    continue
                try:
                    v = _convert(text, f["type"])
                except ValueError:
                    raise DataError(f"{loc}: value {text!r} is not of type {f['type']} (rule: type)") from None
                if "minimum" in c and v < c["minimum"]:
                    raise DataError(f"{loc}: value {text!r} is below the minimum {c['minimum']} (rule: minimum)")
                if "maximum" in c and v > c["maximum"]:
                    raise DataError(f"{loc}: value {text!r} is above the maximum {c['maximum']} (rule: maximum)")
                if "enum" in c and v not in c["enum"]:
                    raise DataError(f"{loc}: value {text!r} is not one of {c['enum']} (rule: enum)")
                if "pattern" in c and not re.fullmatch(c["pattern"], text):
                    raise DataError(f"{loc}: value {text!r} does not match {c['pattern']!r} (rule: pattern)")
                if col == "url" and not text.startswith(("http://", "https://")):
                    raise DataError(f"{loc}: value {text!r} is not an http(s) URL (rule: provenance)")
                if c.get("unique"):
                    prev = seen.setdefault(col, {})
                    if v in prev:
                        raise DataError(f"{loc}: value {text!r} repeats row {prev[v]} (rule: unique)")
                    prev[v] = lineno - 1
                row[col] = v
            rows.append(row)
    pk = res["schema"].get("primaryKey")
    if pk:
        pk = [pk] if isinstance(pk, str) else pk
        keys: dict[tuple, int] = {}
        for i, r in enumerate(rows, start=1):
            k = tuple(r[c] for c in pk)
            if k in keys:
                raise DataError(f"{where}, row {i}: primary key {dict(zip(pk, k))} repeats row {keys[k]} (rule: primaryKey)")
            keys[k] = i
    return rows


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


def dependencies_file(chapter: str) -> Path:
    """Where the pipeline keeps the tables a chapter loaded in its last execution."""
    from .paths import build_dir

    return build_dir() / "deps" / f"{chapter}.json"


def _record_dependency(name: str) -> None:
    """Note that the executing chapter (``$COSTCORRECT_CHAPTER``, set by the pipeline) read table ``name``.

    The execution cache uses this to re-run a chapter when any table it read changes, including
    another chapter's table read through a shared module (e.g. the GPU table in ``hardware``).
    """
    import os

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
    """Register every descriptor of a JSON list file (one descriptor or a list) into ``data/datapackage.json``."""
    descriptors = json.loads(Path(path).read_text(encoding="utf-8"))
    if isinstance(descriptors, dict):
        descriptors = [descriptors]
    for d in descriptors:
        register(d)
    return [d["name"] for d in descriptors]


def main(argv: list[str] | None = None) -> int:
    """``python -m costcorrect.data register FILE...`` or ``python -m costcorrect.data validate [NAME...]``."""
    import sys

    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] not in ("register", "validate"):
        print("usage: python -m costcorrect.data register FILE... | validate [NAME...]", file=sys.stderr)
        return 2
    if args[0] == "register":
        for f in args[1:]:
            print("registered", ", ".join(register_file(Path(f))))
        return 0
    try:
        for n in args[1:] or names():
            rows = validate(n)
            print(f"ok {n} ({len(rows)} rows)")
    except DataError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
