"""Execute the chapters (papermill, parallel, cached) and build the book (Jupyter Book 1, offline).

``execute``: every ``notebooks/<slug>.md`` → ``_build/executed/<slug>.ipynb``, one worker per core,
skipping a chapter whose cache key is unchanged. The key hashes the notebook, the package modules
its code cells import and everything those import (a static graph: ``ast`` and grimp), the
chapter's data (files and descriptors) and every other table it read in its last run (recorded by
:func:`costcorrect.data.load`), the lock file, the Python version and the parameters. A failing
chapter leaves no executed notebook, no cache entry and no claims behind, and the run exits
non-zero naming the notebook, the cell and the exception.

``build``: stage ``book/`` and the executed notebooks into ``_build/src`` (only changed files are
rewritten, so Sphinx rebuilds only what changed), write the generated pages (claims dashboard,
status counts, reproducibility table) and build them with Jupyter Book's Sphinx build, as
``jupyter-book build -W -n --keep-going`` (in-process; ``-j`` for parallel Sphinx).
"""

from __future__ import annotations

import ast
import contextlib
import functools
import hashlib
import importlib.util
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import TYPE_CHECKING

from costcorrect import claims as ledger
from costcorrect import data
from costcorrect.machinery import patches
from costcorrect.paths import build_dir, repo_root

if TYPE_CHECKING:
    import grimp

LOCK_FILE = "requirements.lock"
# each chapter's execution seconds as a cold build (no cache entries yet) expects them, to start the
# longest first; same format as _build/timings.json, which refreshes it
EXPECTED_SECONDS = "notebooks/execution-seconds.json"


# --------------------------------------------------------------------------- chapters
def toc_chapters(root: Path | None = None) -> list[str]:
    """Chapter slugs in book order, read from ``book/_toc.yml`` (entries ``notebooks/<slug>``)."""
    from sphinx_external_toc.parsing import parse_toc_yaml

    site_map = parse_toc_yaml((root or repo_root()) / "book" / "_toc.yml")
    return [
        doc.split("/", 1)[1].removesuffix(".ipynb").removesuffix(".md")
        for doc in site_map
        if doc.startswith("notebooks/")
    ]


def notebook_slugs(root: Path | None = None) -> list[str]:
    """Every chapter notebook present in ``notebooks/``: book order first, then any others sorted."""
    root = root or repo_root()
    present = sorted(p.stem for p in (root / "notebooks").glob("*.md"))
    order = [s for s in toc_chapters(root) if s in present]
    return order + [s for s in present if s not in order]


# --------------------------------------------------------------------------- parameters
def _ipynb(slug: str, root: Path) -> Path:
    """The chapter converted to ``.ipynb`` (papermill reads only that format)."""
    import jupytext
    import nbformat

    path = build_dir() / "ipynb" / f"{slug}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(jupytext.read(root / "notebooks" / f"{slug}.md"), path)
    return path


def notebook_parameters(slug: str, root: Path | None = None) -> tuple[dict[str, str], list[str]]:
    """The chapter's ``parameters`` cell as papermill reads it: ``({name: default}, problems)``,
    where a problem is a line papermill cannot parse (it then ignores that parameter)."""
    import logging

    import papermill as pm

    messages: list[str] = []

    class Catch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(record.getMessage())

    logger = logging.getLogger("papermill")
    handler = Catch(level=logging.WARNING)
    logger.addHandler(handler)
    try:
        found = pm.inspect_notebook(str(_ipynb(slug, root or repo_root())))
    finally:
        logger.removeHandler(handler)
    problems = [f"notebooks/{slug}.md, parameters cell: {m}" for m in messages]
    return {name: str(p["default"]) for name, p in found.items()}, problems


def run_dir(slug: str, parameters: dict) -> Path:
    """Where a parameterised execution of ``slug`` goes: ``_build/runs/<slug>-<hash of the parameters>``."""
    digest = hashlib.sha256(json.dumps(parameters, sort_keys=True).encode()).hexdigest()[:10]
    return build_dir() / "runs" / f"{slug}-{digest}"


# --------------------------------------------------------------------------- cache
PACKAGE = "costcorrect"


