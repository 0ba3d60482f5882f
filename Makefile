# emissary-py: `make run` starts the gateway on examples/quickstart; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: run test deps bench lint clean

$(VENV)/.installed-run: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(VENV)/.installed-run $@

run: $(VENV)/.installed-run
	$(PY) examples/quickstart/run.py

# System packages some tests need (Chromium, the kube-apiserver build, load generators); skipped when present.
deps:
	bash scripts/install-system-deps.sh

test: $(VENV)/.installed-test deps
	$(PY) -m pytest $(PYTEST_ARGS) || { rc=$$?; [ $$rc -eq 5 ] && echo "pytest collected no tests: failing"; exit $$rc; }

lint: $(VENV)/.installed-test
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy watt ambex diagd/compile

bench: $(VENV)/.installed-test deps
	$(PY) -m bench

clean:
	rm -rf $(VENV) .run .pytest_cache .mypy_cache tests/artifacts bench/results
