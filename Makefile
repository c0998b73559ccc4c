# The two commands: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-unit test-integration test-e2e test-browser test-faults lint bench init worker clean assets browser nginx screenshots icu

# PyICU (Unicode's confusable skeletons and character properties: docs/security.md)
# builds against the system's ICU: libicu-dev, pkg-config and a C++ compiler.
icu:
	pkg-config --exists icu-i18n && command -v g++ >/dev/null \
	  || { [ "$$(id -u)" = 0 ] && { apt-get install -y -q libicu-dev pkg-config g++ >/dev/null \
	       || { apt-get update -q >/dev/null && apt-get install -y -q libicu-dev pkg-config g++ >/dev/null; }; }; } \
	  || { echo "Install ICU's headers: apt-get install libicu-dev pkg-config g++" >&2; exit 1; }

$(STAMP): pyproject.toml | icu
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

# The pages' assets: GOV.UK Frontend, accessible-autocomplete and Swagger UI (the API reference
# at /api/reference) from the npm registry, at the
# versions package-lock.json pins, copied into web/static (served at /assets). No CDN.
ASSETS := web/static/vendor/.copied
GOVUK := node_modules/govuk-frontend/dist/govuk
node_modules/.installed: package.json package-lock.json
	SCARF_ANALYTICS=false npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(ASSETS): node_modules/.installed
	mkdir -p web/static/vendor
	cp -R $(GOVUK)/assets/fonts $(GOVUK)/assets/images $(GOVUK)/assets/manifest.json web/static/
	cp $(GOVUK)/govuk-frontend.min.css $(GOVUK)/govuk-frontend.min.js web/static/vendor/
	cp node_modules/accessible-autocomplete/dist/accessible-autocomplete.min.css web/static/vendor/
	cp node_modules/accessible-autocomplete/dist/accessible-autocomplete.min.js web/static/vendor/
	cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css web/static/vendor/
	touch $@

assets: $(ASSETS)

# The browser tests drive Debian's Chromium (never a browser Playwright downloads).
browser:
	test -x /usr/bin/chromium || { [ "$$(id -u)" = 0 ] && apt-get install -y -q chromium >/dev/null; } \
	  || { echo "Install Chromium: apt-get install chromium" >&2; exit 1; }

init: $(STAMP) $(ASSETS)
	$(BIN)/pipeline init

run: init  ## install, initialise and serve the API on the embedded default
	$(BIN)/pipeline serve

# The slow-client test runs Debian's nginx in front of gunicorn with the repository's
# web/nginx.conf.template, as docker-compose.yml does (no Docker engine needed).
nginx:
	test -x /usr/sbin/nginx || { [ "$$(id -u)" = 0 ] && apt-get install -y -q nginx >/dev/null; } \
	  || { echo "Install nginx: apt-get install nginx" >&2; exit 1; }

# The tiers are the folders of tests/ (each test is marked with its folder's tier: `pytest -m unit`).
# Every test has its own database and queue, so most run in parallel (pytest-xdist): one test file
# per worker at a time, since e2e and browser files share a server per module. Tests marked
# `serial` (those that time what they do: answers while a service is cut, mail within a sweep,
# /healthz under slow clients) run after, alone. Exit status 5 is "none selected".
WORKERS ?= 4
PARALLEL := -n $(WORKERS) --dist loadfile
define tier
	$(BIN)/pytest $(PARALLEL) -m "not serial" $(1) || [ $$? = 5 ]
	$(BIN)/pytest -m serial $(1) || [ $$? = 5 ]
endef

test: $(STAMP) $(ASSETS) browser nginx  ## every test: all the tiers below
	$(BIN)/pytest $(PARALLEL) --durations=15 -m "not serial"
	$(BIN)/pytest --durations=15 -m serial

test-unit: $(STAMP)  ## in memory: the domain, views, policies (no services)
	$(BIN)/pytest tests/unit

test-integration: $(STAMP) $(ASSETS)  ## PostgreSQL + Redis, in-process (with the red team's tests)
	$(call tier,tests/integration tests/redteam)

test-e2e: $(STAMP) $(ASSETS)  ## real server and worker processes over HTTP
	$(call tier,tests/e2e)

test-browser: $(STAMP) $(ASSETS) browser  ## Chromium through the pages
	$(call tier,tests/browser)

test-faults: $(STAMP) $(ASSETS) nginx  ## killed workers, outages, slow clients, races: one at a time
	$(BIN)/pytest tests/faults

lint: $(STAMP)  ## ruff, ruff format --check, mypy, the docs' relative links and commit subjects
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python tools/check_links.py
	$(BIN)/python tools/check_commits.py

# BENCH_ARGS passes options on: `make bench BENCH_ARGS=--scale` adds the reads and the rebuild at 1M events.
bench: $(STAMP)  ## sign-ups/s over HTTP and rebuild events/s, beside their baselines
	$(BIN)/python tests/benchmarks/run.py $(BENCH_ARGS)

screenshots: $(STAMP) $(ASSETS) browser  ## the README's pictures of the pages, from a demo history
	$(BIN)/python -m tests.browser.screenshots

worker: $(STAMP)
	$(BIN)/pipeline worker

clean:
	rm -rf var .pytest_cache node_modules web/static/vendor web/static/fonts web/static/images web/static/manifest.json
