"""The people a complaint is about (被投诉人/当事人): named at intake (from the directory by reception, in the
complainant's words on the public form) or later, removed, matched to the directory, or "cannot be
identified"; each change on the timeline; never on /track. Their side (told, a statement with files) and a
finding for each, by the head. Who may read a person's name (permissions.may_see_person). The chain vouches
for them as one fact of the record."""

import io

import pytest
from sqlalchemy import update

from intranet.complaints import audit, operations, registration
from intranet.complaints.identity_views import break_glass
from intranet.complaints.lifecycle import Action, State
from intranet.complaints.people import ComplaintPerson
from intranet.complaints.permissions import may_see_person
from intranet.complaints.spec import ActionInvalid
from intranet.core.extensions import db
from intranet.directory.models import StaffMember
from tests import factories
from tests.conftest import login
from tests.test_intake import new_client, track

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def staff(world):
    """Two nurses of nursing, a doctor of cardiology."""
    people = {
        "ye": StaffMember(staff_number="10014", name="叶文杰", department=world.nursing, title="主管护师"),
        "xia": StaffMember(staff_number="10039", name="夏磊", department=world.nursing, title="副主任护师"),
        "liu": StaffMember(staff_number="10001", name="刘志强", department=world.cardiology, title="科主任"),
    }
    db.session.add_all(people.values())
    db.session.commit()
    return people


def do(world, who, action, complaint, **data):
    result = operations.perform(who, action, complaint, data, complaint.version)
    db.session.commit()
    return result


def people_of(complaint):
    """(name, in the complainant's words, removed, named by) of each row, in the order named."""
    return [(p.staff_member.name if p.staff_member else None, p.described, p.removed_at is not None,
             p.named_by_role) for p in complaint.people]


def logged(world, **data):
    result = registration.create(world.reception, factories.public_complaint_data(channel="phone", **data))
    db.session.commit()
    return result.complaint


def test_reception_names_people_from_the_directory_at_intake(world, staff):
    complaint = logged(world, people=[staff["ye"].id, staff["liu"].id])
    assert people_of(complaint) == [("叶文杰", None, False, "reception"), ("刘志强", None, False, "reception")]
    first = complaint.events[0]
    assert first.data["people"] == ["叶文杰 (10014)", "刘志强 (10001)"]
    assert "people" in first.facts


def test_the_intake_form_finds_a_person_by_staff_number_without_javascript(world, staff, app_ctx):
    client = new_client(app_ctx)
    login(client, world.reception)
    page = client.get("/complaints/new")
    assert 'name="people-find"' in page.get_data(as_text=True)
    from tests.test_intake import token_of
    posted = client.post("/complaints/new", data={
        "csrf_token": token_of(page), "channel": "phone", "what_happened": "护士态度差。",
        "complainant_phone": "13800138000", "people-find": "10039"})
    assert posted.status_code == 302, posted.get_data(as_text=True)[:2000]
    complaint = db.session.scalars(db.select(ComplaintPerson)).one().complaint
    assert people_of(complaint) == [("夏磊", None, False, "reception")]


def test_a_name_several_people_have_comes_back_to_tick_one(world, staff, app_ctx):
    db.session.add(StaffMember(staff_number="20014", name="叶文杰", department=world.cardiology))
    db.session.commit()
    client = new_client(app_ctx)
    login(client, world.reception)
    from tests.test_intake import token_of
    page = client.get("/complaints/new")
    posted = client.post("/complaints/new", data={
        "csrf_token": token_of(page), "channel": "phone", "what_happened": "护士态度差。",
        "complainant_phone": "13800138000", "people-find": "叶文杰"})
    html = posted.get_data(as_text=True)
    assert posted.status_code == 422
    assert "Several people match “叶文杰”: tick the one you mean." in html
    assert 'value="' + str(staff["ye"].id) + '"' in html


