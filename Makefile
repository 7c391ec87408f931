# Redress — the two commands a new user needs: `make run` (set up and serve the demo on SQLite) and
# `make test` (the whole suite). `make install` is what `make run` does before serving.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: bytecode install run test lint assets test-assets translations messages clean-db bench bench-peer bench-million faults \
	cluster faults-cluster haproxy

# What the app needs to run (make run, make install) …
$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	$(MAKE) bytecode
	touch $(STAMP)

# gunicorn runs under PYTHONOPTIMIZE=2 (docs/operations.md): the libraries' bytecode without docstrings,
# written once here, so that no worker compiles a library from its source when it starts.
bytecode:
	$(PY) -OO -m compileall -q -j 0 $(VENV)/lib intranet wsgi.py >/dev/null

# … and what the tests need besides (make test, make lint).
$(DEV_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(DEV_STAMP)

assets: $(STAMP)
	$(PY) scripts/fetch_assets.py --runtime

test-assets: $(DEV_STAMP)
	$(PY) scripts/fetch_assets.py

translations: $(STAMP)
	@if ls translations/*/LC_MESSAGES/messages.po >/dev/null 2>&1; then \
		$(VENV)/bin/pybabel compile -d translations; fi

# Refresh the catalogues after changing user-facing strings; then translate the new entries. Sorted, with
# file names but no line numbers and no dates, so that a change of strings changes only those entries and
# running it again without one changes nothing: two branches that add strings then merge cleanly.
messages: $(STAMP)
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k _lp:1c,2 --add-location=file --sort-output \
		-o translations/messages.pot .
	sed -i '/^"POT-Creation-Date: /d' translations/messages.pot
	$(VENV)/bin/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching \
		--ignore-pot-creation-date --ignore-obsolete

install: $(STAMP) assets translations
	$(FLASK) db upgrade
	$(FLASK) demo

# The worker runs beside the server: the notification relay (so the bell fills as people act) and the SLA
# sweep every 5 minutes (so the demo's overdue complaints are escalated); Ctrl-C stops both. Production runs
# the worker as a service: docs/operations.md#scheduled-jobs.
run: install
	@echo "Serving http://127.0.0.1:5000 with the worker (notification relay, SLA sweep) beside it (Ctrl-C stops both)"
	$(FLASK) worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(FLASK) run --host 127.0.0.1 --port 5000

# DATABASE_URL selects PostgreSQL for the suite; without it the suite runs on SQLite.
test: $(DEV_STAMP) test-assets translations
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

clean-db:
	rm -f instance/redress.sqlite3*

# Figures, not tests: SQLite and PostgreSQL, 10,000 and 100,000 seeded complaints, gunicorn with 2 workers
# (scripts/bench.py --help). PostgreSQL on 127.0.0.1:5432 and Redis (db 5) are needed.
bench: $(DEV_STAMP) translations
	$(PY) scripts/bench.py $(BENCH_ARGS)

# The same, and after each run the same phases against the peer, django-helpdesk 2.6.1 (scripts/bench_peer.py;
# installed into build/peer-venv), with a table of the two side by side, every ratio a target is read by, and
# which targets hold (docs/performance.md#beside-the-peer-make-bench-peer).
bench-peer: $(DEV_STAMP) translations
	$(PY) scripts/bench.py --peer $(BENCH_ARGS)

# Faults under load (scripts/faults.py): a worker SIGKILLed, PostgreSQL stopped and started; needs
# PostgreSQL's server binaries (it starts a throwaway cluster of its own) and Redis (db 9).
faults: $(DEV_STAMP) translations
	$(PY) scripts/faults.py $(FAULTS_ARGS)

# 1,000,000 complaints: seeding takes several minutes per database.
# Several app servers behind haproxy on this machine (scripts/cluster.py): PostgreSQL and Redis started if
# needed, three gunicorn servers, the balancer on http://127.0.0.1:8840, two relays and the SLA sweep.
cluster: $(DEV_STAMP) assets translations haproxy
	$(PY) scripts/cluster.py $(CLUSTER_ARGS)

# Faults across that cluster (scripts/faults_cluster.py): a server killed whole, a worker killed, PostgreSQL
# stopped, under 2,000 submissions through the balancer; needs haproxy and PostgreSQL's server binaries.
faults-cluster: $(DEV_STAMP) assets translations haproxy
	$(PY) scripts/faults_cluster.py $(FAULTS_ARGS)

# The balancer, from Debian's packages, when it is not installed yet.
haproxy:
	@command -v haproxy >/dev/null || test -x /usr/sbin/haproxy || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null)

bench-million: $(DEV_STAMP) translations
	$(PY) scripts/bench.py --n 1000000 $(BENCH_ARGS)
