"""Staff log in with the hospital directory (REDRESS_LDAP_*), against a real OpenLDAP started by the tests
(tests/ldap.py): the account is made and kept up to date from the directory's groups at each login, and
deactivated when the directory no longer has the person or gives them no mapped group; local accounts log
in when the directory is down; the administrator's page of group mappings refuses what cannot work."""

import socket
import time

import pytest
from sqlalchemy import select

from intranet.auth.directory_groups import DirectoryGroup
from intranet.core.admin_events import AdminEvent
from intranet.core.extensions import db, limiter
from intranet.core.users import User
from tests import factories
from tests.conftest import csrf_token, login
from tests.ldap import GROUPS, PASSWORD, PEOPLE, slapd  # noqa: F401 (the fixture)
from tests.smtp import free_port

WRONG = "The username or password is not right."
DEACTIVATED = "This account is deactivated."
UNREACHABLE = "The hospital directory cannot be reached"


@pytest.fixture
def directory(app_ctx, slapd, monkeypatch):  # noqa: F811
    """The app pointed at the test directory (a DN pattern, groups under ou=groups, no TLS), emptied after."""
    for key, value in {"LDAP_URL": slapd.url, "LDAP_BIND_DN": f"uid={{username}},{PEOPLE}",
                       "LDAP_SEARCH_BASE": "", "LDAP_BIND_USER": "", "LDAP_BIND_PASSWORD": "",
                       "LDAP_GROUP_BASE": GROUPS, "LDAP_TLS": "off", "LDAP_TIMEOUT": 3.0}.items():
        monkeypatch.setitem(app_ctx.config, key, value)
    yield slapd
    slapd.empty()


@pytest.fixture
def hospital(world, directory):
    """Zhang Wei, cardiology's head in the directory; the groups mapped as the administrator would."""
    zhang = directory.add_person("zhang.wei", "张伟")
    directory.add_group("cardiology-heads", zhang)
    directory.add_group("nursing-heads")
    directory.add_group("complaints-office")
    db.session.add_all([DirectoryGroup(name="cardiology-heads", role="head", department=world.cardiology),
                        DirectoryGroup(name="nursing-heads", role="head", department=world.nursing),
                        DirectoryGroup(name="complaints-office", role="reception")])
    db.session.commit()
    return world


def browser(app):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def log_in(app, username, password=PASSWORD):
    client = browser(app)
    token = csrf_token(client, "/login")
    return client, client.post("/login", data={"csrf_token": token, "username": username, "password": password})


def account(username) -> User | None:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == username))


def test_a_cardiology_head_in_the_directory_logs_in_as_cardiology_s_head(app, hospital):
    client, response = log_in(app, "zhang.wei")
    assert response.status_code == 302 and response.location == "/queue"
    zhang = account("zhang.wei")
    assert (zhang.display_name, zhang.role, zhang.department.code, zhang.source, zhang.active) == (
        "张伟", "head", "CARD", "directory", True)
    assert client.get("/queue").status_code == 200
    created = db.session.scalar(select(AdminEvent).where(AdminEvent.subject_id == zhang.id,
                                                         AdminEvent.subject == "user"))
    assert (created.action, created.actor_id, created.data["by"], created.data["group"]) == (
        "create", None, "directory", "cardiology-heads")


def test_removed_from_the_directory_they_can_no_longer_log_in_and_their_sessions_end(app, hospital, directory):
    client, _ = log_in(app, "zhang.wei")
    assert client.get("/queue").status_code == 200
    directory.set_members("cardiology-heads")
    directory.remove(f"uid=zhang.wei,{PEOPLE}")
    limiter.reset()
    _, refused = log_in(app, "zhang.wei")
    assert refused.status_code == 422 and WRONG in refused.text
    zhang = account("zhang.wei")
    assert zhang.active is False
    assert client.get("/queue").status_code == 302  # the session they had open has ended
    gone = db.session.scalars(select(AdminEvent).where(AdminEvent.subject_id == zhang.id,
                                                       AdminEvent.action == "deactivate")).one()
    assert gone.data == {"by": "directory", "reason": "gone"}


def test_in_no_mapped_group_any_more_the_account_is_deactivated(app, hospital, directory):
    log_in(app, "zhang.wei")
    directory.set_members("cardiology-heads")
    limiter.reset()
    _, refused = log_in(app, "zhang.wei")
    assert refused.status_code == 422 and DEACTIVATED in refused.text
    assert account("zhang.wei").active is False
    # Back in a mapped group: the directory had deactivated the account, so the directory's login undoes it.
    directory.set_members("complaints-office", f"uid=zhang.wei,{PEOPLE}")
    limiter.reset()
    _, again = log_in(app, "zhang.wei")
    assert again.status_code == 302
    zhang = account("zhang.wei")
    assert (zhang.active, zhang.role, zhang.department) == (True, "reception", None)


