"""The public side (SPEC §6): landing, the complaint form, confirmation and tracking."""

import hashlib
from datetime import date

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select

from ..complaints import evidence, operations
from ..complaints.lifecycle import SPECS, Action, State
from ..complaints.models import Channel, Complaint, ContactMethod
from ..complaints.permissions import can
from ..core.extensions import db, limiter
from ..core.forms import PostForm, department_choices
from .forms import PublicComplaintForm, SatisfactionForm, TrackForm

bp = Blueprint("public", __name__)

CONFIRMATION = "confirmation page"
CONFIRMATION_HOURS = 2  # the confirmation page (with the code) can be reopened for this long


def _submit_limit() -> str:
    return current_app.config["RATELIMIT_SUBMIT"]


def _track_limit() -> str:
    return current_app.config["RATELIMIT_TRACK"]


@bp.after_request
def private_pages(response):
    # The confirmation (tracking code) and tracking (the answer) are for one person: keep them out of
    # shared caches and the back button of a shared phone or ward computer.
    if request.endpoint in ("public.confirmation", "public.track", "public.answer"):
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/")
def landing():
    return render_template("public/landing.html")


@bp.route("/complain", methods=["GET", "POST"])
@limiter.limit(_submit_limit, methods=["POST"])
def complain():
    if request.method != "POST":
        return _blank_complaint_page()
    form = PublicComplaintForm()
    if form.is_bot:
        # Answer as if it worked, store nothing: the bot learns nothing to adapt to.
        return redirect(url_for(".landing"))
    if form.validate_on_submit():
        data = form.complaint_data()
        data.update(channel=Channel.online.value, language=str(get_locale() or "zh"))
        try:
            stored = evidence.store(getattr(form, "cleaned_evidence", []))
        except evidence.EvidenceNotStored:
            # Nothing was saved; everything typed comes back (files must be chosen again: browsers never
            # refill a file field).
            form.evidence.errors = list(form.evidence.errors) + [_(
                "We could not store your files just now, so nothing was sent. Send the complaint without the "
                "files (you can bring them to the complaints office), or try again later.")]
            return _complaint_page(form), 503
        try:
            code, held = operations.held_tracking_code(CONFIRMATION)
            result = operations.create(None, {**data, "evidence": stored}, tracking_code=code)
            # What the session keeps, read before the commit expires it: reading it after would start
            # another transaction (on SQLite one that waits for the write lock) only to reload the row.
            submitted = {"reference": result.complaint.reference, "code": held}
            tracking = _held(result.complaint)
            db.session.commit()
        except Exception:
            db.session.rollback()
            evidence.discard(stored)
            raise
        # Shown on the next page; the code itself is stored only as a hash, and the session holds only what
        # the server derives it from.
        session["submitted"] = submitted
        session["tracking"] = tracking
        return redirect(url_for(".confirmation"))
    return _complaint_page(form), 422


# The blank form's fields, rendered: the same for every visitor who reads the page in one language while the
# same departments are offered (about half of the page's CPU to render). Keyed by the language and the
# departments read for this request, so a department renamed or deactivated shows at once in every worker;
# a few entries at most (two languages, and the department list changes rarely).
_blank_fields: dict[tuple, Markup] = {}
_BLANK_FIELDS_KEPT = 8


def _blank_complaint_page() -> str:
    offered = department_choices()
    key = (str(get_locale()), tuple((choice.value, str(choice.label)) for choice in offered))
    # While templates reload (debugging), they may have changed since: rendered every time.
    fields = None if current_app.jinja_env.auto_reload else _blank_fields.get(key)
    if fields is None:
        form = PublicComplaintForm()
        form.subject_department_id.choices = offered  # the departments of the key, not a second reading
        if len(_blank_fields) >= _BLANK_FIELDS_KEPT:
            _blank_fields.clear()
        fields = _blank_fields[key] = _fields(form)
    # Around the fields the page needs only the CSRF token (and no errors): a CSRF-only form renders it the
    # same, without building the complaint form's seventeen fields.
    return render_template("public/complain.html", form=PostForm(), fields=fields)


def _complaint_page(form: PublicComplaintForm) -> str:
    """The form again with what was typed, and its errors: rendered for this request only."""
    return render_template("public/complain.html", form=form, fields=_fields(form))


def _fields(form: PublicComplaintForm) -> Markup:
    return Markup(render_template("public/_complaint_fields.html", form=form))


@bp.get("/complain/done")
def confirmation():
    submitted = session.get("submitted")
    if not submitted:
        return redirect(url_for(".complain"))
    code = operations.shown_tracking_code(submitted.get("code"), CONFIRMATION, max_age=CONFIRMATION_HOURS * 3600)
    if code is None:  # too old (a shared device, a day later), or tampered with
        session.pop("submitted", None)
        return redirect(url_for(".complain"))
    # The four values the page shows, not the whole row as an object.
    complaint = db.session.execute(
        select(Complaint.reference, Complaint.acknowledge_due_on, Complaint.response_due_on, Complaint.anonymous)
        .where(Complaint.reference == submitted["reference"])).first()
    return render_template("public/confirmation.html", complaint=complaint, code=code)


