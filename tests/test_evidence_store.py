"""Evidence files in the database store (REDRESS_EVIDENCE_STORE=database): a file sent to one app server is
served by another (they share the database, not a folder); a transaction that fails leaves no file; `flask
evidence migrate` moves every file between the folder and the database and back, byte for byte, refusing a
damaged one; a large file is sent chunk by chunk, never whole in memory."""

from __future__ import annotations

import hashlib
import inspect
import os
import tracemalloc
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from intranet import create_app
from intranet.complaints import evidence, registration, tracking_codes
from intranet.complaints.evidence import CleanFile, Evidence
from intranet.core import evidence_store
from intranet.core.evidence_store import CHUNK_BYTES, EvidenceBlob, EvidenceChunk
from intranet.core.extensions import db
from tests import factories
from tests.conftest import FreshGlobalsClient, csrf_token
from tests.test_public import PDF, png, upload

# A PDF of three chunks (the last a short one): what the migration and the downloads must keep whole.
LONG_PDF = b"%PDF-1.4\n" + os.urandom(2 * CHUNK_BYTES + 1000)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def server(app, tmp_path, name: str, store: str):
    """Another app server on the same database, with an instance folder (and an evidence folder) of its own."""
    running = create_app("testing", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                         EVIDENCE_STORE=store, EVIDENCE_FOLDER=str(tmp_path / name / "evidence"))
    running.instance_path = str(tmp_path / name)
    running.config["SQLALCHEMY_ENGINE_OPTIONS"] = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    running.test_client_class = FreshGlobalsClient
    return running


