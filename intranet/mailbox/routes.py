"""The mail set aside as no complaint (auto-replies, bounces, mailing lists), for reception to look at and,
when one is a person's complaint after all, to turn into one."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ..complaints import evidence
from ..complaints.lifecycle import Action
from ..complaints.permissions import can
from ..core.extensions import db
from ..core.forms import PostForm
from .models import TakenMail
from .reading import SET_ASIDE
from .taking import AlreadyTaken, take_set_aside

bp = Blueprint("mailbox", __name__, url_prefix="/mailbox")
SHOWN = 200


def _allowed() -> None:
    # Turning one into a complaint is logging a complaint: whoever may log one may look at them.
    if not can(current_user, Action.log):
        abort(403)


@bp.get("/set-aside")
@login_required
def set_aside():
    _allowed()
    mails = db.session.scalars(
        select(TakenMail).where(TakenMail.set_aside_because.is_not(None))
        .order_by(TakenMail.complaint_id.is_not(None), TakenMail.received_at.desc()).limit(SHOWN)).all()
    return render_template("mailbox/set_aside.html", mails=mails, reasons=SET_ASIDE, form=PostForm())


@bp.post("/set-aside/<int:mail_id>/take")
@login_required
def take(mail_id: int):
    _allowed()
    form = PostForm()
    if not form.validate_on_submit():
        abort(400)
    mail = db.session.get(TakenMail, mail_id)
    if mail is None or mail.set_aside_because is None:
        abort(404)
    if mail.complaint_id is not None:
        flash(_("This email was already turned into complaint %(reference)s.",
                reference=mail.complaint.reference), "info")
        return redirect(url_for(".set_aside"))
    stored = []
    try:
        result, stored = take_set_aside(current_user, mail)
        reference = result.complaint.reference
        db.session.commit()
    except AlreadyTaken:
        db.session.rollback()
        evidence.discard(stored)
        flash(_("Someone turned this email into a complaint a moment ago."), "info")
        return redirect(url_for(".set_aside"))
    except Exception:
        db.session.rollback()
        evidence.discard(stored)
        raise
    flash(_("Complaint %(reference)s was made of this email.", reference=reference), "success")
    return redirect(url_for("complaints.detail", reference=reference))
