"""CSRF: every POST is refused (400) without a token or with a wrong one, and nothing is written; a right
token is accepted as a form field (plain forms) and as the X-CSRFToken header (htmx)."""

import re

import pytest
from sqlalchemy import func, select

from intranet.complaints.lifecycle import COMPLAINT_ACTIONS, Action, State
from intranet.complaints.models import Complaint, ComplaintEvent
from intranet.core.extensions import db
from intranet.core.users import User
from tests import factories
from tests.conftest import csrf_token, login
from tests.test_intake import shown_on_confirmation

WRONG_TOKENS = ["missing", "garbage", "other-session"]



@pytest.fixture
def client(app_ctx):
    return new_client(app_ctx)


def new_client(app):
    c = app.test_client()
    c.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return c


def other_session_token(app) -> str:
    """A real, well-signed token, but issued to somebody else's session."""
    return csrf_token(new_client(app), "/login")


def bad_token(app, kind: str) -> str | None:
    return {"missing": None, "garbage": "not-a-token", "other-session": other_session_token(app)}[kind]


def with_token(data: dict, token: str | None, field="csrf_token") -> dict:
    return {**data, field: token} if token is not None else dict(data)


# --- what each action posts, and from which state and by whom it is allowed -----------------------------


def action_form(action: Action, world, complaint) -> dict:
    return factories.form_data(action, world, complaint)


# action: (state the complaint is in, who acts), for the staff endpoint (the complainant's own actions post to
# /track/<action>, one route covered with the public pages).
SETUP = {a: path for a, path in factories.HAPPY_PATH.items() if a.spec.form is not None}


def test_setup_covers_every_action():
    assert set(SETUP) == {a for a in COMPLAINT_ACTIONS if a.spec.form is not None}


def prepared(world, action: Action):
    state, role_key = SETUP[action]
    return factories.prepare_for(world, action, state), world.user(role_key)


def prefixed(action: Action, data: dict, version: int) -> dict:
    return {f"{action.value}-{k}": v for k, v in {**data, "version": version}.items()}


def snapshot(complaint_id: int) -> tuple:
    db.session.expire_all()
    complaint = db.session.get(Complaint, complaint_id)
    events = db.session.scalar(select(func.count()).select_from(ComplaintEvent)
                               .where(ComplaintEvent.complaint_id == complaint_id))
    return complaint.status, complaint.version, complaint.escalation_level, events


def complaint_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Complaint))


# --- refused ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", WRONG_TOKENS)
def test_login_refused_without_right_token(world, client, app_ctx, kind):
    client.get("/login")  # the session has its own token; the post does not carry it
    response = client.post("/login", data=with_token(
        {"username": "reception", "password": factories.PASSWORD}, bad_token(app_ctx, kind)))
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(User, world.reception.id).last_login_at is None
    assert client.get("/queue").status_code == 302  # not logged in


@pytest.mark.parametrize("header", [False, True])
@pytest.mark.parametrize("kind", WRONG_TOKENS)
def test_logout_refused_without_right_token(world, client, app_ctx, kind, header):
    login(client, world.reception)
    client.get("/queue")
    token = bad_token(app_ctx, kind)
    if header:
        response = client.post("/logout", headers={"X-CSRFToken": token} if token else {})
    else:
        response = client.post("/logout", data=with_token({}, token))
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(User, world.reception.id).session_version == 1
    assert client.get("/queue").status_code == 200  # still logged in


PUBLIC_COMPLAINT = {
    "what_happened": "等了三个小时。 Waited three hours.",
    "complainant_phone": "13800138000",
}


@pytest.mark.parametrize("kind", WRONG_TOKENS)
def test_public_complaint_refused_without_right_token(world, client, app_ctx, kind):
    client.get("/complain")
    response = client.post("/complain", data=with_token(PUBLIC_COMPLAINT, bad_token(app_ctx, kind)))
    assert response.status_code == 400
    assert complaint_count() == 0
    with client.session_transaction() as session:
        assert "submitted" not in session


@pytest.mark.parametrize("kind", WRONG_TOKENS)
def test_track_refused_without_right_token(world, client, app_ctx, kind):
    complaint = factories.make_complaint(world)
    client.get("/track")
    response = client.post("/track", data=with_token(
        {"reference": complaint.reference, "code": complaint.tracking_code}, bad_token(app_ctx, kind)))
    assert response.status_code == 400
    assert complaint.reference not in response.get_data(as_text=True)


STAFF_COMPLAINT = {"channel": "phone", "what_happened": "电话投诉：态度差。", "complainant_phone": "13800138000"}


