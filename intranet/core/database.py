"""Engine set-up that differs between SQLite (embedded default) and PostgreSQL (production)."""

import enum
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask import g, has_request_context, request
from sqlalchemy import Enum, String, Table, event, literal
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.sql.functions import FunctionElement

from .extensions import db
from .time import utcnow


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
        dbapi_connection.create_function("hospital_date", 3, _hospital_date, deterministic=True)

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        # A connection opened to read only (a download's chunks, sent after its request has ended) says so.
        reading = connection.get_execution_options().get("reading") or (
            has_request_context() and request.method in ("GET", "HEAD", "OPTIONS"))
        connection.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")


def configure_engine(engine: Engine) -> None:
    if engine.dialect.name == "sqlite":
        configure_sqlite(engine)


# --- pages that only read ------------------------------------------------------------------------------

READS = ("SELECT", "BEGIN")  # what a page that only reads may send (SQLite's BEGIN is configure_sqlite's)


class PageWrote(RuntimeError):
    """A page marked @reads_only sent a statement that writes: mark it no longer, or move the write."""


def reads_only(view):
    """Marks a page that reads and never writes (a queue, a search). On PostgreSQL its statements run in
    autocommit, without a transaction around them: a BEGIN and a ROLLBACK fewer, two of the eight round trips
    a queue page sends. It sees what it would have seen in a transaction: at PostgreSQL's READ COMMITTED every
    statement reads its own snapshot either way. A statement that writes is refused on both databases, so
    that a write added to such a page later fails in the tests rather than commits on its own."""
    view.reads_only = True
    return view


def reads_only_in_a_transaction(view):
    """A page that only reads (refused a write, as @reads_only), whose statements run in one transaction on
    PostgreSQL all the same: it sets what its statements are planned with for that transaction (search's
    plain_plans()), and in autocommit each setting would end with the statement that made it."""
    view = reads_only(view)
    view.keeps_its_transaction = True
    return view


def serve_pages_that_only_read(app, engine: Engine) -> None:
    @app.before_request
    def without_transaction():
        # Before any other hook: the user is loaded (Flask-Login) on the connection chosen here. A session
        # already in a transaction (a test's, sharing the request's) keeps it.
        view = app.view_functions.get(request.endpoint)
        if request.method in ("GET", "HEAD") and getattr(view, "reads_only", False):
            g.reads_only = True
            if (engine.dialect.name == "postgresql" and not getattr(view, "keeps_its_transaction", False)
                    and not db.session().in_transaction()):
                db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
                g.autocommit = True

    @app.teardown_request
    def back_to_transactions(error=None):
        # The connection goes back to the pool as it came (psycopg sends nothing to end a transaction that
        # never began); ended here, not when the app context ends, for a session that outlives the request.
        if g.pop("autocommit", False):
            db.session.rollback()

    @event.listens_for(engine, "before_cursor_execute")
    def refuse_writes(conn, cursor, statement, parameters, context, executemany):
        if has_request_context() and g.get("reads_only") and not statement.lstrip()[:6].upper().startswith(READS):
            raise PageWrote(f"{request.endpoint} is marked @reads_only and sent: {statement[:80]}")


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


# --- a stored UTC moment as a date at the hospital, in SQL -----------------------------------------------


class local_date(FunctionElement):  # noqa: N801 (an SQL function, named like one)
    """`local_date(column, "Asia/Shanghai", "%Y-%m")`: the hospital's day (or month, or year) of a UTC
    timestamp, as text, computed by the database: reports group by it without loading rows. PostgreSQL
    converts with its own time-zone data; SQLite calls the function registered on each connection."""

    type = String()
    inherit_cache = True
    name = "local_date"

    def __init__(self, column, tz: str, form: str = "%Y-%m-%d"):
        super().__init__(column, literal(tz), literal(form))


_PG_FORMS = {"%Y-%m-%d": "YYYY-MM-DD", "%Y-%m": "YYYY-MM", "%Y": "YYYY"}


@compiles(local_date, "postgresql")
def _local_date_postgresql(element, compiler, **kw):
    column, tz, form = list(element.clauses)
    pattern = _PG_FORMS[form.value]
    return f"to_char(timezone({compiler.process(tz, **kw)}, {compiler.process(column, **kw)}), '{pattern}')"


@compiles(local_date, "sqlite")
def _local_date_sqlite(element, compiler, **kw):
    return f"hospital_date({compiler.process(element.clauses, **kw)})"


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _hospital_date(stored: str | None, tz: str, form: str) -> str | None:
    """SQLite keeps UTCDateTime as naive UTC text ("2026-11-30 15:30:00.000000")."""
    if stored is None:
        return None
    moment = datetime.fromisoformat(stored).replace(tzinfo=UTC)
    return moment.astimezone(_zone(tz)).strftime(form)


def touch(record) -> None:
    """The record was acted on: its row is updated, so its version (SQLAlchemy's version_id_col) goes up by
    one even when nothing else on it changed (a note) and even at the same instant as its last change (two
    steps within the clock's resolution, or at one frozen moment): the optimistic lock counts on it."""
    record.updated_at = utcnow()
    flag_modified(record, "updated_at")
