"""What a queue row and a search result read: the columns a row shows and its buttons depend on, loaded
in one statement; and the clauses of a complaint's state the lists are written with."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload, load_only

from ..core.users import User
from .models import Complaint
from .states import State


def status_in(*states: State):
    return Complaint.status.in_([s.value for s in states])


def is_open():
    return Complaint.open_clause()


# What a queue row (and a search result) shows and what decides its buttons (lifecycle.offered():
# the states, the department, acknowledgement, confidentiality): a row reads these columns only, not the
# complaint's whole record (its findings, response, follow-up...), which was about 40 % of reading fifty rows
# on PostgreSQL. A column the row template or an action's condition comes to need must be added here, or
# each row loads it with a query of its own (tests/test_queue_queries.py counts them).
ROW_COLUMNS = ("reference", "received_at", "what_happened", "status", "escalation_level", "severity",
               "response_due_on", "follow_up_due_on", "acknowledge_due_on", "acknowledged_at", "version",
               "response_due_at", "follow_up_due_at", "acknowledge_due_at",
               # off the clocks (a medical dispute): no overdue badge
               "disputed_since",
               "anonymous", "confidential", "complainant_relation", "disclosed_name", "disclosed_contact",
               "disclosed_patient", "department_id", "category_id",
               # who may see and act on it (the discipline office's integrity complaints), asked of every row
               "integrity",
               # the member of the department's staff handling it: named in the head's rows, and decides the
               # handler's own buttons
               "handler_id",
               # a referral still to report back to the body that referred it, and by when; or reported back
               # on which day, and whether in time
               "referral_body_id", "reported_back_at", "report_back_due_on", "reported_back_on",
               "reported_back_on_time")


def rows():
    """The statement of whole rows as a queue or search page shows them: no query per row."""
    return select(Complaint).options(joinedload(Complaint.department), joinedload(Complaint.category),
                                     # named only while a current member of the department's staff
                                     joinedload(Complaint.handler).load_only(
                                         User.id, User.display_name, User.role, User.department_id, User.active),
                                     load_only(*(getattr(Complaint, name) for name in ROW_COLUMNS)))
