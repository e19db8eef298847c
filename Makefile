# The two set-up commands of the README: `make run` (the hub, embedded) and `make test` (the suite).
# Both create .venv and install the project into it on first use; `make test` also installs from
# Debian's packages what a fresh machine lacks: PHP and PHPUnit (for the companion WordPress
# plugin), PHP's extensions and MariaDB (the real WordPress + WooCommerce of tests/realshop),
# chromium with its chromedriver (the browser tests) and prometheus (its promtool checks the
# shipped alert rules).
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
SYSTEM_PACKAGES = php-cli phpunit php-xml php-mbstring php-mysql php-curl php-gd php-zip php-intl php-bcmath \
  mariadb-server mariadb-client chromium chromium-driver prometheus
PHP_MODULES = mysqli curl gd zip intl bcmath mbstring xml
PHP_SOURCES = plugins/woocommerce/wordpress-plugin plugins/woocommerce/tests/php

.PHONY: run test test-php test-python model-test system-packages bench serve demo

$(BIN)/connect-hub: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[test]"
	touch $@

run: $(BIN)/connect-hub
	$(BIN)/connect-hub demo --serve --config config/embedded.yaml

test: test-php test-python

test-python: $(BIN)/connect-hub system-packages
	$(BIN)/python -m pytest

# The model-based test of a shop's day, exploring new sequences (`make test` runs a bounded set).
MODEL_EXAMPLES ?= 2000
model-test: $(BIN)/connect-hub
	MODEL_EXAMPLES=$(MODEL_EXAMPLES) $(BIN)/python -m pytest tests/test_shop_day_model.py -x -q

system-packages:
	@command -v php >/dev/null && command -v phpunit >/dev/null \
	  && test -x /usr/bin/chromium && test -x /usr/bin/chromedriver && command -v promtool >/dev/null \
	  && test -x /usr/sbin/mariadbd && command -v mariadb-install-db >/dev/null \
	  && (for m in $(PHP_MODULES); do php -m | grep -qix "$$m" || exit 1; done) \
	  || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 $(SYSTEM_PACKAGES))

test-php: system-packages
	find $(PHP_SOURCES) -name '*.php' -print0 | xargs -0 -n1 php -l >/dev/null
	phpunit -c plugins/woocommerce/tests/php/phpunit.xml

# `make bench` is the short look; `make bench BENCH_ARGS=--full` the figures (see bench/orders.py).
bench: $(BIN)/connect-hub
	$(BIN)/python bench/orders.py $(BENCH_ARGS)
	$(BIN)/python bench/rules_eval.py

serve: $(BIN)/connect-hub
	$(BIN)/connect-hub serve --simulators --config config/embedded.yaml

demo: $(BIN)/connect-hub
	$(BIN)/connect-hub demo --config config/embedded.yaml
