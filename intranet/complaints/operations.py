"""Every change to a complaint goes through here: check `can`, change state, append the event.

`perform()` is the only code that assigns `Complaint.status` after creation; `create()` is the only code
that creates complaints. Each writes the complaint and its event in one transaction, so a refused or
failed action leaves nothing half-written.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm.exc import StaleDataError

from ..core.database import insert_or_ignore
from ..core.departments import Department
from ..core.extensions import db
from ..core.time import local, utcnow
from ..core.users import User
from ..deadlines import policy
from ..deadlines.models import Clock
from ..notifications.outbox import notify
from . import audit, clocks, search
from .evidence import Evidence
from .lifecycle import SPECS, Action, Role, State
from .models import Channel, Complaint, ComplaintEvent, Complexity, ReferenceCounter
from .permissions import PRINT_RECEIPT, can, role_of
from .spec import ActionInvalid, ActionRefused, Before, Conflict

__all__ = ["ActionInvalid", "ActionRefused", "Conflict", "Result", "create", "perform", "reissue_tracking_code"]

# Tracking codes are random (50 bits), shown once, and stored only as a keyed hash: HMAC-SHA256 with the
# server's tracking key, the standard for such tokens (a password hash such as argon2 is for secrets people
# choose; here it cost a submission ~17 ms and 19 MiB, and tracking is rate-limited anyway). Codes issued
# before keyed hashes are argon2 hashes, still checked as such.
_code_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
HMAC_PREFIX = "hmac-sha256$"
_CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud over the phone


@dataclass
class Result:
    complaint: Complaint
    event: ComplaintEvent
    tracking_code: str | None = None
    extra: dict = field(default_factory=dict)


def jsonable(value: Any) -> Any:
    """A value as an event stores it in its JSON data (dates as ISO text, a department by its code)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Department):
        return value.code
    return value


def _append_event(complaint: Complaint, user: User | None, action: Action, from_state: State | None,
                  data: dict) -> ComplaintEvent:
    event = ComplaintEvent(
        complaint=complaint,
        actor_id=user.id if user is not None and user.is_authenticated else None,
        at=utcnow(),
        action=action.value,
        from_state=from_state.value if from_state else None,
        to_state=complaint.status,
        data={k: jsonable(v) for k, v in data.items() if v not in (None, "")},
    )
    # Chained to the complaint's event before it (the optimistic lock makes appends to one complaint
    # take turns, so two can never chain to the same one).
    event.hash = audit.event_hash(audit.previous_hash(complaint), complaint.reference, event)
    db.session.add(event)
    return event


# --- creating complaints -------------------------------------------------------------------------


def next_reference(year: int) -> str:
    """TS-YYYY-NNNNNN from the year's counter row, in the caller's transaction.

    UPDATE … RETURNING takes the row lock, so concurrent submissions queue on it and each gets its own
    number; the INSERT … ON CONFLICT DO NOTHING creates the row the first time a year is seen.
    """
    table = ReferenceCounter.__table__
    bump = (
        update(table)
        .where(table.c.year == year)
        .values(last_number=table.c.last_number + 1)
        .returning(table.c.last_number)
    )
    number = db.session.execute(bump).scalar()
    if number is None:
        db.session.execute(insert_or_ignore(table, db.session).values(year=year, last_number=0))
        number = db.session.execute(bump).scalar_one()
    return f"TS-{year}-{number:06d}"


def new_tracking_code() -> str:
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


# A code shown on the page after the one that issued it (the confirmation page, a printed receipt) must
# reach that page without being readable in the session cookie, which is signed but not encrypted: the
# cookie holds a random nonce and when it was issued, and the code is derived from the nonce with a key
# only the server has (HMAC-SHA256, a key of its own per purpose, from the app's secret key). Anyone
# holding the cookie can open that page while it is valid, as they could before, and no one can read the
# code out of the cookie itself.
def held_tracking_code(purpose: str) -> tuple[str, dict]:
    """A new tracking code for a page to show next, and what the session keeps to show it there."""
    nonce = secrets.token_urlsafe(16)
    return _derived_code(nonce, purpose), {"nonce": nonce, "at": int(utcnow().timestamp())}


def shown_tracking_code(held, purpose: str, max_age: int) -> str | None:
    """The code `held_tracking_code()` issued, within `max_age` seconds of issuing it; None otherwise."""
    if not isinstance(held, dict) or not isinstance(held.get("nonce"), str) or not isinstance(held.get("at"), int):
        return None
    if not 0 <= int(utcnow().timestamp()) - held["at"] <= max_age:
        return None
    return _derived_code(held["nonce"], purpose)


