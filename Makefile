# costcorrect-book — a thin front door over `python -m costcorrect`.
# Two commands do everything on a fresh machine: `make book` and `make test` (`make pdf` for the PDF).
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   := .venv
VPY    := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
JOBS   ?=
CHAPTERS ?=
ONLY   ?=
REPEAT ?=
PYTEST_ARGS ?=

.PHONY: help setup book pdf execute html test test-fast snapshot new-paper bench lock clean distclean

help: ## list every target
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

setup: $(STAMP) ## create .venv from requirements.lock (only when the lock or pyproject changed)

$(STAMP): requirements.lock pyproject.toml
	@test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(VPY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

book: setup ## execute every chapter (parallel, cached) and build _build/html + _build/claims.json
	$(VPY) -m costcorrect book $(if $(JOBS),-j $(JOBS))

pdf: book ## print the whole book to _build/pdf/costcorrect-book.pdf (and beside the HTML); needs chromium
	$(VPY) -m costcorrect pdf

execute: setup ## execute chapters only (CHAPTERS="slug ..." to choose; FORCE=1 to ignore the cache)
	$(VPY) -m costcorrect execute $(CHAPTERS) $(if $(JOBS),-j $(JOBS)) $(if $(FORCE),--force)

html: setup ## build _build/html from the executed chapters (no execution)
	$(VPY) -m costcorrect build $(if $(JOBS),-j $(JOBS))

# pytest on both cores: --dist loadscope with the book's scopes (tests/conftest.py) hands tests out one
# by one to the free worker (the browser test is one test per page), longest first by the last run's
# durations (a fresh clone: a guess from each page's size and each chapter's execution time;
# --no-loadscope-reorder keeps that order), and keeps each notebook's nbval cells together;
# the PDF test prints the PDF edition (as `make pdf`) on one worker while the other runs other tests.
# Per-test timeout from pyproject.toml (pytest-timeout); the 15 slowest tests are listed at the end.
# Property tests run the `ci` Hypothesis profile; HYPOTHESIS_PROFILE=thorough make test runs more.
test: book ## the whole test suite: unit, data, notebooks (nbval), ledger, citation, book, browser, PDF
	TIMEFORMAT='make test: pytest took %0Rs (user %0Us, system %0Ss)'; time $(VPY) -m pytest -n 2 \
	  --dist loadscope --no-loadscope-reorder --durations=15 \
	  tests _build/executed --nbval-lax --nbval-sanitize-with tests/nbval_sanitize.cfg $(PYTEST_ARGS)

test-fast: setup ## unit and data tests only (no notebooks, no book)
	$(VPY) -m pytest -n 2 tests -m "not book and not browser and not slow"

snapshot: book ## after reviewing a verdict change: rewrite the committed verdict snapshot (tests/__snapshots__/)
	$(VPY) -m pytest tests/test_ledger.py -k test_verdicts_match_the_committed_snapshot --snapshot-update -n 0

new-paper: setup ## scaffold a chapter: make new-paper SLUG=my-paper TITLE="My paper" URL=https://...
	@test -n "$(SLUG)" -a -n "$(TITLE)" -a -n "$(URL)" || { echo 'usage: make new-paper SLUG=<slug> TITLE="<title>" URL=<url>'; exit 2; }
	$(VPY) -m costcorrect new-paper --slug "$(SLUG)" --title "$(TITLE)" --url "$(URL)"

bench: setup ## measure set-up, cold/no-change/one-file-edit builds, tests, sizes -> _build/bench.json (ONLY=edits: rebuilds of the built book only; REPEAT=n)
	$(VPY) -m costcorrect bench $(if $(ONLY),--only $(ONLY)) $(if $(REPEAT),--repeat $(REPEAT))

lock: ## re-pin requirements.lock from pyproject.toml in a scratch venv
	rm -rf _build/lockenv && $(PYTHON) -m venv _build/lockenv
	_build/lockenv/bin/pip install --quiet --disable-pip-version-check ".[book,test]"
	_build/lockenv/bin/pip freeze --exclude costcorrect | sed '/^-e /d' > requirements.lock
	rm -rf _build/lockenv

clean: ## remove generated files (_build/)
	rm -rf _build

distclean: clean ## also remove .venv
	rm -rf $(VENV)
