"""The one engine for every record with steps (a complaint's actions, a corrective action's steps): check,
change state, append the event.

`perform()` is the only code that assigns a record's status after it was created. The spec of the step
says who may take it, from where, to where and what it does (`spec.py`); the record's kind says how its
events are written and what follows (`RecordKind`: `recording.py` for complaints). Everything is written in
the caller's transaction, so a refused or failed step leaves nothing half-written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.exc import StaleDataError

from ..core.database import touch
from ..core.extensions import db
from ..core.roles import Role, role_of
from ..core.time import local
from .permissions import can
from .spec import ActionInvalid, ActionRefused, Conflict

__all__ = ["CONFLICT", "ActionInvalid", "ActionRefused", "Conflict", "Result", "happened", "perform"]

# What the loser of a race is told, whatever the record: then what the others did (happened()), and the
# record as it is now.
CONFLICT = _l("Someone else acted on this first, so your change was not saved.")


@dataclass
class Result:
    record: Any  # the complaint or corrective action the step was taken on
    event: Any
    tracking_code: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def complaint(self):
        return self.record


def perform(user, action, record, data: dict | None, expected_version: int | None,
            form_errors: dict | None = None) -> Result:
    """Check, change state, record the event. The caller commits (or rolls back on any exception).

    `action` is a step of the record's kind (a lifecycle `Action`, a corrective `Step`): it names its spec
    and its record kind. The checks run in this order, here only: the version first (the usual reason a step
    is no longer allowed is that someone else moved the record on, and the person should hear that, not "not
    allowed"), then who may act, then the caller's form (`form_errors`, if its own checks failed), then what
    the step requires done before it, then the step's own rules (its `apply` raises ActionInvalid).
    """
    spec, kind = action.spec, action.record_kind
    if expected_version is not None and expected_version != record.version:
        since = kind.events_since(record, expected_version)
        if not (spec.commutes and all(_commutes(type(action), kind.step_of(event)) for event in since)):
            raise Conflict(record, since)
    if not can(user, action, record):
        raise ActionRefused(action)
    if form_errors is not None:
        raise ActionInvalid(form_errors)
    kind.check_requirements(spec, record)
    from_state = record.state
    before = kind.before(record)
    recorded = spec.apply(record, user, data) if spec.apply else {}
    if role_of(user) == Role.system:
        recorded["automatic"] = True  # the timeline says no person did it
    target = spec.target_for(record, data)
    if target is not None:
        record.status = target.value
    kind.changed(spec, record, data, recorded)
    # Every step updates the row, so the version goes up once per event even when nothing else on the record
    # changed (a note): events_since() and the optimistic lock count on it.
    touch(record)
    event = kind.record_event(spec, record, user, action, from_state, recorded)
    try:
        db.session.flush()
    except StaleDataError:
        # Another request committed between our read and our write.
        db.session.rollback()
        fresh = db.session.get(type(record), record.id)
        raise Conflict(fresh, kind.events_since(fresh, expected_version or 0)) from None
    kind.followed_by(spec, record, user, event, before)
    return Result(record, event)


def _commutes(steps, name: str) -> bool:
    try:
        return steps(name).spec.commutes
    except ValueError:  # an event of no step of this kind's: nothing to assume
        return False


def happened(action, conflict: Conflict) -> list[str]:
    """What the others did since the person loaded the page, one line each: who, what, when."""
    kind, steps = action.record_kind, type(action)
    return [_("%(who)s: %(action)s at %(time)s", who=event.actor.display_name if event.actor else _("the complainant"),
              action=steps(kind.step_of(event)).label, time=local(event.at).strftime("%H:%M"))
            for event in conflict.events]
