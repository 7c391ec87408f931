"""保密原则: a complainant who asked for confidentiality is not named to the department — no name, no
contact, and when they are the patient, no patient name or record number — anywhere a head can look,
until reception records a disclosure with the complainant's consent, which the timeline shows."""

import pytest

from intranet.complaints import evidence, operations
from intranet.complaints.evidence import CleanFile
from intranet.complaints.lifecycle import Action, State
from intranet.complaints.queues import QUEUES
from intranet.core.extensions import db
from intranet.core.roles import Role
from intranet.notifications import relay
from tests import factories
from tests.conftest import csrf_token, login

SECRET = {"complainant_name": "赵保密", "patient_name": "赵保密", "patient_record_number": "ZY88776655",
          "complainant_phone": "13687654321", "complainant_email": "zhao.secret@example.cn"}


def patient_complaint(world, state=State.investigating):
    # With the patient's bill, which names them (under their name, as the complainant sent it).
    bill = evidence.store([CleanFile(f"{SECRET['patient_name']}.pdf", "application/pdf", ".pdf",
                                     f"%PDF-1.4 {SECRET['patient_record_number']}".encode())])
    return factories.make_complaint(world, state, confidential=True, complainant_relation="patient",
                                    evidence=bill, **SECRET)


def head_can_reach(client, complaint) -> dict[str, str]:
    """Every page and fragment a head can open about it, by name."""
    pages = {f"/queue?q={q.name}": client.get(f"/queue?q={q.name}") for q in QUEUES[Role.head]}
    pages["counts"] = client.get("/queue", headers={"HX-Request": "true", "HX-Target": "queue-counts"})
    pages["page"] = client.get(f"/complaints/{complaint.reference}")
    pages["card"] = client.get(f"/complaints/{complaint.reference}",
                               headers={"HX-Request": "true", "HX-Target": "complaint"})
    for field, value in SECRET.items():
        pages[f"search {field}"] = client.get("/search", query_string={"q": value})
    pages["notifications"] = client.get("/notifications")
    for item in complaint.evidence:
        pages[f"evidence file {item.id}"] = client.get(f"/complaints/{complaint.reference}/evidence/{item.id}")
    pages["archive record"] = client.get(f"/complaints/{complaint.reference}/record")
    token = csrf_token(client, f"/complaints/{complaint.reference}")
    pages["after an action"] = client.post(
        f"/complaints/{complaint.reference}/note",
        data={"note-text": "已核实排班。", "note-version": complaint.version},
        headers={"HX-Request": "true", "HX-Target": "complaint", "X-CSRFToken": token})
    return {name: response.get_data(as_text=True) for name, response in pages.items()}


def test_the_department_sees_nothing_that_names_a_confidential_patient_complainant(world, client):
    complaint = patient_complaint(world)
    relay.send_pending()  # the head's notifications of it, delivered
    login(client, world.head)
    for name, html in head_can_reach(client, complaint).items():
        if name.startswith("search "):
            typed = SECRET[name.removeprefix("search ")]
            html = html.replace(typed, "")  # the page repeats what the head typed: that is no leak
            assert f'/complaints/{complaint.reference}"' not in html, name  # and finds nothing by it
        found = [value for value in SECRET.values() if value in html]
        assert found == [], name
    page = client.get(f"/complaints/{complaint.reference}?lang=en").get_data(as_text=True)
    assert complaint.what_happened in page  # the complaint itself, yes
    assert "Confidential: name and contact withheld" in page


def test_a_disclosure_with_consent_opens_what_it_names_and_the_timeline_shows_it(world, client):
    complaint = patient_complaint(world)
    operations.perform(world.reception, Action.disclose_identity, complaint,
                       {"disclosed_name": True, "disclosed_patient": True, "reason": "科室需要调阅病历。",
                        "consent_via": "phone", "consented": True}, complaint.version)
    db.session.commit()

    login(client, world.head)
    page = client.get(f"/complaints/{complaint.reference}?lang=en").get_data(as_text=True)
    assert SECRET["complainant_name"] in page and SECRET["patient_record_number"] in page
    assert SECRET["complainant_phone"] not in page and SECRET["complainant_email"] not in page
    assert "Contact withheld (confidential)" in page
    timeline = page[page.index('id="timeline-heading"'):]
    assert "Disclosed to the department" in timeline and "The patient&#39;s name and record number" in timeline
    found = client.get("/search", query_string={"q": SECRET["patient_record_number"]}).get_data(as_text=True)
    assert f'/complaints/{complaint.reference}"' in found
    by_phone = client.get("/search", query_string={"q": SECRET["complainant_phone"]}).get_data(as_text=True)
    assert f'/complaints/{complaint.reference}"' not in by_phone


@pytest.mark.parametrize(("person", "allowed"), [("reception", True), ("leadership", False), ("head", False)])
def test_only_reception_records_a_disclosure_and_only_of_a_confidential_complainant(world, person, allowed):
    from intranet.complaints.permissions import can

    confidential = patient_complaint(world)
    assert can(world.user(person), Action.disclose_identity, confidential) == allowed
    open_complaint = factories.make_complaint(world, State.investigating)
    assert not can(world.reception, Action.disclose_identity, open_complaint)


def test_a_disclosure_needs_the_complainants_consent_and_something_to_disclose(world, client):
    complaint = patient_complaint(world)
    login(client, world.reception)
    token = csrf_token(client, f"/complaints/{complaint.reference}?lang=en")
    response = client.post(f"/complaints/{complaint.reference}/disclose_identity", data={
        "disclose_identity-csrf_token": token, "disclose_identity-version": complaint.version,
        "disclose_identity-reason": "需要当面沟通。", "disclose_identity-consent_via": "phone"})
    assert response.status_code == 422
    assert "Confirm that the complainant agreed." in response.get_data(as_text=True)
    response = client.post(f"/complaints/{complaint.reference}/disclose_identity", data={
        "disclose_identity-csrf_token": token, "disclose_identity-version": complaint.version,
        "disclose_identity-reason": "需要当面沟通。", "disclose_identity-consent_via": "phone",
        "disclose_identity-consented": "y"})
    assert response.status_code == 422
    assert "Choose what the department may now see." in response.get_data(as_text=True)
    db.session.expire_all()
    assert not (complaint.disclosed_name or complaint.disclosed_contact or complaint.disclosed_patient)
