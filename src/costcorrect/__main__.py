"""``python -m costcorrect``: the command line (:mod:`costcorrect.build.cli`)."""

from costcorrect.build.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
