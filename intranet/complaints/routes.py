"""Staff pages: queues, search, intake, the complaint page and its in-place actions."""

from __future__ import annotations

from datetime import datetime, time

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from jinja2_fragments.flask import render_block
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..auth.routes import safe_next
from ..deadlines import calendar
from ..extensions import db, htmx
from ..timeutil import hospital_tz, local, today, utcnow
from . import operations, queues
from .forms import ACTION_FORMS, LogComplaintForm, form_for
from .lifecycle import COMPLAINT_ACTIONS, Action, Role, State
from .models import Complaint, ComplaintEvent
from .permissions import VIEW, allowed_actions, can

bp = Blueprint("complaints", __name__)

# After an action the page tells everything that shows counts to refresh them.
CHANGED = "complaint-changed"


@bp.before_request
@login_required
def staff_only():
    """Every page here is for logged-in staff (login_required runs before the view)."""


def _find(reference: str) -> Complaint | None:
    """The complaint, if the current user may see it; a head asking for another department's complaint
    learns nothing, not even that it exists."""
    complaint = db.session.scalar(
        select(Complaint)
        .where(Complaint.reference == reference)
        .options(selectinload(Complaint.events).joinedload(ComplaintEvent.actor))
    )
    return complaint if complaint is not None and can(current_user, VIEW, complaint) else None


def _load(reference: str) -> Complaint:
    complaint = _find(reference)
    if complaint is None:
        abort(404)
    return complaint


# --- queues ---------------------------------------------------------------------------------------


@bp.get("/queue")
def queue():
    if Role(current_user.role) == Role.public:
        abort(403)
    current = queues.find_queue(current_user, request.args.get("q"))
    page_size = current_app.config["QUEUE_PAGE_SIZE"]
    page = max(request.args.get("page", 1, type=int), 1)
    rows = queues.complaints_in(current_user, current, limit=page_size + 1, offset=(page - 1) * page_size)
    context = dict(
        queues=queues.queues_for(current_user),
        current=current,
        counts=queues.counts(current_user),
        complaints=rows[:page_size],
        page=page,
        has_next=len(rows) > page_size,
    )
    if htmx and htmx.target == "queue-rows":
        return render_block("complaints/queue.html", "rows", **context)
    if Role(current_user.role) in (Role.admin, Role.leadership):
        # Deadlines counted on a calendar that does not know the year must not go unnoticed.
        context["calendar_warnings"] = calendar.warnings(today())
    return render_template("complaints/queue.html", **context)


@bp.get("/queue/counts")
def queue_counts():
    return render_block(
        "complaints/queue.html", "counts",
        queues=queues.queues_for(current_user), counts=queues.counts(current_user),
        current=queues.find_queue(current_user, request.args.get("q")),
    )


@bp.get("/search")
def search():
    text = request.args.get("q", "")
    results = queues.search(current_user, text, limit=50) if text.strip() else []
    context = dict(text=text, results=results)
    if htmx:
        return render_block("complaints/search.html", "results", **context)
    return render_template("complaints/search.html", **context)


# --- intake --------------------------------------------------------------------------------------


@bp.route("/complaints/new", methods=["GET", "POST"])
def new():
    if not can(current_user, Action.log):
        abort(403)
    form = LogComplaintForm()
    if form.validate_on_submit():
        data = form.complaint_data()
        received_at = None
        if form.received_at.data:
            # A letter or suggestion-box slip logged later: its clocks run from the day it arrived.
            received_at = min(datetime.combine(form.received_at.data, time(9), tzinfo=hospital_tz()), utcnow())
        result = operations.create(current_user, data, received_at=received_at)
        db.session.commit()
        flash(_("Complaint %(reference)s logged. Tracking code for the complainant: %(code)s",
                reference=result.complaint.reference, code=result.tracking_code), "success")
        return redirect(url_for(".detail", reference=result.complaint.reference))
    status = 422 if form.is_submitted() else 200
    return render_template("complaints/new.html", form=form), status


# --- the complaint page and its actions -----------------------------------------------------------


def _page_context(complaint: Complaint, failed: tuple[Action, object] | None = None, **extra) -> dict:
    actions = allowed_actions(current_user, complaint)
    forms = {a: form_for(a, complaint) for a in actions}
    if failed:
        forms[failed[0]] = failed[1]
    return dict(complaint=complaint, actions=actions, forms=forms, failed=failed[0] if failed else None,
                suggested=_suggested(complaint, actions), **extra)


def _suggested(complaint: Complaint, actions: list[Action]) -> Action | None:
    """The next step to open on the page: the first primary action not already done."""
    done = {
        Action.triage: complaint.triaged_at,
        Action.record_findings: complaint.findings_recorded_at,
        # Once a department has it, assigning again is a transfer: offered, not suggested.
        Action.assign: complaint.state != State.registered,
    }
    return next((a for a in actions if a.transition.primary and not done.get(a)), None)


@bp.get("/complaints/<reference>")
def detail(reference: str):
    complaint = _load(reference)
    context = _page_context(complaint)
    if htmx:
        return render_block("complaints/detail.html", "complaint", **context)
    return render_template("complaints/detail.html", **context)


