"""Redress: complaint handling for hospitals."""

import os
from contextlib import suppress

from flask import Flask, abort, g, has_request_context, render_template, request, session
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, SecurityError

from . import config as config_module
from .core.extensions import babel, csrf, db, htmx, limiter, login_manager
from .core.forms import BoundedIntConverter
from .core.pages import render_page
from .core.time import show_date, show_datetime


def select_locale() -> str:
    """?lang=zh|en switches and is remembered; otherwise the browser's Accept-Language."""
    supported = ("zh", "en")
    if not has_request_context():
        return "zh"  # a CLI command (the SLA sweep) or a job: the hospital's language
    wanted = request.args.get("lang")
    if wanted in supported:
        session["lang"] = wanted
        return wanted
    if session.get("lang") in supported:
        return session["lang"]
    # Staff: their account's language, if it has one; otherwise (and for the public) the browser's. Only a
    # user already loaded counts: choosing a language must not need the database (its error page does not).
    user = g.get("_login_user")
    if user is not None and getattr(user, "is_authenticated", False) and user.language in supported:
        return user.language
    # Match on the primary subtag, so zh-CN, zh-Hans-CN and zh all pick Chinese.
    for value, _quality in request.accept_languages:
        primary = value.split("-")[0].split("_")[0].lower()
        if primary in supported:
            return primary
    return "zh"


