"""Every change to a complaint goes through here: check `can`, change state, append the event.

`perform()` is the only code that assigns `Complaint.status` after creation; `create()` is the only code
that creates complaints. Each writes the complaint and its event in one transaction, so a refused or
failed action leaves nothing half-written.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm.exc import StaleDataError

from ..admin.models import Department
from ..auth.models import User
from ..deadlines import policy
from ..deadlines.models import Clock
from ..extensions import db
from ..notifications import notify
from ..timeutil import local, today, utcnow
from .evidence import Evidence
from .lifecycle import TRANSITIONS, Action, Role, State
from .models import Channel, Complaint, ComplaintEvent, Complexity, ContactMethod, ReferenceCounter
from .permissions import PRINT_RECEIPT, can, role_of

# Tracking codes are random, shown once, and stored only as an argon2 hash. Cheaper parameters than
# passwords (the code carries ~50 bits of randomness and tracking is rate-limited) keep a lookup fast.
_code_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
_CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud over the phone


class ActionRefused(Exception):
    """The user may not do this action on this complaint in its current state."""


class Conflict(Exception):
    """Someone else changed the complaint since the person loaded it."""

    def __init__(self, complaint: Complaint, events: list[ComplaintEvent]):
        super().__init__("conflict")
        self.complaint = complaint
        self.events = events


class ActionInvalid(Exception):
    """The submitted data breaks a rule the form alone cannot check."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(errors)
        self.errors = errors


@dataclass
class Result:
    complaint: Complaint
    event: ComplaintEvent
    tracking_code: str | None = None
    extra: dict = field(default_factory=dict)


def _json(value: Any) -> Any:
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
        data={k: _json(v) for k, v in data.items() if v not in (None, "")},
    )
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
        insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
        db.session.execute(insert(table).values(year=year, last_number=0).on_conflict_do_nothing())
        number = db.session.execute(bump).scalar_one()
    return f"TS-{year}-{number:06d}"


def new_tracking_code() -> str:
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def hash_tracking_code(code: str) -> str:
    return _code_hasher.hash(normalise_tracking_code(code))


def normalise_tracking_code(code: str) -> str:
    cleaned = "".join(ch for ch in code.upper() if ch.isalnum())
    return f"{cleaned[:5]}-{cleaned[5:]}"


_DUMMY_HASH = None


def check_tracking_code(complaint: Complaint | None, code: str) -> bool:
    """Constant work whether or not the reference exists, so timing does not tell them apart."""
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = _code_hasher.hash("XXXXX-XXXXX")
    stored = complaint.tracking_code_hash if complaint is not None and complaint.tracking_code_hash else None
    try:
        ok = _code_hasher.verify(stored or _DUMMY_HASH, normalise_tracking_code(code))
    except (VerificationError, InvalidHashError):
        ok = False
    return ok and stored is not None


def reissue_tracking_code(user: User, complaint: Complaint, expected_version: int | None = None) -> Result:
    """A walk-in or phone complainant's printed receipt: a new code replaces the old one (only its hash is
    kept, so the old code cannot be shown again), and the timeline records that it was done."""
    if not can(user, PRINT_RECEIPT, complaint):
        raise ActionRefused(PRINT_RECEIPT)
    code = new_tracking_code()
    complaint.tracking_code_hash = hash_tracking_code(code)
    text = str(_l("A new tracking code was issued on a printed receipt; the previous code no longer works."))
    result = perform(user, Action.note, complaint, {"text": text}, expected_version)
    result.tracking_code = code
    return result


CREATE_FIELDS = (
    "anonymous", "confidential", "complainant_name", "complainant_relation", "complainant_phone",
    "complainant_email", "preferred_reply", "wants_written_reply", "language", "patient_name",
    "patient_record_number", "incident_on", "subject_department_id", "subject_ward", "what_happened",
    "desired_outcome", "category_id", "severity", "complexity",
)


