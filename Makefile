# Fairground: `make run` serves the demo fair, `make test` runs the whole suite.
# Both create what they need (virtualenv, Python and npm packages) and can be
# run again at any time.

VENV ?= .venv
BIN := $(VENV)/bin
PYTHON ?= python3
PORT ?= 8000
export PORT
# The public address, fixed once for every process of the Procfile: honcho gives each
# process its own PORT (the worker's is PORT+100), so none may derive it from its own.
BASE_URL ?= http://localhost:$(PORT)
export BASE_URL

.PHONY: run serve install build translations translations-extract translations-init migrate demo test test-sqlite test-sqlite-coverage test-postgres lint audit bench clean

$(BIN)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip setuptools
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

static/build/app.css: node_modules/.installed static/src/app.scss static/build.mjs
	npm run --silent build

# The jobseeker's languages (docs/TRANSLATIONS.md): .po files are in the repository,
# compiled here (the .mo files are not committed).
PO_FILES := $(wildcard translations/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)

translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po $(BIN)/.installed
	@$(BIN)/pybabel compile -D messages -d translations -l $* --statistics 2>&1 | grep -v '^compiling' || true
	@test -f $@

translations: $(MO_FILES)

# After changing words in templates or code: the template (.pot) again, and each
# catalogue updated to it (new messages empty, changed ones marked fuzzy).
translations-extract: $(BIN)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k Msg --add-comments=Translators: \
	  --project=Fairground --copyright-holder="Fairground contributors" \
	  --ignore-dirs=".* __pycache__ node_modules static tests bench docs" -o translations/messages.pot .
	$(BIN)/pybabel update -D messages -i translations/messages.pot -d translations --ignore-obsolete

# A new language: make translations-init LANG=cy (then one line in fairground/i18n.py).
translations-init: $(BIN)/.installed
	$(BIN)/pybabel init -D messages -i translations/messages.pot -d translations -l $(LANG)

install: $(BIN)/.installed node_modules/.installed static/build/app.css translations

build: install

migrate: install
	$(BIN)/fair migrate

demo: migrate
	$(BIN)/fair demo

# The Procfile's web and worker side by side (honcho), after release and the demo.
run: demo
	@$(MAKE) --no-print-directory serve

# The same without the set-up (tests/fairground/test_make_run.py starts this).
serve:
	@echo "Fairground on $(BASE_URL)/ (Ctrl-C to stop)"
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/honcho start -f Procfile web worker

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test-sqlite: install
	TEST_DATABASE=sqlite $(BIN)/pytest $(PYTEST_ARGS)

test-postgres: install
	TEST_DATABASE=postgres $(BIN)/pytest $(PYTEST_ARGS)

# Every test runs on SQLite and again on PostgreSQL. The two runs go side by side
# (each has its own database, files and ports; one core each), and each run's
# output is printed whole when it ends; coverage is measured on the SQLite run.
test: install
	$(BIN)/ruff check .
	$(BIN)/mypy
	@$(MAKE) --no-print-directory -j2 --output-sync=target test-sqlite-coverage test-postgres

test-sqlite-coverage: install
	TEST_DATABASE=sqlite $(BIN)/pytest --cov --cov-report=term:skip-covered $(PYTEST_ARGS)

# Known vulnerabilities in the installed Python packages and the npm packages (the
# shipped ones, then all). Needs the advisory services (PyPI's per-version JSON, npm's
# bulk advisories endpoint), so it is not part of `make test`; --strict makes a
# package that could not be checked a failure, not a silent pass. See docs/SECURITY.md.
audit: install
	@status=0; \
	$(BIN)/pip-audit --local --strict --progress-spinner off || status=1; \
	npm audit --omit=dev || status=1; \
	npm audit || status=1; \
	exit $$status

bench: install
	$(BIN)/python -m bench $(BENCH)

clean:
	rm -rf $(VENV) node_modules static/build .pytest_cache .mypy_cache .ruff_cache
