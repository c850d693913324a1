"""Command line: ``python -m costcorrect <command>`` (the Makefile is a thin front door over this)."""

from __future__ import annotations

import argparse
import sys


def _params(pairs: list[list[str]] | None) -> dict:
    import yaml

    out = {}
    for name, value in pairs or []:
        out[name] = yaml.safe_load(
            value
        )  # numbers, booleans and lists as papermill -y would read them
    return out


def _rerun(slugs: list[str], params: dict, jobs: int | None) -> int:
    """Execute chapters with other parameters into ``_build/runs/<slug>-<hash>/``, apart from the book."""
    import os

    from costcorrect.build.pipeline import execute, notebook_parameters, run_dir

    if len(slugs) != 1:
        print(
            "error: parameters apply to one chapter at a time: name exactly one chapter",
            file=sys.stderr,
        )
        return 2
    slug = slugs[0]
    known, _ = notebook_parameters(slug)
    unknown = sorted(set(params) - set(known))
    if unknown:
        print(
            f"error: notebooks/{slug}.md has no parameter {', '.join(map(repr, unknown))}; "
            f"its parameters are: {', '.join(known)}",
            file=sys.stderr,
        )
        return 2
    out = run_dir(slug, params)
    os.environ["COSTCORRECT_BUILD"] = str(out)
    results = execute([slug], jobs=jobs, force=True, parameters=params)
    if not results[0].ok:
        print(f"error: {results[0].error}", file=sys.stderr)
        return 1
    print(
        f"wrote {out}/: executed/{slug}.ipynb, claims.json, figures/ (the book in _build/ is unchanged)"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    from costcorrect.data import DataError

    try:
        return _main(argv)
    except DataError as e:
        print(f"error: invalid data, no chapter executed:\n{e}", file=sys.stderr)
        return 1


def _main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m costcorrect", description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    ex = sub.add_parser(
        "execute", help="execute chapters (parallel, cached) and write _build/claims.json"
    )
    ex.add_argument("slugs", nargs="*", help="chapters to execute (default: all)")
    ex.add_argument("-j", "--jobs", type=int, default=None, help="workers (default: one per core)")
    ex.add_argument("--force", action="store_true", help="ignore the cache")
    ex.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        metavar=("NAME", "VALUE"),
        help="papermill parameter (YAML value); the run goes to _build/runs/<slug>-<hash>/",
    )
    sub.add_parser("build", help="build _build/html from the executed chapters")
    bk = sub.add_parser("book", help="execute (cached) then build")
    bk.add_argument("-j", "--jobs", type=int, default=None)
    sub.add_parser("claims", help="print the ledger summary")
    np_ = sub.add_parser("new-paper", help="scaffold a chapter, its data folder and its claims")
    np_.add_argument("--slug", required=True)
    np_.add_argument("--title", required=True)
    np_.add_argument("--url", required=True)
    be = sub.add_parser(
        "bench", help="measure set-up, build and test times; write _build/bench.json"
    )
    be.add_argument(
        "--only",
        choices=["edits"],
        default=None,
        help="edits: only the no-change and one-file-edit rebuilds, on the book already built",
    )
    be.add_argument(
        "--repeat", type=int, default=1, help="run each rebuild N times and report the median"
    )
    pdf = sub.add_parser(
        "pdf", help="print the whole book to _build/pdf/costcorrect-book.pdf (headless Chromium)"
    )
    pdf.add_argument(
        "--skip-without-chromium",
        action="store_true",
        help="outside CI, warn and succeed when Chromium is not installed (make test uses it)",
    )
    a = p.parse_args(argv)

    if a.cmd == "execute" and a.parameter:
        return _rerun(a.slugs, _params(a.parameter), a.jobs)
    if a.cmd in ("execute", "book"):
        from costcorrect.build.pipeline import execute

        results = execute(
            getattr(a, "slugs", None) or None, jobs=a.jobs, force=getattr(a, "force", False)
        )
        failed = [r for r in results if not r.ok]
        if failed:
            print(f"error: {len(failed)} chapter(s) failed:", file=sys.stderr)
            for r in failed:
                print(f"  {r.error}", file=sys.stderr)
            return 1
        if a.cmd == "execute":
            return 0
    if a.cmd in ("build", "book"):
        from costcorrect.build.pipeline import build

        return build()
    if a.cmd == "claims":
        from collections import Counter

        from costcorrect.claims import load

        recs = load()
        for ch, n in Counter(r["chapter"] for r in recs).items():
            c = Counter(r["status"] for r in recs if r["chapter"] == ch)
            print(f"{ch:<24} {n:>3} claims  " + "  ".join(f"{k} {v}" for k, v in sorted(c.items())))
        return 0
    if a.cmd == "new-paper":
        from costcorrect.build.scaffold import ScaffoldError, new_paper

        try:
            written = new_paper(a.slug, a.title, a.url)
        except ScaffoldError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        for w in written:
            print("wrote", w)
        return 0
    if a.cmd == "pdf":
        import os
        import shutil

        from costcorrect.build.pdf import build_pdf

        if (
            a.skip_without_chromium
            and os.environ.get("CI") != "true"
            and not (shutil.which("chromium") or shutil.which("chromium-browser"))
        ):
            print(
                "warning: chromium is not installed: no PDF edition (the PDF and browser tests skip)",
                file=sys.stderr,
            )
            return 0
        return build_pdf()
    if a.cmd == "bench":
        from costcorrect.build.bench import run

        return run(only=a.only, repeat=a.repeat)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
