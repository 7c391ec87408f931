"""The public side (SPEC §6): landing, the complaint form, confirmation and tracking."""

import hashlib
import time
from datetime import UTC, datetime

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_limiter import RequestLimit
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy import select

from ..complaints import evidence, operations, registration, tracking_codes
from ..complaints.lifecycle import SPECS, Action, State, offered
from ..complaints.models import Channel, Complaint
from ..core.extensions import db, limiter
from ..core.forms import PostForm, offered_departments
from ..core.hospital import hospital
from ..core.time import show_datetime
from .forms import PublicComplaintForm, TrackForm

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
    if request.endpoint in ("public.confirmation", "public.track", "public.act"):
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/")
def landing():
    return render_template("public/landing.html")


def _sent(response) -> bool:
    # Only a complaint sent counts toward the limit: a form refused for a missing answer is not another
    # complaint, and an upset person correcting it three times must not be locked out.
    return response.status_code in (302, 303)


def _exempt_address() -> bool:
    """A kiosk in the hall or the hospital's own Wi-Fi, which an administrator listed: many people, one
    address."""
    return hospital().exempts(request.remote_addr)


def _limit_reached(limit: RequestLimit) -> Response:
    """The form again with everything typed, and when it can be sent: never a bare error page."""
    form = PublicComplaintForm()
    form.website.data = ""
    again = show_datetime(datetime.fromtimestamp(limit.reset_at, UTC))
    office = hospital()
    problem = _("Several complaints were sent from this connection in a short time, so this one has not been "
                "sent yet. Everything you typed is still here (choose any files again): send it after "
                "%(time)s, or call the complaints office on %(phone)s.", time=again, phone=office.office_phone)
    response = make_response(_complaint_page(form, problem), 429)
    response.headers["Retry-After"] = str(max(1, int(limit.reset_at - time.time())))
    return response


@bp.route("/complain", methods=["GET", "POST"])
@limiter.limit(_submit_limit, methods=["POST"], deduct_when=_sent, exempt_when=_exempt_address,
               on_breach=_limit_reached)
def complain():
    if request.method != "POST":
        return _blank_complaint_page()
    form = PublicComplaintForm()
    if form.is_bot:
        # Autofill can fill the hidden field for a person too: nothing is stored, but the form comes back
        # with what was typed and what to do, and the attempt is in the log.
        current_app.logger.warning("complaint form refused: the hidden field was filled (from %s)",
                                   request.remote_addr)
        form.website.data = ""
        problem = _("We could not send this form as it was. Check it and send it again, or call the complaints "
                    "office on %(phone)s.", phone=hospital().office_phone)
        return _complaint_page(form, problem), 422
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
            code, held = tracking_codes.held_tracking_code(CONFIRMATION)
            result = registration.create(None, {**data, "evidence": stored}, tracking_code=code)
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
# departments offered (as this process last read them: core.forms.offered_departments), so a department
# renamed or deactivated shows in every worker as soon as the worker reads them again; a few entries at most
# (two languages, and the department list changes rarely).
_blank_fields: dict[tuple, Markup] = {}
_BLANK_FIELDS_KEPT = 8
_blank_pages: dict[tuple, str] = {}
TOKEN_HERE = "\x00csrf token\x00"  # a NUL byte is in no page: the mark cannot be anything else


def _blank_complaint_page() -> str:
    offered = offered_departments()
    key = (str(get_locale()), tuple((choice.value, str(choice.label)) for choice in offered))
    # While templates reload (debugging), they may have changed since: rendered every time.
    fields = None if current_app.jinja_env.auto_reload else _blank_fields.get(key)
    if fields is None:
        form = PublicComplaintForm()
        form.subject_department_id.choices = offered  # the departments of the key, not a second reading
        if len(_blank_fields) >= _BLANK_FIELDS_KEPT:
            _blank_fields.clear()
        fields = _blank_fields[key] = _fields(form)
    # The whole page is the same for every visitor not logged in with no message waiting, but for the CSRF
    # token (twice: the form's, and htmx's header): kept with a mark where it goes, and each request's own put
    # there. Keyed also by the hospital's details that the header prints.
    whole = (not current_app.jinja_env.auto_reload and not current_user.is_authenticated
             and "_flashes" not in session)
    page_key = (key, hospital())
    page = _blank_pages.get(page_key) if whole else None
    if page is not None:
        return page.replace(TOKEN_HERE, generate_csrf())
    # Around the fields the page needs only the CSRF token (and no errors): a CSRF-only form renders it the
    # same, without building the complaint form's seventeen fields.
    page = render_template("public/complain.html", form=PostForm(), fields=fields)
    if whole:
        if len(_blank_pages) >= _BLANK_FIELDS_KEPT:
            _blank_pages.clear()
        _blank_pages[page_key] = page.replace(generate_csrf(), TOKEN_HERE)
    return page


