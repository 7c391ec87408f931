"""Admin pages: the deadline policy (/admin/deadlines), the working-day calendar (/admin/calendar) and the
notification outbox (/admin/outbox)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ..complaints.permissions import ADMINISTER, can
from ..core.extensions import db
from ..core.forms import PostForm, bounded_int
from ..core.time import today
from ..deadlines import calendar, policy
from ..deadlines.models import Clock, HospitalDay
from ..notifications import relay
from ..notifications.models import OutboxMessage, OutboxStatus
from .forms import DeadlinePolicyForm, HospitalDayForm

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def admins_only():
    if not can(current_user, ADMINISTER):
        abort(403)


@bp.route("/deadlines", methods=["GET", "POST"])
def deadlines():
    current = policy.all_working_days()
    form = DeadlinePolicyForm(data={clock.value: days for clock, days in current.items()})
    if form.validate_on_submit():
        changed = {clock: days for clock, days in form.working_days().items() if current[clock] != days}
        for clock, days in changed.items():
            policy.set_working_days(clock, days, current_user)
        db.session.commit()
        flash(_("Deadline policy saved. It applies to deadlines set from now on; stored due dates do not "
                "change.") if changed else _("Nothing changed."), "success")
        return redirect(url_for(".deadlines"))
    status = 422 if form.is_submitted() else 200
    return render_template("admin/deadlines.html", form=form, current=current, clocks=list(Clock),
                           warnings=calendar.warnings(today())), status


def _calendar_page(form: HospitalDayForm, status: int = 200):
    now = today()
    days = db.session.scalars(select(HospitalDay).order_by(HospitalDay.day.desc())).all()
    years = [(year, calendar.coverage(year)) for year in (now.year, now.year + 1)]
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
