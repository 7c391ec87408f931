"""Where evidence files are kept, behind one interface: a folder on this server's disk (`FolderStore`, the
default) or the database itself (`DatabaseStore`), chosen by REDRESS_EVIDENCE_STORE=folder|database.

The folder is the simplest for one server: files sit on its disk beside the database, and a backup copies
both. Several app servers share no folder, so there the database store keeps every file in two tables,
`evidence_blobs` (one row per file: its key, size and sha256) and `evidence_chunks` (its bytes, 256 KiB to a
row, in order): any server serves any file, and a file is written in the same transaction as the complaint
that names it, so a failed transaction leaves no file behind. Files go in and out chunk by chunk, never whole
in memory: a download is a generator reading one chunk at a time, on a connection of its own (the request's
own session has ended by then).

`flask evidence migrate --to database|folder` copies every file from one store to the other, each checked
against its checksum once copied; rerun, it copies only what is not there yet.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import quote

import click
from flask import Flask, Response, current_app, send_file
from flask.cli import AppGroup
from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column

from .extensions import db
from .progress import progress_bar
from .time import UTCDateTime, utcnow

CHUNK_BYTES = 256 * 1024
STORES = ("folder", "database")
PARTIAL = ".partial"  # a file being written into the folder: never taken for a whole one

log = logging.getLogger(__name__)


class EvidenceBlob(db.Model):
    """One file of the database store; its bytes are its chunks'."""

    __tablename__ = "evidence_blobs"
    __table_args__ = (CheckConstraint("size >= 0", name="size_not_negative"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)  # the stored name the evidence row holds
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EvidenceChunk(db.Model):
    """CHUNK_BYTES of a file (its last one fewer), numbered from 0."""

    __tablename__ = "evidence_chunks"
    __table_args__ = (
        UniqueConstraint("blob_id", "seq", name="uq_evidence_chunks_blob_seq"),
        CheckConstraint("seq >= 0", name="seq_not_negative"),
        CheckConstraint("length(data) > 0", name="chunk_not_empty"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    blob_id: Mapped[int] = mapped_column(ForeignKey("evidence_blobs.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)


BLOBS, CHUNKS = EvidenceBlob.__table__, EvidenceChunk.__table__


@dataclass(frozen=True)
class Stored:
    """What a store holds under a key: its size and the sha256 of its bytes."""

    key: str
    size: int
    sha256: str


def pieces(data: bytes) -> Iterator[bytes]:
    """Bytes already in memory (a cleaned upload), as the chunks a store takes."""
    view = memoryview(data)
    for start in range(0, len(view), CHUNK_BYTES):
        yield bytes(view[start:start + CHUNK_BYTES])


def rechunked(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Chunks of any size as chunks of CHUNK_BYTES (the last fewer), none empty."""
    pending = bytearray()
    for chunk in chunks:
        pending += chunk
        while len(pending) >= CHUNK_BYTES:
            yield bytes(pending[:CHUNK_BYTES])
            del pending[:CHUNK_BYTES]
    if pending:
        yield bytes(pending)


def _checked_key(key: str) -> str:
    # Keys are the random stored names the app makes: never a path.
    if not key or "/" in key or "\\" in key or key in (".", "..") or key.endswith(PARTIAL):
        raise ValueError(f"not an evidence key: {key!r}")
    return key


def attachment(response: Response, download_name: str) -> None:
    """Content-Disposition: attachment, as send_file writes it (an ASCII name, and the UTF-8 one beside it)."""
    try:
        download_name.encode("ascii")
    except UnicodeEncodeError:
        simple = unicodedata.normalize("NFKD", download_name).encode("ascii", "ignore").decode("ascii")
        names = {"filename": simple, "filename*": f"UTF-8''{quote(download_name, safe='!#$&+^`|~')}"}
    else:
        names = {"filename": download_name}
    response.headers.set("Content-Disposition", "attachment", **names)


# --- the folder --------------------------------------------------------------------------------------------


class FolderStore:
    """Files under their keys in one folder of this server (EVIDENCE_FOLDER, instance/evidence by default)."""

    name = "folder"

    def __init__(self, path: str):
        self.path = path

    def _file(self, key: str) -> str:
        return os.path.join(self.path, _checked_key(key))

    def put(self, key: str, chunks: Iterable[bytes]) -> Stored:
        """Written beside its name, on disk (fsync: a full disk says so now, not after the complaint is
        saved), then renamed: what has the name is whole. OSError if the folder refuses it."""
        os.makedirs(self.path, exist_ok=True)
        target = self._file(key)
        partial = target + PARTIAL
        digest, size = hashlib.sha256(), 0
        try:
            with open(partial, "xb") as handle:
                for chunk in chunks:
                    handle.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(partial, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.remove(partial)
            raise
        return Stored(key, size, digest.hexdigest())

    def discard(self, keys: Iterable[str]) -> None:
        """Files of a transaction that failed: the folder does not take part in it, so they are removed."""
        for key in keys:
            with contextlib.suppress(OSError, ValueError):
                os.remove(self._file(key))

    def remove(self, key: str) -> None:
        os.remove(self._file(key))

    def exists(self, key: str) -> bool:
        return os.path.isfile(self._file(key))

    def keys(self) -> list[str]:
        if not os.path.isdir(self.path):
            return []
        return sorted(name for name in os.listdir(self.path)
                      if not name.endswith(PARTIAL) and os.path.isfile(os.path.join(self.path, name)))

    def chunks(self, key: str) -> Iterator[bytes]:
        with open(self._file(key), "rb") as handle:
            yield from iter(lambda: handle.read(CHUNK_BYTES), b"")

    def checksum(self, key: str) -> Stored:
        """What the file's bytes are now (the folder records no checksum of its own)."""
        return _measured(key, self.chunks(key))

    def response(self, key: str, mimetype: str, download_name: str) -> Response | None:
        path = self._file(key)
        if not os.path.isfile(path):
            return None
        return send_file(path, mimetype=mimetype, as_attachment=True, download_name=download_name, max_age=0)


def _measured(key: str, chunks: Iterable[bytes]) -> Stored:
    digest, size = hashlib.sha256(), 0
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
    return Stored(key, size, digest.hexdigest())


# --- the database ------------------------------------------------------------------------------------------


class BlobDamaged(Exception):
    """A file of the database store whose chunks do not add up to its recorded size and sha256."""


class DatabaseStore:
    """Files as rows, written in the session's transaction: committed with what names them, or not at all."""

    name = "database"

    def put(self, key: str, chunks: Iterable[bytes]) -> Stored:
        digest, size, seq = hashlib.sha256(), 0, 0
        # Core statements, sent at once and kept nowhere: the session's identity map would otherwise hold
        # every chunk until the commit. No autoflush: a step's record is written once, by the step.
        with db.session.no_autoflush:
            blob_id = db.session.execute(insert(BLOBS).values(key=_checked_key(key), size=0, sha256="",
                                                              stored_at=utcnow()).returning(BLOBS.c.id)).scalar_one()
            for chunk in rechunked(chunks):
                db.session.execute(insert(CHUNKS).values(blob_id=blob_id, seq=seq, data=chunk))
                digest.update(chunk)
                size += len(chunk)
                seq += 1
            db.session.execute(update(BLOBS).where(BLOBS.c.id == blob_id)
                               .values(size=size, sha256=digest.hexdigest()))
        return Stored(key, size, digest.hexdigest())

    def discard(self, keys: Iterable[str]) -> None:
        """Nothing to do: the transaction that failed took its files with it."""

    def remove(self, key: str) -> None:
        blob = select(BLOBS.c.id).where(BLOBS.c.key == key).scalar_subquery()
        db.session.execute(delete(CHUNKS).where(CHUNKS.c.blob_id == blob))
        db.session.execute(delete(BLOBS).where(BLOBS.c.key == key))

    def recorded(self, key: str) -> tuple[int, Stored] | None:
        row = db.session.execute(select(BLOBS.c.id, BLOBS.c.size, BLOBS.c.sha256).where(BLOBS.c.key == key)).first()
        return None if row is None else (row.id, Stored(key, row.size, row.sha256))

    def exists(self, key: str) -> bool:
        return self.recorded(key) is not None

    def keys(self) -> list[str]:
        return list(db.session.scalars(select(BLOBS.c.key).order_by(BLOBS.c.key)))

    def chunks(self, key: str) -> Iterator[bytes]:
        """The file's bytes in order, one chunk read at a time (in the session: for commands)."""
        found = self.recorded(key)
        if found is None:
            raise FileNotFoundError(key)
        yield from _blob_chunks(db.session, found[0])

    def checksum(self, key: str) -> Stored:
        """What the chunks add up to; BlobDamaged if that is not what was recorded (or a chunk is missing)."""
        found = self.recorded(key)
        if found is None:
            raise FileNotFoundError(key)
        blob_id, recorded = found
        return check_blob(db.session, blob_id, recorded)

    def response(self, key: str, mimetype: str, download_name: str) -> Response | None:
        found = self.recorded(key)
        if found is None:
            return None
        blob_id, recorded = found
        response = Response(_streamed(db.engine, blob_id, recorded), mimetype=mimetype, direct_passthrough=True)
        response.content_length = recorded.size
        attachment(response, download_name)
        return response


def _blob_chunks(connection, blob_id: int, numbered: bool = False) -> Iterator:
    """One chunk per statement, in order (the unique (blob, seq) index finds each)."""
    seq = -1
    while True:
        row = connection.execute(select(CHUNKS.c.seq, CHUNKS.c.data)
                                 .where(CHUNKS.c.blob_id == blob_id, CHUNKS.c.seq > seq)
                                 .order_by(CHUNKS.c.seq).limit(1)).first()
        if row is None:
            return
        seq = row.seq
        yield (row.seq, bytes(row.data)) if numbered else bytes(row.data)
        row = None


def check_blob(connection, blob_id: int, recorded: Stored) -> Stored:
    digest, size = hashlib.sha256(), 0
    for expected, (seq, chunk) in enumerate(_blob_chunks(connection, blob_id, numbered=True)):
        if seq != expected:
            raise BlobDamaged(f"{recorded.key}: chunk {expected} is missing")
        digest.update(chunk)
        size += len(chunk)
    found = Stored(recorded.key, size, digest.hexdigest())
    if found != recorded:
        raise BlobDamaged(f"{recorded.key}: its chunks hold {size} bytes of sha256 {found.sha256}, "
                          f"not the {recorded.size} bytes of sha256 {recorded.sha256} stored")
    return found


def _streamed(engine, blob_id: int, recorded: Stored) -> Iterator[bytes]:
    """A download's body, sent after the request's own session has ended: a connection of its own, each
    chunk its own short read (PostgreSQL: in autocommit, no transaction held open while the visitor's line
    is slow; SQLite: a read transaction per chunk, which blocks no writer)."""
    options = {"isolation_level": "AUTOCOMMIT"} if engine.dialect.name == "postgresql" else {"reading": True}
    digest = hashlib.sha256()
    with engine.connect().execution_options(**options) as connection:
        seq = -1
        while True:
            row = connection.execute(select(CHUNKS.c.seq, CHUNKS.c.data)
                                     .where(CHUNKS.c.blob_id == blob_id, CHUNKS.c.seq > seq)
                                     .order_by(CHUNKS.c.seq).limit(1)).first()
            connection.rollback()  # the read is over: nothing held between chunks
            if row is None:
                break
            seq, chunk = row.seq, bytes(row.data)
            row = None
            digest.update(chunk)
            yield chunk
    if digest.hexdigest() != recorded.sha256:
        # Sent already (the headers went first): said in the log, for `flask evidence check` to find.
        log.error("evidence file %s was sent but does not match its checksum", recorded.key)


# --- the store this app uses -------------------------------------------------------------------------------


def folder() -> str:
    """The evidence folder of this server (made if missing)."""
    path = current_app.config.get("EVIDENCE_FOLDER") or os.path.join(current_app.instance_path, "evidence")
    os.makedirs(path, exist_ok=True)
    return path


def store_named(name: str) -> FolderStore | DatabaseStore:
    if name == "folder":
        return FolderStore(folder())
    if name == "database":
        return DatabaseStore()
    raise RuntimeError(f"REDRESS_EVIDENCE_STORE must be one of {', '.join(STORES)}, not {name!r}.")


def current() -> FolderStore | DatabaseStore:
    """The store REDRESS_EVIDENCE_STORE names (the folder unless told otherwise)."""
    return store_named(current_app.config.get("EVIDENCE_STORE") or "folder")


def verify_blobs(label: str = "Checking the evidence files in the database") -> tuple[int, list[str]]:
    """Every file of the database store read back against its sha256: how many there are, and what is
    wrong with those that are damaged."""
    rows = db.session.execute(select(BLOBS.c.id, BLOBS.c.key, BLOBS.c.size, BLOBS.c.sha256)
                              .order_by(BLOBS.c.key)).all()
    damaged = []
    with progress_bar(label, rows) as checking:
        for row in checking:
            try:
                check_blob(db.session, row.id, Stored(row.key, row.size, row.sha256))
            except BlobDamaged as error:
                damaged.append(str(error))
    db.session.rollback()
    return len(rows), damaged


# --- moving files between the stores -----------------------------------------------------------------------


@dataclass
class Moved:
    copied: list[str] = field(default_factory=list)
    already_there: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # "key: why"
    removed: int = 0


def _finish(target) -> None:
    if isinstance(target, DatabaseStore):
        db.session.commit()


def migrate(to: str, remove_source: bool = False) -> Moved:
    """Copy every file of the other store into `to`, each read back and checked against the source's
    checksum; a file already there with the same bytes is left as it is, one there with other bytes (or a
    source file whose chunks do not match its checksum) is refused and nothing is changed for it."""
    target = store_named(to)
    source = store_named("folder" if to == "database" else "database")
    moved = Moved()
    keys = source.keys()
    with progress_bar(f"Copying the evidence files to the {to}", keys) as copying:
        for key in copying:
            reason = ""
            try:
                wanted = source.checksum(key)
            except BlobDamaged as error:
                moved.refused.append(f"{error} (damaged in the database: not copied)")
                db.session.rollback()
                continue
            if target.exists(key):
                try:
                    there = target.checksum(key)
                except BlobDamaged as error:
                    there = None
                    reason = str(error)
                if there == wanted:
                    moved.already_there.append(key)
                else:
                    moved.refused.append(reason if there is None else
                                         f"{key}: the {to} has another file under this name (sha256 "
                                         f"{there.sha256}, the source's is {wanted.sha256}): left as it is")
                    db.session.rollback()
                    continue
            else:
                try:
                    target.put(key, source.chunks(key))
                    copied = target.checksum(key)
                except (OSError, BlobDamaged) as error:
                    copied, reason = None, str(error)
                if copied != wanted:
                    db.session.rollback()
                    if isinstance(target, FolderStore):
                        target.discard([key])
                    moved.refused.append(reason if copied is None else
                                         f"{key}: the copy does not match the source's checksum: not kept")
                    continue
                _finish(target)
                moved.copied.append(key)
            if remove_source:
                source.remove(key)
                moved.removed += 1
            db.session.commit()
    return moved


@click.group(cls=AppGroup)
def evidence():
    """Where evidence files are kept (REDRESS_EVIDENCE_STORE)."""


@evidence.command("migrate")
@click.option("--to", "to", type=click.Choice(STORES), required=True, help="The store to copy every file into.")
@click.option("--remove-source", is_flag=True,
              help="Remove each file from the other store once its copy has been checked.")
def migrate_command(to, remove_source):
    """Copy every evidence file into the database or the folder, each checked against its checksum once
    copied; files already there are left as they are, so it can be run again. Stop the app (or put it in
    maintenance) first, then set REDRESS_EVIDENCE_STORE and start it again."""
    moved = migrate(to, remove_source)
    click.echo(f"Evidence files moved to the {to}: {len(moved.copied)} copied, {len(moved.already_there)} already "
               f"there with the same checksum, {len(moved.refused)} refused."
               + (f" {moved.removed} removed from the other store." if remove_source else ""))
    if moved.refused:
        for reason in moved.refused:
            click.echo(f"  refused: {reason}", err=True)
        raise click.ClickException(f"{len(moved.refused)} files were not copied (see above): nothing was changed "
                                   "for them. Keep REDRESS_EVIDENCE_STORE as it is until they are.")
    current = current_app.config.get("EVIDENCE_STORE") or "folder"
    if current != to:
        click.echo(f"Set REDRESS_EVIDENCE_STORE={to} on every app server and start them again.")


@evidence.command("check")
def check_command():
    """Read every file of the database store back against its checksum."""
    count, damaged = verify_blobs()
    for reason in damaged:
        click.echo(f"  damaged: {reason}", err=True)
    if damaged:
        raise click.ClickException(f"{len(damaged)} of the {count} evidence files in the database do not match "
                                   "their checksums: restore them from a backup.")
    click.echo(f"{count} evidence files in the database, every one matching its checksum.")


def register_cli(app: Flask) -> None:
    app.cli.add_command(evidence)
