"""Taking mail: one message into a complaint, or into the set-aside list, in one transaction; and the poll
that reads the mailbox over IMAP.

A message is taken once whatever crashes. Its row in `taken_mail` (unique by mailbox position and by
Message-ID) is written in the transaction that registers its complaint, and the message is moved (or
flagged) in the mailbox only after that commit. A poller stopped between the commit and the move finds the
row on its next pass and only moves the message then.
"""

from __future__ import annotations

import contextlib
import imaplib
import re
import ssl
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from ..complaints import evidence, operations, registration
from ..complaints.lifecycle import Action
from ..complaints.models import Channel, Complaint, ContactMethod
from ..core.extensions import db
from ..core.roles import SYSTEM
from ..core.time import utcnow
from ..notifications.models import OutboxMessage
from ..notifications.senders import message_id_token
from .models import TakenMail
from .reading import MAX_TEXT, Reading, headers_only, read

EML = ("message/rfc822", ".eml")


@dataclass(frozen=True)
class Mailbox:
    """Where the office's mail is read (the REDRESS_IMAP_* settings, docs/configuration.md)."""

    host: str
    port: int
    tls: str  # "implicit", "starttls" or "none"
    user: str
    password: str
    folder: str = "INBOX"
    taken_folder: str | None = "Redress/Taken"
    taken_flag: str | None = None
    max_bytes: int = 25 * 1024 * 1024

    @classmethod
    def configured(cls) -> Mailbox | None:
        config = current_app.config
        if not config.get("IMAP_HOST"):
            return None
        return cls(host=config["IMAP_HOST"], port=int(config["IMAP_PORT"]), tls=config["IMAP_TLS"],
                   user=config["IMAP_USER"] or "", password=config["IMAP_PASSWORD"] or "",
                   folder=config["IMAP_FOLDER"], taken_folder=config["IMAP_TAKEN_FOLDER"] or None,
                   taken_flag=config["IMAP_TAKEN_FLAG"] or None, max_bytes=int(config["IMAP_MAX_BYTES"]))


def _staff_words(text) -> str:
    # A note stored as a fact is read by staff: in the staff's language, as the timeline shows it.
    with force_locale(current_app.config.get("STAFF_LANGUAGE", "zh")):
        return str(text)


def _files(reading: Reading, raw: bytes | None) -> tuple[list[evidence.CleanFile], list[str]]:
    """The attachments that pass the public form's checks (kind, size, how many, the pictures' pixels
    together), the original message kept whole; and what was refused, with why."""
    kept, refused = [], []
    budget = evidence.MAX_PIXELS_PER_REQUEST
    for attachment in reading.attachments:
        name = evidence._safe_name(attachment.name)
        if len(kept) >= evidence.MAX_FILES:
            refused.append(f"{name}: {_staff_words(_l('Select up to 5 files.'))}")
            continue
        pixels = evidence.pixels(attachment.data)
        if pixels > budget:
            too_large = _l("These pictures are too large together: send fewer, or smaller ones.")
            refused.append(f"{name}: {_staff_words(too_large)}")
            continue
        try:
            kept.append(evidence.clean(name, attachment.data))
        except evidence.EvidenceRejected as rejected:
            refused.append(f"{name}: {_staff_words(rejected)}")
            continue
        budget -= pixels
    if raw is not None:
        kept.append(evidence.CleanFile("original-message.eml", EML[0], EML[1], raw))
    return kept, refused


def _complaint_data(reading: Reading) -> dict:
    text = "\n\n".join(part for part in (reading.subject, reading.text) if part) or "—"
    data = {"channel": Channel.email.value, "what_happened": text[:MAX_TEXT],
            "language": current_app.config.get("STAFF_LANGUAGE", "zh")}
    if reading.sender_name:
        data["complainant_name"] = reading.sender_name
    if reading.sender_address:
        data["complainant_email"] = reading.sender_address
        data["preferred_reply"] = ContactMethod.email.value
    return data


def register(reading: Reading, raw: bytes | None, refused: list[str] | None = None, *, received_at=None):
    """The complaint of a mailed message, as the public form submits one (the caller commits). Returns the
    registration's result and the stored evidence rows (to remove if the transaction fails)."""
    files, refused_files = _files(reading, raw)
    refused = [*(refused or []), *refused_files]
    stored = evidence.store(files)
    data = {**_complaint_data(reading), "evidence": stored}
    facts = {"email_refused": "\n".join(refused)} if refused else None
    return registration.create(None, data, received_at=received_at, facts=facts), stored


def already_taken(folder: str, uidvalidity: int, uid: int, message_id: str | None) -> TakenMail | None:
    position = (TakenMail.folder == folder) & (TakenMail.uidvalidity == uidvalidity) & (TakenMail.uid == uid)
    clause = or_(position, TakenMail.message_id == message_id) if message_id else position
    return db.session.scalars(select(TakenMail).where(clause).limit(1)).first()


