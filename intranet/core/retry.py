"""Two people acting at once: when PostgreSQL ends one transaction as a deadlock or a serialization failure,
the request that lost is done again, once, from the start (its transaction is rolled back whole, so nothing
of the first try is kept). A second loss is answered as a conflict (core/errors.py), never as an outage.

Only requests that change something (POST and the like) are tried again, and only because everything they
do is in the one database transaction: notifications go to the outbox in it, and evidence files are
written in it (the database store) or stored before it and removed again when it fails (the folder store:
complaints/evidence.py, discard). A page that does something
the database cannot take back must be marked @not_retried."""

from __future__ import annotations

import functools

from flask import Flask, current_app, g, request

from .errors import is_conflict
from .extensions import db

READING = ("GET", "HEAD", "OPTIONS")


def not_retried(view):
    """A page whose work is not all in the database transaction: a conflict is answered, not retried."""
    view.not_retried = True
    return view


def _rewind_uploads() -> None:
    # The first try read the files sent; the second reads them again from the start.
    for upload in request.files.values():
        upload.stream.seek(0)


def _once_more(view):
    @functools.wraps(view)
    def tried_again_on_conflict(*args, **kwargs):
        if request.method in READING or getattr(view, "not_retried", False):
            return view(*args, **kwargs)
        try:
            return view(*args, **kwargs)
        except Exception as error:
            if not is_conflict(error):
                raise
            current_app.logger.info("conflicting transactions, %s tried again: %s", request.endpoint,
                                    getattr(error, "orig", error))
            db.session.rollback()
            _rewind_uploads()
            g.tried_again = True
            return view(*args, **kwargs)

    return tried_again_on_conflict


def retry_conflicts(app: Flask) -> None:
    """Every view that may write, wrapped once the blueprints are registered."""
    for endpoint, view in list(app.view_functions.items()):
        app.view_functions[endpoint] = _once_more(view)
