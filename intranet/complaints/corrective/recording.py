"""What a step adds around its spec on a corrective action (its `RecordKind`): its event on the action's
own append-only timeline. Nothing else follows a step: corrective actions have no search index or notices."""

from __future__ import annotations

from ...core.event_data import event_data
from ..spec import RecordKind
from .models import CorrectiveAction, CorrectiveActionEvent


def append_event(action: CorrectiveAction, user, step, from_status, data: dict) -> CorrectiveActionEvent:
    event = CorrectiveActionEvent(
        actor_id=user.id, step=str(step), from_status=from_status.value if from_status else None,
        to_status=action.status, data=event_data(data))
    action.events.append(event)
    return event


class CorrectiveActions(RecordKind):
    def step_of(self, event: CorrectiveActionEvent) -> str:
        return event.step

    def record_event(self, spec, action: CorrectiveAction, user, step, from_status, data: dict):
        return append_event(action, user, step, from_status, data)


CORRECTIVE_ACTIONS = CorrectiveActions()
