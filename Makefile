# The two set-up commands of the README: `make run` (the hub, embedded) and `make test` (the suite).
# Both create .venv and install the project into it on first use; `make test` also installs PHP
# and PHPUnit from Debian's packages when they are missing (for the companion WordPress plugin).
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
PHP_SOURCES = plugins/woocommerce/wordpress-plugin plugins/woocommerce/tests/php

.PHONY: run test test-php test-python bench serve demo

$(BIN)/connect-hub: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[test]"
	touch $@

run: $(BIN)/connect-hub
	$(BIN)/connect-hub demo --serve --config config/embedded.yaml

test: test-php test-python

test-python: $(BIN)/connect-hub
	$(BIN)/python -m pytest

test-php:
	@command -v php >/dev/null && command -v phpunit >/dev/null \
	  || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq php-cli phpunit php-xml php-mbstring)
	find $(PHP_SOURCES) -name '*.php' -print0 | xargs -0 -n1 php -l >/dev/null
	phpunit -c plugins/woocommerce/tests/php/phpunit.xml

bench: $(BIN)/connect-hub
	$(BIN)/python bench/webhook_ingest.py
	$(BIN)/python bench/rules_eval.py

serve: $(BIN)/connect-hub
	$(BIN)/connect-hub serve --simulators --config config/embedded.yaml

demo: $(BIN)/connect-hub
	$(BIN)/connect-hub demo --config config/embedded.yaml
