"""A department head sees and acts on their own department's complaints only, and never sees a confidential
complainant's identity (保密原则); reception and leadership do."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from intranet.complaints.lifecycle import COMPLAINT_ACTIONS, Role, State
from intranet.complaints.models import Complaint, ComplaintEvent
from intranet.complaints.queues import QUEUES
from intranet.core.extensions import db
from intranet.core.time import clock_at, utcnow
from tests import factories
from tests.conftest import csrf_token, login

HEAD_QUEUES = [q.name for q in QUEUES[Role.head]]
DEPARTMENT_STATES = [State.assigned, State.investigating, State.awaiting_approval, State.signed_off,
                     State.responded, State.closed]
HX = {"HX-Request": "true", "HX-Target": "complaint"}
COUNTS = {"HX-Request": "true", "HX-Target": "queue-counts"}



@pytest.fixture
def client(app_ctx):
    c = app_ctx.test_client()
    c.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return c


def snapshot(complaint_id: int) -> tuple:
    db.session.expire_all()
    c = db.session.get(Complaint, complaint_id)
    events = db.session.scalar(select(func.count()).select_from(ComplaintEvent)
                               .where(ComplaintEvent.complaint_id == complaint_id))
    return (c.status, c.version, c.department_id, c.escalation_level, c.response_due_on, c.findings,
            c.response_text, events)


def counts(html: str) -> dict[str, int]:
    return {name: int(n) for name, n in re.findall(r'data-queue="([a-z_]+)">(\d+)<', html)}


def overdue_complaint(world, state=State.investigating):
    """Received three weeks ago and never answered: overdue now."""
    with clock_at(utcnow() - timedelta(days=21)):
        return factories.make_complaint(world, state)


# --- another department's complaint -------------------------------------------------------------------


@pytest.mark.parametrize("state", DEPARTMENT_STATES)
def test_other_head_cannot_open_the_page_or_fragment(world, client, state):
    complaint = factories.make_complaint(world, state)  # cardiology's
    login(client, world.other_head)  # head of nursing
    page = client.get(f"/complaints/{complaint.reference}")
    assert page.status_code == 404
    assert complaint.what_happened[:10] not in page.get_data(as_text=True)
    fragment = client.get(f"/complaints/{complaint.reference}", headers=HX)
    assert fragment.status_code == 404
    assert complaint.what_happened[:10] not in fragment.get_data(as_text=True)
    # The right head does see it: the 404 is about the department, not the complaint.
    login(client, world.head)
    assert client.get(f"/complaints/{complaint.reference}").status_code == 200


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize("state", DEPARTMENT_STATES)
def test_other_head_cannot_act(world, client, state, htmx):
    complaint = factories.make_complaint(world, state)
    before = snapshot(complaint.id)
    login(client, world.other_head)
    token = csrf_token(client, "/queue")
    headers = {"X-CSRFToken": token, **(HX if htmx else {})}
    data = {
        "version": complaint.version, "text": "x", "reason": "x", "findings": "x", "responsibility": "upheld",
        "response_text": "x", "told_text": "x", "comment": "x", "method": "phone", "satisfied": "yes",
        "new_due_on": "2099-01-01", "complainant_told_via": "phone", "department_id": world.nursing.id,
    }
    for action in COMPLAINT_ACTIONS:
        for target in ("complaint", f"row-{complaint.reference}"):
            response = client.post(f"/complaints/{complaint.reference}/{action.value}",
                                   data={f"{action.value}-{k}": v for k, v in data.items()},
                                   headers={**headers, **({"HX-Target": target} if htmx else {})})
            assert response.status_code in (403, 404), (action, response.status_code)
            assert complaint.what_happened[:10] not in response.get_data(as_text=True)
    assert snapshot(complaint.id) == before


def test_other_head_queues_counts_and_search_show_nothing(world, client):
    new = factories.make_complaint(world, State.assigned, subject_ward="心内科五病区")
    investigating = factories.make_complaint(world, State.investigating, subject_ward="心内科五病区")
    overdue = overdue_complaint(world)
    references = [new.reference, investigating.reference, overdue.reference]

    # The head of cardiology: each in its queue, all in the history, counted.
    login(client, world.head)
    expected = {"new": [new], "investigating": [investigating, overdue], "overdue": [overdue],
                "contribution_due": [], "history": [new, investigating, overdue]}
    assert set(expected) == set(HEAD_QUEUES)
    for name in HEAD_QUEUES:
        html = client.get(f"/queue?q={name}").get_data(as_text=True)
        for c in expected[name]:
            assert c.reference in html, (name, c.reference)
    own_counts = counts(client.get("/queue", headers=COUNTS).get_data(as_text=True))
    assert own_counts == {name: len(expected[name]) for name in HEAD_QUEUES}
    assert f'/complaints/{new.reference}"' in client.get(f"/search?q={new.reference}").get_data(as_text=True)

    # The head of nursing: nowhere.
    login(client, world.other_head)
    for name in HEAD_QUEUES:
        for headers in ({}, {**HX, "HX-Target": "queue-rows"}):
            response = client.get(f"/queue?q={name}", headers=headers)
            assert response.status_code == 200
            html = response.get_data(as_text=True)
            for reference in references:
                assert reference not in html, (name, reference)
    other_counts = counts(client.get("/queue", headers=COUNTS).get_data(as_text=True))
    assert other_counts == {name: 0 for name in HEAD_QUEUES}
    page_counts = counts(client.get("/queue").get_data(as_text=True))
    assert page_counts == other_counts
    for text in [*references, "候诊", "Waited", "心内科五病区", "TS-"]:
        for headers in ({}, HX):
            html = client.get("/search", query_string={"q": text}, headers=headers).get_data(as_text=True)
            assert "No complaint matches" in html
            for reference in references:
                assert f'/complaints/{reference}"' not in html, (text, reference)


def test_transferred_complaint_leaves_the_first_department(world, client):
    complaint = factories.make_complaint(world, State.investigating)
    login(client, world.leadership)
    token = csrf_token(client, f"/complaints/{complaint.reference}")
    response = client.post(f"/complaints/{complaint.reference}/assign",
                           data={"assign-version": complaint.version, "assign-department_id": world.nursing.id},
                           headers={"X-CSRFToken": token})
    assert response.status_code == 302
    login(client, world.head)
    assert client.get(f"/complaints/{complaint.reference}").status_code == 404
    assert complaint.reference not in client.get("/queue?q=history").get_data(as_text=True)
    login(client, world.other_head)
    assert client.get(f"/complaints/{complaint.reference}").status_code == 200
    assert complaint.reference in client.get("/queue?q=new").get_data(as_text=True)


# --- confidential complainants ------------------------------------------------------------------------

SECRET = {"complainant_name": "李秘密", "complainant_phone": "13912345678", "complainant_email": "li.mimi@example.com"}


def confidential_complaint(world, state=State.investigating):
    return factories.make_complaint(world, state, confidential=True, **SECRET)


def assert_identity_hidden(html: str):
    for value in SECRET.values():
        assert value not in html
    assert "Confidential: name and contact withheld" in html


def assert_identity_shown(html: str):
    for value in SECRET.values():
        assert value in html


@pytest.mark.parametrize("state", [State.assigned, State.investigating, State.signed_off, State.closed])
def test_head_sees_confidential_complaint_without_identity(world, client, state):
    complaint = confidential_complaint(world, state)
    login(client, world.head)
    page = client.get(f"/complaints/{complaint.reference}")
    assert page.status_code == 200
    assert complaint.what_happened in page.get_data(as_text=True)
    assert_identity_hidden(page.get_data(as_text=True))
    fragment = client.get(f"/complaints/{complaint.reference}", headers=HX)
    assert fragment.status_code == 200
    assert "<html" not in fragment.get_data(as_text=True)
    assert_identity_hidden(fragment.get_data(as_text=True))


def test_head_action_answers_do_not_reveal_identity(world, client):
    complaint = confidential_complaint(world)
    login(client, world.head)
    token = csrf_token(client, f"/complaints/{complaint.reference}")
    headers = {"X-CSRFToken": token, **HX}
    url = f"/complaints/{complaint.reference}/note"
    seen = complaint.version
    # done (card swapped in place)
    done = client.post(url, data={"note-version": seen, "note-text": "Rang the ward."}, headers=headers)
    assert done.status_code == 200
    assert_identity_hidden(done.get_data(as_text=True))
    # 422: the form needs correcting
    invalid = client.post(url, data={"note-version": seen + 1, "note-text": ""}, headers=headers)
    assert invalid.status_code == 422
    assert_identity_hidden(invalid.get_data(as_text=True))
    # 409: someone acted first (a note does not conflict with a note: an escalation does)
    escalate = f"/complaints/{complaint.reference}/escalate"
    stale = client.post(escalate, data={"escalate-version": seen, "escalate-reason": "Again."}, headers=headers)
    assert stale.status_code == 409
    assert_identity_hidden(stale.get_data(as_text=True))
    # the same, without JavaScript
    plain = client.post(escalate, data={"escalate-version": seen, "escalate-reason": "Again."},
                        headers={"X-CSRFToken": token})
    assert plain.status_code == 409
    assert_identity_hidden(plain.get_data(as_text=True))


def test_head_cannot_find_confidential_complainant_by_search(world, client):
    complaint = confidential_complaint(world)
    login(client, world.head)
    # The complaint itself is theirs and can be found by its reference...
    found = client.get(f"/search?q={complaint.reference}").get_data(as_text=True)
    assert f'/complaints/{complaint.reference}"' in found
    # ...but not through who made it.
    for text in [SECRET["complainant_name"], SECRET["complainant_phone"], "李秘", "1391234"]:
        html = client.get("/search", query_string={"q": text}).get_data(as_text=True)
        assert "No complaint matches" in html
        assert f'/complaints/{complaint.reference}"' not in html, text
        assert not [v for v in SECRET.values() if v in html and v != text]


@pytest.mark.parametrize("role_key", ["reception", "leadership"])
def test_reception_and_leadership_see_confidential_complainant(world, client, role_key):
    complaint = confidential_complaint(world)
    login(client, world.user(role_key))
    page = client.get(f"/complaints/{complaint.reference}").get_data(as_text=True)
    assert_identity_shown(page)
    assert "Confidential: hidden from the department" in page
    fragment = client.get(f"/complaints/{complaint.reference}", headers=HX).get_data(as_text=True)
    assert_identity_shown(fragment)
    for text in [SECRET["complainant_name"], SECRET["complainant_phone"]]:
        html = client.get("/search", query_string={"q": text}).get_data(as_text=True)
        assert f'/complaints/{complaint.reference}"' in html, text


def test_head_sees_identity_when_not_confidential(world, client):
    complaint = factories.make_complaint(world, State.investigating, confidential=False, **SECRET)
    login(client, world.head)
    assert_identity_shown(client.get(f"/complaints/{complaint.reference}").get_data(as_text=True))
    html = client.get("/search", query_string={"q": SECRET["complainant_name"]}).get_data(as_text=True)
    # What the head may read, the head may search by: the same rule (permissions.identity_fields).
    assert f'/complaints/{complaint.reference}"' in html
