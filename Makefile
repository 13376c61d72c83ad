# The two commands of the README. Each installs what it needs first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

export DO_NOT_TRACK := 1

.PHONY: run test bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev,spark]"
	touch $(STAMP)

# Main job on the embedded default (DuckDB under warehouse/): simulate a sample bank into
# raw/ when it holds no deliveries, then load what is pending and build the warehouse.
run: $(STAMP)
	@if [ -z "$$(ls -A raw 2>/dev/null | grep -v README.md)" ]; then \
		$(BIN)/bank360 simulate --raw raw --customers 2000 --start 20260125 --days 7 --seed 42; \
	else echo "raw/ already holds deliveries: keeping them"; fi
	$(BIN)/bank360 run --raw raw --warehouse warehouse

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/pytest -q

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_simulate.py
	$(BIN)/python benchmarks/bench_ingest.py
	$(BIN)/python benchmarks/bench_build.py
	$(BIN)/python benchmarks/bench_validation.py
	$(BIN)/python benchmarks/bench_contribution.py
