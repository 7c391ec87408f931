"""Staff pages: queues, search, intake, the complaint page and its in-place actions."""

from __future__ import annotations

import re
from datetime import datetime, time
from functools import cache

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from jinja2_fragments.flask import render_block
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.datastructures import CombinedMultiDict
from wtforms.validators import ValidationError

from ..core.database import reads_only, reads_only_in_a_transaction
from ..core.extensions import db, htmx
from ..core.forms import safe_next
from ..core.pages import block_for, render_page
from ..core.roles import STAFF, role_of
from ..core.time import hospital_tz, today, utcnow
from ..deadlines import calendar
from ..directory import lookup
from . import audit, duplicates, evidence, letters, operations, queues, registration
from . import search as complaint_search  # the module (the page below is named search)
from .corrective import records as corrective
from .forms import BreakGlassForm, LogComplaintForm, SearchForm
from .identity_views import break_glass as open_to_administrator
from .identity_views import record_view, views_of
from .lifecycle import COMPLAINT_ACTIONS, SPECS, Action, Role, actions_from, offered
from .models import Complaint, ComplaintAnswer, ComplaintEvent
from .permissions import BREAK_GLASS, SEE_IDENTITY_VIEWS, SEE_RECORD_CHECK, VIEW, can, identity_fields

bp = Blueprint("complaints", __name__)

# After an action the page tells everything that shows counts to refresh them.
CHANGED = "complaint-changed"
# The pages an action is done from: the complaint card, and the buttons in the queue's rows.
QUEUE = "complaints/queue.html"
MAX_PAGE = 100_000  # beyond the last page of any queue; a larger number would overflow the database's OFFSET
ACTED_FROM = ["complaints/detail.html", QUEUE]


@bp.before_request
@login_required
def staff_only():
    """Every page here is for logged-in staff (login_required runs before the view)."""


@cache
def _complaint_by_reference():
    """The complaint card's statement, built once per worker: a statement keeps the cache key SQLAlchemy
    looks its compiled form up by, so a page no longer rebuilds it and its six loader options each time."""
    return (
        select(Complaint)
        .where(Complaint.reference == bindparam("reference"))
        .options(selectinload(Complaint.events).joinedload(ComplaintEvent.actor),
                 # What the card names, in the same statement rather than one lazy load each; its evidence
                 # files and corrective actions too (most complaints have none, so they add no rows).
                 joinedload(Complaint.department), joinedload(Complaint.subject_department),
                 joinedload(Complaint.category), joinedload(Complaint.evidence),
                 joinedload(Complaint.corrective_records), joinedload(Complaint.disputes),
                 # The people it is about, the departments asked for their part and the remedies: the page
                 # and its permissions read all three, a few rows at most, which were three lazy loads.
                 joinedload(Complaint.people), joinedload(Complaint.contributions), joinedload(Complaint.remedies),
                 # Every answer and follow-up, shown in order and checked against the chain.
                 selectinload(Complaint.answers).joinedload(ComplaintAnswer.signed_off_by),
                 selectinload(Complaint.follow_ups), selectinload(Complaint.letters))
    )


def _find(reference: str) -> Complaint | None:
    """The complaint, if the current user may see it; a head asking for another department's complaint
    learns nothing, not even that it exists."""
    complaint = db.session.scalars(_complaint_by_reference(), {"reference": reference}).unique().one_or_none()
    # unique() above: every joined row is read, so that the collections are complete.
    return complaint if complaint is not None and can(current_user, VIEW, complaint) else None


def _load(reference: str) -> Complaint:
    complaint = _find(reference)
    if complaint is None:
        abort(404)
    return complaint


def _to_break_glass(reference: str) -> Complaint | None:
    """The complaint the administrator may open by breaking the glass, if that is what this reference is:
    it exists, and it is not open to them now."""
    if role_of(current_user) != Role.admin:  # only the administrator breaks the glass: nothing to look up
        return None
    complaint = db.session.scalars(select(Complaint).where(Complaint.reference == reference)).one_or_none()
    return complaint if complaint is not None and can(current_user, BREAK_GLASS, complaint) else None


def _break_glass_page(complaint: Complaint, form: BreakGlassForm, status: int):
    """Refused, with the one way in: the reference only, and the form that records why."""
    return render_template("complaints/break_glass.html", reference=complaint.reference, form=form,
                           minutes=current_app.config["BREAK_GLASS_MINUTES"]), status


