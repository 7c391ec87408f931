"""Departments and complaint categories managed by the administrator: added, renamed in Chinese and in
English, deactivated and reactivated, never deleted. A deactivated one is not offered for new complaints
and still shows on the complaints that have it. Every change is logged; the second of two administrators
renaming at once is told."""

import pytest
from sqlalchemy import select

from intranet.complaints.lifecycle import State
from intranet.core.admin_events import AdminEvent
from intranet.core.departments import Category, Department
from intranet.core.extensions import db
from intranet.core.forms import category_choices, department_choices
from tests.conftest import csrf_token, login
from tests.factories import make_complaint


def admin_client(app_ctx, world):
    client = app_ctx.test_client()
    login(client, world.admin)
    return client, csrf_token(client, "/admin/departments")


def offered(choices) -> list[str]:
    return [str(c.label) for c in choices() if c.value != ""]


def logged(subject: str, row) -> list[str]:
    return list(db.session.scalars(select(AdminEvent.action).where(
        AdminEvent.subject == subject, AdminEvent.subject_id == row.id).order_by(AdminEvent.id)))


@pytest.mark.parametrize("role_key", ["reception", "head", "leadership"])
def test_only_the_administrator_manages_departments_and_categories(world, client, role_key):
    login(client, world.user(role_key))
    token = csrf_token(client, "/queue")
    for page in ("/admin/departments", "/admin/categories", f"/admin/departments/{world.cardiology.id}"):
        assert client.get(page).status_code == 403
    assert client.post("/admin/departments", data={"csrf_token": token, "code": "ENT", "name_zh": "耳鼻喉科",
                                                   "name_en": "ENT"}).status_code == 403
    assert db.session.scalar(select(Department).where(Department.code == "ENT")) is None


@pytest.mark.parametrize("kind, model, choices", [
    ("departments", Department, department_choices), ("categories", Category, category_choices)])
def test_a_new_one_is_offered_for_new_complaints(world, app_ctx, kind, model, choices):
    client, token = admin_client(app_ctx, world)
    response = client.post(f"/admin/{kind}", data={"csrf_token": token, "code": "new-1", "name_zh": "新的一项",
                                                   "name_en": "New one"})
    assert response.status_code == 302
    row = db.session.scalar(select(model).where(model.code == "NEW-1"))
    assert (row.name_zh, row.name_en, row.active) == ("新的一项", "New one", True)
    assert "新的一项" in offered(choices)
    assert logged(kind[:-1] if kind == "departments" else "category", row) == ["create"]


def test_a_code_in_use_is_refused_and_what_was_typed_kept(world, app_ctx):
    client, token = admin_client(app_ctx, world)
    response = client.post("/admin/departments?lang=en", data={"csrf_token": token, "code": "card",
                                                              "name_zh": "心内二科", "name_en": "Cardiology 2"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "This code is taken: choose another." in page and 'value="心内二科"' in page


def test_a_renamed_department_shows_its_new_names_and_the_change_is_logged(world, app_ctx):
    complaint = make_complaint(world, State.investigating)
    client, token = admin_client(app_ctx, world)
    response = client.post(f"/admin/departments/{world.cardiology.id}", data={
        "csrf_token": token, "version": "1", "name_zh": "心血管内科一病区", "name_en": "Cardiology Ward 1"})
    assert response.status_code == 302
    login(client, world.reception)
    assert "Cardiology Ward 1" in client.get(f"/complaints/{complaint.reference}?lang=en").get_data(as_text=True)
    event = db.session.scalars(select(AdminEvent).where(AdminEvent.subject == "department")).one()
    assert (event.action, event.data) == ("rename", {"name_zh": ["心血管内科", "心血管内科一病区"],
                                                     "name_en": ["Cardiology", "Cardiology Ward 1"]})


def test_a_deactivated_category_is_not_offered_but_still_shows_on_its_complaints(world, app_ctx):
    complaint = make_complaint(world, State.investigating)
    client, token = admin_client(app_ctx, world)
    response = client.post(f"/admin/categories/{world.category.id}/deactivate",
                           data={"csrf_token": token, "version": "1"})
    assert response.status_code == 302
    db.session.expire_all()
    assert not world.category.active
    assert "沟通与态度" not in offered(category_choices)
    login(client, world.reception)
    page = client.get(f"/complaints/{complaint.reference}?lang=en").get_data(as_text=True)
    assert "Communication and attitude" in page
    assert db.session.get(Category, world.category.id) is not None  # never deleted


def test_a_deactivated_department_is_not_offered_and_reactivation_brings_it_back(world, app_ctx):
    world.other_head.active = world.other_staff.active = False
    db.session.commit()
    client, token = admin_client(app_ctx, world)
    assert client.post(f"/admin/departments/{world.nursing.id}/deactivate",
                       data={"csrf_token": token, "version": "1"}).status_code == 302
    assert "护理部" not in offered(department_choices)
    assert client.post(f"/admin/departments/{world.nursing.id}/reactivate",
                       data={"csrf_token": token, "version": "2"}).status_code == 302
    assert "护理部" in offered(department_choices)
    assert logged("department", world.nursing) == ["deactivate", "reactivate"]


def test_a_department_with_an_active_head_is_not_deactivated(world, app_ctx):
    client, token = admin_client(app_ctx, world)
    response = client.post(f"/admin/departments/{world.cardiology.id}/deactivate?lang=en",
                           data={"csrf_token": token, "version": "1"})
    assert response.status_code == 422
    assert "Active accounts (heads or staff) belong to this department" in response.get_data(as_text=True)
    db.session.expire_all()
    assert world.cardiology.active


def test_the_second_of_two_renames_at_once_is_told(world, app_ctx):
    client, token = admin_client(app_ctx, world)
    first = client.post(f"/admin/categories/{world.category.id}", data={
        "csrf_token": token, "version": "1", "name_zh": "服务态度", "name_en": "Attitude"})
    assert first.status_code == 302
    second = client.post(f"/admin/categories/{world.category.id}?lang=en", data={
        "csrf_token": token, "version": "1", "name_zh": "沟通", "name_en": "Communication"})
    assert second.status_code == 409
    assert "so your change was not saved" in second.get_data(as_text=True)
    db.session.expire_all()
    assert (world.category.name_zh, world.category.name_en) == ("服务态度", "Attitude")
