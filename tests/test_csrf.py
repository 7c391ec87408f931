"""CSRF: one CSRFProtect guards the whole app, so it is proved on every POST route of the URL map once —
without a token the answer is 400 and nothing is written — and on one route for each way a token can be
wrong (none, garbage, another session's; as a form field and as htmx's header). A right token is accepted
as a form field (plain forms) and as the X-CSRFToken header (htmx)."""

import re

import pytest
from flask import url_for
from sqlalchemy import func, select

from intranet.complaints.lifecycle import Action, State
from intranet.complaints.models import Complaint
from intranet.core.extensions import db, limiter
from intranet.core.users import StaffSession
from tests import factories
from tests.conftest import csrf_token, login, module_data
from tests.test_authorization_matrix import POLICIES, make_things, visitor
from tests.test_intake import shown_on_confirmation

PUBLIC_COMPLAINT = {
    "what_happened": "等了三个小时。 Waited three hours.",
    "complainant_phone": "13800138000",
}
POST_ROUTES = sorted(endpoint for endpoint, method in POLICIES if method == "POST")


@pytest.fixture(scope="module")
def things(app):
    """Made once: a refused request writes nothing, so every test finds the data as it was made."""
    with module_data(app):
        yield make_things()


@pytest.fixture(autouse=True)
def fresh_limits():
    limiter.reset()  # the login page's limit counts refused posts too


def new_client(app):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def everything_written() -> dict:
    """Each table's row count and, where rows carry a version, the sum of versions: a refused request
    leaves both as they were."""
    db.session.expire_all()
    written = {}
    for table in db.metadata.sorted_tables:
        written[table.name] = db.session.scalar(select(func.count()).select_from(table))
        if "version" in table.c:
            written[table.name, "version"] = db.session.scalar(select(func.sum(table.c.version)))
    return written


def someone_allowed(things, endpoint: str):
    """A person the route's policy lets post (staff first): the refusal is the token's, not the role's."""
    allowed = POLICIES[(endpoint, "POST")].allowed
    name = next((n for n in ("reception", "head_a", "leadership", "admin") if n in allowed), "anonymous")
    return visitor(things.world, name)


def url_of(app, things, endpoint: str) -> str:
    policy = POLICIES[(endpoint, "POST")]
    with app.test_request_context():
        return url_for(endpoint, **(policy.values(things) if policy.values else {}))


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize("endpoint", POST_ROUTES)
def test_every_post_route_refuses_a_request_without_a_token(app, things, endpoint, htmx):
    client = new_client(app)
    user = someone_allowed(things, endpoint)
    if user is not None:
        login(client, user)
    client.get("/")  # the session has a token; the post does not carry it
    policy = POLICIES[(endpoint, "POST")]
    before = everything_written()
    headers = {"HX-Request": "true"} if htmx else {}

    response = client.post(url_of(app, things, endpoint), data=policy.data(things) if policy.data else {},
                           headers=headers)

    assert response.status_code == 400
    assert "nothing was saved" in response.get_data(as_text=True)
    assert everything_written() == before


def other_session_token(app) -> str:
    """A real, well-signed token, but issued to somebody else's session."""
    return csrf_token(new_client(app), "/login")


@pytest.mark.parametrize("as_header", [False, True], ids=["field", "header"])
@pytest.mark.parametrize("kind", ["garbage", "other-session"])
def test_a_wrong_token_is_refused_like_a_missing_one(app, things, kind, as_header):
    token = {"garbage": "not-a-token", "other-session": other_session_token(app)}[kind]
    complaint = things.complaint
    client = new_client(app)
    login(client, things.world.reception)
    client.get(f"/complaints/{complaint.reference}")
    before = everything_written()
    fields = {"note-text": "A wrong token.", "note-version": str(complaint.version)}
    if as_header:
        response = client.post(f"/complaints/{complaint.reference}/note", data=fields,
                               headers={"HX-Request": "true", "HX-Target": "complaint", "X-CSRFToken": token})
    else:
        response = client.post(f"/complaints/{complaint.reference}/note", data={**fields, "note-csrf_token": token})
    assert response.status_code == 400
    assert everything_written() == before


# --- accepted: these write, but only rows no refusal test counts on ----------------------------------------


def ended_sessions(user) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(StaffSession).where(
        StaffSession.user_id == user.id, StaffSession.ended_at.is_not(None)))


def complaint_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Complaint))


@pytest.mark.parametrize("as_header", [False, True], ids=["field", "header"])
def test_login_and_logout_accept_the_token(app, things, as_header):
    client, reception = new_client(app), things.world.reception
    token = csrf_token(client, "/login")
    form = {"username": "reception", "password": factories.PASSWORD}

    def post(path, data):
        if as_header:
            return client.post(path, data=data, headers={"X-CSRFToken": token, "HX-Request": "true"})
        return client.post(path, data={**data, "csrf_token": token})

    assert post("/login", form).status_code == 302
    assert client.get("/queue").status_code == 200
    token = csrf_token(client, "/queue")  # a new session on logging in, and with it a new token
    before = ended_sessions(reception)
    assert post("/logout", {}).status_code == 302
    assert ended_sessions(reception) == before + 1
    assert client.get("/queue").status_code == 302


@pytest.mark.parametrize("as_header", [False, True], ids=["field", "header"])
def test_public_forms_accept_the_token(app, things, as_header):
    client = new_client(app)
    token, complaints = csrf_token(client, "/complain"), complaint_count()

    def post(path, form):
        if as_header:
            return client.post(path, data=form, headers={"X-CSRFToken": token})
        return client.post(path, data={**form, "csrf_token": token})

    response = post("/complain", PUBLIC_COMPLAINT)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert complaint_count() == complaints + 1
    reference, code = shown_on_confirmation(client)
    response = post("/track", {"reference": reference, "code": code})
    assert response.status_code == 200
    assert reference in response.get_data(as_text=True)


def test_an_action_accepts_the_token_as_htmx_header(app, things):
    complaint, client = things.complaint, new_client(app)
    login(client, things.world.reception)
    token, version = csrf_token(client, f"/complaints/{complaint.reference}"), complaint.version
    fields = {f"note-{k}": v for k, v in factories.form_data(Action.note, things.world, complaint).items()}
    response = client.post(
        f"/complaints/{complaint.reference}/note",
        data={**fields, "note-version": str(version)},  # no token in the form
        headers={"HX-Request": "true", "HX-Target": "complaint", "X-CSRFToken": token},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Complaint, complaint.id).version == version + 1


def test_page_forms_carry_the_token(app, things):
    """Every form on a complaint page carries the token, so each works without JavaScript (the lifecycle's
    tests post them with it, as a browser does)."""
    complaint, client = factories.make_complaint(things.world, State.registered), new_client(app)
    login(client, things.world.reception)
    html = client.get(f"/complaints/{complaint.reference}").get_data(as_text=True)
    forms = re.findall(r'<form [^>]*method="post".*?</form>', html, re.S)
    assert len(forms) >= 5  # log out + the actions
    for form in forms:
        inputs = re.findall(r'<input [^>]*name="(?:[a-z_]+-)?csrf_token"[^>]*>', form)
        assert len(inputs) == 1 and re.search(r'value="[^"]+"', inputs[0]), form
