"""Keeping the records safe: backups that can be restored, and on PostgreSQL an application role that owns
nothing (so that whoever holds the app's credentials cannot rewrite the timeline or switch its triggers off).

- `flask --app wsgi backup create FILE`: SQLite through its online backup API (a consistent copy while the
  app keeps running), PostgreSQL through `pg_dump --format=custom`.
- `flask --app wsgi backup restore FILE --yes`: the whole database replaced by the backup (SQLite: page by
  page through the same API; PostgreSQL: `pg_restore --clean --single-transaction`). Stop the app first.
- `flask --app wsgi grants apply ROLE`: what the application's own PostgreSQL role may do — read and write
  the working tables, but only read and append the append-only ones (the timelines and the logs).
"""

from __future__ import annotations

import os
import shutil
import subprocess

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from ..core.extensions import db

# Appended to, never changed: the application's role may only read them and add rows.
APPEND_ONLY = ("complaint_events", "corrective_action_events", "admin_events", "identity_views", "directory_imports")
READ_ONLY = ("alembic_version",)  # the schema's version: only the owner's migrations move it


def _libpq_url() -> str:
    """The database URL as pg_dump and psql read it (no SQLAlchemy driver name)."""
    url = make_url(db.engine.url.render_as_string(hide_password=False))
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _sqlite_path() -> str:
    return db.engine.url.database


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise click.ClickException(f"{name} is not installed (Debian: apt-get install postgresql-client).")
    return found


def create_backup(path: str) -> None:
    if db.engine.dialect.name == "sqlite":
        import sqlite3  # these commands only: a server process on PostgreSQL never loads it

        source = sqlite3.connect(_sqlite_path())
        target = sqlite3.connect(path)
        try:
            with target:
                source.backup(target)  # page by page, consistent, while others read and write
        finally:
            target.close()
            source.close()
        return
    subprocess.run([_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", "--file", path,
                    _libpq_url()], check=True)


def restore_backup(path: str) -> None:
    if not os.path.exists(path):
        raise click.ClickException(f"No backup at {path}.")
    db.session.remove()
    db.engine.dispose()  # no pooled connection may hold the old database open
    if db.engine.dialect.name == "sqlite":
        import sqlite3

        source = sqlite3.connect(path)
        target = sqlite3.connect(_sqlite_path())
        try:
            with target:
                source.backup(target)
        finally:
            target.close()
            source.close()
        return
    subprocess.run([_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
                    "--single-transaction", "--exit-on-error", "--dbname", _libpq_url(), path], check=True)


def grant_statements(role: str) -> list[str]:
    """GRANTs for `role` on every table and sequence of the schema as it is now (run again after a
    migration adds a table)."""
    quoted = '"' + role.replace('"', '""') + '"'
    tables = inspect(db.engine).get_table_names()
    statements = [f"GRANT USAGE ON SCHEMA public TO {quoted}",
                  f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {quoted}"]
    for table in sorted(tables):
        if table in APPEND_ONLY:
            rights = "SELECT, INSERT"
        elif table in READ_ONLY:
            rights = "SELECT"
        else:
            rights = "SELECT, INSERT, UPDATE, DELETE"
        statements.append(f'GRANT {rights} ON TABLE "{table}" TO {quoted}')
    statements.append(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}")
    return statements


@click.group(cls=AppGroup)
def backup():
    """Back up and restore the database."""


@backup.command("create")
@click.argument("path", type=click.Path(dir_okay=False))
def create_command(path):
    """Write a consistent backup of the whole database to PATH (safe while the app runs)."""
    create_backup(path)
    click.echo(f"Backed up to {path}. Keep the tracking key (instance/tracking.key or REDRESS_TRACKING_KEY) "
               "with it: without it no tracking code a complainant holds works.")


@backup.command("restore")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help="Replace the database: everything in it now is lost.")
def restore_command(path, yes):
    """Replace the whole database by the backup at PATH (stop the app first)."""
    if not yes:
        raise click.UsageError("This replaces everything in the database by the backup. Add --yes.")
    restore_backup(path)
    click.echo(f"Restored from {path}. Run `flask --app wsgi audit verify` to check the timelines.")


@click.group(cls=AppGroup)
def grants():
    """The PostgreSQL role the application runs as."""


@grants.command("apply")
@click.argument("role")
@click.option("--print-only", is_flag=True, help="Print the statements instead of running them.")
def apply_command(role, print_only):
    """Let ROLE (which owns nothing) run the app: read and write, but only append to the timelines."""
    if db.engine.dialect.name != "postgresql":
        raise click.UsageError("Roles are PostgreSQL's: on SQLite the file's permissions are the access.")
    statements = grant_statements(role)
    if print_only:
        click.echo(";\n".join(statements) + ";")
        return
    with db.engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))
    click.echo(f"{role} may now run the app; it owns nothing and only appends to {', '.join(APPEND_ONLY)}.")


def register_cli(app: Flask) -> None:
    app.cli.add_command(backup)
    app.cli.add_command(grants)
