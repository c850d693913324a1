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
    import sys

    from costcorrect.paths import build_dir

    path = build_dir() / "deps" / f"{chapter}.modules.json"
    seen: set[str] = set()

    def flush() -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(sorted(seen)) + "\n")

    def hook(event: str, args: tuple) -> None:
        if event == "import" and isinstance(args[0], str) and args[0].startswith("costcorrect"):
            name = args[0]
            if name not in seen:
                seen.add(name)
                flush()

    seen.update(m for m in sys.modules if m.startswith("costcorrect"))
    seen.add(__name__)
    flush()
    sys.addaudithook(hook)


if _os.environ.get("COSTCORRECT_CHAPTER"):
    _record_imports(_os.environ["COSTCORRECT_CHAPTER"])
