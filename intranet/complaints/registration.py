"""Registering a complaint (登记): submitted on the public form or logged by reception, with its reference,
tracking code, due dates and first event, in one transaction. `create()` is the only code that creates
complaints; every later change goes through `operations.perform()`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update

from ..core.database import insert_or_ignore
from ..core.departments import Category
from ..core.extensions import db
from ..core.time import local, utcnow
from ..core.users import User
from ..deadlines import policy
from ..deadlines.models import Clock
from . import clocks, search
from .evidence import rows_for
from .lifecycle import SPECS, Action
from .models import Channel, Complaint, Complexity, ReferenceCounter, Severity
from .operations import Result
from .permissions import can
from .recording import append_event, send_notices
from .spec import ActionRefused, Before
from .tracking_codes import hash_tracking_code, new_tracking_code


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


CREATE_FIELDS = (
    "anonymous", "confidential", "complainant_name", "complainant_relation", "complainant_phone",
    "complainant_email", "preferred_reply", "wants_written_reply", "language", "patient_name",
    "patient_record_number", "incident_on", "subject_department_id", "subject_ward", "what_happened",
    "desired_outcome", "category_id", "severity", "complexity",
)


def _triage_chosen(complaint: Complaint, complexity: Complexity) -> dict:
    """What reception chose on the log form, for the first event (as triage records it later): the
    category by its code, so that a later change of category can be traced."""
    with db.session.no_autoflush:
        category = db.session.get(Category, complaint.category_id) if complaint.category_id else None
    return {"category": category.code if category else None,
            "severity": complaint.severity or Severity.minor.value, "complexity": complexity.value}


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
    # Evidence files, already checked and stored by the caller (evidence.store): rows in this transaction,
    # each marked "may identify" if the complainant asked for confidentiality.
    evidence = rows_for(complaint, data.get("evidence"))
    db.session.add_all(evidence)
    # Written before its first event, which records every fact as stored (the columns' defaults included).
    db.session.flush()
    event = append_event(complaint, user, action, None, {
        "channel": channel.value,
        **(_triage_chosen(complaint, complexity) if action == Action.log else {}),
        "acknowledged_via": complaint.acknowledged_via,
        "evidence_files": len(evidence) or None,
    }, creates=True)
    db.session.flush()
    search.reindex(complaint, new=True)  # in the same transaction: a complaint is findable from its commit on
    send_notices(SPECS[action], Before(None, False, False, 0), complaint, event)
    return Result(complaint, event, tracking_code=code)
