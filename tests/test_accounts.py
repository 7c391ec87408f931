"""Staff accounts managed by the administrator on web pages and on the command line: create, change role
and department, deactivate (which ends that user's sessions at once), reactivate, reset a password (the
user must choose a new one at next login), unlock; every change logged; never the last administrator
removed; two administrators editing one account at once, the second is told."""

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError

from intranet.core.admin_events import AdminEvent
from intranet.core.extensions import db
from intranet.core.users import User
from tests.conftest import csrf_token, login
from tests.factories import PASSWORD

NEW_PASSWORD = "plum tree by the gate"


def admin_client(app_ctx, world):
    client = app_ctx.test_client()
    login(client, world.admin)
    return client, csrf_token(client, "/admin/accounts")


def events(user) -> list[tuple[str, str | None]]:
    rows = db.session.scalars(select(AdminEvent).where(AdminEvent.subject == "user", AdminEvent.subject_id == user.id)
                              .order_by(AdminEvent.id)).all()
    return [(e.action, e.actor.username if e.actor else None) for e in rows]


def fresh(user) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def post_login(client, username, password):
    token = csrf_token(client, "/login")
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


# --- who may -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("role_key", ["reception", "head", "leadership"])
def test_only_the_administrator_manages_accounts(world, client, role_key):
    login(client, world.user(role_key))
    token = csrf_token(client, "/queue")
    assert client.get("/admin/accounts").status_code == 403
    assert client.post(f"/admin/accounts/{world.reception.id}/deactivate",
                       data={"csrf_token": token, "version": "1"}).status_code == 403
    assert fresh(world.reception).active


# --- the list and creating an account ------------------------------------------------------------------------

def test_the_list_shows_every_account_with_its_state(world, app_ctx):
    world.other_head.active = False
    world.reception.locked_at = world.reception.created_at
    db.session.commit()
    client, _ = admin_client(app_ctx, world)
    page = client.get("/admin/accounts?lang=en").get_data(as_text=True)
    for text in ("Head-Card", "head-card", "Department head", "Cardiology", "Deactivated", "Locked", "never"):
        assert text in page


def test_the_administrator_creates_a_head_who_must_choose_a_password(world, app_ctx):
    client, token = admin_client(app_ctx, world)
    response = client.post("/admin/accounts/new", data={
        "csrf_token": token, "username": "li.wei", "display_name": "李伟", "role": "head",
        "department": str(world.nursing.id), "language": "zh", "password": "temporary door key",
        "must_change_password": "y"})
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.username == "li.wei"))
    assert (user.display_name, user.role, user.department.code, user.language, user.must_change_password) == (
        "李伟", "head", "NURS", "zh", True)
    assert events(user) == [("create", "admin")]


