"""Redress: complaint handling for hospitals."""

import os

from flask import Flask, abort, g, has_request_context, request, session
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import literal, select, union_all
from sqlalchemy.exc import DBAPIError

from . import config as config_module
from .admin import cli as admin_cli
from .admin import maintenance
from .admin.directory import bp as directory_bp
from .admin.routes import bp as admin_bp
from .auth.routes import bp as auth_bp
from .auth.routes import not_logged_in
from .auth.second_factor import bp as second_factor_bp
from .complaints import audit, handing, lifecycle, models, search, sweep
from .complaints.contributions import contribution_of
from .complaints.corrective.routes import bp as corrective_bp
from .complaints.corrective.steps import Step
from .complaints.disputes import DisputeOutcome, DisputeRoute
from .complaints.downloads import bp as evidence_bp
from .complaints.people import PersonFinding, person_of
from .complaints.permissions import (
    ADMINISTER,
    PRINT_RECEIPT,
    PUBLISH_NOTICES,
    READ_REPORTS,
    SEE_FILE,
    SEE_IDENTITY,
    SEE_IDENTITY_VIEWS,
    VIEW,
    can,
    identity_fields,
    may_see_contribution_people,
    may_see_person,
)
from .complaints.receipts import bp as receipts_bp
from .complaints.remedies import RemedyKind
from .complaints.routes import bp as complaints_bp
from .complaints.timeline import LazyNames, describe
from .core import compression, evidence_store, jobs
from .core.database import configure_engine, count_statements, serve_pages_that_only_read
from .core.departments import Category, Department, ReferringBody, name_column
from .core.errors import register_error_pages
from .core.extensions import babel, csrf, db, htmx, limiter, login_manager
from .core.field_html import field_html, hidden_html
from .core.forms import BoundedIntConverter, take_out_nul_bytes
from .core.hospital import hospital
from .core.money import yuan
from .core.retry import retry_conflicts
from .core.time import show_date, show_datetime, today
from .core.users import load_user, on_account_change
from .deadlines import cli as deadlines_cli
from .mailbox import cli as mailbox_cli
from .mailbox.routes import bp as mailbox_bp
from .notifications import cli as outbox_cli
from .notifications.routes import bp as notifications_bp
from .notifications.routes import unread_count
from .public.notices import bp as notices_bp
from .public.routes import bp as public_bp
from .reports.routes import bp as reports_bp


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
    _configure(app, _configuration_name(config_name), overrides)
    _init_extensions(app)
    _configure_engine(app)
    _configure_login(app)
    # A handler whose account is deactivated or moved gives back what was handed to them, whoever changes it.
    on_account_change(handing.return_to_the_head)
    _register_blueprints(app)
    retry_conflicts(app)
    _register_health_check(app)
    _register_cli(app)
    _register_template_helpers(app)
    register_error_pages(app)
    _register_security_headers(app)
    _refuse_nul_bytes(app)
    _trust_proxies(app)
    if app.config["SERVING"]:
        _compile_busiest_templates(app)
    return app


# --- configuration ---------------------------------------------------------------------------------------


def _configuration_name(config_name: str | None) -> str:
    # Production is what runs on PostgreSQL unless told otherwise; the embedded SQLite default is for
    # trying it out and development.
    return config_name or os.environ.get("REDRESS_ENV") or (
        "production" if os.environ.get("DATABASE_URL") else "development"
    )


def _configure(app: Flask, config_name: str, overrides: dict) -> None:
    app.config.from_object(config_module.CONFIGS[config_name])
    app.config["ENV_NAME"] = config_name
    os.makedirs(app.instance_path, exist_ok=True)
    app.config["SQLALCHEMY_DATABASE_URI"] = config_module.database_url(app.instance_path)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = os.path.join(os.path.dirname(app.root_path), "translations")
    app.config.update(overrides)
    _configure_keys(app, config_name)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = config_module.engine_options(app.config["SQLALCHEMY_DATABASE_URI"])
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError("SECRET_KEY must be set in the environment to run in production.")
    if app.config.get("EVIDENCE_STORE") not in evidence_store.STORES:
        raise RuntimeError(f"REDRESS_EVIDENCE_STORE must be one of {', '.join(evidence_store.STORES)}, not "
                           f"{app.config.get('EVIDENCE_STORE')!r}.")


