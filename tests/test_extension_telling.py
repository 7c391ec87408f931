"""Whoever extends a deadline records how the complainant was told, unless they cannot reach the complainant:
a head on a confidential complaint whose contact details are not disclosed to the department is not asked;
reception is told to tell the complainant of the new date, and the timeline says so."""

from datetime import date

import pytest
from sqlalchemy import select

from intranet.complaints import operations
from intranet.complaints.lifecycle import Action, State
from intranet.complaints.spec import ActionInvalid
from intranet.core.extensions import db
from intranet.notifications.models import OutboxMessage
from tests import factories
from tests.conftest import csrf_token, login

NEW_DATE = date(2026, 12, 2)
EXTENSION = {"new_due_on": NEW_DATE, "reason": "Waiting for the ward's records."}
HINT = "Reception tells the complainant: you cannot see their contact details."


def told_reception() -> list[tuple[str, str]]:
    return [(r.recipient, r.body) for r in db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "tell_of_new_date").order_by(OutboxMessage.id))]


# (who extends, the complaint) → whether they are asked how the complainant was told
ASKED = [
    ("head", {"confidential": True}, False),
    ("head", {}, True),
    ("leadership", {"confidential": True}, True),
]


@pytest.mark.parametrize(("who", "complaint_data", "asked"), ASKED, ids=["head-confidential", "head-named",
                                                                        "leadership-confidential"])
def test_the_form_asks_how_the_complainant_was_told_only_of_who_can_reach_them(world, client, who, complaint_data,
                                                                                asked):
    complaint = factories.make_complaint(world, State.investigating, **complaint_data)
    login(client, world.user(who))
    page = client.get(f"/complaints/{complaint.reference}?lang=en").get_data(as_text=True)
    assert ('name="extend-complainant_told_via"' in page) is asked
    assert (HINT in page) is not asked


def test_a_head_on_a_confidential_complaint_leaves_the_telling_to_reception(world, client):
    complaint = factories.make_complaint(world, State.investigating, confidential=True)
    login(client, world.head)
    url = f"/complaints/{complaint.reference}"
    answer = client.post(f"{url}/extend", data={
        "extend-new_due_on": NEW_DATE.isoformat(), "extend-reason": EXTENSION["reason"],
        "extend-version": str(complaint.version), "extend-csrf_token": csrf_token(client, url)})
    assert answer.status_code == 302
    db.session.expire_all()
    assert complaint.response_due_on == NEW_DATE
    assert complaint.events[-1].data == {"clock": "response_due_on", "from": "2026-11-25", "to": "2026-12-02",
                                         "reason": EXTENSION["reason"], "complainant_told_by": "reception"}
    assert told_reception() == [(str(world.reception.id),
                                 f"心血管内科 将投诉 {complaint.reference} 的期限延至 2026年12月2日：Waiting for the "
                                 "ward's records.。科室看不到投诉人的联系方式，请由您告知投诉人新的日期。")]
    page = client.get(f"{url}?lang=en").get_data(as_text=True)
    timeline = page[page.index('class="event event-extend"'):][:900]
    assert ("<dt>Complainant told by</dt><dd class=\"prose\">Reception, who is to tell them of the new date</dd>"
            in timeline)


@pytest.mark.parametrize(("who", "complaint_data"), [("head", {}), ("leadership", {"confidential": True}),
                                                      ("head", {"confidential": True, "disclosed_contact": True})],
                         ids=["head-named", "leadership-confidential", "head-contact-disclosed"])
def test_whoever_can_reach_the_complainant_still_says_how_they_told_them(world, who, complaint_data):
    disclosed = complaint_data.pop("disclosed_contact", False)
    complaint = factories.make_complaint(world, State.investigating, **complaint_data)
    if disclosed:
        complaint.disclosed_contact = True
        db.session.commit()
    with pytest.raises(ActionInvalid) as refused:
        operations.perform(world.user(who), Action.extend, complaint, dict(EXTENSION), complaint.version)
    assert refused.value.errors == {"complainant_told_via": "请记录告知投诉人的方式。"}
    db.session.rollback()
    operations.perform(world.user(who), Action.extend, complaint, {**EXTENSION, "complainant_told_via": "phone"},
                       complaint.version)
    db.session.commit()
    assert complaint.events[-1].data["complainant_told_via"] == "phone"
    assert told_reception() == []
