"""Configuration from the environment (SPEC §9: DATABASE_URL, SECRET_KEY, REDRESS_TIMEZONE, MAIL_*)."""

import os
import secrets
import time
from pathlib import Path


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = None  # filled by database_url() once instance_path is known
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    REDRESS_TIMEZONE = os.environ.get("REDRESS_TIMEZONE", "Asia/Shanghai")
    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_TIMEZONE = REDRESS_TIMEZONE
    LANGUAGES = ("zh", "en")
    WTF_CSRF_TIME_LIMIT = None  # a duty officer leaves a form open for a whole shift
    SESSION_COOKIE_HTTPONLY = True
    SESSION_IDLE_MINUTES = int(os.environ.get("REDRESS_SESSION_IDLE_MINUTES", "30"))
    SESSION_MAX_HOURS = int(os.environ.get("REDRESS_SESSION_MAX_HOURS", "12"))
    # Logins: per address, and per account whatever the address (with Redis, across workers).
    RATELIMIT_LOGIN = os.environ.get("REDRESS_RATELIMIT_LOGIN", "10 per minute;100 per hour")
    RATELIMIT_LOGIN_ACCOUNT = os.environ.get("REDRESS_RATELIMIT_LOGIN_ACCOUNT", "5 per minute;30 per hour")
    # Wrong passwords from devices an account has not logged in from lock it for such devices this long (its
    # known devices, which carry a signed device cookie for DEVICE_COOKIE_DAYS, still log in).
    LOCKOUT_MINUTES = int(os.environ.get("REDRESS_LOCKOUT_MINUTES", "15"))
    DEVICE_COOKIE_DAYS = int(os.environ.get("REDRESS_DEVICE_COOKIE_DAYS", "180"))
    # The roles that log in with a second factor (an authenticator app's code, or a recovery code), comma-separated.
    # The discipline office too: it reads accusations against named staff.
    SECOND_FACTOR_ROLES = [r.strip() for r in os.environ.get("REDRESS_SECOND_FACTOR_ROLES",
                                                             "admin,leadership,supervision").split(",") if r.strip()]
    # Whom a locked-out or deactivated user should call, e.g. "信息科，分机 8012" ("" says: the administrator).
    ACCOUNTS_HELP = os.environ.get("REDRESS_ACCOUNTS_HELP", "")
    SESSION_COOKIE_SAMESITE = "Lax"
    COMPLAINTS_OFFICE_PHONE = os.environ.get("REDRESS_OFFICE_PHONE", "0571-8888 1234")
    COMPLAINTS_OFFICE_HOURS = os.environ.get("REDRESS_OFFICE_HOURS", "08:00–17:30")
    HOSPITAL_NAME = os.environ.get("REDRESS_HOSPITAL_NAME", "")
    QUEUE_PAGE_SIZE = 50
    # How long an administrator's break-glass opening of one complaint lasts (permissions.may_view).
    BREAK_GLASS_MINUTES = int(os.environ.get("REDRESS_BREAK_GLASS_MINUTES", "60"))
    # The app compresses its answers (core/compression.py); 0 when a proxy in front compresses instead.
    COMPRESS_RESPONSES = os.environ.get("REDRESS_COMPRESS", "1").strip().lower() not in ("0", "false", "no", "off")
    # Set by gunicorn.conf.py: a server process loads no command-line tools (Flask-Migrate and alembic, the
    # demo hospital's data), which only `flask …` commands use; each worker is that much smaller.
    SERVING = os.environ.get("REDRESS_SERVING", "0") == "1"
    # For scripts/bench.py only: each response reports its number of SQL statements in a header.
    COUNT_STATEMENTS = os.environ.get("REDRESS_COUNT_STATEMENTS", "0") == "1"
    # The public side. Limits count per client address; memory storage is per process, so several
    # workers need a shared store: RATELIMIT_STORAGE_URI=redis://host:6379/0.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_SUBMIT = os.environ.get("REDRESS_RATELIMIT_SUBMIT", "5 per minute;30 per day")
    RATELIMIT_TRACK = os.environ.get("REDRESS_RATELIMIT_TRACK", "10 per minute;60 per hour")
    # Five evidence files of 5 MB each, the text, and room for the multipart overhead.
    MAX_CONTENT_LENGTH = 27 * 1024 * 1024
    EVIDENCE_FOLDER = os.environ.get("REDRESS_EVIDENCE_FOLDER")  # unset: instance/evidence
    # Where evidence files are kept: "folder" (EVIDENCE_FOLDER, one server's disk) or "database" (every app
    # server reaches them: several servers share no folder). `flask evidence migrate` moves them.
    EVIDENCE_STORE = os.environ.get("REDRESS_EVIDENCE_STORE", "folder").strip().lower()
    # Notifications. Complainants hear in their own language; staff accounts have none, so this one.
    STAFF_LANGUAGE = os.environ.get("REDRESS_STAFF_LANGUAGE", "zh")
    # Mail in (`mailbox poll`): the complaints office's mailbox over IMAP. Unset host: no mail is read.
    IMAP_HOST = os.environ.get("REDRESS_IMAP_HOST", "")
    IMAP_TLS = os.environ.get("REDRESS_IMAP_TLS", "implicit").lower()  # implicit, starttls or none
    IMAP_PORT = int(os.environ.get("REDRESS_IMAP_PORT") or (993 if IMAP_TLS == "implicit" else 143))
    IMAP_USER = os.environ.get("REDRESS_IMAP_USER", "")
    IMAP_PASSWORD = os.environ.get("REDRESS_IMAP_PASSWORD", "")
    IMAP_FOLDER = os.environ.get("REDRESS_IMAP_FOLDER", "INBOX")
    # Where mail goes once taken: moved to this folder, or (folder set empty) flagged with IMAP_TAKEN_FLAG.
    IMAP_TAKEN_FOLDER = os.environ.get("REDRESS_IMAP_TAKEN_FOLDER", "Redress/Taken")
    IMAP_TAKEN_FLAG = os.environ.get("REDRESS_IMAP_TAKEN_FLAG", "$RedressTaken")
    # A larger message is taken by its headers only (its text and files stay in the mailbox).
    IMAP_MAX_BYTES = int(os.environ.get("REDRESS_IMAP_MAX_BYTES", str(25 * 1024 * 1024)))
    # Staff log in with the hospital's directory (LDAP, Active Directory): auth/directory_login.py. Unset URL:
    # every account is a local one. A person's entry is found by a DN pattern ("{username}" in it), or by a
    # search under LDAP_SEARCH_BASE with LDAP_USER_FILTER, bound as LDAP_BIND_USER (anonymously if unset).
    LDAP_URL = os.environ.get("REDRESS_LDAP_URL", "")
    LDAP_BIND_DN = os.environ.get("REDRESS_LDAP_BIND_DN", "")
    LDAP_SEARCH_BASE = os.environ.get("REDRESS_LDAP_SEARCH_BASE", "")
    LDAP_USER_FILTER = os.environ.get("REDRESS_LDAP_USER_FILTER", "(uid={username})")
    LDAP_BIND_USER = os.environ.get("REDRESS_LDAP_BIND_USER", "")
    LDAP_BIND_PASSWORD = os.environ.get("REDRESS_LDAP_BIND_PASSWORD", "")
    # Where the groups are (groupOfNames, or AD's group, with member=the person's DN); unset: the person's
    # own memberOf only.
    LDAP_GROUP_BASE = os.environ.get("REDRESS_LDAP_GROUP_BASE", "")
    # start_tls (the default), ldaps (implied by an ldaps:// URL) or off; the CA that signed the server's
    # certificate (unset: the system's).
    LDAP_TLS = os.environ.get("REDRESS_LDAP_TLS", "").lower() or (
        "ldaps" if os.environ.get("REDRESS_LDAP_URL", "").lower().startswith("ldaps://") else "start_tls")
    LDAP_CA_FILE = os.environ.get("REDRESS_LDAP_CA_FILE", "")
    # Seconds to wait for the directory: a login waits no longer than this before saying it cannot be reached.
    LDAP_TIMEOUT = float(os.environ.get("REDRESS_LDAP_TIMEOUT", "3"))
    # Where the public pages are reached from outside, for the tracking link in emails ("" leaves it out).
    PUBLIC_BASE_URL = os.environ.get("REDRESS_PUBLIC_URL", "")
    # The host names this site answers to (Flask refuses others with a 400); comma-separated.
    # How many proxies (a balancer, nginx) stand in front and set X-Forwarded-For/-Proto: the app then reads
    # the visitor's own address from them, so rate limits count per visitor, not per balancer. 0: none, and
    # those headers are ignored (anyone could send them).
    PROXY_HOPS = int(os.environ.get("REDRESS_PROXY_HOPS", "0"))
    TRUSTED_HOSTS = [h.strip() for h in os.environ.get("REDRESS_TRUSTED_HOSTS", "").split(",") if h.strip()] or None
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "0").lower() in ("1", "true", "yes")  # STARTTLS
    MAIL_USE_SSL = os.environ.get("MAIL_USE_SSL", "0").lower() in ("1", "true", "yes")  # implicit TLS
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "complaints@localhost")
    # The office's mailbox that mail in reads: the complainant's emails answer to it, plus-addressed with the
    # complaint's reference (complaints+TS-2026-000123@…), so a reply finds its complaint. Unset: no Reply-To.
    MAIL_REPLY_TO = os.environ.get("REDRESS_MAIL_REPLY_TO", "")
    MAIL_TIMEOUT = int(os.environ.get("MAIL_TIMEOUT", "30"))
    # A dotted path to a callable(phone, text); the default only logs (development).
    SMS_SENDER = os.environ.get("SMS_SENDER", "intranet.notifications.senders.log_sms")
    OUTBOX_MAX_ATTEMPTS = int(os.environ.get("OUTBOX_MAX_ATTEMPTS", "8"))
    OUTBOX_BACKOFF_SECONDS = int(os.environ.get("OUTBOX_BACKOFF_SECONDS", "60"))  # doubles each attempt
    OUTBOX_BACKOFF_MAX_SECONDS = int(os.environ.get("OUTBOX_BACKOFF_MAX_SECONDS", "3600"))
    # A claimed row whose relay died is taken again after this long (at-least-once across crashes).
    OUTBOX_LEASE_SECONDS = int(os.environ.get("OUTBOX_LEASE_SECONDS", "300"))


