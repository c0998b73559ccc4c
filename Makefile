# The two commands: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench init worker clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

init: $(STAMP)
	$(BIN)/pipeline init

run: init  ## install, initialise and serve the API on the embedded default
	$(BIN)/pipeline serve

test: $(STAMP)  ## every test: unit, integration (PostgreSQL + Redis), end to end
	$(BIN)/pytest

lint: $(STAMP)  ## ruff, ruff format --check and the type checker (mypy)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(STAMP)  ## sign-ups/s over HTTP and rebuild events/s, beside their baselines
	$(BIN)/python tests/benchmarks/run.py

worker: $(STAMP)
	$(BIN)/pipeline worker

clean:
	rm -rf var .pytest_cache
