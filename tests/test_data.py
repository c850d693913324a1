"""The data package: every table validates, and every kind of bad input names file, row, column and rule."""

import json
import subprocess
import sys

import pytest

from conftest import ROOT
from costcorrect import data

DESC = {
    "name": "demo/prices",
    "path": "demo/prices.csv",
    "format": "csv",
    "mediatype": "text/csv",
    "title": "t",
    "description": "d",
    "sources": [{"title": "Paper (arXiv:0000.00000)", "path": "https://example.org/p"}],
    "schema": {
        "fields": [
            {
                "name": "model",
                "type": "string",
                "description": "model",
                "constraints": {"required": True, "unique": True},
            },
            {
                "name": "price",
                "type": "number",
                "description": "USD per M tokens",
                "constraints": {"minimum": 0},
            },
            {
                "name": "tier",
                "type": "string",
                "description": "class",
                "constraints": {"enum": ["small", "large"]},
            },
            {"name": "source", "type": "string", "description": "citation"},
            {"name": "url", "type": "string", "description": "url"},
            {"name": "locator", "type": "string", "description": "where"},
        ],
        "primaryKey": ["model"],
    },
}
GOOD = (
    "model,price,tier,source,url,locator\n"
    "A,1.5,small,P,https://example.org/p,Table 1\n"
    "B,3,large,P,https://example.org/p,Table 1\n"
)


@pytest.fixture
def repo(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "data" / "demo").mkdir(parents=True)
    (tmp_path / "data" / "datapackage.json").write_text(json.dumps({"name": "x", "resources": []}))
    monkeypatch.setenv("COSTCORRECT_ROOT", str(tmp_path))
    data.register(DESC)
    (tmp_path / "data" / "demo" / "prices.csv").write_text(GOOD)
    return tmp_path


def test_good_table_loads_typed(repo):
    df = data.load("demo/prices")
    assert list(df["price"]) == [1.5, 3.0]
    assert df.attrs["sources"][0]["path"].startswith("https://")


@pytest.mark.parametrize(
    "bad, expected",
    [
        (
            "model,price,tier,source,url,locator\nA,abc,small,P,https://e.org,T1\n",
            ["row 1", "'price'", "type"],
        ),
        (
            "model,price,tier,source,url,locator\nA,-1,small,P,https://e.org,T1\n",
            ["row 1", "'price'", "minimum"],
        ),
        (
            "model,price,tier,source,url,locator\nA,1,huge,P,https://e.org,T1\n",
            ["row 1", "'tier'", "enum"],
        ),
        (
            "model,price,tier,source,url,locator\nA,1,small,,https://e.org,T1\n",
            ["row 1", "'source'", "required"],
        ),
        (
            "model,price,tier,source,url,locator\nA,1,small,P,not-a-url,T1\n",
            ["row 1", "'url'", "provenance"],
        ),
        (
            "model,price,tier,source,url,locator\nA,1,small,P,https://e.org,T1\nA,2,small,P,https://e.org,T1\n",
            ["row 2", "'model'", "unique"],
        ),
        (
            "model,price,tier,colour,source,url,locator\nA,1,small,red,P,https://e.org,T1\n",
            ["header (line 1), column 4: unknown column 'colour'"],
        ),
        (
            "model,price,source,url,locator\nA,1,P,https://e.org,T1\n",
            ["header (line 1): column 'tier' described in", "is missing"],
        ),
        (
            "model,price,tier,,source,url,locator\nA,1,small,x,P,https://e.org,T1\n",
            ["header (line 1), column 4: the column has no name"],
        ),
        (
            "model,price,tier,price,source,url,locator\nA,1,small,2,P,https://e.org,T1\n",
            ["header (line 1), column 4: column 'price' appears twice"],
        ),
        (  # columns are matched by name: another order is the same table, and a bad value is
            # reported in its own column
            "tier,model,source,url,locator,price\nsmall,A,P,https://e.org,T1,abc\n",
            ["row 1", "column 'price'", "not of type number"],
        ),
        ("model,price,tier,source,url,locator\n", ["no rows", "non-empty"]),
    ],
)
def test_bad_rows_name_file_row_column_rule(repo, bad, expected):
    (repo / "data" / "demo" / "prices.csv").write_text(bad)
    with pytest.raises(data.DataError) as e:
        data.load("demo/prices")
    msg = str(e.value)
    assert "data/demo/prices.csv" in msg
    for part in expected:
        assert part in msg