def create(user: User | None, data: dict, *, received_at: datetime | None = None) -> Result:
    """Submit (public) or log (reception) a complaint: reference, tracking code, due dates, first event."""
    action = Action.log if user is not None and user.is_authenticated else Action.submit
    if not can(user, action):
        raise ActionRefused(action)
    received_at = received_at or utcnow()
    received_day = local(received_at).date()
    complexity = Complexity(data.get("complexity") or Complexity.simple)
    channel = Channel(data.get("channel") or Channel.online)
    code = new_tracking_code()
    complaint = Complaint(
        reference=next_reference(local(utcnow()).year),
        tracking_code_hash=hash_tracking_code(code),
        status=TRANSITIONS[action].target.value,
        channel=channel.value,
        received_at=received_at,
        created_by_id=user.id if action == Action.log else None,
        acknowledge_due_on=policy.due_on(Clock.acknowledge, received_day),
        response_due_on=policy.due_on(policy.respond_clock(complexity), received_day),
        **{k: data[k] for k in CREATE_FIELDS if k in data and data[k] not in (None, "")},
    )
    if channel == Channel.letter:
        complaint.wants_written_reply = True  # 书面投诉书面答复
    if complaint.anonymous:
        complaint.complainant_name = complaint.complainant_phone = complaint.complainant_email = None
    if action == Action.log and data.get("acknowledged_via"):
        complaint.acknowledged_at = utcnow()
        complaint.acknowledged_via = data["acknowledged_via"]
        complaint.acknowledged_on_time = _on_time(complaint.acknowledged_at, complaint.acknowledge_due_on)
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
    _notify(action, _Before(None, False, False, 0), complaint, event)
    return Result(complaint, event, tracking_code=code)


# --- actions on an existing complaint ------------------------------------------------------------
# Each handler records what the action records (SPEC §3) and returns the event's data.


def _on_time(met: datetime | date, due_on: date | None) -> bool | None:
    """Whether a clock was met by its stored due date, both read as hospital dates (None: it had none)."""
    if due_on is None:
        return None
    return (local(met).date() if isinstance(met, datetime) else met) <= due_on


def _acknowledge(c: Complaint, data: dict) -> None:
    if data.get("acknowledged_via") and c.acknowledged_at is None:
        c.acknowledged_at = utcnow()
        c.acknowledged_via = data["acknowledged_via"]
        c.acknowledged_on_time = _on_time(c.acknowledged_at, c.acknowledge_due_on)


def _triage(c: Complaint, user: User, data: dict) -> dict:
    complexity = Complexity(data["complexity"])
    if complexity != c.complexity and c.assigned_at is None:
        # The response clock depends on complexity; set it again while nobody has been given it yet.
        c.response_due_on = policy.due_on(policy.respond_clock(complexity), local(c.received_at).date())
    c.category_id = data["category_id"]
    c.severity = data["severity"]
    c.complexity = complexity.value
    c.triaged_at = utcnow()
    _acknowledge(c, data)
    return {"category_id": c.category_id, "severity": c.severity, "complexity": c.complexity,
            "response_due_on": c.response_due_on, "acknowledged_via": data.get("acknowledged_via")}


def _resolve_on_the_spot(c: Complaint, user: User, data: dict) -> dict:
    now = utcnow()
    c.response_text = data["what_was_done"]
    c.response_method = data["method"]
    c.responded_at = now
    c.responded_on = today()
    c.responded_on_time = _on_time(c.responded_on, c.response_due_on)
    c.follow_up_due_on = policy.due_on(Clock.follow_up, c.responded_on)
    _acknowledge(c, {"acknowledged_via": data["method"]})
    return {"what_was_done": data["what_was_done"], "method": data["method"]}


def _decline(c: Complaint, user: User, data: dict) -> dict:
    c.decline_reason = data["reason"]
    c.closed_at = utcnow()
    return {"reason": data["reason"], "complainant_told": data["complainant_told"],
            "told_via": data.get("told_via")}


def _assign(c: Complaint, user: User, data: dict) -> dict:
    department = db.session.get(Department, data["department_id"])
    if department is None or not department.active:
        raise ActionInvalid({"department_id": str(_l("Choose an active department."))})
    due = data.get("response_due_on") or c.response_due_on
    if due != c.response_due_on:
        # The department may be given a tighter date, never a later one: a later date is an extension,
        # which needs a reason and the complainant told.
        if due > c.response_due_on:
            raise ActionInvalid({"response_due_on": str(_l(
                "The response is due by %(date)s; to give more time, extend the deadline with a reason.",
                date=format_date(c.response_due_on, "medium")))})
        if due < today():
            raise ActionInvalid({"response_due_on": str(_l("The due date cannot be in the past."))})
    transfer = c.department_id is not None and c.state != State.registered
    previous = c.department.code if c.department else None
    c.department_id = department.id
    c.assigned_at = utcnow()
    c.sent_back_at = None
    c.response_due_on = due
    _acknowledge(c, data)
    return {"department": department.code, "previous_department": previous if transfer else None,
            "response_due_on": due, "note": data.get("note"), "acknowledged_via": data.get("acknowledged_via")}


