"""What a gunicorn worker's memory is made of: resident memory after each library it loads, then the app.

    .venv/bin/python scripts/worker_memory.py

For each database it starts a fresh interpreter that loads what a worker loads, in the order a worker loads it
(gunicorn first, then the libraries the app imports, then the app itself as a worker creates it, with
REDRESS_SERVING=1, PYTHONOPTIMIZE=2 and gunicorn.conf.py's post_fork applied; `make bytecode` first), and
prints the resident memory (VmRSS) after each step. Then it checks one staff password as a login does and
prints the peak (VmHWM) and what is resident afterwards: argon2id's 7 MiB are allocated and freed, so they
show only in the peak, which `make bench` reports beside what each worker holds at the end. The libraries'
share is the floor under any worker of this app; what comes after it is the app's own. A library's figure
includes what it is the first to load (the standard library's modules it needs, shared libraries), so the
order matters: it is the worker's.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

STEPS = [
    ("gunicorn and its sync worker", ["gunicorn.app.wsgiapp", "gunicorn.workers.sync"]),
    ("Flask, Werkzeug, Jinja", ["flask", "jinja2"]),
    ("WTForms, Flask-WTF, Babel, Flask-Babel", ["wtforms", "flask_wtf", "flask_wtf.csrf", "babel", "flask_babel"]),
    ("SQLAlchemy: core and ORM", ["sqlalchemy", "sqlalchemy.orm"]),
    ("SQLAlchemy's SQLite and PostgreSQL dialects", ["sqlalchemy.dialects.sqlite", "sqlalchemy.dialects.postgresql"]),
    ("Flask-SQLAlchemy, Flask-Login, flask-htmx", ["flask_sqlalchemy", "flask_login", "flask_htmx"]),
    ("Flask-Limiter with limits and redis-py", ["flask_limiter", "limits.storage", "redis"]),
    ("psycopg (PostgreSQL only)", ["psycopg"]),
    ("argon2-cffi, chinese-calendar", ["argon2", "chinese_calendar"]),
]


def _memory(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(field)


def measure(database: str) -> None:
    """In the child: load step by step and print one table row per step."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("gunicorn_conf", ROOT / "gunicorn.conf.py")
    gunicorn_conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gunicorn_conf)
    gunicorn_conf.post_fork(None, None)  # what gunicorn does in each worker it starts
    before = _memory("VmRSS")
    print(f"| the interpreter, after gunicorn.conf.py's post_fork | {before:.1f} | |")
    for label, modules in STEPS:
        if "PostgreSQL only" in label and database != "postgresql":
            continue
        for module in modules:
            importlib.import_module(module)
        now = _memory("VmRSS")
        print(f"| {label} | {now:.1f} | +{now - before:.1f} |", flush=True)
        before = now
    sys.path.insert(0, str(ROOT))
    from intranet import create_app

    create_app()
    now = _memory("VmRSS")
    print(f"| **the libraries, before any of the app's code** | **{before:.1f}** | |")
    print(f"| the app, created as a worker creates it | {now:.1f} | +{now - before:.1f} |")
    from intranet.core.users import check_unknown_password

    check_unknown_password("a staff member's password")  # the same argon2id work as a login's check
    print(f"| peak while a staff password is checked, as at a login (VmHWM) | {_memory('VmHWM'):.1f} | |")
    print(f"| resident after the check | {_memory('VmRSS'):.1f} | |")


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--measure":
        measure(sys.argv[2])
        return
    with tempfile.TemporaryDirectory() as scratch:
        for database, url in (("sqlite", f"sqlite:///{scratch}/memory.sqlite3"),
                              ("postgresql", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")):
            # Nothing connects: creating the app reads the URL only to choose the dialect and its options.
            environment = {**os.environ, "DATABASE_URL": url, "REDRESS_SERVING": "1", "SECRET_KEY": "memory",
                           "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/5",
                           "REDRESS_TRACKING_KEY": "0" * 64,
                           "PYTHONOPTIMIZE": "2"}  # as gunicorn runs in production: no docstrings
            print(f"\n| {database}: a worker, step by step | VmRSS, MiB | added |\n|---|---|---|", flush=True)
            subprocess.run([sys.executable, __file__, "--measure", database], env=environment, cwd=scratch,
                           check=True)


if __name__ == "__main__":
    main()
