# The commands of docs/product.md#commands: `make run`, `make dev`, `make test`, `make bench`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FLASK := $(BIN)/flask --app crm

.PHONY: run dev prepare test test-fast test-sqlite test-postgresql install bench lint

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

prepare: $(STAMP)
	$(FLASK) db upgrade
	$(FLASK) demo --if-empty

# Production server (gunicorn.conf.py: a worker per core, threads for slow clients) with the worker beside it.
run: prepare
	$(FLASK) worker & worker=$$!; trap "kill $$worker" EXIT INT TERM; \
	$(BIN)/gunicorn --config gunicorn.conf.py

# Flask's development server with the reloader, for developers.
dev: prepare
	$(FLASK) worker & worker=$$!; trap "kill $$worker" EXIT INT TERM; \
	$(FLASK) run --debug --reload --host 127.0.0.1 --port 5000

test: test-sqlite test-postgresql

# The suite without the browser tests, on SQLite: the quick loop while coding.
test-fast: $(STAMP)
	CRM_TEST_DB=sqlite $(BIN)/pytest -m "not browser"

lint: $(STAMP)
	$(BIN)/ruff check crm tests benchmarks migrations
	$(BIN)/mypy

test-sqlite: $(STAMP)
	CRM_TEST_DB=sqlite $(BIN)/pytest

test-postgresql: $(STAMP)
	CRM_TEST_DB=postgresql $(BIN)/pytest

# The benchmarks of docs/product.md#scale, each figure beside its target (see docs/performance.md). The events API load comes from wrk.
bench: $(STAMP)
	@command -v wrk >/dev/null || { echo "make bench needs wrk (Debian/Ubuntu: apt-get install wrk)"; exit 1; }
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python benchmarks/run_all.py
