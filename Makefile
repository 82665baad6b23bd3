# Two commands for people: `make run` starts the bot, `make test` runs every test.
# Both create .venv on first use and reinstall when pyproject.toml or constraints.txt change.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format sandbox bench bench-year clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m bot

# pytest exits 5 when no test ran; make treats that as a failure too.
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

format: $(STAMP)
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

sandbox: $(STAMP)
	$(BIN)/python -m sandbox --port 8990

bench: $(STAMP)
	$(BIN)/python -m benchmarks

# a year of use (#23): fills a store as a busy team would in a year (~4 min), then measures
bench-year: $(STAMP)
	$(BIN)/python -m benchmarks.year

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