def _complaint_page(form: PublicComplaintForm, problem: str | None = None) -> str:
    """The form again with what was typed, and its errors: rendered for this request only."""
    return render_template("public/complain.html", form=form, fields=_fields(form), problem=problem)


def _fields(form: PublicComplaintForm) -> Markup:
    return Markup(render_template("public/_complaint_fields.html", form=form))


@bp.get("/complain/done")
def confirmation():
    submitted = session.get("submitted")
    if not submitted:
        return redirect(url_for(".complain"))
    code = tracking_codes.shown_tracking_code(submitted.get("code"), CONFIRMATION, max_age=CONFIRMATION_HOURS * 3600)
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
    """What the complainant may read: status in plain words, dates, and the messages meant for them."""
    messages, status_text = [], complaint.state.public_text
    events = complaint.events
    for i, event in enumerate(events):
        # Each action's spec says what, if anything, its events tell the complainant, and for how long: the
        # latest state wins over an older message.
        public = SPECS[Action(event.action)].public
        later = events[i + 1:]
        if public is None or not public.holds({e.action for e in later}, complaint.is_open):
            continue
        entry = public.entry(event.action, event)
        if entry is not None:
            messages.append(entry)
            # Its status line only while nothing has changed the state since.
            if entry.status and not any(e.to_state != e.from_state for e in later):
                status_text = entry.status
    expected = None
    if complaint.is_open and complaint.state not in (State.responded,):
        expected = complaint.response_due_on
    return dict(
        complaint=complaint,
        status_text=status_text,
        expected=expected,
        messages=messages,
        answer=complaint.told_text if complaint.responded_at else None,
    )


def _track_page(complaint: Complaint, form: TrackForm, failed: tuple | None = None) -> str:
    """The complaint as its complainant may read it, with a form for each action they may send now (the
    follow-up, an answer to a request for information); `failed`: (action, form) sent with errors."""
    forms = []
    for action in offered(None, complaint):
        make = action.spec.public_form
        if make is not None:
            # formdata=None: a form not sent must not pick up the fields of the one that was.
            forms.append((action, failed[1] if failed and failed[0] == action else make(formdata=None)))
    # A duplicate's complainant follows the complaint that handles theirs, with their own code: its progress
    # and answer, never its complainant or its forms (the follow-up is its own complainant's to give).
    original = complaint.duplicate_of if complaint.state == State.duplicate else None
    return render_template("public/track.html", form=form, public_forms=forms, failed=failed and failed[1],
                           handled_with=_public_view(original) if original is not None else None,
                           **_public_view(complaint))


@bp.route("/track", methods=["GET", "POST"])
@limiter.limit(_track_limit, methods=["POST"])
def track():
    form = TrackForm()
    if form.validate_on_submit():
        candidate = db.session.scalar(select(Complaint).where(Complaint.reference == form.reference.data.upper()))
        if tracking_codes.check_tracking_code(candidate, form.code.data):
            _remember(candidate)  # the follow-up pages work without typing the code again
            return _track_page(candidate, form)
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
    return _track_page(complaint, form)


@bp.post("/track/<action_name>")
@limiter.limit(_track_limit)
def act(action_name: str):
    """What the complainant sends on the tracking page (every action whose spec has a public form): only
    for the complaint this browser session proved it holds the code of. Files are checked as the public
    form checks them, stored, and discarded again if the action is not saved."""
    complaint = _tracked()
    if complaint is None:
        return redirect(url_for(".track"))
    try:
        action = Action(action_name)
    except ValueError:
        abort(404)
    spec = action.spec
    if spec.public_form is None:
        abort(404)
    form = spec.public_form()
    if not form.validate_on_submit():
        return _track_page(complaint, TrackForm(formdata=None), failed=(action, form)), 422
    data = form.action_data()
    try:
        stored = evidence.store(getattr(form, "cleaned_evidence", []))
    except evidence.EvidenceNotStored:
        form.evidence.errors = [*form.evidence.errors, _(
            "We could not store your files just now, so nothing was sent. Try again later, or bring them to "
            "the complaints office.")]
        return _track_page(complaint, TrackForm(formdata=None), failed=(action, form)), 503
    try:
        operations.perform(None, action, complaint, {**data, "evidence": stored} if stored else data,
                           complaint.version)
        db.session.commit()
    except (operations.ActionRefused, operations.Conflict):
        # Sent already (another tab), or the complaint moved on: show it as it is now.
        db.session.rollback()
        evidence.discard(stored)
        return redirect(url_for(".track"))
    except Exception:
        db.session.rollback()
        evidence.discard(stored)
        raise
    flash(spec.public_thanks(data), "success")
    return redirect(url_for(".track"))


@bp.post("/track/leave")
def leave():
    """Forget the complaint on this device (a shared phone or a ward's computer): the tracking, and the
    confirmation page with its code."""
    if PostForm().validate_on_submit():
        session.pop("tracking", None)
        session.pop("submitted", None)
    return redirect(url_for(".track"))
