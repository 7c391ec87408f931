"""Who may open what: every route of the URL map, for every kind of visitor, allowed or refused as this one
table declares. A route missing from the table fails, so a new page can never be left without a policy.

Allowed is a 2xx or 3xx answer to a request that is valid (every POST sends the data its form needs, with
its CSRF token), so that the route really does its job, and none that flashes an error. Refused is what the
app answers today: a redirect to the login page for an anonymous visitor, 403 or 404 for staff (404 where
even the existence of the complaint is not theirs to know). Anything else, a 400 or a 422 included, fails
the test; so does a server error.

URL parameters are real objects: a complaint of cardiology (department A, whose head is `head_a`), its
evidence file, head A's notification, a hospital day, spare accounts and categories for the administrator
to change. They are built once for the module (`make_things`), so each request is designed to answer as
declared whatever ran before it: versions are read at request time, and a route whose request uses up its
object (a notice withdrawn, a follow-up answered) is given a fresh one by its policy's `prepare`."""

import io
import itertools
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from types import SimpleNamespace
from urllib.parse import urlsplit

import pyotp
import pytest
from flask import current_app, url_for
from sqlalchemy import select

from intranet.auth.directory_groups import DirectoryGroup
from intranet.complaints import letters, operations
from intranet.complaints.corrective import records
from intranet.complaints.evidence import Evidence, folder
from intranet.complaints.lifecycle import Action, State
from intranet.complaints.people import ComplaintPerson, PersonFile
from intranet.core.departments import Category
from intranet.core.extensions import db, limiter
from intranet.core.hospital import HospitalRecord
from intranet.core.time import utcnow
from intranet.core.users import User
from intranet.deadlines import policy as deadline_policy
from intranet.deadlines.models import MAX_DAYS, HospitalDay
from intranet.directory import imports as directory_imports
from intranet.directory.models import StaffMember
from intranet.mailbox.models import TakenMail
from intranet.notifications import relay
from intranet.notifications.models import OutboxMessage, OutboxStatus, StaffNotification
from intranet.public.notices import PublicNotice
from intranet.reports import closing
from intranet.reports.models import QualityMeeting
from intranet.reports.periods import Period
from tests import factories
from tests.conftest import csrf_token, login, module_data

# staff_a: department staff of cardiology (科室经办人), whose head handed them the cardiology complaint.
VISITORS = ("anonymous", "reception", "head_a", "head_b", "staff_a", "leadership", "supervision", "admin")
EVERYONE = frozenset(VISITORS)
STAFF = EVERYONE - {"anonymous"}
# A cardiology complaint: not the head of nursing, nor the administrator before a break-glass opening, nor
# the discipline office (it sees integrity complaints only: test_integrity_route.py).
SEES_COMPLAINT_A = frozenset({"reception", "head_a", "staff_a", "leadership"})
ADMIN = frozenset({"admin"})
READERS = frozenset({"reception", "head_a", "head_b", "leadership"})
LEADERSHIP = frozenset({"leadership"})
HEADS_AND_LEADERSHIP = frozenset({"head_a", "head_b", "leadership"})


@dataclass(frozen=True)
class Policy:
    allowed: frozenset[str]
    values: Callable | None = None  # things -> the URL's values (for a GET, its query string too)
    data: Callable | None = None  # things -> what a POST sends besides its CSRF token
    # (things, client, visitor) -> objects made for this one request, replacing those of `things` by name:
    # for a request that uses its object up, or needs the visitor's session to hold something first.
    prepare: Callable | None = None


_serial = itertools.count(1)  # for names and dates nobody has used yet


def fresh() -> int:
    return next(_serial)


def post(client, url: str, data: dict):
    return client.post(url, data={"csrf_token": csrf_token(client, "/"), **data})


def complaint(t):
    return {"reference": t.complaint.reference}


# --- what some requests send, and what some need made first ----------------------------------------------

PUBLIC_COMPLAINT = {"what_happened": "等了三个小时。 Waited three hours.", "complainant_phone": "13800138000"}
STAFF_COMPLAINT = {"channel": "phone", "what_happened": "电话投诉：态度差。", "complainant_phone": "13800138000"}
NEW_PASSWORD = "plum tree by the gate"


