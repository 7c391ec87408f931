"""An evidence file, downloaded: only by staff who may see its complaint and the file (a file that may identify a
confidential complainant is withheld from the department), always as an attachment."""

from __future__ import annotations

import os

from flask import Blueprint, abort
from flask_login import current_user, login_required
from sqlalchemy import select

from ..core import evidence_store
from ..core.extensions import db
from .evidence import Evidence
from .models import Complaint
from .people import ComplaintPerson, PersonFile
from .permissions import SEE_FILE, VIEW, can, may_see_person

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
    return _send(item)


@bp.get("/complaints/<reference>/people/<int:person_id>/files/<int:file_id>")
@login_required
def statement_file(reference: str, person_id: int, file_id: int):
    """A file given with a person's statement: only to those who may see who that person is."""
    item = db.session.scalar(
        select(PersonFile).join(ComplaintPerson).join(Complaint)
        .where(PersonFile.id == file_id, ComplaintPerson.id == person_id, Complaint.reference == reference))
    if item is None or not may_see_person(current_user, item.person.complaint, item.person):
        abort(404)
    return _send(item)


def _send(item):
    # The extension of what we stored (a WebP photo is served as the JPEG we made of it).
    name = os.path.splitext(item.original_name)[0] + os.path.splitext(item.stored_name)[1]
    # Not in this server's store (the folder store of another server, or a file lost): not found.
    response = evidence_store.current().response(item.stored_name, item.content_type, name)
    if response is None:
        abort(404)
    response.headers["Cache-Control"] = "no-store"
    return response
