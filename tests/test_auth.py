"""Staff login and logout (this device's session), sessions that die everywhere when the account changes,
safe redirects, and the users CLI."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from intranet.core.extensions import db
from intranet.core.users import User
from tests import factories
from tests.conftest import csrf_token

WRONG = "The username or password is not right."
STAFF_PAGES = ["/queue", "/search", "/search?q=x", "/complaints/new", "/complaints/TS-2026-000001"]



def browser(app):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def client(app_ctx):
    return browser(app_ctx)


def log_in(client, username, password=factories.PASSWORD, next_url=None):
    token = csrf_token(client, "/login")
    query = {"next": next_url} if next_url is not None else {}
    return client.post("/login", query_string=query,
                       data={"csrf_token": token, "username": username, "password": password})


def log_out(client):
    token = csrf_token(client, "/queue")
    return client.post("/logout", data={"csrf_token": token})


def logged_in(client) -> bool:
    response = client.get("/queue")
    if response.status_code == 200:
        return True
    assert response.status_code == 302 and response.location.startswith("/login")
    return False


def refresh(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


# --- logging in -----------------------------------------------------------------------------------------


def test_login_page(client, world):
    response = client.get("/login")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<label for="username">' in html and '<label for="password">' in html
    assert 'type="password"' in html


def test_password_is_stored_as_argon2id(world):
    user = refresh(world.reception)
    assert user.password_hash.startswith("$argon2id$")
    assert factories.PASSWORD not in user.password_hash


def test_login_with_the_right_password(client, world):
    response = log_in(client, "reception")
    assert response.status_code == 302
    assert response.location == "/queue"
    assert logged_in(client)
    assert refresh(world.reception).last_login_at is not None
    # Logged in, /login sends them on to their queues.
    assert client.get("/login").location == "/queue"


def test_username_is_trimmed(client, world):
    assert log_in(client, "  reception ").status_code == 302


def test_wrong_password_and_unknown_user_get_the_same_answer(client, world, app_ctx):
    wrong_password = log_in(client, "reception", "not the password")
    unknown_user = log_in(browser(app_ctx), "nobody-here", "not the password")
    for response, username in ((wrong_password, "reception"), (unknown_user, "nobody-here")):
        assert response.status_code == 422
        html = response.get_data(as_text=True)
        assert WRONG in html
        assert re.search(rf'<input [^>]*name="username"[^>]*value="{username}"', html)  # kept
        assert not re.search(r'<input [^>]*name="password"[^>]*value="[^"]', html)  # never echoed
    assert refresh(world.reception).last_login_at is None

    def normalise(response, username):
        html = response.get_data(as_text=True).replace(username, "USERNAME")
        return re.sub(r"[\w-]{20,}\.[\w-]+\.[\w-]+", "TOKEN", html)  # each session has its own token

    assert normalise(wrong_password, "reception") == normalise(unknown_user, "nobody-here")
    assert not logged_in(client)


def test_an_inactive_user_is_told_why_only_with_the_right_password(client, world):
    world.reception.active = False
    db.session.commit()
    wrong = log_in(client, "reception", "not the password")
    assert wrong.status_code == 422 and WRONG in wrong.get_data(as_text=True)
    right = log_in(client, "reception")
    assert right.status_code == 422
    html = right.get_data(as_text=True)
    assert WRONG not in html
    assert "This account is deactivated. If you need it again, call the system administrator." in html
    assert not logged_in(client)


def test_empty_login_form(client, world):
    response = log_in(client, "", "")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'href="#username"' in html and 'href="#password"' in html


# --- logging out, and sessions that die everywhere ----------------------------------------------------


def test_logout_is_a_post(client, world):
    assert log_in(client, "reception").status_code == 302
    assert client.get("/logout").status_code == 405
    assert logged_in(client)
    response = log_out(client)
    assert response.status_code == 302 and response.location == "/login"
    assert not logged_in(client)


def test_logout_ends_this_devices_session_only(app_ctx, world):
    desk, phone, colleague = browser(app_ctx), browser(app_ctx), browser(app_ctx)
    assert log_in(desk, "reception").status_code == 302
    assert log_in(phone, "reception").status_code == 302
    assert log_in(colleague, "leadership").status_code == 302
    assert logged_in(desk) and logged_in(phone) and logged_in(colleague)

    kept = desk.get_cookie("session").value
    log_out(desk)
    assert not logged_in(desk)
    assert logged_in(phone)  # the same user elsewhere: still logged in
    assert logged_in(colleague)
    assert refresh(world.reception).session_version == 1

    # The ended session's cookie, kept aside, does not come back to life.
    thief = browser(app_ctx)
    thief.set_cookie("session", kept)
    assert not logged_in(thief)
    assert log_in(desk, "reception").status_code == 302
    assert logged_in(desk) and logged_in(phone)


def test_stolen_cookie_dies_at_logout(app_ctx, world):
    owner = browser(app_ctx)
    assert log_in(owner, "reception").status_code == 302
    cookie = owner.get_cookie("session")
    thief = browser(app_ctx)
    thief.set_cookie("session", cookie.value)
    assert logged_in(thief)
    log_out(owner)
    assert not logged_in(thief)


def test_deactivating_a_user_ends_their_sessions(app_ctx, world):
    first, second = browser(app_ctx), browser(app_ctx)
    assert log_in(first, "head-card").status_code == 302
    assert log_in(second, "head-card").status_code == 302
    assert logged_in(first) and logged_in(second)
    user = refresh(world.head)
    user.active = False
    db.session.commit()
    assert not logged_in(first)
    assert not logged_in(second)


def test_reactivated_user_must_log_in_again_if_sessions_were_ended(app_ctx, world):
    client = browser(app_ctx)
    assert log_in(client, "reception").status_code == 302
    user = refresh(world.reception)
    user.end_all_sessions()
    db.session.commit()
    assert not logged_in(client)


def test_changing_the_password_can_end_sessions(app_ctx, world):
    client = browser(app_ctx)
    assert log_in(client, "reception").status_code == 302
    user = refresh(world.reception)
    user.set_password("a brand new password")
    user.end_all_sessions()
    db.session.commit()
    assert not logged_in(client)
    assert log_in(client, "reception").status_code == 422
    assert log_in(client, "reception", "a brand new password").status_code == 302


# --- where a login leads ------------------------------------------------------------------------------


def test_next_to_a_complaint_page(client, world):
    complaint = factories.make_complaint(world)
    response = log_in(client, "reception", next_url=f"/complaints/{complaint.reference}")
    assert response.status_code == 302
    assert response.location == f"/complaints/{complaint.reference}"


UNSAFE_NEXT = [
    "//evil.example", "//evil.example/queue", "https://evil.example", "https://evil.example/queue",
    "http:/evil.example", "/\\evil.example", "/\\/evil.example", "\\\\evil.example", "javascript:alert(1)",
    "evil.example", "///evil.example", "/\t/evil.example", "/\n/evil.example", " //evil.example",
]


@pytest.mark.parametrize("target", UNSAFE_NEXT)
def test_unsafe_next_is_ignored(client, world, target):
    response = log_in(client, "reception", next_url=target)
    assert response.status_code == 302
    assert response.location == "/queue", response.location


@pytest.mark.parametrize("target", UNSAFE_NEXT)
def test_unsafe_next_after_an_action_is_ignored(client, world, target):
    """Actions posted without JavaScript may say where to go next; only a path on this site is followed."""
    complaint = factories.make_complaint(world)
    assert log_in(client, "reception").status_code == 302
    token = csrf_token(client, "/queue")
    response = client.post(f"/complaints/{complaint.reference}/note", query_string={"next": target},
                           data={"note-csrf_token": token, "note-version": complaint.version, "note-text": "x"})
    assert response.status_code == 302
    assert response.location == f"/complaints/{complaint.reference}", response.location


def test_safe_next_after_an_action_is_followed(client, world):
    complaint = factories.make_complaint(world)
    assert log_in(client, "reception").status_code == 302
    token = csrf_token(client, "/queue")
    response = client.post(f"/complaints/{complaint.reference}/note", query_string={"next": "/queue?q=new"},
                           data={"note-csrf_token": token, "note-version": complaint.version, "note-text": "x"})
    assert response.location == "/queue?q=new"


def test_anonymous_users_are_sent_to_login(client, world):
    for page in STAFF_PAGES:
        response = client.get(page)
        assert response.status_code == 302, page
        assert response.location.startswith("/login?next="), (page, response.location)
    # and come back where they were going
    response = client.get("/complaints/new")
    next_url = parse_qs(urlsplit(response.location).query)["next"][0]
    assert next_url == "/complaints/new"
    assert log_in(client, "reception", next_url=next_url).location == "/complaints/new"


def test_anonymous_action_post_is_sent_to_login_and_changes_nothing(client, world):
    complaint = factories.make_complaint(world)
    token = csrf_token(client, "/login")
    response = client.post(f"/complaints/{complaint.reference}/note",
                           data={"note-csrf_token": token, "note-version": complaint.version, "note-text": "x"})
    assert response.status_code == 302 and response.location.startswith("/login")
    db.session.expire_all()
    assert len(complaint.events) == 1


def test_public_pages_need_no_login(client):
    for page in ["/", "/complain", "/track", "/login"]:
        assert client.get(page).status_code == 200, page


# --- the users CLI -------------------------------------------------------------------------------------


def users_cli(app, *args, input=None):
    return app.test_cli_runner().invoke(args=["users", "create", *args], input=input)


def user_named(username) -> User | None:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == username))


@pytest.mark.parametrize("role", ["reception", "leadership", "admin"])
def test_cli_creates_users_with_roles(app_ctx, world, role):
    result = users_cli(app_ctx, f"new-{role}", "--role", role, "--password", "long enough pw", "--name", "新同事")
    assert result.exit_code == 0, result.output
    user = user_named(f"new-{role}")
    assert user.role == role and user.department is None and user.active
    assert user.display_name == "新同事"
    assert user.password_hash.startswith("$argon2id$")
    assert user.check_password("long enough pw")
    # and they can log in through the page
    client = browser(app_ctx)
    assert log_in(client, f"new-{role}", "long enough pw").status_code == 302


@pytest.mark.parametrize("department", ["CARD", "Cardiology", "心血管内科"])
def test_cli_creates_heads_with_their_department(app_ctx, world, department):
    result = users_cli(app_ctx, "head-2", "--role", "head", "--department", department, "--password", "long enough pw")
    assert result.exit_code == 0, result.output
    user = user_named("head-2")
    assert user.role == "head" and user.department.code == "CARD"


def test_cli_requires_a_department_for_heads(app_ctx, world):
    result = users_cli(app_ctx, "head-2", "--role", "head", "--password", "long enough pw")
    assert result.exit_code != 0
    assert "--department" in result.output
    assert user_named("head-2") is None


def test_cli_refuses_an_unknown_department(app_ctx, world):
    result = users_cli(app_ctx, "head-2", "--role", "head", "--department", "NOPE", "--password", "long enough pw")
    assert result.exit_code != 0
    assert user_named("head-2") is None


def test_cli_refuses_a_department_for_others(app_ctx, world):
    result = users_cli(app_ctx, "rec-2", "--role", "reception", "--department", "CARD", "--password", "long enough pw")
    assert result.exit_code != 0
    assert user_named("rec-2") is None


def test_cli_refuses_duplicates(app_ctx, world):
    result = users_cli(app_ctx, "reception", "--role", "reception", "--password", "another password")
    assert result.exit_code != 0
    assert "exists already" in result.output
    assert db.session.scalar(select(func.count()).select_from(User).where(User.username == "reception")) == 1
    assert user_named("reception").check_password(factories.PASSWORD)  # untouched


def test_cli_refuses_unknown_roles_and_short_passwords(app_ctx, world):
    assert users_cli(app_ctx, "x1", "--role", "superuser", "--password", "long enough pw").exit_code != 0
    assert users_cli(app_ctx, "x2", "--role", "reception", "--password", "short").exit_code != 0
    assert user_named("x1") is None and user_named("x2") is None


def test_cli_prompts_for_the_password(app_ctx, world):
    result = users_cli(app_ctx, "prompted", "--role", "reception", input="typed password\ntyped password\n")
    assert result.exit_code == 0, result.output
    assert "typed password" not in result.output  # hidden input
    assert user_named("prompted").check_password("typed password")
