# reasonlab: `make demo` and `make test` are the two commands; both set up .venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The CPU build of this torch lies on the machine's disk; pinning it first keeps pip from
# resolving a multi-GB CUDA build for `torch>=...` in pyproject.toml.
TORCH  := torch==2.13.0

.PHONY: setup test demo bench lint clean

setup: $(STAMP)

$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet $(TORCH)
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

test: setup
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

demo: setup
	$(BIN)/reasonlab demo --out runs/demo

bench: setup
	$(BIN)/python -m benchmarks --out bench/results.json $(BENCH_ARGS)

lint: setup
	$(BIN)/ruff check reasonlab tests benchmarks

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