def test_the_picker_finds_people_as_one_types(world, staff, app_ctx):
    client = new_client(app_ctx)
    login(client, world.head)
    html = client.get("/complaints/people-found?field=name_people-people&name_people-people-find=1003",
                      headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "夏磊 · 10039" in html and "叶文杰" not in html


def test_the_complainant_words_are_kept_and_never_on_track(world, staff, app_ctx):
    complaint = factories.make_complaint(world, State.registered, people_described="5B病房夜班护士")
    assert people_of(complaint) == [(None, "5B病房夜班护士", False, "public")]
    client = new_client(app_ctx)
    html = track(client, complaint.reference, complaint.tracking_code).get_data(as_text=True)
    assert complaint.reference in html and "5B病房夜班护士" not in html


def test_later_naming_matching_and_removing_are_on_the_timeline(world, staff):
    complaint = factories.make_complaint(world, State.investigating, people_described="5B病房夜班护士")
    described = complaint.people[0]
    do(world, world.head, Action.name_people, complaint, people=[staff["ye"].id], matches_id=described.id)
    do(world, world.head, Action.name_people, complaint, people=[staff["xia"].id])
    do(world, world.head, Action.remove_person, complaint, person_id=complaint.people[1].id,
       reason="Not on duty that night.")
    assert people_of(complaint) == [("叶文杰", "5B病房夜班护士", False, "public"), ("夏磊", None, True, "head")]
    assert [(e.action, e.data.get("people") or e.data.get("person"), e.data.get("matched"))
            for e in complaint.events[-3:]] == [
        ("name_people", ["叶文杰 (10014)"], "5B病房夜班护士"),
        ("name_people", ["夏磊 (10039)"], None),
        ("remove_person", "夏磊 (10039)", None),
    ]
    # Named again after the removal: the same row comes back.
    do(world, world.head, Action.name_people, complaint, people=[staff["xia"].id])
    assert people_of(complaint)[1] == ("夏磊", None, False, "head")
    with pytest.raises(ActionInvalid) as refused:
        operations.perform(world.head, Action.name_people, complaint, {"people": [staff["xia"].id]},
                           complaint.version)
    assert refused.value.errors == {"people": "夏磊 已是本投诉的当事人。"}
    db.session.rollback()


def test_not_identified(world, staff):
    complaint = factories.make_complaint(world, State.registered)
    do(world, world.reception, Action.name_people, complaint, not_identified=True)
    assert complaint.people_not_identified is True and complaint.people == []
    assert complaint.events[-1].data == {"not_identified": True}
    do(world, world.reception, Action.name_people, complaint, people=[staff["ye"].id])
    assert complaint.people_not_identified is False  # someone was found after all


def test_not_identified_at_intake_and_someone_named_is_identified(world, staff):
    assert logged(world, people_not_identified=True).people_not_identified is True
    both = logged(world, people_not_identified=True, people=[staff["ye"].id])
    assert (both.people_not_identified, people_of(both)) == (False, [("叶文杰", None, False, "reception")])


def test_nothing_chosen_is_refused(world):
    complaint = factories.make_complaint(world, State.registered)
    with pytest.raises(ActionInvalid) as refused:
        operations.perform(world.reception, Action.name_people, complaint, {}, complaint.version)
    assert list(refused.value.errors) == ["people"]


def test_the_head_records_a_statement_with_a_file_and_a_finding(world, staff, app_ctx):
    complaint = factories.make_complaint(world, State.investigating)
    do(world, world.head, Action.name_people, complaint, people=[staff["ye"].id])
    person = complaint.people[0]
    client = new_client(app_ctx)
    login(client, world.head)
    from tests.test_intake import token_of
    page = client.get(f"/complaints/{complaint.reference}")
    posted = client.post(f"/complaints/{complaint.reference}/record_statement", data={
        "csrf_token": token_of(page), "record_statement-version": str(complaint.version),
        "record_statement-person_id": str(person.id), "record_statement-told_on": "2026-11-17",
        "record_statement-told_via": "in_person", "record_statement-statement": "当晚两位新入院病人，我尽快回应了。",
        "record_statement-evidence": (io.BytesIO(PDF), "排班表.pdf")}, content_type="multipart/form-data")
    assert posted.status_code == 302, posted.get_data(as_text=True)[:3000]
    db.session.refresh(person)
    assert (str(person.told_on), person.told_via, person.statement) == (
        "2026-11-17", "in_person", "当晚两位新入院病人，我尽快回应了。")
    assert [f.original_name for f in person.files] == ["排班表.pdf"]
    event = complaint.events[-1]
    assert (event.action, event.data["files"], "people" in event.facts) == ("record_statement", ["排班表.pdf"], True)
    download = client.get(f"/complaints/{complaint.reference}/people/{person.id}/files/{person.files[0].id}")
    assert download.status_code == 200 and download.data == PDF

    do(world, world.head, Action.record_person_finding, complaint, person_id=person.id, finding="partly_upheld")
    assert person.finding == "partly_upheld"
    html = client.get(f"/complaints/{complaint.reference}").get_data(as_text=True)
    assert "当晚两位新入院病人，我尽快回应了。" in html and "Partly upheld" in html
    assert audit.record_problems(complaint) == []


def test_a_person_changed_behind_the_apps_back_does_not_verify(world, staff):
    complaint = factories.make_complaint(world, State.investigating)
    do(world, world.head, Action.name_people, complaint, people=[staff["ye"].id])
    db.session.execute(update(ComplaintPerson).values(staff_member_id=staff["xia"].id))
    db.session.commit()
    db.session.expire_all()
    assert [p.fact for p in audit.record_problems(complaint)] == ["people"]
    problems, _hashes, _heads = audit.verify()
    assert [p.fact for p in problems] == ["people"]


# Who reads a person's name: named at reception (by reception, or the complainant's words) or by the
# handling head (cardiology's), a person of nursing or of cardiology.
SEES = [
    # (named by, person's department, reader): sees
    ("reception", "nursing", "reception", True),
    ("head", "nursing", "reception", False),
    ("head", "nursing", "head", True),  # the handling head
    ("reception", "nursing", "leadership", True),
    ("head", "cardiology", "leadership", True),
    ("head", "nursing", "admin", False),  # without a break-glass opening
]


@pytest.mark.parametrize(("named_by", "department", "reader", "sees"), SEES)
def test_who_sees_a_persons_name(world, staff, named_by, department, reader, sees):
    complaint = factories.make_complaint(world, State.investigating)
    member = staff["ye"] if department == "nursing" else staff["liu"]
    do(world, world.reception if named_by == "reception" else world.head, Action.name_people, complaint,
       people=[member.id])
    assert may_see_person(world.user(reader), complaint, complaint.people[0]) is sees


def test_the_head_of_the_persons_own_department_and_the_administrator_through_break_glass(world, staff):
    complaint = factories.make_complaint(world, State.investigating)
    do(world, world.head, Action.name_people, complaint, people=[staff["ye"].id])
    person = complaint.people[0]
    # The head of nursing does not see cardiology's complaint: the person's own head reads it where they may.
    assert may_see_person(world.other_head, complaint, person) is False
    complaint.department_id = world.nursing.id  # as if they could see it
    assert may_see_person(world.other_head, complaint, person) is True
    db.session.rollback()
    break_glass(world.admin, complaint, "An audit of the ward's complaints, asked for by the board.")
    db.session.commit()
    assert may_see_person(world.admin, complaint, person) is True


def test_reception_reads_that_someone_was_named_but_not_who(world, staff, app_ctx):
    complaint = factories.make_complaint(world, State.investigating)
    do(world, world.head, Action.name_people, complaint, people=[staff["ye"].id])
    client = new_client(app_ctx)
    login(client, world.reception)
    html = client.get(f"/complaints/{complaint.reference}").get_data(as_text=True)
    assert "叶文杰" not in html
    assert "People named by the department and not shown to you: 1" in html
    assert "Who it names is not shown to you." in html


def test_the_archive_record_shows_the_people_their_side_and_findings(world, staff, app_ctx):
    complaint = factories.make_complaint(world, State.investigating)
    do(world, world.head, Action.name_people, complaint, people=[staff["ye"].id])
    person = complaint.people[0]
    do(world, world.head, Action.record_statement, complaint, person_id=person.id,
       told_on=complaint.received_at.date(), told_via="phone", statement="我尽快回应了。")
    do(world, world.head, Action.record_person_finding, complaint, person_id=person.id, finding="not_upheld")
    client = new_client(app_ctx)
    login(client, world.leadership)
    html = client.get(f"/complaints/{complaint.reference}/record").get_data(as_text=True)
    assert "叶文杰 · 10014" in html and "Not upheld" in html and "我尽快回应了。" in html
