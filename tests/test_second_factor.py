"""A second factor for administrators and leadership: after the right password, a code from an
authenticator app (TOTP) or one of ten recovery codes, each taken once. The first login sets the app up
(QR code and key) and shows the recovery codes once; only their hashes are kept. Other roles log in with
their password alone."""

import re
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from intranet.core.extensions import db
from intranet.core.time import clock_at
from intranet.core.users import RecoveryCode, User
from tests.conftest import PINNED, csrf_token
from tests.factories import PASSWORD


@pytest.fixture(autouse=True)
def second_factor_roles(app_ctx, monkeypatch):
    monkeypatch.setitem(app_ctx.config, "SECOND_FACTOR_ROLES", ["admin", "leadership", "supervision"])


def browser(app):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def post(client, url, data):
    return client.post(url, data={"csrf_token": csrf_token(client, url), **data})


def password_step(client, username):
    return post(client, "/login", {"username": username, "password": PASSWORD})


def logged_in(client) -> bool:
    return client.get("/queue").status_code == 200


def fresh(user) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def enrol(client, username) -> tuple[str, list[str]]:
    """The first login, done: the key shown, a code from it, and the recovery codes shown."""
    assert password_step(client, username).location == "/login/code"
    secret = re.search(r'<code class="secret-key">([A-Z2-7]+)</code>', client.get("/login/code").get_data(
        as_text=True)).group(1)
    done = post(client, "/login/code", {"code": pyotp.TOTP(secret).at(PINNED)})
    assert done.status_code == 200
    return secret, re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", done.get_data(as_text=True))


@pytest.mark.parametrize(("role_key", "needs_code"), [("reception", False), ("head", False),
                                                       ("leadership", True), ("supervision", True),
                                                       ("admin", True)])
def test_who_needs_a_second_factor(app_ctx, world, role_key, needs_code):
    client = browser(app_ctx)
    answer = password_step(client, world.user(role_key).username)
    assert answer.location == ("/login/code" if needs_code else "/queue")
    assert logged_in(client) == (not needs_code)  # the password alone reaches nothing


def test_the_first_login_sets_up_the_app_and_shows_ten_recovery_codes_once(app_ctx, world):
    client = browser(app_ctx)
    assert password_step(client, "admin").location == "/login/code"
    page = client.get("/login/code").get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page and "Set up your second factor" in page
    secret = re.search(r'<code class="secret-key">([A-Z2-7]+)</code>', page).group(1)
    wrong = post(client, "/login/code", {"code": "000000"})
    assert wrong.status_code == 422 and "This code is not right." in wrong.get_data(as_text=True)
    assert fresh(world.admin).totp_since is None
    done = post(client, "/login/code", {"code": pyotp.TOTP(secret).at(PINNED)})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", done.get_data(as_text=True))
    assert len(set(codes)) == 10
    assert logged_in(client)
    user = fresh(world.admin)
    assert user.totp_secret == secret and user.totp_since == PINNED
    hashes = db.session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)).all()
    assert len(hashes) == 10 and all(h.startswith("$argon2id$") for h in hashes)
    assert not any(code.replace("-", "") in h for code in codes for h in hashes)


def test_later_logins_take_the_apps_code_once(app_ctx, world):
    secret, _codes = enrol(browser(app_ctx), "leadership")
    later = PINNED + timedelta(minutes=1)
    with clock_at(later):
        client = browser(app_ctx)
        assert password_step(client, "leadership").location == "/login/code"
        assert "Set up" not in client.get("/login/code").get_data(as_text=True)
        code = pyotp.TOTP(secret).at(later)
        assert post(client, "/login/code", {"code": code[:3] + " " + code[3:]}).location == "/queue"
        assert logged_in(client)
        again = browser(app_ctx)  # the same code, a second time
        password_step(again, "leadership")
        assert post(again, "/login/code", {"code": code}).status_code == 422
        assert not logged_in(again)


def test_a_recovery_code_stands_in_once(app_ctx, world):
    _secret, codes = enrol(browser(app_ctx), "admin")
    for expected in (302, 422):
        client = browser(app_ctx)
        password_step(client, "admin")
        assert post(client, "/login/code", {"code": codes[3].upper()}).status_code == expected
        assert logged_in(client) == (expected == 302)


def test_the_code_must_follow_the_password_within_five_minutes(app_ctx, world):
    client = browser(app_ctx)
    assert client.get("/login/code").location == "/login"  # no password given: nothing to do here
    password_step(client, "admin")
    token = csrf_token(client, "/login/code")
    with clock_at(PINNED + timedelta(minutes=6)):
        answer = client.post("/login/code", data={"csrf_token": token, "code": "123456"})
        assert answer.status_code == 302 and answer.location == "/login"
        assert "That took too long: log in again." in client.get("/login").get_data(as_text=True)


def test_wrong_codes_count_as_wrong_passwords(app_ctx, world, monkeypatch):
    monkeypatch.setitem(app_ctx.config, "RATELIMIT_LOGIN_ACCOUNT", "1000 per minute")
    monkeypatch.setitem(app_ctx.config, "RATELIMIT_LOGIN", "1000 per minute")
    client = browser(app_ctx)
    password_step(client, "admin")
    for _ in range(3):
        assert post(client, "/login/code", {"code": "000000"}).status_code == 422
    assert fresh(world.admin).failed_logins == 3


def test_a_lost_phone_an_administrator_resets_it(app_ctx, world):
    enrol(browser(app_ctx), "leadership")
    result = app_ctx.test_cli_runner().invoke(args=["users", "reset-second-factor", "leadership"])
    assert result.exit_code == 0, result.output
    user = fresh(world.leadership)
    assert user.totp_secret is None and user.totp_since is None
    assert db.session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id)).all() == []
    client = browser(app_ctx)
    password_step(client, "leadership")
    assert "Set up your second factor" in client.get("/login/code").get_data(as_text=True)
