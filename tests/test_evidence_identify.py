"""保密原则 for evidence files: a bill or a letter names the patient, their record number, the complainant. Each
file of a confidential complaint is marked "may identify" (the default, set when the file is stored, and
when a complaint becomes confidential later), reception or leadership clear or set the mark file by file
(a step on the timeline), and a marked file is withheld from the department — not listed, not downloadable —
until the disclosure opens the complainant's name (and, for a patient complainant, the patient's name and
record number) to it. Those who see identities see every file with its mark."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from intranet.complaints import evidence, operations, registration
from intranet.complaints.evidence import CleanFile, Evidence
from intranet.complaints.lifecycle import Action, State
from intranet.core.extensions import db
from tests import factories
from tests.browser import release
from tests.conftest import csrf_token, login
from tests.test_browser import log_in, submit_in_place

pytest_plugins = ["tests.browser"]

NAME = "钱保密"
RECORD_NUMBER = "ZY55443322"
BILL = CleanFile(f"{NAME}-收费单.pdf", "application/pdf", ".pdf", f"%PDF-1.4 {NAME} {RECORD_NUMBER}".encode())


def stored(*files: CleanFile) -> list[dict]:
    return evidence.store(list(files or [BILL]))


def complaint_with_a_bill(world, state=State.investigating, **data):
    """A confidential complaint of cardiology whose complainant is the patient, with one file: their bill."""
    data = {"confidential": True, "complainant_relation": "patient", "complainant_name": NAME,
            "patient_name": NAME, "patient_record_number": RECORD_NUMBER, **data}
    data.setdefault("evidence", stored())
    return factories.make_complaint(world, state, **data)


def the_file(complaint) -> Evidence:
    return db.session.scalars(select(Evidence).where(Evidence.complaint_id == complaint.id)).one()


DISCLOSURES = {
    "nothing": {},
    "name": {"disclosed_name": True},
    "contact": {"disclosed_contact": True},
    "patient": {"disclosed_patient": True},
    "name and patient": {"disclosed_name": True, "disclosed_patient": True},
    "everything": {"disclosed_name": True, "disclosed_contact": True, "disclosed_patient": True},
}

# (who, the complainant, the file's mark, what was disclosed to the department) -> the file listed and
# downloadable. Written out: a patient complainant's bill is released by their name and the patient's
# record number together; another complainant's by their name.
TABLE = [
    ("reception", "patient", True, "nothing", True),
    ("reception", "patient", False, "nothing", True),
    ("leadership", "patient", True, "nothing", True),
    ("leadership", "patient", False, "nothing", True),
    ("head", "patient", True, "nothing", False),
    ("head", "patient", False, "nothing", True),
    ("head", "patient", True, "contact", False),
    ("head", "patient", True, "name", False),
    ("head", "patient", True, "patient", False),
    ("head", "patient", True, "name and patient", True),
    ("head", "patient", True, "everything", True),
    ("head", "family", True, "nothing", False),
    ("head", "family", True, "contact", False),
    ("head", "family", True, "name", True),
]


@pytest.mark.parametrize(("person", "relation", "marked", "disclosed", "shown"), TABLE,
                         ids=[f"{p}-{r}-{'marked' if m else 'cleared'}-{d.replace(' ', '_')}"
                              for p, r, m, d, _s in TABLE])
def test_who_is_listed_and_may_download_a_file(world, client, person, relation, marked, disclosed, shown):
    complaint = complaint_with_a_bill(world, complainant_relation=relation)
    item = the_file(complaint)
    if not marked:
        operations.perform(world.reception, Action.mark_file, complaint, {"file_id": item.id, "may_identify": False},
                           complaint.version)
        db.session.commit()
    if DISCLOSURES[disclosed]:
        operations.perform(world.reception, Action.disclose_identity, complaint,
                           {**DISCLOSURES[disclosed], "reason": "科室需要核对收费。", "consent_via": "phone",
                            "consented": True}, complaint.version)
        db.session.commit()
    login(client, world.user(person))

    page = client.get(f"/complaints/{complaint.reference}?lang=en").get_data(as_text=True)
    download = client.get(f"/complaints/{complaint.reference}/evidence/{item.id}")

    assert (BILL.original_name in page) is shown
    assert download.status_code == (200 if shown else 403)
    assert (RECORD_NUMBER.encode() in download.data) is shown
    assert ("1 file withheld: it may identify the complainant." in page) is (not shown)


def test_those_who_see_identities_see_each_files_mark(world, client):
    complaint = complaint_with_a_bill(world, evidence=stored(BILL, CleanFile("ward.pdf", "application/pdf", ".pdf",
                                                                             b"%PDF-1.4 ward")))
    first, second = db.session.scalars(select(Evidence).where(Evidence.complaint_id == complaint.id)
                                       .order_by(Evidence.id))
    operations.perform(world.reception, Action.mark_file, complaint, {"file_id": second.id, "may_identify": False},
                       complaint.version)
    db.session.commit()
    login(client, world.leadership)
    page = client.get(f"/complaints/{complaint.reference}?lang=en").get_data(as_text=True)
    files = page[page.index("Evidence files"):page.index('id="actions-heading"')]
    assert files.count("May identify the complainant") == 1
    assert files.index(BILL.original_name) < files.index("May identify the complainant") < files.index("ward.pdf")
    assert "Clear: it does not identify the complainant" in files and "Mark: it may identify the complainant" in files
    assert "withheld" not in files


def test_the_department_page_says_how_many_files_are_withheld_and_names_none(world, client):
    complaint = complaint_with_a_bill(world, evidence=stored(BILL, CleanFile("发票.pdf", "application/pdf", ".pdf",
                                                                             b"%PDF-1.4 invoice")))
    login(client, world.head)
    for lang, words in (("en", "2 files withheld: they may identify the complainant."),
                        ("zh", "2 个文件未向科室显示：可能识别投诉人身份。")):
        page = client.get(f"/complaints/{complaint.reference}?lang={lang}").get_data(as_text=True)
        assert words in page
        assert BILL.original_name not in page and "发票.pdf" not in page
        assert "/evidence/" not in page
    # The head cannot mark a file either: that is for those who have seen it.
    token = csrf_token(client, f"/complaints/{complaint.reference}")
    item = db.session.scalars(select(Evidence).where(Evidence.complaint_id == complaint.id)).first()
    refused = client.post(f"/complaints/{complaint.reference}/mark_file",
                          data={"mark_file-csrf_token": token, "mark_file-version": complaint.version,
                                "mark_file-file_id": item.id})
    assert refused.status_code == 403
    db.session.expire_all()
    assert db.session.get(Evidence, item.id).may_identify is True


def test_a_withheld_file_is_not_downloaded_by_the_department_nor_by_another(world, client):
    complaint = complaint_with_a_bill(world)
    url = f"/complaints/{complaint.reference}/evidence/{the_file(complaint).id}"
    login(client, world.head)
    refused = client.get(url)
    assert refused.status_code == 403
    assert RECORD_NUMBER.encode() not in refused.data and NAME.encode() not in refused.data
    login(client, world.user("other_head"))
    assert client.get(url).status_code == 404  # a complaint they may not know of


@pytest.mark.parametrize(("confidential", "marked"), [(True, True), (False, False)])
def test_every_way_a_file_comes_in_takes_the_complaints_confidentiality(world, confidential, marked):
    # The public form, staff intake (with a call's recording), and the complainant's later answer.
    recording = CleanFile("来电录音.amr", "audio/amr", ".amr", b"#!AMR\n" + b"\0" * 32)
    submitted = registration.create(None, factories.public_complaint_data(confidential=confidential,
                                                                          evidence=stored()))
    logged = registration.create(world.reception, factories.public_complaint_data(
        confidential=confidential, channel="phone", evidence=stored(recording)))
    db.session.commit()
    later = factories.make_complaint(world, State.registered, confidential=confidential)
    operations.perform(world.reception, Action.request_information, later,
                       {"asked": "请补充收费单。", "asked_via": "phone"}, later.version)
    db.session.commit()
    operations.perform(None, Action.provide_information, later, {"answer": "收费单见附件。", "evidence": stored()},
                       later.version)
    db.session.commit()
    for complaint in (submitted.complaint, logged.complaint, later):
        assert [item.may_identify for item in complaint.evidence] == [marked]


def test_a_complaint_made_confidential_later_marks_its_files_except_those_cleared_by_hand(world):
    complaint = factories.make_complaint(world, State.registered, evidence=stored(
        BILL, CleanFile("a.pdf", "application/pdf", ".pdf", b"%PDF-1.4 a"),
        CleanFile("b.pdf", "application/pdf", ".pdf", b"%PDF-1.4 b")))
    first, second, third = complaint.evidence
    assert [f.may_identify for f in complaint.evidence] == [False, False, False]
    # Reception looked at the second file and left it unmarked, on purpose: a mark set, then cleared.
    for value in (True, False):
        operations.perform(world.reception, Action.mark_file, complaint, {"file_id": second.id, "may_identify": value},
                           complaint.version)
        db.session.commit()

    complaint.confidential = True  # whatever step comes to record it, this is the rule after it
    operations.perform(world.reception, Action.note, complaint, {"text": "投诉人要求保密。"}, complaint.version)
    db.session.commit()

    db.session.expire_all()
    assert [f.may_identify for f in complaint.evidence] == [True, False, True]


def test_the_mark_is_a_step_on_the_timeline_without_javascript_and_in_place(world, client):
    complaint = complaint_with_a_bill(world)
    item = the_file(complaint)
    login(client, world.reception)
    token = csrf_token(client, f"/complaints/{complaint.reference}")
    url = f"/complaints/{complaint.reference}/mark_file"

    cleared = client.post(url, data={"mark_file-csrf_token": token, "mark_file-version": complaint.version,
                                     "mark_file-file_id": item.id})
    assert cleared.status_code == 302
    db.session.expire_all()
    assert db.session.get(Evidence, item.id).may_identify is False
    event = complaint.events[-1]
    assert (event.action, event.actor_id, event.data) == ("mark_file", world.reception.id,
                                                          {"file": 1, "file_id": item.id, "may_identify": False})
    page = client.get(f"/complaints/{complaint.reference}?lang=en").get_data(as_text=True)
    timeline = page[page.index('id="timeline-heading"'):]
    entry = timeline[:timeline.index("</li>")]
    assert "Mark whether a file may identify the complainant" in entry
    assert world.reception.display_name in entry
    assert "File (number in the list)" in entry and "Cleared: does not identify the complainant" in entry
    assert BILL.original_name not in timeline  # the name a complainant gave a file may be theirs

    # With htmx: the card in place, the file marked again, the form now offering to clear it.
    db.session.refresh(complaint)
    marked = client.post(url, data={"mark_file-version": complaint.version, "mark_file-file_id": item.id,
                                    "mark_file-may_identify": "y"},
                         headers={"HX-Request": "true", "HX-Target": "complaint", "X-CSRFToken": token})
    assert marked.status_code == 200
    card = marked.get_data(as_text=True)
    assert card.lstrip().startswith('<article id="complaint"')
    assert "May identify the complainant" in card
    db.session.expire_all()
    assert db.session.get(Evidence, item.id).may_identify is True

    # The same again (someone marked it so meanwhile): nothing to record, and the person is told.
    db.session.refresh(complaint)
    again = client.post(url, data={"mark_file-version": complaint.version, "mark_file-file_id": item.id,
                                   "mark_file-may_identify": "y"},
                        headers={"HX-Request": "true", "HX-Target": "complaint", "X-CSRFToken": token})
    assert again.status_code == 422
    assert "The file is already marked so." in again.get_data(as_text=True)


@pytest.mark.browser
def test_reception_clears_a_mark_in_place_and_the_head_then_sees_the_file(new_context, watch, world):
    complaint = complaint_with_a_bill(world)
    reference = complaint.reference
    release()

    reception = new_context().new_page()
    log_in(reception, "reception")
    reception.goto(f"/complaints/{reference}?lang=en")
    files = reception.locator("#complaint ol.evidence")
    expect(files).to_contain_text("May identify the complainant")
    submit_in_place(reception, files.locator("form.file-mark"), watch=watch)
    expect(reception.locator("#complaint ol.evidence")).not_to_contain_text("May identify the complainant")
    expect(reception.locator("#complaint .timeline .event-mark_file")).to_have_count(1)

    head = new_context().new_page()
    log_in(head, "head-card")
    head.goto(f"/complaints/{reference}?lang=en")
    expect(head.locator("#complaint ol.evidence")).to_contain_text(BILL.original_name)
    expect(head.locator("#complaint")).not_to_contain_text("withheld: it may identify")
    watch.check()
