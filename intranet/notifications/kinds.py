"""What can be announced: each notification kind is one declared `Kind` — its name, who receives it, and
its subject and body (lazily translated, so each recipient reads them in their own language).

This layer knows users and departments, never the complaint model: a message is about plain values
(`About`). The kinds themselves are declared where their meaning lives (the complaint's kinds beside its
notices, `complaints/notices.py`); declaring one registers it, and the bell's filter, the outbox and the
tests read them from `KINDS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from ..core.departments import Department
from ..core.extensions import db
from ..core.hospital import hospital
from ..core.time import show_date
from ..core.users import User
from .models import Medium


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
    # The state's own name, so that a staff notification can name it again in its reader's language.
    state: str = ""
    # An integrity complaint: the discipline office hears what the department's heads would, and they hear
    # nothing of it (the department it accuses never learns of it).
    integrity: bool = False
    # The member of the department's staff handling it, if its head handed it to one.
    handler_id: int | None = None

    def facts(self) -> dict:
        """What a staff notification keeps of this, as JSON, to be written out again when it is read, in the
        reader's language then: plain values and both names of the department, never the complainant's
        details or the response (staff kinds say neither)."""
        department = self.department
        return {
            "complaint_id": self.complaint_id, "reference": self.reference, "state": self.state,
            "due_on": self.due_on.isoformat() if self.due_on else None,
            "department": None if department is None else {
                "id": department.id, "zh": department.name_zh, "en": department.name_en},
            "with_department": self.with_department, "escalation_level": self.escalation_level,
            "integrity": self.integrity, "handler_id": self.handler_id,
        }

    @classmethod
    def from_facts(cls, facts: dict) -> About:
        department = facts.get("department")
        return cls(
            complaint_id=facts["complaint_id"], reference=facts["reference"],
            state_label=STATE_LABELS.get(facts.get("state") or "", facts.get("state") or ""),
            due_on=date.fromisoformat(facts["due_on"]) if facts.get("due_on") else None,
            # Not added to the session: it only lends its names (a department renamed since reads as it was).
            department=None if department is None else Department(
                id=department["id"], name_zh=department["zh"], name_en=department["en"]),
            with_department=bool(facts.get("with_department")), escalation_level=facts.get("escalation_level", 0),
            response_text=None, complainant=None, state=facts.get("state") or "",
            integrity=bool(facts.get("integrity")), handler_id=facts.get("handler_id"))


# The states' labels by name (lazily translated), registered by the layer that knows the states: a stored
# notification names its complaint's state in its reader's language.
STATE_LABELS: dict[str, Any] = {}


@dataclass(frozen=True)
class Recipient:
    channel: Medium
    address: str
    language: str
    user_id: int | None = None


# --- who receives a kind ------------------------------------------------------------------------------


def _staff(role: str, department_id: int | None = None, user_id: int | None = None) -> list[Recipient]:
    query = select(User).where(User.role == role, User.active.is_(True)).order_by(User.id)
    if department_id is not None:
        query = query.where(User.department_id == department_id)
    if user_id is not None:
        query = query.where(User.id == user_id)
    # Staff hear in-app, each in their account's language (or the hospital's staff language).
    languages, default = current_app.config["LANGUAGES"], current_app.config["STAFF_LANGUAGE"]
    return [Recipient(Medium.in_app, str(u.id), u.language if u.language in languages else default, u.id)
            for u in db.session.scalars(query)]


def _heads(about: About) -> list[Recipient]:
    if about.integrity:  # the discipline office stands in for the accused department's heads
        return _staff("supervision") if about.department else []
    return _staff("head", about.department.id) if about.department else []


def _assignee(about: About) -> list[Recipient]:
    # A department's work goes to its head(s) (an integrity complaint's to the discipline office); what is
    # before or after the department is reception's.
    if about.department is not None and about.with_department:
        return _heads(about)
    return _staff("reception")


def _handler(about: About) -> list[Recipient]:
    # Never of an integrity complaint (the database refuses a handler on one), and only while handed to them.
    if about.handler_id is None or about.integrity or about.department is None:
        return []
    return _staff("staff", about.department.id, about.handler_id)


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


def _complainant_footer(about: About) -> str:
    """What every message to the complainant ends with: how to follow the complaint and whom to call."""
    config = current_app.config
    track = _("Follow your complaint with its reference and your tracking code at %(url)s.",
              url=config["PUBLIC_BASE_URL"].rstrip("/") + "/track") if config["PUBLIC_BASE_URL"] else _(
        "Follow your complaint on our website's tracking page with its reference and your tracking code.")
    office = hospital()
    contact = _("Complaints office: %(phone)s (%(hours)s).", phone=office.office_phone, hours=office.office_hours)
    return "\n\n".join([track, contact])


@dataclass(frozen=True)
class Audience:
    """Who receives a kind: staff (in-app, filtered on the notifications page) or the complainant (email
    and SMS, in plain words, never a staff name or a finding, and always with how to follow the complaint)."""

    name: str
    find: Callable[[About], list[Recipient]]
    footer: Callable[[About], str] | None = None

    @property
    def staff(self) -> bool:
        return self.footer is None


TO_HEADS = Audience("the heads of the complaint's department (of an integrity complaint, the discipline office)",
                    _heads)
TO_RECEPTION = Audience("reception", lambda about: _staff("reception"))
TO_LEADERSHIP = Audience("leadership", lambda about: _staff("leadership"))
# Whoever holds the complaint now: its department's heads while it is the department's work, else reception.
TO_ASSIGNEE = Audience("whoever holds the complaint", _assignee)
# The member of the department's staff the complaint is handed to.
TO_HANDLER = Audience("the complaint's handler in the department", _handler)
TO_COMPLAINANT = Audience("the complainant", _complainant, footer=_complainant_footer)
# A staff member, about their own account rather than a complaint (outbox.notify_account_owner).
TO_ACCOUNT_OWNER = Audience("the account's owner", lambda about: [])


# --- the kinds ---------------------------------------------------------------------------------------------

KINDS: dict[str, Kind] = {}


# What a typed sentence may end with, in Chinese and Latin punctuation.
SENTENCE_ENDS = "。．.！!？?；;，,、…"


def clause(text: str) -> str:
    """A typed reason as a clause of the message's own sentence, which ends it: "…的事。" would otherwise read
    "…的事。。请重新分派。". A full stop inside ("v2.1") stays."""
    return text.strip().rstrip(SENTENCE_ENDS + " \u3000").strip()


def standard_values(about: About, data: dict) -> dict[str, Any]:
    """The placeholders every kind's subject and body may use."""
    return {
        "reference": about.reference,
        "department": about.department.name if about.department else "",
        "date": show_date(about.due_on, "long") if about.due_on else "",
        "state": str(about.state_label),
        "level": about.escalation_level,
        "reason": clause(data.get("reason") or ""),
    }


