# Two commands on a fresh machine with Python 3.11+ and make:
#   make demo   set up .venv, then synthesize, ingest and report (reccb demo)
#   make test   set up .venv, then run every test (pytest tests/ and nbval on notebooks/)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test bench setup clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

setup: $(BIN)/.installed

demo: $(BIN)/.installed
	$(BIN)/reccb demo

test: $(BIN)/.installed
	$(BIN)/python -m pytest tests
	env -u RECCB_DB $(BIN)/python -m pytest --nbval-lax --nbval-current-env -p no:cacheprovider notebooks

bench: $(BIN)/.installed
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python benchmarks/bench_ingest.py

clean:
	rm -rf $(VENV) data/*.duckdb data/*.duckdb.wal data/demo reports
