"""Evidence files sent with a complaint: checked by content, cleaned, stored outside static/.

Images are decoded and re-encoded with Pillow, which drops EXIF (GPS location, camera serials) and any
bytes hidden after the image; PDFs are kept as sent. Staff logging a phone complaint may add the call's
recording (AMR, MP3, M4A, WAV, recognised by their first bytes), kept as sent; the public may not. Files
are stored under random names in the evidence store (`core/evidence_store.py`: the folder EVIDENCE_FOLDER,
instance/evidence by default, or the database) and served only to staff who may see the complaint, always as
a download (`downloads.py`).

Each file carries a "may identify" mark (a bill or a letter names the patient, their record number, the
complainant): on by default for every file of a confidential complaint, and reception or leadership set it
file by file (the `mark_file` step). A marked file is withheld from whoever may not read the complainant's
identity (`permissions.SEE_FILE`), until a disclosure opens it to them.
"""

from __future__ import annotations

import contextlib
import io
import os
import secrets
import warnings
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, ForeignKey, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship
from wtforms.validators import ValidationError

from ..core import evidence_store
from ..core.extensions import db
from ..core.time import UTCDateTime, utcnow
from .forms import EVIDENCE_ACCEPTED
from .models import Complaint

MAX_FILES = 5
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a phone photo is ~12-50 MP; beyond this decoding is a memory attack
# All the pictures of one submission together: five phone photos of 12 MP. A few tiny files of huge,
# blank pictures would otherwise cost seconds and hundreds of MB to decode in one request.
MAX_PIXELS_PER_REQUEST = 60_000_000
IMAGE_FORMATS = {"JPEG": ("image/jpeg", ".jpg"), "PNG": ("image/png", ".png"), "WEBP": ("image/jpeg", ".jpg"),
                 "GIF": ("image/png", ".png")}
PDF = ("application/pdf", ".pdf")
# A phone call of ten minutes is about 1 MB as AMR (what phones in China record calls as), 10 MB as MP3.
MAX_RECORDING_BYTES = 20 * 1024 * 1024


def recording(raw: bytes) -> tuple[str, str] | None:
    """(content type, extension) of a call recording, by its first bytes; None for anything else."""
    if raw.startswith(b"#!AMR"):
        return "audio/amr", ".amr"
    if raw.startswith(b"ID3") or (len(raw) > 1 and raw[0] == 0xFF and raw[1] & 0xE0 == 0xE0):
        return "audio/mpeg", ".mp3"
    if raw[4:8] == b"ftyp" and raw[8:12] in (b"M4A ", b"M4B "):
        return "audio/mp4", ".m4a"
    if raw[:4] == b"RIFF" and raw[8:12] == b"WAVE":
        return "audio/wav", ".wav"
    return None


class Evidence(db.Model):
    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    original_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Whether it may show who the complainant is (withheld from the department while they are hidden), and
    # whether a person set that rather than the default (a later confidentiality leaves their choice alone).
    may_identify: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    marked_by_hand: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    complaint: Mapped[Complaint] = relationship(
        backref=db.backref("evidence", order_by="Evidence.id", lazy="select"))


def rows_for(complaint: Complaint, stored: list[dict] | None) -> list[Evidence]:
    """The evidence rows of files just stored (`store()`) for `complaint`, marked as its confidentiality
    says: a confidential complainant's files may identify them until someone who has looked says not."""
    return [Evidence(complaint=complaint, may_identify=bool(complaint.confidential), **row) for row in stored or []]


def follow_confidentiality(complaint: Complaint) -> None:
    """A confidential complaint's files may identify the complainant, those that came before it was made
    confidential too, except those a person has marked (their look at the file stands). Every step of a
    confidential complaint keeps this so (`recording.py`)."""
    # Read without writing the complaint first: perform() writes it once, and each write bumps its version.
    with db.session.no_autoflush:
        files = complaint.evidence
    for item in files:
        if not item.marked_by_hand:
            item.may_identify = True


class EvidenceRejected(ValueError):
    """The file is not one we accept; the message says why, in the complainant's words."""


@dataclass
class CleanFile:
    original_name: str
    content_type: str
    extension: str
    data: bytes


def _safe_name(name: str) -> str:
    # Only for showing staff what the complainant called it; the stored name is random.
    name = os.path.basename((name or "").replace("\\", "/")).strip()
    return "".join(ch for ch in name if ch.isprintable())[:255] or "file"


def pixels(raw: bytes) -> int:
    """How many pixels a picture would decode to, read from its header alone (0 for anything else)."""
    from PIL import Image  # only when a file comes in: most requests never need Pillow

    try:
        with Image.open(io.BytesIO(raw)) as image:
            return image.width * image.height
    except Exception:  # noqa: BLE001 - not a picture (a PDF, or broken): clean() says what is wrong
        return 0


