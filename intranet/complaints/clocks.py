"""The complaint's clocks as the actions meet them: whether a clock was met on time, and acknowledgement."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from ..core.time import local, utcnow
from ..deadlines import policy
from ..deadlines.models import Clock

if TYPE_CHECKING:
    from .models import Complaint


def on_time(met: datetime | date, due_on: date | None) -> bool | None:
    """Whether a clock was met by its stored due date, both read as hospital dates (None: it had none)."""
    if due_on is None:
        return None
    return (local(met).date() if isinstance(met, datetime) else met) <= due_on


def follow_up_due_on(complaint: Complaint, responded_on: date) -> date | None:
    """The follow-up clock starts with the response; an anonymous complaint has none (nobody to ask)."""
    if complaint.anonymous:
        return None
    return policy.due_on(Clock.follow_up, responded_on)


def acknowledge(complaint: Complaint, via: str | None) -> None:
    """Record that the complainant was told the complaint was accepted, the first time only."""
    if via and complaint.acknowledged_at is None:
        complaint.acknowledged_at = utcnow()
        complaint.acknowledged_via = via
        complaint.acknowledged_on_time = on_time(complaint.acknowledged_at, complaint.acknowledge_due_on)
