"""Shared test set-up.

Notebook checks (nbval) re-execute `_build/executed/*.ipynb`; their kernels inherit this process's
environment, so ``COSTCORRECT_BUILD`` is pointed at a scratch folder to keep the real ledger and
figures of `make book` untouched. Tests that read the real build use :data:`BUILD`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

from costcorrect.build import patches

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
# order; the PDF checks read the PDF once (a module fixture).
GROUPED_FILES = ("tests/build/test_pdf.py",)


def scope_of(nodeid: str) -> str:
    """The unit of work `make test` hands to one worker: a notebook's cells (nbval) or a grouped file
    together, every other test alone (so the browser test's pages spread over both cores)."""
    path = nodeid.split("::", 1)[0]
    if ".ipynb" in nodeid:
        return nodeid.rsplit("::", 1)[0]
    if path in GROUPED_FILES:
        return path
    return nodeid


def pytest_xdist_make_scheduler(config, log):
    """`make test` runs ``-n 2 --dist loadscope`` with this book's scopes (:func:`scope_of`):
    pytest-xdist's scheduler hands out whole scopes to whichever worker is free."""
    if config.getoption("dist") != "loadscope":
        return None
    return patches.scope_scheduler(config, log, scope_of)


def pytest_collection_modifyitems(config, items):
    patches.nbval_compare_text_only(items)


def require_build(path: Path = BUILD / "claims.json"):
    if not path.exists():
        pytest.fail(f"{path.relative_to(ROOT)} is missing: run `make book` first (make test does)")
