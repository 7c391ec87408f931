"""Configuration and the database engine (SPEC §9 config; issue: SQLite WAL/foreign keys, PostgreSQL pre-ping)."""

import pytest
from sqlalchemy import text

from intranet import create_app
from intranet.config import database_url
from intranet.core.extensions import db
from tests.conftest import POSTGRES


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setattr("intranet.config.ProductionConfig.SECRET_KEY", None)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production")


def test_production_starts_with_secret_key(monkeypatch, tmp_path):
    monkeypatch.setattr("intranet.config.ProductionConfig.SECRET_KEY", "from-the-environment")
    app = create_app("production", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/x.sqlite3")
    assert app.config["SESSION_COOKIE_SECURE"] is True


@pytest.mark.parametrize(
    "given, expected",
    [
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
    ],
)
def test_database_url_uses_psycopg3(monkeypatch, given, expected):
    monkeypatch.setenv("DATABASE_URL", given)
    assert database_url("/instance") == expected


def test_default_database_is_sqlite_in_instance(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert database_url("/srv/redress/instance") == "sqlite:////srv/redress/instance/redress.sqlite3"


@pytest.mark.skipif(POSTGRES, reason="SQLite pragmas")
def test_sqlite_runs_in_wal_with_foreign_keys(app_ctx):
    with db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1


@pytest.mark.skipif(POSTGRES, reason="SQLite transactions")
def test_sqlite_writes_take_the_lock_up_front(app_ctx):
    """Outside a read request, BEGIN is IMMEDIATE: a second writer waits instead of failing later."""
    statements = []

    from sqlalchemy import event

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        with db.engine.begin() as connection:
            connection.execute(text("SELECT 1"))
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert statements[0] == "BEGIN IMMEDIATE"


@pytest.mark.skipif(not POSTGRES, reason="PostgreSQL engine options")
def test_postgres_pool_pre_pings(app_ctx):
    assert db.engine.pool._pre_ping