def tracked(t):
    return {"reference": t.tracked.reference, "code": t.tracking_code}


def submitted(t, client, user):
    """The visitor has just sent a complaint: the confirmation page has its code to show."""
    assert post(client, "/complain", PUBLIC_COMPLAINT).status_code == 302
    return {}


def tracking(t, client, user):
    """The visitor has opened their complaint on /track (with its reference and code)."""
    assert post(client, "/track", tracked(t)).status_code == 200
    return {}


def answered_complaint(t, client, user):
    """A complaint of this visitor's, answered: the tracking page asks whether they are satisfied."""
    responded = factories.make_complaint(t.world, State.responded)
    page = post(client, "/track", {"reference": responded.reference, "code": responded.tracking_code})
    assert 'action="/track/follow_up"' in page.get_data(as_text=True)
    return {}


def known_password(t, client, user):
    """The visitor's password is the factories' (the visitor may have chosen another before)."""
    if user is not None:
        user.set_password(factories.PASSWORD)
        db.session.commit()
    return {}


def halfway_through_a_login(t, client, user):
    """The visitor has just given an administrator's right password: the second factor's page comes next
    (set up at this login, with the code the app would show now)."""
    admin, secret = db.session.get(User, t.world.admin.id), pyotp.random_base32()
    with client.session_transaction() as session:
        session["second_factor"] = {"id": admin.id, "v": admin.session_version, "at": utcnow().isoformat(),
                                    "next": None, "secret": secret}
    return {"totp_code": pyotp.TOTP(secret).at(utcnow())}


def new_notice(t, client, user):
    notice = PublicNotice(title_zh="候诊广播", body_zh="每三十分钟播报一次。",
                          published_by_id=t.world.leadership.id)
    db.session.add(notice)
    db.session.commit()
    return {"notice": notice}


def closed_month(t, client, user):
    """A month leadership has just closed (the reopening form needs one)."""
    month = ended_month()
    with current_app.test_request_context():
        closing.close(t.world.leadership, month)
    return {"closed_month": month.slug}


def ended_month() -> Period:
    """A month long ended that nobody has closed yet."""
    return Period.parse("2026-10").shifted(-fresh())


def free_day() -> date:
    return date(2030, 1, 1) + timedelta(days=fresh())


def new_day(t, client, user):
    day = HospitalDay(day=free_day(), kind="closed", reason="院庆")
    db.session.add(day)
    db.session.commit()
    return {"day": day}


def new_mapping(t, client, user):
    mapping = DirectoryGroup(name=f"spare-group-{fresh()}", role="reception")
    db.session.add(mapping)
    db.session.commit()
    return {"mapping": mapping}


def a_failed_message() -> OutboxMessage:
    """An email the relay gave up on, for the administrator to try again."""
    message = OutboxMessage(key=f"matrix-{fresh()}", kind="assigned", channel="email", recipient="li@example.cn",
                            language="zh", subject="投诉", body="投诉已分派。", status=OutboxStatus.failed.value,
                            attempts=5, last_error="connection refused")
    db.session.add(message)
    return message


def failed_message(t, client, user):
    message = a_failed_message()
    db.session.commit()
    return {"failed_message": message}


def set_aside_mail(t, client, user):
    """An automatic reply set aside by the mail poller, for reception to make a complaint of."""
    stored_name = f"matrix-mail-{fresh()}.eml"
    with open(os.path.join(folder(), stored_name), "wb") as file:
        file.write("From: 张先生 <zhang@example.cn>\r\nSubject: 外出\r\nAuto-Submitted: auto-replied\r\n\r\n"
                   "我在休假。\r\n".encode())
    mail = TakenMail(folder="INBOX", uidvalidity=1, uid=fresh(), message_id=None, sender="zhang@example.cn",
                     subject="外出", set_aside_because="auto_reply", stored_name=stored_name)
    db.session.add(mail)
    db.session.commit()
    return {"set_aside_mail": mail}


