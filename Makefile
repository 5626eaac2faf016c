# Two commands for a fresh checkout:
#   make demo   -> .venv + a 20,000-customer demo workspace in ./demo
#   make test   -> lint, type-check and the full test suite (installs system packages if missing)

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# bench/ may be empty or absent in a fresh clone (git does not keep empty dirs).
LINT_PATHS := $(wildcard src tests bench)

.PHONY: help venv system-deps demo test lint fmt clean

help:
	@echo "make venv         create $(VENV) and install huaxiang with the dev extra"
	@echo "make system-deps  install missing Debian packages used by the tests"
	@echo "make demo         build the demo workspace (20,000 customers, seed 7)"
	@echo "make test         ruff, ruff format --check, mypy, pytest -n 2"
	@echo "make lint         ruff + mypy only"
	@echo "make fmt          apply ruff fixes and formatting"
	@echo "make clean        remove $(VENV) and tool caches"

venv: $(STAMP)

# Re-installs only when pyproject.toml is newer than the stamp.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check --no-input -e '.[dev]'
	touch $@

system-deps:
	bash scripts/system-deps.sh

demo: venv
	$(BIN)/huaxiang demo demo --customers 20000 --seed 7

test: venv system-deps
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)
	$(BIN)/mypy
	$(BIN)/pytest -n 2 -q

lint: venv
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)
	$(BIN)/mypy

fmt: venv
	$(BIN)/ruff check --fix $(LINT_PATHS)
	$(BIN)/ruff format $(LINT_PATHS)

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache .hypothesis
	find . -path ./.git -prune -o \( -name __pycache__ -o -name '*.egg-info' \) -type d -prune -print0 \
		| xargs -0 rm -rf
