"""``make bench``: the edit rebuilds restore what they edit and report against their targets
(the builds themselves are faked: these tests check the bookkeeping, not the timings)."""

import json
import subprocess
import time

import pytest

from costcorrect.machinery import bench


@pytest.fixture
def repo(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "_toc.yml").write_text(
        "format: jb-book\nroot: intro\nchapters:\n  - file: notebooks/cost-correct\n"
        "  - file: notebooks/vhg\n"
    )
    (tmp_path / "notebooks").mkdir()
    for slug in ("cost-correct", "vhg"):
        (tmp_path / "notebooks" / f"{slug}.md").write_text(f"# {slug}\r\n")  # CRLF survives
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "datapackage.json").write_text(
        '{"resources": [{"name": "vhg/inputs", "path": "vhg/inputs.csv"}]}\n'
    )
    models = tmp_path / "src" / "costcorrect" / "models" / "qec"
    models.mkdir(parents=True)
    (models / "surface_code.py").write_text('"""A model."""\n')
    build = tmp_path / "_build"
    (build / "html").mkdir(parents=True)
    (build / "html" / "index.html").write_text("")
    (build / "timings.json").write_text('{"cost-correct": 4.0, "vhg": 6.0}')
    monkeypatch.setenv("COSTCORRECT_ROOT", str(tmp_path))
    monkeypatch.setenv("COSTCORRECT_BUILD", str(build))
    imports = {"vhg": ["costcorrect.models.qec.surface_code"]}  # the static graph, faked
    monkeypatch.setattr(bench, "model_modules", lambda slug: imports.get(slug, []))
    return tmp_path


def _snapshot(root):
    files = [
        root / "notebooks" / "cost-correct.md",
        root / "src" / "costcorrect" / "models" / "qec" / "surface_code.py",
        root / "data" / "datapackage.json",
    ]
    return {p: p.read_bytes() for p in files}


def test_edits_are_timed_on_the_edited_file_and_restored(repo, monkeypatch, capsys):
    before = _snapshot(repo)
    seen = []  # for each build: which of the three files differed from the original

    def fake_run(cmd, cwd=None, check=False, **kw):
        seen.append(sorted(p.name for p, b in before.items() if p.read_bytes() != b))
        return subprocess.CompletedProcess(cmd, 0)

    monkeypatch.setattr(bench.subprocess, "run", fake_run)
    assert bench.run(only="edits") == 0
    assert _snapshot(repo) == before  # byte for byte, CRLF included
    # up-to-date build, no-change, then per edit: the timed build on the edit, the restoring build
    assert seen == [
        [],
        [],
        ["cost-correct.md"],
        [],
        ["surface_code.py"],
        [],
        ["datapackage.json"],
        [],
    ]
    out = json.loads((repo / "_build" / "bench.json").read_text())
    assert out["only"] == "edits"
    assert out["edited"]["book_one_module_edit"] == (
        "costcorrect.models.qec.surface_code (imported only by vhg)"
    )
    for key, target in {
        "book_nochange": 2.0,
        "book_one_chapter_edit": 20.0,
        "book_one_module_edit": 20.0,
        "book_one_table_edit": 20.0,
    }.items():
        assert out["targets_s"][key] == target
        assert set(out[key]) >= {"wall_s", "cpu_s", "load"}
        assert out["within_target"][key] is True
    printed = capsys.readouterr().out
    assert "book_one_table_edit" in printed and "target ≤ 20.0 s: within" in printed


def test_a_failed_edit_build_still_restores_the_file(repo, monkeypatch):
    nb = repo / "notebooks" / "cost-correct.md"
    original = nb.read_bytes()
    calls = []

    def fake_run(cmd, cwd=None, check=False, **kw):
        calls.append(nb.read_bytes() != original)
        if calls[-1]:
            raise subprocess.CalledProcessError(1, cmd)
        return subprocess.CompletedProcess(cmd, 0)

    monkeypatch.setattr(bench.subprocess, "run", fake_run)
    with pytest.raises(subprocess.CalledProcessError):
        bench._edited(["book"], repo, nb, lambda t: t + "edit\n")
    assert nb.read_bytes() == original and calls == [True, False]


