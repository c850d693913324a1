"""Deterministic extracts of public LLM-serving traces for ``data/traces/``.

The book never downloads a trace at build or test time: the extracts are committed. This module is
the rule that turned each raw file into its extract, so anyone can redo it from the raw file named
in the resource's ``sources`` (repository, commit, path, sha256) and compare byte for byte.

The rules keep every request of the raw file, in file order, and only change columns:

* **Azure LLM inference trace 2023** (``TIMESTAMP,ContextTokens,GeneratedTokens``):
  ``arrival_s`` is ``TIMESTAMP`` minus the first row's ``TIMESTAMP``, in seconds, exact to the
  file's 100 ns resolution (integer arithmetic, seven decimals); ``input_tokens`` =
  ``ContextTokens``, ``output_tokens`` = ``GeneratedTokens``.
* **Mooncake FAST'25 traces** (JSONL ``timestamp`` [ms], ``input_length``, ``output_length``,
  ``hash_ids``): ``arrival_s`` = ``timestamp`` / 1000 (three decimals, exact);
  ``blocks`` = the number of ``hash_ids`` (512-token prefix blocks); ``reused_blocks`` = how many of
  them appear in an *earlier line* of the file (ties in ``timestamp`` are broken by file order);
  ``reuse`` = ``reused_blocks > 0``. This is the reuse an unbounded prefix cache would see.

Every row also carries the book's provenance columns: ``source`` and ``url`` (the trace and its
repository) and ``locator`` (``row N``: the 1-based data row of the raw file, header excluded).

Command line::

    python -m costcorrect.tracedata azure RAW.csv OUT.csv --source "..." --url https://...
    python -m costcorrect.tracedata mooncake RAW.jsonl OUT.csv --source "..." --url https://...
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

AZURE_COLUMNS = ("arrival_s", "input_tokens", "output_tokens")
MOONCAKE_COLUMNS = (
    "arrival_s",
    "input_tokens",
    "output_tokens",
    "blocks",
    "reused_blocks",
    "reuse",
)
PROVENANCE = ("source", "url", "locator")
TICKS = 10**7  # Azure timestamps carry seven decimals: 100 ns ticks


def _azure_ticks(stamp: str) -> int:
    """``'2023-11-16 18:17:03.9799600'`` as an integer count of 100 ns ticks (naive wall clock)."""
    whole, _, frac = stamp.strip().partition(".")
    if len(frac) > 7 or (frac and not frac.isdigit()):
        raise ValueError(f"timestamp {stamp!r}: expected at most seven decimals")
    seconds = int(datetime.strptime(whole, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC).timestamp())
    return seconds * TICKS + int(frac.ljust(7, "0") or 0)


def _decimal(ticks: int, per_second: int, digits: int) -> str:
    """A non-negative tick count as an exact decimal string of seconds."""
    if ticks < 0:
        raise ValueError(f"arrival before the first request ({ticks} ticks): rows are not sorted")
    return f"{ticks // per_second}.{ticks % per_second:0{digits}d}"


def azure_rows(text: str) -> list[dict]:
    """Rows of the Azure 2023 extract from the raw CSV text (header ``TIMESTAMP,ContextTokens,
    GeneratedTokens``), one per raw row, in file order."""
    reader = csv.DictReader(io.StringIO(text))
    expected = ["TIMESTAMP", "ContextTokens", "GeneratedTokens"]
    if reader.fieldnames != expected:
        raise ValueError(f"header {reader.fieldnames!r}, expected {expected!r}")
    rows, first = [], None
    for n, raw in enumerate(reader, start=1):
        ticks = _azure_ticks(raw["TIMESTAMP"])
        first = ticks if first is None else first
        rows.append(
            {
                "arrival_s": _decimal(ticks - first, TICKS, 7),
                "input_tokens": int(raw["ContextTokens"]),
                "output_tokens": int(raw["GeneratedTokens"]),
                "locator": f"row {n}",
            }
        )
    return rows


def mooncake_rows(lines: Iterable[str]) -> list[dict]:
    """Rows of a Mooncake extract from the raw JSONL lines, one per request, in file order."""
    seen: set[int] = set()
    rows = []
    for n, line in enumerate((line for line in lines if line.strip()), start=1):
        req = json.loads(line)
        ids = [int(h) for h in req["hash_ids"]]
        reused = sum(1 for h in ids if h in seen)
        seen.update(ids)
        rows.append(
            {
                "arrival_s": _decimal(int(req["timestamp"]), 1000, 3),
                "input_tokens": int(req["input_length"]),
                "output_tokens": int(req["output_length"]),
                "blocks": len(ids),
                "reused_blocks": reused,
                "reuse": "true" if reused else "false",
                "locator": f"row {n}",
            }
        )
    return rows


def write_extract(rows: list[dict], out: Path, source: str, url: str) -> int:
    """Write ``rows`` with the provenance columns to ``out`` (``\\n`` line ends); return the count."""
    columns = MOONCAKE_COLUMNS if rows and "blocks" in rows[0] else AZURE_COLUMNS
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(columns + PROVENANCE)
        for r in rows:
            w.writerow([r[c] for c in columns] + [source, url, r["locator"]])
    return len(rows)


def main(argv: list[str] | None = None) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="python -m costcorrect.tracedata", description=__doc__)
    p.add_argument("kind", choices=("azure", "mooncake"))
    p.add_argument("raw", type=Path)
    p.add_argument("out", type=Path)
    p.add_argument("--source", required=True, help="the trace's citation (provenance column)")
    p.add_argument("--url", required=True, help="the repository's URL (provenance column)")
    a = p.parse_args(argv)
    text = a.raw.read_text(encoding="utf-8-sig")
    rows = azure_rows(text) if a.kind == "azure" else mooncake_rows(text.splitlines())
    n = write_extract(rows, a.out, a.source, a.url)
    print(f"{a.out}: {n} rows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
