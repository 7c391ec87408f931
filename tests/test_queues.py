"""Each role's queues list what SPEC §5 says they do, and their badges count exactly that: nine complaints of
known states, departments, deadlines and flags, and every queue's list and count written out as a table.

A work list holds open complaints only, however its other conditions read (a closed complaint that was
escalated, major and overdue is in no work list); a history list holds every complaint it may show."""

from datetime import timedelta

import pytest

from intranet.complaints import queues
from intranet.complaints.lifecycle import State
from intranet.core.extensions import db
from intranet.core.time import today, utcnow
from tests import factories

# name: (state, department, what else is true of it). Dates are days from today; "ack" is whether the
# complainant was acknowledged, "ack_due" when that was due.
COMPLAINTS = {
    "A": (State.submitted, None, dict(ack=False, ack_due=2, response=15)),
    "B": (State.registered, None, dict(ack=True, response=15, sent_back=True)),
    "C": (State.assigned, "cardiology", dict(ack=False, ack_due=-3, response=15)),
    "D": (State.investigating, "cardiology", dict(ack=True, response=-2, escalation=1)),
    "E": (State.awaiting_approval, "cardiology", dict(ack=True, response=15, major=True)),
    "F": (State.signed_off, "nursing", dict(ack=True, response=15)),
    "G": (State.responded, "cardiology", dict(ack=True, response=-20, follow_up=10)),
    "H": (State.closed, "cardiology", dict(ack=False, ack_due=-30, response=-20, escalation=1, major=True)),
    "I": (State.withdrawn, "nursing", dict(ack=True, response=-5, major=True)),
}

QUEUES = {
    "reception": {
        "new": "A",
        "acknowledge": "AC",  # triaged or not: A is still to be acknowledged too
        "sent_back": "B",
        "to_tell": "F",
        "follow_up": "G",
        "report_back": "",  # no referral here (tests/test_referrals.py lists them)
        "open": "ABCDEFG",
    },
    "head": {  # of cardiology
        "new": "C",
        "investigating": "DE",
        "overdue": "D",  # a department's own clocks: C's late acknowledgement is reception's
        "contribution_due": "",  # no other department asked cardiology for its part (test_co_handling.py)
        "history": "CDEGH",
    },
    "other_head": {  # of nursing
        "new": "",
        "investigating": "",
        "overdue": "",
        "contribution_due": "",
        "history": "FI",
    },
    "leadership": {
        "escalated": "D",
        "approval": "E",
        "overdue": "CD",
        "major": "E",
        "all": "ABCDEFGHI",
    },
    # No complaint before a break-glass opening (test_break_glass.py).
    "admin": {
        "open": "",
        "all": "",
    },
}


@pytest.fixture
def hospital(world):
    references = {}
    now, on = utcnow(), today()
    for name, (state, department, facts) in COMPLAINTS.items():
        complaint = factories.make_complaint(world, state)
        complaint.department = getattr(world, department) if department else None
        complaint.acknowledged_at = now if facts["ack"] else None
        complaint.acknowledge_due_on = on + timedelta(days=facts["ack_due"]) if "ack_due" in facts else None
        complaint.response_due_on = on + timedelta(days=facts["response"])
        complaint.follow_up_due_on = on + timedelta(days=facts["follow_up"]) if "follow_up" in facts else None
        complaint.sent_back_at = now if facts.get("sent_back") else None
        complaint.escalation_level = facts.get("escalation", 0)
        complaint.severity = "major" if facts.get("major") else "minor"
        references[complaint.reference] = name
        db.session.commit()
    return references


@pytest.mark.parametrize("who,queue", [(who, queue) for who, lists in QUEUES.items() for queue in lists])
def test_each_queue_lists_and_counts_what_it_says(world, hospital, who, queue):
    user = world.user(who)
    listed = queues.complaints_in(user, queues.find_queue(user, queue), limit=50)
    expected = QUEUES[who][queue]
    assert "".join(sorted(hospital[c.reference] for c in listed)) == expected
    assert queues.counts(user)[queue] == len(expected)


def test_the_table_names_every_queue_of_every_role(world):
    for who, lists in QUEUES.items():
        assert [q.name for q in queues.queues_for(world.user(who))] == list(lists)
