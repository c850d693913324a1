"""Command line: ``python -m costcorrect <command>`` (the Makefile is a thin front door over this)."""

from __future__ import annotations

import argparse
import os
import shutil
import sys


def _fail(message: str, code: int) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def _rerun(slugs: list[str], pairs: list[list[str]], jobs: int | None) -> int:
    """Execute one chapter with other parameters into ``_build/runs/<slug>-<hash>/``, apart from the book."""
    import yaml

    from costcorrect.machinery.pipeline import execute, notebook_parameters, run_dir

    if len(slugs) != 1:
        return _fail("parameters apply to one chapter at a time: name exactly one chapter", 2)
    slug = slugs[0]
    params = {name: yaml.safe_load(value) for name, value in pairs}  # as papermill -y reads them
    known, _ = notebook_parameters(slug)
    unknown = sorted(set(params) - set(known))
    if unknown:
        return _fail(
            f"notebooks/{slug}.md has no parameter {', '.join(map(repr, unknown))}; "
            f"its parameters are: {', '.join(known)}",
            2,
        )
    out = run_dir(slug, params)
    os.environ["COSTCORRECT_BUILD"] = str(out)
    results = execute([slug], jobs=jobs, force=True, parameters=params)
    if not results[0].ok:
        return _fail(results[0].error, 1)
    print(
        f"wrote {out}/: executed/{slug}.ipynb, claims.json, figures/ (the book in _build/ is unchanged)"
    )
    return 0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m costcorrect", description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    ex = sub.add_parser(
        "execute", help="execute chapters (parallel, cached) and write _build/claims.json"
    )
    ex.add_argument("slugs", nargs="*", help="chapters to execute (default: all)")
    ex.add_argument("--force", action="store_true", help="ignore the cache")
    ex.add_argument(
        "-p", "--parameter", nargs=2, action="append", metavar=("NAME", "VALUE"),
        help="papermill parameter (YAML value); the run goes to _build/runs/<slug>-<hash>/",
    )  # fmt: skip
    bu = sub.add_parser("build", help="build _build/html from the executed chapters")
    bk = sub.add_parser("book", help="execute (cached) then build")
    for cmd in (ex, bu, bk):
        cmd.add_argument(
            "-j",
            "--jobs",
            type=int,
            default=None,
            help="processes (default: one per core to execute, one for Sphinx)",
        )
    np_ = sub.add_parser("new-paper", help="scaffold a chapter, its data folder and its claims")
    for name in ("--slug", "--title", "--url"):
        np_.add_argument(name, required=True)
    be = sub.add_parser(
        "bench", help="measure set-up, build and test times; write _build/bench.json"
    )
    be.add_argument(
        "--only", choices=["edits"], default=None,
        help="edits: only the no-change and one-file-edit rebuilds, on the book already built",
    )  # fmt: skip
    be.add_argument(
        "--repeat", type=int, default=1, help="run each rebuild N times and report the median"
    )
    be.add_argument("--no-setup", action="store_true", help="do not time a fresh venv's set-up")
    pdf = sub.add_parser(
        "pdf", help="print the whole book to _build/pdf/costcorrect-book.pdf (headless Chromium)"
    )
    pdf.add_argument(
        "--skip-without-chromium", action="store_true",
        help="outside CI, warn and succeed when Chromium is not installed (make test uses it)",
    )  # fmt: skip
    return p


def main(argv: list[str] | None = None) -> int:
    """Run one command; invalid data stops it with the table, row and rule named."""
    from costcorrect.data import DataError

    try:
        return _main(_parser().parse_args(argv))
    except DataError as e:
        return _fail(f"invalid data, no chapter executed:\n{e}", 1)


def _main(a: argparse.Namespace) -> int:
    if a.cmd == "execute" and a.parameter:
        return _rerun(a.slugs, a.parameter, a.jobs)
    if a.cmd in ("execute", "book"):
        from costcorrect.machinery.pipeline import execute

        results = execute(
            getattr(a, "slugs", None) or None, jobs=a.jobs, force=getattr(a, "force", False)
        )
        failed = [r for r in results if not r.ok]
        if failed:
            print(f"error: {len(failed)} chapter(s) failed:", file=sys.stderr)
            print("\n".join(f"  {r.error}" for r in failed), file=sys.stderr)
            return 1
        if a.cmd == "execute":
            return 0
    if a.cmd in ("build", "book"):
        from costcorrect.machinery.pipeline import build

        return build(jobs=a.jobs or 1)
    if a.cmd == "new-paper":
        from costcorrect.machinery.scaffold import ScaffoldError, new_paper

        try:
            print("\n".join(f"wrote {w}" for w in new_paper(a.slug, a.title, a.url)))
        except ScaffoldError as e:
            return _fail(str(e), 2)
        return 0
    if a.cmd == "pdf":
        from costcorrect.machinery.pdf import build_pdf

        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        if a.skip_without_chromium and os.environ.get("CI") != "true" and not chromium:
            print(
                "warning: chromium is not installed: no PDF edition (the PDF and browser tests skip)",
                file=sys.stderr,
            )
            return 0
        return build_pdf()
    from costcorrect.machinery.bench import run

    return run(setup=not a.no_setup, only=a.only, repeat=a.repeat)


if __name__ == "__main__":
    raise SystemExit(main())
