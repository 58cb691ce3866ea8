# syncplatform -- the commands the README documents.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test bench lint format clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

## run: the platform on the embedded default with demo data (until Ctrl-C)
run: $(VENV)/.installed
	deploy/embedded/run.sh

## manage: a manage.py command on make run's database (SYNC_VAR_DIR), e.g.
##   make manage ARGS="import_mappings sku skus.csv"
.PHONY: manage
manage: $(VENV)/.installed
	$(PY) manage.py $(ARGS)

## test: the whole suite against real PostgreSQL, RabbitMQ and sshd on loopback
test: $(VENV)/.installed
	deploy/local/with-services.sh $(PY) -m pytest $(PYTEST_ARGS)

## bench: the benchmarks, each beside a baseline measured in the same run
bench: $(VENV)/.installed
	deploy/local/with-services.sh $(PY) -m bench

## chaos: 10,000 orders through worker kills, broker/database restarts, ERP and SFTP outages
.PHONY: chaos
chaos: $(VENV)/.installed
	deploy/local/with-services.sh $(PY) -m chaos $(CHAOS_ARGS)

## lint: ruff, the import layers (pyproject.toml), Django's checks, no missing migrations
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

format: $(VENV)/.installed
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf var .pytest_cache .ruff_cache
