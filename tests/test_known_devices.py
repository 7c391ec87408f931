"""Lockout that a guesser cannot aim (OWASP's device cookies). A browser that has logged in as a user carries
a signed device cookie; wrong passwords from it never lock it out. Wrong passwords from unknown devices are
slowed (one rate limit for all of them) and then lock the account for unknown devices only, until the lock
lifts by itself or an administrator lifts it; the owner is told in the app. Only the right password is told
that the account is locked, and whom to call. The change-password form counts as the login page does, and
ten wrong current passwords end that session."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from intranet.core.extensions import db
from intranet.core.time import clock_at
from intranet.core.users import LOCK_AFTER, User
from intranet.notifications.models import OutboxMessage
from tests.conftest import PINNED, csrf_token, login
from tests.factories import PASSWORD

WRONG = "The username or password is not right."
LOCKED = ("After many wrong passwords, this account is locked on devices it has not logged in from, until 10:15. "
          "Log in from a device you have used before, wait, or call the system administrator to unlock it now.")


def device(app, address="10.0.0.1"):
    client = app.test_client()
    client.environ_base.update(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR=address)
    return client


def post_login(client, username, password):
    token = csrf_token(client, "/login")
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


def logged_in(client) -> bool:
    return client.get("/queue").status_code == 200


def fresh(user) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


@pytest.fixture
def patient_attacker(app_ctx, monkeypatch):
    """Rate limits out of the way: a guesser with time enough to get past them."""
    monkeypatch.setitem(app_ctx.config, "RATELIMIT_LOGIN", "1000 per minute")
    monkeypatch.setitem(app_ctx.config, "RATELIMIT_LOGIN_ACCOUNT", "1000 per minute")


def attack(app, username, guesses=LOCK_AFTER):
    """Wrong passwords from unknown devices, each from an address of its own."""
    return [post_login(device(app, f"192.0.2.{i}"), username, f"guess number {i}").status_code
            for i in range(guesses)]


def test_the_owners_known_device_logs_in_during_and_after_an_attack(app_ctx, world, patient_attacker):
    desk = device(app_ctx)
    assert post_login(desk, "head-card", PASSWORD).status_code == 302
    assert desk.get_cookie("redress_device") is not None
    assert attack(app_ctx, "head-card") == [422] * LOCK_AFTER
    assert fresh(world.head).locked
    assert post_login(device(app_ctx, "192.0.2.99"), "head-card", PASSWORD).status_code == 422  # unknown: locked
    assert logged_in(desk)  # the session it had goes on
    desk.post("/logout", data={"csrf_token": csrf_token(desk, "/queue")})
    assert post_login(desk, "head-card", PASSWORD).status_code == 302  # during the lock
    assert attack(app_ctx, "head-card", 3) == [422] * 3
    with clock_at(PINNED + timedelta(minutes=20)):
        desk.post("/logout", data={"csrf_token": csrf_token(desk, "/queue")})
        assert post_login(desk, "head-card", PASSWORD).status_code == 302  # and after


def test_the_guessers_are_slowed_but_not_the_owners_known_device(app_ctx, world):
    desk = device(app_ctx)
    assert post_login(desk, "reception", PASSWORD).status_code == 302
    desk.post("/logout", data={"csrf_token": csrf_token(desk, "/queue")})
    # One rate limit for every unknown device (five a minute), whatever their addresses; the desk's own first
    # login, before it was known, was one of the five.
    assert attack(app_ctx, "reception", 5) == [422] * 4 + [429]
    assert post_login(desk, "reception", PASSWORD).status_code == 302


def test_wrong_passwords_from_a_known_device_never_lock_it(app_ctx, world, patient_attacker):
    desk = device(app_ctx)
    assert post_login(desk, "reception", PASSWORD).status_code == 302
    desk.post("/logout", data={"csrf_token": csrf_token(desk, "/queue")})
    for _ in range(LOCK_AFTER + 2):
        assert post_login(desk, "reception", "a typo, again").status_code == 422
    user = fresh(world.reception)
    assert not user.locked and user.failed_logins == 0
    assert post_login(desk, "reception", PASSWORD).status_code == 302


def test_the_lock_lifts_by_itself_after_the_set_time(app_ctx, world, patient_attacker):
    attack(app_ctx, "reception")
    new_laptop = device(app_ctx, "10.0.0.7")
    with clock_at(PINNED + timedelta(minutes=14)):
        assert post_login(new_laptop, "reception", PASSWORD).status_code == 422
    with clock_at(PINNED + timedelta(minutes=15)):
        assert post_login(new_laptop, "reception", PASSWORD).status_code == 302
    user = fresh(world.reception)
    assert not user.locked and user.failed_logins == 0


def test_a_lock_that_lifted_counts_again_from_one(app_ctx, world, patient_attacker):
    attack(app_ctx, "reception")
    with clock_at(PINNED + timedelta(minutes=16)):
        attack(app_ctx, "reception", 1)
        user = fresh(world.reception)
        assert (user.failed_logins, user.locked) == (1, False)


def test_an_administrator_lifts_it_at_once(app_ctx, world, patient_attacker):
    attack(app_ctx, "reception")
    result = app_ctx.test_cli_runner().invoke(args=["users", "unlock", "reception"])
    assert result.exit_code == 0, result.output
    assert post_login(device(app_ctx, "10.0.0.7"), "reception", PASSWORD).status_code == 302


@pytest.mark.parametrize(("help_", "whom"), [("", "the system administrator"),
                                             ("IT desk, ext. 8012", "IT desk, ext. 8012")])
def test_only_the_right_password_is_told_that_the_account_is_locked_and_whom_to_call(app_ctx, world, monkeypatch,
                                                                                    patient_attacker, help_, whom):
    monkeypatch.setitem(app_ctx.config, "ACCOUNTS_HELP", help_)
    attack(app_ctx, "reception")
    new_laptop = device(app_ctx, "10.0.0.7")
    right = post_login(new_laptop, "reception", PASSWORD).get_data(as_text=True)
    assert LOCKED.replace("the system administrator", whom) in right and WRONG not in right
    wrong = post_login(new_laptop, "reception", "another guess").get_data(as_text=True)
    unknown = post_login(new_laptop, "nobody-at-all", PASSWORD).get_data(as_text=True)
    assert WRONG in wrong and WRONG in unknown and "locked on devices" not in wrong


@pytest.mark.parametrize(("language", "subject"), [(None, "有人为您的账号尝试了错误密码"),
                                                   ("en", "Wrong passwords were tried for your account")])
def test_the_owner_is_told_in_the_app_when_the_guesses_lock_it(app_ctx, world, patient_attacker, language, subject):
    world.reception.language = language
    db.session.commit()
    attack(app_ctx, "reception", LOCK_AFTER + 3)  # one notice for one lock
    [notice] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "password_guesses")).all()
    assert (notice.channel, notice.recipient_user_id, notice.complaint_id) == ("in_app", world.reception.id, None)
    assert notice.subject == subject
    assert "10:15" in notice.body


def test_a_device_cookie_counts_for_its_own_username_and_cannot_be_forged(app_ctx, world, patient_attacker):
    desk = device(app_ctx)
    assert post_login(desk, "leadership", PASSWORD).status_code == 302
    desk.post("/logout", data={"csrf_token": csrf_token(desk, "/queue")})
    attack(app_ctx, "reception")
    assert post_login(desk, "reception", PASSWORD).status_code == 422  # known for leadership, not reception
    forged = device(app_ctx)
    forged.set_cookie("redress_device", desk.get_cookie("redress_device").value.replace("leadership", "reception"))
    assert post_login(forged, "reception", PASSWORD).status_code == 422


def test_a_shared_desk_computer_is_known_for_each_of_its_users(app_ctx, world, patient_attacker):
    desk = device(app_ctx)
    for username in ("reception", "leadership"):
        assert post_login(desk, username, PASSWORD).status_code == 302
        desk.post("/logout", data={"csrf_token": csrf_token(desk, "/queue")})
    attack(app_ctx, "reception")
    attack(app_ctx, "leadership")
    for username in ("reception", "leadership"):
        assert post_login(desk, username, PASSWORD).status_code == 302
        desk.post("/logout", data={"csrf_token": csrf_token(desk, "/queue")})


# --- the change-password form ---------------------------------------------------------------------------


def guess_current_password(client, guess, address="10.0.0.1"):
    token = csrf_token(client, "/account/password")
    return client.post("/account/password", environ_base={"REMOTE_ADDR": address}, data={
        "csrf_token": token, "current_password": guess, "new_password": "plum tree by the gate",
        "confirm": "plum tree by the gate"})


def test_wrong_current_passwords_count_as_wrong_logins(app_ctx, world, patient_attacker):
    stolen = device(app_ctx)
    login(stolen, world.head)  # a session cookie without the owner's device cookie
    for i in range(LOCK_AFTER - 1):
        assert guess_current_password(stolen, f"guess {i}").status_code == 422
    user = fresh(world.head)
    assert (user.failed_logins, user.locked) == (LOCK_AFTER - 1, False)
    assert guess_current_password(stolen, "guess 9").status_code == 302
    assert fresh(world.head).locked  # for unknown devices: the tenth locked it, as at the login page
    assert db.session.scalar(select(OutboxMessage.kind).where(OutboxMessage.recipient_user_id == world.head.id)) == (
        "password_guesses")


def test_ten_wrong_current_passwords_end_the_session(app_ctx, world, patient_attacker):
    desk = device(app_ctx)
    assert post_login(desk, "head-card", PASSWORD).status_code == 302  # a known device: never locked
    answers = [guess_current_password(desk, f"guess {i}").status_code for i in range(10)]
    assert answers == [422] * 9 + [302]
    assert not logged_in(desk)
    assert "Too many wrong passwords: you are logged out." in desk.get("/login?lang=en").get_data(as_text=True)
    assert not fresh(world.head).locked
    assert post_login(desk, "head-card", PASSWORD).status_code == 302  # the owner logs in again


def test_the_password_form_has_a_rate_limit_per_account_from_any_address(app_ctx, world):
    stolen = device(app_ctx)
    login(stolen, world.head)
    answers = [guess_current_password(stolen, f"guess {i}", address=f"192.0.2.{i}").status_code for i in range(6)]
    assert answers == [422] * 5 + [429]


# --- deactivation ------------------------------------------------------------------------------------------


def test_deactivation_ends_every_session_and_the_login_page_says_why(app_ctx, world):
    desk, phone = device(app_ctx), device(app_ctx, "10.0.0.2")
    for client in (desk, phone):
        assert post_login(client, "head-card", PASSWORD).status_code == 302
    admin = device(app_ctx, "10.0.0.3")
    login(admin, world.admin)
    token = csrf_token(admin, "/admin/accounts")
    assert admin.post(f"/admin/accounts/{world.head.id}/deactivate",
                      data={"csrf_token": token, "version": str(fresh(world.head).version)}).status_code == 302
    for client in (desk, phone):
        answer = client.get("/queue")
        assert answer.status_code == 302 and answer.location.startswith("/login")
        page = client.get(answer.location).get_data(as_text=True)
        assert ("Your account has been deactivated, so you were logged out. If you need it again, call the system "
                "administrator.") in page
        assert "deactivated" not in client.get("/login").get_data(as_text=True)  # said once
