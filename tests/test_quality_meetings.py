"""The quality meeting (质量例会): leadership records who came, the complaints reviewed (each a real
reference), what was decided and the corrective actions raised or followed; the record is linked from the
period's analysis and printable with it. A refused form comes back with everything typed."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from intranet.complaints.lifecycle import State
from intranet.core.extensions import db
from intranet.reports.models import QualityMeeting
from tests import factories
from tests.conftest import csrf_token, login
from tests.test_corrective_actions import make_action

DECISIONS = "门诊候诊超过30分钟须广播告知；心内科下月起增开夜间门诊。"


def _post(client, data, period="2026-10"):
    url = f"/reports/meetings/new?period={period}&lang=en"
    return client.post(url, data={"csrf_token": csrf_token(client, url), **data})


def _count():
    return db.session.scalar(select(func.count()).select_from(QualityMeeting))


def test_leadership_records_a_meeting_linked_from_the_analysis(world, client):
    complaint = factories.make_complaint(world, State.investigating)
    action = make_action(world, complaints=[complaint])
    login(client, world.leadership)
    response = _post(client, {"held_on": "2026-11-05", "attendees": [str(world.head.id), str(world.reception.id)],
                              "attendees_text": "质控科 王主任", "complaints": f" {complaint.reference.lower()}，",
                              "decisions": DECISIONS, "corrective_actions": action.number})
    assert response.status_code == 303
    meeting = db.session.scalars(select(QualityMeeting)).one()
    assert (meeting.held_on.isoformat(), meeting.period_kind, meeting.period_start.isoformat()) == \
        ("2026-11-05", "month", "2026-10-01")
    assert sorted(u.id for u in meeting.attendees) == sorted([world.head.id, world.reception.id])
    assert [c.reference for c in meeting.complaints] == [complaint.reference]
    assert [a.id for a in meeting.corrective_actions] == [action.id]
    record = client.get(response.headers["Location"] + "?lang=en").get_data(as_text=True)
    assert "Quality meeting of 5 Nov 2026" in record and "on the analysis of October 2026" in record
    assert "质控科 王主任" in record and DECISIONS in record and world.head.display_name in record
    assert f'href="/complaints/{complaint.reference}"' in record and action.number in record
    assert "Printed " in record  # laid out to print with the analysis
    analysis = client.get("/reports/monthly/2026-10?lang=en").get_data(as_text=True)
    assert f'href="/reports/meetings/{meeting.id}"' in analysis


@pytest.mark.parametrize(("field", "typed", "error"), [
    ("complaints", "TS-2026-999999", "No complaint has this reference: TS-2026-999999."),
    ("corrective_actions", "ZG-09999", "No corrective action has this number: ZG-09999."),
    ("decisions", "  ", "Enter what the meeting decided."),
    ("attendees_text", "", "Choose the staff who attended, or name those who did."),
])
def test_a_refused_meeting_keeps_what_was_typed(world, client, field, typed, error):
    login(client, world.leadership)
    data = {"held_on": "2026-11-05", "attendees_text": "质控科 王主任", "complaints": "",
            "decisions": DECISIONS, "corrective_actions": "", field: typed}
    response = _post(client, data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert error in page and f'id="{field}-error"' in page
    for name, value in data.items():
        if name != field and value.strip():
            assert value in page  # everything else typed is still there
    assert _count() == 0


@pytest.mark.parametrize("role", ["reception", "head"])
def test_only_leadership_records_a_meeting(world, client, role):
    login(client, world.user(role))
    assert client.get("/reports/meetings/new?period=2026-10").status_code == 403
    assert _post(client, {"held_on": "2026-11-05", "attendees_text": "x", "decisions": DECISIONS}).status_code == 403
    assert _count() == 0
    assert "Record a quality meeting" not in client.get("/reports/monthly/2026-10?lang=en").get_data(as_text=True)
