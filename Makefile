# The two set-up commands of the README: `make run` (the hub, embedded) and `make test` (the suite).
# Both create .venv and install the project into it on first use.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: run test bench serve

$(BIN)/connect-hub: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[test]"
	touch $@

run: $(BIN)/connect-hub
	$(BIN)/connect-hub demo --serve --config config/embedded.yaml

test: $(BIN)/connect-hub
	$(BIN)/python -m pytest

bench: $(BIN)/connect-hub
	$(BIN)/python bench/webhook_ingest.py

serve: $(BIN)/connect-hub
	$(BIN)/connect-hub serve --simulators --config config/embedded.yaml
