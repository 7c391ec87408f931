"""Engine set-up that differs between SQLite (embedded default) and PostgreSQL (production)."""

import enum
from collections.abc import Iterable

from flask import g, has_request_context, request
from sqlalchemy import Enum, Table, event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine


def configure_sqlite(engine: Engine) -> None:
    """WAL, foreign keys, and BEGIN IMMEDIATE for writes.

    pysqlite's own transaction handling issues a deferred BEGIN, and a deferred transaction that later
    wants to write fails with "database is locked" when another worker got there first, busy timeout or
    not. So we take over BEGIN ourselves: requests that can write (anything but GET/HEAD) and the CLI
    take the write lock up front and wait for it; page views read under WAL without blocking anyone.
    """

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        reading = has_request_context() and request.method in ("GET", "HEAD", "OPTIONS")
        connection.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")


def configure_engine(engine: Engine) -> None:
    if engine.dialect.name == "sqlite":
        configure_sqlite(engine)


STATEMENTS_HEADER = "X-SQL-Statements"


def count_statements(app, engine: Engine) -> None:
    """For the benchmark only (REDRESS_COUNT_STATEMENTS=1, off by default, never on a real server): each
    response says in a header how many SQL statements its request ran, so that the benchmark can show that
    a page's statements do not grow with the number of complaints."""

    @event.listens_for(engine, "before_cursor_execute")
    def count(conn, cursor, statement, parameters, context, executemany):
        if has_request_context():
            g.sql_statements = g.get("sql_statements", 0) + 1

    @app.after_request
    def report(response):
        response.headers[STATEMENTS_HEADER] = str(g.get("sql_statements", 0))
        return response


def enum_column(choice: type[enum.Enum] | Iterable[enum.Enum], name: str, length: int = 32) -> Enum:
    """A VARCHAR with a CHECK constraint on both databases (of an enum's values, or of some of them): adding
    a value migrates a constraint, not a native ENUM type (PostgreSQL's ALTER TYPE cannot run inside a
    transaction)."""
    return Enum(*[m.value for m in choice], name=name, native_enum=False, create_constraint=True, length=length)


def insert_or_ignore(table: Table, session, index_elements=None):
    """INSERT … ON CONFLICT DO NOTHING in the session's dialect: the one way to write "once only" (counters,
    breaches, outbox keys) so that a rerun or a race adds nothing instead of failing the transaction."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    return insert(table).on_conflict_do_nothing(index_elements=index_elements)
