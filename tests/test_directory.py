"""The staff directory: importing the hospital's export in two steps (a preview that writes nothing, then a
confirmation that writes all or nothing), re-importing without duplicates, the files it reads and refuses,
one person edited under a version lock, and an account linked to its person. Who may open these pages is in
the authorization matrix."""

import io
import os
import re

import pytest
from flask_babel import force_locale
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from intranet.core.admin_events import AdminEvent
from intranet.core.extensions import db
from intranet.core.users import User
from intranet.directory import imports
from intranet.directory.models import DirectoryImport, StaffMember
from tests.conftest import csrf_token, login

HEADER = "工号,姓名,科室,职称,在职\n"
CLEAN = HEADER + ("1001,李明,CARD,主治医师,是\n"
                  "1002,王芳,护理部,护士长,是\n"
                  "1003,张伟,Cardiology,,否\n")
# What CLEAN makes of the directory: staff number, name, department, title, active.
CLEAN_PEOPLE = [("1001", "李明", "CARD", "主治医师", True), ("1002", "王芳", "NURS", "护士长", True),
                ("1003", "张伟", "CARD", None, False)]
WITH_ERRORS = HEADER + ("1001,李明,CARD,主治医师,是\n"
                        ",王芳,NURS,护士长,是\n"
                        "1003,,CARD,,是\n"
                        "1004,赵六,神经科,,是\n"
                        "\n"
                        "1001,李明,NURS,,是\n"
                        "1006,钱七,,,也许\n")


@pytest.fixture(autouse=True)
def in_english(app_ctx):
    """The messages as an English-reading administrator reads them."""
    with force_locale("en"):
        yield


def people() -> list[tuple]:
    db.session.expire_all()
    return [(m.staff_number, m.name, m.department.code, m.title, m.active)
            for m in db.session.scalars(select(StaffMember).order_by(StaffMember.staff_number))]


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def written(text: str, actor, name="staff.csv", mark_absent_inactive=False) -> DirectoryImport:
    plan = imports.preview(text.encode(), name)
    done = imports.apply(actor, plan, plan.digest, mark_absent_inactive)
    db.session.commit()
    return done


def outcomes(plan) -> list[tuple]:
    return [(row.number, row.staff_number, row.outcome, row.changes) for row in plan.rows]


def counts(done: DirectoryImport) -> tuple:
    return done.rows, done.created, done.updated, done.unchanged, done.deactivated


# --- the preview: each row as it will be, errors by row -----------------------------------------------------

def test_a_file_with_errors_names_each_by_row_and_cannot_be_written(world):
    with_english_messages = imports.preview(WITH_ERRORS.encode(), "staff.csv")
    assert with_english_messages.errors == [
        (3, "No staff number."),
        (4, "No name."),
        (5, "Unknown department “神经科”: give its code or its name as on the Departments page."),
        (7, "Staff number 1001 is also on row 2."),
        (8, "No department."),
        (8, "“在职” must be yes or no (是 or 否), not “也许”."),
    ]
    assert outcomes(with_english_messages) == [(2, "1001", "new", []), (3, "", "error", []), (4, "1003", "error", []),
                                               (5, "1004", "error", []), (7, "1001", "error", []),
                                               (8, "1006", "error", [])]
    with pytest.raises(imports.Refused):
        imports.apply(world.admin, with_english_messages, with_english_messages.digest, False)
    assert count(StaffMember) == 0


def test_a_clean_import_adds_everyone_as_previewed(world):
    plan = imports.preview(CLEAN.encode(), "staff.csv")
    assert plan.errors == []
    assert outcomes(plan) == [(2, "1001", "new", []), (3, "1002", "new", []), (4, "1003", "new", [])]
    done = imports.apply(world.admin, plan, plan.digest, False)
    db.session.commit()
    assert counts(done) == (3, 3, 0, 0, 0)
    assert people() == CLEAN_PEOPLE
    assert (done.file_name, done.by_id) == ("staff.csv", world.admin.id)


def test_the_same_file_again_changes_nothing(world):
    written(CLEAN, world.admin)
    versions = db.session.execute(select(StaffMember.staff_number, StaffMember.version, StaffMember.updated_at)
                                  .order_by(StaffMember.staff_number)).all()
    plan = imports.preview(CLEAN.encode(), "staff.csv")
    assert outcomes(plan) == [(2, "1001", "unchanged", []), (3, "1002", "unchanged", []),
                              (4, "1003", "unchanged", [])]
    done = imports.apply(world.admin, plan, plan.digest, False)
    db.session.commit()
    assert counts(done) == (3, 0, 0, 3, 0)
    assert people() == CLEAN_PEOPLE
    assert db.session.execute(select(StaffMember.staff_number, StaffMember.version, StaffMember.updated_at)
                              .order_by(StaffMember.staff_number)).all() == versions


