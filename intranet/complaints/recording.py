"""What an action adds around its spec on a complaint (the complaint's `RecordKind`): its event, chained
to the one before it; what it requires done first; its escalation; its files' marks when it makes the
complaint confidential; the note it leaves on another complaint; the search index and the notices, all in
the action's transaction."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select

from ..core.database import touch
from ..core.departments import Department
from ..core.event_data import event_data
from ..core.extensions import db
from ..core.time import utcnow
from ..notifications.outbox import notify
from . import audit, evidence, search
from .models import Complaint, ComplaintEvent
from .spec import ActionInvalid, Before, RecordKind
from .states import State


def append_event(complaint: Complaint, user, action: str, from_state: State | None, data: dict,
                 creates: bool = False) -> ComplaintEvent:
    """The event, chained, with the digests of the facts it changed (`creates`: the first event, which
    records every fact of the complaint just written)."""
    event = ComplaintEvent(
        complaint=complaint,
        actor_id=user.id if user is not None and user.is_authenticated else None,
        at=utcnow(),
        action=str(action),
        from_state=from_state.value if from_state else None,
        to_state=complaint.status,
        data=event_data(data),
        facts=audit.changed_facts(complaint, every=creates),
    )
    # Chained to the complaint's event before it (the optimistic lock makes appends to one complaint
    # take turns, so two can never chain to the same one); the first event of a complaint to none.
    previous = audit.GENESIS if creates else audit.previous_hash(complaint)
    event.hash = audit.event_hash(previous, complaint.reference, event)
    db.session.add(event)
    return event


def before(complaint: Complaint) -> Before:
    return Before(complaint.state if complaint.status else None, complaint.is_major,
                  complaint.acknowledged_at is not None, complaint.escalation_level or 0)


def send_notices(spec, before: Before, complaint: Complaint, event: ComplaintEvent) -> None:
    """Each spec names its notices. Keys come from the event, so a retried request cannot queue twice."""
    about = complaint.about()
    for notice in spec.notices:
        if notice.fires(before, complaint, event.data):
            name = notice.kind.name
            key = f"{name}:{complaint.id}" if notice.once_per_complaint else f"{name}:event:{event.id}"
            notify(notice.kind, _about_department(about, notice, event.data), key=key,
                   data={**event.data, **dict(notice.adds)})


def _about_department(about, notice, data: dict):
    """The message about the complaint, told to the department (or the handler) the event names when the
    notice says so."""
    if notice.to_handler is not None:
        return replace(about, handler_id=data.get(notice.to_handler))
    if notice.to_department is None:
        return about
    department = db.session.scalar(select(Department).where(Department.code == data.get(notice.to_department)))
    return replace(about, department=department, with_department=True)


class Complaints(RecordKind):
    def step_of(self, event: ComplaintEvent) -> str:
        return event.action

    def events_since(self, complaint: Complaint, version: int) -> list[ComplaintEvent]:
        events = db.session.scalars(
            select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id).order_by(ComplaintEvent.id)
        ).all()
        missed = max(complaint.version - version, 0)
        return list(events[-missed:]) if missed else []

    def check_requirements(self, spec, complaint: Complaint) -> None:
        for requirement in spec.requires:
            if not requirement.done(complaint):
                raise ActionInvalid({requirement.field: str(requirement.message)})

    def before(self, complaint: Complaint) -> Before:
        return before(complaint)

    def changed(self, spec, complaint: Complaint, data: dict, recorded: dict) -> None:
        if complaint.confidential:
            # Made confidential since its files came (by this step or another): they may identify the
            # complainant too, unless a person has marked them.
            evidence.follow_confidentiality(complaint)
        if spec.escalates_with(data):
            complaint.escalation_level += 1
            recorded["level"] = complaint.escalation_level

    def record_event(self, spec, complaint: Complaint, user, action, from_state, data: dict) -> ComplaintEvent:
        event = append_event(complaint, user, action, from_state, data)
        other = spec.records_on(complaint, event.data) if spec.records_on else None
        if other is not None:
            # A note on the other complaint's timeline, in this transaction; its version goes up with it.
            other_complaint, other_data = other
            touch(other_complaint)
            append_event(other_complaint, user, "note", other_complaint.state, other_data)
        return event

    def followed_by(self, spec, complaint: Complaint, user, event: ComplaintEvent, before: Before) -> None:
        search.reindex(complaint)
        # records_on() names the same complaint again (it looks it up, it writes nothing).
        other = spec.records_on(complaint, event.data) if spec.records_on else None
        if other is not None:
            search.reindex(other[0])
        send_notices(spec, before, complaint, event)


COMPLAINTS = Complaints()
