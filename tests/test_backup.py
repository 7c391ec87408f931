"""Backups that restore: `backup create` while the app is in use, `backup restore` into an empty database and
evidence folder, and every table comes back row for row and every evidence file byte for byte (the
timelines' hash chains still verify); a backup whose files do not match their checksums is refused before
anything is changed. On PostgreSQL, the app runs as a role that owns nothing: it reads and writes, and can
only append to the timelines; a restore gives that role its grants again."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import tarfile
import uuid

import psycopg
import pytest
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.engine import make_url

from intranet import create_app
from intranet.complaints import audit, evidence, operations, registration
from intranet.complaints.evidence import Evidence
from intranet.complaints.lifecycle import Action, State
from intranet.core.evidence_store import EvidenceBlob
from intranet.core.extensions import db
from tests import factories
from tests.conftest import POSTGRES, FreshGlobalsClient, csrf_token
from tests.test_public import png


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


def evidence_in(folder: str) -> dict[str, str]:
    """Each file of an evidence folder: its sha256."""
    return {name: hashlib.sha256(open(os.path.join(folder, name), "rb").read()).hexdigest()
            for name in os.listdir(folder)}


def with_evidence(world) -> list[dict]:
    """A public complaint with a photo, stored as the complaint form stores it."""
    stored = evidence.store([evidence.clean("photo.png", png())])
    registration.create(None, {**factories.public_complaint_data(), "evidence": stored})
    return stored


def backed_up(app, world, tmp_path) -> str:
    for state in (State.closed, State.investigating, State.not_accepted):
        factories.make_complaint(world, state)
    with_evidence(world)
    db.session.commit()  # nothing of the test's own left open (SQLite: its write lock)
    path = str(tmp_path / "redress.backup")
    result = app.test_cli_runner().invoke(args=["backup", "create", path])
    assert result.exit_code == 0, result.output
    return path


def restoring_app(database_url: str, tmp_path, **config):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=database_url,
                     EVIDENCE_FOLDER=str(tmp_path / "restored-evidence"), **config)
    os.makedirs(app.config["EVIDENCE_FOLDER"])
    return app


def test_a_backup_restores_every_row_and_every_evidence_file_and_the_chains_still_verify(app, world, tmp_path,
                                                                                         empty_database):
    backup = backed_up(app, world, tmp_path)
    before, files_before = fingerprint(db.engine), evidence_in(evidence.folder())
    # Work goes on after the backup: it is not in it.
    factories.make_complaint(world, State.registered)
    db.session.commit()

    restored_app = restoring_app(empty_database, tmp_path)
    runner = restored_app.test_cli_runner()
    # A command runs in the app context already pushed, if any: the restored app's, not the test's.
    with restored_app.app_context():
        refused = runner.invoke(args=["backup", "restore", backup])
        assert refused.exit_code != 0 and "--yes" in refused.output
        result = runner.invoke(args=["backup", "restore", backup, "--yes"])
        assert result.exit_code == 0, result.output
        after, files_after = fingerprint(db.engine), evidence_in(evidence.folder())
        breaks, _hashes, heads = audit.verify()
        named = set(db.session.scalars(select(Evidence.stored_name)))
        db.engine.dispose()
    assert f"evidence files from {backup}, every file matching its checksum." in result.output
    assert after == before
    assert files_after == files_before and named and named <= set(files_after)
    assert breaks == [] and len(heads) == 4


def _rewritten(path: str, change) -> None:
    """The backup with one of its files changed (or left out) by `change(name, data)` -> data or None."""
    with tarfile.open(path) as archive:
        members = [(m, archive.extractfile(m).read()) for m in archive.getmembers()]
    with tarfile.open(path, "w") as archive:
        for member, data in members:
            data = change(member.name, data)
            if data is not None:
                member.size = len(data)
                archive.addfile(member, io.BytesIO(data))


DAMAGE = {
    "a changed photo": (lambda name, data: data + b"x" if name.startswith("evidence/") else data,
                        "does not match its checksum: the backup is damaged, so nothing was restored."),
    "a changed database": (lambda name, data: data[:-1] + bytes([data[-1] ^ 1]) if name.startswith("database")
                           else data, "does not match its checksum: the backup is damaged, so nothing was restored."),
    "a missing photo": (lambda name, data: None if name.startswith("evidence/") else data,
                        "of the files its checksums list (first: evidence/"),
    "no checksums": (lambda name, data: None if name == "SHA256SUMS" else data,
                     "This file has no list of checksums (SHA256SUMS)"),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_backup_is_refused_before_anything_is_restored(app, world, tmp_path, empty_database, damage):
    change, said = DAMAGE[damage]
    backup = backed_up(app, world, tmp_path)
    _rewritten(backup, change)
    restored_app = restoring_app(empty_database, tmp_path)
    with restored_app.app_context():
        result = restored_app.test_cli_runner().invoke(args=["backup", "restore", backup, "--yes"])
        tables = inspect(db.engine).get_table_names()
        db.engine.dispose()
    assert result.exit_code == 1 and said in result.output
    assert tables == [] and os.listdir(restored_app.config["EVIDENCE_FOLDER"]) == []


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




@contextlib.contextmanager
def app_role(name_prefix: str = "redress_app", also_granted_in: str | None = None):
    """A LOGIN role that owns nothing, dropped afterwards with its grants (in the restored database too)."""
    role = f"{name_prefix}_{uuid.uuid4().hex[:8]}"
    with db.engine.begin() as connection:
        connection.execute(text(f'CREATE ROLE "{role}" LOGIN'))
    try:
        yield role
    finally:
        db.engine.dispose()
        for url in filter(None, (also_granted_in, str(db.engine.url.render_as_string(hide_password=False)))):
            engine = create_engine(url)
            with engine.begin() as connection:
                connection.execute(text(f'DROP OWNED BY "{role}"'))
            engine.dispose()
        with db.engine.begin() as connection:
            connection.execute(text(f'DROP ROLE "{role}"'))


@pytest.mark.skipif(not POSTGRES, reason="roles are PostgreSQL's (needs DATABASE_URL)")
def test_after_a_restore_the_apps_role_can_log_in_and_work(app, world, tmp_path, empty_database):
    with app_role(also_granted_in=empty_database) as role:
        assert app.test_cli_runner().invoke(args=["grants", "apply", role]).exit_code == 0
        backup = backed_up(app, world, tmp_path)
        restored_app = restoring_app(empty_database, tmp_path)
        with restored_app.app_context():
            result = restored_app.test_cli_runner().invoke(args=["backup", "restore", backup, "--yes"])
            db.engine.dispose()
        assert result.exit_code == 0, result.output
        assert f"{role} may run the app again (grants applied)." in result.output
        as_role = make_url(empty_database).set(username=role, password=None).render_as_string(hide_password=False)
        running = create_app("testing", SQLALCHEMY_DATABASE_URI=as_role,
                             EVIDENCE_FOLDER=restored_app.config["EVIDENCE_FOLDER"])
        running.test_client_class = FreshGlobalsClient  # each request a real one's start (no g carried over)
        with running.app_context():
            client = running.test_client()
            client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
            login = client.post("/login", data={"csrf_token": csrf_token(client), "username": "reception",
                                                "password": factories.PASSWORD})
            queue = client.get("/queue")
            patient = running.test_client()
            submitted = patient.post("/complain", data={
                "csrf_token": csrf_token(patient, "/complain"), "what_happened": "候诊两个小时没有人解释。",
                "complainant_phone": "13900001111"})
            db.session.remove()
            db.engine.dispose()
        assert (login.status_code, login.headers["Location"]) == (302, "/queue")
        assert queue.status_code == 200
        assert (submitted.status_code, submitted.headers.get("Location")) == (302, "/complain/done")


@pytest.mark.skipif(not POSTGRES, reason="roles are PostgreSQL's (needs DATABASE_URL)")
def test_a_restore_whose_app_role_is_missing_is_refused_and_says_how(app, world, tmp_path, empty_database):
    with app_role("redress_gone") as gone:
        assert app.test_cli_runner().invoke(args=["grants", "apply", gone]).exit_code == 0
        backup = backed_up(app, world, tmp_path)
    restored_app = restoring_app(empty_database, tmp_path)
    with app_role(also_granted_in=empty_database) as role, restored_app.app_context():
        refused = restored_app.test_cli_runner().invoke(args=["backup", "restore", backup, "--yes"])
        tables = inspect(db.engine).get_table_names()
        named = restored_app.test_cli_runner().invoke(args=["backup", "restore", backup, "--yes", "--app-role", role])
        db.engine.dispose()
    assert refused.exit_code == 1 and tables == []
    assert (f"The app ran as {gone}, which does not exist on this server: create it (`createuser {gone}`) and "
            "restore again, or name the role it runs as now with --app-role ROLE") in refused.output
    assert named.exit_code == 0 and f"{role} may run the app again (grants applied)." in named.output


# --- the database store (REDRESS_EVIDENCE_STORE=database): the files travel in the database's copy ------------


def test_the_database_stores_files_are_restored_with_the_database_and_checked(app, world, tmp_path, empty_database,
                                                                                 monkeypatch):
    monkeypatch.setitem(app.config, "EVIDENCE_STORE", "database")
    backup = backed_up(app, world, tmp_path)
    [(key, digest)] = db.session.execute(select(EvidenceBlob.key, EvidenceBlob.sha256)).all()
    photo = db.session.scalar(select(Evidence).where(Evidence.stored_name == key))
    reference, photo_id = photo.complaint.reference, photo.id
    db.session.commit()  # the test's reads end (SQLite: its write lock)
    before = fingerprint(db.engine)
    with tarfile.open(backup) as archive:
        about = json.loads(archive.extractfile("backup.json").read())
        held = archive.getnames()
    assert (about["evidence_store"], about["evidence_in_database"]) == ("database", 1)
    assert f"evidence/{key}" not in held  # in the database's copy, not beside it

    restored_app = restoring_app(empty_database, tmp_path, EVIDENCE_STORE="database")
    restored_app.test_client_class = FreshGlobalsClient
    with restored_app.app_context():
        result = restored_app.test_cli_runner().invoke(args=["backup", "restore", backup, "--yes"])
        assert result.exit_code == 0, result.output
        after = fingerprint(db.engine)
        client = restored_app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        client.post("/login", data={"csrf_token": csrf_token(client), "username": "reception",
                                    "password": factories.PASSWORD})
        download = client.get(f"/complaints/{reference}/evidence/{photo_id}")
        db.session.remove()
        db.engine.dispose()
    assert "every file matching its checksum." in result.output
    assert after == before and after["evidence_chunks"][0] == 1
    assert download.status_code == 200 and hashlib.sha256(download.get_data()).hexdigest() == digest


def test_a_damaged_file_in_the_database_is_found_when_restoring(app, world, tmp_path, empty_database, monkeypatch):
    monkeypatch.setitem(app.config, "EVIDENCE_STORE", "database")
    with_evidence(world)
    db.session.commit()
    # The disk under the database changed a byte of the photo before the backup was made: the backup's own
    # checksums match (they are of the copy as it was made), the photo's own sha256 does not.
    db.session.execute(text("UPDATE evidence_chunks SET data = :data"), {"data": b"not the photo"})
    db.session.commit()
    [key] = db.session.scalars(select(EvidenceBlob.key))
    db.session.commit()
    backup = str(tmp_path / "redress.backup")
    assert app.test_cli_runner().invoke(args=["backup", "create", backup]).exit_code == 0

    restored_app = restoring_app(empty_database, tmp_path, EVIDENCE_STORE="database")
    with restored_app.app_context():
        result = restored_app.test_cli_runner().invoke(args=["backup", "restore", backup, "--yes"])
        tables = inspect(db.engine).get_table_names()
        db.engine.dispose()
    assert result.exit_code == 1
    damaged = f"(first: {key}: its chunks hold 13 bytes of sha256 {hashlib.sha256(b'not the photo').hexdigest()}"
    assert damaged in result.output
    if POSTGRES:
        # pg_restore's copy is read by restoring it: the restore is done, and says which files are damaged.
        assert "The database was restored, but 1 of its 1 evidence files do not match their checksums" in result.output
        assert "evidence_blobs" in tables
    else:
        # SQLite's copy is read where it lies, before anything is replaced.
        assert "1 evidence files in the backup's database do not match their checksums" in result.output
        assert "so nothing was restored." in result.output and tables == []