def test_edits_need_a_built_book(repo, monkeypatch):
    (repo / "_build" / "html" / "index.html").unlink()
    monkeypatch.setattr(bench.subprocess, "run", lambda *a, **k: pytest.fail("built"))
    with pytest.raises(SystemExit, match="build the book first"):
        bench.run(only="edits")


def test_median_keeps_every_run():
    runs = [{"wall_s": w, "cpu_s": w / 2, "load": 1.0} for w in (9.0, 3.0, 5.0)]
    m = bench._median(runs)
    assert m["wall_s"] == 5.0 and m["cpu_s"] == 2.5 and m["runs_wall_s"] == [9.0, 3.0, 5.0]
    assert bench._median(runs[:1]) == runs[0]


def test_jupyter_book_executes_the_unexecuted_chapters_itself(repo, monkeypatch):
    src = repo / "_build" / "src"
    (src / "notebooks").mkdir(parents=True)
    (src / "_config.yml").write_text('execute:\n  execute_notebooks: "off"\ntitle: T\n')
    (src / "notebooks" / "vhg.ipynb").write_text("executed")
    seen = {}

    def fake_run(cmd, cwd=None, env=None, check=False, **kw):
        import yaml

        scratch = repo / "_build" / "bench-jb"
        seen["config"] = yaml.safe_load((scratch / "src" / "_config.yml").read_text())
        seen["vhg"] = json.loads((scratch / "src" / "notebooks" / "vhg.ipynb").read_text())
        seen["cmd"], seen["build"] = cmd, env["COSTCORRECT_BUILD"]
        return subprocess.CompletedProcess(cmd, 0)

    monkeypatch.setattr(bench.subprocess, "run", fake_run)
    out = bench._jupyter_book_sequential(repo)
    assert set(out) == {"wall_s", "cpu_s", "load"}
    assert (
        seen["config"]["execute"]["execute_notebooks"] == "force" and seen["config"]["title"] == "T"
    )
    source = "".join(seen["vhg"]["cells"][0]["source"])
    assert source == "# vhg"  # the chapter's source, not its executed copy
    assert seen["cmd"][1:3] == ["build", str(repo / "_build" / "bench-jb" / "src")]
    assert seen["build"] == str(repo / "_build" / "bench-jb" / "_build")
    assert not (repo / "_build" / "bench-jb").exists()  # removed after


def test_the_full_run_holds_the_cold_build_to_the_issues_fixed_targets(repo, monkeypatch):
    build = repo / "_build"

    def fake_run(cmd, cwd=None, check=False, **kw):  # every build leaves a built book behind
        (build / "html").mkdir(parents=True, exist_ok=True)
        (build / "html" / "index.html").write_text("")
        (build / "timings.json").write_text('{"cost-correct": 100.0, "vhg": 31.0}')
        time.sleep(0.02)  # a measurable wall time (the speed-up divides by it)
        return subprocess.CompletedProcess(cmd, 0)

    monkeypatch.setattr(bench.subprocess, "run", fake_run)
    jb = {"wall_s": 10.0, "cpu_s": 1.0, "load": 0.0}
    monkeypatch.setattr(bench, "_jupyter_book_sequential", lambda root: jb)
    assert bench.run(setup=False) == 0
    out = json.loads((build / "bench.json").read_text())
    assert out["targets_s"]["book_cold"] == 120.0  # fixed, not derived from the measured chapters
    assert out["chapter_execution_sum_s"] == 131.0 and out["chapter_execution_max_s"] == 100.0
    assert out["within_target"]["chapter_execution_sum_s"] is True  # ≤ 150 s
    assert out["within_target"]["chapter_execution_max_s"] is False  # 100 s > 30 s
