"""``python -m costcorrect``: the command line (:mod:`costcorrect.machinery.cli`)."""

from costcorrect.machinery.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
