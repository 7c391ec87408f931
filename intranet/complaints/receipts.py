"""Walk-in and phone complainants get the same tracking: a printed receipt, and a poster for the wards."""

from __future__ import annotations

import segno
from flask import Blueprint, abort, current_app, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from ..core.extensions import db
from ..core.forms import PostForm
from . import operations
from .models import Complaint
from .permissions import VIEW, can

bp = Blueprint("receipts", __name__)


def public_url(endpoint: str, **values) -> str:
    """An address a phone outside the hospital network can open (REDRESS_PUBLIC_URL), else this host's."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if base:
        return base.rstrip("/") + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def qr_data_uri(url: str) -> str:
    # An SVG data URI in an <img>: no inline markup or style for the CSP to refuse, and it prints sharply.
    return segno.make(url, error="m").svg_data_uri(scale=6, border=2)


@bp.post("/complaints/<reference>/receipt")
@login_required
def receipt(reference: str):
    complaint = db.session.scalar(select(Complaint).where(Complaint.reference == reference))
    if complaint is None or not can(current_user, VIEW, complaint):
        abort(404)
    if not PostForm().validate_on_submit():
        abort(400)
    try:
        result = operations.reissue_tracking_code(current_user, complaint)
        db.session.commit()
    except operations.ActionRefused:
        db.session.rollback()
        abort(403)
    track_url = public_url("public.track", reference=complaint.reference)
    return render_template("complaints/receipt.html", complaint=complaint, code=result.tracking_code,
                           track_url=track_url, qr=qr_data_uri(track_url))


@bp.get("/poster")
@login_required
def poster():
    url = public_url("public.complain")
    return render_template("complaints/poster.html", url=url, qr=qr_data_uri(url),
                           track_url=public_url("public.track"))
