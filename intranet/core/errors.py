"""The hospital's own error pages: every refusal and failure in plain words, in the visitor's language."""

from contextlib import suppress

from flask import Flask, current_app, g, render_template, request, session
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from jinja2_fragments import render_block
from markupsafe import escape
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, SecurityError

from .extensions import db
from .hospital import last_known
from .pages import render_page


def error_page(code: int, message: str):
    return render_template("error.html", code=code, message=message), code


def not_found(error):
    return error_page(404, _("This page does not exist."))


def _logged_in() -> bool:
    return bool(getattr(current_user, "is_authenticated", False))


def csrf_failed(error):
    # Usually a form left open past a logout, or a page from another session: say so in plain words.
    message = _("This form has expired or did not come from this site, so nothing was saved. "
                "Go back, reload the page and try again.")
    if request.headers.get("HX-Request") and not _logged_in() and not (request.endpoint or "").startswith("public."):
        # A staff page whose session ended (its cookie gone, and the form's token with it): to the login page.
        return current_app.login_manager.unauthorized()
    if request.headers.get("HX-Request"):
        # In place of the card or row the person acted on: the error variant of the element targeted.
        target = request.headers.get("HX-Target") or ""
        reference = target.removeprefix("row-") if target.startswith("row-") else ""
        body = render_page(["complaints/detail.html", "complaints/queue.html"], variant="gone",
                           fallback="complaint_gone", message=message, kind="error", reference=reference)
        return body, 400
    return error_page(400, message)


def too_large(error):
    return error_page(413, _("The files you sent are too large. Send up to 5 files of 5MB each, or bring them "
                             "to the complaints office."))


def too_many_attempts(error):
    if getattr(error, "response", None) is not None:  # the page's own answer (the complaint form, kept)
        return error.response
    return error_page(429, _("Too many attempts from your connection. Wait a few minutes and try again, or "
                             "call the complaints office."))


def forbidden(error):
    return error_page(403, _("You are not allowed to do that."))


def _http_error_message(error: HTTPException, code: int) -> str:
    if code == 405:
        return _("This address does not accept that kind of request. Go back and use the page's own links and "
                 "buttons.")
    if code == 503 and error.description == "REDRESS_PUBLIC_URL":
        return _("This cannot be printed until the administrator sets the site's public address "
                 "(REDRESS_PUBLIC_URL).")
    if code == 503:
        return _("The service is not available just now. Try again in a few minutes, or call the complaints "
                 "office.")
    if code == 400:
        return _("The request could not be understood. Go back, reload the page and try again.")
    return _("Something went wrong (error %(code)s). Go back and try again.", code=code)


def other_http_error(error):
    # Every other refusal (405 wrong method, 400 bad request…) on the hospital's page, in the visitor's
    # language, not the framework's bare English.
    code = error.code or 500
    message = _http_error_message(error, code)
    if isinstance(error, SecurityError):  # a Host that is not this site's: no page of ours to build for it
        return message, code, {"Content-Type": "text/plain; charset=utf-8"}
    return error_page(code, message)


# PostgreSQL's answers to two transactions that got in each other's way: a deadlock (40P01) or a
# serialization failure (40001). Each is a conflict between people acting at once, not an outage: the
# database is up and the transaction that lost may simply be tried again (core/retry.py does, once).
CONFLICT_STATES = ("40001", "40P01")


def is_conflict(error: BaseException) -> bool:
    return isinstance(error, DBAPIError) and getattr(error.orig, "sqlstate", None) in CONFLICT_STATES


def _forget_the_database() -> None:
    """Nothing after this may touch the database again: the transaction is rolled back (an invalidated
    connection may refuse even that), and the visitor is anonymous for the rest of the request, so that no
    template, header or hook loads the user (Flask-Login's loader would ask the database that just failed)."""
    with suppress(Exception):
        db.session.rollback()
    g._login_user = current_app.login_manager.anonymous_user()


def _language() -> str:
    return session.get("lang") or request.accept_languages.best_match(["zh", "en"]) or "zh"


def _in_place(block: str, **context) -> str:
    # A block of unavailable.html rendered without the context processors (they would load the user).
    return render_block(current_app.jinja_env, "unavailable.html", block, **context)


def _status_area_headers() -> dict:
    """An htmx request's answer goes to the page's status area (base.html's #htmx-error), not into the
    element it meant to replace: a short message in place, never a whole page pasted into a page."""
    return {"HX-Retarget": "#htmx-error", "HX-Reswap": "innerHTML"}


def database_unavailable(error):
    """The database went away (restarted, unreachable): the hospital's 503 page, the real cause in the
    log, and the next request tries again (the pool re-checks its connections). Two transactions in each
    other's way are a conflict (409), not an outage."""
    if is_conflict(error):
        return changed_at_the_same_moment(error)
    if not error.connection_invalidated and not isinstance(error, OperationalError | InterfaceError):
        raise error  # a query the database refused: a bug, not an outage
    current_app.logger.error("database unavailable: %s", error.orig, exc_info=error)
    _forget_the_database()
    language = _language()
    headers = {"Retry-After": "30", "Cache-Control": "no-store"}
    with force_locale(language):
        if request.headers.get("HX-Request"):
            body = _in_place("unavailable_notice", hospital=last_known)
            return body, 503, {**headers, **_status_area_headers()}
        body = current_app.jinja_env.get_template("unavailable.html").render(language=language, hospital=last_known)
    return body, 503, headers


def changed_at_the_same_moment(error):
    """A deadlock or serialization failure that happened again when tried again: say so; nothing was saved."""
    current_app.logger.warning("conflicting transactions: %s", error.orig)
    with suppress(Exception):
        db.session.rollback()
    message = _("Someone else changed this at the same moment, so nothing you sent was saved. Reload the page "
                "and try again.")
    if request.headers.get("HX-Request"):
        return escape(message), 409, _status_area_headers()
    return error_page(409, message)


def server_error(error):
    # A database that failed again inside another page's handler (a 403 or a CSRF refusal asks who is
    # logged in): still the outage's own page, never a bare 500.
    cause = getattr(error, "original_exception", None)
    if isinstance(cause, DBAPIError) and (is_conflict(cause) or cause.connection_invalidated
                                          or isinstance(cause, OperationalError | InterfaceError)):
        return database_unavailable(cause)
    return error_page(500, _("Something went wrong on our side, and nothing was saved. Try again in a few "
                             "minutes, or call the complaints office."))


ERROR_PAGES = (
    (404, not_found),
    (CSRFError, csrf_failed),
    (413, too_large),
    (429, too_many_attempts),
    (403, forbidden),
    (HTTPException, other_http_error),
    (DBAPIError, database_unavailable),
    (500, server_error),
)


def register_error_pages(app: Flask) -> None:
    for code_or_exception, handler in ERROR_PAGES:
        app.register_error_handler(code_or_exception, handler)
