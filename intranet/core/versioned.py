"""How an administrator's change to a record is checked and refused, for every domain's admin pages: the
change names the version of the record the administrator saw; if someone changed it since, nothing is saved
and `Stale` says what happened first (the record's last AdminEvent)."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import update

from .admin_events import AdminEvent, history
from .extensions import db
from .time import show_datetime


class Refused(Exception):
    """The change may not be made; `errors` maps a form field (or "" for the whole form) to the reason."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(errors)
        self.errors = errors

    @property
    def message(self) -> str:
        return " ".join(str(m) for m in self.errors.values())

    def put_on(self, form) -> None:
        """Each reason beside its field, and what concerns the whole form above it."""
        for name, message in self.errors.items():
            field = form[name] if name and name in form else None
            if field is not None:
                field.errors = list(field.errors) + [str(message)]
            else:
                form.form_errors.append(str(message))


class Stale(Exception):
    """Someone changed the record since the administrator opened it."""

    def __init__(self, subject, last: AdminEvent | None):
        super().__init__(subject)
        self.subject, self.last = subject, last


    def message(self, event_labels: dict) -> str:
        """What the administrator is told: who changed the record, when, and what they did."""
        last = self.last
        if last is None:
            return _("Someone else changed this since you opened the page, so your change was not saved. "
                     "This is how it is now: check it before you try again.")
        return _("%(who)s changed this at %(time)s (%(what)s), so your change was not saved. This is how it is "
                 "now: check it before you try again.",
                 who=last.actor.display_name if last.actor else _("a command on the server"),
                 time=show_datetime(last.at), what=event_labels.get(last.action, last.action))


def stale(subject) -> Stale:
    return Stale(subject, next(iter(history(subject, limit=1)), None))


def claim(subject, seen_version: int | None) -> None:
    """Take the record at the version the administrator saw, or raise Stale: one conditional UPDATE, so two
    administrators saving at once cannot both win."""
    model = type(subject)
    if seen_version is not None:
        done = db.session.execute(
            update(model).where(model.id == subject.id, model.version == seen_version)
            .values(version=model.version + 1).execution_options(synchronize_session=False)
        ).rowcount
        if done != 1:
            db.session.rollback()
            raise stale(subject)
    else:  # the command line: whatever the record is now
        db.session.execute(update(model).where(model.id == subject.id).values(version=model.version + 1)
                           .execution_options(synchronize_session=False))
    db.session.expire(subject, ["version"])