@bp.post("/complaints/<reference>/<action_name>")
def act(reference: str, action_name: str):
    """Every action on a complaint: one endpoint, driven by the lifecycle table.

    Answers htmx with the complaint card (or queue row) to swap in place; answers a plain form post with
    a redirect. Refusals answer with the card and a message: 409 someone acted first, 403 not allowed,
    422 the form needs correcting (with everything typed kept).
    """
    try:
        action = Action(action_name)
    except ValueError:
        abort(404)
    if action not in COMPLAINT_ACTIONS:
        abort(404)
    complaint = _find(reference)
    if complaint is None:
        if not htmx:
            abort(404)
        # In place of the row or card the person acted on (e.g. it was moved to another department).
        message = _("This complaint is not in your work any more (it may have been moved to another department).")
        return render_template("complaints/_message.html", message=message, kind="error"), 404
    form = ACTION_FORMS[action](formdata=request.form, prefix=action.value)
    row = bool(htmx) and request.args.get("fragment") == "row"

    try:
        # The version check comes first: the usual reason an action is no longer allowed is that
        # someone else moved the complaint on, and the person should hear that, not "not allowed".
        if form.version.data is not None and form.version.data != complaint.version:
            raise operations.Conflict(complaint, operations.events_since(complaint, form.version.data))
        if not can(current_user, action, complaint):
            raise operations.ActionRefused(action)
        if not form.validate():
            raise operations.ActionInvalid({})
        result = operations.perform(current_user, action, complaint, form.action_data(), form.version.data)
        db.session.commit()
    except operations.Conflict as conflict:
        db.session.rollback()
        return _conflict(conflict, row)
    except operations.ActionRefused:
        db.session.rollback()
        return _refused(reference, action, row)
    except operations.ActionInvalid as invalid:
        db.session.rollback()
        for name, message in invalid.errors.items():
            getattr(form, name).errors = list(getattr(form, name).errors) + [message]
        return _invalid(reference, action, form, row)

    complaint = result.complaint
    message = _("%(action)s: done. Now: %(state)s.", action=action.label, state=complaint.state.label)
    still_visible = can(current_user, VIEW, complaint)
    if not htmx:
        flash(message, "success")
        if not still_visible:
            return redirect(url_for(".queue"))
        return redirect(safe_next(request.args.get("next")) or url_for(".detail", reference=reference))
    if row:
        return _row(complaint, message, still_visible)
    if not still_visible:
        # Sent back: the department no longer sees it, so the card becomes a note saying where it went.
        body = render_block("complaints/detail.html", "gone", complaint=complaint, message=message)
        return body, 200, {"HX-Trigger": CHANGED}
    return _card(reference, 200, message=message)


def _card(reference: str, status: int, **extra):
    """The complaint card as it is now, for htmx to swap in place of the old one."""
    complaint = _load(reference)
    body = render_block("complaints/detail.html", "complaint", **_page_context(complaint, **extra))
    return body, status, {"HX-Trigger": CHANGED}


def _page(reference: str, status: int, **extra):
    """The same, as a whole page: for browsers without JavaScript."""
    complaint = _load(reference)
    return render_template("complaints/detail.html", **_page_context(complaint, **extra)), status


def _respond_with(reference: str, status: int, **extra):
    return (_card if htmx else _page)(reference, status, **extra)


def _invalid(reference: str, action: Action, form, row: bool = False):
    if row:  # a queue-row button has no fields: the only thing that can be wrong is a stale page
        message = _("The form is out of date: reload the page and try again.")
        return _row_refusal(reference, message, 422)
    return _respond_with(reference, 422, failed=(action, form))


def _row_refusal(reference: str, message: str, status: int):
    body = render_block("complaints/queue.html", "row", c=_load(reference), message=message, visible=True,
                        error=True)
    return body, status


def _row(complaint: Complaint, message: str, visible: bool = True):
    body = render_block("complaints/queue.html", "row", c=complaint, message=message, visible=visible)
    return body, 200, {"HX-Trigger": CHANGED}


def _conflict(conflict: operations.Conflict, row: bool):
    """409: someone acted first. Say who did what, show the complaint as it is now, overwrite nothing."""
    complaint = conflict.complaint
    if not can(current_user, VIEW, complaint):
        message = _("Someone else changed this complaint and it is no longer yours to see.")
        if htmx:
            return render_template("complaints/_message.html", message=message, kind="error"), 409
        flash(message, "error")
        return redirect(url_for(".queue"))
    happened = [
        _("%(who)s: %(action)s at %(time)s", who=e.actor.display_name if e.actor else _("the complainant"),
          action=Action(e.action).label, time=local(e.at).strftime("%H:%M"))
        for e in conflict.events
    ]
    message = _("Someone else acted on this complaint first, so your change was not saved.")
    if row:
        return _row_refusal(complaint.reference, message, 409)
    return _respond_with(complaint.reference, 409, conflict=message, happened=happened)


def _refused(reference: str, action: Action, row: bool = False):
    complaint = _load(reference)
    message = _("You cannot do “%(action)s” on this complaint now (it is: %(state)s).",
                action=action.label, state=complaint.state.label)
    if row:
        return _row_refusal(reference, message, 403)
    return _respond_with(reference, 403, conflict=message)
