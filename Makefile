# The two commands: `make run` sets everything up and starts kubelite on the embedded
# store; `make test` sets everything up and runs every check and test.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint typecheck unit bench bench-apiserver bench-crd bench-ssa clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/kubelite up

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

test: lint typecheck
	$(BIN)/pytest

bench: install
	$(BIN)/python -m bench.store

bench-apiserver: install
	$(BIN)/python -m bench.apiserver

bench-crd: install
	$(BIN)/python -m bench.crd

bench-ssa: install
	$(BIN)/python -m bench.ssa

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