@pytest.mark.parametrize("kind", WRONG_TOKENS)
def test_log_complaint_refused_without_right_token(world, client, app_ctx, kind):
    login(client, world.reception)
    client.get("/complaints/new")
    response = client.post("/complaints/new", data=with_token(STAFF_COMPLAINT, bad_token(app_ctx, kind)))
    assert response.status_code == 400
    assert complaint_count() == 0


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize("kind", WRONG_TOKENS)
@pytest.mark.parametrize("action", list(SETUP), ids=str)
def test_action_refused_without_right_token(world, client, app_ctx, action, kind, htmx):
    complaint, user = prepared(world, action)
    before = snapshot(complaint.id)
    login(client, user)
    client.get(f"/complaints/{complaint.reference}")
    token = bad_token(app_ctx, kind)
    data = prefixed(action, action_form(action, world, complaint), complaint.version)
    data = with_token(data, token, f"{action.value}-csrf_token")
    headers = {}
    if htmx:  # htmx sends the token as a header too; here both are wrong
        headers = {"HX-Request": "true", **({"X-CSRFToken": token} if token else {})}
    response = client.post(f"/complaints/{complaint.reference}/{action.value}", data=data, headers=headers)
    assert response.status_code == 400
    assert snapshot(complaint.id) == before


# --- accepted ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("as_header", [False, True], ids=["field", "header"])
def test_login_accepts_token(world, client, as_header):
    token = csrf_token(client, "/login")
    form = {"username": "reception", "password": factories.PASSWORD}
    if as_header:
        response = client.post("/login", data=form, headers={"X-CSRFToken": token})
    else:
        response = client.post("/login", data={**form, "csrf_token": token})
    assert response.status_code == 302
    assert client.get("/queue").status_code == 200


@pytest.mark.parametrize("as_header", [False, True], ids=["field", "header"])
def test_logout_accepts_token(world, client, as_header):
    login(client, world.reception)
    token = csrf_token(client, "/queue")
    if as_header:
        response = client.post("/logout", headers={"X-CSRFToken": token, "HX-Request": "true"})
    else:
        response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, world.reception.id).session_version == 2
    assert client.get("/queue").status_code == 302


@pytest.mark.parametrize("as_header", [False, True], ids=["field", "header"])
def test_public_forms_accept_token(world, client, as_header):
    token = csrf_token(client, "/complain")

    def post(path, form):
        if as_header:
            return client.post(path, data=form, headers={"X-CSRFToken": token})
        return client.post(path, data={**form, "csrf_token": token})

    response = post("/complain", PUBLIC_COMPLAINT)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert complaint_count() == 1
    reference, code = shown_on_confirmation(client)
    response = post("/track", {"reference": reference, "code": code})
    assert response.status_code == 200
    assert reference in response.get_data(as_text=True)


@pytest.mark.parametrize("as_header", [False, True], ids=["field", "header"])
def test_log_complaint_accepts_token(world, client, as_header):
    login(client, world.reception)
    token = csrf_token(client, "/complaints/new")
    if as_header:
        response = client.post("/complaints/new", data=STAFF_COMPLAINT, headers={"X-CSRFToken": token})
    else:
        response = client.post("/complaints/new", data={**STAFF_COMPLAINT, "csrf_token": token})
    assert response.status_code == 302
    assert complaint_count() == 1


@pytest.mark.parametrize("action", list(SETUP), ids=str)
def test_action_accepts_token_as_htmx_header(world, client, action):
    complaint, user = prepared(world, action)
    before = snapshot(complaint.id)
    login(client, user)
    token = csrf_token(client, f"/complaints/{complaint.reference}")
    response = client.post(
        f"/complaints/{complaint.reference}/{action.value}",
        data=prefixed(action, action_form(action, world, complaint), complaint.version),  # no token in the form
        headers={"HX-Request": "true", "X-CSRFToken": token},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert snapshot(complaint.id)[3] == before[3] + 1  # the event was written


@pytest.mark.parametrize("action", list(SETUP), ids=str)
def test_action_accepts_token_as_form_field(world, client, action):
    complaint, user = prepared(world, action)
    before = snapshot(complaint.id)
    login(client, user)
    token = csrf_token(client, f"/complaints/{complaint.reference}")
    data = prefixed(action, action_form(action, world, complaint), complaint.version)
    data[f"{action.value}-csrf_token"] = token  # as the page's forms name it
    response = client.post(f"/complaints/{complaint.reference}/{action.value}", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert snapshot(complaint.id)[3] == before[3] + 1


def test_page_forms_carry_the_token(world, client):
    """Every form on a complaint page carries the token, so each works without JavaScript."""
    complaint = factories.make_complaint(world, State.registered)
    login(client, world.reception)
    html = client.get(f"/complaints/{complaint.reference}").get_data(as_text=True)
    forms = re.findall(r'<form [^>]*method="post".*?</form>', html, re.S)
    assert len(forms) >= 5  # log out + the actions
    for form in forms:
        inputs = re.findall(r'<input [^>]*name="(?:[a-z_]+-)?csrf_token"[^>]*>', form)
        assert len(inputs) == 1 and re.search(r'value="[^"]+"', inputs[0]), form
