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

## test: install with dev tools, lint, type-check and run the whole suite (SQLite and PostgreSQL)
test: $(STAMP) lint browser
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

## browser: Debian's Chromium and a CJK font for the browser tests (Playwright cannot download
## its own browser here); installed only when missing. CI runs as root.
browser:
	@if [ ! -x /usr/bin/chromium ] || [ ! -e /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## bench: router, knowledge base, start-up, intake and database throughput, outbox and sweep figures
bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
