# 巴中市“十四五”服务业重大项目调度系统
# make run   — install, migrate, load the plan, compute the traffic lights, demo
#              accounts, serve on :8000
#              (another address: make run ADDR=0.0.0.0:8080)
# make test  — install test tools, quality gates, the whole suite (the 15 slowest named)
# make test-quick — the suite without the tests marked slow or faults (real processes)
# make architecture — the layer, cycle and size check alone (docs/architecture.md)

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
STAMP  := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev
ADDR   ?= 127.0.0.1:8000

.PHONY: run test test-quick architecture lint bench install clean

$(PY):
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "需要 Python 3.11（$(PYTHON)）"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PIP) install --quiet -e .
	@touch $@

$(DEVSTAMP): pyproject.toml $(STAMP)
	$(PIP) install --quiet -e '.[dev]'
	@touch $@

install: $(STAMP)

run: $(STAMP)
	@mkdir -p var
	$(PY) manage.py migrate --no-input -v0
	$(PY) manage.py createcachetable
	$(PY) manage.py load_plan
	$(PY) manage.py refresh_health
	$(PY) manage.py setup_schedules
	$(PY) manage.py create_demo_accounts
	$(PY) manage.py serve --addr $(ADDR)

lint: $(DEVSTAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: $(DEVSTAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py check --fail-level WARNING
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest --durations=15 $(PYTEST_ARGS)

test-quick: $(DEVSTAMP)
	$(VENV)/bin/pytest -m "not slow and not faults" -n 2 $(PYTEST_ARGS)

architecture: $(PY)
	$(PY) -m tests.architecture

bench: $(DEVSTAMP)
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) var
