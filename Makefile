# Redress — the two commands a new user needs: `make run` (set up and serve the demo on SQLite) and
# `make test` (the whole suite). `make install` is what `make run` does before serving.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
STAMP := $(VENV)/.installed

.PHONY: install run test lint assets translations messages clean-db

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

assets: $(STAMP)
	$(PY) scripts/fetch_assets.py

translations: $(STAMP)
	@if ls translations/*/LC_MESSAGES/messages.po >/dev/null 2>&1; then \
		$(VENV)/bin/pybabel compile -d translations; fi

# Refresh the catalogues after changing user-facing strings; then translate the new entries.
messages: $(STAMP)
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -o translations/messages.pot .
	$(VENV)/bin/pybabel update -i translations/messages.pot -d translations

install: $(STAMP) assets translations
	$(FLASK) db upgrade
	$(FLASK) demo

run: install
	$(FLASK) run --host 127.0.0.1 --port 5000

# DATABASE_URL selects PostgreSQL for the suite; without it the suite runs on SQLite.
test: $(STAMP) assets translations
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

clean-db:
	rm -f instance/redress.sqlite3*
