"""``make bench``: measure the three journeys' costs and write ``_build/bench.json``.

Measured: set-up of a fresh virtual environment from the lock file, cold ``make book`` (``_build``
removed) and, right after it on the same machine state, Jupyter Book's own sequential execution and
build of the same book (their ratio is ``speedup_vs_jupyter_book``), a rebuild with nothing
changed, rebuilds after editing one notebook, one model module that one chapter imports, and one
chapter's table descriptor, each chapter's execution time, ``make test``, and the sizes of
``.venv`` and ``_build/html``. Targets (2 cores): cold ≤ 1.5 × (sum of chapter times ÷ 2) + 30 s
and at least twice as fast as Jupyter Book's sequential run; no-change ≤ 2 s; each one-file edit
≤ 20 s when one chapter depends on it. These are benchmarks, reported against targets, not timed
tests.

``--only edits`` measures just the no-change and one-file-edit rebuilds on the book already built in
``_build`` (minutes instead of the full run). Each measurement records wall time and the CPU time
(user + system) of the build and its children, and the load average when it started: on a shared
machine the wall time is noisy, the CPU time much less. ``--repeat N`` takes the median of N runs.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from costcorrect.machinery.pipeline import model_modules, notebook_slugs
from costcorrect.paths import build_dir, repo_root

EDITED_CHAPTER = "cost-correct"
EDITED_TABLE = "vhg/inputs"
EDIT_TARGET_S = 20.0
NOCHANGE_TARGET_S = 2.0
SPEEDUP_TARGET = 2.0  # cold `make book` at least twice as fast as Jupyter Book's sequential run
COLD_TARGET_S = 120.0  # cold `make book` with the venv in place (issue #25)
CHAPTER_SUM_TARGET_S = 150.0  # the chapters' execution times added up
CHAPTER_MAX_TARGET_S = 30.0  # the slowest chapter


def _du(path: Path) -> int:
    return (
        sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())
        if path.exists()
        else 0
    )


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _timed(cmd: list[str], cwd: Path | None = None, check: bool = True, env=None) -> dict:
    """Run ``cmd`` (it must succeed when ``check``, else its success is recorded as ``ok``); its wall
    and CPU seconds and the 1-minute load average before."""
    load = os.getloadavg()[0]
    cpu, start = _children_cpu(), time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, check=check, env=env)
    out = {
        "wall_s": round(time.perf_counter() - start, 2),
        "cpu_s": round(_children_cpu() - cpu, 2),
        "load": round(load, 2),
    }
    return out if check else out | {"ok": proc.returncode == 0}


def _median(runs: list[dict]) -> dict:
    """The run of median wall time (its CPU time and load with it), and every run's wall time."""
    ordered = sorted(runs, key=lambda r: r["wall_s"])
    out = dict(ordered[(len(ordered) - 1) // 2])
    if len(runs) > 1:
        out["runs_wall_s"] = [r["wall_s"] for r in runs]
        out["median_wall_s"] = statistics.median(r["wall_s"] for r in runs)
    return out


def _edited(book: list[str], root: Path, path: Path, edit) -> dict:
    """Time a book rebuild after ``edit`` changes ``path``; restore the file and the cache after."""
    original = path.read_bytes()
    edited = edit(original.decode("utf-8"))
    if edited == original.decode("utf-8"):
        raise SystemExit(f"bench: the edit of {path} changed nothing")
    try:
        path.write_text(edited, encoding="utf-8")
        return _timed(book, root)
    finally:
        path.write_bytes(original)
        # rebuild with the original, untimed: the cache matches the checkout again
        subprocess.run(book, cwd=root, check=True, stdout=subprocess.DEVNULL)


def _module_with_one_importer() -> tuple[str, str]:
    """A model module imported by exactly one chapter, from the imports recorded at execution."""
    importers: dict[str, list[str]] = {}
    for slug in notebook_slugs():
        for m in model_modules(slug):
            importers.setdefault(m, []).append(slug)
    for m, chs in sorted(importers.items()):
        if len(chs) == 1:
            return m, chs[0]
    raise SystemExit("bench: no module is imported by exactly one chapter")


def _module_path(root: Path, module: str) -> Path:
    base = root / "src" / Path(*module.split("."))
    return base.with_suffix(".py") if base.with_suffix(".py").exists() else base / "__init__.py"


def _setup_venv(root: Path) -> dict:
    """``make setup`` into a fresh venv, as on a new machine (timed, then removed)."""
    scratch = root / "_bench_venv"
    shutil.rmtree(scratch, ignore_errors=True)
    out = _timed(["make", "setup", f"VENV={scratch}"], root)
    shutil.rmtree(scratch, ignore_errors=True)
    return out


def _jupyter_book_sequential(root: Path) -> dict:
    """Jupyter Book's own execution of the same book, side by side with ``make book``: the staged
    sources with every chapter unexecuted and ``execute_notebooks: force`` (one chapter after the
    other, no cache), built into ``_build/bench-jb`` (its own ledger and figures; removed after)."""
    import jupytext
    import nbformat
    import yaml

    scratch = build_dir() / "bench-jb"
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(build_dir() / "src", scratch / "src")
    for slug in notebook_slugs(root):
        nbformat.write(
            jupytext.read(root / "notebooks" / f"{slug}.md"),
            scratch / "src" / "notebooks" / f"{slug}.ipynb",
        )
    config = scratch / "src" / "_config.yml"
    conf = yaml.safe_load(config.read_text(encoding="utf-8"))
    conf["execute"] = {"execute_notebooks": "force", "timeout": 1200}
    config.write_text(yaml.safe_dump(conf), encoding="utf-8")
    jb = str(Path(sys.executable).with_name("jupyter-book"))
    env = dict(os.environ, COSTCORRECT_ROOT=str(root), COSTCORRECT_BUILD=str(scratch / "_build"))
    cmd = [jb, "build", str(scratch / "src"), "--path-output", str(scratch), "--quiet"]
    out = _timed(cmd, root, env=env)
    shutil.rmtree(scratch, ignore_errors=True)
    return out


def _edit_rebuilds(book: list[str], root: Path, repeat: int) -> tuple[dict, dict]:
    """The no-change rebuild and the three one-file edits: ``(measurements, what was edited)``."""
    module, importer = _module_with_one_importer()
    edits = {  # measurement -> (file, edit, what the report says was edited)
        "book_one_chapter_edit": (
            root / "notebooks" / f"{EDITED_CHAPTER}.md",
            lambda t: t.rstrip("\n") + "\n\n<!-- bench edit -->\n",
            f"notebooks/{EDITED_CHAPTER}.md",
        ),
        "book_one_module_edit": (
            _module_path(root, module),
            lambda t: t + "\n# bench edit\n",
            f"{module} (imported only by {importer})",
        ),
        "book_one_table_edit": (
            root / "data" / "datapackage.json",
            lambda t: t.replace(
                f'"name": "{EDITED_TABLE}"', f'"name": "{EDITED_TABLE}", "x-bench": 1', 1
            ),
            f"data/datapackage.json, resource {EDITED_TABLE}",
        ),
    }
    results = {"book_nochange": _median([_timed(book, root) for _ in range(repeat)])}
    for key, (path, edit, _) in edits.items():
        results[key] = _median([_edited(book, root, path, edit) for _ in range(repeat)])
    edited = {key: what for key, (_, _, what) in edits.items()}
    return results, edited


def run(setup: bool = True, only: str | None = None, repeat: int = 1) -> int:
    """The full benchmark, or with ``only="edits"`` the rebuild measurements on the built book."""
    root = repo_root()
    build = build_dir()
    book = [sys.executable, "-m", "costcorrect", "book"]
    results: dict = {"cores": os.cpu_count(), "only": only or "all", "repeat": repeat}
    targets: dict[str, float] = {
        "book_nochange": NOCHANGE_TARGET_S,
        "book_one_chapter_edit": EDIT_TARGET_S,
        "book_one_module_edit": EDIT_TARGET_S,
        "book_one_table_edit": EDIT_TARGET_S,
    }
    if only == "edits":
        if not (build / "html" / "index.html").exists():
            raise SystemExit("bench --only edits: build the book first (`make book`)")
        subprocess.run(book, cwd=root, check=True, stdout=subprocess.DEVNULL)  # up to date first
    else:
        if setup:
            results["setup"] = _setup_venv(root)
        # the pair, back to back on the same machine state: cold `make book`, then Jupyter Book's
        # own sequential execution and build of the same chapters
        shutil.rmtree(build, ignore_errors=True)
        results["book_cold"] = _timed(book, root)
        results["jupyter_book_sequential"] = _jupyter_book_sequential(root)
        cold, jbs = results["book_cold"]["wall_s"], results["jupyter_book_sequential"]["wall_s"]
        results["speedup_vs_jupyter_book"] = round(jbs / cold, 2)
        timings = json.loads((build / "timings.json").read_text())  # of the cold build
        total = sum(v for v in timings.values() if v)
        results["chapter_execution_s"] = timings
        results["chapter_execution_sum_s"] = round(total, 2)
        results["chapter_execution_max_s"] = max(timings.values())
        targets["book_cold"] = COLD_TARGET_S
    measured, edited = _edit_rebuilds(book, root, max(1, repeat))
    results.update(measured)
    results["edited"] = edited
    if only != "edits":
        results["test"] = _timed(["make", "test"], root, check=False)  # figures kept if it fails
        results["venv_bytes"] = _du(root / ".venv")
        results["html_bytes"] = _du(build / "html")
    results["targets_s"] = targets
    results["within_target"] = {k: results[k]["wall_s"] <= v for k, v in targets.items()}
    if "chapter_execution_sum_s" in results:
        within = results["within_target"]
        within["chapter_execution_sum_s"] = total <= CHAPTER_SUM_TARGET_S
        within["chapter_execution_max_s"] = (
            results["chapter_execution_max_s"] <= CHAPTER_MAX_TARGET_S
        )
    if "speedup_vs_jupyter_book" in results:
        speedup = results["speedup_vs_jupyter_book"]
        results["within_target"]["speedup_vs_jupyter_book"] = speedup >= SPEEDUP_TARGET
    (build / "bench.json").write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
    _report(results, targets, edited)
    print(f"wrote {build / 'bench.json'}")
    return 0 if results.get("test", {}).get("ok", True) else 1  # a failed `make test` fails it


def _report(results: dict, targets: dict[str, float], edited: dict[str, str]) -> None:
    print(f"{results['cores']} cores; wall time (CPU time of the build and its children, load)")
    for key, r in results.items():
        if not (isinstance(r, dict) and "wall_s" in r):
            continue
        verdict = ""
        if key in targets:
            ok = "within" if r["wall_s"] <= targets[key] else "OVER"
            verdict = f"  target ≤ {targets[key]} s: {ok}"
        runs = f"  runs {r['runs_wall_s']}" if "runs_wall_s" in r else ""
        print(
            f"  {key:<24} {r['wall_s']:>8.2f} s  (cpu {r['cpu_s']:.2f} s, load {r['load']})"
            f"{verdict}{runs}"
        )
        if key in edited:
            print(f"  {'':<24} edited {edited[key]}")
    for k, v in results.get("chapter_execution_s", {}).items():
        print(f"  execute {k:<28} {v} s")
    caps = {"chapter_execution_sum_s": CHAPTER_SUM_TARGET_S}
    caps["chapter_execution_max_s"] = CHAPTER_MAX_TARGET_S
    for k in (*caps, "speedup_vs_jupyter_book", "venv_bytes", "html_bytes"):
        if k in results:
            verdict = ""
            if k in caps:
                ok = "within" if results["within_target"][k] else "OVER"
                verdict = f"  target ≤ {caps[k]} s: {ok}"
            print(f"  {k:<24} {results[k]}{verdict}")
    if "speedup_vs_jupyter_book" in results:
        ok = results["within_target"]["speedup_vs_jupyter_book"]
        print(f"  {'':<24} target ≥ {SPEEDUP_TARGET}: {'within' if ok else 'UNDER'}")
