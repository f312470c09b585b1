# Everything CI and a new user run goes through these targets; `make install` is the only set-up step.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export HF_HUB_DISABLE_TELEMETRY := 1

.PHONY: install test test-fast mutate demo demo-pretrained bench reproduce reproduce-quick gpu-check clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q -e ".[test,serve,track]"
	touch $(STAMP)

# The whole suite, slow end-to-end tests included (what CI runs).
test: install
	$(BIN)/python -m pytest -q --durations=15

# Unit tests only, for quick iteration.
test-fast: install
	$(BIN)/python -m pytest -q -m "not slow"

# Mutation testing of the core modules (docs/testing.md): not part of `make test`; about 30 min on 2 cores.
# Starts from a fresh mutants/ copy; prints the score per module and the survivors; fails under 90 %.
# One torch thread: each mutant runs in a fork of mutmut's process, and a fork of a multi-threaded torch hangs.
mutate: install
	$(BIN)/pip install --disable-pip-version-check -q -e ".[test,serve,track,mutate]"
	rm -rf mutants
	OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(BIN)/mutmut run --max-children 2 </dev/null >/dev/null || true
	$(BIN)/python scripts/mutation_report.py

# The whole pipeline on the built-in defaults: synthetic data, tiny local model.
demo: install
	bash scripts/demo.sh

# The same, from a tiny model pretrained on the material corpus first (docs/pretraining.md), in workspace/demo-pretrained.
demo-pretrained: install
	PRETRAINED=1 bash scripts/demo.sh

bench: install
	$(BIN)/python bench/run_all.py --demo

# The small-scale reproduction of the paper's tables (bench/README.md): cells in bench/results/cells.jsonl,
# the page in docs/results.md; resumable. ARGS passes options, e.g. make reproduce ARGS="--plan".
reproduce: install
	$(BIN)/pafas reproduce $(ARGS)

reproduce-quick: install
	$(BIN)/pafas reproduce --quick $(ARGS)

gpu-check:
	bash bench/gpu_check.sh

clean:
	rm -rf $(VENV) workspace .pytest_cache mutants