# --- queues ---------------------------------------------------------------------------------------


def _quick_actions(complaints) -> dict[str, list[Action]]:
    """For each row, the allowed actions that need nothing typed: a button each, right in the queue."""
    user = current_user._get_current_object()  # the proxy looks the user up at each use: once for every row
    # Asked of the actions without fields only: another's condition may read what a row does not load (the
    # timeline, for a re-triage proposal waiting for its decision).
    return {c.reference: [a for a in actions_from(c.state) if not SPECS[a].needs_input and can(user, a, c)]
            for c in complaints}


@bp.get("/queue")
@reads_only
def queue():
    if Role(current_user.role) == Role.public:
        abort(403)
    current = queues.find_queue(current_user, request.args.get("q"))
    context = dict(queues=queues.queues_for(current_user), current=current, counts=queues.counts(current_user),
                   count_cap=queues.COUNT_CAP)
    if block_for(QUEUE, htmx.target if htmx else None) == "queue_counts":
        return render_page(QUEUE, **context)  # the badges refreshing themselves: no rows to fetch
    page_size = current_app.config["QUEUE_PAGE_SIZE"]
    page = request.args.get("page", 1, type=int)
    if not 1 <= page <= MAX_PAGE:
        abort(404)
    rows = queues.complaints_in(current_user, current, limit=page_size + 1, offset=(page - 1) * page_size)
    complaints = rows[:page_size]
    context.update(complaints=complaints, quick=_quick_actions(complaints), page=page,
                   has_next=len(rows) > page_size, corrective=corrective.summary(current_user))
    if Role(current_user.role) in (Role.admin, Role.leadership):
        # Deadlines counted on a calendar that does not know the year must not go unnoticed.
        context["calendar_warnings"] = calendar.warnings(today())
    return render_page(QUEUE, **context)


@bp.get("/search")
@reads_only_in_a_transaction  # search.plain_plans() sets how its statements are planned, for the transaction
def search():
    """Words and filters, from the URL: the page, or (htmx) its results block as the person types."""
    form = SearchForm(request.args)
    page = request.args.get("page", 1, type=int)
    if not 1 <= page <= MAX_PAGE:
        abort(404)
    context = dict(form=form, page=page, complaints=[], quick={}, total=None, has_next=False,
                   searched=False, args=_search_args(form),
                   count_up_to=complaint_search.COUNT_UP_TO)
    if form.validate():
        filters = form.filters()
        if form.q.data or filters:
            page_size = current_app.config["QUEUE_PAGE_SIZE"]
            complaints, total, has_next = complaint_search.search_page(current_user, form.q.data or "", filters,
                                                                       page_size, page)
            context.update(complaints=complaints, quick=_quick_actions(complaints), has_next=has_next, total=total,
                           searched=True)
            if complaint_search.scans_only_the_newest(form.q.data or ""):
                context["scan_window"] = complaint_search.SCAN_WINDOW
        if Role(current_user.role) == Role.admin and form.q.data:
            # The administrator finds a complaint by its exact reference only, and learns only that it exists.
            context["break_glass"] = _to_break_glass(form.q.data.strip().upper())
        status = 200
    else:
        status = 422
    return render_page("complaints/search.html", **context), status


def _search_args(form) -> dict:
    """The query string of this search without its page, for the pager's links."""
    return {k: v for k, v in request.args.items() if k != "page" and v not in ("", None) and k in form._fields}


# --- intake --------------------------------------------------------------------------------------


@bp.route("/complaints/new", methods=["GET", "POST"])
def new():
    if not can(current_user, Action.log):
        abort(403)
    form = LogComplaintForm()
    valid = form.validate_on_submit()
    files = _checked_files(form) if form.is_submitted() else []
    if valid and files is not None:
        data = form.complaint_data()
        received_at = None
        if form.received_at.data:
            # A letter or suggestion-box slip logged later: its clocks run from the day it arrived.
            received_at = min(datetime.combine(form.received_at.data, time(9), tzinfo=hospital_tz()), utcnow())
        try:
            stored = evidence.store(files)
        except evidence.EvidenceNotStored:
            form.evidence.errors = [_("The files could not be stored just now, so nothing was logged. Log it "
                                      "without them (keep the papers in the complaint's file), or try again.")]
            return render_template("complaints/new.html", form=form, similar=_similar(form),
                                   caution=_caution(form)), 503
        try:
            result = registration.create(current_user, {**data, "evidence": stored}, received_at=received_at)
            db.session.commit()
        except Exception:
            db.session.rollback()
            evidence.discard(stored)
            raise
        flash(_("Complaint %(reference)s logged. Tracking code for the complainant: %(code)s",
                reference=result.complaint.reference, code=result.tracking_code), "success")
        return redirect(url_for(".detail", reference=result.complaint.reference))
    status = 422 if form.is_submitted() else 200
    similar_ones = _similar(form) if form.is_submitted() else None
    caution = _caution(form) if form.is_submitted() else None
    return render_template("complaints/new.html", form=form, similar=similar_ones, caution=caution), status