def take(raw: bytes, folder: str, uidvalidity: int, uid: int, *, too_large_bytes: int | None = None) -> bool:
    """Take one message (its whole bytes, or only its headers when it was `too_large_bytes`): a complaint,
    or a row of the set-aside list. Commits. False when it had been taken already (by another pass)."""
    reading = headers_only(raw) if too_large_bytes else read(raw)
    if already_taken(folder, uidvalidity, uid, reading.message_id):
        return False
    row = TakenMail(folder=folder, uidvalidity=uidvalidity, uid=uid, message_id=reading.message_id,
                    sender=_sender(reading)[:320], subject=reading.subject, sent_at=reading.sent_at,
                    received_at=utcnow())
    stored = []
    try:
        if reading.set_aside_because:
            row.set_aside_because = reading.set_aside_because
            stored = evidence.store([evidence.CleanFile("original-message.eml", *EML, raw)])
            row.stored_name = stored[0]["stored_name"]
        elif (complaint := replied_complaint(reading)) is not None:
            stored = attach_reply(complaint, reading, None if too_large_bytes else raw,
                                  [_staff_words(_too_large(too_large_bytes))] if too_large_bytes else [])
            row.complaint = complaint
        else:
            refused = []
            if too_large_bytes:
                refused.append(_staff_words(_too_large(too_large_bytes)))
            result, stored = register(reading, None if too_large_bytes else raw, refused)
            row.complaint = result.complaint
        db.session.add(row)
        db.session.commit()
    except IntegrityError:
        # Another poller took it in the meantime: its complaint stands, ours is not kept.
        db.session.rollback()
        evidence.discard(stored)
        return False
    except Exception:
        db.session.rollback()
        evidence.discard(stored)
        raise
    return True


# A complaint's reference as the office's emails write it in their subject ("Re: … TS-2026-000123").
REFERENCE = re.compile(r"\bTS-\d{4}-\d{6}\b")


def replied_complaint(reading: Reading) -> Complaint | None:
    """The complaint this message answers, if it is a complainant's reply: it answers a Message-ID the
    outbox sent them, or it names a complaint's reference (in its subject, or in the address it was sent
    to: the outbox's Reply-To) and comes from that complaint's own email address (a reference alone is no
    proof: anyone can type one)."""
    sender = (reading.sender_address or "").lower()
    if not sender:
        return None
    if reading.replies_to:
        tokens = {reply.partition("@")[0] for reply in reading.replies_to}
        sent = db.session.execute(
            select(OutboxMessage.key, OutboxMessage.complaint_id)
            .where(OutboxMessage.channel == "email", func.lower(OutboxMessage.recipient) == sender,
                   OutboxMessage.complaint_id.is_not(None)))
        for key, complaint_id in sent:
            if message_id_token(key) in tokens:
                return db.session.get(Complaint, complaint_id)
    for reference in REFERENCE.findall(f"{reading.subject} {reading.recipients}"):
        complaint = db.session.scalars(select(Complaint).where(Complaint.reference == reference)).first()
        if complaint is not None and (complaint.complainant_email or "").lower() == sender:
            return complaint
    return None


def attach_reply(complaint: Complaint, reading: Reading, raw: bytes | None, refused: list[str]) -> list[dict]:
    """The complainant's reply on their complaint's timeline, its files as evidence (the caller commits).
    Returns the stored evidence rows."""
    files, refused_files = _files(reading, raw)
    stored = evidence.store(files)
    text = "\n\n".join(part for part in (reading.subject, reading.text) if part) or "—"
    refused = [*refused, *refused_files]
    operations.perform(SYSTEM, Action.email_received, complaint,
                       {"text": text[:MAX_TEXT], "evidence": stored,
                        "email_refused": "\n".join(refused) or None}, None)
    return stored


def _too_large(size: int):
    return _l("The email was too large to take whole (%(size)s MB): its text and files are still in the "
              "office's mailbox, in the folder of mail taken.", size=f"{size / 1024 / 1024:.1f}")


def _sender(reading: Reading) -> str:
    if reading.sender_name and reading.sender_address:
        return f"{reading.sender_name} <{reading.sender_address}>"
    return reading.sender_address or reading.sender_name or ""


