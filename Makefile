# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# Re-install when the project's dependencies change.
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run test lint bench clean browser

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

## run: install, migrate and start the bot on the embedded default (SQLite in ./var, console),
## with the web workbench; prints its address and, on a fresh database, a first-login link
run: $(STAMP)
	$(BIN)/hotline db upgrade
	$(BIN)/hotline web first-run
	$(BIN)/hotline run

## browser: Debian's Chromium and a CJK font for the Playwright tests (Playwright's own browser
## download cannot work here); does nothing when both are installed.
browser:
	@if [ -x /usr/bin/chromium ] && fc-list 2>/dev/null | grep -q "Noto Sans CJK"; then :; \
	elif command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk; \
	else echo "browser: no apt-get; the browser tests will be skipped" >&2; fi

## test: install with dev tools, lint, type-check and run the whole suite (SQLite and PostgreSQL)
test: $(STAMP) lint browser
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## bench: router, knowledge base, start-up, intake and database throughput, outbox and sweep figures
bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
