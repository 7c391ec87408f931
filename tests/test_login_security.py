"""Nobody gets in who should not: logins throttled per address and per account, accounts locked after many
wrong passwords (for unknown devices: test_known_devices.py), the same work for unknown usernames, a new
session at login, sessions that end when idle and after a working day, no key in the source (passwords:
test_passwords.py), and no request that gives a 500 for a number too large (a NUL byte: test_nul_bytes.py)."""

import time

import pytest
from sqlalchemy import select

from intranet import create_app
from intranet.core import users as users_module
from intranet.core.extensions import db
from intranet.core.users import LOCK_AFTER, User
from tests.conftest import csrf_token, login
from tests.factories import PASSWORD


def post_login(client, username, password, address="127.0.0.1"):
    token = csrf_token(client, "/login")
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token},
                       environ_base={"REMOTE_ADDR": address})


# --- throttling and lockout -----------------------------------------------------------------------------


def test_one_address_is_slowed_down_after_ten_tries_a_minute(world, client):
    answers = [post_login(client, f"nobody{i}", "wrong password").status_code for i in range(11)]
    assert answers == [422] * 10 + [429]


def test_one_account_is_slowed_down_from_any_address(world, app_ctx):
    answers = [post_login(app_ctx.test_client(), "reception", "wrong password", address=f"10.0.0.{i}").status_code
               for i in range(6)]
    assert answers == [422] * 5 + [429]


def test_many_wrong_passwords_lock_the_account_until_an_admin_unlocks_it(world, app_ctx, monkeypatch):
    app_ctx.config.update(RATELIMIT_LOGIN="1000 per minute", RATELIMIT_LOGIN_ACCOUNT="1000 per minute")
    try:
        client = app_ctx.test_client()
        for _ in range(LOCK_AFTER):
            assert post_login(client, "reception", "wrong password").status_code == 422
        refused = post_login(client, "reception", PASSWORD)
        assert refused.status_code == 422  # the right password, but locked
        db.session.expire_all()
        assert world.reception.locked
        result = app_ctx.test_cli_runner().invoke(args=["users", "unlock", "reception"])
        assert result.exit_code == 0, result.output
        assert post_login(client, "reception", PASSWORD).status_code == 302
    finally:
        app_ctx.config.update(RATELIMIT_LOGIN="10 per minute;100 per hour",
                              RATELIMIT_LOGIN_ACCOUNT="5 per minute;30 per hour")


def test_a_locked_account_and_an_unknown_one_get_the_same_words_for_a_wrong_password(world, client):
    world.reception.locked_at = world.reception.created_at
    db.session.commit()
    locked = post_login(client, "reception", "wrong password").get_data(as_text=True)
    unknown = post_login(client, "nobody-at-all", "wrong password").get_data(as_text=True)
    message = "用户名或密码不正确。"  # in the hospital language: this client asks for no other
    assert message in locked and message in unknown
    assert "锁定" not in locked  # "locked": only the right password is told (test_known_devices.py)


class CountingHasher:
    def __init__(self, real):
        self.real, self.verified = real, 0

    def verify(self, *args):
        self.verified += 1
        return self.real.verify(*args)

    def __getattr__(self, name):
        return getattr(self.real, name)


def test_unknown_usernames_cost_the_same_password_check(world, client, monkeypatch):
    counting = CountingHasher(users_module._hasher)
    monkeypatch.setattr(users_module, "_hasher", counting)
    post_login(client, "reception", "wrong password")
    assert counting.verified == 1
    post_login(client, "nobody-at-all", "wrong password")
    assert counting.verified == 2


def test_a_hash_made_with_older_parameters_is_made_again_with_the_current_ones_at_login(world, client,
                                                                                     monkeypatch):
    from argon2 import PasswordHasher, extract_parameters

    # The production parameters (the suite's own are cheap), and a hash of the kind made before them.
    current = PasswordHasher(time_cost=users_module.PASSWORD_TIME_COST,
                             memory_cost=users_module.PASSWORD_MEMORY_KIB, parallelism=users_module.PASSWORD_LANES)
    monkeypatch.setattr(users_module, "_hasher", current)
    older = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1).hash(PASSWORD)
    world.reception.password_hash = older
    db.session.commit()
    assert post_login(client, "reception", PASSWORD).status_code == 302
    db.session.refresh(world.reception)
    made = world.reception.password_hash
    assert made != older
    parameters = extract_parameters(made)
    assert (parameters.time_cost, parameters.memory_cost, parameters.parallelism) == (5, 7168, 1)
    assert current.verify(made, PASSWORD)


# --- sessions -----------------------------------------------------------------------------------------


def test_a_new_session_at_login_carries_over_only_the_language(world, client):
    client.get("/?lang=en")
    with client.session_transaction() as session:
        session["tracking"] = {"id": 1, "fp": "x"}
        session["submitted"] = {"reference": "TS-2026-000001", "code": "ABCDE-23456"}
    assert post_login(client, "reception", PASSWORD).status_code == 302
    with client.session_transaction() as session:
        assert session.get("lang") == "en"
        assert "tracking" not in session and "submitted" not in session


