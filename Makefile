# Every target creates (once) and reuses the local virtual environment .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PROVIDER ?= mock
ARGS ?=

.PHONY: system-deps install conformance test lint fmt typecheck validate dist check bench bench-peer mock compare interop clients node-sdk sdk-prev clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## The main job: the conformance suite against the embedded default (the bundled mock).
conformance: $(STAMP)
	$(BIN)/msgconform run --provider $(PROVIDER) $(ARGS)

## The project's own tests, with what they need installed where it can be (system-deps).
test: $(STAMP) system-deps node-sdk sdk-prev bench-peer
	$(BIN)/python -m pytest tests $(ARGS)

lint: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/ruff check src tests suites examples conftest.py
	$(BIN)/ruff format --check src tests suites examples conftest.py

fmt: $(STAMP)
	$(BIN)/ruff format src tests suites examples conftest.py
	$(BIN)/ruff check --fix src tests suites examples conftest.py

typecheck: $(STAMP)
	$(BIN)/mypy

validate: $(STAMP)
	$(BIN)/msgconform validate

## The sdist and the wheel (with schemas/, providers/ and suites/ inside), checked by twine.
dist: $(STAMP)
	rm -rf dist
	$(BIN)/python -m build --outdir dist
	$(BIN)/twine check --strict dist/*

check: lint typecheck validate dist test

bench: $(STAMP) bench-peer
	$(BIN)/python -m msgconform.bench $(ARGS)

## The third-party peer make bench measures beside the mock (aimock, pinned in bench/peer);
## skipped quietly when Node.js is absent (the bench then says the peer was not measured).
bench-peer:
	@if command -v npm >/dev/null 2>&1; then \
	  test -d bench/peer/node_modules/@copilotkit/aimock || \
	  (cd bench/peer && npm ci --no-audit --no-fund --silent); \
	else echo "bench-peer: npm not found, the peer will not be measured"; fi

mock: $(STAMP)
	$(BIN)/msgconform mock --provider $(PROVIDER) $(ARGS)

## Side by side: every provider's latest run unless RUNS="dir1 dir2 …" says otherwise.
RUNS ?= $(wildcard reports/*/latest)
compare: $(STAMP)
	$(BIN)/msgconform compare $(RUNS) --out reports/compare.html --markdown reports/compare.md $(ARGS)

## Opt-in, not part of `make test`: build llama.cpp's llama-server (PyPI sdist, outside the repo
## under INTEROP_DIR, default /work/interop-build), serve a tiny generated model, run the suite on it.
interop: $(STAMP)
	PYTHON=$(BIN)/python MSGCONFORM=$(BIN)/msgconform bash interop/llamacpp.sh $(ARGS)

## The client battery against one client library (README: Gate a client release).
ADAPTER ?= python-sdk
clients: $(STAMP) node-sdk sdk-prev
	$(BIN)/msgconform clients --adapter "$(ADAPTER)" $(ARGS)

## The official TypeScript SDK for the client tests; skipped quietly when Node.js is absent.
node-sdk:
	@if command -v npm >/dev/null 2>&1; then \
	  test -d tests/node/node_modules/@anthropic-ai/sdk || \
	  (cd tests/node && npm install --no-audit --no-fund --silent); \
	else echo "node-sdk: npm not found, TypeScript SDK tests will skip"; fi

## Debian's chromium (browser tests) and Node.js (TypeScript SDK tests), when missing and installable.
system-deps:
	@.ci/system-deps chromium nodejs

## The previous major of the official Python SDK, side by side, for the client tests.
sdk-prev: $(STAMP)
	test -d .sdk-prev/anthropic || \
	  $(BIN)/python -m pip install --quiet --target .sdk-prev 'anthropic>=1,<2'

clean:
	rm -rf $(VENV) .sdk-prev reports/*/ .mypy_cache .ruff_cache dist
