# fangpin — two commands: `make demo` (set up and serve the demo) and `make test` (run the whole suite).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.12 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_SCALE ?= county
DEMO_SEED ?= 1
PYTEST_WORKERS ?= auto

.PHONY: install demo serve test lint bench clean

$(BIN)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 12), "fangpin needs Python >= 3.12"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test]'
	touch $@

install: $(BIN)/.installed

demo: install
	$(BIN)/fangpin migrate --verbosity 0
	$(BIN)/fangpin load-regions
	$(BIN)/fangpin load-parameters
	$(BIN)/fangpin synth --scale $(DEMO_SCALE) --seed $(DEMO_SEED)
	$(BIN)/fangpin demo-users
	$(BIN)/fangpin screen --region 421200
	$(BIN)/fangpin demo-cases --seed $(DEMO_SEED) --share $(or $(DEMO_SHARE),0.12)
	$(BIN)/fangpin demo-supervision --seed $(DEMO_SEED)
	$(BIN)/fangpin serve --host $(HOST) --port $(PORT)

serve: install
	$(BIN)/fangpin migrate --verbosity 0
	$(BIN)/fangpin serve --host $(HOST) --port $(PORT)

test: install
	$(BIN)/lint-imports
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

bench: install
	$(BIN)/python bench/registry.py
	$(BIN)/python bench/screening.py

clean:
	rm -rf $(VENV) var
