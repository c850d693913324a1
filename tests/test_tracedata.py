"""The trace extraction rule (costcorrect.tracedata) on tiny synthetic raw files."""

import csv
import json

import pytest

from costcorrect import tracedata

AZURE = (
    "TIMESTAMP,ContextTokens,GeneratedTokens\r\n"
    "2023-11-16 23:59:59.9999999,374,44\r\n"
    "2023-11-17 00:00:00.0000000,396,109\r\n"
    "2023-11-17 00:01:02.5,20000,5000"
)


def test_azure_rows_are_exact_and_in_file_order():
    rows = tracedata.azure_rows(AZURE)
    assert [r["arrival_s"] for r in rows] == ["0.0000000", "0.0000001", "62.5000001"]
    assert [(r["input_tokens"], r["output_tokens"]) for r in rows] == [
        (374, 44),
        (396, 109),
        (20000, 5000),
    ]
    assert [r["locator"] for r in rows] == ["row 1", "row 2", "row 3"]


def test_azure_refuses_unsorted_or_foreign_files():
    with pytest.raises(ValueError, match="not sorted"):
        tracedata.azure_rows(
            "TIMESTAMP,ContextTokens,GeneratedTokens\n"
            "2023-11-16 18:00:01.0,1,1\n2023-11-16 18:00:00.0,1,1\n"
        )
    with pytest.raises(ValueError, match="header"):
        tracedata.azure_rows("Timestamp,Request tokens\n1,2\n")


MOONCAKE = [
    {"timestamp": 0, "input_length": 1000, "output_length": 5, "hash_ids": [0, 1]},
    {"timestamp": 0, "input_length": 1100, "output_length": 6, "hash_ids": [0, 1, 2]},
    {"timestamp": 1500, "input_length": 10, "output_length": 7, "hash_ids": [3]},
    {"timestamp": 2001, "input_length": 600, "output_length": 8, "hash_ids": [3, 2]},
]


def test_mooncake_rows_count_reuse_in_file_order():
    rows = tracedata.mooncake_rows([json.dumps(r) for r in MOONCAKE] + [""])
    assert [r["arrival_s"] for r in rows] == ["0.000", "0.000", "1.500", "2.001"]
    assert [r["blocks"] for r in rows] == [2, 3, 1, 2]
    assert [r["reused_blocks"] for r in rows] == [0, 2, 0, 2]
    assert [r["reuse"] for r in rows] == ["false", "true", "false", "true"]
    assert [r["output_tokens"] for r in rows] == [5, 6, 7, 8]


def test_cli_writes_the_extract_with_provenance(tmp_path):
    raw = tmp_path / "raw.jsonl"
    raw.write_text("\n".join(json.dumps(r) for r in MOONCAKE) + "\n")
    out = tmp_path / "out.csv"
    assert (
        tracedata.main(["mooncake", str(raw), str(out), "--source", "S", "--url", "https://x"]) == 0
    )
    table = list(csv.DictReader(out.open()))
    assert list(table[0]) == list(tracedata.MOONCAKE_COLUMNS + tracedata.PROVENANCE)
    assert table[3]["reused_blocks"] == "2" and table[3]["locator"] == "row 4"
    assert {r["url"] for r in table} == {"https://x"}
    assert out.read_bytes().count(b"\r") == 0
