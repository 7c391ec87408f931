"""A NUL byte: no person types one, and PostgreSQL cannot store one. In a posted form it is a field error like
any other: the form comes back (422) with everything typed, the field named, and the byte taken out of what
is shown. In an address it is a clear 400."""

import pytest

from tests.conftest import csrf_token, login
from tests.test_intake import complaints, error_summary_links, form_state, new_client, token_of

NUL = "\x00"


def with_a_nul(value: str) -> str:
    middle = len(value) // 2
    return value[:middle] + NUL + value[middle:]


@pytest.fixture
def client(app_ctx):
    return new_client(app_ctx)


def public_answers(world) -> dict:
    return {
        "what_happened": "候诊三个小时没有人解释原因。",
        "incident_on": "2026-11-16",
        "subject_department_id": str(world.cardiology.id),
        "subject_ward": "心内科5B病房",
        "desired_outcome": "希望医院道歉。",
        "complainant_relation": "family",
        "complainant_name": "王小明",
        "complainant_phone": "13800138000",
        "complainant_email": "wang@example.com",
        "patient_name": "王老先生",
        "preferred_reply": "email",
        "wants_written_reply": "y",
        "confidential": "y",
    }


def staff_answers(world) -> dict:
    return {
        **{k: v for k, v in public_answers(world).items() if k != "preferred_reply"},
        "preferred_reply": "written",
        "channel": "phone",
        "received_at": "2026-11-17",
        "patient_record_number": "ZY-2026-0042",
        "category_id": str(world.category.id),
        "severity": "serious",
        "complexity": "several_departments",
        "acknowledged_via": "phone",
    }


PUBLIC_FIELDS = ["what_happened", "incident_on", "subject_department_id", "subject_ward", "desired_outcome",
                 "complainant_relation", "complainant_name", "complainant_phone", "complainant_email", "patient_name",
                 "preferred_reply", "wants_written_reply", "confidential"]
STAFF_FIELDS = [*PUBLIC_FIELDS, "channel", "received_at", "patient_record_number", "category_id", "severity",
                "complexity", "acknowledged_via"]


# The error summary links a radio group's first choice.
PUBLIC_RADIOS = {"complainant_relation": "complainant_relation-0", "preferred_reply": "preferred_reply-0"}


def check_the_form_came_back(response, answers: dict, field: str, link: str) -> None:
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert NUL not in html
    assert error_summary_links(html) == [link]
    assert "It has been taken out: check the text and send it again." in html
    shown = form_state(html).values
    for name, value in answers.items():
        assert shown.get(name) == value, (name, shown.get(name), value)  # the NUL's field too, without it
    assert complaints() == []


@pytest.mark.parametrize("field", PUBLIC_FIELDS)
def test_a_nul_in_any_field_of_the_public_form_is_that_fields_error(world, client, field):
    answers = public_answers(world)
    page = client.get("/complain")
    sent = {**answers, field: with_a_nul(answers[field]), "csrf_token": token_of(page)}
    check_the_form_came_back(client.post("/complain", data=sent), answers, field, PUBLIC_RADIOS.get(field, field))


@pytest.mark.parametrize("field", STAFF_FIELDS)
def test_a_nul_in_any_field_of_staff_intake_is_that_fields_error(world, client, field):
    login(client, world.reception)
    answers = staff_answers(world)
    page = client.get("/complaints/new")
    sent = {**answers, field: with_a_nul(answers[field]), "csrf_token": token_of(page)}
    check_the_form_came_back(client.post("/complaints/new", data=sent), answers, field, field)


def test_the_same_answers_without_a_nul_are_taken(world, client):
    login(client, world.reception)
    page = client.get("/complaints/new")
    response = client.post("/complaints/new", data={**staff_answers(world), "csrf_token": token_of(page)})
    assert response.status_code == 302
    assert len(complaints()) == 1


@pytest.mark.parametrize(("url", "data", "field", "kept"), [
    ("/login", {"username": "recep\x00tion", "password": "x"}, "username", "reception"),
    ("/track", {"reference": "TS-2026-\x00000001", "code": "ABCDE-23456"}, "reference", "TS-2026-000001"),
])
def test_every_form_follows_the_one_rule(world, client, url, data, field, kept):
    response = client.post(url, data={**data, "csrf_token": csrf_token(client, url)})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert error_summary_links(html) == [field]
    assert form_state(html).values[field] == kept


@pytest.mark.parametrize("url", ["/search?q=%00", "/queue%00"])
def test_a_nul_in_an_address_is_a_clear_400(world, client, url):
    login(client, world.reception)
    response = client.get(url)
    assert response.status_code == 400
    assert "<html" in response.get_data(as_text=True)
