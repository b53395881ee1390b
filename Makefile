# The doors: `make demo`, `make test`, `make lint`, `make bench`.
# Each creates .venv and installs what it needs; system services/packages are
# ensured by scripts/ensure-system (PostgreSQL started if down; Debian packages installed if missing).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-dev

.PHONY: demo test lint fmt bench bench-quick system clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $@

system:
	@scripts/ensure-system

demo: $(STAMP)
	$(BIN)/sitekeeper demo

test: $(STAMP) system
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

fmt: $(STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: $(STAMP) system
	$(BIN)/python bench/run.py

bench-quick: $(STAMP) system
	$(BIN)/python bench/run.py --quick

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build dist
