# Soundscout developer commands. `make help` lists them.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
LIBRARY ?= data/demo-library
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help install run demo-library test test-fast test-container image lint format bench clean

help:  ## List the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

install:  ## Install Debian packages, a .venv with CPU torch and soundscout[dev]
	./scripts/install.sh

demo-library: install  ## Render a demo sound library into data/demo-library
	$(PY) scripts/make_demo_library.py $(LIBRARY)

run: install  ## Index LIBRARY (default: a rendered demo library) and serve it on 127.0.0.1:8000
	@if [ "$(LIBRARY)" = "data/demo-library" ] && [ ! -d "$(LIBRARY)" ]; then \
		$(PY) scripts/make_demo_library.py $(LIBRARY); fi
	$(VENV)/bin/soundscout index $(LIBRARY)
	$(VENV)/bin/soundscout serve --host $(HOST) --port $(PORT)

test: install  ## Run the whole test suite (what CI runs)
	$(VENV)/bin/pytest -q -ra

test-fast: install  ## Run the tests not marked slow, browser or container
	$(VENV)/bin/pytest -q -m "not slow and not browser and not container"

test-container: install  ## Build the image and run the container tests (root)
	$(VENV)/bin/pytest -q -ra -m container tests/container

image:  ## Build the container image
	docker build -f docker/Dockerfile -t soundscout .

lint:  ## ruff check + format check
	$(VENV)/bin/ruff check src tests benchmarks scripts
	$(VENV)/bin/ruff format --check src tests benchmarks scripts

format:  ## Apply ruff fixes and formatting
	$(VENV)/bin/ruff check --fix src tests benchmarks scripts
	$(VENV)/bin/ruff format src tests benchmarks scripts

bench:  ## Run the benchmarks (results go to BENCHMARKS.md by hand)
	$(PY) benchmarks/bench_ingest.py

clean:  ## Remove build and test leftovers (keeps .venv)
	rm -rf build dist .pytest_cache .ruff_cache test-artifacts