def test_an_administrator_s_deactivation_is_not_undone_by_the_directory(app, hospital):
    log_in(app, "zhang.wei")
    zhang = account("zhang.wei")
    zhang.active = False
    db.session.add(AdminEvent(actor_id=hospital.admin.id, subject="user", subject_id=zhang.id,
                              action="deactivate", data={}))
    db.session.commit()
    limiter.reset()
    _, refused = log_in(app, "zhang.wei")
    assert refused.status_code == 422 and DEACTIVATED in refused.text
    assert account("zhang.wei").active is False


def test_the_department_follows_the_directory_s_groups_at_the_next_login(app, hospital, directory):
    log_in(app, "zhang.wei")
    directory.set_members("cardiology-heads")
    directory.set_members("nursing-heads", f"uid=zhang.wei,{PEOPLE}")
    limiter.reset()
    _, response = log_in(app, "zhang.wei")
    assert response.status_code == 302
    zhang = account("zhang.wei")
    assert (zhang.role, zhang.department.code) == ("head", "NURS")
    change = db.session.scalars(select(AdminEvent).where(AdminEvent.subject_id == zhang.id,
                                                         AdminEvent.action == "change")).one()
    assert change.data == {"by": "directory", "group": "nursing-heads", "department": ["CARD", "NURS"]}



def test_a_handler_the_directory_moves_or_leaves_without_a_group_gives_back_what_was_handed(app, hospital, directory):
    from intranet.complaints import operations
    from intranet.complaints.lifecycle import Action, State

    li = directory.add_person("li.na", "李娜")
    directory.add_group("cardiology-staff", li)
    directory.add_group("nursing-staff")
    db.session.add_all([DirectoryGroup(name="cardiology-staff", role="staff", department=hospital.cardiology),
                        DirectoryGroup(name="nursing-staff", role="staff", department=hospital.nursing)])
    db.session.commit()
    assert log_in(app, "li.na")[1].status_code == 302
    cardiology = factories.hand_to_staff(hospital, factories.make_complaint(hospital, State.investigating),
                                         staff=account("li.na"))
    # The directory moves her to nursing's staff: at her next sign-in, cardiology's head has it back.
    directory.set_members("cardiology-staff")
    directory.set_members("nursing-staff", li)
    limiter.reset()
    assert log_in(app, "li.na")[1].status_code == 302
    db.session.expire_all()
    assert account("li.na").department.code == "NURS"
    assert cardiology.handler_id is None
    assert (cardiology.events[-1].action, cardiology.events[-1].actor_id, cardiology.events[-1].data) == (
        "handler_left", None, {"handler_taken_off": "李娜", "handler_taken_off_id": account("li.na").id,
                               "why": "department", "by_directory": True, "automatic": True})
    # Nursing's head hands her one; then the directory gives her no mapped group: deactivated, it goes back.
    nursing = factories.make_complaint(hospital, State.investigating)
    operations.perform(hospital.reception, Action.assign, nursing, {"department_id": hospital.nursing.id},
                       nursing.version)
    operations.perform(hospital.other_head, Action.accept, nursing, {}, nursing.version)
    operations.perform(hospital.other_head, Action.hand_to_handler, nursing, {"handler_id": account("li.na").id},
                       nursing.version)
    db.session.commit()
    directory.set_members("nursing-staff")
    limiter.reset()
    assert log_in(app, "li.na")[1].status_code == 422
    db.session.expire_all()
    assert account("li.na").active is False
    assert nursing.handler_id is None
    assert (nursing.events[-1].action, nursing.events[-1].data["why"]) == ("handler_left", "deactivated")


def test_the_oldest_mapping_that_matches_decides(app, hospital, directory):
    directory.set_members("complaints-office", f"uid=zhang.wei,{PEOPLE}")  # and still in cardiology-heads
    _, response = log_in(app, "zhang.wei")
    assert response.status_code == 302
    assert account("zhang.wei").role == "head"  # cardiology-heads was mapped first


def test_a_wrong_directory_password_counts_toward_the_lock(app, hospital):
    log_in(app, "zhang.wei")
    zhang = account("zhang.wei")
    zhang.failed_logins = 8
    db.session.commit()
    for expected in (9, 10):
        limiter.reset()
        _, refused = log_in(app, "zhang.wei", "not my password")
        assert refused.status_code == 422 and WRONG in refused.text
        assert account("zhang.wei").failed_logins == expected
    assert account("zhang.wei").locked
    limiter.reset()
    _, locked = log_in(app, "zhang.wei")  # the right password, from a device it never logged in from
    assert locked.status_code == 422 and "this account is locked on devices it has not logged in from" in locked.text


