# Two commands for a newcomer: `make run` (the notebooks) and `make test` (the tests).
# Each creates the project's virtual environment (.venv) on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PROFILE ?= full
ARGS ?=
# nbval re-executes every notebook; a hung cell fails after this many seconds.
CELL_TIMEOUT ?= 1800

.PHONY: venv run smoke test test-fast lint lab clean-demo

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

## The main job: every notebook through papermill (real corpora if found, else the demo corpus).
run: venv
	$(PY) -m serlib run --profile $(PROFILE) $(ARGS)

## The quick demo run: all notebooks on the synthetic corpus with tiny settings.
smoke: venv
	$(PY) -m serlib run --profile smoke $(ARGS)

## The tests: serlib's unit tests, the smoke run of every notebook on the demo corpus, and
## nbval over the committed notebooks (real-data checks are skipped without the corpora).
## One BLAS thread per process: on 2 cores, oversubscribed BLAS made some fits 100x slower.
test: venv
	$(PY) -m ruff check serlib tests notebooks
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 $(PY) -m pytest tests notebooks --nbval-lax --nbval-current-env \
		--nbval-cell-timeout=$(CELL_TIMEOUT) -p no:cacheprovider $(ARGS)

## Unit tests only (no notebooks).
test-fast: venv
	$(PY) -m pytest tests -m "not slow" $(ARGS)

lint: venv
	$(PY) -m ruff check serlib tests notebooks

## JupyterLab with the project's environment registered as the kernel "Python (serlib)".
lab: venv
	$(PY) -m ipykernel install --user --name serlib --display-name "Python (serlib)"
	$(VENV)/bin/jupyter lab notebooks/

clean-demo:
	rm -rf data/demo reports-demo artifacts-demo
