"""Shared test set-up.

Notebook checks (nbval) re-execute `_build/executed/*.ipynb`; their kernels inherit this process's
environment, so ``COSTCORRECT_BUILD`` is pointed at a scratch folder to keep the real ledger and
figures of `make book` untouched. Tests that read the real build use :data:`BUILD`.
"""

from __future__ import annotations

import functools
import json
import os
import re
from pathlib import Path

import pytest
from hypothesis import settings

from costcorrect.machinery import patches

# Property tests: no per-example deadline (2 busy cores make timings noisy) and a fixed seed per test,
# so a re-run explores the same examples (deterministic CI, like every other random draw here). How
# many examples each property test tries is the profile's to decide, never the test's: `ci` (the
# default, what `make test` and CI run) tries a modest number; `thorough` (HYPOTHESIS_PROFILE=thorough
# make test) ten times as many, for a search before a release or after a change to a model.
PROFILES = {"ci": 100, "thorough": 1000}
for _name, _examples in PROFILES.items():
    settings.register_profile(_name, max_examples=_examples, deadline=None, derandomize=True)
_profile = os.environ.get("HYPOTHESIS_PROFILE", "ci")
if _profile not in PROFILES:
    raise pytest.UsageError(
        f"HYPOTHESIS_PROFILE={_profile!r} is not a profile; choose one of {sorted(PROFILES)}"
    )
settings.load_profile(_profile)

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "_build"
os.environ["COSTCORRECT_ROOT"] = str(ROOT)
os.environ["COSTCORRECT_BUILD"] = str(BUILD / "nbval")


# Tests that must share one worker, by file: a notebook's nbval cells share one kernel and run in
# order; the PDF checks print the PDF and read it once (a module fixture).
GROUPED_FILES = ("tests/machinery/test_pdf.py",)
PDF_SCOPE = "tests/machinery/test_pdf.py"
PAGE_TEST = "tests/test_browser.py::test_page["  # one test per page of the book


@functools.cache
def links_the_pdf(page: str) -> bool:
    """Whether built page ``page`` (under ``_build/html``) links the PDF edition, or is a redirect
    (Jupyter Book's ``index.html``: the browser test checks the links of the page it leads to)."""
    from costcorrect.machinery.pdf import PDF_NAME

    path = BUILD / "html" / page
    text = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""
    return PDF_NAME in text or 'http-equiv="Refresh"' in text


def scope_of(nodeid: str) -> str:
    """The unit of work `make test` hands to one worker: a notebook's cells (nbval) or a grouped file
    together, every other test alone (so the browser test's pages spread over both cores) — except
    the browser test of a page that links the PDF, which runs after the PDF test has printed it."""
    path = nodeid.split("::", 1)[0]
    if ".ipynb" in nodeid:
        return nodeid.rsplit("::", 1)[0]
    if path in GROUPED_FILES:
        return path
    if nodeid.startswith(PAGE_TEST) and links_the_pdf(nodeid[len(PAGE_TEST) : -1]):
        return PDF_SCOPE
    return nodeid


def pytest_xdist_make_scheduler(config, log):
    """`make test` runs ``-n 2 --dist loadscope`` with this book's scopes (:func:`scope_of`):
    pytest-xdist's scheduler hands out whole scopes to whichever worker is free."""
    if config.getoption("dist") != "loadscope":
        return None
    return patches.scope_scheduler(config, log, scope_of)


# Longest first: the scopes are handed out in the order of their duration in the last run (pytest's
# cache; a notebook never timed yet counts its chapter's execution time), so the long ones start
# early and the short ones fill the gaps at the end (`make test` passes --no-loadscope-reorder).
SECONDS = "costcorrect/scope-seconds"
_seconds: dict[str, float] = {}


NOT_MARKUP = re.compile(r"<(script|style|svg)\b.*?</\1>", re.S | re.I)


@functools.cache
def page_seconds(page: str) -> float:
    """A first guess at the browser test's time on built page ``page``, before it was ever timed:
    it grows with the page's markup (axe's checks and the full-page screenshots work element by
    element), about a second per 15 kB; scripts, styles and drawn figures weigh little."""
    path = BUILD / "html" / page
    if not path.is_file():
        return 10.0
    markup = NOT_MARKUP.sub("", path.read_text(encoding="utf-8", errors="replace"))
    return 2.0 + len(markup) / 15_000


def expected_seconds(
    scope: str, last: dict[str, float], chapters: dict[str, float], slow: bool = False
) -> float:
    """How long ``scope`` is expected to take: its last run, else its chapter's execution time, else
    a rough guess (the PDF takes minutes, a browser page seconds by its size, a test marked
    ``slow`` some seconds, most tests less). A fresh clone (CI) has no last run: its order is the
    guesses'."""
    if scope in last:
        return last[scope]
    if scope.endswith(".ipynb"):
        return chapters.get(Path(scope).stem) or 60.0
    if scope == PDF_SCOPE:
        return 120.0
    if scope.startswith(PAGE_TEST):
        return page_seconds(scope[len(PAGE_TEST) : -1])
    return 10.0 if slow or scope.startswith("tests/test_browser.py") else 0.0


