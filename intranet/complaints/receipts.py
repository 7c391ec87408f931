"""Walk-in and phone complainants get the same tracking: a printed receipt, and a poster for the wards."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, session, url_for
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import select
from wtforms import BooleanField

from ..core.extensions import db
from ..core.forms import PostForm
from . import operations, tracking_codes
from .models import Complaint
from .permissions import VIEW, can

bp = Blueprint("receipts", __name__)
RECEIPT = "printed receipt"
RECEIPT_MINUTES = 10  # the receipt page (with the new code) can be printed for this long after issuing it


def public_url(endpoint: str, **values) -> str:
    """An address a phone outside the hospital network can open: REDRESS_PUBLIC_URL; else this request's
    host, but only when it is one of TRUSTED_HOSTS or outside production — a Host header is whatever the
    client sent, and what is printed on a receipt must not be."""
    config = current_app.config
    base = config.get("PUBLIC_BASE_URL")
    if base:
        return base.rstrip("/") + url_for(endpoint, **values)
    if config.get("ENV_NAME") == "production" and not config.get("TRUSTED_HOSTS"):
        abort(503, description="REDRESS_PUBLIC_URL")
    return url_for(endpoint, _external=True, **values)


def qr_data_uri(url: str) -> str:
    # An SVG data URI in an <img>: no inline markup or style for the CSP to refuse, and it prints sharply.
    import segno  # only when a receipt or poster is printed: 1 MiB a worker would otherwise hold

    return segno.make(url, error="m").svg_data_uri(scale=6, border=2)


class ReceiptForm(PostForm):
    replace_code = BooleanField(_l("The complainant asked for a new code (theirs is lost): the old code will stop "
                                   "working"))


def _sheets(template: str, **context) -> list[Markup]:
    """The printable sheet in both languages: the patient reads it, whatever the staff's language."""
    sheets = []
    for language in ("zh", "en"):
        with force_locale(language):
            sheets.append(Markup(render_template(template, language=language, **context)))
    return sheets


def _complaint(reference: str) -> Complaint:
    complaint = db.session.scalar(select(Complaint).where(Complaint.reference == reference))
    if complaint is None or not can(current_user, VIEW, complaint):
        abort(404)
    return complaint


@bp.post("/complaints/<reference>/receipt")
@login_required
def receipt(reference: str):
    """Issue the new code, then redirect: a reload of the receipt must not issue yet another one."""
    complaint = _complaint(reference)
    form = ReceiptForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        code, held = tracking_codes.held_tracking_code(RECEIPT)
        tracking_codes.reissue_tracking_code(current_user, complaint, replace_held_code=bool(form.replace_code.data),
                                         code=code)
        db.session.commit()
    except operations.ActionRefused:
        db.session.rollback()
        abort(403)
    except operations.ActionInvalid as invalid:
        db.session.rollback()
        flash(invalid.errors["replace_code"], "error")
        return redirect(url_for("complaints.detail", reference=reference, _anchor="receipt-heading"))
    # Shown once, on the next page; only its hash is stored.
    session["receipt"] = {"reference": complaint.reference, "code": held}
    return redirect(url_for(".show_receipt", reference=complaint.reference))


@bp.get("/complaints/<reference>/receipt")
@login_required
def show_receipt(reference: str):
    complaint = _complaint(reference)
    held = session.pop("receipt", None)  # a reload shows no code: the printed one is the only copy
    code = (tracking_codes.shown_tracking_code(held.get("code"), RECEIPT, max_age=RECEIPT_MINUTES * 60)
            if held and held.get("reference") == reference else None)
    if code is None:
        return render_template("complaints/receipt.html", complaint=complaint, sheets=None)
    track_url = public_url("public.track", reference=complaint.reference)
    sheets = _sheets("complaints/_receipt_sheet.html", complaint=complaint, code=code,
                     track_url=track_url, qr=qr_data_uri(track_url))
    return render_template("complaints/receipt.html", complaint=complaint, sheets=sheets)


@bp.get("/poster")
@login_required
def poster():
    url = public_url("public.complain")
    sheets = _sheets("complaints/_poster_sheet.html", url=url, qr=qr_data_uri(url),
                     track_url=public_url("public.track"))
    return render_template("complaints/poster.html", sheets=sheets)