def test_descriptor_without_provenance_is_refused(repo):
    bad = json.loads(json.dumps(DESC))
    bad["schema"]["fields"] = [f for f in bad["schema"]["fields"] if f["name"] != "url"]
    with pytest.raises(data.DataError, match="provenance column 'url'"):
        data.register(bad)
    bad = dict(DESC, sources=[])
    with pytest.raises(data.DataError, match="sources"):
        data.register(bad)


def test_unknown_resource_lists_known(repo):
    with pytest.raises(data.DataError, match="demo/prices"):
        data.load("demo/nothing")


def test_every_table_in_the_repository_validates():
    pkg = json.loads((ROOT / "data" / "datapackage.json").read_text())
    names = [r["name"] for r in pkg["resources"]]
    assert names == sorted(names)
    for name in names:
        assert data.validate(name, pkg), f"{name} has no rows"


def test_every_csv_is_described():
    pkg = json.loads((ROOT / "data" / "datapackage.json").read_text())
    described = {r["path"] for r in pkg["resources"]}
    on_disk = {str(p.relative_to(ROOT / "data")) for p in (ROOT / "data").rglob("*.csv")}
    assert on_disk == described, (
        f"undescribed: {on_disk - described}; missing: {described - on_disk}"
    )


def test_cli_validate_reports_errors(repo):
    (repo / "data" / "demo" / "prices.csv").write_text(GOOD.replace("1.5", "x"))
    proc = subprocess.run(
        [sys.executable, "-m", "costcorrect.data", "validate"], capture_output=True, text=True
    )
    assert proc.returncode == 1 and "row 1" in proc.stderr and "'price'" in proc.stderr


