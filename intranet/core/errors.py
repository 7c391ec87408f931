"""The hospital's own error pages: every refusal and failure in plain words, in the visitor's language."""

from contextlib import suppress

from flask import Flask, current_app, render_template, request, session
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
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


def database_unavailable(error):
    """The database went away (restarted, unreachable): the hospital's 503 page, the real cause in the
    log, and the next request tries again (the pool re-checks its connections)."""
    if not error.connection_invalidated and not isinstance(error, OperationalError | InterfaceError):
        raise error  # a query the database refused: a bug, not an outage
    current_app.logger.error("database unavailable: %s", error.orig, exc_info=error)
    with suppress(Exception):
        db.session.rollback()
    language = session.get("lang") or request.accept_languages.best_match(["zh", "en"]) or "zh"
    with force_locale(language):
        body = render_template("unavailable.html", language=language, hospital=last_known)
    return body, 503, {"Retry-After": "30", "Cache-Control": "no-store"}


def server_error(error):
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
