# LogSum: `make run` and `make test` are the whole quick start.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test lint typecheck install system-deps bench bench-anomaly bench-batch bench-corpus bench-templates clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,bench,batch]'
	touch $(STAMP)

## openapi-python-client for tests/api/test_client.py, in a virtualenv of its own:
## it pins an older typer than the service's.
GEN       := $(VENV)/tools/openapi-python-client
GEN_STAMP := $(GEN)/.installed

$(GEN_STAMP): scripts/openapi-generator.txt $(STAMP)
	$(PYTHON) -m venv $(GEN)
	$(GEN)/bin/python -m pip install --quiet -r scripts/openapi-generator.txt
	touch $(GEN_STAMP)

install: $(STAMP) $(GEN_STAMP)

## Start the service on the embedded default (SQLite, in-process limits).
run: $(STAMP)
	$(VENV)/bin/logsum serve

## PostgreSQL and Redis servers for the integration tests (Debian packages).
system-deps:
	bash scripts/system-deps.sh

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench

typecheck: $(STAMP)
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

test: $(STAMP) $(GEN_STAMP) system-deps lint typecheck
	$(VENV)/bin/pytest

bench: $(STAMP)
	$(PY) bench/api.py
	$(PY) bench/tenants.py
	$(PY) bench/watch.py --minutes 10
	$(PY) bench/run.py
	$(MAKE) bench-corpus
	$(MAKE) bench-templates
	$(MAKE) bench-batch

## One process against 2 local Dask workers on 2,000,000 lines; writes docs/BENCHMARKS-batch.md.
bench-batch: $(STAMP)
	$(PY) bench/batch.py

bench-anomaly: $(STAMP)
	$(PY) bench/anomaly.py

## Header splitting on tests/corpus (tune and holdout); writes docs/BENCHMARKS-corpus.md.
bench-corpus: $(STAMP)
	$(PY) bench/corpus.py --write

## Template mining on tests/templates (tune and holdout); writes docs/BENCHMARKS-templates.md.
bench-templates: $(STAMP)
	$(PY) bench/templates.py --write

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
