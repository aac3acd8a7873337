# Two commands on a fresh machine with Python 3.11+:
#   make report   the main job on the bundled sample data
#   make test     the whole test suite
# Each creates or refreshes .venv from pyproject.toml (the single source of dependencies).

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
SAMPLE := data/sample/hubspot

.PHONY: report test test-lowest lint lab notebooks sample bench clean chromium

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "smk needs Python 3.11 or newer (found: $$($(PYTHON) --version))"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-core: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

$(VENV)/.installed-lab: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[lab,test]'
	$(BIN)/python -m ipykernel install --sys-prefix --name smk --display-name "Python (smk)"
	@touch $@

## The main job: the monthly report on the bundled sample export -> reports/YYYY-MM/
report: $(VENV)/.installed-core
	$(BIN)/smk report --data $(SAMPLE) --month latest --out reports

## The whole test suite: lint, then pytest (package tests, nbval on every notebook, the report
## end to end in headless Chromium), on every core (at most 4: each test module stays on one worker).
test: $(VENV)/.installed-test chromium
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n auto --maxprocesses 4

## Maintainers' check that pyproject.toml's lower bounds hold: the whole test suite in
## .venv-lowest, each dependency at the lowest version pyproject.toml allows (uv's
## lowest-direct resolution); pytest as `make test` runs it, without the lint. Not run by CI
## (.ci/run: it would double its time).
test-lowest: chromium
	$(PYTHON) -m venv .venv-lowest
	.venv-lowest/bin/pip install --quiet uv
	.venv-lowest/bin/uv pip install --python .venv-lowest/bin/python --resolution lowest-direct -e '.[test]'
	.venv-lowest/bin/python -m pytest -n auto --maxprocesses 4

## Debian's chromium for the report's browser test (installed when missing and we are root).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "warning: chromium is missing; install Debian's chromium package for the browser test"; fi; }

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## For analysts: JupyterLab on notebooks/ with the project's kernel ("Python (smk)").
## (As root, e.g. in a container, Jupyter refuses to start without --allow-root: added then.)
lab: $(VENV)/.installed-lab
	$(BIN)/jupyter lab --notebook-dir=notebooks $$([ "$$(id -u)" = 0 ] && echo --allow-root)

## Re-execute every notebook in place on the bundled sample (after an intended change).
notebooks: $(VENV)/.installed-test
	$(BIN)/python -m smk.notebooks

## Regenerate the bundled sample (deterministic: same files every time).
sample: $(VENV)/.installed-core
	$(BIN)/python -m smk.sample

## Loader benchmark against a plain pyarrow read (see bench/README.md).
bench: $(VENV)/.installed-test
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .venv-lowest .pytest_cache .ruff_cache .hypothesis
