"""The relay: takes due outbox rows, sends them, records the outcome, retries with backoff.

A row is claimed in a short transaction (PostgreSQL: SELECT … FOR UPDATE SKIP LOCKED, so two relays never
take the same row; SQLite: BEGIN IMMEDIATE serializes the claims) and marked `sending` with a lease; it is
sent outside any transaction (no lock held while SMTP talks), and the outcome is committed row by row. A
relay that dies mid-send leaves its rows to be taken again when the lease runs out: delivery is at least
once across a crash (with the same Message-ID), exactly once otherwise.
"""

from __future__ import annotations

import smtplib
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, bindparam, func, select, update

from ..core.database import insert_or_ignore
from ..core.extensions import db
from ..core.time import utcnow
from .models import Medium, OutboxMessage, OutboxStatus, StaffNotification
from .senders import email_sender, sms_sender


@dataclass
class Claimed:
    id: int
    key: str
    kind: str
    channel: str
    recipient: str
    recipient_user_id: int | None
    complaint_id: int | None
    language: str
    subject: str
    body: str
    facts: dict | None
    attempts: int
    created_at: datetime  # when what it tells of happened (queued in that action's transaction)


@dataclass
class PassResult:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return self.sent + self.retrying + self.failed


def backoff(attempts: int) -> timedelta:
    """Wait after the `attempts`-th failed attempt: base, 2×base, 4×base… up to the maximum."""
    config = current_app.config
    seconds = config["OUTBOX_BACKOFF_SECONDS"] * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, config["OUTBOX_BACKOFF_MAX_SECONDS"]))


def claim(limit: int) -> list[Claimed]:
    """Take up to `limit` due rows for this relay, in their own short transaction."""
    db.session.commit()  # start from a fresh transaction (SQLite: this BEGIN IMMEDIATE takes the lock)
    now = utcnow()
    due = and_(OutboxMessage.next_attempt_at <= now,
               OutboxMessage.status.in_([OutboxStatus.pending.value, OutboxStatus.sending.value]))
    query = select(OutboxMessage).where(due).order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit)
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = db.session.scalars(query).all()
    lease = now + timedelta(seconds=current_app.config["OUTBOX_LEASE_SECONDS"])
    claimed = []
    for row in rows:
        row.status = OutboxStatus.sending.value
        row.attempts += 1
        row.next_attempt_at = lease
        claimed.append(Claimed(row.id, row.key, row.kind, row.channel, row.recipient, row.recipient_user_id,
                               row.complaint_id, row.language, row.subject, row.body, row.facts, row.attempts,
                               row.created_at))
    db.session.commit()
    return claimed


def _still_ours():
    # Only while the row is still our claim: if our lease ran out and another relay took it, its outcome wins.
    table = OutboxMessage.__table__
    return and_(table.c.id == bindparam("b_id"), table.c.attempts == bindparam("b_attempts"),
                table.c.status == OutboxStatus.sending.value)


def _deliver_in_app(messages: list[Claimed]) -> None:
    if not messages:
        return
    # The unique outbox_id makes a second delivery of the same row a no-op. Each carries the time of what it
    # tells of, not the relay's.
    db.session.execute(insert_or_ignore(StaffNotification.__table__, db.session, index_elements=["outbox_id"]), [
        dict(outbox_id=m.id, user_id=m.recipient_user_id, complaint_id=m.complaint_id, kind=m.kind,
             subject=m.subject, body=m.body, facts=m.facts, created_at=m.created_at, read_at=None)
        for m in messages
    ])


def _permanent(error: Exception) -> bool:
    """The server refused for good (5xx, e.g. no such mailbox): trying again would only be refused again."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _message in error.recipients.values())
    return isinstance(error, smtplib.SMTPResponseException) and error.smtp_code >= 500


def _record(sent: list[Claimed], failures: list[tuple[Claimed, str]], result: PassResult,
            permanent: frozenset[int] = frozenset()) -> None:
    """Write a batch's outcomes in one transaction (in-app rows are delivered in it too)."""
    table = OutboxMessage.__table__
    now = utcnow()
    if sent:
        db.session.execute(
            update(table).where(_still_ours()).values(status=OutboxStatus.sent.value, sent_at=now, last_error=None),
            [{"b_id": m.id, "b_attempts": m.attempts} for m in sent])
    maximum = current_app.config["OUTBOX_MAX_ATTEMPTS"]

    def gives_up(m: Claimed) -> bool:
        return m.attempts >= maximum or m.id in permanent

    if failures:
        db.session.execute(
            update(table).where(_still_ours()).values(status=bindparam("b_status"),
                                                      next_attempt_at=bindparam("b_next"),
                                                      last_error=bindparam("b_error")),
            [{"b_id": m.id, "b_attempts": m.attempts, "b_next": now + backoff(m.attempts), "b_error": error[:2000],
              "b_status": (OutboxStatus.failed if gives_up(m) else OutboxStatus.pending).value}
             for m, error in failures])
    db.session.commit()
    result.sent += len(sent)
    for m, error in failures:
        if gives_up(m):
            result.failed += 1
        else:
            result.retrying += 1
        result.errors.append(f"#{m.id} {m.channel} {m.recipient}: {error}")


def _error(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"


def send_pending(batch: int = 50, stop: threading.Event | None = None) -> PassResult:
    """One pass: send everything due now, a batch at a time, and return what happened.

    Outcomes are written once per batch: a relay killed mid-batch resends at most that batch's messages
    (after the lease), so the batch size bounds the duplicates a crash can cause.
    """
    result = PassResult()
    email = email_sender(current_app.config)
    sms = None
    try:
        while not (stop and stop.is_set()):
            claimed = claim(batch)
            if not claimed:
                break
            sent: list[Claimed] = []
            failures: list[tuple[Claimed, str]] = []
            permanent: set[int] = set()
            in_app = [m for m in claimed if m.channel == Medium.in_app]
            for message in claimed:
                if message.channel == Medium.in_app:
                    continue
                try:
                    if message.channel == Medium.email:
                        email.send(message.key, message.recipient, message.subject, message.body, message.language,
                                   reply_to=(message.facts or {}).get("reply_to"))
                    else:
                        sms = sms or sms_sender()
                        sms(message.recipient, message.subject + "\n" + message.body)
                except Exception as error:  # noqa: BLE001 - any failure is retried later, and recorded
                    failures.append((message, _error(error)))
                    if _permanent(error):
                        permanent.add(message.id)
                else:
                    sent.append(message)
            try:
                _deliver_in_app(in_app)
                sent.extend(in_app)
            except Exception as error:  # noqa: BLE001 - e.g. a recipient account removed
                db.session.rollback()
                failures.extend((m, _error(error)) for m in in_app)
            _record(sent, failures, result, frozenset(permanent))
            if len(claimed) < batch:
                break
    finally:
        email.close()
    return result


def counts() -> dict[str, int]:
    rows = db.session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all()
    return {status.value: 0 for status in OutboxStatus} | dict(rows)


def retry_failed(ids: list[int] | None = None) -> int:
    """Put failed rows back in the queue with a fresh count of attempts (after fixing the cause)."""
    query = update(OutboxMessage).where(OutboxMessage.status == OutboxStatus.failed.value)
    if ids:
        query = query.where(OutboxMessage.id.in_(ids))
    done = db.session.execute(query.values(status=OutboxStatus.pending.value, attempts=0, next_attempt_at=utcnow()))
    db.session.commit()
    return done.rowcount