@pytest.mark.parametrize(("since_ago", "seen_ago", "still_in"), [
    (60, 60, True),
    (60 * 60, 29 * 60, True),
    (60 * 60, 31 * 60, False),  # idle for more than 30 minutes
    (13 * 3600, 60, False),  # logged in for more than 12 hours, however busy
])
def test_sessions_end_when_idle_and_after_a_working_day(world, client, since_ago, seen_ago, still_in):
    login(client, world.reception)
    with client.session_transaction() as session:
        session["since"], session["seen"] = time.time() - since_ago, time.time() - seen_ago
    response = client.get("/queue")
    assert (response.status_code == 200) == still_in
    if not still_in:
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_bell_polling_keeps_no_session_alive(world, client):
    login(client, world.reception)
    with client.session_transaction() as session:
        session["seen"] = seen = time.time() - 20 * 60
    client.get("/notifications/bell", headers={"HX-Request": "true"})
    client.get("/queue", headers={"HX-Request": "true", "HX-Target": "queue-counts"})
    with client.session_transaction() as session:
        assert session["seen"] == seen


def end_session(client, how, user):
    if how == "idle":
        with client.session_transaction() as session:
            session["seen"] = time.time() - 31 * 60
    elif how == "cookie cleared":
        client.delete_cookie("session")
    else:  # logged out on another device
        user.end_all_sessions()
        db.session.commit()


# An htmx request from a page whose session ended (a poll, an action, a search as one types) is answered
# with the login page in the whole window, never swapped into the page, and back to that page after.
HTMX_ON_AN_ENDED_SESSION = [
    ("GET", "/notifications/bell", "/queue?queue=new", "/login?next=/queue?queue%3Dnew&session=ended"),
    ("GET", "/queue", "/queue", "/login?next=/queue&session=ended"),
    ("GET", "/search?q=x", "/search", "/login?next=/search&session=ended"),
    ("POST", "/complaints/TS-2026-000001/note", "/complaints/TS-2026-000001",
     "/login?next=/complaints/TS-2026-000001&session=ended"),
    ("GET", "/queue", "https://evil.example/queue", "/login?session=ended"),  # only a page of this site
    ("GET", "/queue", "/login", "/login?session=ended"),
]


@pytest.mark.parametrize("how", ["idle", "cookie cleared", "logged out elsewhere"])
@pytest.mark.parametrize(("method", "url", "page", "redirect"), HTMX_ON_AN_ENDED_SESSION)
def test_htmx_on_an_ended_session_goes_to_the_login_page_which_says_so(world, client, how, method, url, page,
                                                                       redirect):
    login(client, world.reception)
    token = csrf_token(client, "/queue")
    end_session(client, how, world.reception)
    current = page if page.startswith("https:") else "http://localhost" + page
    response = client.open(url, method=method, data={"csrf_token": token},
                           headers={"HX-Request": "true", "HX-Current-URL": current, "HX-Target": "queue-counts"})
    assert response.status_code == 204 and response.headers["HX-Redirect"] == redirect
    login_page = client.get(response.headers["HX-Redirect"]).get_data(as_text=True)
    assert login_page.count("您的登录已过期，请重新登录。") == 1


def test_logging_out_tells_the_browser_to_forget_the_staff_pages(world, client):
    login(client, world.reception)
    token = csrf_token(client, "/queue")
    response = client.post("/logout", data={"csrf_token": token})
    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'


# --- the demo and keys ------------------------------------------------------------------------------------


def test_the_demo_refuses_the_production_configuration_unless_forced(app_ctx, monkeypatch):
    monkeypatch.setitem(app_ctx.config, "ENV_NAME", "production")
    result = app_ctx.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code != 0 and "--force" in result.output
    assert db.session.scalar(select(User).where(User.username == "reception")) is None


def test_each_demo_account_has_a_hash_of_its_own(app_ctx):
    from intranet.demo import load_demo

    load_demo()
    hashes = db.session.scalars(select(User.password_hash)).all()
    assert len(hashes) > 3 and len(set(hashes)) == len(hashes)


def test_no_signing_key_is_written_in_the_source(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    first = create_app("development", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/a.sqlite3")
    assert len(first.config["SECRET_KEY"]) == 64 and first.config["SECRET_KEY"] != "dev-only-not-secret"
    again = create_app("development", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/a.sqlite3")
    assert again.config["SECRET_KEY"] == first.config["SECRET_KEY"]  # the installation's own, kept
    with pytest.raises(RuntimeError):
        create_app("production")


# --- bad input ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/queue?page=100000000000000000000", "/notifications/99999999999999999999/read",
                                 "/admin/calendar/99999999999999999999/delete"])
def test_a_number_too_large_is_a_clear_4xx(world, client, url):
    login(client, world.admin)
    token = csrf_token(client, "/queue")
    response = client.get(url) if "page" in url else client.post(url, data={"csrf_token": token})
    assert response.status_code == 404
