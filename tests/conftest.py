"""Fixtures: one migrated database per run (SQLite by default, PostgreSQL when DATABASE_URL is set),
emptied after every test; factory fixtures for departments, staff and complaints in any state."""

import os
import re
import time
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from flask import g, has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import text

from intranet import create_app
from intranet.complaints import search, tracking_codes
from intranet.core import hospital
from intranet.core.extensions import db, limiter
from intranet.core.forms import forget_offered_departments
from intranet.core.time import clock_at
from tests import factories

POSTGRES = bool(os.environ.get("DATABASE_URL"))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    if POSTGRES:
        from intranet.config import database_url as normalise

        return normalise("")
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")


@pytest.fixture(scope="session", autouse=True)
def cheap_hashing():
    """argon2 at production cost makes each test user take ~50 ms; the flow is the same at low cost."""
    from argon2 import PasswordHasher

    from intranet.core import users as auth_models

    cheap = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    saved = auth_models._hasher, tracking_codes._code_hasher
    auth_models._hasher = tracking_codes._code_hasher = cheap
    yield
    auth_models._hasher, tracking_codes._code_hasher = saved


class FreshGlobalsClient(FlaskClient):
    """Requests in a test run inside the test's app context (so they share its database session); clear
    `g` first so that each request starts as a real one would: Flask-Login and Flask-Babel cache the
    current user and locale there."""

    def open(self, *args, **kwargs):
        if has_app_context():
            g.__dict__.clear()
        return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=database_url,
                     EVIDENCE_FOLDER=str(tmp_path_factory.mktemp("evidence")),
                     DIRECTORY_IMPORT_FOLDER=str(tmp_path_factory.mktemp("directory-imports")))
    app.test_client_class = FreshGlobalsClient
    from intranet import config

    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = config.engine_options(database_url)
    with app.app_context():
        with db.engine.begin() as connection:
            if db.engine.dialect.name == "postgresql":
                # Everything a previous run left, functions and triggers included.
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
        db.drop_all()
        with db.engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        upgrade()  # the real migrations, not create_all: the suite proves they work
    return app


# On PostgreSQL the tables whose rows a trigger never lets go by DELETE (an event goes only with its complaint,
# which its foreign key keeps while it has events; a period closing never): TRUNCATE fires no row trigger,
# and nothing refers to these tables.
APPEND_ONLY = ("complaint_events", "corrective_action_events", "period_closings")
# More rows than this in a table, and one TRUNCATE of everything beats deleting them row by row.
FEW_ROWS = 1000


def _empty_tables():
    hospital.forget()  # what this process kept of the row it empties
    forget_offered_departments()  # and of the departments
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]  # those that refer to others first
    tables.insert(0, search.TABLE)  # the search index is not in the models' metadata
    if db.engine.dialect.name == "postgresql":
        _empty_postgres_tables(tables)
        return
    # Complaints (and corrective actions) before their events: the append-only triggers let an event go only
    # with its complaint.
    # That order needs foreign keys off, which SQLite allows only outside a transaction.
    for events, parent in (("complaint_events", "complaints"), ("corrective_action_events", "corrective_actions")):
        tables.remove(events)
        tables.insert(tables.index(parent) + 1, events)
    raw = db.engine.raw_connection()
    try:
        sqlite = raw.driver_connection
        sqlite.execute("PRAGMA foreign_keys=OFF")
        sqlite.execute("BEGIN IMMEDIATE")
        for table in tables:
            sqlite.execute(f"DELETE FROM {table}")
        sqlite.execute("COMMIT")
        sqlite.execute("PRAGMA foreign_keys=ON")
    finally:
        raw.close()


_sequences: dict[str, list[str]] = {}


def _empty_postgres_tables(tables: list[str]) -> None:
    """Only the tables a test wrote to: a TRUNCATE makes new files for every table it names and their
    indexes, which costs far more than deleting a test's few rows. Their ids start again at 1, as after
    TRUNCATE … RESTART IDENTITY (and as on SQLite)."""
    with db.engine.begin() as connection:
        if not _sequences:
            for table, sequence in connection.execute(text(
                    "SELECT t.relname, s.relname FROM pg_class s JOIN pg_depend d ON d.objid = s.oid "
                    "JOIN pg_class t ON t.oid = d.refobjid WHERE s.relkind = 'S' AND d.deptype IN ('a', 'i')")):
                _sequences.setdefault(table, []).append(sequence)
        rows = dict(connection.execute(text(" UNION ALL ".join(
            f"SELECT '{t}', count(*) FROM (SELECT 1 FROM {t} LIMIT {FEW_ROWS + 1}) AS r" for t in tables))).all())
        if any(n > FEW_ROWS for n in rows.values()):
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            return
        written = [t for t in tables if rows[t]]
        if append_only := [t for t in written if t in APPEND_ONLY]:
            connection.execute(text(f"TRUNCATE {', '.join(append_only)}"))
        for table in written:
            if table not in APPEND_ONLY:
                connection.execute(text(f"DELETE FROM {table}"))
        if restart := [s for t in written for s in _sequences.get(t, [])]:
            connection.execute(text("SELECT " + ", ".join(f"setval('{s}', 1, false)" for s in restart)))


# A Wednesday of an ordinary week (no holiday, no 调休 near it), 10:00 at the hospital: what counts working
# days or "today" answers the same whatever day the suite runs. A test of another moment nests clock_at().
PINNED = datetime(2026, 11, 18, 2, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def pinned_clock():
    with clock_at(PINNED):
        yield PINNED


@contextmanager
def module_data(app):
    """An app context whose data outlives one test: for a module of requests that are refused, or that
    leave the data as every other test in it expects. Emptied when the block ends."""
    limiter.reset()
    with app.app_context(), clock_at(PINNED):
        yield
        db.session.remove()
        _empty_tables()


@pytest.fixture
def app_ctx(app):
    limiter.reset()  # every test starts with fresh rate limits (all its requests come from 127.0.0.1)
    with app.app_context():
        yield app
        db.session.remove()
        _empty_tables()


@pytest.fixture
def world(app_ctx):
    """Two departments, a category, and one user per role (heads of both departments)."""
    return factories.make_world()


@pytest.fixture
def client(app_ctx):
    return app_ctx.test_client()


def csrf_token(client, path="/login") -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'"X-CSRFToken": "([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def login(client, user) -> None:
    """Log in through the session cookie (the login page itself is tested in test_auth)."""
    user.start_session()  # a session of its own, as the login page starts (logging out ends that one only)
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
        session["since"] = session["seen"] = time.time()  # as the login page does
