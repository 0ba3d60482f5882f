# emissary-py: `make run` starts the gateway on examples/quickstart; `make test` runs the whole suite.
# The interpreter .venv is made from: the distribution's CPython when it can make virtual environments (Debian's is
# built with profile-guided and link-time optimisation; on a default source build, such as pyenv's, a compile takes
# about a fifth more CPU), else python3 from PATH.
PYTHON ?= $(shell for p in /usr/bin/python3 python3; do $$p -c 'import sys, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: run test deps bench lint clean

# .venv is made again when it was made from another interpreter than the one chosen above.
MADE_WITH := $(VENV)/.made-with$(subst /,-,$(shell command -v $(PYTHON)))

$(MADE_WITH):
	@test -n "$(PYTHON)" || { echo "no Python >= 3.11 that can make virtual environments: set PYTHON=..." >&2; exit 1; }
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	touch $@

$(VENV)/.installed-run: setup.cfg pyproject.toml $(MADE_WITH)
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: setup.cfg pyproject.toml $(MADE_WITH)
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(VENV)/.installed-run $@

run: $(VENV)/.installed-run
	$(PY) examples/quickstart/run.py

# System packages some tests need (Chromium, the kube-apiserver build, load generators); skipped when present.
# Then kube-apiserver v1.20.2 for the Kubernetes tests: built once (6-9 min cold), cached under .cache/kube.
deps:
	bash scripts/install-system-deps.sh
	bash scripts/build-kube-apiserver.sh >/dev/null

test: $(VENV)/.installed-test deps
	$(PY) -m pytest $(PYTEST_ARGS) || { rc=$$?; [ $$rc -eq 5 ] && echo "pytest collected no tests: failing"; exit $$rc; }

lint: $(VENV)/.installed-test
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy watt ambex diagd/compile bench

bench: $(VENV)/.installed-test deps
	$(PY) -m bench

clean:
	rm -rf $(VENV) .run .pytest_cache .mypy_cache tests/artifacts bench/results