@pytest.mark.parametrize("fields, field, message", [
    ({"role": "head", "department": ""}, "department", "A department head needs a department."),
    ({"password": "password"}, "password", "This is one of the most common passwords: choose another."),
    ({"password": "li.wei.2026", "username": "li.wei.2026"}, "password", "The password cannot be the username."),
    ({"username": "Reception"}, "username", "This username is taken: choose another."),
    ({"username": "li wei"}, "username", "Use letters, digits, dots, hyphens and underscores only."),
])
def test_a_refused_new_account_keeps_what_was_typed(world, app_ctx, fields, field, message):
    client, token = admin_client(app_ctx, world)
    data = {"csrf_token": token, "username": "li.wei", "display_name": "李伟", "role": "reception",
            "department": "", "language": "", "password": "temporary door key", **fields}
    response = client.post("/admin/accounts/new?lang=en", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page and 'value="李伟"' in page
    assert db.session.scalar(select(User).where(User.display_name == "李伟")) is None


# --- deactivation ends sessions at once ---------------------------------------------------------------------

def test_deactivating_ends_the_users_open_session_at_once(world, app_ctx):
    reception = app_ctx.test_client()
    assert post_login(reception, "reception", PASSWORD).status_code == 302
    assert reception.get("/queue").status_code == 200

    client, token = admin_client(app_ctx, world)
    response = client.post(f"/admin/accounts/{world.reception.id}/deactivate",
                           data={"csrf_token": token, "version": str(world.reception.version)})
    assert response.status_code == 302

    answer = reception.get("/queue")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
    assert post_login(reception, "reception", PASSWORD).status_code == 422
    assert events(fresh(world.reception)) == [("deactivate", "admin")]


def test_a_reactivated_account_logs_in_again(world, app_ctx):
    client, token = admin_client(app_ctx, world)
    client.post(f"/admin/accounts/{world.reception.id}/deactivate", data={"csrf_token": token, "version": "1"})
    client.post(f"/admin/accounts/{world.reception.id}/reactivate", data={"csrf_token": token, "version": "2"})
    assert fresh(world.reception).active
    assert post_login(app_ctx.test_client(), "reception", PASSWORD).status_code == 302
    assert events(world.reception) == [("deactivate", "admin"), ("reactivate", "admin")]


def test_the_last_administrator_can_be_neither_deactivated_nor_demoted(world, app_ctx):
    client, token = admin_client(app_ctx, world)
    refused = client.post(f"/admin/accounts/{world.admin.id}/deactivate?lang=en",
                          data={"csrf_token": token, "version": "1"})
    assert refused.status_code == 422
    assert "This is the last active administrator: it cannot be deactivated." in refused.get_data(as_text=True)
    demoted = client.post(f"/admin/accounts/{world.admin.id}?lang=en", data={
        "csrf_token": token, "version": "1", "display_name": "Admin", "role": "reception", "department": "",
        "language": ""})
    assert demoted.status_code == 422
    assert "make someone else an administrator first" in demoted.get_data(as_text=True)
    admin = fresh(world.admin)
    assert (admin.active, admin.role) == (True, "admin")
    assert events(admin) == []


def test_with_a_second_administrator_the_first_may_step_down(world, app_ctx):
    client, token = admin_client(app_ctx, world)
    client.post(f"/admin/accounts/{world.leadership.id}", data={
        "csrf_token": token, "version": "1", "display_name": "Leadership", "role": "admin", "department": "",
        "language": ""})
    response = client.post(f"/admin/accounts/{world.admin.id}", data={
        "csrf_token": token, "version": "1", "display_name": "Admin", "role": "leadership", "department": "",
        "language": ""})
    assert response.status_code == 302
    assert (fresh(world.admin).role, fresh(world.leadership).role) == ("leadership", "admin")


# --- role and department ---------------------------------------------------------------------------------------

def test_a_new_role_and_department_are_saved_and_logged_with_before_and_after(world, app_ctx):
    client, token = admin_client(app_ctx, world)
    response = client.post(f"/admin/accounts/{world.reception.id}", data={
        "csrf_token": token, "version": "1", "display_name": "Reception", "role": "head",
        "department": str(world.cardiology.id), "language": "en"})
    assert response.status_code == 302
    user = fresh(world.reception)
    assert (user.role, user.department.code, user.language, user.version) == ("head", "CARD", "en", 2)
    event = db.session.scalars(select(AdminEvent).where(AdminEvent.subject_id == user.id)).one()
    assert event.data == {"role": ["reception", "head"], "department": [None, "CARD"], "language": [None, "en"]}
    page = client.get(f"/admin/accounts/{user.id}?lang=en").get_data(as_text=True)
    assert "Reception / duty officer → Department head" in page


def test_a_head_without_a_department_is_refused(world, app_ctx):
    client, token = admin_client(app_ctx, world)
    response = client.post(f"/admin/accounts/{world.head.id}?lang=en", data={
        "csrf_token": token, "version": "1", "display_name": "Head", "role": "head", "department": "",
        "language": ""})
    assert response.status_code == 422
    assert "A department head needs a department." in response.get_data(as_text=True)
    assert fresh(world.head).department.code == "CARD"


def test_two_administrators_editing_one_account_the_second_is_told(world, app_ctx):
    second_admin = User(username="admin2", display_name="Second Admin", role="admin")
    second_admin.set_password(PASSWORD)
    db.session.add(second_admin)
    db.session.commit()
    first, token = admin_client(app_ctx, world)
    second = app_ctx.test_client()
    login(second, second_admin)
    second_token = csrf_token(second, "/admin/accounts")

    saved = first.post(f"/admin/accounts/{world.reception.id}", data={
        "csrf_token": token, "version": "1", "display_name": "Front desk", "role": "reception", "department": "",
        "language": ""})
    assert saved.status_code == 302
    late = second.post(f"/admin/accounts/{world.reception.id}?lang=en", data={
        "csrf_token": second_token, "version": "1", "display_name": "Reception", "role": "leadership",
        "department": "", "language": ""})
    page = late.get_data(as_text=True)
    assert late.status_code == 409
    assert "Admin changed this at" in page and "so your change was not saved" in page
    user = fresh(world.reception)
    assert (user.display_name, user.role) == ("Front desk", "reception")


# --- passwords -----------------------------------------------------------------------------------------

def test_after_a_reset_the_user_must_choose_a_new_password_before_anything_else(world, app_ctx):
    client, token = admin_client(app_ctx, world)
    response = client.post(f"/admin/accounts/{world.reception.id}/password",
                           data={"csrf_token": token, "version": "1", "password": "temporary door key"})
    assert response.status_code == 302
    assert events(fresh(world.reception)) == [("reset_password", "admin")]

    user = app_ctx.test_client()
    assert post_login(user, "reception", PASSWORD).status_code == 422  # the old one no longer works
    assert post_login(user, "reception", "temporary door key").status_code == 302
    for page in ("/queue", "/complaints/new", "/notifications"):
        answer = user.get(page)
        assert answer.status_code == 302 and answer.headers["Location"].endswith("/account/password"), page
    htmx = user.get("/search", headers={"HX-Request": "true"})
    assert htmx.headers["HX-Redirect"] == "/account/password"
    assert user.get("/notifications/bell", headers={"HX-Request": "true"}).status_code == 200  # no reload
    token = csrf_token(user, "/account/password")
    weak = user.post("/account/password?lang=en", data={"csrf_token": token, "current_password": "temporary door key",
                                                       "new_password": "12345678", "confirm": "12345678"})
    assert weak.status_code == 422
    assert "This is one of the most common passwords" in weak.get_data(as_text=True)
    done = user.post("/account/password", data={"csrf_token": token, "current_password": "temporary door key",
                                                "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302
    assert user.get("/queue").status_code == 200
    assert not fresh(world.reception).must_change_password
    assert events(world.reception) == [("reset_password", "admin"), ("change_own_password", "reception")]


def test_everyone_can_change_their_own_password_and_other_devices_are_logged_out(world, app_ctx):
    laptop, phone = app_ctx.test_client(), app_ctx.test_client()
    for device in (laptop, phone):
        assert post_login(device, "head-card", PASSWORD).status_code == 302
    token = csrf_token(laptop, "/account/password")
    wrong = laptop.post("/account/password?lang=en", data={"csrf_token": token, "current_password": "not it",
                                                          "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert wrong.status_code == 422 and "This is not your current password." in wrong.get_data(as_text=True)
    mismatch = laptop.post("/account/password?lang=en", data={"csrf_token": token, "current_password": PASSWORD,
                                                             "new_password": NEW_PASSWORD, "confirm": "other"})
    assert mismatch.status_code == 422
    assert "The two new passwords are not the same." in mismatch.get_data(as_text=True)
    assert laptop.post("/account/password", data={"csrf_token": token, "current_password": PASSWORD,
                                                  "new_password": NEW_PASSWORD,
                                                  "confirm": NEW_PASSWORD}).status_code == 302
    assert laptop.get("/queue").status_code == 200
    assert phone.get("/queue").status_code == 302


def test_the_administrator_unlocks_a_locked_account(world, app_ctx):
    world.reception.locked_at = world.reception.created_at
    world.reception.failed_logins = 10
    db.session.commit()
    client, token = admin_client(app_ctx, world)
    assert client.post(f"/admin/accounts/{world.reception.id}/unlock",
                       data={"csrf_token": token, "version": "1"}).status_code == 302
    assert not fresh(world.reception).locked
    assert post_login(app_ctx.test_client(), "reception", PASSWORD).status_code == 302
    assert events(world.reception) == [("unlock", "admin")]


# --- the command line ---------------------------------------------------------------------------------------

def run(app_ctx, *args, input=None):
    result = app_ctx.test_cli_runner().invoke(args=["users", *args], input=input)
    db.session.expire_all()
    return result


def test_the_command_line_does_the_same_and_logs_it(world, app_ctx):
    assert run(app_ctx, "set-role", "reception", "head", "--department", "NURS").exit_code == 0
    assert run(app_ctx, "deactivate", "reception").exit_code == 0
    assert run(app_ctx, "reactivate", "reception").exit_code == 0
    assert run(app_ctx, "reset-password", "reception", "--password", "temporary door key").exit_code == 0
    user = fresh(world.reception)
    assert (user.role, user.department.code, user.active, user.must_change_password) == ("head", "NURS", True, True)
    assert events(user) == [("change", None), ("deactivate", None), ("reactivate", None), ("reset_password", None)]
    listing = run(app_ctx, "list").output
    assert "reception" in listing and "head" in listing and "NURS" in listing


def test_the_command_line_keeps_the_last_administrator(world, app_ctx):
    result = run(app_ctx, "deactivate", "admin")
    assert result.exit_code != 0 and "last active administrator" in result.output
    assert fresh(world.admin).active


def test_the_first_administrator_comes_from_the_command_line(app_ctx):
    result = run(app_ctx, "create", "chen.admin", "--role", "admin", "--password", "temporary door key")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "chen.admin"))
    assert user.role == "admin"
    assert events(user) == [("create", None)]


def test_the_change_log_cannot_be_rewritten(world, app_ctx):
    assert run(app_ctx, "deactivate", "reception").exit_code == 0
    with pytest.raises(DBAPIError, match="admin_events is append-only"):
        db.session.execute(update(AdminEvent).values(action="unlock"))
    db.session.rollback()
    assert events(world.reception) == [("deactivate", None)]
