"""An evidence file, downloaded: only by staff who may see its complaint and the file (a file that may identify a
confidential complainant is withheld from the department), always as an attachment."""

from __future__ import annotations

import os

from flask import Blueprint, abort, send_file
from flask_login import current_user, login_required
from sqlalchemy import select

from ..core.extensions import db
from .evidence import Evidence, folder
from .models import Complaint
from .permissions import SEE_FILE, VIEW, can

bp = Blueprint("evidence", __name__)


@bp.get("/complaints/<reference>/evidence/<int:evidence_id>")
@login_required
def download(reference: str, evidence_id: int):
    item = db.session.scalar(
        select(Evidence).join(Complaint).where(Evidence.id == evidence_id, Complaint.reference == reference))
    # 404 whether it does not exist or the person may not see the complaint: nothing to learn either way.
    if item is None or not can(current_user, VIEW, item.complaint):
        abort(404)
    # The page says the file is there and withheld: refused, as the page says, not "not found".
    if not can(current_user, SEE_FILE, item):
        abort(403)
    path = os.path.join(folder(), item.stored_name)
    if not os.path.exists(path):
        abort(404)
    # The extension of what we stored (a WebP photo is served as the JPEG we made of it).
    name = os.path.splitext(item.original_name)[0] + os.path.splitext(item.stored_name)[1]
    response = send_file(path, mimetype=item.content_type, as_attachment=True, download_name=name,
                         max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response
