"""A complainant whose complaints leadership confirmed malicious at least twice is a caution to reception,
at intake (as the phone is typed) and on the complaint page while it is to be triaged: never a refusal, the
complaint is logged like any other. A proposal that leadership has not confirmed is not counted."""

import pytest

from intranet.complaints import operations
from intranet.complaints.lifecycle import Action, State
from intranet.core.extensions import db
from tests import factories
from tests.conftest import login
from tests.test_intake import new_client, token_of

PHONE = "13800138000"  # the factories' complainant
CAUTION = "Caution: %s earlier complaints from this phone were found malicious, as confirmed by leadership."


def found_malicious(world, confirmed: int, proposed: int) -> None:
    for n in range(confirmed + proposed):
        complaint = factories.propose_malicious(world, factories.make_complaint(world, State.investigating))
        if n < confirmed:
            operations.perform(world.leadership, Action.confirm_malicious, complaint,
                               factories.action_data(Action.confirm_malicious, world), complaint.version)
            db.session.commit()


@pytest.mark.parametrize(("confirmed", "proposed", "shown"), [
    (2, 0, CAUTION % 2),
    (3, 0, CAUTION % 3),
    (1, 0, None),
    (1, 1, None),  # a proposal is not a finding yet
    (0, 0, None),
])
def test_reception_is_cautioned_at_intake(world, app_ctx, confirmed, proposed, shown):
    found_malicious(world, confirmed, proposed)
    client = new_client(app_ctx)
    login(client, world.reception)
    html = client.get(f"/complaints/new/similar?complainant_phone={PHONE}&what_happened=x").get_data(as_text=True)
    assert (CAUTION.split("%s")[1] in html) == (shown is not None)
    if shown:
        assert shown in html


def test_the_caution_is_never_a_refusal_and_shows_at_triage(world, app_ctx):
    found_malicious(world, 2, 0)
    client = new_client(app_ctx)
    login(client, world.reception)
    page = client.get("/complaints/new")
    posted = client.post("/complaints/new", data={"csrf_token": token_of(page), "channel": "phone",
                                                  "what_happened": "又来投诉。", "complainant_phone": PHONE})
    assert posted.status_code == 302
    submitted = factories.make_complaint(world, State.submitted)
    html = client.get(f"/complaints/{submitted.reference}").get_data(as_text=True)
    assert CAUTION % 2 in html  # the two found malicious; the one just logged is not one of them
    assert "Triage" in html


@pytest.mark.parametrize("reader", ["head", "leadership"])
def test_only_reception_is_cautioned(world, app_ctx, reader):
    found_malicious(world, 2, 0)
    complaint = factories.make_complaint(world, State.investigating)
    client = new_client(app_ctx)
    login(client, world.user(reader))
    html = client.get(f"/complaints/{complaint.reference}").get_data(as_text=True)
    assert "were found malicious" not in html
