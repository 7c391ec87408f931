"""Admin pages: the hospital's own details (/admin/hospital), the reply letter's template (/admin/letters),
the deadline policy (/admin/deadlines), the working-day calendar (/admin/calendar), the notification outbox
(/admin/outbox), staff accounts (/admin/accounts), the directory's groups and the roles they give
(/admin/directory-groups), departments and categories."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..auth import directory_groups
from ..complaints import letters
from ..complaints.models import Complaint, Severity
from ..complaints.permissions import ADMINISTER, can
from ..core.admin_events import AdminEvent, history
from ..core.departments import Department
from ..core.extensions import db
from ..core.forms import PostForm, bounded_int
from ..core.hospital import FIELDS as HOSPITAL_FIELDS
from ..core.hospital import HospitalRecord, hospital
from ..core.money import plain_yuan
from ..core.roles import USER_ROLES
from ..core.time import today
from ..core.users import User
from ..core.versioned import Stale
from ..deadlines import calendar, policy
from ..deadlines.models import SEVERITIES, Clock, HospitalDay
from ..directory.models import StaffMember
from ..notifications import relay
from ..notifications.models import OutboxMessage, OutboxStatus
from . import accounts
from .forms import (
    DeadlinePolicyForm,
    DirectoryGroupForm,
    EditAccountForm,
    EditReferenceForm,
    HospitalDayForm,
    HospitalForm,
    LetterTemplateForm,
    NewAccountForm,
    NewCategoryForm,
    NewReferenceForm,
    ResetPasswordForm,
    VersionForm,
    cell,
)

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def admins_only():
    if not can(current_user, ADMINISTER):
        abort(403)


def _policy_values() -> dict:
    rules, rows = policy.all_rules(), policy.rows()
    values = {}
    for (clock, severity), rule in rules.items():
        values[cell(clock, severity, "amount")] = rule.amount
        values[cell(clock, severity, "unit")] = rule.unit.value
        row = rows.get((clock, severity))
        values[cell(clock, severity, "version")] = row.version if row else None
    return values


def _policy_page(form: DeadlinePolicyForm, status: int = 200, problem: str | None = None):
    events = db.session.scalars(select(AdminEvent).where(AdminEvent.subject == "deadline_policy")
                                .order_by(AdminEvent.id.desc()).limit(20)).all()
    return render_template("admin/deadlines.html", form=form, current=policy.all_rules(), clocks=list(Clock),
                           severities=[Severity(s) for s in SEVERITIES], problem=problem,
                           events=events, warnings=calendar.warnings(today()),
                           clock_label=lambda v: Clock(v).label, severity_label=lambda v: Severity(v).label), status


@bp.route("/deadlines", methods=["GET", "POST"])
def deadlines():
    if request.method == "GET":
        return _policy_page(DeadlinePolicyForm(formdata=None, data=_policy_values()))
    form = DeadlinePolicyForm()
    if not form.validate_on_submit():
        return _policy_page(form, 422)
    try:
        changed = policy.change(current_user, form.versions(), form.rules())
        db.session.commit()
    except Stale as stale:
        # What was typed stays; the versions become today's, so saving again (having looked) goes through.
        for name, value in _policy_values().items():
            if name.endswith("__version"):
                form[name].data = value
        return _policy_page(form, 409, problem=stale.message(EVENT_LABELS))
    flash(_("Deadline policy saved. It applies to clocks that start from now on; due dates already set do "
            "not change.") if changed else _("Nothing changed."), "success")
    return redirect(url_for(".deadlines"))


def _calendar_page(form: HospitalDayForm, status: int = 200):
    now = today()
    days = db.session.scalars(select(HospitalDay).order_by(HospitalDay.day.desc())).all()
    years = [(year, calendar.coverage(year), *calendar.national_days(year)) for year in (now.year, now.year + 1)]
    return render_template("admin/calendar.html", form=form, days=days, years=years,
                           warnings=calendar.warnings(now), today=now), status


@bp.get("/calendar")
def calendar_page():
    return _calendar_page(HospitalDayForm())


@bp.post("/calendar")
def add_day():
    form = HospitalDayForm()
    if not form.validate_on_submit():
        return _calendar_page(form, 422)
    if db.session.scalar(select(HospitalDay).where(HospitalDay.day == form.day.data)):
        form.day.errors = list(form.day.errors) + [_("This date is already a hospital day: remove it first.")]
        return _calendar_page(form, 422)
    db.session.add(HospitalDay(day=form.day.data, kind=form.kind.data, reason=form.reason.data,
                               created_by_id=current_user.id))
    db.session.commit()
    calendar.forget_hospital_days()
    flash(_("Hospital day added. It counts for deadlines set from now on; stored due dates do not change."),
          "success")
    return redirect(url_for(".calendar_page"))


@bp.post("/calendar/<int:day_id>/delete")
def remove_day(day_id: int):
    if not PostForm().validate_on_submit():
        abort(400)
    day = db.session.get(HospitalDay, day_id)
    if day is None:
        abort(404)
    db.session.delete(day)
    db.session.commit()
    calendar.forget_hospital_days()
    flash(_("Hospital day removed."), "success")
    return redirect(url_for(".calendar_page"))


# --- the outbox: what failed for good, and a way to try it again ------------------------------------------

OUTBOX_PAGE_SIZE = 100


@bp.get("/outbox")
def outbox():
    failed = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.failed.value)
        .order_by(OutboxMessage.id.desc()).limit(OUTBOX_PAGE_SIZE)
    ).all()
    return render_template("admin/outbox.html", counts=relay.counts(), failed=failed)


@bp.post("/outbox/retry")
def retry_outbox():
    if not PostForm().validate_on_submit():
        abort(400)
    ids = [i for i in (bounded_int(v) for v in request.form.getlist("id")) if i is not None]
    count = relay.retry_failed(ids or None)
    flash(_("%(count)s message(s) will be tried again.", count=count), "success")
    return redirect(url_for(".outbox"))


# --- staff accounts ---------------------------------------------------------------------------------------

# How the history on an account's, department's or category's page names each change.
EVENT_LABELS = {
    "create": _l("Created"),
    "change": _l("Changed"),
    "deactivate": _l("Deactivated"),
    "reactivate": _l("Reactivated"),
    "reset_password": _l("Password reset (must choose a new one)"),
    "change_own_password": _l("Chose a new password"),
    "unlock": _l("Unlocked"),
    "reset_second_factor": _l("Second factor reset (sets it up again)"),
    "rename": _l("Renamed"),
    "change_deadline": _l("Deadline policy changed"),
    "integrity": _l("Made an integrity category (to the discipline office)"),
    "map_group": _l("Directory group mapped"),
    "unmap_group": _l("Directory group mapping removed"),
    "not_integrity": _l("No longer an integrity category"),
}
FIELD_LABELS = {
    "display_name": _l("Name"), "role": _l("Role"), "department": _l("Department"), "language": _l("Language"),
    "name_zh": _l("Name in Chinese"), "name_en": _l("Name in English"), "integrity": _l("Integrity category"),
    "staff_number": _l("Person in the staff directory (staff number)"),
    "office_address_zh": _l("Complaints office: where it is, in Chinese"),
    "office_address_en": _l("Complaints office: where it is, in English"),
    "office_phone": _l("Complaints office: phone"), "office_hours": _l("Complaints office: hours on working days"),
    "unlimited_networks": _l("Addresses the public form's limit leaves alone"),
    "repeat_alert_upheld": _l("Repeat alert: complaints upheld against one person within twelve months"),
    "commission_name_zh": _l("Health commission: its name, in Chinese"),
    "commission_name_en": _l("Health commission: its name, in English"),
    "commission_phone": _l("Health commission: complaint line"),
    "mediation_name_zh": _l("Mediation committee: its name, in Chinese"),
    "mediation_name_en": _l("Mediation committee: its name, in English"),
    "mediation_address_zh": _l("Mediation committee: its address, in Chinese"),
    "mediation_address_en": _l("Mediation committee: its address, in English"),
    "mediation_phone": _l("Mediation committee: phone"),
    "remedy_threshold_fen": _l("Remedies: leadership approves an amount above (fen)"),
}


def _account(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.get("/accounts")
def accounts_list():
    users = db.session.scalars(select(User).options(selectinload(User.department))
                               .order_by(User.active.desc(), User.role, User.username)).all()
    return render_template("admin/accounts.html", users=users)


@bp.route("/accounts/new", methods=["GET", "POST"])
def new_account():
    form = NewAccountForm()
    if form.validate_on_submit():
        department = db.session.get(Department, form.department.data) if form.department.data else None
        try:
            user = accounts.create_account(
                current_user, username=form.username.data, display_name=form.display_name.data,
                role=form.role.data, department=department, language=form.language.data,
                password=form.password.data, must_change_password=form.must_change_password.data)
            db.session.commit()
        except accounts.Refused as refused:
            db.session.rollback()
            refused.put_on(form)
        else:
            flash(_("Account %(username)s created.", username=user.username), "success")
            return redirect(url_for(".account", user_id=user.id))
    status = 422 if form.is_submitted() else 200
    return render_template("admin/account_new.html", form=form), status


def _account_page(user: User, edit=None, reset=None, status: int = 200, problem: str | None = None):
    user_member = db.session.get(StaffMember, user.staff_member_id) if user.staff_member_id else None
    edit = edit or EditAccountForm(formdata=None, display_name=user.display_name, role=user.role,
                                   department=user.department_id, language=user.language or "",
                                   staff_number=user_member.staff_number if user_member else "",
                                   version=user.version)
    reset = reset or ResetPasswordForm(formdata=None, version=user.version)
    return render_template("admin/account.html", user=user, member=user_member, edit=edit, reset=reset,
                           button=VersionForm(formdata=None, version=user.version), problem=problem,
                           events=history(user), event_labels=EVENT_LABELS, field_labels=FIELD_LABELS,
                           roles={r.value: r.label for r in USER_ROLES}), status


@bp.route("/accounts/<int:user_id>", methods=["GET", "POST"])
def account(user_id: int):
    user = _account(user_id)
    if request.method == "GET":
        return _account_page(user)
    form = EditAccountForm()
    if not form.validate_on_submit():
        return _account_page(user, edit=form, status=422)
    department = db.session.get(Department, form.department.data) if form.department.data else None
    try:
        changed = accounts.change_account(current_user, user, form.version.data,
                                          display_name=form.display_name.data, role=form.role.data,
                                          department=department, language=form.language.data,
                                          staff_number=form.staff_number.data)
        db.session.commit()
    except accounts.Stale as stale:
        return _account_page(_account(user_id), status=409, problem=stale.message(EVENT_LABELS))
    except accounts.Refused as refused:
        db.session.rollback()
        refused.put_on(form)
        return _account_page(_account(user_id), edit=form, status=422)
    flash(_("Account saved.") if changed else _("Nothing changed."), "success")
    return redirect(url_for(".account", user_id=user_id))


@bp.post("/accounts/<int:user_id>/password")
def reset_password(user_id: int):
    user = _account(user_id)
    form = ResetPasswordForm()
    if not form.validate_on_submit():
        return _account_page(user, reset=form, status=422)
    try:
        accounts.reset_password(current_user, user, form.version.data, form.password.data)
        db.session.commit()
    except accounts.Stale as stale:
        return _account_page(_account(user_id), status=409, problem=stale.message(EVENT_LABELS))
    except accounts.Refused as refused:
        db.session.rollback()
        refused.put_on(form)
        return _account_page(_account(user_id), reset=form, status=422)
    flash(_("Password reset. Give %(name)s the temporary password in person: they must choose their own "
            "when they log in. Their open sessions have ended.", name=user.display_name), "success")
    return redirect(url_for(".account", user_id=user_id))


ACCOUNT_OPERATIONS = {
    "deactivate": (accounts.deactivate, _l("Account deactivated: it cannot log in, and its open sessions have "
                                           "ended.")),
    "reactivate": (accounts.reactivate, _l("Account reactivated.")),
    "unlock": (accounts.unlock, _l("Account unlocked: it can log in again.")),
}


@bp.post("/accounts/<int:user_id>/<any(deactivate, reactivate, unlock):operation>")
def account_operation(user_id: int, operation: str):
    user = _account(user_id)
    form = VersionForm()
    if not form.validate_on_submit():
        return _account_page(user, status=422, problem=_("The form is out of date: reload the page and try again."))
    work, done = ACCOUNT_OPERATIONS[operation]
    try:
        work(current_user, user, form.version.data)
        db.session.commit()
    except accounts.Stale as stale:
        return _account_page(_account(user_id), status=409, problem=stale.message(EVENT_LABELS))
    except accounts.Refused as refused:
        db.session.rollback()
        return _account_page(_account(user_id), status=422, problem=refused.message)
    flash(str(done), "success")
    return redirect(url_for(".account", user_id=user_id))


# --- the directory's groups and the roles they give ------------------------------------------------------


def _groups_page(form: DirectoryGroupForm, status: int = 200):
    events = db.session.scalars(select(AdminEvent).where(AdminEvent.subject == "directory_group")
                                .order_by(AdminEvent.id.desc()).limit(20)).all()
    return render_template("admin/directory_groups.html", form=form, mappings=directory_groups.mappings(),
                           events=events, event_labels=EVENT_LABELS, field_labels=FIELD_LABELS,
                           roles={r.value: r.label for r in USER_ROLES},
                           directory_url=current_app.config["LDAP_URL"]), status


@bp.get("/directory-groups")
def directory_groups_page():
    return _groups_page(DirectoryGroupForm(formdata=None))


@bp.post("/directory-groups")
def add_directory_group():
    form = DirectoryGroupForm()
    if not form.validate_on_submit():
        return _groups_page(form, 422)
    try:
        mapping = directory_groups.add(current_user, name=form.name.data, role=form.role.data,
                                       department_id=form.department.data)
        db.session.commit()
    except accounts.Refused as refused:
        db.session.rollback()
        refused.put_on(form)
        return _groups_page(form, 422)
    flash(_("Mapped: people in %(group)s get this role at their next login.", group=mapping.name), "success")
    return redirect(url_for(".directory_groups_page"))


@bp.post("/directory-groups/<int:mapping_id>/delete")
def remove_directory_group(mapping_id: int):
    if not PostForm().validate_on_submit():
        abort(400)
    mapping = db.session.get(directory_groups.DirectoryGroup, mapping_id)
    if mapping is None:
        abort(404)
    name = mapping.name
    directory_groups.remove(current_user, mapping)
    db.session.commit()
    flash(_("Mapping of %(group)s removed: its people's next login follows the other mappings, and without "
            "one their account is deactivated.", group=name), "success")
    return redirect(url_for(".directory_groups_page"))


# --- departments and categories ---------------------------------------------------------------------------

REFERENCE_TITLES = {"departments": _l("Departments"), "categories": _l("Complaint categories"),
                    "referrers": _l("Referring bodies")}
NEW_FORMS = {"departments": NewReferenceForm, "categories": NewCategoryForm, "referrers": NewReferenceForm}
# Which of a complaint's columns names each kind of row (the page says how many complaints have it).
COMPLAINT_COLUMN = {"departments": "department_id", "categories": "category_id", "referrers": "referral_body_id"}


def _reference(kind: str, row_id: int):
    row = db.session.get(accounts.MODELS[kind], row_id)
    if row is None:
        abort(404)
    return row


def _references_page(kind: str, form=None, status: int = 200):
    model = accounts.MODELS[kind]
    rows = db.session.scalars(select(model).order_by(model.active.desc(), model.code)).all()
    return render_template("admin/references.html", kind=kind, title=REFERENCE_TITLES[kind], rows=rows,
                           form=form or NEW_FORMS[kind](formdata=None)), status


@bp.route("/<any(departments, categories, referrers):kind>", methods=["GET", "POST"])
def references(kind: str):
    if request.method == "GET":
        return _references_page(kind)
    form = NEW_FORMS[kind]()
    if not form.validate_on_submit():
        return _references_page(kind, form, 422)
    try:
        row = accounts.create_reference(current_user, accounts.MODELS[kind], code=form.code.data,
                                        name_zh=form.name_zh.data, name_en=form.name_en.data,
                                        integrity=bool(getattr(form, "integrity", None) and form.integrity.data))
        db.session.commit()
    except accounts.Refused as refused:
        db.session.rollback()
        refused.put_on(form)
        return _references_page(kind, form, 422)
    flash(_("%(name)s added.", name=row.name), "success")
    return redirect(url_for(".references", kind=kind))


def _reference_page(kind: str, row, form=None, status: int = 200, problem: str | None = None):
    form = form or EditReferenceForm(formdata=None, name_zh=row.name_zh, name_en=row.name_en, version=row.version)
    complaints = db.session.scalar(select(func.count()).select_from(Complaint).where(
        getattr(Complaint, COMPLAINT_COLUMN[kind]) == row.id))
    return render_template("admin/reference.html", kind=kind, title=REFERENCE_TITLES[kind], row=row, form=form,
                           button=VersionForm(formdata=None, version=row.version), problem=problem,
                           complaints=complaints, events=history(row), event_labels=EVENT_LABELS,
                           field_labels=FIELD_LABELS), status


@bp.route("/<any(departments, categories, referrers):kind>/<int:row_id>", methods=["GET", "POST"])
def reference(kind: str, row_id: int):
    row = _reference(kind, row_id)
    if request.method == "GET":
        return _reference_page(kind, row)
    form = EditReferenceForm()
    if not form.validate_on_submit():
        return _reference_page(kind, row, form, 422)
    try:
        changed = accounts.rename_reference(current_user, row, form.version.data, name_zh=form.name_zh.data,
                                            name_en=form.name_en.data)
        db.session.commit()
    except accounts.Stale as stale:
        return _reference_page(kind, _reference(kind, row_id), status=409, problem=stale.message(EVENT_LABELS))
    flash(_("Saved.") if changed else _("Nothing changed."), "success")
    return redirect(url_for(".reference", kind=kind, row_id=row_id))


@bp.post("/categories/<int:row_id>/<any(integrity, not_integrity):operation>")
def category_integrity(row_id: int, operation: str):
    """Mark a category integrity (医德医风) or not: its complaints from then on go to the discipline office."""
    row = _reference("categories", row_id)
    form = VersionForm()
    if not form.validate_on_submit():
        return _reference_page("categories", row, status=422,
                               problem=_("The form is out of date: reload the page and try again."))
    try:
        accounts.set_category_integrity(current_user, row, form.version.data, integrity=operation == "integrity")
        db.session.commit()
    except accounts.Stale as stale:
        return _reference_page("categories", _reference("categories", row_id), status=409,
                               problem=stale.message(EVENT_LABELS))
    except accounts.Refused as refused:
        db.session.rollback()
        return _reference_page("categories", _reference("categories", row_id), status=422, problem=refused.message)
    flash(_("An integrity category: its new complaints go to the discipline office.") if operation == "integrity"
          else _("No longer an integrity category: its new complaints go to their departments."), "success")
    return redirect(url_for(".reference", kind="categories", row_id=row_id))


@bp.post("/<any(departments, categories, referrers):kind>/<int:row_id>/<any(deactivate, reactivate):operation>")
def reference_operation(kind: str, row_id: int, operation: str):
    row = _reference(kind, row_id)
    form = VersionForm()
    if not form.validate_on_submit():
        return _reference_page(kind, row, status=422,
                               problem=_("The form is out of date: reload the page and try again."))
    try:
        accounts.set_reference_active(current_user, row, form.version.data, active=operation == "reactivate")
        db.session.commit()
    except accounts.Stale as stale:
        return _reference_page(kind, _reference(kind, row_id), status=409, problem=stale.message(EVENT_LABELS))
    except accounts.Refused as refused:
        db.session.rollback()
        return _reference_page(kind, _reference(kind, row_id), status=422, problem=refused.message)
    flash(_("Deactivated: no longer offered for new complaints; complaints that have it still show it.")
          if operation == "deactivate" else _("Reactivated: offered for new complaints again."), "success")
    return redirect(url_for(".reference", kind=kind, row_id=row_id))


# --- the hospital's own details ---------------------------------------------------------------------------


def _hospital_page(form=None, status: int = 200, problem: str | None = None):
    row = db.session.get(HospitalRecord, 1)
    shown = hospital()
    form = form or HospitalForm(formdata=None, version=row.version if row else 0,
                                remedy_threshold=plain_yuan(shown.remedy_threshold_fen),
                                **{name: getattr(row, name) if row else getattr(hospital(), name)
                                   for name in HOSPITAL_FIELDS})
    return render_template("admin/hospital.html", form=form, shown=shown, problem=problem,
                           events=history(row) if row else [], event_labels=EVENT_LABELS,
                           field_labels=FIELD_LABELS), status


@bp.route("/hospital", methods=["GET", "POST"])
def hospital_details():
    if request.method == "GET":
        return _hospital_page()
    form = HospitalForm()
    if not form.validate_on_submit():
        return _hospital_page(form, 422)
    try:
        changed = accounts.change_hospital(current_user, form.version.data, form.values())
        db.session.commit()
    except accounts.Stale as stale:
        return _hospital_page(status=409, problem=stale.message(EVENT_LABELS))
    flash(_("Saved: every page shows the new details.") if changed else _("Nothing changed."), "success")
    return redirect(url_for(".hospital_details"))


# --- the reply letter's template --------------------------------------------------------------------------


def _letter_page(language: str, form=None, status: int = 200, problem: str | None = None):
    now = letters.current(language)
    form = form or LetterTemplateForm(formdata=None, version=now.version, text=now.text)
    return render_template("admin/letters.html", language=language, form=form, now=now, problem=problem,
                           placeholders=letters.PLACEHOLDERS, versions=letters.versions(language),
                           languages=letters.LANGUAGES), status


@bp.get("/letters")
def letters_page():
    return redirect(url_for(".letter_template", language="zh"))


@bp.route("/letters/<any(zh, en):language>", methods=["GET", "POST"])
def letter_template(language: str):
    if request.method == "GET":
        return _letter_page(language)
    form = LetterTemplateForm()
    if not form.validate_on_submit():
        return _letter_page(language, form, 422)
    try:
        changed = letters.save(current_user, language, form.version.data, form.text.data)
        db.session.commit()
    except letters.TemplateStale as stale:
        who = stale.by.display_name if stale.by is not None else _("a command on the server")
        db.session.rollback()
        return _letter_page(language, form_with_version(form, stale.now.version), 409,
                            problem=_("Someone else saved this letter since you opened it (version %(version)s, "
                                      "%(who)s), so yours was not saved. Your text is below; the one in use is "
                                      "on the page's list of versions. Compare them before you save again.",
                                      version=stale.now.version, who=who))
    flash(_("Saved: letters written from now on use it; letters already sent stay as they were.") if changed
          else _("Nothing changed."), "success")
    return redirect(url_for(".letter_template", language=language))


def form_with_version(form: LetterTemplateForm, version: int) -> LetterTemplateForm:
    """The administrator's text kept, now carrying the version in use: sent again, it replaces that one."""
    form.version.data = version
    form.version.raw_data = [str(version)]
    return form