def _wrong_kind(recordings: bool):
    if recordings:
        return _l("The selected file must be a JPG, PNG or PDF, or a call recording (AMR, MP3, M4A or WAV).")
    return _l("The selected file must be a JPG, PNG or PDF.")


def clean(name: str, raw: bytes, recordings: bool = False) -> CleanFile:
    """Check the file by its content (never its name or declared type) and return what to store."""
    if recordings and (kind := recording(raw)):
        if len(raw) > MAX_RECORDING_BYTES:
            raise EvidenceRejected(_l("A call recording must be smaller than 20MB."))
        return CleanFile(_safe_name(name), kind[0], kind[1], raw)
    if len(raw) > MAX_FILE_BYTES:
        raise EvidenceRejected(_l("The selected file must be smaller than 5MB."))
    if not raw:
        raise EvidenceRejected(_l("The selected file is empty."))
    if raw.startswith(b"%PDF-"):
        return CleanFile(_safe_name(name), PDF[0], PDF[1], raw)
    from PIL import Image, ImageOps

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(raw))
            if image.format not in IMAGE_FORMATS or image.width * image.height > MAX_PIXELS:
                raise EvidenceRejected(_wrong_kind(recordings))
            image.load()
            kind = image.format
            # Turn the picture upright first: the orientation lives in the EXIF we are about to drop.
            image = ImageOps.exif_transpose(image)
    except EvidenceRejected:
        raise
    except Exception:  # Pillow raises many kinds for a broken or hostile file: all mean "not an image"
        raise EvidenceRejected(_wrong_kind(recordings)) from None
    content_type, extension = IMAGE_FORMATS[kind]
    out = io.BytesIO()
    if content_type == "image/jpeg":
        image.convert("RGB").save(out, "JPEG", quality=88)
    else:
        image = image.convert("RGBA") if image.mode in ("P", "LA", "RGBA") else image.convert("RGB")
        image.save(out, "PNG")
    return CleanFile(_safe_name(name), content_type, extension, out.getvalue())


ACCEPTED = EVIDENCE_ACCEPTED  # what a file field offers to choose


def checked_uploads(uploads, recordings: bool = False) -> list[CleanFile]:
    """The files sent with a form (a file field's data), checked and cleaned; ValidationError with the
    words to show otherwise. The same checks on every form that takes files; `recordings`: staff intake,
    which may add a call's recording too."""
    files = [f for f in (uploads or []) if getattr(f, "filename", None)]
    if len(files) > MAX_FILES:
        raise ValidationError(_l("Select up to 5 files."))
    limit = MAX_RECORDING_BYTES if recordings else MAX_FILE_BYTES
    raws = [(upload, upload.stream.read(limit + 1)) for upload in files]
    # Before anything is decoded: the pictures' sizes from their headers.
    if sum(pixels(raw) for _upload, raw in raws) > MAX_PIXELS_PER_REQUEST:
        raise ValidationError(_l("These pictures are too large together: send fewer, or smaller ones."))
    cleaned = []
    for upload, raw in raws:
        try:
            cleaned.append(clean(upload.filename, raw, recordings))
        except EvidenceRejected as rejected:
            raise ValidationError(f"{_safe_name(upload.filename)}: {rejected}") from None
    return cleaned


folder = evidence_store.folder  # this server's evidence folder (the folder store's)


class EvidenceNotStored(Exception):
    """The evidence store refused a file (the folder full, read-only, gone): nothing of the submission is
    kept."""


def store(files: list[CleanFile]) -> list[dict]:
    """Store the files under random names (in the store REDRESS_EVIDENCE_STORE names); returns the rows'
    data for registration.create(). All or none: the database store writes them in the session's
    transaction, committed with the complaint or not at all; in the folder, if one cannot be written, those
    already written are removed (and discard() removes them if the transaction fails later)."""
    rows = []
    try:
        kept = evidence_store.current()  # the folder, made if missing: it too may be refused
        for item in files:
            stored_name = secrets.token_hex(16) + item.extension
            rows.append({"stored_name": stored_name, "original_name": item.original_name,
                         "content_type": item.content_type, "size": len(item.data)})
            kept.put(stored_name, evidence_store.pieces(item.data))
    except OSError as error:
        current_app.logger.error("evidence folder refused a file: %s", error)
        discard(rows)
        raise EvidenceNotStored(str(error)) from error
    return rows


def discard(rows: list[dict]) -> None:
    """Remove stored files whose complaint was never saved (the folder's: the database's went with the
    transaction)."""
    with contextlib.suppress(OSError):  # no folder to remove them from: none was written
        evidence_store.current().discard([row["stored_name"] for row in rows])


def read(stored_name: str) -> bytes:
    """A stored file whole, for what reads all of it anyway (a set-aside email, taken)."""
    return b"".join(evidence_store.current().chunks(stored_name))
