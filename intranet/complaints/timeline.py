"""How an event's recorded data reads on the timeline."""

from contextlib import suppress
from datetime import date

from flask_babel import format_date
from flask_babel import lazy_gettext as _l

from .models import Channel, Complexity, ContactMethod, Responsibility, Severity

FIELD_LABELS = {
    "channel": _l("Channel"),
    "category_id": None,  # shown by name elsewhere; the id means nothing to a reader
    "severity": _l("Severity"),
    "complexity": _l("Complexity"),
    "acknowledged_via": _l("Acknowledged via"),
    "what_was_done": _l("What was done"),
    "method": _l("Method"),
    "reason": _l("Reason"),
    "complainant_told": _l("Complainant told"),
    "told_via": _l("Told via"),
    "department": _l("Department"),
    "previous_department": _l("Previous department"),
    "response_due_on": _l("Response due"),
    "note": _l("Note"),
    "findings": _l("Findings"),
    "cause": _l("Cause"),
    "responsibility": _l("Responsibility"),
    "remedy": _l("Remedy"),
    "corrective_actions": _l("Corrective actions"),
    "response_text": _l("Response"),
    "signed_by": _l("Signed by"),
    "comment": _l("Comment"),
    "responded_on": _l("Date told"),
    "satisfied": _l("Satisfied"),
    "clock": None,
    "from": _l("Was due"),
    "to": _l("Now due"),
    "complainant_told_via": _l("Complainant told via"),
    "level": _l("Escalation level"),
    "text": _l("Note"),
    "missed": _l("Missed deadlines"),
    "automatic": None,  # the actor column already says "System"
    "evidence_files": _l("Evidence files"),
}

VALUE_ENUMS = {
    "channel": Channel,
    "severity": Severity,
    "complexity": Complexity,
    "acknowledged_via": ContactMethod,
    "method": ContactMethod,
    "told_via": ContactMethod,
    "complainant_told_via": ContactMethod,
    "responsibility": Responsibility,
}

MISSED_CLOCKS = {
    "acknowledge": _l("Acknowledgement due %(date)s"),
    "response": _l("Response due %(date)s"),
    "follow_up": _l("Follow-up due %(date)s"),
}


def _missed(value) -> str:
    """The SLA sweep's escalations list the due dates that were missed."""
    parts = []
    for item in value if isinstance(value, list) else []:
        with suppress(KeyError, ValueError, TypeError):
            parts.append(str(MISSED_CLOCKS[item["clock"]]) % {
                "date": format_date(date.fromisoformat(item["due_on"]), "medium")})
    return "; ".join(parts)


DATE_KEYS = {"response_due_on", "responded_on", "from", "to"}


def describe(event, departments: dict[str, str]) -> list[tuple[str, str]]:
    """(label, value) pairs for the event's data, in a reader's words."""
    rows = []
    for key, value in (event.data or {}).items():
        label = FIELD_LABELS.get(key, key)
        if label is None:
            continue
        if key == "missed":
            value = _missed(value)
        elif key in VALUE_ENUMS:
            with suppress(ValueError):
                value = VALUE_ENUMS[key](value).label
        elif key in ("department", "previous_department"):
            value = departments.get(value, value)
        elif key in DATE_KEYS and isinstance(value, str):
            with suppress(ValueError):
                value = format_date(date.fromisoformat(value), "medium")
        elif isinstance(value, bool):
            value = _l("Yes") if value else _l("No")
        rows.append((str(label), str(value)))
    return rows
