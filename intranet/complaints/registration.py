"""Registering a complaint (登记): submitted on the public form or logged by reception, with its reference,
tracking code, due dates and first event, in one transaction. `create()` is the only code that creates
complaints; every later change goes through `operations.perform()`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value

from ..core.database import insert_or_ignore
from ..core.departments import Category
from ..core.extensions import db
from ..core.time import local, utcnow
from ..core.users import User
from ..deadlines import policy
from ..deadlines.models import Clock
from ..directory import lookup
from . import audit, clocks, search
from .actions.intake import is_integrity
from .actions.referral import body_code, tighten_response
from .evidence import rows_for
from .lifecycle import SPECS, Action
from .models import Channel, Complaint, Complexity, ReferenceCounter, Severity
from .operations import Result
from .people import ComplaintPerson
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
    "desired_outcome", "category_id", "severity", "complexity", "people_not_identified", "integrity", "about_head",
    "referral_body_id", "referral_case_number", "referral_reply_by",
)


def _triage_chosen(complaint: Complaint, complexity: Complexity) -> dict:
    """What reception chose on the log form, for the first event (as triage records it later): the
    category by its code, so that a later change of category can be traced."""
    with db.session.no_autoflush:
        category = db.session.get(Category, complaint.category_id) if complaint.category_id else None
    return {"category": category.code if category else None,
            "severity": complaint.severity or Severity.minor.value, "complexity": complexity.value,
            "integrity": complaint.integrity or None, "about_head": complaint.about_head or None}


def _people_named(complaint: Complaint, user: User | None, action: Action, data: dict) -> dict:
    """The people it is about, as the intake form chose them from the directory or the public form gave
    them in the complainant's words: rows of this transaction, and what the first event records of them."""
    role = "reception" if action == Action.log else "public"
    now = utcnow()
    by = user.id if action == Action.log else None
    people = [ComplaintPerson(staff_member_id=member.id, staff_member=member, named_by_id=by, named_by_role=role,
                              named_at=now) for member in lookup.people(list(dict.fromkeys(data.get("people") or [])))]
    described = (data.get("people_described") or "").strip()
    if described:
        people.append(ComplaintPerson(described=described, named_by_role=role, named_at=now))
    complaint.people.extend(people)
    if people:  # someone named is someone identified, whatever box was also ticked
        complaint.people_not_identified = False
    recorded = {}
    if people:
        recorded["people"] = [p.recorded_name() for p in people if p.staff_member_id] or None
        recorded["described"] = described or None
    if complaint.people_not_identified:
        recorded["people_not_identified"] = True
    return {k: v for k, v in recorded.items() if v}


def _referral_recorded(complaint: Complaint) -> dict:
    """What the first event records of a referral: who referred it, their case number and reply-by date, and
    the response date it tightened (the hospital's own, and theirs)."""
    if complaint.referral_body_id is None:
        return {}
    recorded = {"referral_body": body_code(complaint.referral_body_id),
                "referral_case_number": complaint.referral_case_number,
                "referral_reply_by": complaint.referral_reply_by}
    recorded.update(tighten_response(complaint))
    return {k: v for k, v in recorded.items() if v is not None}


def create(user: User | None, data: dict, *, received_at: datetime | None = None,
           tracking_code: str | None = None, facts: dict | None = None) -> Result:
    """Submit (public) or log (reception) a complaint: reference, tracking code, due dates, first event.
    `tracking_code`: one from held_tracking_code(), for the page that shows it next; else a new one.
    `facts`: more for the first event to record (what a mailed complaint's email held that was refused)."""
    action = Action.log if user is not None and user.is_authenticated else Action.submit
    if not can(user, action):
        raise ActionRefused(action)
    received_at = received_at or utcnow()
    complexity = Complexity(data.get("complexity") or Complexity.simple)
    channel = Channel(data.get("channel") or Channel.online)
    code = tracking_code or new_tracking_code()
    respond = policy.respond_clock(complexity)
    severity = data.get("severity") or Severity.minor.value
    due = policy.dues([respond] if data.get("anonymous") else [Clock.acknowledge, respond], severity, received_at)
    complaint = Complaint(
        tracking_code_hash=hash_tracking_code(code),
        status=SPECS[action].target.value,
        channel=channel.value,
        received_at=received_at,
        created_by_id=user.id if action == Action.log else None,
        # Nobody to tell of an anonymous complaint: it has no acknowledgement clock.
        **{k: data[k] for k in CREATE_FIELDS if k in data and data[k] not in (None, "")},
    )
    complaint.set_due("acknowledge", due.get(Clock.acknowledge))
    complaint.set_due("response", due[respond])
    if channel == Channel.letter:
        complaint.wants_written_reply = True  # 书面投诉书面答复
    if complaint.anonymous:
        complaint.complainant_name = complaint.complainant_phone = complaint.complainant_email = None
    if channel != Channel.referral:  # only a referral has a referring body and its details
        complaint.referral_body_id = complaint.referral_case_number = complaint.referral_reply_by = None
    # The referring body's reply-by date, earlier than the hospital's response date, governs: the first event
    # records both.
    referral = _referral_recorded(complaint)
    if action == Action.log:
        clocks.acknowledge(complaint, data.get("acknowledged_via"))
        complaint.integrity = is_integrity(complaint, data.get("integrity"))
    # The reference last, just before the writes: its counter row stays locked until the commit, and
    # concurrent submissions wait on it, so nothing else is done while it is held.
    complaint.reference = next_reference(local(utcnow()).year)
    db.session.add(complaint)
    # Evidence files, already checked and stored by the caller (evidence.store): rows in this transaction,
    # each marked "may identify" if the complainant asked for confidentiality.
    evidence = rows_for(complaint, data.get("evidence"))
    db.session.add_all(evidence)
    named = _people_named(complaint, user, action, data)
    # Rows of its own it cannot have but those added above: its other collections are empty, and said so they
    # are not read back after the flush for the first event, which digests each of them (seven SELECTs).
    for name in (*audit.HISTORIES, *audit.ROW_FACTS):
        if name not in complaint.__dict__:
            set_committed_value(complaint, name, [])
    # Written before its first event, which records every fact as stored (the columns' defaults included).
    db.session.flush()
    event = append_event(complaint, user, action, None, {
        "channel": channel.value,
        **(_triage_chosen(complaint, complexity) if action == Action.log else {}),
        "acknowledged_via": complaint.acknowledged_via,
        "evidence_files": len(evidence) or None,
        **named,
        **referral,
        **(facts or {}),
    }, creates=True)
    db.session.flush()
    search.reindex(complaint, new=True)  # in the same transaction: a complaint is findable from its commit on
    send_notices(SPECS[action], Before(None, False, False, 0), complaint, event)
    return Result(complaint, event, tracking_code=code)