def test_a_changed_row_updates_that_person_by_staff_number(world):
    written(CLEAN, world.admin)
    changed = HEADER + ("1001,李明,CARD,主治医师,是\n"
                        "1002,王芳,NURS,副主任护师,是\n"
                        "1003,张伟,心血管内科,,是\n")
    plan = imports.preview(changed.encode(), "staff-december.csv")
    assert outcomes(plan) == [(2, "1001", "unchanged", []), (3, "1002", "updated", ["title"]),
                              (4, "1003", "updated", ["active"])]
    done = imports.apply(world.admin, plan, plan.digest, False)
    db.session.commit()
    assert counts(done) == (3, 0, 2, 1, 0)
    assert people() == [("1001", "李明", "CARD", "主治医师", True), ("1002", "王芳", "NURS", "副主任护师", True),
                        ("1003", "张伟", "CARD", None, True)]
    wang = db.session.scalar(select(StaffMember).where(StaffMember.staff_number == "1002"))
    assert [(e.action, e.data) for e in db.session.scalars(
        select(AdminEvent).where(AdminEvent.subject == "staff_member", AdminEvent.subject_id == wang.id)
        .order_by(AdminEvent.id))] == [
        ("import_create", {"name": "王芳", "department": "NURS", "title": "护士长", "active": True}),
        ("import_change", {"title": ["护士长", "副主任护师"]}),
    ]


@pytest.mark.parametrize("ticked, expected", [
    (False, [("1001", True), ("1002", True), ("1003", False)]),
    (True, [("1001", True), ("1002", False), ("1003", False)]),
])
def test_people_absent_from_a_file_are_kept_and_marked_inactive_only_when_asked(world, ticked, expected):
    written(CLEAN, world.admin)
    done = written(HEADER + "1001,李明,CARD,主治医师,是\n", world.admin, mark_absent_inactive=ticked)
    assert counts(done) == (1, 0, 0, 1, 1 if ticked else 0)
    assert [(number, active) for number, _n, _d, _t, active in people()] == expected


def test_a_file_without_title_or_active_columns_leaves_them_as_they_are(world):
    written(CLEAN, world.admin)
    plan = imports.preview("staff number,name,department\n1002,王芳,NURS\n1003,张伟,CARD\n".encode(), "s.csv")
    assert outcomes(plan) == [(2, "1002", "unchanged", []), (3, "1003", "unchanged", [])]


def test_confirming_a_preview_that_is_no_longer_true_writes_nothing(world):
    written(CLEAN, world.admin)
    plan = imports.preview((HEADER + "1002,王芳,NURS,副主任护师,是\n").encode(), "s.csv")
    seen = plan.digest
    wang = db.session.scalar(select(StaffMember).where(StaffMember.staff_number == "1002"))
    wang.version += 1  # someone changed her since the preview
    db.session.commit()
    with pytest.raises(imports.Changed):
        imports.apply(world.admin, imports.preview((HEADER + "1002,王芳,NURS,副主任护师,是\n").encode(), "s.csv"),
                      seen, False)
    db.session.rollback()
    assert people()[1] == ("1002", "王芳", "NURS", "护士长", True)


# --- the files it reads -------------------------------------------------------------------------------------