def _checked_files(form) -> list | None:
    """The intake's files, checked by content as the public form's are (and a call's recording besides);
    None, with the error beside the field, when one is refused."""
    try:
        return evidence.checked_uploads(form.evidence.data, recordings=True)
    except ValidationError as refused:
        form.evidence.errors = [*form.evidence.errors, str(refused)]
        return None


PICKER_FIELD = re.compile(r"[a-z_]{1,40}(-[a-z_]{1,40})?")


@bp.get("/complaints/people-found")
def people_found():
    """The people picker's matches for what has been typed (htmx, as the person types): boxes to tick, of the
    field named in `field` (the intake form's, or an action form's)."""
    # The handler in the department names people too (name_people).
    if role_of(current_user) not in STAFF | {Role.staff}:
        abort(403)
    name = request.args.get("field", "")
    if not PICKER_FIELD.fullmatch(name):
        abort(404)
    text = (request.args.get(name + "-find") or "").strip()[:120]
    return render_block("complaints/new.html", "people_found", name=name, field_id=name, text=text,
                        matches=lookup.find(text))


@bp.get("/complaints/new/similar")
def similar():
    """The intake form's panel of likely duplicates, for what has been typed so far (htmx, as fields change)."""
    if not can(current_user, Action.log):
        abort(403)
    form = LogComplaintForm(request.args, meta={"csrf": False})
    return render_page("complaints/new.html", form=form, similar=_similar(form), caution=_caution(form))


def _caution(form) -> int | None:
    phone = form.complainant_phone.data
    return duplicates.malicious_caution(current_user, phone.strip()[:40] if isinstance(phone, str) else None)


def _similar(form) -> list:
    def typed(field) -> str:
        value = field.data
        return value.strip()[:5000] if isinstance(value, str) else ""

    return duplicates.likely_duplicates(current_user, phone=typed(form.complainant_phone),
                                        patient_record_number=typed(form.patient_record_number),
                                        patient_name=typed(form.patient_name),
                                        what_happened=typed(form.what_happened))


# --- the complaint page and its actions -----------------------------------------------------------


def form_for(action: Action, complaint: Complaint, formdata=None):
    """The action's form, prefilled from what the complaint already holds (the spec says what)."""
    spec = SPECS[action]
    prefill = {"version": complaint.version, **(spec.prefill(complaint) if spec.prefill else {})}
    # A distinct prefix per action keeps field ids unique when several forms share the page.
    form = spec.form(formdata=formdata, prefix=action.value, **prefill)
    if spec.fit_form:
        spec.fit_form(form, complaint, current_user)
    return form


def _suggested(complaint: Complaint, actions: list[Action]) -> Action | None:
    """The next step to open on the page: the first primary action not already done."""
    return next((a for a in actions if SPECS[a].primary and not (SPECS[a].done and SPECS[a].done(complaint))),
                None)


def _record_problems(complaint: Complaint) -> list:
    """What of the record does not verify, for those told (its chain and facts, from the events the page
    shows: nothing more is read)."""
    return audit.record_problems(complaint) if can(current_user, SEE_RECORD_CHECK, complaint) else []