def _derived_code(nonce: str, purpose: str) -> str:
    key = hmac.new(current_app.config["SECRET_KEY"].encode(), b"held tracking code\x00" + purpose.encode(),
                   hashlib.sha256).digest()
    number = int.from_bytes(hmac.new(key, nonce.encode(), hashlib.sha256).digest()[:8], "big")
    # 32 letters, 5 bits each: every letter equally likely, as secrets.choice makes them.
    raw = "".join(_CODE_ALPHABET[(number >> (5 * i)) & 31] for i in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def hash_tracking_code(code: str) -> str:
    key = current_app.config["TRACKING_KEY"].encode()
    return HMAC_PREFIX + hmac.new(key, normalise_tracking_code(code).encode(), hashlib.sha256).hexdigest()


def normalise_tracking_code(code: str) -> str:
    cleaned = "".join(ch for ch in code.upper() if ch.isalnum())
    return f"{cleaned[:5]}-{cleaned[5:]}"


def check_tracking_code(complaint: Complaint | None, code: str) -> bool:
    """The same work whether or not the reference exists, so timing does not tell them apart."""
    stored = complaint.tracking_code_hash if complaint is not None and complaint.tracking_code_hash else None
    if stored is not None and not stored.startswith(HMAC_PREFIX):  # issued before keyed hashes
        try:
            return _code_hasher.verify(stored, normalise_tracking_code(code))
        except (VerificationError, InvalidHashError):
            return False
    expected = hash_tracking_code(code)
    return hmac.compare_digest(stored or HMAC_PREFIX + "0" * 64, expected) and stored is not None


def reissue_tracking_code(user: User, complaint: Complaint, expected_version: int | None = None,
                          replace_held_code: bool = False, code: str | None = None) -> Result:
    """A walk-in or phone complainant's printed receipt: a new code replaces the old one (only its hash is
    kept, so the old code cannot be shown again), and the timeline records that it was done. A code the
    complainant already holds (online, or from an earlier receipt) is replaced only when asked to."""
    if not can(user, PRINT_RECEIPT, complaint):
        raise ActionRefused(PRINT_RECEIPT)
    if complaint.complainant_holds_code() and not replace_held_code:
        raise ActionInvalid({"replace_code": str(_l(
            "The complainant already has a tracking code. Confirm that they asked for a new one: the old one "
            "will stop working."))})
    code = code or new_tracking_code()
    complaint.tracking_code_hash = hash_tracking_code(code)
    result = perform(user, Action.note, complaint, {"system": "new_tracking_code"}, expected_version)
    result.tracking_code = code
    return result


CREATE_FIELDS = (
    "anonymous", "confidential", "complainant_name", "complainant_relation", "complainant_phone",
    "complainant_email", "preferred_reply", "wants_written_reply", "language", "patient_name",
    "patient_record_number", "incident_on", "subject_department_id", "subject_ward", "what_happened",
    "desired_outcome", "category_id", "severity", "complexity",
)


def create(user: User | None, data: dict, *, received_at: datetime | None = None,
           tracking_code: str | None = None) -> Result:
    """Submit (public) or log (reception) a complaint: reference, tracking code, due dates, first event.
    `tracking_code`: one from held_tracking_code(), for the page that shows it next; else a new one."""
    action = Action.log if user is not None and user.is_authenticated else Action.submit
    if not can(user, action):
        raise ActionRefused(action)
    received_at = received_at or utcnow()
    received_day = local(received_at).date()
    complexity = Complexity(data.get("complexity") or Complexity.simple)
    channel = Channel(data.get("channel") or Channel.online)
    code = tracking_code or new_tracking_code()
    respond = policy.respond_clock(complexity)
    due = policy.due_dates([respond] if data.get("anonymous") else [Clock.acknowledge, respond], received_day)
    complaint = Complaint(
        tracking_code_hash=hash_tracking_code(code),
        status=SPECS[action].target.value,
        channel=channel.value,
        received_at=received_at,
        created_by_id=user.id if action == Action.log else None,
        # Nobody to tell of an anonymous complaint: it has no acknowledgement clock.
        acknowledge_due_on=due.get(Clock.acknowledge),
        response_due_on=due[respond],
        **{k: data[k] for k in CREATE_FIELDS if k in data and data[k] not in (None, "")},
    )
    if channel == Channel.letter:
        complaint.wants_written_reply = True  # 书面投诉书面答复
    if complaint.anonymous:
        complaint.complainant_name = complaint.complainant_phone = complaint.complainant_email = None
    if action == Action.log:
        clocks.acknowledge(complaint, data.get("acknowledged_via"))
    # The reference last, just before the writes: its counter row stays locked until the commit, and
    # concurrent submissions wait on it, so nothing else is done while it is held.
    complaint.reference = next_reference(local(utcnow()).year)
    db.session.add(complaint)
    # Evidence files, already checked and stored by the caller (evidence.store): rows in this transaction.
    evidence = [Evidence(complaint=complaint, **row) for row in data.get("evidence") or []]
    db.session.add_all(evidence)
    event = _append_event(complaint, user, action, None, {
        "channel": channel.value,
        "acknowledged_via": complaint.acknowledged_via,
        "evidence_files": len(evidence) or None,
    })
    db.session.flush()
    search.reindex(complaint, new=True)  # in the same transaction: a complaint is findable from its commit on
    _notify(SPECS[action], Before(None, False, False, 0), complaint, event)
    return Result(complaint, event, tracking_code=code)


# --- actions on an existing complaint ------------------------------------------------------------


def events_since(complaint: Complaint, version: int) -> list[ComplaintEvent]:
    """What happened after the person loaded the page (each action bumps the version once)."""
    events = db.session.scalars(
        select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id).order_by(ComplaintEvent.id)
    ).all()
    missed = max(complaint.version - version, 0)
    return list(events[-missed:]) if missed else []


