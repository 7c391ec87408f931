"""Notifications (issue "Nothing slips"): who hears what, written to an outbox in the action's transaction.

`notify()` is the one entry point the rest of the app calls. Until the outbox lands it records nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..complaints.models import Complaint

# What can be announced; each kind decides its own recipients.
KINDS = (
    "assigned",  # the head of the department
    "sent_back",  # reception
    "signed_off",  # reception
    "major",  # leadership, at once
    "escalated",  # leadership
    "due_tomorrow",  # the assignee (head) or reception, the day before a due date
    "acknowledged",  # the complainant, if they gave an email
    "extended",  # the complainant
    "responded",  # the complainant
)


def notify(kind: str, complaint: Complaint, *, key: str, data: dict | None = None) -> None:
    """Queue the notifications for `kind` about `complaint` in the current transaction.

    `key` is the idempotency key: the same key never queues twice (a rerun of the sweep adds nothing).
    """
    if kind not in KINDS:
        raise ValueError(kind)
