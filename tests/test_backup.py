"""Backups that restore: `backup create` while the app is in use, `backup restore` into an empty database,
and every table comes back row for row (the timelines' hash chains still verify). On PostgreSQL, the app
runs as a role that owns nothing: it reads and writes, and can only append to the timelines."""

from __future__ import annotations

import hashlib
import uuid

import psycopg
import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from intranet import create_app
from intranet.complaints import audit, operations, registration
from intranet.complaints.lifecycle import Action, State
from intranet.core.extensions import db
from tests import factories
from tests.conftest import POSTGRES


def fingerprint(engine) -> dict[str, tuple[int, str]]:
    """Each table: its row count and a digest of its rows in key order."""
    found = {}
    with engine.connect() as connection:
        schema = inspect(connection)  # on the same connection: SQLite lets one writer in at a time
        for table in sorted(schema.get_table_names()):
            keys = schema.get_pk_constraint(table)["constrained_columns"] or ["1"]
            rows = connection.execute(text(f'SELECT * FROM "{table}" ORDER BY {", ".join(keys)}')).all()
            digest = hashlib.sha256(repr([tuple(map(str, row)) for row in rows]).encode()).hexdigest()
            found[table] = (len(rows), digest)
    return found


@pytest.fixture
def empty_database(app, tmp_path):
    """The URL of a new, empty database beside the test one."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    name = f"restore_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def test_a_backup_restores_every_row_and_the_chains_still_verify(app, world, tmp_path, empty_database):
    for state in (State.closed, State.investigating, State.not_accepted):
        factories.make_complaint(world, state)
    db.session.commit()  # nothing of the test's own left open (SQLite: its write lock)
    backup = str(tmp_path / "redress.backup")
    result = app.test_cli_runner().invoke(args=["backup", "create", backup])
    assert result.exit_code == 0, result.output
    before = fingerprint(db.engine)
    # Work goes on after the backup: it is not in it.
    factories.make_complaint(world, State.registered)
    db.session.commit()

    restored_app = create_app("testing", SQLALCHEMY_DATABASE_URI=empty_database)
    runner = restored_app.test_cli_runner()
    # A command runs in the app context already pushed, if any: the restored app's, not the test's.
    with restored_app.app_context():
        refused = runner.invoke(args=["backup", "restore", backup])
        assert refused.exit_code != 0 and "--yes" in refused.output
        result = runner.invoke(args=["backup", "restore", backup, "--yes"])
        assert result.exit_code == 0, result.output
        after = fingerprint(db.engine)
        breaks, _hashes, heads = audit.verify()
        db.engine.dispose()
    assert after == before
    assert breaks == [] and len(heads) == 3


@pytest.mark.skipif(not POSTGRES, reason="roles are PostgreSQL's (needs DATABASE_URL)")
def test_the_app_runs_as_a_role_that_owns_nothing_and_only_appends_to_the_timeline(app, world):
    role = f"redress_app_{uuid.uuid4().hex[:8]}"
    with db.engine.begin() as connection:
        connection.execute(text(f'CREATE ROLE "{role}" LOGIN'))
    try:
        assert app.test_cli_runner().invoke(args=["grants", "apply", role]).exit_code == 0
        url = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).set(username=role, password=None)
        as_role = create_app("testing", SQLALCHEMY_DATABASE_URI=url.render_as_string(hide_password=False))
        as_role.config["SQLALCHEMY_ENGINE_OPTIONS"] = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
        with as_role.app_context():
            # The app's own work, as that role: a complaint submitted and triaged.
            complaint = registration.create(None, factories.public_complaint_data()).complaint
            db.session.commit()
            operations.perform(world.reception, Action.triage, complaint,
                               factories.action_data(Action.triage, world, complaint), complaint.version)
            db.session.commit()
            assert complaint.state == State.registered
            db.session.remove()
            db.engine.dispose()
        libpq = url.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(libpq, autocommit=True) as connection:
            for statement in ("UPDATE complaint_events SET action = 'note'",
                              "DELETE FROM complaint_events",
                              "ALTER TABLE complaint_events DISABLE TRIGGER ALL",
                              "DROP TABLE complaint_events"):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    connection.execute(statement)
    finally:
        with db.engine.begin() as connection:
            connection.execute(text(f'DROP OWNED BY "{role}"'))
            connection.execute(text(f'DROP ROLE "{role}"'))


def test_grants_are_refused_on_sqlite_with_a_reason(app, app_ctx):
    if POSTGRES:
        pytest.skip("the SQLite answer")
    result = app.test_cli_runner().invoke(args=["grants", "apply", "anyone"])
    assert result.exit_code != 0 and "PostgreSQL" in result.output