def locked_spare(t, client, user):
    t.spare.locked_at, t.spare.failed_logins = utcnow(), 10
    db.session.commit()
    return {}


def new_category(t, client, user):
    category = Category(code=f"SPARE{fresh()}", name_zh="其他", name_en="Other")
    db.session.add(category)
    db.session.commit()
    return {"spare_category": category}


STAFF_LIST = "工号,姓名,科室\n8001,李明,CARD\n".encode()


def directory_upload(t, client, user):
    """A staff list this visitor uploaded, kept for its preview and confirmation (the administrator's only)."""
    if user is None or user.role != "admin":
        return {}
    token = directory_imports.keep(STAFF_LIST, "staff.csv", user)
    return {"upload_token": token, "upload_digest": directory_imports.preview(STAFF_LIST, "staff.csv").digest}


def hospital_details_changed(t):
    """The hospital's details with a new phone, at the version saved now (the row may have been emptied)."""
    saved = db.session.get(HospitalRecord, 1)
    return {"name_zh": "示范医院", "name_en": "", "office_address_zh": "", "office_address_en": "",
            "office_phone": f"0571-{fresh()}", "office_hours": "08:00–17:30", "unlimited_networks": "",
            "repeat_alert_upheld": "3", "remedy_threshold": "2000",
            "version": saved.version if saved else 0}


def letter_template_changed(t):
    """The English letter, at the version in use now, with a line of its own."""
    now = letters.current("en")
    return {"version": now.version, "text": f"{{hospital}}\n\nDear {{complainant}},\n\n{{response}} {fresh()}"}


def deadline_policy_changed(t):
    """The whole table as it is, at the versions saved now, with the minor acknowledgement a working day
    longer (or shorter, at the maximum)."""
    rows = deadline_policy.rows()
    data = {}
    for (clock, severity), rule in deadline_policy.all_rules().items():
        name, row = f"{clock.value}__{severity}", rows.get((clock, severity))
        data.update({f"{name}__amount": rule.amount, f"{name}__unit": rule.unit.value,
                     f"{name}__version": row.version if row else ""})
    amount = data["acknowledge__minor__amount"]
    data["acknowledge__minor__amount"] = amount + 1 if amount < MAX_DAYS else amount - 1
    return data


def closed_complaint(t, client, user):
    """A complaint nobody opened by breaking the glass."""
    return {"complaint": factories.make_complaint(t.world)}