def _configure_keys(app: Flask, config_name: str) -> None:
    if not app.config.get("TRACKING_KEY"):
        app.config["TRACKING_KEY"] = config_module.instance_key(app.instance_path, "tracking.key",
                                                                "REDRESS_TRACKING_KEY")
    if not app.config.get("SECRET_KEY") and config_name == "development":
        # Trying it out: a key of this installation's own, made once (never one written in the source).
        app.config["SECRET_KEY"] = config_module.instance_key(app.instance_path, "secret.key", "SECRET_KEY")


def _trust_proxies(app: Flask) -> None:
    hops = app.config["PROXY_HOPS"]
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)


# --- extensions and the database ----------------------------------------------------------------------


def _init_extensions(app: Flask) -> None:
    compression.init_app(app)  # first: its after-request hook then runs last
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


def _configure_engine(app: Flask) -> None:
    with app.app_context():
        configure_engine(db.engine)
        serve_pages_that_only_read(app, db.engine)
        if app.config["COUNT_STATEMENTS"]:
            count_statements(app, db.engine)


def _configure_login(app: Flask) -> None:
    login_manager.user_loader(load_user)
    login_manager.unauthorized_handler(not_logged_in)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"


# --- pages and commands -----------------------------------------------------------------------------------


def _register_health_check(app: Flask) -> None:
    """/healthz, for a load balancer: 200 "ok" when this worker can reach the database, 503 otherwise (so that
    the balancer sends people to a server that can). Plain text, no session, nothing of anyone's."""

    @app.get("/healthz")
    def healthz():
        try:
            with db.engine.connect() as connection:
                connection.execute(select(literal(1)))
        except DBAPIError as error:
            app.logger.error("health check: database unavailable: %s", error.orig)
            return "database unavailable\n", 503, {"Content-Type": "text/plain; charset=utf-8",
                                                   "Retry-After": "30", "Cache-Control": "no-store"}
        return "ok\n", 200, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}


BLUEPRINTS = (public_bp, notices_bp, auth_bp, second_factor_bp, complaints_bp, admin_bp, directory_bp, evidence_bp,
              receipts_bp, notifications_bp, reports_bp, corrective_bp, mailbox_bp)


def _register_blueprints(app: Flask) -> None:
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)


def _register_cli(app: Flask) -> None:
    for domain in (admin_cli, maintenance, deadlines_cli, outbox_cli, sweep, audit, search, mailbox_cli, jobs,
                   evidence_store):
        domain.register_cli(app)
    if not app.config["SERVING"]:
        from . import demo  # its data files are for `flask demo` only

        demo.register_cli(app)


# What a server's worker shows most, compiled when it starts rather than inside its first requests (a
# complaint page's templates take about 50 ms to compile; Jinja keeps them, so this is done once a worker).
# Only these: the rest compile when first used, as before, and hold no memory in a worker that never shows
# them.
BUSIEST_TEMPLATES = (
    "base.html", "_forms.html", "error.html", "public/landing.html", "public/complain.html",
    "public/_complaint_fields.html", "public/confirmation.html", "public/track.html", "auth/login.html",
    "complaints/_macros.html", "complaints/queue.html", "complaints/detail.html", "complaints/search.html",
)

# Where a server keeps its templates compiled (under the instance folder). Compiling a template in a worker
# leaves 4-5 MiB freed but resident for the 13 above; loading the compiled code from here leaves none. Jinja
# checks each file against its template's source (and the Python version), so a changed template is compiled
# again and its file rewritten; the first worker to need one writes it, the others read it.
COMPILED_TEMPLATES = "compiled-templates"


