"""The staff directory's pages (/admin/directory): the list and its search, one person, adding one, and the
import in two steps (upload and preview, then confirm). The directory itself is the `directory` package;
its pages are here, with the other administrator's pages, because who may open them is decided by
`can(…, ADMINISTER)` in complaints/permissions.py, which stands above the directory in the layers."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from ..complaints.permissions import ADMINISTER, can
from ..core.admin_events import history
from ..core.departments import Department
from ..core.errors import error_page
from ..core.extensions import db
from ..core.pages import render_page
from ..core.versioned import Refused, Stale
from ..directory import changes, imports
from ..directory.forms import (
    ConfirmImportForm,
    DirectorySearchForm,
    EditStaffMemberForm,
    ImportUploadForm,
    StaffMemberForm,
)
from ..directory.models import StaffMember
from .forms import VersionForm

bp = Blueprint("directory", __name__, url_prefix="/admin/directory")

PAGE_SIZE = 50
LIST_EVERY_ROW_UP_TO = 300
MAX_PAGE = 10_000

# How a person's history names each change.
EVENT_LABELS = {
    "create": _l("Added"),
    "change": _l("Changed"),
    "deactivate": _l("Marked inactive"),
    "reactivate": _l("Marked active again"),
    "import_create": _l("Added by an import"),
    "import_change": _l("Changed by an import"),
    "import_deactivate": _l("Marked inactive by an import (not in its file)"),
}
FIELD_LABELS = {"staff_number": _l("Staff number"), "name": _l("Name"), "department": _l("Department"),
                "title": _l("Title or post"), "active": _lp("staff directory", "Active")}
OUTCOME_LABELS = {imports.NEW: _l("New"), imports.UPDATED: _l("Updated"), imports.UNCHANGED: _l("Unchanged"),
                  imports.ERROR: _l("Error")}


@bp.before_request
@login_required
def admins_only():
    if not can(current_user, ADMINISTER):
        abort(403)


# --- the list -----------------------------------------------------------------------------------------


@bp.get("")
def index():
    """The list, searched as the administrator types (htmx replaces the results); a plain GET form without
    JavaScript, the search in the URL."""
    form = DirectorySearchForm(request.args)
    if not form.state.data:
        form.state.data = "active"
    page = request.args.get("page", 1, type=int)
    if not 1 <= page <= MAX_PAGE:
        abort(404)
    people, total, has_next = [], 0, False
    status = 422
    if form.validate():
        people, total, has_next = changes.search(form.q.data or "", form.department.data, form.state.data, page,
                                                 PAGE_SIZE)
        status = 200
    args = {k: v for k, v in request.args.items() if k in form._fields and v not in ("", None)}
    return render_page("admin/directory.html", form=form, people=people, total=total, page=page,
                       has_next=has_next, args=args), status


# --- one person ---------------------------------------------------------------------------------------


def _member(member_id: int) -> StaffMember:
    member = db.session.get(StaffMember, member_id)
    if member is None:
        abort(404)
    return member


def _department(form) -> Department | None:
    return db.session.get(Department, form.department.data) if form.department.data else None


@bp.route("/new", methods=["GET", "POST"])
def new():
    form = StaffMemberForm()
    if form.validate_on_submit():
        try:
            member = changes.add(current_user, staff_number=form.staff_number.data, name=form.name.data,
                                 department=_department(form), title=form.title.data)
            db.session.commit()
        except Refused as refused:
            db.session.rollback()
            refused.put_on(form)
        else:
            flash(_("%(name)s added to the directory.", name=member.name), "success")
            return redirect(url_for(".person", member_id=member.id))
    status = 422 if form.is_submitted() else 200
    return render_template("admin/directory_new.html", form=form), status


def _person_page(member: StaffMember, form=None, status: int = 200, problem: str | None = None):
    form = form or EditStaffMemberForm(formdata=None, staff_number=member.staff_number, name=member.name,
                                       department=member.department_id, title=member.title or "",
                                       version=member.version)
    return render_template("admin/directory_person.html", member=member, form=form,
                           button=VersionForm(formdata=None, version=member.version), problem=problem,
                           events=history(member), event_labels=EVENT_LABELS, field_labels=FIELD_LABELS), status


@bp.route("/<int:member_id>", methods=["GET", "POST"])
def person(member_id: int):
    member = _member(member_id)
    if request.method == "GET":
        return _person_page(member)
    form = EditStaffMemberForm()
    if not form.validate_on_submit():
        return _person_page(member, form, 422)
    try:
        changed = changes.change(current_user, member, form.version.data, staff_number=form.staff_number.data,
                                 name=form.name.data, department=_department(form), title=form.title.data)
        db.session.commit()
    except Stale as stale:
        return _person_page(_member(member_id), status=409, problem=stale.message(EVENT_LABELS))
    except Refused as refused:
        db.session.rollback()
        refused.put_on(form)
        return _person_page(_member(member_id), form, 422)
    flash(_("Saved.") if changed else _("Nothing changed."), "success")
    return redirect(url_for(".person", member_id=member_id))


@bp.post("/<int:member_id>/<any(deactivate, reactivate):operation>")
def person_operation(member_id: int, operation: str):
    member = _member(member_id)
    form = VersionForm()
    if not form.validate_on_submit():
        return _person_page(member, status=422, problem=_("The form is out of date: reload the page and try again."))
    try:
        changes.set_active(current_user, member, form.version.data, active=operation == "reactivate")
        db.session.commit()
    except Stale as stale:
        return _person_page(_member(member_id), status=409, problem=stale.message(EVENT_LABELS))
    except Refused as refused:
        db.session.rollback()
        return _person_page(_member(member_id), status=422, problem=refused.message)
    flash(_("Marked inactive: kept in the directory, and still shown wherever they are named.")
          if operation == "deactivate" else _("Marked active again."), "success")
    return redirect(url_for(".person", member_id=member_id))


# --- the import ---------------------------------------------------------------------------------------


def _import_page(upload=None, status: int = 200):
    return render_template("admin/directory_import.html", upload=upload or ImportUploadForm(formdata=None),
                           imports=imports.recent_imports(), max_mib=imports.MAX_BYTES // (1024 * 1024)), status


@bp.get("/import")
def import_page():
    return _import_page()


@bp.post("/import")
def upload():
    """Step 1: the file is kept and read; if it can be read at all, its preview is shown."""
    form = ImportUploadForm()
    if not form.validate_on_submit():
        return _import_page(form, 422)
    file = request.files.get("file")
    if file is None or not file.filename:
        form.file.errors = [_("Choose the file to import.")]
        return _import_page(form, 422)
    name = file.filename.replace("\\", "/").rsplit("/", 1)[-1]  # some browsers send the whole path
    data = file.stream.read(imports.MAX_BYTES + 1)
    try:
        imports.read(data, name)
    except imports.Unreadable as unreadable:
        form.file.errors = [str(unreadable.message)]
        return _import_page(form, 422)
    token = imports.keep(data, name, current_user)
    return redirect(url_for(".preview", token=token), 303)


def _preview_page(token: str, plan: imports.Plan, form=None, status: int = 200, problem: str | None = None):
    form = form or ConfirmImportForm(formdata=None, digest=plan.digest)
    # A long file's unchanged rows are counted, not listed: a monthly re-import is thousands of them.
    shown = plan.rows if len(plan.rows) <= LIST_EVERY_ROW_UP_TO else [
        row for row in plan.rows if row.outcome != imports.UNCHANGED]
    return render_template("admin/directory_preview.html", token=token, plan=plan, form=form, problem=problem,
                           shown=shown,
                           outcome_labels=OUTCOME_LABELS, field_labels=FIELD_LABELS,
                           column_labels=imports.COLUMN_LABELS, counts={
                               outcome: plan.count(outcome) for outcome in OUTCOME_LABELS}), status


def _kept_plan(token: str) -> imports.Plan | None:
    upload = imports.kept(token, current_user)
    if upload is None:
        return None
    data, file_name = upload
    try:
        return imports.preview(data, file_name)
    except imports.Unreadable:  # pragma: no cover - it was read when uploaded
        return None


def _gone():
    return error_page(404, _("This upload is no longer kept (it was written, or it is more than a day old): "
                             "upload the file again."))


@bp.get("/import/<token>")
def preview(token: str):
    """Each row as it will be, and the errors by row: nothing is written."""
    plan = _kept_plan(token)
    return _gone() if plan is None else _preview_page(token, plan)


@bp.post("/import/<token>")
def confirm(token: str):
    """Step 2: the plan the administrator saw, written all at once, or nothing."""
    plan = _kept_plan(token)
    if plan is None:
        return _gone()
    form = ConfirmImportForm()
    if not form.validate_on_submit():
        return _preview_page(token, plan, status=422,
                             problem=_("The form is out of date: reload the page and try again."))
    changed_since = _("The directory changed since this preview was made, so nothing was written. This is the "
                      "file as it would be imported now: check it and confirm again.")
    try:
        done = imports.apply(current_user, plan, form.digest.data or "", form.mark_absent_inactive.data)
        db.session.commit()
    except Refused as refused:
        db.session.rollback()
        return _preview_page(token, plan, status=422, problem=refused.message)
    except (imports.Changed, Stale, IntegrityError):
        db.session.rollback()
        plan = _kept_plan(token)
        return _gone() if plan is None else _preview_page(token, plan, status=409, problem=changed_since)
    imports.forget(token)
    flash(_("Import written from %(file)s: %(created)s new, %(updated)s updated, %(unchanged)s unchanged, "
            "%(deactivated)s marked inactive.", file=done.file_name, created=done.created, updated=done.updated,
            unchanged=done.unchanged, deactivated=done.deactivated), "success")
    return redirect(url_for(".import_page"))
