"""Who may open what: every route of the URL map, for every kind of visitor, allowed or refused as this one
table declares. A route missing from the table fails, so a new page can never be left without a policy.

Refused is what the app answers today: a redirect to the login page for an anonymous visitor (or, for the
bell's polling, 286 and nothing: htmx stops polling), 403 or 404 for staff (404 where even the existence of
the complaint is not theirs to know). Allowed is anything else but a server error. URL parameters are real
objects: a complaint of cardiology (department A, whose head is `head_a`), its evidence file, head A's
notification, a hospital day, the reception account."""

import os
from dataclasses import dataclass
from datetime import date
from types import SimpleNamespace

import pytest
from flask import url_for
from sqlalchemy import select

from intranet.complaints.corrective import records
from intranet.complaints.evidence import Evidence, folder
from intranet.complaints.lifecycle import State
from intranet.core.extensions import db
from intranet.deadlines.models import HospitalDay
from intranet.notifications import relay
from intranet.notifications.models import StaffNotification
from intranet.public.notices import PublicNotice
from tests import factories
from tests.conftest import csrf_token, login

VISITORS = ("anonymous", "reception", "head_a", "head_b", "leadership", "admin")
EVERYONE = frozenset(VISITORS)
STAFF = EVERYONE - {"anonymous"}
SEES_COMPLAINT_A = STAFF - {"head_b"}  # a cardiology complaint: not the head of nursing
ADMIN = frozenset({"admin"})
READERS = frozenset({"reception", "head_a", "head_b", "leadership"})


@dataclass(frozen=True)
class Policy:
    allowed: frozenset[str]
    values: object = None  # things -> the URL's values
    data: object = None  # things -> what a POST sends besides its CSRF token


def complaint(t):
    return {"reference": t.complaint.reference}