# --- "signed in" to one complaint for the browser session ------------------------------------------------


def _fingerprint(complaint: Complaint) -> str:
    # Tied to the current code's hash: a receipt that issues a new code ends the sessions of the old one.
    return hashlib.sha256((complaint.tracking_code_hash or "").encode()).hexdigest()[:16]


def _held(complaint: Complaint) -> dict:
    return {"id": complaint.id, "fp": _fingerprint(complaint)}


def _remember(complaint: Complaint) -> None:
    session["tracking"] = _held(complaint)


def _tracked() -> Complaint | None:
    held = session.get("tracking")
    if not isinstance(held, dict):
        return None
    complaint = db.session.get(Complaint, held.get("id"))
    if complaint is None or held.get("fp") != _fingerprint(complaint):
        session.pop("tracking", None)
        return None
    return complaint


def _public_view(complaint: Complaint) -> dict:
    """What the complainant may read: status in plain words, dates, extensions, messages meant for them."""
    extensions, declined_told, duplicate_of = [], None, None
    for event in complaint.events:
        # Each action's spec says what, if anything, its event tells the complainant.
        public = SPECS[Action(event.action)].public
        message = public(event.data or {}) if public else None
        if message is None:
            continue
        if message["kind"] == "extension":
            extensions.append(message)
        elif message["kind"] == "declined":
            declined_told = message["told"]
        elif message["kind"] == "duplicate":
            duplicate_of = message["original"]
    expected = None
    if complaint.is_open and complaint.state not in (State.responded,):
        expected = complaint.response_due_on
    return dict(
        complaint=complaint,
        status_text=(_("Handled together with complaint %(reference)s, about the same matter.", reference=duplicate_of)
                     if duplicate_of else complaint.state.public_text),
        duplicate_of=duplicate_of,
        expected=expected,
        extensions=extensions,
        answer=complaint.told_text if complaint.responded_at else None,
        declined_told=declined_told,
        can_answer=complaint.state == State.responded and can(None, Action.follow_up, complaint),
    )


@bp.app_template_filter("isodate")
def isodate(value):
    """An ISO date kept in an event's data, as a date (for the |date filter)."""
    try:
        return date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


@bp.route("/track", methods=["GET", "POST"])
@limiter.limit(_track_limit, methods=["POST"])
def track():
    form = TrackForm()
    if form.validate_on_submit():
        candidate = db.session.scalar(select(Complaint).where(Complaint.reference == form.reference.data.upper()))
        if operations.check_tracking_code(candidate, form.code.data):
            _remember(candidate)  # the follow-up pages work without typing the code again
            return render_template("public/track.html", form=form, answer_form=SatisfactionForm(),
                                   **_public_view(candidate))
        # The same words for an unknown reference and a wrong code.
        form.code.errors = [_("We could not find a complaint with that reference and tracking code.")]
        return render_template("public/track.html", form=form), 422
    if form.is_submitted():
        return render_template("public/track.html", form=form), 422  # as every other form with errors
    complaint = _tracked()
    if complaint is None:
        if request.args.get("reference"):
            form.reference.data = request.args["reference"][:20]  # from a receipt's QR code
        return render_template("public/track.html", form=form)
    answer_form = SatisfactionForm()
    return render_template("public/track.html", form=form, answer_form=answer_form, **_public_view(complaint))


@bp.post("/track/answer")
@limiter.limit(_track_limit)
def answer():
    """The follow-up, online: only for the complaint this browser session proved it holds the code of."""
    complaint = _tracked()
    if complaint is None:
        return redirect(url_for(".track"))
    form = SatisfactionForm()
    if not form.validate_on_submit():
        return render_template("public/track.html", form=TrackForm(), answer_form=form,
                               **_public_view(complaint)), 422
    data = {"method": ContactMethod.online.value, "satisfied": form.satisfied.data == "yes",
            "comment": form.comment.data}
    try:
        operations.perform(None, Action.follow_up, complaint, data, complaint.version)
        db.session.commit()
    except (operations.ActionRefused, operations.Conflict):
        # Answered already (another tab), or the complaint moved on: show it as it is now.
        db.session.rollback()
        return redirect(url_for(".track"))
    if data["satisfied"]:
        flash(_("Thank you. Your complaint is now closed."), "success")
    else:
        flash(_("Thank you for telling us. Your complaint has been reopened and passed to the hospital's "
                "leadership; we will contact you again."), "success")
    return redirect(url_for(".track"))


@bp.post("/track/leave")
def leave():
    """Forget the complaint on this device (a shared phone or a ward's computer): the tracking, and the
    confirmation page with its code."""
    if PostForm().validate_on_submit():
        session.pop("tracking", None)
        session.pop("submitted", None)
    return redirect(url_for(".track"))
