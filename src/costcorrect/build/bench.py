"""``make bench``: measure the three journeys' costs and write ``_build/bench.json``.

Measured: set-up of a fresh virtual environment from the lock file, cold ``make book`` (``_build``
removed), a rebuild with nothing changed, rebuilds after editing one notebook, one model module that
one chapter imports, and one chapter's table descriptor, each chapter's execution time, ``make test``,
and the sizes of ``.venv`` and ``_build/html``. Targets (2 cores): cold ≤ 1.5 × (sum of chapter times
÷ 2) + 30 s; no-change ≤ 2 s; each one-file edit ≤ 20 s when one chapter depends on it. These are
benchmarks, reported against targets, not timed tests.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from costcorrect.build.pipeline import model_modules, notebook_slugs
from costcorrect.paths import build_dir, repo_root

EDITED_CHAPTER = "cost-correct"


def _du(path: Path) -> int:
    return (
        sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())
        if path.exists()
        else 0
    )


def _timed(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True)
    return round(time.perf_counter() - start, 2)


def _edited(book: list[str], root: Path, path: Path, edit) -> float:
    """Time a book rebuild after ``edit`` changes ``path``; restore the file and the cache after."""
    original = path.read_text(encoding="utf-8")
    try:
        path.write_text(edit(original), encoding="utf-8")
        return _timed(book, root)
    finally:
        path.write_text(original, encoding="utf-8")
        subprocess.run(
            book, cwd=root, check=True, stdout=subprocess.DEVNULL
        )  # restore the cache (untimed)


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


def run(setup: bool = True) -> int:
    root = repo_root()
    build = build_dir()
    py = sys.executable
    book = [py, "-m", "costcorrect", "book"]
    results: dict = {"cores": os.cpu_count()}

    if setup:  # a fresh venv from the lock, as `make setup` does on a new machine
        scratch = root / "_bench_venv"
        shutil.rmtree(scratch, ignore_errors=True)
        start = time.perf_counter()
        subprocess.run(
            [os.environ.get("PYTHON", "python3"), "-m", "venv", str(scratch)], check=True
        )
        subprocess.run(
            [
                str(scratch / "bin" / "python"),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
                str(root / "requirements.lock"),
            ],
            check=True,
        )
        subprocess.run(
            [
                str(scratch / "bin" / "python"),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--no-deps",
                "-e",
                str(root),
            ],
            check=True,
        )
        results["setup_s"] = round(time.perf_counter() - start, 2)
        shutil.rmtree(scratch, ignore_errors=True)

    shutil.rmtree(build, ignore_errors=True)
    results["book_cold_s"] = _timed(book, root)
    results["book_nochange_s"] = _timed(book, root)
    nb = root / "notebooks" / f"{EDITED_CHAPTER}.md"
    results["book_one_chapter_edit_s"] = _edited(
        book, root, nb, lambda t: t.rstrip("\n") + "\n\n<!-- bench edit -->\n"
    )
    module, importer = _module_with_one_importer()
    results["edited_module"] = f"{module} (imported only by {importer})"
    results["book_one_module_edit_s"] = _edited(
        book, root, _module_path(root, module), lambda t: t + "\n# bench edit\n"
    )
    results["book_one_table_edit_s"] = _edited(
        book,
        root,
        root / "data" / "datapackage.json",
        lambda t: t.replace('"name": "vhg/published"', '"name": "vhg/published", "x-bench": 1', 1),
    )
    timings = json.loads((build / "timings.json").read_text())
    results["chapter_execution_s"] = timings
    total = sum(v for v in timings.values() if v)
    results["chapter_execution_sum_s"] = round(total, 2)
    results["test_s"] = _timed(["make", "test"], root)
    results["venv_bytes"] = _du(root / ".venv")
    results["html_bytes"] = _du(build / "html")
    targets = {
        "book_cold_s": round(1.5 * total / 2 + 30, 2),
        "book_nochange_s": 2.0,
        "book_one_chapter_edit_s": 20.0,
        "book_one_module_edit_s": 20.0,
        "book_one_table_edit_s": 20.0,
    }
    results["targets"] = targets
    results["within_target"] = {k: results[k] <= v for k, v in targets.items()}
    (build / "bench.json").write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
    width = max(len(k) for k in results)
    for k, v in results.items():
        if k not in ("chapter_execution_s",):
            print(f"{k:<{width}}  {v}")
    for k, v in timings.items():
        print(f"  execute {k:<28} {v} s")
    print(f"wrote {build / 'bench.json'}")
    return 0
