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


# tryfirst: the marks must be in place before pytest-xdist's own hook reads the xdist_group marks
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    # nbval compares rich outputs unless told otherwise; only the claim cells' text matters.
    extra = ("text/html", "image/svg+xml", "application/javascript", "text/latex")
    for item in items:
        if item.__class__.__name__ == "IPyNbCell":
            parent = item.parent
            if not set(extra) <= set(parent.skip_compare):
                parent.skip_compare = tuple(parent.skip_compare) + extra
            # a notebook's cells share one kernel and run in order: `make test` distributes tests
            # one by one (--dist loadgroup) but keeps each notebook's cells together on one worker
            item.add_marker(pytest.mark.xdist_group(f"nbval-{item.path.stem}"))


def require_build(path: Path = BUILD / "claims.json"):
    if not path.exists():
        pytest.fail(f"{path.relative_to(ROOT)} is missing: run `make book` first (make test does)")