# nbval re-executes each executed chapter in a fresh kernel and compares its claim cells: once per
# execution. A notebook whose every cell passed is recorded with its key (the executed notebook's
# bytes — every execution writes new ones —, its chapter's cache key and the sanitising rules), and
# is not re-executed again while that key holds (its cells are reported skipped, with the reason).
# COSTCORRECT_NBVAL=all re-executes every chapter regardless; a fresh _build (CI) has no records.
NBVAL_PASSED = BUILD / "cache" / "nbval-passed.json"
_nbval_failed: set[str] = set()


def nbval_key(notebook: Path) -> str:
    """What a passing nbval run of ``notebook`` is recorded under."""
    import hashlib

    from costcorrect.machinery import pipeline

    h = hashlib.sha256(notebook.read_bytes())
    h.update((ROOT / "tests" / "nbval_sanitize.cfg").read_bytes())
    with pytest.MonkeyPatch.context() as mp:  # the book's own records of the tables it read
        mp.setenv("COSTCORRECT_BUILD", str(BUILD))
        h.update(pipeline.cache_key(notebook.stem).encode())
    return h.hexdigest()


def _nbval_passed() -> dict[str, str]:
    if os.environ.get("COSTCORRECT_NBVAL") == "all" or not NBVAL_PASSED.exists():
        return {}
    return json.loads(NBVAL_PASSED.read_text(encoding="utf-8"))


def pytest_collection_modifyitems(config, items):
    patches.nbval_compare_text_only(items)
    passed, keys = _nbval_passed(), {}
    for item in items:
        if item.__class__.__name__ == "IPyNbCell":
            nb = Path(str(item.fspath))
            keys.setdefault(nb, nbval_key(nb) if nb.name in passed else None)
            if keys[nb] is not None and passed[nb.name] == keys[nb]:
                reason = f"{nb.name} passed nbval in an earlier run of this very execution"
                item.add_marker(
                    pytest.mark.skip(reason=reason + " (COSTCORRECT_NBVAL=all re-runs it)")
                )
    cache = getattr(config, "cache", None)
    last = cache.get(SECONDS, {}) if cache else {}
    timings = BUILD / "timings.json"
    chapters = json.loads(timings.read_text()) if timings.exists() else {}

    # a stable sort: the cells of a notebook keep their order; in the PDF's scope, the pages that
    # link the PDF come after the test that prints it (pytest collects tests/*.py before tests/machinery/)
    def order(item) -> tuple[float, bool]:
        scope = scope_of(item.nodeid)
        page = scope == PDF_SCOPE and not item.nodeid.startswith(PDF_SCOPE)
        slow = hasattr(item, "get_closest_marker") and item.get_closest_marker("slow") is not None
        return -expected_seconds(scope, last, chapters, slow), page

    items.sort(key=order)


class Recorder:
    """Records each scope's duration and the nbval notebooks that passed. A plugin, not conftest
    hooks: a conftest's test hooks only see the tests under its folder, nbval's are in _build/."""

    def pytest_runtest_logreport(self, report):
        scope = scope_of(report.nodeid)
        _seconds[scope] = _seconds.get(scope, 0.0) + report.duration
        if scope.endswith(".ipynb") and not report.passed:
            _nbval_failed.add(scope)  # failed, or skipped: nothing new to record

    def pytest_sessionfinish(self, session):
        if hasattr(session.config, "workerinput"):
            return  # the controller records what every worker reported
        cache = getattr(session.config, "cache", None)
        if cache and _seconds:
            last = cache.get(SECONDS, {})
            cache.set(SECONDS, last | {k: round(v, 2) for k, v in _seconds.items()})
        ran = [ROOT / s for s in _seconds if s.endswith(".ipynb") and s not in _nbval_failed]
        if ran:
            passed = _nbval_passed() | {nb.name: nbval_key(nb) for nb in ran if nb.exists()}
            NBVAL_PASSED.parent.mkdir(parents=True, exist_ok=True)
            text = json.dumps(passed, indent=1, sort_keys=True) + "\n"
            NBVAL_PASSED.write_text(text, encoding="utf-8")


def pytest_configure(config):
    config.pluginmanager.register(Recorder(), "costcorrect-recorder")


def require_build(path: Path = BUILD / "claims.json"):
    if not path.exists():
        pytest.fail(f"{path.relative_to(ROOT)} is missing: run `make book` first (make test does)")


def claim_record(**overrides) -> dict:
    """A complete, decided ledger record (a reproduced numeric paper claim) for tests of what is drawn
    from records; ``overrides`` replace its fields."""
    return {
        "chapter": "a",
        "id": "a.kv",
        "statement": "The KV cache takes <this> many bytes per token.",
        "kind": "numeric",
        "origin": "paper",
        "evidence": "independent",
        "stated": "524288",
        "published": 524288.0,
        "unit": "bytes per token",
        "source": "https://e.org/paper",
        "locator": "Table 2",
        "reading": "",
        "recomputed": 524288.0,
        "condition": "equals 524,288 bytes per token",
        "rule": {"bound": "=", "tolerance": 0.0, "absolute": False},
        "robustness": {
            "verdict": "robust",
            "method": "exact",
            "region": "",
            "reason": "arithmetic",
        },
        "probe": {"verdict": "can fail", "text": "halved: diverges"},
        "status": "reproduced",
        "why": "",
        "note": "A note for the details.",
        "rows": ["kv"],
        "partial": "",
    } | overrides
