"""Notifications: who hears what, written to an outbox in the action's transaction.

`notify()` is the one entry point the rest of the app calls, with plain values (`About`), not a complaint:
this layer knows users and departments, never the complaint model. It decides the recipients of a kind,
renders each message in the recipient's language and inserts the outbox rows in the caller's transaction
(a rolled-back action leaves no row); `relay.send_pending()` (the `outbox send` command) delivers them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..core.database import insert_or_ignore
from ..core.departments import Department
from ..core.extensions import db
from ..core.time import show_date, utcnow
from ..core.users import User
from ..deadlines.models import BreachClock
from .models import Medium, OutboxMessage, OutboxStatus

# What can be announced; each kind decides its own recipients.
KINDS = (
    "assigned",  # the head of the department
    "sent_back",  # reception
    "signed_off",  # reception
    "major",  # leadership, at once
    "escalated",  # leadership
    "due_tomorrow",  # the assignee (head) or reception, the day before a due date
    "acknowledged",  # the complainant, if they gave an email
    "extended",  # the complainant
    "responded",  # the complainant
)
COMPLAINANT_KINDS = frozenset({"acknowledged", "extended", "responded"})
# What staff filter their notifications by.
KIND_LABELS = {
    "assigned": _l("New for the department"),
    "sent_back": _l("Sent back"),
    "signed_off": _l("Signed off, to tell the complainant"),
    "major": _l("Major"),
    "escalated": _l("Escalated"),
    "due_tomorrow": _l("Due tomorrow"),
}


@dataclass(frozen=True)
class Complainant:
    """How to reach the complainant (None for an anonymous complaint: there is nobody to tell)."""

    email: str | None
    phone: str | None
    wants_sms: bool
    language: str


@dataclass(frozen=True)
class About:
    """What a message says about a complaint, in plain values."""

    complaint_id: int
    reference: str
    state_label: str  # lazily translated
    due_on: date | None  # the next obligation's date
    department: Department | None
    # Whether the complaint is a department's work now (else reception's): who hears "due tomorrow".
    with_department: bool
    escalation_level: int
    response_text: str | None
    complainant: Complainant | None


@dataclass(frozen=True)
class Recipient:
    channel: Medium
    address: str
    language: str
    user_id: int | None = None


def _staff(role: str, department_id: int | None = None) -> list[Recipient]:
    query = select(User).where(User.role == role, User.active.is_(True)).order_by(User.id)
    if department_id is not None:
        query = query.where(User.department_id == department_id)
    # Staff hear in-app, each in their account's language (or the hospital's staff language).
    languages, default = current_app.config["LANGUAGES"], current_app.config["STAFF_LANGUAGE"]
    return [Recipient(Medium.in_app, str(u.id), u.language if u.language in languages else default, u.id)
            for u in db.session.scalars(query)]


def _complainant(about: About) -> list[Recipient]:
    who = about.complainant
    if who is None:
        return []
    language = who.language if who.language in current_app.config["LANGUAGES"] else "zh"
    found = []
    if who.email:
        found.append(Recipient(Medium.email, who.email, language))
    if who.wants_sms and who.phone:
        found.append(Recipient(Medium.sms, who.phone, language))
    return found


def _assignee(about: About) -> list[Recipient]:
    # A department's work goes to its head(s); what is before or after the department is reception's.
    if about.department is not None and about.with_department:
        return _staff("head", about.department.id)
    return _staff("reception")


def recipients(kind: str, about: About) -> list[Recipient]:
    if kind == "assigned":
        return _staff("head", about.department.id) if about.department else []
    if kind in ("sent_back", "signed_off"):
        return _staff("reception")
    if kind in ("major", "escalated"):
        return _staff("leadership")
    if kind == "due_tomorrow":
        return _assignee(about)
    return _complainant(about)


def _date(value) -> date | None:
    # Event data holds dates as ISO strings (JSON); callers may pass dates.
    return date.fromisoformat(value) if isinstance(value, str) else value


def _clock_label(value) -> str:
    try:
        return BreachClock(value).label
    except ValueError:
        return str(value)


def _missed(data: dict) -> str:
    """The sweep escalates with the deadlines missed ({"clock", "due_on"} each) instead of a typed reason."""
    missed = data.get("missed") or []
    parts = [
        _("%(clock)s, due %(date)s", clock=_clock_label(m.get("clock")), date=show_date(_date(m["due_on"])))
        if isinstance(m, dict) and m.get("due_on") else str(m)
        for m in (missed if isinstance(missed, list) else [missed])
    ]
    return _("overdue (%(missed)s)", missed="; ".join(parts)) if parts else _("overdue")


def _render(kind: str, about: About, data: dict) -> tuple[str, str]:
    """Subject and body in the current (forced) locale. Complainants never see staff names or findings."""
    config = current_app.config
    ref = about.reference
    due = show_date(about.due_on, "long") if about.due_on else ""
    department = about.department.name if about.department else ""
    if kind == "assigned":
        return (_("New complaint for your department: %(reference)s", reference=ref),
                _("Complaint %(reference)s was assigned to %(department)s. The response is due by %(date)s. "
                  "Accept it, or send it back if it is not yours.", reference=ref, department=department, date=due))
    if kind == "sent_back":
        return (_("Complaint %(reference)s was sent back", reference=ref),
                _("The department sent complaint %(reference)s back: %(reason)s. Assign it again.",
                  reference=ref, reason=data.get("reason", "")))
    if kind == "signed_off":
        return (_("Complaint %(reference)s is signed off: tell the complainant", reference=ref),
                _("The response to complaint %(reference)s is signed off. Tell the complainant and record the "
                  "response; it is due by %(date)s.", reference=ref, date=due))
    if kind == "major":
        return (_("Major complaint %(reference)s", reference=ref),
                _("Complaint %(reference)s is major: leadership approves its response, which is due by %(date)s.",
                  reference=ref, date=due))
    if kind == "escalated":
        return (_("Complaint %(reference)s escalated to level %(level)s", reference=ref,
                  level=about.escalation_level),
                _("Complaint %(reference)s was escalated: %(reason)s", reference=ref,
                  reason=data.get("reason") or _missed(data)))
    if kind == "due_tomorrow":
        return (_("Complaint %(reference)s is due tomorrow", reference=ref),
                _("Complaint %(reference)s (%(state)s) is due on %(date)s.", reference=ref,
                  state=str(about.state_label), date=show_date(_date(data.get("due_on")) or about.due_on, "long")))

    # To the complainant: plain words, the reference, how to follow it, and nothing internal.
    track = _("Follow your complaint with its reference and your tracking code at %(url)s.",
              url=config["PUBLIC_BASE_URL"].rstrip("/") + "/track") if config["PUBLIC_BASE_URL"] else _(
        "Follow your complaint on our website's tracking page with its reference and your tracking code.")
    contact = _("Complaints office: %(phone)s (%(hours)s).", phone=config["COMPLAINTS_OFFICE_PHONE"],
                hours=config["COMPLAINTS_OFFICE_HOURS"])
    if kind == "acknowledged":
        subject = _("We have received your complaint %(reference)s", reference=ref)
        text = _("Your complaint %(reference)s has been accepted and is being looked into. We will answer by "
                 "%(date)s.", reference=ref, date=due)
    elif kind == "extended":
        subject = _("More time is needed for your complaint %(reference)s", reference=ref)
        text = _("We need more time to answer your complaint %(reference)s properly: %(reason)s. "
                 "The new date is %(date)s.", reference=ref, reason=data.get("reason", ""), date=due)
    else:  # responded
        subject = _("Our response to your complaint %(reference)s", reference=ref)
        text = _("Our response to your complaint %(reference)s:", reference=ref) + "\n\n" + (
            about.response_text or "") + "\n\n" + _(
            "We will contact you to ask whether you are satisfied; you can also tell us on the tracking page.")
    return subject, "\n\n".join([text, track, contact])


def notify(kind: str, about: About, *, key: str, data: dict | None = None) -> int:
    """Queue the notifications for `kind` about a complaint in the current transaction.

    `key` is the idempotency key: the same key never queues twice (a rerun of the sweep, a retried
    request adds nothing). Returns how many rows were queued.
    """
    if kind not in KINDS:
        raise ValueError(kind)
    data = data or {}
    rows = []
    for recipient in recipients(kind, about):
        with force_locale(recipient.language):
            subject, body = _render(kind, about, data)
        rows.append(dict(
            key=f"{key}:{recipient.channel.value}:{recipient.address}"[:255],
            kind=kind, channel=recipient.channel.value, recipient=recipient.address,
            recipient_user_id=recipient.user_id, language=recipient.language, subject=subject[:255], body=body,
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
