"""The archive record (投诉登记表): one printable page per complaint with everything recorded, the
signatures as names and times, and the timeline's latest hash; identity as the reader may see it."""

from __future__ import annotations

import pytest

from intranet.complaints.lifecycle import State
from tests import factories
from tests.conftest import login


def test_the_record_holds_the_complaint_its_answer_and_who_signed_when(world, client):
    complaint = factories.make_complaint(world, State.closed, complainant_name="王女士")
    login(client, world.reception)
    page = client.get(f"/complaints/{complaint.reference}/record?lang=en").get_data(as_text=True)
    assert "Complaint record" in page and complaint.reference in page
    assert complaint.what_happened in page and complaint.findings in page
    assert complaint.response_text in page and "王女士" in page
    for event in complaint.events:
        if event.actor is not None and event.action != "note":
            assert event.actor.display_name in page
    assert complaint.events[-1].hash in page  # the paper can be checked against the chain


@pytest.mark.parametrize(("who", "status", "sees_name"), [
    ("reception", 200, True), ("leadership", 200, True), ("head", 200, False), ("other_head", 404, False),
])
def test_a_confidential_complainant_stays_hidden_on_paper(world, client, who, status, sees_name):
    complaint = factories.make_complaint(world, State.investigating, confidential=True, complainant_name="李秘密")
    login(client, world.user(who))
    response = client.get(f"/complaints/{complaint.reference}/record")
    assert response.status_code == status
    assert ("李秘密" in response.get_data(as_text=True)) is sees_name
