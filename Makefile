# The two commands of SPEC §6: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FLASK := $(BIN)/flask --app crm

.PHONY: run test test-sqlite test-postgresql install demo worker

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(FLASK) db upgrade
	$(FLASK) demo --if-empty
	$(FLASK) worker & worker=$$!; trap "kill $$worker" EXIT INT TERM; \
	$(FLASK) run --host 127.0.0.1 --port 5000

test: test-sqlite test-postgresql

test-sqlite: $(STAMP)
	CRM_TEST_DB=sqlite $(BIN)/pytest

test-postgresql: $(STAMP)
	CRM_TEST_DB=postgresql $(BIN)/pytest
