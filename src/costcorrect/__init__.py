"""costcorrect: the shared package of the Cost-correct book.

Data flows one way: ``data/`` → :mod:`costcorrect.data` (validated) → models in this
package → notebooks → ``_build/``. Chapters import from here; they hold no models.

When the pipeline executes a chapter (``$COSTCORRECT_CHAPTER`` is set), every module of this package
the chapter imports is recorded, so that its execution cache depends on exactly those modules.
"""

import os as _os

__version__ = "0.1.0"


def _record_imports(chapter: str) -> None:
    """Record in ``_build/deps/<chapter>.modules.json`` each ``costcorrect`` module the kernel imports."""
    import json
    import os
    import sys

    from costcorrect.paths import build_dir

    path = build_dir() / "deps" / f"{chapter}.modules.json"
    seen: set[str] = set()

    def flush() -> None:
        # worker processes of the chapter (sinter, forked sweeps) record into the same file: merge
        import fcntl

        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path.with_suffix(".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            known = set(json.loads(path.read_text())) if path.exists() else set()
            if not seen <= known:
                tmp = path.with_suffix(f".tmp{os.getpid()}")
                tmp.write_text(json.dumps(sorted(known | seen)) + "\n")
                tmp.replace(path)

    class Recorder:
        """A meta-path finder that finds nothing: it only notes each ``costcorrect`` module loaded."""

        @staticmethod
        def find_spec(name: str, path: object = None, target: object = None) -> None:
            if name.startswith("costcorrect") and name not in seen:
                seen.add(name)
                flush()

    seen.update(m for m in sys.modules if m.startswith("costcorrect"))
    seen.add(__name__)
    flush()
    sys.meta_path.insert(0, Recorder())


if _os.environ.get("COSTCORRECT_CHAPTER"):
    _record_imports(_os.environ["COSTCORRECT_CHAPTER"])
