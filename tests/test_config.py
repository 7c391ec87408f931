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


@pytest.mark.parametrize("hops, forwarded_for, seen", [
    (0, "10.0.0.7", "127.0.0.1"),               # no proxy configured: the header is anyone's to send, ignored
    (1, "10.0.0.7", "10.0.0.7"),                # behind the balancer: the visitor's own address
    (1, "203.0.113.9, 10.0.0.7", "10.0.0.7"),   # one proxy trusted: only the address it added counts
])
def test_behind_a_balancer_the_visitor_is_known_by_their_own_address(tmp_path, hops, forwarded_for, seen):
    from flask import request

    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/x.sqlite3", PROXY_HOPS=hops)
    app.add_url_rule("/_address", "address", lambda: request.remote_addr)
    answer = app.test_client().get("/_address", headers={"X-Forwarded-For": forwarded_for},
                                   environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert answer.text == seen


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
def test_postgres_pool_pre_pings_and_compiles_no_statement(app_ctx):
    assert db.engine.pool._pre_ping
    # JIT compiled the complaint page's statement for about 1 s on a database without statistics.
    assert db.session.scalar(text("SELECT current_setting('jit')")) == "off"


def test_a_server_process_loads_no_command_line_tools(tmp_path):
    """gunicorn sets REDRESS_SERVING=1: a worker neither registers nor imports Flask-Migrate (alembic) and
    the demo hospital, which only `flask …` commands use."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    probe = ("import sys, wsgi; print(sorted(m for m in ('alembic', 'flask_migrate', 'intranet.demo', 'PIL') "
             "if m in sys.modules), 'migrate' in wsgi.app.extensions, 'demo' in wsgi.app.cli.commands)")
    env = {"PATH": "/usr/bin:/bin", "REDRESS_ENV": "testing", "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3"}
    serving = subprocess.run([sys.executable, "-c", probe], cwd=root, env={**env, "REDRESS_SERVING": "1"},
                             capture_output=True, text=True, check=True).stdout.strip()
    command_line = subprocess.run([sys.executable, "-c", probe], cwd=root, env=env, capture_output=True,
                                  text=True, check=True).stdout.strip()
    assert serving == "[] False False"
    assert command_line == "['alembic', 'flask_migrate', 'intranet.demo'] True True"


def test_a_server_process_loads_no_library_it_seldom_needs(tmp_path):
    """Deadlines set late in the year fall in a year chinese-calendar does not know: the working days come
    from the table made from `holidays` (16 MiB a worker), never from the package itself. zxcvbn loads when a
    password is set, segno when a receipt is printed or a second factor set up, ldap3 (5 MiB) when the
    directory checks a login. cryptography is not used at all (8 MiB a worker): a code shown on the next page
    is derived from a nonce with the server's key, not sealed in the cookie."""
    import subprocess
    import sys
    from pathlib import Path

    probe = ("import sys, wsgi; from datetime import date; from intranet.deadlines import calendar\n"
             "with wsgi.app.app_context():\n"
             "    calendar.warnings(date(2026, 12, 1)); calendar.national_working_day(date(2027, 10, 1))\n"
             "print(sorted(m for m in ('holidays', 'zxcvbn', 'segno', 'cryptography', 'ldap3') if m in sys.modules))")
    env = {"PATH": "/usr/bin:/bin", "REDRESS_ENV": "testing", "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3",
           "REDRESS_SERVING": "1"}
    loaded = subprocess.run([sys.executable, "-c", probe], cwd=Path(__file__).resolve().parent.parent, env=env,
                            capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "[]"


def test_statements_are_counted_in_a_header_only_when_asked(tmp_path):
    from intranet.core.database import STATEMENTS_HEADER

    quiet = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/a.sqlite3")
    counting = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/b.sqlite3", COUNT_STATEMENTS=True)
    for app in (quiet, counting):
        with app.app_context():
            db.create_all()
    assert STATEMENTS_HEADER not in quiet.test_client().get("/complain").headers
    client = counting.test_client()
    assert client.get("/complain").headers[STATEMENTS_HEADER] == "3"  # the hospital's details, the departments, BEGIN
    # The details and the departments offered, both kept a while by the process: none.
    assert client.get("/complain").headers[STATEMENTS_HEADER] == "0"



# --- pages that only read -------------------------------------------------------------------------------

# Whether a page's statements ran inside a transaction, on each database: on PostgreSQL a queue or the bell
# sends no BEGIN and no ROLLBACK (each statement reads its own snapshot at READ COMMITTED either way); SQLite
# keeps its BEGIN (in-process, no round trip). A complaint page writes (the identity view), so it has one; a
# search sets how its statements are planned for its transaction (search.plain_plans()), so it has one too.
IN_A_TRANSACTION = {
    "/queue": {"sqlite": True, "postgresql": False},
    "/queue?q=all": {"sqlite": True, "postgresql": False},
    "/search?q=候诊": {"sqlite": True, "postgresql": True},
    "/notifications/bell": {"sqlite": True, "postgresql": False},
    "/notifications": {"sqlite": True, "postgresql": False},
    "the complaint page": {"sqlite": True, "postgresql": True},
}


def _transaction_states(client, path) -> set[bool]:
    from sqlalchemy import event

    states = set()

    def record(conn, cursor, statement, parameters, context, executemany):
        driver = conn.connection.driver_connection
        if db.engine.dialect.name == "postgresql":
            from psycopg.pq import TransactionStatus

            states.add(driver.info.transaction_status != TransactionStatus.IDLE)
        else:
            states.add(driver.in_transaction)

    event.listen(db.engine, "after_cursor_execute", record)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(db.engine, "after_cursor_execute", record)
    return states


@pytest.mark.parametrize("page", list(IN_A_TRANSACTION))
def test_which_pages_run_in_a_transaction_on_each_database(client, world, page):
    from tests.conftest import login
    from tests.factories import make_complaint

    complaint = make_complaint(world)
    login(client, world.reception)
    path = f"/complaints/{complaint.reference}" if page == "the complaint page" else page
    db.session.commit()  # the test's own reads end their transaction, as a request's session starts afresh
    assert _transaction_states(client, path) == {IN_A_TRANSACTION[page][db.engine.dialect.name]}


def test_a_page_that_only_reads_refuses_to_write(client, world, monkeypatch):
    """A write slipped into a queue page fails on both databases, before it is sent; the same write on the
    complaint page, which is not marked as only reading, goes through."""
    from intranet.complaints import duplicates, queues
    from intranet.core.database import PageWrote
    from tests.conftest import login
    from tests.factories import make_complaint

    complaint = make_complaint(world)
    login(client, world.reception)
    db.session.commit()

    def writing(real):
        def wrapped(user, *args):
            db.session.execute(text("UPDATE users SET display_name = display_name WHERE id = :id"), {"id": user.id})
            return real(user, *args)
        return wrapped

    monkeypatch.setattr(queues, "counts", writing(queues.counts))
    monkeypatch.setattr(duplicates, "earlier_from_same_phone", writing(duplicates.earlier_from_same_phone))
    with pytest.raises(PageWrote, match="complaints.queue is marked @reads_only and sent: UPDATE users"):
        client.get("/queue")
    db.session.rollback()
    assert client.get(f"/complaints/{complaint.reference}").status_code == 200


def test_a_server_process_reads_its_templates_compiled(tmp_path, monkeypatch):
    """A server process keeps its templates compiled under the instance folder (compiling them in each worker
    left 4-5 MiB freed but resident): a second process loads them from there, compiling nothing."""
    import os

    from intranet import COMPILED_TEMPLATES

    url = f"sqlite:///{tmp_path}/x.sqlite3"
    first = create_app("testing", SQLALCHEMY_DATABASE_URI=url, SERVING=True)
    folder = os.path.join(first.instance_path, COMPILED_TEMPLATES)
    assert oct(os.stat(folder).st_mode & 0o777) == "0o700"
    assert len([name for name in os.listdir(folder) if name.endswith(".cache")]) >= 13
    second = create_app("testing", SQLALCHEMY_DATABASE_URI=url, SERVING=True)
    second.jinja_env.cache.clear()

    def compile_again(*args, **kwargs):
        raise AssertionError("compiled a template its cache holds")

    monkeypatch.setattr(second.jinja_env, "compile", compile_again)
    assert second.jinja_env.get_template("complaints/queue.html").name == "complaints/queue.html"
    assert create_app("testing", SQLALCHEMY_DATABASE_URI=url).jinja_env.bytecode_cache is None  # `flask …`, tests


def test_the_app_serves_with_docstrings_stripped(tmp_path):
    """Production's gunicorn runs under PYTHONOPTIMIZE=2 (docs/operations.md): the libraries' docstrings,
    about 15 MiB a worker, are not loaded. Nothing the app serves may then need a docstring or an assert."""
    import subprocess
    import sys
    from pathlib import Path

    probe = ("import sys, flask, wsgi\n"
             "from intranet.core.extensions import db\n"
             "with wsgi.app.app_context():\n"
             "    db.create_all()\n"
             "client = wsgi.app.test_client()\n"
             "print(sys.flags.optimize, flask.Flask.__doc__, "
             "[client.get(p).status_code for p in ('/complain', '/track', '/login', '/healthz')])")
    env = {"PATH": "/usr/bin:/bin", "REDRESS_ENV": "testing", "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3",
           "REDRESS_SERVING": "1", "PYTHONOPTIMIZE": "2"}
    served = subprocess.run([sys.executable, "-c", probe], cwd=Path(__file__).resolve().parent.parent, env=env,
                            capture_output=True, text=True, check=True).stdout.strip()
    assert served == "2 None [200, 200, 200, 200]"