@dataclass(frozen=True)
class Kind:
    """One kind of notification. `subject` and `body` are lazy strings with %(name)s placeholders: the
    standard ones (`standard_values`) and whatever `values(about, data)` adds or overrides, `data` being the
    event's (or the caller's) data."""

    name: str
    to: Audience
    subject: Any
    body: Any
    # What staff filter their notifications by (staff kinds only).
    label: Any = None
    values: Callable[[About, dict], dict] | None = None
    # What the discipline office reads instead when it hears in the department's place (an integrity
    # complaint, TO_HEADS): a text that speaks to "your department" would be wrong there.
    office_subject: Any = None
    office_body: Any = None

    def __post_init__(self):
        if self.name in KINDS:
            raise RuntimeError(f"the notification kind {self.name!r} is declared twice")
        if self.to.staff != (self.label is not None):
            raise RuntimeError(f"{self.name!r}: a staff kind has a label to filter by, a complainant's has none")
        if (self.office_subject or self.office_body) and self.to is not TO_HEADS:
            raise RuntimeError(f"{self.name!r}: only what the heads hear has the discipline office's own words")
        KINDS[self.name] = self

    def recipients(self, about: About) -> list[Recipient]:
        return self.to.find(about)

    def render_stored(self, facts: dict) -> tuple[str, str]:
        """Subject and body of a stored staff notification, written out now in the current locale from what
        it kept (`stored_facts`): a notification about a complaint, or about its reader's own account."""
        data = facts.get("data") or {}
        if facts.get("about") is None:
            return str(self.subject) % data, str(self.body) % data
        return self.render(About.from_facts(facts["about"]), data)

    def render(self, about: About, data: dict) -> tuple[str, str]:
        """Subject and body in the current (forced) locale."""
        values = standard_values(about, data)
        if self.values is not None:
            values.update(self.values(about, data))
        office = about.integrity and self.to is TO_HEADS
        subject = (self.office_subject if office and self.office_subject else self.subject)
        body = str(self.office_body if office and self.office_body else self.body) % values
        if self.to.footer is not None:
            body = "\n\n".join([body, self.to.footer(about)])
        return str(subject) % values, body


def _json_ready(value):
    # The sweep passes dates in its data; JSON keeps them as ISO strings (as event data does).
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    return value if value is None or isinstance(value, str | int | float | bool) else str(value)


def stored_facts(about: About | None, data: dict) -> dict:
    """What an in-app notification keeps to be rendered when read (`Kind.render_stored`)."""
    return {"about": about.facts() if about is not None else None, "data": _json_ready(data)}


def render_notification(kind_name: str, facts: dict | None, subject: str, body: str) -> tuple[str, str]:
    """A staff notification's subject and body in the current locale; what was written when it was sent for
    a notification that kept no facts (sent before they were kept), or whose kind is no longer declared."""
    kind = KINDS.get(kind_name)
    if kind is None or not facts:
        return subject, body
    try:
        return kind.render_stored(facts)
    except (KeyError, TypeError, ValueError):  # facts a changed kind no longer reads: the text as sent
        return subject, body


def staff_kind_labels() -> dict[str, Any]:
    """The kinds staff can filter their notifications by, in the order they were declared."""
    return {name: kind.label for name, kind in KINDS.items() if kind.to.staff}


__all__ = ["KINDS", "STATE_LABELS", "TO_ACCOUNT_OWNER", "TO_ASSIGNEE", "TO_COMPLAINANT", "TO_HANDLER", "TO_HEADS",
           "TO_LEADERSHIP", "TO_RECEPTION", "About", "Audience", "Complainant", "Kind", "Recipient", "clause",
           "render_notification", "staff_kind_labels", "standard_values", "stored_facts"]
