"""A head's finding that a complaint is malicious is a proposal, with its reason written out, until leadership
confirms it: until then nothing counts the complainant as malicious, and the response is not signed off on it.
Leadership confirms it (it stands) or rejects it (the head records the responsibility again); the timeline
says who proposed and who decided, and when."""

import pytest
from sqlalchemy import select

from intranet.complaints import operations
from intranet.complaints.lifecycle import Action, State
from intranet.complaints.spec import ActionInvalid
from intranet.core.extensions import db
from intranet.notifications.models import OutboxMessage
from intranet.reports import analysis, kpis
from intranet.reports.periods import Period
from tests import factories
from tests.conftest import csrf_token, login

NOVEMBER = Period.parse("2026-11")  # the pinned clock's month
WHY = factories.MALICIOUS_CAUSE


def staff_notices(kind: str) -> list[tuple[str, str]]:
    """(recipient, subject) of the bell notices of `kind`."""
    return [(r.recipient, r.subject) for r in db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == kind, OutboxMessage.channel == "in_app")
        .order_by(OutboxMessage.id))]


def counted_malicious(world) -> tuple[list[str], int]:
    """What the monthly analysis lists as malicious, and the KPI count of malicious findings."""
    scope = kpis.Scope(world.leadership)
    listed = [c.reference for c in analysis.malicious(scope, NOVEMBER)]
    return listed, kpis.figures(scope, NOVEMBER).counts["finding_malicious"]


def decide(world, action: Action, complaint, **data):
    operations.perform(world.leadership, action, complaint, {**factories.action_data(action, world), **data},
                       complaint.version)
    db.session.commit()


def test_a_heads_malicious_finding_is_proposed_and_leadership_is_asked(world):
    complaint = factories.propose_malicious(world, factories.make_complaint(world, State.investigating))
    assert complaint.responsibility == "malicious_proposed"
    assert complaint.events[-1].data["responsibility"] == "malicious_proposed"
    assert staff_notices("malicious_proposed") == [
        (str(world.leadership.id), f"请确认或驳回：投诉 {complaint.reference} 被认定为恶意投诉")]
    assert counted_malicious(world) == ([], 0)


@pytest.mark.parametrize(("cause", "accepted"), [
    ("Lies", False),
    ("", False),
    ("Made up, said before", True),  # 20 characters
    ("Made up, said befor", False),  # 19
])
def test_a_malicious_finding_needs_a_reason_of_twenty_characters(world, cause, accepted):
    complaint = factories.make_complaint(world, State.investigating)
    data = {"findings": "Nothing happened.", "responsibility": "malicious", "cause": cause}
    if accepted:
        operations.perform(world.head, Action.record_findings, complaint, data, complaint.version)
        assert complaint.responsibility == "malicious_proposed"
        return
    with pytest.raises(ActionInvalid) as refused:
        operations.perform(world.head, Action.record_findings, complaint, data, complaint.version)
    assert refused.value.errors == {"cause": "请写明认定为恶意投诉的理由，不少于 20 个字符。"}


def test_other_findings_need_no_reason(world):
    complaint = factories.make_complaint(world, State.investigating)
    operations.perform(world.head, Action.record_findings, complaint,
                       {"findings": "It happened.", "responsibility": "upheld"}, complaint.version)
    assert complaint.responsibility == "upheld"


def test_the_form_says_so_beside_the_fields_and_keeps_what_was_typed(world, client):
    complaint = factories.make_complaint(world, State.investigating)
    login(client, world.head)
    url = f"/complaints/{complaint.reference}"
    page = client.get(f"{url}?lang=en").get_data(as_text=True)
    assert "For a malicious complaint, say why in at least 20 characters." in page
    assert "A malicious finding stands only once leadership confirms it." in page
    assert "awaiting leadership" not in page  # the head chooses "malicious"; it is recorded as proposed
    answer = client.post(f"{url}/record_findings?lang=en", data={
        "record_findings-findings": "Nothing happened.", "record_findings-responsibility": "malicious",
        "record_findings-cause": "Lies", "record_findings-version": str(complaint.version),
        "record_findings-csrf_token": csrf_token(client, url)})
    assert answer.status_code == 422
    body = answer.get_data(as_text=True)
    assert "Say why the complaint is malicious, in at least 20 characters." in body
    assert "Nothing happened." in body
    db.session.expire_all()
    assert complaint.responsibility is None


