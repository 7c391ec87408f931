"""A handler who can no longer handle what was handed to them: their account deactivated, given another role
or moved to another department. Every open complaint handed to them goes back to its head at once, in the
transaction that changed the account, as the system's step `handler_left` (the event says why and who
changed the account; the head is told). A closed complaint keeps its record as it was.

The writers of an account (admin/accounts.py, the directory at sign-in) stand above or beside this layer and
call `core.users.account_changed()`; the app registers `return_to_the_head` with it when it is made."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..core.extensions import db
from ..core.roles import SYSTEM
from ..core.users import User
from ..core.versioned import Refused
from . import operations
from .lifecycle import Action
from .models import Complaint


def return_to_the_head(user: User, actor: User | None, *, directory: bool = False) -> list[str]:
    """The references of the open complaints handed to `user` that went back to their heads: those of which
    `user` is no longer a current member of the department's staff (none, if they still are)."""
    handed = db.session.scalars(select(Complaint).where(Complaint.handler_id == user.id, Complaint.open_clause())
                                .order_by(Complaint.id)).all()
    returned = []
    for complaint in handed:
        if complaint.handled_by(user):
            continue
        data = {"account_changed_by": actor.display_name if actor is not None else None,
                "by_directory": True if directory else None}
        try:
            # No version to expect: whatever the complaint is now, it is no longer theirs to handle.
            operations.perform(SYSTEM, Action.handler_left, complaint, data, None)
        except operations.Conflict:
            # A head acted on it at the same moment: perform() rolled the whole change back.
            raise Refused({"": _l("A complaint handed to this account changed at the same moment, so nothing was "
                                  "saved. Try again.")}) from None
        returned.append(complaint.reference)
    return returned
