"""Keeping the records safe: backups that can be restored, and on PostgreSQL an application role that owns
nothing (so that whoever holds the app's credentials cannot rewrite the timeline or switch its triggers off).

- `flask --app wsgi backup create FILE`: one tar file with the database (SQLite through its online backup
  API, a consistent copy while the app keeps running; PostgreSQL through `pg_dump --format=custom`), every
  file of the evidence folder, and the sha256 of each (the database store's files are in the database: each
  has its sha256 beside its chunks).
- `flask --app wsgi backup restore FILE --yes`: every file checked against its checksum first, then the
  whole database replaced by the backup's (SQLite: page by page through the same API; PostgreSQL:
  `pg_restore --clean --single-transaction`), the evidence files put back, and on PostgreSQL the app's
  role given its grants again (pg_restore --no-privileges restores none), and every file of the database
  store read back against its sha256. Stop the app first.
- `flask --app wsgi grants apply ROLE`: what the application's own PostgreSQL role may do — read and write
  the working tables, but only read and append the append-only ones (the timelines and the logs).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import time

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import create_engine, func, inspect, select, text
from sqlalchemy.engine import make_url

from ..complaints.evidence import folder as evidence_folder
from ..core import evidence_store
from ..core.extensions import db
from ..core.progress import progress_bar

# Appended to, never changed: the application's role may only read them and add rows.
APPEND_ONLY = ("complaint_events", "corrective_action_events", "admin_events", "identity_views", "directory_imports",
               "complaint_letters", "letter_templates")
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


# --- a backup: one tar file with the database, the evidence files and their checksums --------------------
#
#   database.sqlite3 | database.pgdump    the database (SQLite's online backup, or pg_dump --format=custom)
#   evidence/<stored name>                 every file of the evidence folder (the database store's are in the
#                                          database's copy, with their sha256)
#   SHA256SUMS                             the sha256 of each of the above (`sha256sum -c SHA256SUMS` reads it)
#   backup.json                            what kind of database it is, and the roles the app ran as

DATABASE_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
SUMS, ABOUT = "SHA256SUMS", "backup.json"
CHUNK = 1 << 20


class BackupRefused(click.ClickException):
    """The backup cannot be restored as it is (damaged, of another database, or the app's role missing):
    nothing was changed."""


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _dump_database(path: str) -> None:
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


def app_roles() -> list[str]:
    """The roles other than the tables' owner that may use the complaints table: those the app runs as
    (`grants apply`). A restore gives them their grants again."""
    if db.engine.dialect.name != "postgresql":
        return []
    with db.engine.connect() as connection:
        return sorted(connection.execute(text(
            "SELECT DISTINCT r.rolname FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a "
            "JOIN pg_roles r ON r.oid = a.grantee "
            "WHERE c.relname = 'complaints' AND c.relnamespace = 'public'::regnamespace "
            "AND a.grantee <> c.relowner")).scalars())


def _evidence_files() -> list[str]:
    return evidence_store.FolderStore(evidence_folder()).keys()


def _blobs_in(connection) -> int:
    return connection.execute(select(func.count()).select_from(evidence_store.BLOBS)).scalar_one()


def _damaged_blobs(connection) -> list[str]:
    """What is wrong with each file of the database store whose chunks do not match its sha256."""
    blobs = evidence_store.BLOBS
    damaged = []
    for row in connection.execute(select(blobs.c.id, blobs.c.key, blobs.c.size, blobs.c.sha256)
                                  .order_by(blobs.c.key)).all():
        try:
            evidence_store.check_blob(connection, row.id, evidence_store.Stored(row.key, row.size, row.sha256))
        except evidence_store.BlobDamaged as error:
            damaged.append(str(error))
    return damaged


def create_backup(path: str) -> dict:
    """Write the backup to `path` (through a temporary file beside it, renamed at the end: a backup that
    stopped half-way is never taken for a whole one). Returns what it holds.

    The database first, the evidence folder after: a file is stored before the row naming it is committed,
    and is never removed once that row is, so every file the database's copy names is in the folder by
    then (files of later submissions come too, unnamed, and do no harm). The database store's files are in
    the database's copy, committed with the rows naming them."""
    kind = db.engine.dialect.name
    if not os.path.isdir(os.path.dirname(os.path.abspath(path))):
        raise click.ClickException(f"No folder {os.path.dirname(os.path.abspath(path))} to write the backup into.")
    with tempfile.TemporaryDirectory(dir=os.path.dirname(os.path.abspath(path))) as work:
        database = os.path.join(work, DATABASE_FILES[kind])
        with progress_bar("Copying the database", length=1) as bar:
            _dump_database(database)
            bar.update(1)
        sums = [(_sha256(database), DATABASE_FILES[kind])]
        with db.engine.connect() as connection:  # about as many as the copy holds (it is of a moment ago)
            in_database = _blobs_in(connection)
            connection.rollback()
        names = _evidence_files()
        partial = f"{path}.partial"
        with tarfile.open(partial, "w") as archive:
            archive.add(database, DATABASE_FILES[kind])
            with progress_bar("Copying the evidence files", names) as files:
                for name in files:
                    source = os.path.join(evidence_folder(), name)
                    sums.append((_sha256(source), f"evidence/{name}"))
                    archive.add(source, f"evidence/{name}")
            about = {"format": 1, "database": kind, "evidence_files": len(names), "evidence_in_database": in_database,
                     "evidence_store": current_app.config.get("EVIDENCE_STORE") or "folder",
                     "app_roles": app_roles()}
            for member, content in ((SUMS, "".join(f"{digest}  {name}\n" for digest, name in sums)),
                                    (ABOUT, json.dumps(about, indent=2) + "\n")):
                raw = content.encode()
                info = tarfile.TarInfo(member)
                info.size, info.mtime = len(raw), int(time.time())
                archive.addfile(info, io.BytesIO(raw))
        os.replace(partial, path)
    return about


def _restorable(name: str) -> bool:
    """A name a backup may hold: its database, or a file directly in evidence/ (never a path out of it)."""
    evidence = name.removeprefix("evidence/")
    return name in DATABASE_FILES.values() or (
        name.startswith("evidence/") and "/" not in evidence and "\\" not in evidence
        and evidence not in ("", ".", ".."))


def _read_sums(archive: tarfile.TarFile) -> tuple[dict[str, str], dict]:
    try:
        sums_file, about_file = archive.extractfile(SUMS), archive.extractfile(ABOUT)
    except KeyError:
        raise BackupRefused("This file has no list of checksums (SHA256SUMS): it is not a backup made by "
                            "`backup create`, so nothing was restored.") from None
    sums = {}
    for line in sums_file.read().decode().splitlines():
        digest, _, name = line.partition("  ")
        sums[name] = digest
    return sums, json.loads(about_file.read())


def _unpack_checked(path: str, work: str) -> tuple[dict[str, str], dict]:
    """Every file of the backup into `work`, each checked against its checksum: refused (BackupRefused)
    at the first one that differs, is missing or is not listed."""
    if not tarfile.is_tarfile(path):
        raise BackupRefused(f"{path} is not a backup made by `backup create` (a tar file with SHA256SUMS), so "
                            "nothing was restored.")
    with tarfile.open(path) as archive:
        sums, about = _read_sums(archive)
        members = [m for m in archive.getmembers() if m.name not in (SUMS, ABOUT)]
        unlisted = [m.name for m in members if m.name not in sums or not _restorable(m.name)]
        if unlisted or any(not m.isfile() for m in members):
            raise BackupRefused(f"The backup holds files its checksums do not list ({', '.join(unlisted[:3])}): "
                                "nothing was restored.")
        missing = sorted(set(sums) - {m.name for m in members})
        if missing:
            raise BackupRefused(f"The backup lacks {len(missing)} of the files its checksums list (first: "
                                f"{missing[0]}): nothing was restored.")
        with progress_bar("Checking the backup", members) as checked:
            for member in checked:
                target = os.path.join(work, member.name)
                os.makedirs(os.path.dirname(target), exist_ok=True)
                digest = hashlib.sha256()
                with archive.extractfile(member) as source, open(target, "wb") as copy:
                    for chunk in iter(lambda: source.read(CHUNK), b""):
                        digest.update(chunk)
                        copy.write(chunk)
                if digest.hexdigest() != sums[member.name]:
                    raise BackupRefused(f"{member.name} does not match its checksum: the backup is damaged, so "
                                        "nothing was restored. Restore an older backup.")
    return sums, about


def _restore_database(path: str) -> None:
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


def _missing_roles(roles: list[str]) -> list[str]:
    with db.engine.connect() as connection:
        present = set(connection.execute(text("SELECT rolname FROM pg_roles WHERE rolname = ANY(:names)"),
                                         {"names": roles}).scalars())
    return [role for role in roles if role not in present]


def restore_backup(path: str, roles: list[str] | None = None) -> dict:
    """Replace the database and add the evidence files from the backup at `path`, every file checked
    first; on PostgreSQL the app's roles (those the backup recorded, or `roles`) get their grants again.
    Refused before anything is changed if any of it cannot be done. Returns what the backup held."""
    if not os.path.exists(path):
        raise click.ClickException(f"No backup at {path}.")
    kind = db.engine.dialect.name
    with tempfile.TemporaryDirectory() as work:
        sums, about = _unpack_checked(path, work)
        if about.get("database") != kind:
            raise BackupRefused(f"This is a backup of a {about.get('database')} database; this app runs on {kind}: "
                                "nothing was restored.")
        roles = list(about.get("app_roles", [])) if roles is None else roles
        missing = _missing_roles(roles) if kind == "postgresql" and roles else []
        if missing:
            raise BackupRefused(
                f"The app ran as {', '.join(missing)}, which does not exist on this server: create it "
                f"(`createuser {missing[0]}`) and restore again, or name the role it runs as now with "
                "--app-role ROLE (the grants are given to it after the restore). Nothing was restored.")
        names = [name.removeprefix("evidence/") for name in sums if name.startswith("evidence/")]
        folder = evidence_folder()
        os.makedirs(folder, exist_ok=True)
        clashes = [name for name in names if os.path.exists(os.path.join(folder, name))
                   and _sha256(os.path.join(folder, name)) != sums[f"evidence/{name}"]]
        if clashes:
            raise BackupRefused(f"The evidence folder ({folder}) has other files under the backup's names "
                                f"(first: {clashes[0]}): restore into an empty folder. Nothing was restored.")
        if kind == "sqlite":
            _refuse_damaged_blobs(os.path.join(work, DATABASE_FILES[kind]))
        with progress_bar("Restoring the database", length=1) as bar:
            _restore_database(os.path.join(work, DATABASE_FILES[kind]))
            bar.update(1)
        with progress_bar("Restoring the evidence files", names) as restoring:
            for name in restoring:
                target = os.path.join(folder, name)
                shutil.copyfile(os.path.join(work, "evidence", name), f"{target}.partial")
                os.replace(f"{target}.partial", target)
        wrong = [name for name in names if _sha256(os.path.join(folder, name)) != sums[f"evidence/{name}"]]
        if wrong:
            raise click.ClickException(f"{len(wrong)} evidence files do not match their checksums once copied "
                                       f"(first: {wrong[0]}): the evidence folder's disk is failing. Check it "
                                       "and restore again.")
    for role in roles if kind == "postgresql" else []:
        apply_grants(role)
    # The database store's files came in the database: each read back against its sha256 (on SQLite checked
    # in the backup's copy already, before anything was replaced; pg_restore's format is read by restoring).
    with progress_bar("Checking the evidence files in the database", length=1) as bar:
        with db.engine.connect() as connection:
            # A backup made before the database store existed has no such table.
            present = "evidence_blobs" in inspect(connection).get_table_names()
            in_database, damaged = (_blobs_in(connection), _damaged_blobs(connection)) if present else (0, [])
            connection.rollback()
        bar.update(1)
    if damaged:
        raise click.ClickException(
            f"The database was restored, but {len(damaged)} of its {in_database} evidence files do not match their "
            f"checksums (first: {damaged[0]}): they were damaged before the backup was made. Restore an older "
            "backup, or those files from one (`flask --app wsgi evidence check` lists them).")
    return {**about, "evidence_in_database": in_database, "app_roles": roles if kind == "postgresql" else []}


def _refuse_damaged_blobs(path: str) -> None:
    """The backup's SQLite copy, read in place: refused if a file of the database store in it is damaged."""
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            present = "evidence_blobs" in inspect(connection).get_table_names()
            damaged = _damaged_blobs(connection) if present else []
    finally:
        engine.dispose()
    if damaged:
        raise BackupRefused(f"{len(damaged)} evidence files in the backup's database do not match their checksums "
                            f"(first: {damaged[0]}): they were damaged before the backup was made, so nothing was "
                            "restored. Restore an older backup.")


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


def apply_grants(role: str) -> None:
    with db.engine.begin() as connection:
        for statement in grant_statements(role):
            connection.execute(text(statement))


@click.group(cls=AppGroup)
def backup():
    """Back up and restore the database."""


@backup.command("create")
@click.argument("path", type=click.Path(dir_okay=False))
def create_command(path):
    """Write a consistent backup of the whole database and the evidence files to PATH, with their checksums
    (safe while the app runs)."""
    about = create_backup(path)
    roles = f"; the app's role(s): {', '.join(about['app_roles'])}" if about["app_roles"] else ""
    files = about["evidence_files"] + about["evidence_in_database"]
    click.echo(f"Backed up the database and {files} evidence files to {path}{roles}. Keep the "
               "tracking key (instance/tracking.key or REDRESS_TRACKING_KEY) with it: without it no tracking "
               "code a complainant holds works.")


@backup.command("restore")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help="Replace the database: everything in it now is lost.")
@click.option("--app-role", "roles", multiple=True,
              help="PostgreSQL: the role the app runs as, given its grants after the restore (default: the roles "
                   "the backup recorded).")
def restore_command(path, yes, roles):
    """Replace the whole database by the backup at PATH and put its evidence files back, every file checked
    against its checksum first (stop the app first)."""
    if not yes:
        raise click.UsageError("This replaces everything in the database by the backup. Add --yes.")
    about = restore_backup(path, list(roles) or None)
    granted = f" {', '.join(about['app_roles'])} may run the app again (grants applied)." if about["app_roles"] else ""
    if db.engine.dialect.name == "postgresql" and not about["app_roles"]:
        granted = (" No application role was recorded: if the app runs as a role that owns nothing, run "
                   "`flask --app wsgi grants apply ROLE` now.")
    files = about["evidence_files"] + about["evidence_in_database"]
    click.echo(f"Restored the database and {files} evidence files from {path}, every file "
               f"matching its checksum.{granted} Run `flask --app wsgi audit verify` to check the timelines.")


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
    if print_only:
        click.echo(";\n".join(grant_statements(role)) + ";")
        return
    apply_grants(role)
    click.echo(f"{role} may now run the app; it owns nothing and only appends to {', '.join(APPEND_ONLY)}.")


def register_cli(app: Flask) -> None:
    app.cli.add_command(backup)
    app.cli.add_command(grants)
