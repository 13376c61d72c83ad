# The two commands of the README. Each installs what it needs first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

export DO_NOT_TRACK := 1

.PHONY: run test bench lint

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

# Main job on the embedded default: simulate a sample into raw/ when it is empty.
run: $(STAMP)
	@if [ -z "$$(ls -A raw 2>/dev/null | grep -v README.md)" ]; then \
		$(BIN)/bank360 simulate --raw raw --customers 2000 --start 20260125 --days 7 --seed 42; \
	else echo "raw/ already holds deliveries: keeping them"; fi

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/pytest -q

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_simulate.py
