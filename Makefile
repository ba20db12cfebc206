# Souk — two commands on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_URL ?= postgres://postgres@127.0.0.1:5432/test

.PHONY: install run test test-sqlite test-postgres lint format bench screenshots clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# A development machine: the public development SECRET_KEY is allowed (docs/operations.md, Deploying).
run bench: export SOUK_DEV ?= 1

## make run: install, migrate SQLite, load demo data, serve web + worker at http://127.0.0.1:8000
run: install
	$(BIN)/souk migrate --noinput
	$(BIN)/souk demo
	$(BIN)/souk collectstatic --noinput --verbosity 0
	$(BIN)/souk serve

## make test: install everything, lint, run the whole suite on SQLite then PostgreSQL
test: install
	scripts/ensure-system-packages
	PATH="$(CURDIR)/$(BIN):$$PATH" PG_URL="$(PG_URL)" scripts/test

lint: install
	$(BIN)/ruff check souk tests bench
	$(BIN)/ruff format --check souk tests bench

format: install
	$(BIN)/ruff check --fix souk tests bench
	$(BIN)/ruff format souk tests bench

## make bench: pgbench vs Souk through the service layer, on PostgreSQL; ratios in docs/benchmarks.md
bench: install
	PATH="$(CURDIR)/$(BIN):$$PATH" PG_URL="$(PG_URL)" $(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache

## make screenshots: regenerate docs/screenshots/ by running the browser journeys in Chromium
screenshots: install
	scripts/ensure-system-packages
	env -u DATABASE_URL SOUK_SCREENSHOTS=1 SOUK_FAST_PASSWORD_HASHER=1 $(BIN)/python -m pytest -q -p no:cacheprovider tests/browser
