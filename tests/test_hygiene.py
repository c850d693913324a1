"""Hygiene gates run by `make test`: lint and format (ruff), the import layers (import-linter) and
declared-versus-used dependencies (deptry). Each fails with the tool's own report."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

BIN = Path(sys.executable).parent


def _run(*cmd: str) -> subprocess.CompletedProcess:
    exe = BIN / cmd[0]
    if not exe.exists() and shutil.which(cmd[0]) is None:
        pytest.fail(
            f"{cmd[0]} is not installed: run `make setup` (it is pinned in requirements.lock)"
        )
    return subprocess.run(
        [str(exe) if exe.exists() else cmd[0], *cmd[1:]], cwd=ROOT, capture_output=True, text=True
    )


def test_ruff_lint():
    proc = _run("ruff", "check", "--no-cache", "src", "tests")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ruff_format():
    proc = _run("ruff", "format", "--no-cache", "--check", "src", "tests")
    assert proc.returncode == 0, (
        "run `.venv/bin/ruff format src tests`:\n" + proc.stdout + proc.stderr
    )


def test_import_layers():
    """Models never import the ledger, figures or machinery; the machinery sits on top (pyproject.toml)."""
    proc = _run("lint-imports", "--no-cache")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_dependencies_declared_and_used():
    proc = _run("deptry", "src")
    assert proc.returncode == 0, proc.stdout + proc.stderr