def take_set_aside(user, mail: TakenMail):
    """Reception turns a set-aside message into a complaint anyway: registered as if it had been taken
    at once (received when it arrived), with a note in reception's name on its timeline. The caller commits."""
    raw = evidence.read(mail.stored_name)
    result, stored = register(read(raw), raw, received_at=mail.received_at)
    operations.perform(user, Action.note, result.complaint, {"system": "taken_from_set_aside"}, None)
    # Only if nobody took it meanwhile (two people at the same button): the row is claimed in this
    # transaction, and the second finds it claimed.
    claimed = db.session.execute(
        update(TakenMail).where(TakenMail.id == mail.id, TakenMail.complaint_id.is_(None))
        .values(complaint_id=result.complaint.id, taken_by_id=user.id, taken_at=utcnow())
        .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        raise AlreadyTaken(mail)
    return result, stored


class AlreadyTaken(Exception):
    """Someone turned this set-aside message into a complaint a moment ago."""


# --- the IMAP side --------------------------------------------------------------------------------------


def connect(box: Mailbox) -> imaplib.IMAP4:
    timeout = 60
    if box.tls == "implicit":
        imap = imaplib.IMAP4_SSL(box.host, box.port, ssl_context=ssl.create_default_context(), timeout=timeout)
    else:
        imap = imaplib.IMAP4(box.host, box.port, timeout=timeout)
        if box.tls == "starttls":
            imap.starttls(ssl.create_default_context())
    imap.login(box.user, box.password)
    return imap


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _ok(answer, what: str):
    status, data = answer
    if status != "OK":
        raise imaplib.IMAP4.error(f"{what}: {data!r}")
    return data


def _uidvalidity(imap: imaplib.IMAP4) -> int:
    _status, data = imap.response("UIDVALIDITY")
    return int(data[0])


def _waiting(imap: imaplib.IMAP4, box: Mailbox) -> list[int]:
    criteria = ("UNKEYWORD", box.taken_flag) if box.taken_flag and not box.taken_folder else ("ALL",)
    data = _ok(imap.uid("SEARCH", *criteria), "search")
    return [int(uid) for uid in (data[0] or b"").split()]


def _size(imap: imaplib.IMAP4, uid: int) -> int:
    data = _ok(imap.uid("FETCH", str(uid), "(RFC822.SIZE)"), "size")
    for item in data:
        text = item.decode() if isinstance(item, bytes) else str(item)
        if "RFC822.SIZE" in text:
            return int(text.split("RFC822.SIZE", 1)[1].replace(")", " ").split()[0])
    return 0


def _fetch(imap: imaplib.IMAP4, uid: int, part: str) -> bytes:
    data = _ok(imap.uid("FETCH", str(uid), f"(BODY.PEEK[{part}])"), "fetch")
    for item in data:
        if isinstance(item, tuple):
            return item[1]
    raise imaplib.IMAP4.error(f"fetch {uid}: no message")


def server_name(imap: imaplib.IMAP4, folder: str) -> str:
    """The folder as this server writes it: settings name levels with "/", some servers use "."."""
    _status, data = imap.list('""', '""')
    line = (data or [b""])[0] or b""
    line = line.decode(errors="replace") if isinstance(line, bytes) else str(line)
    parts = line.split('"')
    delimiter = parts[1] if len(parts) > 2 and len(parts[1]) == 1 else "/"
    return folder.replace("/", delimiter)


def put_away(imap: imaplib.IMAP4, box: Mailbox, uid: int, taken_folder: str | None) -> None:
    """Out of the folder read (moved to the folder of mail taken), or flagged as taken."""
    if taken_folder:
        if "MOVE" in imap.capabilities:
            _ok(imap.uid("MOVE", str(uid), _quoted(taken_folder)), "move")
        else:
            _ok(imap.uid("COPY", str(uid), _quoted(taken_folder)), "copy")
            _ok(imap.uid("STORE", str(uid), "+FLAGS.SILENT", r"(\Deleted)"), "delete")
            imap.expunge()
    else:
        _ok(imap.uid("STORE", str(uid), "+FLAGS.SILENT", f"({box.taken_flag})"), "flag")


def poll(box: Mailbox, *, before_put_away: Callable[[int], None] | None = None) -> tuple[int, int]:
    """One pass over the mailbox: every message waiting is taken (once) and put away. Returns how many
    were taken (a complaint, a reply on one, or set aside), and how many were put away only (taken on an
    earlier pass). A message that cannot be taken is logged and left where it is; the pass goes on."""
    imap = connect(box)
    taken = again = 0
    try:
        taken_folder = server_name(imap, box.taken_folder) if box.taken_folder else None
        if taken_folder:
            imap.create(_quoted(taken_folder))  # NO when it exists already: that is fine
        _ok(imap.select(_quoted(server_name(imap, box.folder))), "select")
        uidvalidity = _uidvalidity(imap)
        for uid in _waiting(imap, box):
            if already_taken(box.folder, uidvalidity, uid, None) is None:
                size = _size(imap, uid)
                if size > box.max_bytes:
                    raw, too_large = _fetch(imap, uid, "HEADER"), size
                else:
                    raw, too_large = _fetch(imap, uid, ""), None
                try:
                    done = take(raw, box.folder, uidvalidity, uid, too_large_bytes=too_large)
                except Exception:  # noqa: BLE001 - one message that cannot be taken must not block the rest
                    # Left in the folder, untaken, for the next pass (a full evidence folder) or a person.
                    current_app.logger.exception("mail in: message %s of %s could not be taken", uid, box.folder)
                    continue
                taken, again = (taken + 1, again) if done else (taken, again + 1)
            else:
                again += 1
            if before_put_away is not None:
                before_put_away(uid)
            put_away(imap, box, uid, taken_folder)
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            imap.logout()
    return taken, again
