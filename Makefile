# LLM Interview Lab — every target sets itself up on a fresh machine that has only Python 3.10+.
#   make lab          create .venv, install the course, open JupyterLab on the start page
#   make test         create .venv, install, run the unit tests and execute every notebook (nbval)
#   make test-browser the course in a real browser (JupyterLab + Chromium), see tests/browser/
#   make bench        measure runtimes and throughput into benchmarks/RESULTS.md
#   make notebooks    rebuild notebooks/*.ipynb from notebooks/src/*.py and store their outputs
#   make chapter N=04 execute one chapter's notebook under nbval
#   make data         pretrain the course's tiny GPT and BERT into data/pretrained (a few minutes)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# PyTorch is installed first, on its own, so that you can choose the build: the default takes PyPI's
# (CUDA on Linux, CPU/MPS on macOS); e.g. make lab TORCH="torch --index-url <a PyTorch wheel index>"
TORCH  ?= torch==2.13.0
NBVAL  := --nbval-lax --nbval-current-env --nbval-cell-timeout=600 --sanitize-with tests/nbval_sanitize.cfg

.PHONY: setup lab test test-browser bench bench-quick notebooks chapter data clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/python -m pip install --quiet $(TORCH)
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

setup: $(VENV)/.installed

# root (e.g. in a container) needs --allow-root; everyone else does not
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)

# trusted notebooks show their stored widgets (quiz forms, explorers) before they are run again
lab: setup
	$(BIN)/jupyter trust notebooks/*.ipynb >/dev/null
	$(BIN)/jupyter lab $(ALLOW_ROOT) notebooks/00_start_here.ipynb

test: setup
	$(BIN)/python -m pytest $(NBVAL) tests notebooks

chapter: setup
	$(BIN)/python -m pytest $(NBVAL) notebooks/$(N)_*.ipynb

test-browser: setup
	bash tests/browser/run.sh

bench: setup
	$(BIN)/python benchmarks/run.py

bench-quick: setup
	$(BIN)/python benchmarks/run.py --quick

data: setup
	$(BIN)/python tools/pretrain_tiny_models.py

notebooks: setup
	$(BIN)/python tools/build_notebooks.py
	$(BIN)/python tools/make_readme.py
	$(BIN)/python tools/make_cards.py

# every chapter's answer card on one page: notebooks/answer_cards.html (and .md)
cards: setup
	$(BIN)/python tools/make_cards.py

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
