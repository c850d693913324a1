"""Where the repository and its generated files live."""

from __future__ import annotations

import os
from pathlib import Path


def repo_root() -> Path:
    """The repository root: ``$COSTCORRECT_ROOT`` or the nearest parent holding ``pyproject.toml``
    and ``data/``."""
    env = os.environ.get("COSTCORRECT_ROOT")
    if env:
        return Path(env).resolve()
    for start in (Path.cwd(), Path(__file__).resolve().parent):
        for p in (start, *start.parents):
            if (p / "pyproject.toml").is_file() and (p / "data").is_dir():
                return p
    raise RuntimeError("cannot find the repository root (set COSTCORRECT_ROOT)")


def build_dir() -> Path:
    """The generated-files folder ``_build/`` (``$COSTCORRECT_BUILD`` overrides it)."""
    env = os.environ.get("COSTCORRECT_BUILD")
    return Path(env).resolve() if env else repo_root() / "_build"


def data_dir() -> Path:
    """The extracted tables, ``data/``."""
    return repo_root() / "data"


def split_id(identifier: str) -> tuple[str, str]:
    """Split ``<slug>.<name>`` into its chapter slug and name, checking both."""
    import re

    m = re.fullmatch(r"([a-z0-9]+(?:-[a-z0-9]+)*)\.([a-z0-9][a-z0-9_-]*)", identifier)
    if not m:
        raise ValueError(
            f"id {identifier!r} must look like '<slug>.<name>' (lowercase letters, digits, '-', '_')"
        )
    return m.group(1), m.group(2)