class DevelopmentConfig(Config):
    # SECRET_KEY unset: one is generated once into instance/secret.key (create_app), so that demo sessions
    # survive restarts and no key is ever written in the source.
    # No mail server named: the relay writes emails to its log (senders.LogEmailSender).
    MAIL_LOG_ONLY = "MAIL_SERVER" not in os.environ
    # The demo's accounts log in with their password alone, unless asked otherwise.
    SECOND_FACTOR_ROLES = [r.strip() for r in os.environ.get("REDRESS_SECOND_FACTOR_ROLES", "").split(",")
                           if r.strip()]


class TestingConfig(Config):
    TESTING = True
    SECOND_FACTOR_ROLES: list = []  # tests/test_second_factor.py turns it on
    SECRET_KEY = "testing"
    TRACKING_KEY = "testing-tracking-key"


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "1") == "1"


CONFIGS = {"development": DevelopmentConfig, "testing": TestingConfig, "production": ProductionConfig}


def instance_key(instance_path: str, name: str, variable: str) -> str:
    """A key from the environment variable, or one generated once into instance/`name` (kept out of git,
    readable by its owner only). The tracking key: losing it makes every tracking code a complainant holds
    stop working, so back it up with the database and give every server the same one."""
    if os.environ.get(variable):
        return os.environ[variable]
    path = Path(instance_path) / name
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(100):  # another worker starting at the same moment may be writing it
            key = path.read_text().strip()
            if key:
                return key
            time.sleep(0.01)
        raise RuntimeError(f"{path} is empty: remove it, or set {variable}") from None
    key = secrets.token_hex(32)
    with os.fdopen(fd, "w") as f:
        f.write(key + "\n")
    return key


def database_url(instance_path: str) -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        return "sqlite:///" + str(Path(instance_path) / "redress.sqlite3")
    # psycopg 3 is the driver; accept the plain URLs hosting platforms hand out.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def engine_options(url: str) -> dict:
    if url.startswith("sqlite"):
        # Each worker waits up to 15 s for the write lock rather than failing at once.
        return {"connect_args": {"timeout": 15}}
    # No JIT compilation on PostgreSQL: the app's statements run in milliseconds, and whenever the planner
    # costs one high (the complaint page's joins before a table has statistics, the analysis' groupings) JIT
    # takes longer to compile it than the statement takes to run: about 1 s a complaint page on a fresh
    # database, 3.8 s for the analysis at 30,000 complaints.
    return {"pool_pre_ping": True, "connect_args": {"options": "-c jit=off"}}
