"""/corrective: the corrective actions a reader may see, one to raise, and one's page with its steps."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from ...core.departments import Department
from ...core.extensions import db
from ...core.forms import bounded_int
from ...core.time import today
from .. import operations
from ..models import Complaint
from ..permissions import VIEW, can, corrective_visible
from ..spec import ActionInvalid, ActionRefused, Conflict
from ..timeline import shown_value
from . import records
from .models import TO_DO, CorrectiveAction, Status
from .steps import STEPS, CorrectiveActionForm, Step

bp = Blueprint("corrective", __name__, url_prefix="/corrective")
PAGE_SIZE = 50
LISTS = {  # ?status= → which statuses
    "to_do": TO_DO, "done": frozenset({Status.done}), "effective": frozenset({Status.effective}),
    "all": frozenset(Status),
}


@bp.before_request
@login_required
def staff_only():
    """For logged-in staff; what each may see is decided per action by permissions."""


def _load(action_id: int) -> CorrectiveAction:
    action = db.session.get(CorrectiveAction, action_id)
    if action is None or not can(current_user, VIEW, action):
        abort(404)
    return action


@bp.get("")
def index():
    shown = request.args.get("status", "to_do")
    if shown not in LISTS:
        abort(400)
    overdue_only = request.args.get("overdue") == "1"
    where = [corrective_visible(current_user), CorrectiveAction.status.in_([s.value for s in LISTS[shown]])]
    if overdue_only:
        where.append(CorrectiveAction.overdue_clause(today()))
    page = bounded_int(request.args.get("page", "1")) or 0
    if not 1 <= page <= 100_000:
        abort(404)
    total = db.session.scalar(select(func.count()).select_from(CorrectiveAction).where(*where))
    rows = db.session.scalars(select(CorrectiveAction).where(*where)
                              .order_by(CorrectiveAction.due_on, CorrectiveAction.id)
                              .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return render_template("corrective/index.html", actions=rows, shown=shown, lists=LISTS, total=total,
                           overdue_only=overdue_only, page=page, has_next=page * PAGE_SIZE < total,
                           may_raise=can(current_user, Step.raise_), today=today())


@bp.route("/new", methods=["GET", "POST"])
def new():
    if not can(current_user, Step.raise_):
        abort(403)
    complaint = None
    reference = request.values.get("complaint")
    if reference:
        complaint = db.session.scalar(select(Complaint).where(Complaint.reference == reference))
        if complaint is None or not can(current_user, VIEW, complaint):
            abort(404)
    month = request.values.get("month") or None
    if month is not None and not (len(month) == 7 and month[4] == "-" and month.replace("-", "").isdigit()):
        abort(400)
    form = CorrectiveActionForm()
    if request.method == "GET":
        form.owner_department_id.data = (complaint.department_id if complaint else None) or current_user.department_id
    if form.validate_on_submit():
        try:
            action = records.raise_action(current_user, form.action_data(),
                                             complaints=[complaint] if complaint else [], month=month)
            db.session.commit()
        except ActionInvalid as error:
            db.session.rollback()
            for name, message in error.errors.items():
                form[name].errors = [*form[name].errors, message]
        else:
            flash(_("%(number)s raised: %(title)s", number=action.number, title=action.title), "success")
            return redirect(url_for(".detail", action_id=action.id))
    status = 422 if form.is_submitted() else 200
    return render_template("corrective/new.html", form=form, complaint=complaint, month=month), status


def _step_forms(action: CorrectiveAction, posted: Step | None = None, posted_form=None) -> dict:
    forms = {}
    for step in (s for s in Step if not s.spec.creates and can(current_user, s, action)):
        if step == posted and posted_form is not None:
            forms[step] = posted_form
        else:
            forms[step] = STEPS[step].form(prefix=step.value, formdata=None, version=action.version)
    return forms


@dataclass
class Entry:
    at: object
    who: str
    step: str
    change: str | None
    fields: list[tuple[str, str]]


# The event fields that name the complaints an action answers, by reference ("TS-…, TS-…").
NAMING_COMPLAINTS = ("complaints", "linked")


def _unseen_left_out(name: str, value, unseen: set[str]):
    """A field naming complaints, without those the reader may not see (an integrity complaint, to the
    department it accuses); None when nothing is left to show."""
    if name not in NAMING_COMPLAINTS or not unseen or not isinstance(value, str):
        return value
    left = [reference for reference in value.split(", ") if reference not in unseen]
    return ", ".join(left) or None


def _timeline(action: CorrectiveAction) -> list[Entry]:
    """Newest first, each field of an event as its step's spec says it reads."""
    names = {("department", d.code): d.name for d in db.session.scalars(select(Department))}
    unseen = {c.reference for c in action.complaints if not can(current_user, VIEW, c)}
    entries = []
    for event in reversed(action.events):
        spec = STEPS[Step(event.step)]
        data = {name: _unseen_left_out(name, value, unseen) for name, value in (event.data or {}).items()
                if name in spec.timeline}
        fields = [(str(spec.timeline[name].label), shown_value(spec.timeline[name].kind, value, names))
                  for name, value in data.items()
                  if value is not None or (event.data or {}).get(name) is None]
        change = None
        if event.from_status != event.to_status:
            change = Status(event.to_status).label
        entries.append(Entry(event.at, event.actor.display_name if event.actor else "—", str(spec.label), change,
                             fields))
    return entries


def _page(action: CorrectiveAction, status: int = 200, **context):
    visible = [c for c in action.complaints if can(current_user, VIEW, c)]
    return render_template("corrective/detail.html", action=action, complaints=visible,
                           others=len(action.complaints) - len(visible), steps=STEPS, timeline=_timeline(action),
                           forms=context.pop("forms", None) or _step_forms(action), today=today(),
                           **context), status


@bp.get("/<int:action_id>")
def detail(action_id: int):
    return _page(_load(action_id))


@bp.post("/<int:action_id>/<step_name>")
def take_step(action_id: int, step_name: str):
    action = _load(action_id)
    try:
        step = Step(step_name)
    except ValueError:
        abort(404)
    if STEPS[step].sources is None:
        abort(404)
    form = STEPS[step].form(prefix=step.value)
    valid = form.validate_on_submit()
    try:  # perform() checks in its order: the version the person saw, who may act, then the form
        operations.perform(current_user, step, action, form.action_data() if valid else {}, form.version.data,
                           form_errors=None if valid else form.errors)
        db.session.commit()
    except Conflict as conflict:
        db.session.rollback()
        fresh = _load(action_id)
        kept = {}
        if can(current_user, step, fresh):  # what was typed comes back, at the version it can be sent again at
            form.version.data, form.version.raw_data = fresh.version, [str(fresh.version)]
            kept = {"forms": _step_forms(fresh, step, form), "failed": step}
        return _page(fresh, 409, conflict=str(operations.CONFLICT), happened=operations.happened(step, conflict),
                     **kept)
    except ActionRefused:
        db.session.rollback()
        return _page(_load(action_id), 403, refused=step)
    except ActionInvalid as error:
        db.session.rollback()
        if valid:  # the step's own rules, beside the field they are about (the form's are there already)
            for name, message in error.errors.items():
                form[name].errors = [*form[name].errors, message]
        return _page(_load(action_id), 422, forms=_step_forms(action, step, form), failed=step)
    flash(_("%(step)s: done.", step=STEPS[step].label), "success")
    return redirect(url_for(".detail", action_id=action.id))