def _accept(c: Complaint, user: User, data: dict) -> dict:
    return {}


def _send_back(c: Complaint, user: User, data: dict) -> dict:
    department = c.department.code if c.department else None
    c.department_id = None
    c.sent_back_at = utcnow()
    return {"reason": data["reason"], "department": department}


def _record_findings(c: Complaint, user: User, data: dict) -> dict:
    recorded = {k: data.get(k) or None for k in ("findings", "cause", "responsibility", "remedy",
                                                   "corrective_actions")}
    for key, value in recorded.items():
        setattr(c, key, value)
    c.findings_recorded_at = utcnow()
    return recorded


def _sign_off(c: Complaint, user: User, data: dict) -> dict:
    if not c.findings or not c.responsibility:
        raise ActionInvalid({"response_text": str(_l("Record the findings and responsibility before signing off."))})
    c.response_text = data["response_text"]
    c.signed_off_by_id = user.id
    c.signed_off_at = utcnow()
    c.approved_by_id = c.approved_at = None
    return {"response_text": data["response_text"], "signed_by": user.display_name}


def _approve(c: Complaint, user: User, data: dict) -> dict:
    c.approved_by_id = user.id
    c.approved_at = utcnow()
    return {"comment": data.get("comment")}


def _return_for_rework(c: Complaint, user: User, data: dict) -> dict:
    c.signed_off_at = c.signed_off_by_id = None
    return {"comment": data["comment"]}


def _respond(c: Complaint, user: User, data: dict) -> dict:
    method = ContactMethod(data["method"])
    if c.wants_written_reply and method != ContactMethod.written:
        raise ActionInvalid({"method": str(_l("This complaint must be answered in writing."))})
    responded_on = data.get("responded_on") or today()
    if responded_on > today():
        raise ActionInvalid({"responded_on": str(_l("The response date cannot be in the future."))})
    c.response_method = method.value
    c.response_text = data["response_text"]
    c.responded_on = responded_on
    c.responded_at = utcnow()
    c.responded_on_time = _on_time(responded_on, c.response_due_on)
    c.follow_up_due_on = policy.due_on(Clock.follow_up, responded_on)
    _acknowledge(c, {"acknowledged_via": method.value})  # told the answer, so told it was received (late)
    return {"method": method.value, "responded_on": responded_on, "response_text": data["response_text"]}


def _follow_up(c: Complaint, user: User | None, data: dict) -> dict:
    c.follow_up_method = data["method"]
    c.satisfied = bool(data["satisfied"])
    c.follow_up_comment = data.get("comment") or None
    c.followed_up_at = utcnow()
    c.followed_up_on_time = _on_time(c.followed_up_at, c.follow_up_due_on)
    if c.satisfied:
        c.closed_at = c.followed_up_at
    else:
        c.reopened_count += 1
        c.signed_off_at = c.signed_off_by_id = c.approved_at = c.approved_by_id = None
    return {"method": data["method"], "satisfied": c.satisfied, "comment": data.get("comment")}


def _extend(c: Complaint, user: User, data: dict) -> dict:
    field_name = "follow_up_due_on" if c.state == State.responded else "response_due_on"
    old = getattr(c, field_name)
    new = data.get("new_due_on")
    # An extension must say why and how the complainant was told (SPEC §4); the form asks too, but the
    # rule belongs to the operation, so no caller can move a deadline silently.
    errors = {}
    if new is None:
        errors["new_due_on"] = str(_l("Enter the new due date."))
    if not (data.get("reason") or "").strip():
        errors["reason"] = str(_l("Give the reason for the extension."))
    if not data.get("complainant_told_via"):
        errors["complainant_told_via"] = str(_l("Record how the complainant was told."))
    if errors:
        raise ActionInvalid(errors)
    if old is not None and new <= old:
        raise ActionInvalid({"new_due_on": str(_l("The new due date must be later than the current one."))})
    setattr(c, field_name, new)
    return {"clock": field_name, "from": old, "to": new, "reason": data["reason"],
            "complainant_told_via": data["complainant_told_via"]}


def _escalate(c: Complaint, user: User | None, data: dict) -> dict:
    # Staff give a reason; the SLA sweep gives the deadlines that were missed.
    return {"reason": data.get("reason"), "missed": data.get("missed")}


def _note(c: Complaint, user: User, data: dict) -> dict:
    return {"text": data["text"]}