def _hash_files(h: hashlib._Hash, root: Path, paths: list[Path]) -> None:
    for p in sorted(paths):
        h.update(str(p.relative_to(root)).encode() + b"\0" + p.read_bytes() + b"\0")


def code_imports(source: str) -> set[str]:
    """Dotted names under :data:`PACKAGE` that a code cell imports (``from a import b`` gives ``a``
    and ``a.b``: the caller keeps those that are modules); IPython magics and shell lines are skipped."""
    code = "\n".join(ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!")))
    names: set[str] = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.update([node.module, *(f"{node.module}.{a.name}" for a in node.names)])
    return {n for n in names if n == PACKAGE or n.startswith(PACKAGE + ".")}


@functools.cache
def import_graph(package: str) -> grimp.ImportGraph:
    """grimp's static import graph of ``package`` (every import statement, also inside functions)."""
    import grimp

    return grimp.build_graph(package, cache_dir=None)


def chapter_modules(slug: str, root: Path | None = None) -> list[str]:
    """Every :data:`PACKAGE` module chapter ``slug`` can run: those its code cells import (ast), the
    packages whose ``__init__`` importing them runs, and everything those import in turn (grimp)."""
    import jupytext

    nb = jupytext.read((root or repo_root()) / "notebooks" / f"{slug}.md")
    graph = import_graph(PACKAGE)
    todo = {m for c in nb.cells if c.cell_type == "code" for m in code_imports(c.source)}
    todo &= graph.modules
    seen: set[str] = set()
    while todo:
        m = todo.pop()
        seen.add(m)
        parents = {m.rsplit(".", i)[0] for i in range(1, m.count(".") + 1)}
        todo |= (graph.find_modules_directly_imported_by(m) | parents) - seen
    return sorted(seen)


def model_modules(slug: str) -> list[str]:
    """The model modules (``costcorrect.models.<part>.<module>``) among :func:`chapter_modules`."""
    return [
        m
        for m in chapter_modules(slug)
        if m.startswith("costcorrect.models.") and m.count(".") == 3
    ]


def package_base() -> Path:
    """The folder holding the installed :data:`PACKAGE` (``src/`` of an editable install)."""
    return Path(importlib.util.find_spec(PACKAGE).origin).parents[1]


def module_files(modules: list[str]) -> list[Path]:
    """The source files of ``modules`` (of the installed :data:`PACKAGE`)."""
    files = [package_base().joinpath(*m.split(".")) for m in modules]
    return sorted(
        f.with_suffix(".py") if f.with_suffix(".py").is_file() else f / "__init__.py" for f in files
    )


def cache_key(slug: str, parameters: dict | None = None, root: Path | None = None) -> str:
    """The hash that decides whether chapter ``slug`` must be re-executed.

    It covers the notebook, the package modules it can run (:func:`chapter_modules`, a static
    graph), the chapter's data and every other table it read in its last run (recorded by
    :func:`costcorrect.data.load`), the lock file, the Python version, the parameters and the
    chapter's entries in the committed verdict snapshot (automatic notes compare with them) — so
    editing a model module re-executes only the chapters that import it.
    """
    root = root or repo_root()
    h = hashlib.sha256()
    _hash_files(h, root, [root / "notebooks" / f"{slug}.md"])
    mods = module_files(chapter_modules(slug, root))
    h.update(b"modules:" + str(len(mods)).encode())
    _hash_files(h, package_base(), mods)
    chapter_data = root / "data" / slug
    if chapter_data.is_dir():
        _hash_files(h, root, [p for p in chapter_data.rglob("*") if p.is_file()])
    pkg = json.loads((root / "data" / "datapackage.json").read_text(encoding="utf-8"))
    deps_file = data.dependencies_file(slug)  # tables of other chapters it read in its last run
    deps = set(json.loads(deps_file.read_text())) if deps_file.exists() else set()
    mine = [
        r for r in pkg.get("resources", []) if r["name"].startswith(slug + "/") or r["name"] in deps
    ]
    h.update(json.dumps(mine, sort_keys=True).encode())
    others = [root / "data" / r["path"] for r in mine if not r["name"].startswith(slug + "/")]
    _hash_files(h, root, [p for p in [*others, root / LOCK_FILE] if p.exists()])
    snap = root / ledger.SNAPSHOT
    committed = json.loads(snap.read_text(encoding="utf-8")) if snap.is_file() else {}
    h.update(
        json.dumps(
            {k: v for k, v in committed.items() if k.startswith(slug + ".")}, sort_keys=True
        ).encode()
    )
    h.update(sys.version.encode())
    h.update(json.dumps(parameters or {}, sort_keys=True).encode())
    return h.hexdigest()


def _cache_file(slug: str) -> Path:
    return build_dir() / "cache" / f"{slug}.json"


def cache_entry(slug: str) -> dict:
    """What the chapter's last successful execution recorded: its cache ``key``, ``seconds``,
    ``parameters`` and ``parameter_names`` (papermill's); ``{}`` when there is none."""
    with contextlib.suppress(OSError, ValueError):
        return json.loads(_cache_file(slug).read_text(encoding="utf-8"))
    return {}


def is_fresh(slug: str, key: str) -> bool:
    """True when the executed notebook, its claims and its cache entry match ``key``."""
    entry = cache_entry(slug)
    return (
        entry.get("key") == key
        and "parameter_names" in entry  # entries written before the names were recorded
        and (build_dir() / "executed" / f"{slug}.ipynb").exists()
        and ledger.chapter_file(slug).exists()
    )


# --------------------------------------------------------------------------- execution
@dataclass
class Result:
    slug: str
    ok: bool
    seconds: float
    cached: bool = False
    error: str = ""


def _describe_failure(slug: str, exc: BaseException, nb_path: Path) -> str:
    """Name the notebook, the cell and the exception of a failed execution."""
    import nbformat
    from papermill.exceptions import PapermillExecutionError

    where = f"notebooks/{slug}.md"
    if not isinstance(exc, PapermillExecutionError):
        return f"{where}: {type(exc).__name__}: {exc}"
    # papermill's cell index counts its injected parameters but not the error banner it puts on top
    cells = [
        c
        for c in nbformat.read(nb_path, as_version=4).cells
        if "papermill-error-cell-tag" not in c.metadata.get("tags", [])
    ]
    code = [
        i
        for i, c in enumerate(cells)
        if c.cell_type == "code" and "injected-parameters" not in c.metadata.get("tags", [])
    ]
    cell = exc.cell_index
    label = f"code cell {code.index(cell) + 1}" if cell in code else f"cell index {cell}"
    lines = [ln for ln in exc.source.splitlines() if ln.strip() and not ln.startswith("#")]
    return f"{where}: {label} (`{(lines or [''])[0][:80]}`) raised {exc.ename}: {exc.evalue}"


def execute_one(slug: str, parameters: dict | None = None) -> Result:
    """Execute one chapter with papermill; never leaves a half-built result behind.

    papermill writes into ``_build/failed/``; only a run that finished and recorded its claims moves
    to ``_build/executed/`` and gets its cache entry.
    """
    import papermill as pm

    root, build = repo_root(), build_dir()
    # the kernel records the tables it reads under COSTCORRECT_CHAPTER
    os.environ.update(COSTCORRECT_ROOT=str(root), COSTCORRECT_BUILD=str(build))
    os.environ.update(COSTCORRECT_CHAPTER=slug)
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    executed = build / "executed" / f"{slug}.ipynb"
    failed = build / "failed" / f"{slug}.ipynb"
    for stale in (executed, failed, _cache_file(slug), ledger.chapter_file(slug)):
        stale.unlink(missing_ok=True)
    data.dependencies_file(slug).unlink(missing_ok=True)
    executed.parent.mkdir(parents=True, exist_ok=True)
    failed.parent.mkdir(parents=True, exist_ok=True)
    source = _ipynb(slug, root)
    start = time.perf_counter()
    try:
        pm.execute_notebook(
            str(source),
            str(failed),
            parameters=parameters or {},
            cwd=str(root),
            kernel_name="python3",
            progress_bar=False,
            log_output=False,
            kernel_manager_class=patches.kernel_manager_class(),
        )
    except BaseException as exc:
        ledger.chapter_file(slug).unlink(missing_ok=True)
        error = _describe_failure(slug, exc, failed if failed.exists() else source)
        return Result(slug, False, time.perf_counter() - start, error=error)
    seconds = time.perf_counter() - start
    if not ledger.chapter_file(slug).exists():
        error = (
            f"notebooks/{slug}.md: executed but recorded no claim (call costcorrect.claims.check)"
        )
        return Result(slug, False, seconds, error=error)
    failed.replace(executed)
    entry = {
        "key": cache_key(slug, parameters, root),  # after the run: with the tables it read
        "seconds": round(seconds, 2),
        "parameters": parameters or {},
        "parameter_names": list(pm.inspect_notebook(str(source))),
    }
    _cache_file(slug).parent.mkdir(parents=True, exist_ok=True)
    _cache_file(slug).write_text(json.dumps(entry) + "\n", encoding="utf-8")
    return Result(slug, True, seconds)


def execute(
    slugs: list[str] | None = None,
    *,
    jobs: int | None = None,
    force: bool = False,
    parameters: dict | None = None,
    echo=print,
) -> list[Result]:
    """Execute chapters in parallel (one worker per core), skipping fresh ones; collect the ledger."""
    root = repo_root()
    all_slugs = notebook_slugs(root)
    wanted = slugs or all_slugs
    unknown = [s for s in wanted if s not in all_slugs]
    if unknown:
        raise SystemExit(f"error: no notebook notebooks/<slug>.md for {unknown}")
    results: list[Result] = []
    todo: list[str] = []
    for s in wanted:
        if not force and is_fresh(s, cache_key(s, parameters, root)):
            results.append(Result(s, True, 0.0, cached=True))
        else:
            todo.append(s)
    # the data package is validated once, before any chapter runs (frictionless), also when every
    # chapter is cached: a bad or unlisted table stops `make book` (skipped while data/ is unchanged)
    _validate_data(root)
    todo = longest_first(todo, root)
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(todo) or 1))
    if todo:
        echo(f"executing {len(todo)} chapter(s) with {jobs} worker(s); {len(results)} cached")
        # spawned, not forked: a caller with threads (a test worker running Playwright) would fork a
        # copy of their held locks, and the forked worker hangs
        with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn")) as pool:
            futures = {pool.submit(execute_one, s, parameters): s for s in todo}
            for fut in as_completed(futures):
                slug = futures[fut]
                try:
                    r = fut.result()
                except BaseException as exc:
                    r = Result(
                        slug, False, 0.0, error=f"notebooks/{slug}.md: worker crashed: {exc!r}"
                    )
                results.append(r)
                failure = "" if r.ok else f"\n    {r.error}"
                echo(f"  {'ok    ' if r.ok else 'FAILED'} {slug} ({r.seconds:.1f} s){failure}")
    else:
        echo(f"all {len(results)} chapter(s) cached; nothing to execute")
    order = {s: i for i, s in enumerate(all_slugs)}
    results.sort(key=lambda r: order[r.slug])
    timings = {r.slug: cache_entry(r.slug).get("seconds") for r in results if r.ok}
    path = build_dir() / "timings.json"
    path.write_text(json.dumps(timings, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    ledger.collect(all_slugs)
    return results


def longest_first(slugs: list[str], root: Path) -> list[str]:
    """``slugs`` longest first, which balances the workers: by their last run's seconds, else by
    :data:`EXPECTED_SECONDS` (a cold build), else a minute (a new chapter)."""
    expected = root / EXPECTED_SECONDS
    seconds = json.loads(expected.read_text(encoding="utf-8")) if expected.is_file() else {}
    return sorted(slugs, key=lambda s: -cache_entry(s).get("seconds", seconds.get(s) or 60.0))


def _validate_data(root: Path) -> None:
    """:func:`costcorrect.data.validate_package`, skipped when ``data/``, the validating code and the
    lock file are byte for byte those of the last successful validation (it takes about a second)."""
    h = hashlib.sha256()
    _hash_files(h, root, [p for p in (root / "data").rglob("*") if p.is_file()])
    for code in (Path(data.__file__), root / LOCK_FILE):
        h.update(code.read_bytes() if code.exists() else b"")
    stamp = build_dir() / "cache" / "data-validated"
    if stamp.exists() and stamp.read_text(encoding="utf-8").strip() == h.hexdigest():
        return
    data.validate_package()
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(h.hexdigest() + "\n", encoding="utf-8")


# --------------------------------------------------------------------------- staging and build
def _write_if_changed(path: Path, data: bytes) -> bool:
    if path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return True


def stage(root: Path | None = None) -> tuple[Path, bool]:
    """Assemble the Sphinx source tree ``_build/src`` from ``book/``, executed notebooks and generated pages.

    Returns the folder and whether anything in it changed.
    """
    from costcorrect.machinery import pages

    root = root or repo_root()
    src, book, executed = build_dir() / "src", root / "book", build_dir() / "executed"
    chapters = toc_chapters(root)
    missing = [slug for slug in chapters if not (executed / f"{slug}.ipynb").exists()]
    if missing:
        raise SystemExit(
            f"error: chapter(s) {missing} are in book/_toc.yml but not executed; run `make book`"
        )
    files = {  # path under src -> content
        p.relative_to(book): p.read_bytes()
        for p in book.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    files |= {
        Path("notebooks", f"{s}.ipynb"): (executed / f"{s}.ipynb").read_bytes() for s in chapters
    }
    files |= {Path(rel): text.encode("utf-8") for rel, text in pages.generated(root).items()}
    changed = False
    for rel, content in files.items():
        changed |= _write_if_changed(src / rel, content)
    for p in list(src.rglob("*")):  # remove pages that no longer exist
        if p.is_file() and p.relative_to(src) not in files:
            p.unlink()
            changed = True
    return src, changed


def build(root: Path | None = None, jobs: int = 1, echo=print) -> int:
    """Build ``_build/html`` from the staged sources with Jupyter Book's Sphinx build (as
    ``jupyter-book build -W -n --keep-going``); returns its exit status. ``jobs`` > 1 reads and
    writes the pages in that many processes (Sphinx's ``-j``; every extension allows it), which on
    this book's two cores measured no faster than one (Sphinx reads and writes much of it in the main
    process), so one is the default."""
    root = root or repo_root()
    src, changed = stage(root)
    out = build_dir()
    stamp = out / "html" / ".built"
    # Sphinx also runs our code: a change to the package outside the models (the extension, the
    # generated pages, the card templates) or to the lock file rebuilds every page (force_all); the
    # models' own edits are tracked by Sphinx (autodoc dependencies) and the chapters' re-execution
    h = hashlib.sha256()
    pkg = root / "src" / "costcorrect"
    read = [p for p in pkg.rglob("*.py") if "models" not in p.relative_to(pkg).parts]
    read += sorted((pkg / "machinery" / "templates").glob("*.j2"))  # the pages' Jinja2 templates
    _hash_files(h, root, [p for p in [*read, root / LOCK_FILE] if p.is_file()])
    key = h.hexdigest() + "\n"
    built_with = stamp.read_text() if stamp.exists() else ""
    if not changed and built_with == key and (out / "html" / "index.html").exists():
        echo("book is up to date (nothing staged or run by Sphinx changed)")
        return 0
    from jupyter_book.sphinx import build_sphinx

    stamp.unlink(missing_ok=True)
    os.environ.update(COSTCORRECT_ROOT=str(root), COSTCORRECT_BUILD=str(out))
    echo(f"building the book (Sphinx -W -n --keep-going, {jobs} process(es))")
    status = build_sphinx(
        src,
        out / "html",
        noconfig=True,
        path_config=src / "_config.yml",
        confoverrides={
            "external_toc_path": (src / "_toc.yml").as_posix(),
            "nitpicky": True,
            "latex_individualpages": False,
        },
        # also when the last build failed (its stamp is gone): pages it left may be stale
        force_all=built_with != key,
        warningiserror=True,
        keep_going=True,
        quiet=True,
        jobs=jobs,
    )
    if status == 0:
        stamp.write_text(key)
        return 0
    # never leave a half-built book looking complete
    (out / "html" / "index.html").unlink(missing_ok=True)
    echo("error: the book build failed (see the warnings above); _build/html/index.html removed")
    return 1