def logged_in(running, username: str = "reception"):
    client = running.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = client.post("/login", data={"csrf_token": csrf_token(client), "username": username,
                                           "password": factories.PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def done_with(running) -> None:
    db.session.remove()
    db.engine.dispose()


def test_a_file_sent_to_one_server_is_served_by_another(app, world, tmp_path):
    db.session.commit()
    first, second = server(app, tmp_path, "a", "database"), server(app, tmp_path, "b", "database")
    with first.app_context():
        sent = upload(first.test_client(), [("scan.pdf", LONG_PDF), ("drawing.png", png())])
        assert sent.status_code == 302, sent.get_data(as_text=True)
        items = [(item.complaint.reference, item.id, item.stored_name)
                 for item in db.session.scalars(select(Evidence).order_by(Evidence.id))]
        blobs = {blob.key: (blob.size, blob.sha256) for blob in db.session.scalars(select(EvidenceBlob))}
        done_with(first)
    assert not os.path.exists(first.config["EVIDENCE_FOLDER"])  # nothing on the first server's disk
    (reference, pdf_id, pdf_name), (_, png_id, png_name) = items
    assert blobs[pdf_name] == (len(LONG_PDF), sha(LONG_PDF))

    with second.app_context():
        reception = logged_in(second)
        download = reception.get(f"/complaints/{reference}/evidence/{pdf_id}")
        picture = reception.get(f"/complaints/{reference}/evidence/{png_id}")
        done_with(second)
    assert download.status_code == 200 and download.get_data() == LONG_PDF
    assert download.headers["Content-Disposition"] == "attachment; filename=scan.pdf"
    assert download.headers["Content-Length"] == str(len(LONG_PDF))
    assert (download.headers["Content-Type"], download.headers["Cache-Control"]) == ("application/pdf", "no-store")
    assert picture.status_code == 200 and sha(picture.get_data()) == blobs[png_name][1]

    # A server still on the folder store looks in its own folder, where the file is not: not found, as for
    # any file missing from the folder.
    on_folder = server(app, tmp_path, "b", "folder")
    with on_folder.app_context():
        missing = logged_in(on_folder).get(f"/complaints/{reference}/evidence/{pdf_id}")
        done_with(on_folder)
    assert missing.status_code == 404


def test_a_failed_transaction_leaves_no_file(app_ctx, world, client, monkeypatch):
    monkeypatch.setitem(app_ctx.config, "EVIDENCE_STORE", "database")
    stored = evidence.store([evidence.clean("scan.pdf", PDF)])
    registration.create(None, {**factories.public_complaint_data(), "evidence": stored})
    db.session.flush()
    assert count(EvidenceBlob) == 1 and count(EvidenceChunk) == 1
    db.session.rollback()
    evidence.discard(stored)  # as the pages do: nothing to remove, the rollback took it
    assert count(EvidenceBlob) == 0 and count(EvidenceChunk) == 0

    # Through the public form: the file is stored, then registering fails.
    def fails(*_args, **_kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(tracking_codes, "held_tracking_code", fails)
    with pytest.raises(RuntimeError):
        upload(client, [("scan.pdf", LONG_PDF)])
    assert (count(EvidenceBlob), count(EvidenceChunk), count(Evidence)) == (0, 0, 0)


def in_folder(folder) -> dict[str, str]:
    """Each file of a folder: its sha256."""
    return {path.name: sha(path.read_bytes()) for path in Path(folder).iterdir()}


def migrate(app, to: str):
    return app.test_cli_runner().invoke(args=["evidence", "migrate", "--to", to])


def test_migrating_to_the_database_and_back_keeps_every_byte(app_ctx, world, client, tmp_path, monkeypatch):
    sent = upload(client, [("scan.pdf", LONG_PDF), ("drawing.png", png()), ("short.pdf", PDF)])
    assert sent.status_code == 302, sent.get_data(as_text=True)
    folder = evidence.folder()
    names = set(db.session.scalars(select(Evidence.stored_name)))
    everything = in_folder(folder)
    sums = {name: everything[name] for name in names}
    db.session.commit()

    result = migrate(app_ctx, "database")
    assert result.exit_code == 0, result.output
    assert (f"Evidence files moved to the database: {len(everything)} copied, 0 already there with the same "
            "checksum, 0 refused.") in result.output
    assert "Set REDRESS_EVIDENCE_STORE=database on every app server and start them again." in result.output
    blobs = {blob.key: blob.sha256 for blob in db.session.scalars(select(EvidenceBlob))}
    assert blobs == everything
    long_name = next(name for name in names if sums[name] == sha(LONG_PDF))
    chunks = db.session.execute(select(EvidenceChunk.seq, func.length(EvidenceChunk.data)).join(EvidenceBlob)
                                .where(EvidenceBlob.key == long_name).order_by(EvidenceChunk.seq)).all()
    assert [tuple(c) for c in chunks] == [(0, CHUNK_BYTES), (1, CHUNK_BYTES), (2, len(LONG_PDF) - 2 * CHUNK_BYTES)]
    again = migrate(app_ctx, "database")
    assert again.exit_code == 0 and (f"to the database: 0 copied, {len(everything)} already there"
                                     in again.output)

    # Served from the database once the store is switched, whatever the folder holds.
    monkeypatch.setitem(app_ctx.config, "EVIDENCE_STORE", "database")
    monkeypatch.setitem(app_ctx.config, "EVIDENCE_FOLDER", str(tmp_path / "back"))
    reception = logged_in(app_ctx)
    long_file = db.session.scalar(select(Evidence).where(Evidence.stored_name == long_name))
    assert reception.get(f"/complaints/{long_file.complaint.reference}/evidence/{long_file.id}").get_data() == LONG_PDF

    back = migrate(app_ctx, "folder")
    assert back.exit_code == 0, back.output
    assert f"Evidence files moved to the folder: {len(everything)} copied, 0 already there" in back.output
    returned = str(tmp_path / "back")
    assert in_folder(returned) == everything
    assert migrate(app_ctx, "folder").output.startswith(f"Evidence files moved to the folder: 0 copied, "
                                                        f"{len(everything)} already there")
    # And removing the source's copies, once checked, leaves the database store empty.
    removed = app_ctx.test_cli_runner().invoke(args=["evidence", "migrate", "--to", "folder", "--remove-source"])
    assert f"{len(everything)} removed from the other store." in removed.output
    assert count(EvidenceBlob) == 0 and count(EvidenceChunk) == 0
    assert len(os.listdir(returned)) == len(everything)


def damage(key: str, seq: int = 0) -> None:
    """One chunk's bytes changed in place (its length kept), as a failing disk would."""
    blob_id = db.session.scalar(select(EvidenceBlob.id).where(EvidenceBlob.key == key))
    data = db.session.scalar(select(EvidenceChunk.data).where(EvidenceChunk.blob_id == blob_id,
                                                               EvidenceChunk.seq == seq))
    db.session.execute(text("UPDATE evidence_chunks SET data = :data WHERE blob_id = :blob AND seq = :seq"),
                       {"data": bytes([data[0] ^ 1]) + data[1:], "blob": blob_id, "seq": seq})
    db.session.commit()


def test_a_damaged_file_is_refused_by_the_migration_and_nothing_is_changed_for_it(app_ctx, world, tmp_path,
                                                                                   monkeypatch):
    monkeypatch.setitem(app_ctx.config, "EVIDENCE_STORE", "database")
    monkeypatch.setitem(app_ctx.config, "EVIDENCE_FOLDER", str(tmp_path / "folder"))
    good, bad = evidence.store([evidence.clean("a.pdf", PDF), evidence.clean("b.pdf", LONG_PDF)])
    db.session.commit()
    damage(bad["stored_name"], seq=1)

    result = migrate(app_ctx, "folder")
    assert result.exit_code == 1
    assert "moved to the folder: 1 copied, 0 already there with the same checksum, 1 refused." in result.output
    assert (f"refused: {bad['stored_name']}: its chunks hold {len(LONG_PDF)} bytes of sha256 "
            in result.output and "(damaged in the database: not copied)" in result.output)
    assert "1 files were not copied (see above): nothing was changed for them." in result.output
    assert os.listdir(tmp_path / "folder") == [good["stored_name"]]
    assert count(EvidenceBlob) == 2  # the damaged one is still where it was

    checked = app_ctx.test_cli_runner().invoke(args=["evidence", "check"])
    assert checked.exit_code == 1 and "1 of the 2 evidence files in the database do not match" in checked.output

    # A file already in the folder under that name with other bytes: refused, both left as they are.
    monkeypatch.setitem(app_ctx.config, "EVIDENCE_STORE", "folder")
    with open(tmp_path / "folder" / good["stored_name"], "ab") as handle:
        handle.write(b"more")
    onto = migrate(app_ctx, "database")
    assert onto.exit_code == 1
    assert (f"refused: {good['stored_name']}: the database has another file under this name (sha256 {sha(PDF)}, "
            f"the source's is {sha(PDF + b'more')}): left as it is") in onto.output
    assert db.session.scalar(select(EvidenceBlob.sha256).where(EvidenceBlob.key == good["stored_name"])) == sha(PDF)


def test_a_large_file_is_sent_chunk_by_chunk(app_ctx, world, monkeypatch):
    monkeypatch.setitem(app_ctx.config, "EVIDENCE_STORE", "database")
    complaint = factories.make_complaint(world)
    recording = b"ID3" + os.urandom(20 * 1024 * 1024 - 3)  # a call's recording, as large as staff may add
    expected = sha(recording)
    stored = evidence.store([CleanFile("call.mp3", "audio/mpeg", ".mp3", recording)])
    db.session.add_all(evidence.rows_for(complaint, stored))
    db.session.commit()
    del recording
    item = db.session.scalar(select(Evidence).where(Evidence.complaint_id == complaint.id))
    reference, item_id = complaint.reference, item.id

    response = evidence_store.current().response(item.stored_name, "audio/mpeg", "call.mp3")
    assert response.direct_passthrough and inspect.isgenerator(response.response)
    response.close()

    reception = logged_in(app_ctx)
    tracemalloc.start()
    try:
        download = reception.get(f"/complaints/{reference}/evidence/{item_id}")
        assert download.status_code == 200 and download.is_streamed
        assert download.headers["Content-Length"] == str(20 * 1024 * 1024)
        digest, pieces = hashlib.sha256(), 0
        for chunk in download.response:
            digest.update(chunk)
            pieces += 1
        download.close()
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert digest.hexdigest() == expected and pieces == 80
    assert peak < 4 * 1024 * 1024, f"{peak / 1024 / 1024:.1f} MiB held at once"


def test_an_unknown_store_is_refused_when_the_app_starts(app):
    with pytest.raises(RuntimeError, match="REDRESS_EVIDENCE_STORE must be one of folder, database, not 's3'"):
        create_app("testing", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"], EVIDENCE_STORE="s3")