def _withdraw(c: Complaint, user: User, data: dict) -> dict:
    c.closed_at = utcnow()
    return {"reason": data["reason"]}


HANDLERS = {
    Action.triage: _triage,
    Action.resolve_on_the_spot: _resolve_on_the_spot,
    Action.decline: _decline,
    Action.assign: _assign,
    Action.accept: _accept,
    Action.send_back: _send_back,
    Action.record_findings: _record_findings,
    Action.sign_off: _sign_off,
    Action.approve: _approve,
    Action.return_for_rework: _return_for_rework,
    Action.respond: _respond,
    Action.follow_up: _follow_up,
    Action.extend: _extend,
    Action.escalate: _escalate,
    Action.note: _note,
    Action.withdraw: _withdraw,
}


def events_since(complaint: Complaint, version: int) -> list[ComplaintEvent]:
    """What happened after the person loaded the page (each action bumps the version once)."""
    events = db.session.scalars(
        select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id).order_by(ComplaintEvent.id)
    ).all()
    missed = max(complaint.version - version, 0)
    return list(events[-missed:]) if missed else []


def perform(user: User | None, action: Action, complaint: Complaint, data: dict,
            expected_version: int | None) -> Result:
    """Check, change state, record the event. The caller commits (or rolls back on any exception)."""
    action = Action(action)
    if expected_version is not None and expected_version != complaint.version:
        raise Conflict(complaint, events_since(complaint, expected_version))
    if not can(user, action, complaint):
        raise ActionRefused(action)
    transition = TRANSITIONS[action]
    from_state = complaint.state
    before = _Before(from_state, complaint.is_major, complaint.acknowledged_at is not None,
                     complaint.escalation_level)
    event_data = HANDLERS[action](complaint, user, data)
    if role_of(user) == Role.system:
        event_data["automatic"] = True  # the timeline says no person did it
    target = transition.target
    if callable(target):
        target = target(complaint, data)
    if target is not None:
        complaint.status = target.value
    if transition.escalates_with(data):
        complaint.escalation_level += 1
        event_data["level"] = complaint.escalation_level
    # Every action updates the row, so the version goes up once per event even when nothing else on the
    # complaint changed (a note): events_since() and the optimistic lock count on it.
    complaint.updated_at = utcnow()
    event = _append_event(complaint, user, action, from_state, event_data)
    try:
        db.session.flush()
    except StaleDataError:
        # Another request committed between our read and our write.
        db.session.rollback()
        fresh = db.session.get(Complaint, complaint.id)
        raise Conflict(fresh, events_since(fresh, expected_version or 0)) from None
    _notify(action, before, complaint, event)
    return Result(complaint, event)


# --- who hears about what (issue 3) --------------------------------------------------------------
# Decided in this one place for create() and perform(), from what the action changed; the rows go into the
# action's own transaction. Keys come from the event, so a retried request cannot queue a second time.


@dataclass(frozen=True)
class _Before:
    state: State | None
    major: bool
    acknowledged: bool
    escalation_level: int


# The complainant's answer (response or resolution on the spot) also tells them it was received.
_ANSWERS = frozenset({Action.respond, Action.resolve_on_the_spot})

NOTIFY_ON: tuple[tuple[str, Any], ...] = (
    ("assigned", lambda action, before, c: action == Action.assign),  # the department's head(s)
    ("sent_back", lambda action, before, c: action == Action.send_back),  # reception
    # Ready to tell the complainant, whether straight from sign-off or after leadership approved.
    ("signed_off", lambda action, before, c: c.state == State.signed_off and before.state != State.signed_off),
    ("major", lambda action, before, c: c.is_major and not before.major),  # leadership, at once
    ("escalated", lambda action, before, c: c.escalation_level > before.escalation_level),  # leadership
    ("acknowledged", lambda action, before, c: c.acknowledged_at is not None and not before.acknowledged
     and action not in _ANSWERS),  # the complainant
    ("extended", lambda action, before, c: action == Action.extend),  # the complainant
    ("responded", lambda action, before, c: action in _ANSWERS),  # the complainant
)


def _notify(action: Action, before: _Before, complaint: Complaint, event: ComplaintEvent) -> None:
    for kind, fires in NOTIFY_ON:
        if fires(action, before, complaint):
            # Leadership hears of a major complaint once, even if it is triaged down and up again.
            key = f"major:{complaint.id}" if kind == "major" else f"{kind}:event:{event.id}"
            notify(kind, complaint, key=key, data=event.data)