def test_a_role_that_needs_a_second_factor_still_needs_it(app, hospital, directory, monkeypatch):
    monkeypatch.setitem(app.config, "SECOND_FACTOR_ROLES", ["leadership"])
    directory.add_person("wang.fang", "王芳")
    directory.add_group("hospital-leadership", f"uid=wang.fang,{PEOPLE}")
    db.session.add(DirectoryGroup(name="hospital-leadership", role="leadership"))
    db.session.commit()
    client, response = log_in(app, "wang.fang")
    assert response.status_code == 302 and response.location == "/login/code"
    assert client.get("/queue").status_code == 302  # not logged in before the code
    assert account("wang.fang").role == "leadership"


def test_someone_the_directory_does_not_know_hears_the_usual_words(app, hospital):
    _, refused = log_in(app, "nobody.here", "whatever it is")
    assert refused.status_code == 422 and WRONG in refused.text
    assert account("nobody.here") is None


def test_a_person_in_no_mapped_group_gets_no_account(app, hospital, directory):
    directory.add_person("li.na", "李娜")
    _, refused = log_in(app, "li.na")
    assert refused.status_code == 422 and "in no group that gives access to Redress" in refused.text
    assert account("li.na") is None


def test_a_local_admin_logs_in_while_the_directory_is_down(app, hospital, monkeypatch):
    monkeypatch.setitem(app.config, "LDAP_URL", f"ldap://127.0.0.1:{free_port()}")  # nobody listens there
    _, admin = log_in(app, "admin", factories.PASSWORD)
    assert admin.status_code == 302 and admin.location == "/queue"
    limiter.reset()
    _, refused = log_in(app, "zhang.wei")
    assert refused.status_code == 503 and UNREACHABLE in refused.text


def test_a_directory_that_never_answers_is_given_up_after_the_timeout(app, hospital, monkeypatch):
    with socket.socket() as silent:  # takes the connection, then says nothing
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        monkeypatch.setitem(app.config, "LDAP_URL", f"ldap://127.0.0.1:{silent.getsockname()[1]}")
        monkeypatch.setitem(app.config, "LDAP_TIMEOUT", 1.0)
        started = time.monotonic()
        _, refused = log_in(app, "zhang.wei")
        assert refused.status_code == 503 and UNREACHABLE in refused.text
        assert time.monotonic() - started < 5


@pytest.mark.parametrize("tls", ["start_tls", "ldaps"])
def test_over_tls_the_directory_s_certificate_is_checked(app, hospital, directory, monkeypatch, tls):
    if tls == "ldaps":
        monkeypatch.setitem(app.config, "LDAP_URL", f"ldaps://127.0.0.1:{directory.ldaps_port}")
    monkeypatch.setitem(app.config, "LDAP_TLS", tls)
    monkeypatch.setitem(app.config, "LDAP_CA_FILE", directory.ca_file)
    _, response = log_in(app, "zhang.wei")
    assert response.status_code == 302 and account("zhang.wei").department.code == "CARD"
    # Signed by a CA the app was not given: no password is sent.
    monkeypatch.setitem(app.config, "LDAP_CA_FILE", "")
    limiter.reset()
    _, refused = log_in(app, "zhang.wei")
    assert refused.status_code == 503 and UNREACHABLE in refused.text


def test_a_search_base_and_a_service_account_find_the_person(app, hospital, monkeypatch):
    from tests.ldap import ROOT_DN, ROOT_PASSWORD

    for key, value in {"LDAP_BIND_DN": "", "LDAP_SEARCH_BASE": PEOPLE, "LDAP_USER_FILTER": "(uid={username})",
                       "LDAP_BIND_USER": ROOT_DN, "LDAP_BIND_PASSWORD": ROOT_PASSWORD}.items():
        monkeypatch.setitem(app.config, key, value)
    _, response = log_in(app, "zhang.wei")
    assert response.status_code == 302 and account("zhang.wei").department.code == "CARD"
    limiter.reset()
    _, refused = log_in(app, "zhang.wei", "not my password")
    assert refused.status_code == 422 and account("zhang.wei").failed_logins == 1


def test_without_a_directory_every_login_is_local(app, world):
    assert app.config["LDAP_URL"] == ""
    _, refused = log_in(app, "zhang.wei")
    assert refused.status_code == 422 and WRONG in refused.text


