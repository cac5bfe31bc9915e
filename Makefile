# Two commands for users: `make run` (the embedded stack) and `make test` (installs, then the suite).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.install-stamp
INSTALLER ?= uv

.PHONY: install run test lint histories bench soak clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv --without-pip $(VENV)
	# uv installs the packages in a fraction of pip's time (a fresh machine's `make test` waits for
	# it), and pip into the venv too (the install test uses it); where uv cannot be had, the venv
	# gets its own pip and pip does it all. uv reads its own index settings (UV_INDEX_URL…), not
	# pip's: where pip must use a chosen index, `make install INSTALLER=pip`.
	( [ "$(INSTALLER)" != pip ] && $(PYTHON) -m pip --python $(BIN)/python install --quiet uv \
	  && $(BIN)/uv pip install --quiet --python $(BIN)/python -e '.[test]' pip ) \
	  || ( $(BIN)/python -m ensurepip --upgrade && $(BIN)/python -m pip install --quiet -e '.[test]' )
	touch $(STAMP)

run: install
	$(BIN)/partnership up

# Bytecode is cached even where the environment says not to (PYTHONDONTWRITEBYTECODE): every
# stack, worker and CLI process of the run would otherwise compile the project's modules again,
# and pytest its plugins' assertion rewrites, in each of its workers.
# The run's temporary files (data dirs with their registers and Maildirs, the stacks' SQLite files)
# go to memory where the machine has a tmpfs that is writable, lets programs run (the install test
# runs the venv it makes there) and has room (pytest keeps its last three runs' files, ~50 MB
# each): every commit's fsync then costs nothing. Elsewhere, TMPDIR or /tmp.
TEST_TMPDIR ?= $(shell d=/dev/shm; [ -d $$d ] && [ -w $$d ] && ! grep -qs " $$d [^ ]* [^ ]*noexec" /proc/mounts \
  && [ "$$(df -Pk $$d | awk 'NR==2 {print $$4}')" -gt 1048576 ] && echo $$d || echo $${TMPDIR:-/tmp})
test: install
	TMPDIR=$(TEST_TMPDIR) PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest

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
	$(BIN)/python benchmarks/console.py
	$(BIN)/python benchmarks/cli.py

# The fault soak of issue 17 (never part of `make test`): worker SIGKILLs and server restarts under
# load, then every filing once, register = decisions, mails = keys, every history replays.
# `make soak SOAK_ARGS="--rounds 5"`; one summary line per round, exit 1 on any miss.
SOAK_ARGS ?= --rounds 1
soak: install
	$(BIN)/python -m tests.soak $(SOAK_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