def create_app(config_name: str | None = None, **overrides) -> Flask:
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder="../templates",
        static_folder="../static",
    )
    app.url_map.converters["int"] = BoundedIntConverter
    # Production is what runs on PostgreSQL unless told otherwise; the embedded SQLite default is for
    # trying it out and development.
    config_name = config_name or os.environ.get("REDRESS_ENV") or (
        "production" if os.environ.get("DATABASE_URL") else "development"
    )
    app.config.from_object(config_module.CONFIGS[config_name])
    app.config["ENV_NAME"] = config_name
    os.makedirs(app.instance_path, exist_ok=True)
    app.config["SQLALCHEMY_DATABASE_URI"] = config_module.database_url(app.instance_path)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = os.path.join(os.path.dirname(app.root_path), "translations")
    app.config.update(overrides)
    if not app.config.get("TRACKING_KEY"):
        app.config["TRACKING_KEY"] = config_module.instance_key(app.instance_path, "tracking.key",
                                                                "REDRESS_TRACKING_KEY")
    if not app.config.get("SECRET_KEY") and config_name == "development":
        # Trying it out: a key of this installation's own, made once (never one written in the source).
        app.config["SECRET_KEY"] = config_module.instance_key(app.instance_path, "secret.key", "SECRET_KEY")
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = config_module.engine_options(app.config["SQLALCHEMY_DATABASE_URI"])
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError("SECRET_KEY must be set in the environment to run in production.")

    db.init_app(app)
    if not app.config["SERVING"]:
        from flask_migrate import Migrate  # `flask db …` (alembic: 12 MiB a worker would carry for nothing)

        Migrate(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"),
                render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale,
                   timezone_selector=lambda: app.config["REDRESS_TIMEZONE"])
    htmx.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)

    from .core.database import configure_engine, count_statements, serve_pages_that_only_read

    with app.app_context():
        configure_engine(db.engine)
        serve_pages_that_only_read(app, db.engine)
        if app.config["COUNT_STATEMENTS"]:
            count_statements(app, db.engine)

    from .core.users import load_user

    login_manager.user_loader(load_user)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"

    from .admin.cli import register_cli
    from .admin.maintenance import register_cli as register_maintenance_cli
    from .admin.routes import bp as admin_bp
    from .auth.routes import bp as auth_bp
    from .complaints.audit import register_cli as register_audit_cli
    from .complaints.corrective.routes import bp as corrective_bp
    from .complaints.downloads import bp as evidence_bp
    from .complaints.receipts import bp as receipts_bp
    from .complaints.routes import bp as complaints_bp
    from .complaints.search import register_cli as register_search_cli
    from .complaints.sweep import register_cli as register_sweep_cli
    from .deadlines.cli import register_cli as register_deadlines_cli
    from .notifications.cli import register_cli as register_outbox_cli
    from .notifications.routes import bp as notifications_bp
    from .public.notices import bp as notices_bp
    from .public.routes import bp as public_bp
    from .reports.routes import bp as reports_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(notices_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(complaints_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(evidence_bp)
    app.register_blueprint(receipts_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(corrective_bp)
    register_cli(app)
    register_maintenance_cli(app)
    register_deadlines_cli(app)
    register_outbox_cli(app)
    register_sweep_cli(app)
    register_audit_cli(app)
    register_search_cli(app)
    if not app.config["SERVING"]:
        from .demo import register_cli as register_demo_cli  # its data files are for `flask demo` only

        register_demo_cli(app)
    _register_template_helpers(app)
    _register_security_headers(app)
    _refuse_nul_bytes(app)
    if app.config["SERVING"]:
        _compile_busiest_templates(app)
    return app


# What a server's worker shows most, compiled when it starts rather than inside its first requests (a
# complaint page's templates take about 50 ms to compile; Jinja keeps them, so this is done once a worker).
# Only these: the rest compile when first used, as before, and hold no memory in a worker that never shows
# them.
BUSIEST_TEMPLATES = (
    "base.html", "_forms.html", "error.html", "public/landing.html", "public/complain.html",
    "public/_complaint_fields.html", "public/confirmation.html", "public/track.html", "auth/login.html",
    "complaints/_macros.html", "complaints/queue.html", "complaints/detail.html", "complaints/search.html",
)


def _compile_busiest_templates(app: Flask) -> None:
    for name in BUSIEST_TEMPLATES:
        app.jinja_env.get_template(name)


def _register_template_helpers(app: Flask) -> None:
    from flask import g
    from flask_babel import get_locale
    from sqlalchemy import literal, select, union_all

    from .complaints import lifecycle, models
    from .complaints.corrective.steps import Step
    from .complaints.permissions import (
        ADMINISTER,
        PRINT_RECEIPT,
        PUBLISH_NOTICES,
        READ_REPORTS,
        SEE_IDENTITY,
        SEE_IDENTITY_VIEWS,
        VIEW,
        can,
        identity_fields,
    )
    from .complaints.timeline import LazyNames, describe
    from .core.departments import Category, Department, name_column
    from .notifications.routes import unread_count

    def reference_names() -> dict[tuple[str, str], str]:
        # Codes and names as plain rows (a page's worth of ORM objects for a lookup table cost more), both
        # tables in one statement.
        both = union_all(*(select(literal(kind), model.__table__.c.code, name_column(model))
                           for kind, model in (("department", Department), ("category", Category))))
        return {(kind, code): label for kind, code, label in db.session.execute(both).all()}

    def describe_event(event):
        if "reference_names" not in g:
            # Read when an event first names a department or category: many timelines name none.
            g.reference_names = LazyNames(reference_names)
        return describe(event, g.reference_names)

    @app.context_processor
    def helpers():
        return {
            "describe_event": describe_event,
            "can": can,
            "identity_fields": identity_fields,
            "VIEW": VIEW,
            "SEE_IDENTITY": SEE_IDENTITY,
            "SEE_IDENTITY_VIEWS": SEE_IDENTITY_VIEWS,
            "ADMINISTER": ADMINISTER,
            "READ_REPORTS": READ_REPORTS,
            "PUBLISH_NOTICES": PUBLISH_NOTICES,
            "PRINT_RECEIPT": PRINT_RECEIPT,
            "Action": lifecycle.Action,
            "Step": Step,
            "State": lifecycle.State,
            "Role": lifecycle.Role,
            "choices": models,
            "current_lang": str(get_locale() or "zh"),
            "unread_notifications": lambda: unread_count(current_user),
        }

    app.jinja_env.filters["date"] = show_date
    app.jinja_env.filters["datetime"] = lambda d, fmt=None: show_datetime(d)

    @app.errorhandler(404)
    def not_found(error):
        return render_template("error.html", code=404, message=_("This page does not exist.")), 404

    @app.errorhandler(CSRFError)
    def csrf_failed(error):
        # Usually a form left open past a logout, or a page from another session: say so in plain words.
        message = _("This form has expired or did not come from this site, so nothing was saved. "
                    "Go back, reload the page and try again.")
        if request.headers.get("HX-Request"):
            # In place of the card or row the person acted on: the error variant of the element targeted.
            target = request.headers.get("HX-Target") or ""
            reference = target.removeprefix("row-") if target.startswith("row-") else ""
            body = render_page(["complaints/detail.html", "complaints/queue.html"], variant="gone",
                               fallback="complaint_gone", message=message, kind="error", reference=reference)
            return body, 400
        return render_template("error.html", code=400, message=message), 400

    @app.errorhandler(413)
    def too_large(error):
        message = _("The files you sent are too large. Send up to 5 files of 5MB each, or bring them to "
                    "the complaints office.")
        return render_template("error.html", code=413, message=message), 413

    @app.errorhandler(429)
    def too_many(error):
        message = _("Too many attempts from your connection. Wait a few minutes and try again, or call "
                    "the complaints office.")
        return render_template("error.html", code=429, message=message), 429

    @app.errorhandler(403)
    def forbidden(error):
        return render_template("error.html", code=403, message=_("You are not allowed to do that.")), 403

    @app.errorhandler(HTTPException)
    def other_http_error(error):
        # Every other refusal (405 wrong method, 400 bad request…) on the hospital's page, in the visitor's
        # language, not the framework's bare English.
        messages = {
            405: _("This address does not accept that kind of request. Go back and use the page's own "
                   "links and buttons."),
            503: _("This cannot be printed until the administrator sets the site's public address "
                   "(REDRESS_PUBLIC_URL).") if error.description == "REDRESS_PUBLIC_URL" else _(
                "The service is not available just now. Try again in a few minutes, or call the complaints "
                "office."),
            400: _("The request could not be understood. Go back, reload the page and try again."),
        }
        code = error.code or 500
        message = messages.get(code, _("Something went wrong (error %(code)s). Go back and try again.", code=code))
        if isinstance(error, SecurityError):  # a Host that is not this site's: no page of ours to build for it
            return message, code, {"Content-Type": "text/plain; charset=utf-8"}
        return render_template("error.html", code=code, message=message), code

    @app.errorhandler(DBAPIError)
    def database_unavailable(error):
        """The database went away (restarted, unreachable): the hospital's 503 page, the real cause in the
        log, and the next request tries again (the pool re-checks its connections)."""
        if not error.connection_invalidated and not isinstance(error, OperationalError | InterfaceError):
            raise error  # a query the database refused: a bug, not an outage
        app.logger.error("database unavailable: %s", error.orig, exc_info=error)
        with suppress(Exception):
            db.session.rollback()
        language = session.get("lang") or request.accept_languages.best_match(["zh", "en"]) or "zh"
        with force_locale(language):
            body = render_template("unavailable.html", language=language)
        return body, 503, {"Retry-After": "30", "Cache-Control": "no-store"}

    @app.errorhandler(500)
    def server_error(error):
        message = _("Something went wrong on our side, and nothing was saved. Try again in a few minutes, or "
                    "call the complaints office.")
        return render_template("error.html", code=500, message=message), 500


def _refuse_nul_bytes(app: Flask) -> None:
    """A NUL byte is text no person types, and PostgreSQL refuses it with an error: a clear 400 instead."""

    @app.before_request
    def refuse():
        values = [request.path, *request.args.values(), *request.form.values()]
        if any("\x00" in value for value in values):
            abort(400)


def _register_security_headers(app: Flask) -> None:
    # The templates carry no inline script or style, so the policy can be strict from the start.
    policy = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
    )

    @app.after_request
    def headers(response):
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if request.endpoint and not request.endpoint.startswith(("public.", "static")):
            # Staff pages carry patient details: never keep them in shared caches or the back button.
            response.headers.setdefault("Cache-Control", "no-store")
        response.vary.add("HX-Request")
        return response