POLICIES = {
    # The public side and logging in: anyone.
    ("public.landing", "GET"): Policy(EVERYONE),
    ("public.complain", "GET"): Policy(EVERYONE),
    ("public.complain", "POST"): Policy(EVERYONE),
    ("public.confirmation", "GET"): Policy(EVERYONE),
    ("public.track", "GET"): Policy(EVERYONE),
    ("public.track", "POST"): Policy(EVERYONE),
    ("public.act", "POST"): Policy(EVERYONE, lambda t: {"action_name": "follow_up"}),
    ("public.leave", "POST"): Policy(EVERYONE),
    ("static", "GET"): Policy(EVERYONE, lambda t: {"filename": "app.css"}),
    ("auth.login", "GET"): Policy(EVERYONE),
    ("auth.login", "POST"): Policy(EVERYONE),
    # Any member of staff, about themselves.
    ("auth.logout", "POST"): Policy(STAFF),
    ("auth.change_password", "GET"): Policy(STAFF),
    ("auth.change_password", "POST"): Policy(STAFF),
    ("notifications.index", "GET"): Policy(STAFF),
    ("notifications.bell", "GET"): Policy(STAFF),
    ("notifications.mark_all_read", "POST"): Policy(STAFF),
    ("notifications.mark_read", "POST"): Policy(frozenset({"head_a"}),
                                                lambda t: {"notification_id": t.notification.id}),
    # Complaints: queues and search for all staff, a complaint for those who see its department's.
    ("complaints.queue", "GET"): Policy(STAFF),
    ("complaints.search", "GET"): Policy(STAFF),
    ("receipts.poster", "GET"): Policy(STAFF),
    ("complaints.new", "GET"): Policy(frozenset({"reception"})),
    ("complaints.new", "POST"): Policy(frozenset({"reception"})),
    ("complaints.similar", "GET"): Policy(frozenset({"reception"})),
    ("complaints.detail", "GET"): Policy(SEES_COMPLAINT_A, complaint),
    ("evidence.download", "GET"): Policy(SEES_COMPLAINT_A, lambda t: {**complaint(t), "evidence_id": t.evidence.id}),
    ("receipts.show_receipt", "GET"): Policy(SEES_COMPLAINT_A, complaint),
    ("receipts.receipt", "POST"): Policy(frozenset({"reception"}), complaint),
    # An internal note: the staff roles of the lifecycle, not the administrator.
    ("complaints.act", "POST"): Policy(frozenset({"reception", "head_a", "leadership"}),
                                       lambda t: {**complaint(t), "action_name": "note"}),
    ("complaints.identity_views", "GET"): Policy(frozenset({"leadership", "admin"}), complaint),
    ("complaints.archive_record", "GET"): Policy(SEES_COMPLAINT_A, complaint),
    # Reports: the complaints office, leadership, and each head for their own department.
    ("reports.index", "GET"): Policy(READERS),
    ("reports.monthly_latest", "GET"): Policy(READERS),
    ("reports.monthly", "GET"): Policy(READERS, lambda t: {"month": "2026-11"}),
    ("reports.kpi_export", "GET"): Policy(READERS, lambda t: {"kind": "xlsx"}),
    ("reports.complaint_export", "GET"): Policy(READERS, lambda t: {"kind": "csv"}),
    # Corrective actions: cardiology's, answering the cardiology complaint; steps by the lifecycle's staff.
    ("corrective.index", "GET"): Policy(STAFF),
    ("corrective.new", "GET"): Policy(READERS),
    ("corrective.new", "POST"): Policy(READERS),
    ("corrective.detail", "GET"): Policy(SEES_COMPLAINT_A, lambda t: {"action_id": t.corrective.id}),
    ("corrective.take_step", "POST"): Policy(frozenset({"reception", "head_a", "leadership"}),
                                             lambda t: {"action_id": t.corrective.id, "step_name": "note"},
                                             lambda t: {"note-version": t.corrective.version}),
    # Public notices: read by anyone, published and withdrawn by leadership.
    ("notices.index", "GET"): Policy(EVERYONE),
    ("notices.show", "GET"): Policy(EVERYONE, lambda t: {"notice_id": t.notice.id}),
    ("notices.new", "GET"): Policy(frozenset({"leadership"})),
    ("notices.new", "POST"): Policy(frozenset({"leadership"})),
    ("notices.withdraw", "POST"): Policy(frozenset({"leadership"}), lambda t: {"notice_id": t.notice.id}),
    # The administrator's pages.
    ("admin.deadlines", "GET"): Policy(ADMIN),
    ("admin.deadlines", "POST"): Policy(ADMIN),
    ("admin.calendar_page", "GET"): Policy(ADMIN),
    ("admin.add_day", "POST"): Policy(ADMIN),
    ("admin.remove_day", "POST"): Policy(ADMIN, lambda t: {"day_id": t.day.id}),
    ("admin.outbox", "GET"): Policy(ADMIN),
    ("admin.retry_outbox", "POST"): Policy(ADMIN),
    ("admin.accounts_list", "GET"): Policy(ADMIN),
    ("admin.new_account", "GET"): Policy(ADMIN),
    ("admin.new_account", "POST"): Policy(ADMIN),
    ("admin.account", "GET"): Policy(ADMIN, lambda t: {"user_id": t.world.reception.id}),
    ("admin.account", "POST"): Policy(ADMIN, lambda t: {"user_id": t.world.reception.id}),
    ("admin.reset_password", "POST"): Policy(ADMIN, lambda t: {"user_id": t.world.reception.id}),
    ("admin.account_operation", "POST"): Policy(ADMIN, lambda t: {"user_id": t.world.reception.id,
                                                                  "operation": "unlock"},
                                                lambda t: {"version": t.world.reception.version}),
    ("admin.references", "GET"): Policy(ADMIN, lambda t: {"kind": "departments"}),
    ("admin.references", "POST"): Policy(ADMIN, lambda t: {"kind": "categories"}),
    ("admin.reference", "GET"): Policy(ADMIN, lambda t: {"kind": "departments", "row_id": t.world.nursing.id}),
    ("admin.reference", "POST"): Policy(ADMIN, lambda t: {"kind": "categories", "row_id": t.world.category.id}),
    ("admin.reference_operation", "POST"): Policy(ADMIN, lambda t: {"kind": "categories", "row_id": t.world.category.id,
                                                                    "operation": "deactivate"},
                                                  lambda t: {"version": t.world.category.version}),
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
    evidence = Evidence(complaint_id=complaint.id, stored_name="matrix-photo.jpg", original_name="photo.jpg",
                        content_type="image/jpeg", size=4)
    with open(os.path.join(folder(), evidence.stored_name), "wb") as file:
        file.write(b"\xff\xd8\xff\xd9")
    day = HospitalDay(day=date(2026, 3, 10), kind="closed", reason="院庆")
    notice = PublicNotice(title="整改公告", body="已增设候诊广播。", language="zh", published_by_id=world.leadership.id)
    db.session.add_all([evidence, day, notice])
    db.session.commit()
    corrective = records.raise_action(world.reception, {
        "title": "Announce delays", "owner_department_id": world.cardiology.id,
        "due_on": date(2099, 1, 1)}, complaints=[complaint])
    db.session.commit()
    relay.send_pending()  # head A's notification of the assignment, delivered
    notification = db.session.scalars(select(StaffNotification)
                                      .where(StaffNotification.user_id == world.head.id)).first()
    assert notification is not None
    return SimpleNamespace(world=world, complaint=complaint, evidence=evidence, day=day, notification=notification,
                           corrective=corrective, notice=notice)


def visitor(world, name):
    return {"reception": world.reception, "head_a": world.head, "head_b": world.other_head,
            "leadership": world.leadership, "admin": world.admin}.get(name)


def refused(name: str, response) -> bool:
    if name == "anonymous":
        if response.status_code == 286:  # the bell polling after a session ended: stop, and show nothing
            return response.get_data() == b""
        return response.status_code == 302 and "/login" in response.headers["Location"]
    return response.status_code in (403, 404)


@pytest.mark.parametrize("who", VISITORS)
@pytest.mark.parametrize("endpoint, method", sorted(POLICIES))
def test_each_visitor_is_allowed_or_refused_as_declared(app_ctx, endpoint, method, who):
    policy = POLICIES[(endpoint, method)]
    things = make_things()
    client = app_ctx.test_client()
    user = visitor(things.world, who)
    if user is not None:
        login(client, user)
    token = csrf_token(client, "/")
    with app_ctx.test_request_context():
        url = url_for(endpoint, **(policy.values(things) if policy.values else {}))
    if method == "GET":
        response = client.get(url)
    else:
        data = {"csrf_token": token, **(policy.data(things) if policy.data else {})}
        response = client.post(url, data=data)
    assert response.status_code < 500, response.status_code
    expected = "allowed" if who in policy.allowed else "refused"
    answered = "refused" if refused(who, response) else "allowed"
    assert answered == expected, (response.status_code, response.headers.get("Location"))
