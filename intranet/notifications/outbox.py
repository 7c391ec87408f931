"""Queueing a notification: its rows go into the outbox in the caller's transaction (a rolled-back action
leaves no row); `relay.send_pending()` (the `outbox send` command) delivers them later."""

from __future__ import annotations

from flask import current_app
from flask_babel import force_locale

from ..core.database import insert_or_ignore
from ..core.extensions import db
from ..core.time import utcnow
from ..core.users import User
from .kinds import About, Kind, stored_facts
from .models import Medium, OutboxMessage, OutboxStatus


def _reply_to(channel: Medium, about: About) -> dict | None:
    mailbox = current_app.config.get("MAIL_REPLY_TO") or ""
    if channel != Medium.email or "@" not in mailbox:
        return None
    local, _at, domain = mailbox.rpartition("@")
    return {"reply_to": f"{local}+{about.reference}@{domain}"}


def notify(kind: Kind, about: About, *, key: str, data: dict | None = None) -> int:
    """Queue the notifications of `kind` about a complaint in the current transaction, each rendered in its
    recipient's language.

    `key` is the idempotency key: the same key never queues twice (a rerun of the sweep, a retried
    request adds nothing). Returns how many rows were queued.
    """
    data = data or {}
    facts = stored_facts(about, data)
    rows = []
    for recipient in kind.recipients(about):
        with force_locale(recipient.language):
            subject, body = kind.render(about, data)
        rows.append(dict(
            key=f"{key}:{recipient.channel.value}:{recipient.address}"[:255],
            kind=kind.name, channel=recipient.channel.value, recipient=recipient.address,
            recipient_user_id=recipient.user_id, language=recipient.language, subject=subject[:255], body=body,
            # Staff read theirs in the language they read then; the complainant's message is final when sent,
            # an email with the address a reply goes to, which names the complaint.
            facts=facts if recipient.channel == Medium.in_app else _reply_to(recipient.channel, about),
            complaint_id=about.complaint_id, status=OutboxStatus.pending.value, attempts=0, next_attempt_at=utcnow(),
            created_at=utcnow(),
        ))
    if not rows:
        return 0
    table = OutboxMessage.__table__
    # ON CONFLICT DO NOTHING: a second call with the same key (a retried request, a rerun sweep) is a no-op
    # rather than an error that would roll back the caller's action.
    result = db.session.execute(
        insert_or_ignore(table, db.session, index_elements=[table.c.key]).values(rows).returning(table.c.id)
    )
    return len(result.all())


def notify_account_owner(kind: Kind, user: User, *, key: str, data: dict) -> int:
    """Queue an in-app notification to `user` about their own account (no complaint), in their language;
    `kind`'s subject and body take their placeholders from `data`. The same key never queues twice."""
    languages, default = current_app.config["LANGUAGES"], current_app.config["STAFF_LANGUAGE"]
    language = user.language if user.language in languages else default
    with force_locale(language):
        subject, body = str(kind.subject) % data, str(kind.body) % data
    table = OutboxMessage.__table__
    row = dict(key=f"{key}:{Medium.in_app.value}:{user.id}"[:255], kind=kind.name, channel=Medium.in_app.value,
               recipient=str(user.id), recipient_user_id=user.id, language=language, subject=subject[:255],
               body=body, facts=stored_facts(None, data), complaint_id=None,
               status=OutboxStatus.pending.value, attempts=0,
               next_attempt_at=utcnow(), created_at=utcnow())
    result = db.session.execute(
        insert_or_ignore(table, db.session, index_elements=[table.c.key]).values([row]).returning(table.c.id)
    )
    return len(result.all())