# --- the administrator's page of mappings -----------------------------------------------------------------


def admin_client(app, world):
    client = browser(app)
    login(client, world.admin)
    return client


def add(client, **data):
    token = csrf_token(client, "/admin/directory-groups")
    return client.post("/admin/directory-groups", data={"csrf_token": token, "department": "", **data})


def test_an_administrator_maps_a_group_and_removes_it(app, world):
    client = admin_client(app, world)
    response = add(client, name="Cardiology-Heads", role="head", department=str(world.cardiology.id))
    assert response.status_code == 302
    mapping = db.session.scalars(select(DirectoryGroup)).one()
    assert (mapping.name, mapping.role, mapping.department.code) == ("cardiology-heads", "head", "CARD")
    page = client.get("/admin/directory-groups").text
    assert "cardiology-heads" in page and "Directory group mapped" in page
    token = csrf_token(client, "/admin/directory-groups")
    removed = client.post(f"/admin/directory-groups/{mapping.id}/delete", data={"csrf_token": token})
    assert removed.status_code == 302
    assert db.session.scalars(select(DirectoryGroup)).all() == []
    events = db.session.scalars(select(AdminEvent.action).where(AdminEvent.subject == "directory_group")
                                .order_by(AdminEvent.id)).all()
    assert events == ["map_group", "unmap_group"]


@pytest.mark.parametrize("data, field, message", [
    ({"name": "cardiology-heads", "role": "head", "department": "999999"}, "department",
     "There is no such department: choose one from the list."),
    ({"name": "cardiology-heads", "role": "head"}, "department", "A department head needs a department."),
    ({"name": "cardiology-staff", "role": "staff"}, "department", "Department staff need a department."),
    ({"name": "complaints-office", "role": "reception", "department": "CARD"}, "department",
     "Only department heads and staff belong to a department: leave it empty."),
    ({"name": "Leadership", "role": "leadership"}, "name",
     "This group is already mapped: remove its mapping first to change it."),
    ({"name": "", "role": "reception"}, "name", "Enter the group's name in the directory."),
])
def test_the_mapping_page_refuses_what_cannot_work_beside_the_field(app, world, data, field, message):
    db.session.add(DirectoryGroup(name="leadership", role="leadership"))
    db.session.commit()
    client = admin_client(app, world)
    if data.get("department") == "CARD":
        data = {**data, "department": str(world.cardiology.id)}
    response = add(client, **data)
    assert response.status_code == 422
    page = response.text
    assert f'id="{field}-error"' in page and message in page.split(f'id="{field}-error"')[1][:400]
    assert f'value="{data["name"]}"' in page  # what was typed stays
    assert len(db.session.scalars(select(DirectoryGroup)).all()) == 1


def test_a_directory_password_is_neither_changed_nor_reset_here(app, hospital):
    client, _ = log_in(app, "zhang.wei")
    page = client.get("/account/password")
    assert page.status_code == 200 and "password from the hospital directory" in page.text
    assert 'name="current_password"' not in page.text and "/account/password" not in client.get("/queue").text
    token = csrf_token(client, "/queue")
    tried = client.post("/account/password", data={"csrf_token": token, "current_password": "guess",
                                                   "new_password": "plum tree by the gate",
                                                   "confirm": "plum tree by the gate"})
    assert tried.status_code == 422 and account("zhang.wei").failed_logins == 0
    admin = admin_client(app, hospital)
    zhang = account("zhang.wei")
    assert "it is reset in the directory" in admin.get(f"/admin/accounts/{zhang.id}").text
    token = csrf_token(admin, f"/admin/accounts/{zhang.id}")
    refused = admin.post(f"/admin/accounts/{zhang.id}/password", data={
        "csrf_token": token, "password": "temporary lantern 7", "version": zhang.version})
    assert refused.status_code == 422 and account("zhang.wei").password_hash == "!directory"


def test_two_first_logins_at_once_make_one_account(app, hospital):
    """The other device's login made the account between this one's look-up and its insert."""
    from intranet.auth import directory_login

    log_in(app, "zhang.wei")
    mapping = db.session.scalar(select(DirectoryGroup).where(DirectoryGroup.name == "cardiology-heads"))
    person = directory_login.Person(dn=f"uid=zhang.wei,{PEOPLE}", username="zhang.wei", name="张伟",
                                    groups=["cardiology-heads"])
    with app.test_request_context():
        user = directory_login.bring_up_to_date(None, person, mapping)
        db.session.commit()
    assert user.id == account("zhang.wei").id
    assert len(db.session.scalars(select(User).where(User.username == "zhang.wei")).all()) == 1