def _page_context(complaint: Complaint, failed: tuple[Action, object] | None = None, **extra) -> dict:
    actions = offered(current_user, complaint)
    forms = {a: form_for(a, complaint) for a in actions}
    if failed:
        forms[failed[0]] = failed[1]
    # The panel offers the steps of the whole complaint; a file's mark is offered beside the file.
    panel = [a for a in actions if SPECS[a].in_panel]
    context = dict(complaint=complaint, actions=panel, forms=forms, failed=failed[0] if failed else None,
                   suggested=_suggested(complaint, panel), marks_files=Action.mark_file in actions, **extra)
    # Reception, about to triage: earlier complaints that look like the same matter, to link it to one.
    context["duplicates"] = (duplicates.for_complaint(current_user, complaint)
                             if Action.mark_duplicate in actions else [])
    context["repeat"] = duplicates.earlier_from_same_phone(current_user, complaint)
    # Reception, about to triage: a complainant found malicious before (a caution, never a refusal).
    context["caution"] = (duplicates.malicious_caution(current_user, complaint.complainant_phone, complaint.id)
                          if Action.triage in actions else None)
    context["record_problems"] = _record_problems(complaint)
    # The queue's row block, for an action done from a row, names the complaint `c` and its buttons `quick`.
    context.update(c=complaint, quick=_quick_actions([complaint]))
    return context


def _showing(complaint: Complaint) -> Complaint:
    """The complaint card is about to be shown: note it if it shows the complainant's identity."""
    record_view(current_user, complaint)
    return complaint


@bp.get("/complaints/<reference>")
def detail(reference: str):
    closed = _to_break_glass(reference)
    if closed is not None:
        return _break_glass_page(closed, BreakGlassForm(), 403)
    complaint = _load(reference)
    # Rendered before the view is noted, so that the page reads everything in one transaction and the note
    # is the only one after it; a page that fails to render was shown to nobody.
    page = render_page("complaints/detail.html", **_page_context(complaint))
    _showing(complaint)
    return page


@bp.post("/complaints/<reference>/break-glass")
def break_glass(reference: str):
    """The administrator reads one complaint: the reason is logged, leadership told, and the complaint
    open to them for the time configured."""
    complaint = _to_break_glass(reference)
    if complaint is None:
        abort(403 if _find(reference) is not None else 404)
    form = BreakGlassForm()
    if not form.validate():
        return _break_glass_page(complaint, form, 422)
    open_to_administrator(current_user, complaint, form.reason.data)
    return redirect(url_for("complaints.detail", reference=reference), 303)


@bp.get("/complaints/<reference>/identity-views")
def identity_views(reference: str):
    """Who was shown this complainant's identity, and when: for leadership and the administrator."""
    complaint = _load(reference)
    if not can(current_user, SEE_IDENTITY_VIEWS, complaint):
        abort(403)
    return render_template("complaints/identity_views.html", complaint=complaint,
                           views=views_of(complaint))


@bp.get("/complaints/<reference>/record")
def archive_record(reference: str):
    """The one-page complaint record (投诉登记表) for the paper archive: everything recorded, signatures
    as names and times, and the timeline's latest hash so the paper can be checked against the database."""
    complaint = _showing(_load(reference))
    # Who did each step, by name and time (internal notes are no step of the handling).
    signatures = [e for e in complaint.events if e.actor is not None and e.action != Action.note]
    return render_template("complaints/record.html", complaint=complaint, signatures=signatures,
                           printed_at=utcnow(), chain_head=complaint.events[-1].hash if complaint.events else None,
                           record_problems=_record_problems(complaint))


@bp.get("/complaints/<reference>/letters/<int:letter_id>")
def letter(reference: str, letter_id: int):
    """A reply letter as it was sent, laid out to print on A4, for whoever may see the complaint; the name
    it is addressed to only for those who may see the complainant's."""
    complaint = _load(reference)
    found = next((item for item in complaint.letters if item.id == letter_id), None)
    if found is None:
        abort(404)
    may_see_name = "complainant_name" in identity_fields(current_user, complaint)
    page = render_template("complaints/letter.html", complaint=complaint, letter=found,
                           paragraphs=letters.shown_text(found, may_see_name))
    _showing(complaint)
    return page