def xlsx(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


READ_AS = [(2, {"staff_number": "1001", "name": "李明", "department": "CARD", "title": "主治医师", "active": "是"}),
           (3, {"staff_number": "1002", "name": "王芳", "department": "护理部", "title": "", "active": "否"})]


@pytest.mark.parametrize("name, data", [
    ("staff.csv", "工号,姓名,科室,职称,在职\r\n1001,李明,CARD,主治医师,是\r\n1002,王芳,护理部,,否\r\n".encode()),
    ("bom.csv", "\ufeff工号,姓名,科室,职称,在职\n1001,李明,CARD,主治医师,是\n1002,王芳,护理部,,否\n".encode()),
    ("excel-china.csv", "工号,姓名,科室,职称,在职\r\n1001,李明,CARD,主治医师,是\r\n1002,王芳,护理部,,否\r\n"
     .encode("gb18030")),
    ("export.xlsx", xlsx([["工号", "姓名", "科室", "职称", "在职"], [1001, "李明", "CARD", "主治医师", "是"],
                          [1002.0, "王芳", "护理部", None, "否"]])),
    ("english.CSV", "Staff number,Name,Department,Title,Active\n1001,李明,CARD,主治医师,是\n1002,王芳,护理部,,否\n"
     .encode()),
], ids=["utf8", "utf8-bom", "gb18030", "xlsx", "english-headers"])
def test_each_kind_of_export_is_read_the_same(app_ctx, name, data):
    assert imports.read(data, name).rows == READ_AS


@pytest.mark.parametrize("name, data, message", [
    ("photo.pdf", b"%PDF-1.7", "“photo.pdf” is not a CSV or XLSX file: export the staff list from the hospital's "
                               "system as CSV or as an Excel workbook (.xlsx)."),
    ("staff.xlsx", CLEAN.encode(), "This file is not an Excel workbook (.xlsx), whatever its name says."),
    ("staff.csv", xlsx([["工号"]]), "This file is not CSV text (is it a workbook saved with the wrong name?)."),
    ("staff.csv", b"\xff\xfe\x00\x00", "This file is not CSV text (is it a workbook saved with the wrong name?)."),
    ("staff.csv", b"\x81\x30\xff", "The file could not be read as text: save it as “CSV UTF-8” and try again."),
    ("staff.csv", b"", "The file is empty."),
    ("staff.csv", b"a" * (2 * 1024 * 1024 + 1), "The file is larger than 2 MiB: that is not a staff list."),
    ("staff.csv", "姓名,科室\n李明,CARD\n".encode(), "The first row must name the columns, and there is none for "
                                                     "the staff number (工号)."),
    ("staff.csv", "工号,职工号,姓名,科室\n".encode(), "Two columns are both the staff number (工号): “工号” and "
                                                   "“职工号”."),
], ids=["pdf", "csv-named-xlsx", "xlsx-named-csv", "binary", "not-text", "empty", "too-big", "no-staff-number",
        "two-staff-numbers"])
def test_a_file_that_cannot_be_used_is_refused_with_its_reason(app_ctx, name, data, message):
    with pytest.raises(imports.Unreadable) as refused:
        imports.read(data, name)
    assert str(refused.value.message) == message


# --- the pages: upload, preview, confirm --------------------------------------------------------------------

def admin_client(app_ctx, world):
    client = app_ctx.test_client()
    login(client, world.admin)
    return client, csrf_token(client, "/admin/directory?lang=en")


def upload(client, token, text: str | bytes, name="staff.csv"):
    data = text.encode() if isinstance(text, str) else text
    return client.post("/admin/directory/import", data={"csrf_token": token, "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_uploading_shows_the_preview_and_writes_nothing(world, app_ctx):
    client, token = admin_client(app_ctx, world)
    answer = upload(client, token, WITH_ERRORS)
    assert answer.status_code == 303
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "6 rows: 1 new, 0 updated, 0 unchanged, 5 with errors." in page
    assert 'href="#row-7">Row 7</a>: Staff number 1001 is also on row 2.' in page
    assert "Confirm and write the import" not in page
    assert (count(StaffMember), count(DirectoryImport), count(AdminEvent)) == (0, 0, 0)


def test_confirming_writes_the_import_and_shows_it_on_the_page(world, app_ctx):
    client, token = admin_client(app_ctx, world)
    preview_url = upload(client, token, CLEAN).headers["Location"]
    page = client.get(preview_url).get_data(as_text=True)
    assert "3 rows: 3 new, 0 updated, 0 unchanged, 0 with errors." in page
    digest = imports.preview(CLEAN.encode(), "staff.csv").digest
    assert f'name="digest" type="hidden" value="{digest}"' in page
    answer = client.post(preview_url, data={"csrf_token": token, "digest": digest})
    assert answer.status_code == 302
    assert people() == CLEAN_PEOPLE
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Import written from staff.csv: 3 new, 0 updated, 0 unchanged, 0 marked inactive." in page
    assert "<td data-label=\"File\">staff.csv</td>" in page
    # Written once: the upload is no longer kept.
    assert client.post(preview_url, data={"csrf_token": token, "digest": digest}).status_code == 404
    assert [e.action for e in db.session.scalars(select(AdminEvent).where(
        AdminEvent.subject == "directory_import"))] == ["import"]


def test_confirming_a_file_with_errors_is_refused(world, app_ctx):
    client, token = admin_client(app_ctx, world)
    preview_url = upload(client, token, WITH_ERRORS).headers["Location"]
    digest = imports.preview(WITH_ERRORS.encode(), "staff.csv").digest
    answer = client.post(preview_url, data={"csrf_token": token, "digest": digest})
    assert answer.status_code == 422
    assert ("The file has errors: correct them in the file and upload it again. Nothing was written."
            in answer.get_data(as_text=True))
    assert count(StaffMember) == 0


def test_confirming_after_the_directory_changed_shows_the_new_preview(world, app_ctx):
    client, token = admin_client(app_ctx, world)
    preview_url = upload(client, token, CLEAN).headers["Location"]
    digest = imports.preview(CLEAN.encode(), "staff.csv").digest
    written(HEADER + "1002,王芳,NURS,护士长,是\n", world.admin)  # another administrator, meanwhile
    answer = client.post(preview_url, data={"csrf_token": token, "digest": digest})
    assert answer.status_code == 409
    page = answer.get_data(as_text=True)
    assert "The directory changed since this preview was made, so nothing was written." in page
    assert "3 rows: 2 new, 0 updated, 1 unchanged, 0 with errors." in page
    assert count(StaffMember) == 1


@pytest.mark.parametrize("name, data, message", [
    ("photo.pdf", b"%PDF-1.7", "“photo.pdf” is not a CSV or XLSX file"),
    ("staff.xlsx", CLEAN.encode(), "This file is not an Excel workbook (.xlsx), whatever its name says."),
])
def test_a_wrong_file_is_refused_beside_the_field(world, app_ctx, name, data, message):
    client, token = admin_client(app_ctx, world)
    kept_before = len(os.listdir(imports.folder()))
    answer = upload(client, token, data, name)
    assert answer.status_code == 422
    assert message in answer.get_data(as_text=True)
    assert len(os.listdir(imports.folder())) == kept_before  # nothing kept of a file that cannot be used


def test_an_upload_is_only_its_uploaders(world, app_ctx):
    client, token = admin_client(app_ctx, world)
    preview_url = upload(client, token, CLEAN).headers["Location"]
    other_admin = User(username="admin2", display_name="Admin2", role="admin", password_hash="x")
    db.session.add(other_admin)
    db.session.commit()
    other = app_ctx.test_client()
    login(other, other_admin)
    assert other.get(preview_url).status_code == 404
    assert client.get("/admin/directory/import/../../secret.key").status_code == 404
    assert client.get("/admin/directory/import/" + "0" * 32).status_code == 404


# --- one person ---------------------------------------------------------------------------------------------

def test_an_edit_on_a_stale_version_is_refused_with_409(world, app_ctx):
    written(CLEAN, world.admin)
    li = db.session.scalar(select(StaffMember).where(StaffMember.staff_number == "1001"))
    client, token = admin_client(app_ctx, world)
    form = {"csrf_token": token, "staff_number": "1001", "name": "李明", "department": str(world.cardiology.id),
            "title": "副主任医师", "version": str(li.version)}
    assert client.post(f"/admin/directory/{li.id}", data=form).status_code == 302
    answer = client.post(f"/admin/directory/{li.id}", data={**form, "title": "主任医师"})
    assert answer.status_code == 409
    assert ("Admin changed this at 18 Nov 2026 10:00 (Changed), so your change was not saved."
            in answer.get_data(as_text=True))
    assert people()[0] == ("1001", "李明", "CARD", "副主任医师", True)


def test_adding_a_person_refuses_a_staff_number_taken(world, app_ctx):
    written(CLEAN, world.admin)
    client, token = admin_client(app_ctx, world)
    form = {"csrf_token": token, "staff_number": "1001", "name": "李明明", "department": str(world.nursing.id)}
    answer = client.post("/admin/directory/new", data=form)
    assert answer.status_code == 422
    assert "Someone in the directory already has this staff number." in answer.get_data(as_text=True)
    assert client.post("/admin/directory/new", data={**form, "staff_number": "1004"}).status_code == 302
    assert people()[3] == ("1004", "李明明", "NURS", None, True)


@pytest.mark.parametrize("column, value", [("name", "  "), ("staff_number", "")])
def test_the_database_refuses_a_person_without_a_name_or_staff_number(world, column, value):
    values = {"staff_number": "2001", "name": "李明", column: value}
    db.session.add(StaffMember(department_id=world.cardiology.id, **values))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_the_database_refuses_a_staff_number_twice(world):
    db.session.add_all([StaffMember(staff_number="2001", name="李明", department_id=world.cardiology.id),
                        StaffMember(staff_number="2001", name="王芳", department_id=world.nursing.id)])
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize("words, department, state, expected", [
    ("李", "", "", ["1001"]),
    ("100", "", "all", ["1001", "1002", "1003"]),
    ("护理", "", "", ["1002"]),
    ("card", "", "all", ["1001", "1003"]),
    ("", "nursing", "", ["1002"]),
    ("", "", "inactive", ["1003"]),
    ("%", "", "all", []),
])
def test_the_list_is_searched_by_name_staff_number_and_department(world, app_ctx, words, department, state,
                                                                  expected):
    written(CLEAN, world.admin)
    client, _ = admin_client(app_ctx, world)
    department_id = {"": "", "nursing": str(world.nursing.id)}[department]
    page = client.get("/admin/directory", query_string={"q": words, "department": department_id, "state": state},
                      headers={"HX-Request": "true", "HX-Target": "directory-results"}).get_data(as_text=True)
    assert page.lstrip().startswith('<section id="directory-results"')
    assert re.findall(r'data-label="Staff number">(\d+)<', page) == expected


def test_an_account_is_linked_to_its_person_by_staff_number(world, app_ctx):
    written(CLEAN, world.admin)
    client, token = admin_client(app_ctx, world)
    head = world.head

    def save(staff_number):
        return client.post(f"/admin/accounts/{head.id}", data={
            "csrf_token": token, "display_name": head.display_name, "role": "head",
            "department": str(world.cardiology.id), "language": "", "staff_number": staff_number,
            "version": str(db.session.get(User, head.id).version)})

    assert "Nobody in the staff directory has this staff number." in save("9999").get_data(as_text=True)
    assert save("1001").status_code == 302
    db.session.expire_all()
    li = db.session.scalar(select(StaffMember).where(StaffMember.staff_number == "1001"))
    assert li.account.username == "head-card"
    other = world.other_head
    answer = client.post(f"/admin/accounts/{other.id}", data={
        "csrf_token": token, "display_name": other.display_name, "role": "head", "department": str(world.nursing.id),
        "language": "", "staff_number": "1001", "version": str(other.version)})
    assert answer.status_code == 422
    assert "This person is already linked to the account head-card." in answer.get_data(as_text=True)
    assert save("").status_code == 302
    db.session.expire_all()
    assert db.session.get(User, head.id).staff_member_id is None


def test_a_person_is_marked_inactive_and_active_again_never_deleted(world, app_ctx):
    written(CLEAN, world.admin)
    li = db.session.scalar(select(StaffMember).where(StaffMember.staff_number == "1001"))
    client, token = admin_client(app_ctx, world)

    def press(operation):
        return client.post(f"/admin/directory/{li.id}/{operation}",
                           data={"csrf_token": token, "version": str(db.session.get(StaffMember, li.id).version)})

    assert press("deactivate").status_code == 302
    assert people()[0][4] is False
    refused = press("deactivate")
    assert refused.status_code == 422
    assert "Nothing to change: it is already so." in refused.get_data(as_text=True)
    assert press("reactivate").status_code == 302
    assert people()[0][4] is True
    assert [e.action for e in db.session.scalars(select(AdminEvent).where(
        AdminEvent.subject == "staff_member", AdminEvent.subject_id == li.id).order_by(AdminEvent.id))] == [
        "import_create", "deactivate", "reactivate"]


def test_the_list_comes_in_pages_of_fifty(world, app_ctx):
    written(HEADER + "".join(f"{2000 + n},员工{n},CARD,,是\n" for n in range(51)), world.admin)
    client, _ = admin_client(app_ctx, world)
    first = client.get("/admin/directory?q=员工").get_data(as_text=True)
    assert "People found: 51" in first
    assert len(re.findall(r'data-label="Staff number">', first)) == 50
    assert 'href="/admin/directory?page=2&amp;q=%E5%91%98%E5%B7%A5">Next page</a>' in first
    second = client.get("/admin/directory?page=2&q=员工").get_data(as_text=True)
    assert re.findall(r'data-label="Staff number">(\d+)<', second) == ["2050"]


def test_a_long_files_unchanged_rows_are_counted_not_listed(world, app_ctx):
    rows = [f"{3000 + n},员工{n},CARD,,是\n" for n in range(301)]
    written(HEADER + "".join(rows), world.admin)
    rows[7] = "3007,员工七,CARD,,是\n"
    client, token = admin_client(app_ctx, world)
    page = client.get(upload(client, token, HEADER + "".join(rows)).headers["Location"]).get_data(as_text=True)
    assert "301 rows: 0 new, 1 updated, 300 unchanged, 0 with errors." in page
    assert re.findall(r'data-label="Staff number">(\d+)<', page) == ["3007"]
    assert "Unchanged rows, not listed: 300." in page
