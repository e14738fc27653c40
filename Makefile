# make run   - set up .venv and recommend on the bundled example
# make test  - set up .venv and run every test
# make bench - set up .venv and run the benchmarks
# make fuzz  - set up .venv and run 10,000 hostile inputs a loader (CASES=N for fewer)
# make serve - set up .venv and open the web workspace on http://127.0.0.1:8765/ (PORT=P, DB=FILE)

EXAMPLE ?= examples/acme-retail.yaml
VENV := .venv
BIN := $(VENV)/bin
# The first Python from 3.12 down to 3.10: durable-rules does not build on 3.13.
PYTHON ?= $(shell for v in python3.12 python3.11 python3.10 python3; do \
	  p=$$(command -v $$v) || continue; \
	  $$p -c 'import sys; sys.exit(not ((3, 10) <= sys.version_info[:2] < (3, 13)))' 2>/dev/null && { echo $$p; break; }; \
	done)

.PHONY: run test bench fuzz serve clean

$(BIN)/.installed: pyproject.toml
	@if [ -z "$(PYTHON)" ]; then \
	  echo "error: Arbitre needs Python 3.10, 3.11 or 3.12 (durable-rules does not build on 3.13); none was found on PATH." >&2; \
	  exit 2; fi
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

run: $(BIN)/.installed
	$(BIN)/arbitre recommend $(EXAMPLE)

# Many tests run the command in its own process: with Python's bytecode cache (its default, which some
# environments turn off with PYTHONDONTWRITEBYTECODE) each of them does not compile the project again.
# --dist worksteal: each worker starts on its own contiguous half (a module's shared runs are mostly made
# once) and an idle worker takes tests from the other's, so that the workers end together.
test: $(BIN)/.installed
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n auto --dist worksteal

bench: $(BIN)/.installed
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/rulebench.py
	$(BIN)/python benchmarks/questions.py
	$(BIN)/python benchmarks/tipping.py
	$(BIN)/python benchmarks/uncertainty.py
	$(BIN)/python benchmarks/portfolio.py
	$(BIN)/python benchmarks/economics.py
	$(BIN)/python benchmarks/properties.py
	$(BIN)/python benchmarks/report_scale.py
	$(BIN)/python benchmarks/memory.py
	$(BIN)/python benchmarks/acd_import.py
	$(BIN)/python benchmarks/web.py

fuzz: $(BIN)/.installed
	$(BIN)/python benchmarks/fuzz.py $(if $(CASES),--cases $(CASES))

serve: $(BIN)/.installed
	$(BIN)/arbitre serve $(if $(PORT),--port $(PORT)) $(if $(DB),--db $(DB))

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