def test_register_file_and_cli(repo, tmp_path):
    desc = json.loads(json.dumps(DESC))
    desc["title"] = "changed"
    f = tmp_path / "one.json"
    f.write_text(json.dumps([desc]))
    assert data.register_file(f) == ["demo/prices"]
    assert data.resource("demo/prices")["title"] == "changed"
    proc = subprocess.run(
        [sys.executable, "-m", "costcorrect.data", "register", str(f)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0 and "registered demo/prices" in proc.stdout


def test_an_empty_table_is_allowed_only_when_declared(repo):
    (repo / "data" / "demo" / "prices.csv").write_text("model,price,tier,source,url,locator\n")
    with pytest.raises(data.DataError, match="non-empty"):
        data.validate_package()
    data.register(dict(DESC, **{"x-empty": True}))
    assert data.load("demo/prices").empty


def test_every_register_has_the_one_register_schema():
    """Each chapter's claims register has the schema `make new-paper` writes (one definition)."""
    from costcorrect.machinery.scaffold import descriptors

    regs = [r for r in data.read_package()["resources"] if r["name"].endswith("/register")]
    assert regs
    for res in regs:
        slug = res["name"].split("/", 1)[0]
        assert res["path"] == f"{slug}/register.csv"
        assert res["schema"] == descriptors(slug, "t", "https://x")[1]["schema"], res["name"]


def test_every_numeric_field_declares_its_unit():
    """Tables show units in their headers from the fields' ``unit`` (figures.table): every number or
    integer field states one, a real unit or a declared no-unit marker (count, dimensionless, per row),
    and only numeric fields have one."""
    pkg = json.loads((ROOT / "data" / "datapackage.json").read_text())
    missing, stray = [], []
    for res in pkg["resources"]:
        for f in res["schema"]["fields"]:
            where = f"{res['name']}.{f['name']}"
            unit = f.get("unit")
            if f["type"] in ("number", "integer"):
                if not isinstance(unit, str) or not unit.strip():
                    missing.append(where)
            elif unit is not None:
                stray.append(where)
    assert not missing, f"numeric fields without a 'unit' (say 'dimensionless' if none): {missing}"
    assert not stray, f"non-numeric fields with a 'unit': {stray}"
    value = next(f for f in data.resource("hardware/gpus", pkg)["schema"]["fields"])
    assert "unit" not in value  # the GPU key is a string
    assert data.units("hardware/gpus", pkg)["hbm_tb_s"] == "TB/s"
    assert data.units("cost-correct/inputs", pkg)["value"] in data.NO_HEADER_UNIT


def test_load_remembers_the_tables_a_process_read(repo, monkeypatch):
    monkeypatch.setattr(data, "_LOADED", [])
    data.load("demo/prices")
    data.load("demo/prices")
    assert data.loaded() == ("demo/prices",)


# --------------------------------------------------------------------------------------------------
# The three bad inputs a new user met, reproduced on a scratch copy of the real data/ folder: each
# error names the file and the exact column (or the unlisted file), and nothing else.


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    """A copy of the repository's data/ (a scratch repo root) and one of its real tables to spoil:
    the calibration anchors (the example that was reported) or, were it gone, any table with a
    non-provenance column after its first."""
    import shutil

    (tmp_path / "pyproject.toml").write_text("")
    shutil.copytree(ROOT / "data", tmp_path / "data")
    monkeypatch.setenv("COSTCORRECT_ROOT", str(tmp_path))
    pkg = data.read_package()
    table = next(
        (r for r in pkg["resources"] if r["name"] == "calibration-drift/anchors"),
        next(r for r in pkg["resources"] if len(r["schema"]["fields"]) > len(data.PROVENANCE) + 1),
    )
    fields = [f["name"] for f in table["schema"]["fields"]]
    column = "accept_rate" if "accept_rate" in fields else fields[1]
    return tmp_path, table, column


def _rewrite(path, change) -> None:
    import csv

    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(change(rows))


def test_an_extra_column_is_named(scratch):
    root, table, _ = scratch
    file = root / "data" / table["path"]
    _rewrite(file, lambda rows: [[*rows[0], "colour"]] + [[*r, "red"] for r in rows[1:]])
    with pytest.raises(data.DataError) as e:
        data.validate(table["name"])
    msg = str(e.value)
    width = len(table["schema"]["fields"]) + 1
    assert msg.startswith(f"data/{table['path']}, header (line 1), column {width}:"), msg
    assert "unknown column 'colour'" in msg and "''" not in msg, msg
    assert f"the schema of {table['name']!r} in data/datapackage.json" in msg


def test_a_missing_column_is_named_and_nothing_else(scratch):
    root, table, column = scratch
    file = root / "data" / table["path"]

    def drop(rows):
        i = rows[0].index(column)
        return [r[:i] + r[i + 1 :] for r in rows]

    _rewrite(file, drop)
    with pytest.raises(data.DataError) as e:
        data.validate(table["name"])
    msg = str(e.value)
    assert msg == (
        f"data/{table['path']}, header (line 1): column {column!r} described in the schema of "
        f"{table['name']!r} in data/datapackage.json is missing (rule: schema)"
    )
    # headers are matched by name: no cascade of mislabelled columns after the gap
    assert "incorrect-label" not in msg and "locator" not in msg


def test_an_unlisted_table_is_refused_at_make_book(scratch):
    import shutil

    from costcorrect.machinery import pipeline

    root, table, _ = scratch
    # a package of this chapter's tables only: each of the three validations below reads every
    # listed table (the production traces alone take seconds), and one chapter's tables suffice
    keep = table["name"].split("/")[0]
    for folder in (root / "data").iterdir():
        if folder.is_dir() and folder.name != keep:
            shutil.rmtree(folder)
    pkg = data.read_package()
    pkg["resources"] = [r for r in pkg["resources"] if r["name"].startswith(keep + "/")]
    data.package_path().write_text(json.dumps(pkg), encoding="utf-8")
    stray = root / "data" / keep / "stray_table.csv"
    shutil.copy(root / "data" / table["path"], stray)
    rel = f"data/{stray.relative_to(root / 'data').as_posix()}"
    assert data.unlisted() == [rel.removeprefix("data/")]
    with pytest.raises(data.DataError) as e:
        data.validate_package()
    assert str(e.value).startswith(f"{rel}: this table is not listed in data/datapackage.json")
    assert "register" in str(e.value)
    # `make book` validates the package before any chapter runs, even when every chapter is cached
    with pytest.raises(data.DataError, match=rel):
        pipeline._validate_data(root)
    proc = subprocess.run(
        [sys.executable, "-m", "costcorrect.data", "validate"], capture_output=True, text=True
    )
    assert proc.returncode == 1 and rel in proc.stderr
