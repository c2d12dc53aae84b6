# matcher: `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
PYTEST_WORKERS ?= 2

.DEFAULT_GOAL := help
.PHONY: help run test test-sqlite lint fmt bench loadtest system-deps translations messages clean

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-15s %s\n", $$1, $$2}'

$(BIN)/python:
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || scripts/install-system-deps.sh python
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.runtime-installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	@touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-dev.txt
	@touch $@ $(VENV)/.runtime-installed

BABEL_KEYWORDS := -k _l -k N_ -k Nn_:1,2

translations: $(VENV)/.runtime-installed ## Compile the message catalogues (.po -> .mo)
	@if ls translations/*/LC_MESSAGES/messages.po >/dev/null 2>&1; then $(BIN)/pybabel -q compile -d translations; fi

messages: $(VENV)/.runtime-installed ## Extract new strings and merge them into every catalogue
	$(BIN)/pybabel -q extract -F babel.cfg $(BABEL_KEYWORDS) --ignore-dirs '.* .venv node_modules' --no-location --no-wrap --sort-output -o translations/messages.pot .
	$(BIN)/pybabel -q update -i translations/messages.pot -d translations --no-fuzzy-matching --no-wrap

run: $(VENV)/.runtime-installed translations ## Install what is needed and serve on http://127.0.0.1:$(PORT) (SQLite)
	$(BIN)/flask --app wsgi db upgrade
	$(BIN)/flask --app wsgi run --host 127.0.0.1 --port $(PORT)

system-deps: ## Debian's chromium and postgresql, where missing
	scripts/install-system-deps.sh chromium postgresql

test: $(VENV)/.dev-installed translations system-deps ## Install everything and run every test, on SQLite then PostgreSQL
	scripts/run-tests.sh

test-sqlite: $(VENV)/.dev-installed translations ## The suite on SQLite only (quick local loop)
	$(BIN)/pytest -n $(PYTEST_WORKERS) -q

lint: $(VENV)/.dev-installed ## ruff check, ruff format --check, bandit
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/bandit -q -r matcher -lll

fmt: $(VENV)/.dev-installed ## Format and auto-fix the code
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(VENV)/.dev-installed ## Benchmarks: print the figures quoted in README's Performance section (about 15 min)
	$(BIN)/python bench/bench_matching.py
	$(BIN)/python bench/bench_candidates_api.py
	$(BIN)/python bench/bench_map.py
	$(BIN)/python bench/bench_import.py
	$(BIN)/python bench/bench_geocoding.py

loadtest: $(VENV)/.dev-installed ## gunicorn over PostgreSQL with 100k offers, measured by wrk (req/s, p50/p99)
	scripts/install-system-deps.sh postgresql wrk
	scripts/loadtest.sh

clean: ## Remove the virtualenv, caches and the local database
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .hypothesis screenshots