@bp.post("/complaints/<reference>/<action_name>")
def act(reference: str, action_name: str):
    """Every action on a complaint: one endpoint, driven by the action specs.

    Answers htmx with the element it targets (the complaint card, or the queue row) re-rendered from the
    page's own template; answers a plain form post with a redirect. Refusals answer with the same element
    and a message: 409 someone acted first, 403 not allowed, 422 the form needs correcting (everything
    typed kept). The order of the checks is perform()'s.
    """
    try:
        action = Action(action_name)
    except ValueError:
        abort(404)
    if action not in COMPLAINT_ACTIONS or SPECS[action].form is None:  # None: the complainant's, on /track
        abort(404)
    complaint = _find(reference)
    if complaint is None:
        if not htmx:
            abort(404)
        # In place of the row or card the person acted on (e.g. it was moved to another department).
        message = _("This complaint is not in your work any more (it may have been moved to another department).")
        return _gone(reference, message, 404)
    # A statement comes with its files: the form reads them beside the fields.
    formdata = CombinedMultiDict((request.files, request.form)) if request.files else request.form
    form = SPECS[action].form(formdata=formdata, prefix=action.value)
    if SPECS[action].fit_form:
        SPECS[action].fit_form(form, complaint, current_user)
    data = None
    try:
        valid = form.validate()
        data = form.action_data() if valid else None
        # The form's errors are already on its fields: perform() raises them (as {}) after its own checks.
        result = operations.perform(current_user, action, complaint, data, form.version.data,
                                    form_errors=None if valid else {})
        db.session.commit()
    except Exception as refused:
        db.session.rollback()
        # Files the step had stored, of a step not saved: nothing of it is kept.
        evidence.discard((data or {}).get("stored") or [])
        if not isinstance(refused, operations.Conflict | operations.ActionRefused | operations.ActionInvalid):
            raise
        return _refused_step(reference, action, form, refused)
    return _done(reference, action, result)


def _refused_step(reference: str, action: Action, form, refused: Exception):
    if isinstance(refused, operations.Conflict):
        return _conflict(action, refused, form)
    if isinstance(refused, operations.ActionRefused):
        return _refused(reference, action)
    for name, message in refused.errors.items():
        getattr(form, name).errors = list(getattr(form, name).errors) + [message]
    return _invalid(reference, action, form)


def _done(reference: str, action: Action, result):
    complaint = result.complaint
    message = _("%(action)s: done. Now: %(state)s.", action=action.label, state=complaint.state.label)
    if not can(current_user, VIEW, complaint):
        if not htmx:
            flash(message, "success")
            return redirect(url_for(".queue"))
        # Sent back: the department no longer sees it, so the card becomes a note saying where it went.
        return _gone(reference, message, 200, kind="success", changed=True)
    if not htmx:
        flash(message, "success")
        return redirect(safe_next(request.args.get("next")) or url_for(".detail", reference=reference))
    return _answer(reference, 200, message=message)


def _answer(reference: str, status: int, **extra):
    """The page, or the element htmx targets (card or row), as the complaint is now."""
    complaint = _load(reference)
    body = render_page(ACTED_FROM, **_page_context(complaint, **extra))
    if not htmx or block_for(ACTED_FROM[0], htmx.target) is not None:  # the card, not a queue row
        _showing(complaint)  # after rendering, as on the page itself
    return body, status, {"HX-Trigger": CHANGED}


def _gone(reference: str, message: str, status: int, kind: str = "error", changed: bool = False):
    """In place of a card or row the person may no longer see: a message, and nothing of the complaint."""
    body = render_page(ACTED_FROM, variant="gone", fallback="complaint_gone", reference=reference, message=message,
                       kind=kind)
    return body, status, ({"HX-Trigger": CHANGED} if changed else {})


def _invalid(reference: str, action: Action, form):
    if not SPECS[action].needs_input:  # a button has no fields: the only thing that can be wrong is a stale page
        return _answer(reference, 422, message=_("The form is out of date: reload the page and try again."),
                       error=True)
    return _answer(reference, 422, failed=(action, form), error=True)


def _conflict(action: Action, conflict: operations.Conflict, form):
    """409: someone acted first. Say who did what, show the complaint as it is now, overwrite nothing. What
    the person typed comes back in its form, now at the complaint's version: they read what happened, then
    send it again or not."""
    complaint = conflict.complaint
    if not can(current_user, VIEW, complaint):
        message = _("Someone else changed this complaint and it is no longer yours to see.")
        if htmx:
            return _gone(complaint.reference, message, 409)
        flash(message, "error")
        return redirect(url_for(".queue"))
    message = str(operations.CONFLICT)
    kept = None
    if SPECS[action].needs_input and can(current_user, action, complaint):
        form.version.data, form.version.raw_data = complaint.version, [str(complaint.version)]
        kept = (action, form)
    return _answer(complaint.reference, 409, conflict=message, happened=operations.happened(action, conflict),
                   message=message, error=True, failed=kept)


def _refused(reference: str, action: Action):
    complaint = _load(reference)
    message = _("You cannot do “%(action)s” on this complaint now (it is: %(state)s).",
                action=action.label, state=complaint.state.label)
    return _answer(reference, 403, conflict=message, message=message, error=True)
