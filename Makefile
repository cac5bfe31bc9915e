# Two commands for users: `make run` (the embedded stack) and `make test` (installs, then the suite).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.install-stamp

.PHONY: install run test lint histories bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: install
	$(BIN)/partnership up

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Re-record the golden histories (only when a workflow change is meant to change them).
histories: install
	$(BIN)/python -m tests.record_histories

# Benchmarks are never part of `make test`; results go to benchmarks/results/ (Markdown + JSON).
bench: install
	$(BIN)/python benchmarks/replay.py
	$(BIN)/python benchmarks/throughput.py
	$(BIN)/python benchmarks/memory.py
	$(BIN)/python benchmarks/archive.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