def _compile_busiest_templates(app: Flask) -> None:
    from jinja2 import FileSystemBytecodeCache

    folder = os.path.join(app.instance_path, COMPILED_TEMPLATES)
    os.makedirs(folder, mode=0o700, exist_ok=True)  # code a worker runs: readable by the app's user alone
    app.jinja_env.bytecode_cache = FileSystemBytecodeCache(folder)
    for name in BUSIEST_TEMPLATES:
        app.jinja_env.get_template(name)


# --- what every template may use ------------------------------------------------------------------------


def _reference_names() -> dict[tuple[str, str], str]:
    # Codes and names as plain rows (a page's worth of ORM objects for a lookup table cost more), both
    # tables in one statement.
    both = union_all(*(select(literal(kind), model.__table__.c.code, name_column(model))
                       for kind, model in (("department", Department), ("category", Category),
                                                       ("referring_body", ReferringBody))))
    return {(kind, code): label for kind, code, label in db.session.execute(both).all()}


def person_hidden(event, complaint) -> bool:
    """Whether an event names people the reader may not see (permissions.may_see_person): the timeline then
    says so instead of showing who."""
    refs = (event.data or {}).get("person_refs")
    if not refs:
        return False
    return not all((person := person_of(complaint, ref)) is not None and may_see_person(current_user, complaint, person)
                   for ref in refs)


def _describe_event(event):
    if "reference_names" not in g:
        # Read when an event first names a department or category: many timelines name none.
        g.reference_names = LazyNames(_reference_names)
    return describe(event, g.reference_names)


def our_part(complaint):
    """The reader's department's part of a complaint another department leads (co-handling), if it is asked
    for one: a queue row says when it is due. Only such rows read the complaint's contributions."""
    user = current_user
    if getattr(user, "role", None) != "head" or complaint.department_id == user.department_id:
        return None
    return contribution_of(complaint, user.department_id)


# The permissions, the lifecycle's names and the choices a template asks about.
TEMPLATE_NAMES = {
    "describe_event": _describe_event,
    "field_html": field_html,
    "hidden_html": hidden_html,
    "can": can,
    "identity_fields": identity_fields,
    "may_see_person": may_see_person,
    "may_see_contribution_people": may_see_contribution_people,
    "today": today,
    "person_hidden": person_hidden,
    "PersonFinding": PersonFinding,
    "RemedyKind": RemedyKind,
    "DisputeRoute": DisputeRoute,
    "DisputeOutcome": DisputeOutcome,
    "VIEW": VIEW,
    "SEE_IDENTITY": SEE_IDENTITY,
    "SEE_FILE": SEE_FILE,
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
    "hospital": hospital,
}


def _template_names_of_the_request() -> dict:
    return {
        **TEMPLATE_NAMES,
        "current_lang": str(get_locale() or "zh"),
        "unread_notifications": lambda: unread_count(current_user),
    }


def _register_template_helpers(app: Flask) -> None:
    app.context_processor(_template_names_of_the_request)
    app.jinja_env.filters["date"] = show_date
    app.jinja_env.filters["datetime"] = show_datetime
    # The queue row's macro is imported without the page's context (the queue and the search results).
    app.jinja_env.globals["our_part"] = our_part
    app.jinja_env.globals["today"] = today
    app.jinja_env.filters["yuan"] = yuan


# --- every response ---------------------------------------------------------------------------------------


def _refuse_nul_bytes(app: Flask) -> None:
    """A NUL byte is text no person types, and PostgreSQL refuses it with an error. In an address it is a
    clear 400; in a posted form, a field error like any other (core/forms.py)."""

    @app.before_request
    def refuse():
        if any("\x00" in value for value in (request.path, *request.args.values())):
            abort(400)
        take_out_nul_bytes()


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
