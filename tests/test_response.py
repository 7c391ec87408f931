"""The response the head signed off (签字认可) is kept as signed; what the complainant was told is
recorded beside it, and where the two differ, the page says so."""

from sqlalchemy import select

from intranet.complaints import operations
from intranet.complaints.lifecycle import Action, State
from intranet.core.extensions import db
from intranet.notifications.models import OutboxMessage
from tests import factories
from tests.conftest import csrf_token, login

SIGNED = "We are sorry. Delays are now announced."  # the sign-off example's text
TOLD = "We are sorry for the wait. From Monday the clinic announces any delay over 30 minutes."


def responded(world, told: str):
    complaint = factories.make_complaint(world, State.signed_off, complainant_email="wang@example.cn")
    operations.perform(world.reception, Action.respond, complaint, {"method": "phone", "told_text": told},
                       complaint.version)
    db.session.commit()
    return complaint


def test_telling_the_complainant_in_other_words_keeps_the_signed_text(world, client):
    complaint = responded(world, TOLD)
    assert complaint.response_text == SIGNED
    assert complaint.told_text == TOLD
    assert complaint.events[-1].data["differs_from_signed"] is True

    login(client, world.reception)
    page = client.get(f"/complaints/{complaint.reference}?lang=en").get_data(as_text=True)
    facts = page[page.index('class="facts"'):page.index("</dl>", page.index('class="facts"'))]
    assert "Signed-off response" in facts and SIGNED in facts
    assert "What the complainant was told" in facts and TOLD in facts
    assert "Differs from what was signed off" in facts
    # The complainant's email carries what they were told.
    body = db.session.scalar(select(OutboxMessage.body).where(OutboxMessage.complaint_id == complaint.id,
                                                              OutboxMessage.kind == "responded"))
    assert TOLD in body and SIGNED not in body


def test_telling_the_signed_text_as_it_is_shows_one_text(world, client):
    complaint = responded(world, SIGNED)
    assert complaint.events[-1].data["differs_from_signed"] is False
    login(client, world.reception)
    page = client.get(f"/complaints/{complaint.reference}?lang=en").get_data(as_text=True)
    assert "What the complainant was told" not in page and "Differs from what was signed off" not in page
    assert page.count(SIGNED) >= 1


def test_the_tracking_page_shows_what_the_complainant_was_told(world, client):
    complaint = responded(world, TOLD)
    response = client.post("/track", data={"reference": complaint.reference, "code": complaint.tracking_code,
                                           "csrf_token": csrf_token(client, "/track")})
    html = response.get_data(as_text=True)
    assert TOLD in html and SIGNED not in html
