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

# Property tests: no per-example deadline (2 busy cores make timings noisy) and a fixed seed per test,
# so a re-run explores the same examples (deterministic CI, like every other random draw here).
settings.register_profile("book", deadline=None, derandomize=True)
settings.load_profile("book")

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "_build"
os.environ["COSTCORRECT_ROOT"] = str(ROOT)
os.environ["COSTCORRECT_BUILD"] = str(BUILD / "nbval")


def pytest_collection_modifyitems(config, items):
    # nbval compares rich outputs unless told otherwise; only the claim cells' text matters.
    extra = ("text/html", "image/svg+xml", "application/javascript", "text/latex")
    for item in items:
        if item.__class__.__name__ == "IPyNbCell":
            parent = item.parent
            if not set(extra) <= set(parent.skip_compare):
                parent.skip_compare = tuple(parent.skip_compare) + extra


def require_build(path: Path = BUILD / "claims.json"):
    if not path.exists():
        pytest.fail(f"{path.relative_to(ROOT)} is missing: run `make book` first (make test does)")
