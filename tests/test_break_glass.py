"""The administrator reads no complaint, except one opened by breaking the glass: a reason given, written to
the identity-view log, leadership told, and the complaint open to that administrator for an hour."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from intranet.complaints.identity_views import IdentityView
from intranet.complaints.lifecycle import State
from intranet.core.extensions import db
from intranet.core.time import clock_at
from intranet.notifications.models import OutboxMessage
from tests import factories
from tests.conftest import PINNED, csrf_token, login

REASON = "Reception reports the complaint shows under the wrong account."


def confidential(world):
    return factories.make_complaint(world, State.investigating, confidential=True,
                                    patient_name="王小明", patient_record_number="MRN-778899")


def break_glass(client, complaint, reason=REASON):
    return client.post(f"/complaints/{complaint.reference}/break-glass?lang=en",
                       data={"csrf_token": csrf_token(client, "/"), "reason": reason})


def test_the_administrator_is_refused_a_complaint_before_breaking_the_glass(world, client):
    complaint = confidential(world)
    login(client, world.admin)
    response = client.get(f"/complaints/{complaint.reference}?lang=en")
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "give the reason below" in page
    assert "王女士" not in page and "13800138000" not in page and "MRN-778899" not in page
    assert "Waited three hours" not in page


@pytest.mark.parametrize("reason", ["", "need it", "   short    "])
def test_a_short_reason_is_refused_and_kept(world, client, reason):
    complaint = confidential(world)
    login(client, world.admin)
    response = break_glass(client, complaint, reason)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert ("Give the reason in 15 to 1000 characters" in page) or ("Give the reason you need" in page)
    assert reason.strip() in page
    assert db.session.scalars(select(IdentityView).where(IdentityView.reason.is_not(None))).all() == []


def test_breaking_the_glass_opens_the_complaint_logs_the_reason_and_tells_leadership(world, client):
    complaint = confidential(world)
    login(client, world.admin)
    response = break_glass(client, complaint)
    assert response.status_code == 303
    page = client.get(f"/complaints/{complaint.reference}?lang=en")
    assert page.status_code == 200 and "王女士" in page.get_data(as_text=True)
    db.session.rollback()
    logged = db.session.scalars(select(IdentityView).where(IdentityView.complaint_id == complaint.id,
                                                           IdentityView.user_id == world.admin.id)).all()
    assert [v.reason for v in logged] == [REASON, None]  # the opening, then the page that showed the name
    told = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "break_glass")).all()
    assert [m.recipient_user_id for m in told if m.channel == "in_app"] == [world.leadership.id]
    assert REASON in told[0].body


@pytest.mark.parametrize("minutes_later, status", [(59, 200), (61, 403)])
def test_the_opening_lasts_an_hour(world, client, minutes_later, status):
    complaint = confidential(world)
    login(client, world.admin)
    break_glass(client, complaint)
    with clock_at(PINNED + timedelta(minutes=minutes_later)):
        assert client.get(f"/complaints/{complaint.reference}").status_code == status


@pytest.mark.parametrize("typed", ["王女士", "13800138000", "MRN-778899", "候诊"])
def test_the_administrators_search_finds_nothing_by_identity_or_words(world, client, typed):
    confidential(world)
    login(client, world.admin)
    page = client.get("/search", query_string={"q": typed, "lang": "en"}).get_data(as_text=True)
    assert "/complaints/TS-" not in page


def test_the_administrators_search_by_reference_says_only_that_it_exists(world, client):
    complaint = confidential(world)
    login(client, world.admin)
    page = client.get("/search", query_string={"q": complaint.reference, "lang": "en"}).get_data(as_text=True)
    assert f"/complaints/{complaint.reference}" in page
    assert "Waited three hours" not in page and "王女士" not in page