def perform(user: User | None, action: Action, complaint: Complaint, data: dict | None,
            expected_version: int | None, form_errors: dict | None = None) -> Result:
    """Check, change state, record the event. The caller commits (or rolls back on any exception).

    The checks run in this order, here only: the version first (the usual reason an action is no longer
    allowed is that someone else moved the complaint on, and the person should hear that, not "not
    allowed"), then who may act, then the caller's form (`form_errors`, if its own checks failed), then
    what the action requires done before it, then the action's own rules.
    """
    action = Action(action)
    spec = SPECS[action]
    if expected_version is not None and expected_version != complaint.version:
        raise Conflict(complaint, events_since(complaint, expected_version))
    if not can(user, action, complaint):
        raise ActionRefused(action)
    if form_errors is not None:
        raise ActionInvalid(form_errors)
    for requirement in spec.requires:
        if not SPECS[Action(requirement.action)].done(complaint):
            raise ActionInvalid({requirement.field: str(requirement.message)})
    from_state = complaint.state
    before = _before(complaint)
    event_data = spec.apply(complaint, user, data)
    if role_of(user) == Role.system:
        event_data["automatic"] = True  # the timeline says no person did it
    target = spec.target_for(complaint, data)
    if target is not None:
        complaint.status = target.value
    if spec.escalates_with(data):
        complaint.escalation_level += 1
        event_data["level"] = complaint.escalation_level
    # Every action updates the row, so the version goes up once per event even when nothing else on the
    # complaint changed (a note): events_since() and the optimistic lock count on it.
    complaint.updated_at = utcnow()
    event = _append_event(complaint, user, action, from_state, event_data)
    other = spec.records_on(complaint, event_data) if spec.records_on else None
    if other is not None:
        # A note on the other complaint's timeline, in this transaction; its version goes up with it.
        other_complaint, other_data = other
        other_complaint.updated_at = utcnow()
        _append_event(other_complaint, user, Action.note, other_complaint.state, other_data)
    try:
        db.session.flush()
    except StaleDataError:
        # Another request committed between our read and our write.
        db.session.rollback()
        fresh = db.session.get(Complaint, complaint.id)
        raise Conflict(fresh, events_since(fresh, expected_version or 0)) from None
    search.reindex(complaint)
    if other is not None:
        search.reindex(other[0])
    _notify(spec, before, complaint, event)
    return Result(complaint, event)


# --- who hears about what ----------------------------------------------------------------------------------
# Each spec names its notices; the rows go into the action's own transaction. Keys come from the event, so a
# retried request cannot queue a second time.


def _before(complaint: Complaint) -> Before:
    return Before(complaint.state if complaint.status else None, complaint.is_major,
                  complaint.acknowledged_at is not None, complaint.escalation_level or 0)


def _notify(spec, before: Before, complaint: Complaint, event: ComplaintEvent) -> None:
    about = complaint.about()
    for notice in spec.notices:
        if notice.fires(before, complaint):
            name = notice.kind.name
            key = f"{name}:{complaint.id}" if notice.once_per_complaint else f"{name}:event:{event.id}"
            notify(notice.kind, about, key=key, data=event.data)