def test_the_response_is_not_signed_off_on_a_proposal(world):
    complaint = factories.propose_malicious(world, factories.make_complaint(world, State.investigating))
    with pytest.raises(ActionInvalid) as refused:
        operations.perform(world.head, Action.sign_off, complaint, {"response_text": "Not malicious?"},
                           complaint.version)
    assert refused.value.errors == {"response_text": "须先由院领导确认或驳回恶意投诉的认定。"}


def test_leadership_confirms_and_then_it_counts(world):
    complaint = factories.propose_malicious(world, factories.make_complaint(world, State.investigating))
    decide(world, Action.confirm_malicious, complaint, comment="Agreed.")
    assert complaint.responsibility == "malicious" and complaint.state == State.investigating
    event = complaint.events[-1]
    assert (event.action, event.actor_id, event.data) == ("confirm_malicious", world.leadership.id, {
        "responsibility": "malicious", "reason": WHY, "comment": "Agreed."})
    assert staff_notices("malicious_confirmed") == [
        (str(world.head.id), f"院领导已确认投诉 {complaint.reference} 为恶意投诉")]
    assert counted_malicious(world) == ([complaint.reference], 1)
    operations.perform(world.head, Action.sign_off, complaint, {"response_text": "We found no fault."},
                       complaint.version)
    assert complaint.state == State.signed_off


def test_leadership_rejects_and_the_head_records_the_responsibility_again(world):
    complaint = factories.propose_malicious(world, factories.make_complaint(world, State.investigating))
    decide(world, Action.reject_malicious, complaint, comment="Mistaken, not in bad faith.")
    assert complaint.responsibility is None and complaint.findings == "Nothing of what is claimed happened."
    assert complaint.events[-1].data == {"reason": WHY, "comment": "Mistaken, not in bad faith."}
    assert staff_notices("malicious_rejected") == [
        (str(world.head.id), f"院领导驳回了投诉 {complaint.reference} 的恶意投诉认定")]
    assert counted_malicious(world) == ([], 0)
    with pytest.raises(operations.ActionInvalid):  # the sign-off's requirement: the findings again
        operations.perform(world.head, Action.sign_off, complaint, {"response_text": "x"}, complaint.version)


@pytest.mark.parametrize("action", [Action.confirm_malicious, Action.reject_malicious])
def test_only_a_proposal_waits_for_a_decision(world, action):
    complaint = factories.make_complaint(world, State.investigating)
    operations.perform(world.head, Action.record_findings, complaint,
                       {"findings": "It happened.", "responsibility": "not_upheld"}, complaint.version)
    db.session.commit()
    with pytest.raises(operations.ActionRefused):
        decide(world, action, complaint)


def test_the_pages_show_the_proposal_and_the_decision_with_who_and_when(world, client):
    complaint = factories.propose_malicious(world, factories.make_complaint(world, State.investigating))
    url = f"/complaints/{complaint.reference}?lang=en"
    login(client, world.head)
    page = client.get(url).get_data(as_text=True)
    assert "Malicious complaint (proposed, awaiting leadership&#39;s confirmation)" in page
    assert "Confirm the malicious finding" not in page
    login(client, world.leadership)
    page = client.get(url).get_data(as_text=True)
    assert "Confirm the malicious finding" in page and "Reject the malicious finding" in page
    decide(world, Action.confirm_malicious, complaint, comment="Agreed.")
    page = client.get(url).get_data(as_text=True)
    proposal = page[page.index('class="event event-record_findings"'):][:900]
    decision = page[page.index('class="event event-confirm_malicious"'):][:900]
    assert "Head-Card" in proposal and "18 Nov 2026 10:00" in proposal
    assert "<dt>Responsibility</dt><dd class=\"prose\">Malicious complaint (proposed" in proposal
    assert "Leadership" in decision and "18 Nov 2026 10:00" in decision
    assert ("<dt>Finding</dt><dd class=\"prose\">Malicious complaint</dd>"
            f"<dt>Why the head found it malicious</dt><dd class=\"prose\">{WHY}</dd>") in decision
