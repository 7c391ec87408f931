"""The public side (SPEC §6): landing, the complaint form, confirmation and tracking."""

from flask import Blueprint, redirect, render_template, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from ..complaints import operations
from ..complaints.lifecycle import State
from ..complaints.models import Channel, Complaint
from ..extensions import db
from .forms import PublicComplaintForm, TrackForm

bp = Blueprint("public", __name__)


@bp.get("/")
def landing():
    return render_template("public/landing.html")


@bp.route("/complain", methods=["GET", "POST"])
def complain():
    form = PublicComplaintForm()
    if form.validate_on_submit():
        data = form.complaint_data()
        data.update(channel=Channel.online.value, language=str(get_locale() or "zh"))
        result = operations.create(None, data)
        db.session.commit()
        # Shown once on the next page; the code itself is stored only as a hash.
        session["submitted"] = {"reference": result.complaint.reference, "code": result.tracking_code}
        return redirect(url_for(".confirmation"))
    status = 422 if form.is_submitted() else 200
    return render_template("public/complain.html", form=form), status


@bp.get("/complain/done")
def confirmation():
    submitted = session.get("submitted")
    if not submitted:
        return redirect(url_for(".complain"))
    complaint = db.session.scalar(select(Complaint).where(Complaint.reference == submitted["reference"]))
    return render_template("public/confirmation.html", complaint=complaint, code=submitted["code"])


# What a complainant may read about each state: plain words, no staff names, no internal findings.
PUBLIC_STATUS = {
    State.submitted: lambda: _("Received. The complaints office will look at it within one working day."),
    State.registered: lambda: _("Registered by the complaints office."),
    State.assigned: lambda: _("Being looked into by the department concerned."),
    State.investigating: lambda: _("Being looked into by the department concerned."),
    State.awaiting_approval: lambda: _("Being looked into by the department concerned."),
    State.signed_off: lambda: _("An answer is ready; the complaints office will contact you."),
    State.responded: lambda: _("We have answered. Tell us whether you are satisfied."),
    State.closed: lambda: _("Closed."),
    State.not_accepted: lambda: _("Not accepted as a complaint."),
    State.withdrawn: lambda: _("Withdrawn."),
}


@bp.route("/track", methods=["GET", "POST"])
def track():
    form = TrackForm()
    complaint = None
    if form.validate_on_submit():
        candidate = db.session.scalar(select(Complaint).where(Complaint.reference == form.reference.data.upper()))
        if operations.check_tracking_code(candidate, form.code.data):
            complaint = candidate
        else:
            # The same words for an unknown reference and a wrong code.
            form.code.errors = [_("We could not find a complaint with that reference and tracking code.")]
            return render_template("public/track.html", form=form), 422
    elif form.is_submitted():
        return render_template("public/track.html", form=form), 422  # as every other form with errors
    status_text = PUBLIC_STATUS[complaint.state]() if complaint else None
    return render_template("public/track.html", form=form, complaint=complaint, status_text=status_text)