POLICIES = {
    # The public side and logging in: anyone.
    ("public.landing", "GET"): Policy(EVERYONE),
    ("public.complain", "GET"): Policy(EVERYONE),
    ("public.complain", "POST"): Policy(EVERYONE, data=lambda t: PUBLIC_COMPLAINT),
    ("public.confirmation", "GET"): Policy(EVERYONE, prepare=submitted),
    ("public.track", "GET"): Policy(EVERYONE),
    ("public.track", "POST"): Policy(EVERYONE, data=tracked),
    ("public.act", "POST"): Policy(EVERYONE, lambda t: {"action_name": "follow_up"}, lambda t: {"satisfied": "yes"},
                                   prepare=answered_complaint),
    ("public.leave", "POST"): Policy(EVERYONE, prepare=tracking),
    ("static", "GET"): Policy(EVERYONE, lambda t: {"filename": "app.css"}),
    ("healthz", "GET"): Policy(EVERYONE),  # for a load balancer: "ok", nothing of anyone's
    ("auth.login", "GET"): Policy(EVERYONE),
    ("auth.login", "POST"): Policy(EVERYONE, data=lambda t: {"username": t.login_account.username,
                                                             "password": factories.PASSWORD}),
    # The second factor's page: half-way through a login, or sent back to the login page.
    ("second_factor.code", "GET"): Policy(EVERYONE, prepare=halfway_through_a_login),
    ("second_factor.code", "POST"): Policy(EVERYONE, data=lambda t: {"code": getattr(t, "totp_code", "123456")},
                                           prepare=halfway_through_a_login),
    # Any member of staff, about themselves.
    ("auth.logout", "POST"): Policy(STAFF),
    ("auth.change_password", "GET"): Policy(STAFF),
    ("auth.change_password", "POST"): Policy(STAFF, data=lambda t: {
        "current_password": factories.PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        prepare=known_password),
    ("notifications.index", "GET"): Policy(STAFF),
    ("notifications.bell", "GET"): Policy(STAFF),
    ("notifications.mark_all_read", "POST"): Policy(STAFF),
    ("notifications.mark_read", "POST"): Policy(frozenset({"head_a"}),
                                                lambda t: {"notification_id": t.notification.id}),
    # Complaints: queues and search for all staff, a complaint for those who see its department's.
    ("complaints.queue", "GET"): Policy(STAFF),
    ("complaints.search", "GET"): Policy(STAFF, lambda t: {"q": t.complaint.reference}),
    ("receipts.poster", "GET"): Policy(STAFF),
    # Mail set aside as no complaint: for those who log complaints, who may make one of it.
    ("mailbox.set_aside", "GET"): Policy(frozenset({"reception"})),
    # (Without its preparation, as the CSRF test posts it, any id: the token is refused first.)
    ("mailbox.take", "POST"): Policy(frozenset({"reception"}), lambda t: {"mail_id": getattr(
                                         t, "set_aside_mail", SimpleNamespace(id=1)).id},
                                     prepare=set_aside_mail),
    ("complaints.new", "GET"): Policy(frozenset({"reception"})),
    ("complaints.new", "POST"): Policy(frozenset({"reception"}), data=lambda t: STAFF_COMPLAINT),
    ("complaints.similar", "GET"): Policy(frozenset({"reception"}), lambda t: STAFF_COMPLAINT),
    ("complaints.detail", "GET"): Policy(SEES_COMPLAINT_A, complaint),
    ("evidence.download", "GET"): Policy(SEES_COMPLAINT_A, lambda t: {**complaint(t), "evidence_id": t.evidence.id}),
    # A file of a person's statement: those who may see who the person is (named by cardiology's head).
    ("evidence.statement_file", "GET"): Policy(frozenset({"head_a", "staff_a", "leadership"}), lambda t: {
        **complaint(t), "person_id": t.statement_file.person_id, "file_id": t.statement_file.id}),
    # The people picker's matches: staff who name people.
    ("complaints.people_found", "GET"): Policy(READERS | {"staff_a"},
                                               lambda t: {"field": "people", "people-find": "备用"}),
    ("receipts.show_receipt", "GET"): Policy(SEES_COMPLAINT_A, complaint),
    ("receipts.receipt", "POST"): Policy(frozenset({"reception"}), complaint, lambda t: {"replace_code": "y"}),
    # An internal note: the staff roles of the lifecycle, not the administrator.
    ("complaints.act", "POST"): Policy(frozenset({"reception", "head_a", "staff_a", "leadership"}),
                                       lambda t: {**complaint(t), "action_name": "note"},
                                       lambda t: {"note-text": "已电话联系。", "note-version": t.complaint.version}),
    ("complaints.identity_views", "GET"): Policy(frozenset({"leadership"}), complaint),
    # The administrator opens a complaint by giving a reason; a fresh one, for the pages above stay closed.
    ("complaints.break_glass", "POST"): Policy(ADMIN, complaint, lambda t: {
        "reason": "Reception reports the complaint shows under the wrong account."}, prepare=closed_complaint),
    ("complaints.archive_record", "GET"): Policy(SEES_COMPLAINT_A, complaint),
    # A reply letter: cardiology's complaint answered in writing (not the one handed to staff_a).
    ("complaints.letter", "GET"): Policy(SEES_COMPLAINT_A - {"staff_a"}, lambda t: {
        "reference": t.letter.complaint_reference, "letter_id": t.letter.id}),
    # Reports: the complaints office, leadership, and each head for their own department.
    ("reports.index", "GET"): Policy(READERS),
    ("reports.monthly_latest", "GET"): Policy(READERS),
    ("reports.monthly", "GET"): Policy(READERS, lambda t: {"month": "2026-11"}),
    ("reports.kpi_export", "GET"): Policy(READERS, lambda t: {"kind": "xlsx"}),
    ("reports.remedies_export", "GET"): Policy(READERS, lambda t: {"kind": "xlsx"}),
    ("reports.complaint_export", "GET"): Policy(READERS, lambda t: {"kind": "csv"}),
    ("reports.analysis_of", "GET"): Policy(READERS, lambda t: {"period": "2026-Q3"}),
    ("reports.people", "GET"): Policy(HEADS_AND_LEADERSHIP),
    ("reports.people_export", "GET"): Policy(HEADS_AND_LEADERSHIP, lambda t: {"kind": "xlsx"}),
    # Closing and reopening a period, and the quality meeting: leadership; a month nobody closed yet each time.
    ("reports.close_period", "POST"): Policy(LEADERSHIP, lambda t: {"period": ended_month().slug}),
    ("reports.reopen_period", "GET"): Policy(LEADERSHIP, lambda t: {"period": t.closed_month},
                                             prepare=closed_month),
    # (Without its preparation, as the CSRF test posts it, any ended month: the token is refused first.)
    ("reports.reopen_period", "POST"): Policy(LEADERSHIP, lambda t: {"period": getattr(t, "closed_month",
                                                                                      ended_month().slug)},
                                              lambda t: {"reason": "补录迟报投诉后重新统计。"}, prepare=closed_month),
    ("reports.new_meeting", "GET"): Policy(LEADERSHIP, lambda t: {"period": "2026-10"}),
    ("reports.new_meeting", "POST"): Policy(LEADERSHIP, lambda t: {"period": "2026-10"}, lambda t: {
        "held_on": "2026-11-05", "attendees_text": "质控科 王主任", "decisions": "候诊超时须广播告知。",
        "complaints": t.complaint.reference}),
    ("reports.meeting", "GET"): Policy(READERS, lambda t: {"meeting_id": t.meeting.id}),
    # Corrective actions: cardiology's, answering the cardiology complaint; steps by the lifecycle's staff.
    ("corrective.index", "GET"): Policy(STAFF),
    ("corrective.new", "GET"): Policy(READERS),
    ("corrective.new", "POST"): Policy(READERS, data=lambda t: {
        "title": "Announce delays", "owner_department_id": t.world.cardiology.id, "due_on": "2099-01-01"}),
    # Not the handler of the complaint it answers: a corrective action is the department's head's.
    ("corrective.detail", "GET"): Policy(SEES_COMPLAINT_A - {"staff_a"}, lambda t: {"action_id": t.corrective.id}),
    ("corrective.take_step", "POST"): Policy(frozenset({"reception", "head_a", "leadership"}),
                                             lambda t: {"action_id": t.corrective.id, "step_name": "note"},
                                             lambda t: {"note-text": "质控会已讨论。",
                                                        "note-version": t.corrective.version}),
    # Public notices: read by anyone, published and withdrawn by leadership.
    ("notices.index", "GET"): Policy(EVERYONE),
    ("notices.show", "GET"): Policy(EVERYONE, lambda t: {"notice_id": t.notice.id}),
    ("notices.new", "GET"): Policy(frozenset({"leadership"})),
    ("notices.new", "POST"): Policy(frozenset({"leadership"}), data=lambda t: {
        "title_zh": "整改公告", "body_zh": "已增设候诊广播。"}),
    ("notices.withdraw", "POST"): Policy(frozenset({"leadership"}), lambda t: {"notice_id": t.notice.id},
                                         prepare=new_notice),
    # The administrator's pages; what they change is a spare account or category, never one others use.
    ("admin.hospital_details", "GET"): Policy(ADMIN),
    ("admin.hospital_details", "POST"): Policy(ADMIN, data=hospital_details_changed),
    ("admin.letters_page", "GET"): Policy(ADMIN),
    ("admin.letter_template", "GET"): Policy(ADMIN, lambda t: {"language": "en"}),
    ("admin.letter_template", "POST"): Policy(ADMIN, lambda t: {"language": "en"}, data=letter_template_changed),
    ("admin.deadlines", "GET"): Policy(ADMIN),
    ("admin.deadlines", "POST"): Policy(ADMIN, data=deadline_policy_changed),
    ("admin.calendar_page", "GET"): Policy(ADMIN),
    ("admin.add_day", "POST"): Policy(ADMIN, data=lambda t: {"day": free_day().isoformat(), "kind": "closed",
                                                             "reason": "院庆"}),
    ("admin.remove_day", "POST"): Policy(ADMIN, lambda t: {"day_id": t.day.id}, prepare=new_day),
    ("admin.outbox", "GET"): Policy(ADMIN),
    ("admin.retry_outbox", "POST"): Policy(ADMIN, data=lambda t: {"id": t.failed_message.id},
                                           prepare=failed_message),
    ("admin.directory_groups_page", "GET"): Policy(ADMIN),
    ("admin.add_directory_group", "POST"): Policy(ADMIN, data=lambda t: {"name": f"group-{fresh()}",
                                                                         "role": "reception", "department": ""}),
    # (Without its preparation, as the CSRF test posts it, any id: the token is refused first.)
    ("admin.remove_directory_group", "POST"): Policy(ADMIN, lambda t: {"mapping_id": getattr(
                                                         t, "mapping", SimpleNamespace(id=1)).id},
                                                     prepare=new_mapping),
    ("admin.accounts_list", "GET"): Policy(ADMIN),
    ("admin.new_account", "GET"): Policy(ADMIN),
    ("admin.new_account", "POST"): Policy(ADMIN, data=lambda t: {
        "username": f"nurse-{fresh()}", "display_name": "New Nurse", "role": "reception",
        "language": "", "password": "lantern over the river", "must_change_password": "y"}),
    ("admin.account", "GET"): Policy(ADMIN, lambda t: {"user_id": t.spare.id}),
    ("admin.account", "POST"): Policy(ADMIN, lambda t: {"user_id": t.spare.id}, lambda t: {
        "display_name": f"Spare {fresh()}", "role": t.spare.role, "language": "", "version": t.spare.version}),
    ("admin.reset_password", "POST"): Policy(ADMIN, lambda t: {"user_id": t.spare.id}, lambda t: {
        "password": "temporary lantern 7", "version": t.spare.version}),
    ("admin.account_operation", "POST"): Policy(ADMIN, lambda t: {"user_id": t.spare.id, "operation": "unlock"},
                                                lambda t: {"version": t.spare.version}, prepare=locked_spare),
    ("admin.references", "GET"): Policy(ADMIN, lambda t: {"kind": "departments"}),
    ("admin.references", "POST"): Policy(ADMIN, lambda t: {"kind": "categories"}, lambda t: {
        "code": f"NEW{fresh()}", "name_zh": "环境", "name_en": "Surroundings"}),
    ("admin.reference", "GET"): Policy(ADMIN, lambda t: {"kind": "departments", "row_id": t.world.nursing.id}),
    ("admin.reference", "POST"): Policy(ADMIN, lambda t: {"kind": "categories", "row_id": t.spare_category.id},
                                        lambda t: {"name_zh": f"其他{fresh()}", "name_en": "Other",
                                                   "version": t.spare_category.version}),
    ("admin.category_integrity", "POST"): Policy(ADMIN, lambda t: {"row_id": t.spare_category.id,
                                                                   "operation": "integrity"},
                                                 lambda t: {"version": t.spare_category.version},
                                                 prepare=new_category),
    ("admin.reference_operation", "POST"): Policy(ADMIN, lambda t: {"kind": "categories",
                                                                    "row_id": t.spare_category.id,
                                                                    "operation": "deactivate"},
                                                  lambda t: {"version": t.spare_category.version},
                                                  prepare=new_category),
    # The staff directory; what is changed is a spare person nobody else uses.
    ("directory.index", "GET"): Policy(ADMIN, lambda t: {"q": "李"}),
    ("directory.new", "GET"): Policy(ADMIN),
    ("directory.new", "POST"): Policy(ADMIN, data=lambda t: {
        "staff_number": f"N{fresh()}", "name": "新同事", "department": t.world.nursing.id}),
    ("directory.person", "GET"): Policy(ADMIN, lambda t: {"member_id": t.spare_person.id}),
    ("directory.person", "POST"): Policy(ADMIN, lambda t: {"member_id": t.spare_person.id}, lambda t: {
        "staff_number": t.spare_person.staff_number, "name": f"备用{fresh()}", "department": t.world.cardiology.id,
        "title": "", "version": t.spare_person.version}),
    ("directory.person_operation", "POST"): Policy(ADMIN, lambda t: {
        "member_id": t.spare_person.id, "operation": "deactivate" if t.spare_person.active else "reactivate"},
        lambda t: {"version": t.spare_person.version}),
    ("directory.import_page", "GET"): Policy(ADMIN),
    ("directory.upload", "POST"): Policy(ADMIN, data=lambda t: {"file": (io.BytesIO(STAFF_LIST), "staff.csv")}),
    ("directory.preview", "GET"): Policy(ADMIN, lambda t: {"token": t.upload_token}, prepare=directory_upload),
    ("directory.confirm", "POST"): Policy(ADMIN, lambda t: {"token": t.upload_token},
                                          lambda t: {"digest": t.upload_digest},
                                          prepare=directory_upload),
}


def routes(app) -> set[tuple[str, str]]:
    return {(rule.endpoint, method) for rule in app.url_map.iter_rules()
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def test_every_route_has_a_declared_policy(app):
    assert sorted(routes(app) - set(POLICIES)) == [], "routes without a policy: declare who may use them"
    assert sorted(set(POLICIES) - routes(app)) == [], "policies for routes that no longer exist"


def make_things():
    world = factories.make_world()
    complaint = factories.make_complaint(world, State.investigating)  # assigned to cardiology
    tracked = factories.make_complaint(world)  # its code is never replaced: for /track
    evidence = Evidence(complaint_id=complaint.id, stored_name="matrix-photo.jpg", original_name="photo.jpg",
                        content_type="image/jpeg", size=4)
    with open(os.path.join(folder(), evidence.stored_name), "wb") as file:
        file.write(b"\xff\xd8\xff\xd9")
    day = HospitalDay(day=date(2026, 3, 10), kind="closed", reason="院庆")
    notice = PublicNotice(title_zh="整改公告", body_zh="已增设候诊广播。", published_by_id=world.leadership.id)
    failed = a_failed_message()
    spare_category = Category(code="SPARE", name_zh="其他", name_en="Other")
    login_account = factories.make_user("matrix-login", "reception")  # logs in with the form; nobody changes it
    spare = factories.make_user("spare", "reception")  # the administrator's to change
    spare_person = StaffMember(staff_number="SPARE", name="备用", department=world.cardiology)
    db.session.add_all([evidence, day, notice, spare_category, spare_person])
    db.session.commit()
    person = ComplaintPerson(complaint_id=complaint.id, staff_member_id=spare_person.id, named_by_id=world.head.id,
                             named_by_role="head", named_at=complaint.received_at)
    db.session.add(person)
    db.session.flush()
    statement_file = PersonFile(person_id=person.id, stored_name="matrix-statement.pdf", original_name="s.pdf",
                                content_type="application/pdf", size=4)
    with open(os.path.join(folder(), statement_file.stored_name), "wb") as file:
        file.write(b"%PDF")
    db.session.add(statement_file)
    meeting = QualityMeeting(held_on=date(2026, 11, 5), period_kind="month", period_start=date(2026, 10, 1),
                             decisions="候诊超时须广播告知。", recorded_by_id=world.leadership.id,
                             complaints=[complaint])
    db.session.add(meeting)
    db.session.commit()
    corrective = records.raise_action(world.reception, {
        "title": "Announce delays", "owner_department_id": world.cardiology.id,
        "due_on": date(2099, 1, 1)}, complaints=[complaint])
    db.session.commit()
    factories.hand_to_staff(world, complaint)  # cardiology's head hands it to staff_a
    written = factories.make_complaint(world, State.signed_off)  # cardiology's, answered by letter
    operations.perform(world.reception, Action.respond, written, {"method": "written", "told_text": "已改进。"},
                       written.version)
    db.session.commit()
    letter = SimpleNamespace(id=written.letters[0].id, complaint_reference=written.reference)
    relay.send_pending()  # head A's notification of the assignment, delivered
    # A staff list the administrator uploaded (a request that confirms it is given a fresh one).
    upload_token = directory_imports.keep(STAFF_LIST, "staff.csv", world.admin)
    notification = db.session.scalars(select(StaffNotification)
                                      .where(StaffNotification.user_id == world.head.id)).first()
    assert notification is not None
    return SimpleNamespace(world=world, complaint=complaint, evidence=evidence, day=day, notification=notification,
                           corrective=corrective, notice=notice, tracked=tracked, tracking_code=tracked.tracking_code,
                           failed_message=failed, statement_file=statement_file,
                           spare=spare, spare_category=spare_category, spare_person=spare_person,
                           login_account=login_account, upload_token=upload_token,
                           upload_digest=directory_imports.preview(STAFF_LIST, "staff.csv").digest,
                           meeting=meeting, letter=letter)


@pytest.fixture(scope="module")
def things(app):
    """The data every request of the module uses, built once; the tables emptied after the last."""
    with module_data(app):
        yield make_things()
        os.remove(os.path.join(folder(), "matrix-photo.jpg"))


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    limiter.reset()  # every test's requests come from 127.0.0.1


def visitor(world, name):
    return {"reception": world.reception, "head_a": world.head, "head_b": world.other_head,
            "staff_a": world.staff, "leadership": world.leadership, "supervision": world.supervision,
            "admin": world.admin}.get(name)


def answer(name: str, response) -> str:
    """The answer as "allowed" or "refused", or what else it was."""
    status, location = response.status_code, urlsplit(response.headers.get("Location", ""))
    to_login = 300 <= status < 400 and location.path == "/login"
    if name == "anonymous":
        if to_login:
            return "refused"
    elif status in (403, 404):
        return "refused"
    elif to_login and "next=" in location.query:
        return "sent to log in: the visitor's session did not hold"
    return "allowed" if 200 <= status < 400 else f"answered {status}"


def problems(response) -> list[str]:
    """What an error summary or message on the page says (for a failing test's message)."""
    html = response.get_data(as_text=True)
    blocks = re.findall(r'class="(?:error-summary|[^"]*error-message[^"]*|notice notice-error)"[^>]*>(.*?)</(?:div|p)>',
                        html, re.S)
    texts = (" ".join(re.sub(r"<[^>]+>", " ", block).split()) for block in blocks)
    return [text for text in texts if text]


def flashed_errors(client) -> list[str]:
    with client.session_transaction() as session:
        return [message for category, message in session.get("_flashes", []) if category == "error"]


@pytest.mark.parametrize("who", VISITORS)
@pytest.mark.parametrize("endpoint, method", sorted(POLICIES))
def test_each_visitor_is_allowed_or_refused_as_declared(app, things, endpoint, method, who):
    policy = POLICIES[(endpoint, method)]
    db.session.rollback()  # a new transaction, every object read again as the requests before left it
    client = app.test_client()
    user = visitor(things.world, who)
    if user is not None:
        login(client, user)  # with the session version as it is now (a logout or new password bumps it)
    t = SimpleNamespace(**{**vars(things), **(policy.prepare(things, client, user) if policy.prepare else {})})
    values = policy.values(t) if policy.values else {}
    with app.test_request_context():
        url = url_for(endpoint, **values)
    if method == "GET":
        response = client.get(url)
    else:
        token = csrf_token(client, "/")
        response = client.post(url, data={"csrf_token": token, **(policy.data(t) if policy.data else {})})
    assert response.status_code < 500, response.status_code
    expected = "allowed" if who in policy.allowed else "refused"
    answered = answer(who, response)
    assert answered == expected, (response.status_code, response.headers.get("Location"), problems(response))
    if answered == "allowed":
        assert flashed_errors(client) == []
