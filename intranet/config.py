"""Configuration from the environment (SPEC §9: DATABASE_URL, SECRET_KEY, REDRESS_TIMEZONE, MAIL_*)."""

import os
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
    SESSION_COOKIE_SAMESITE = "Lax"
    COMPLAINTS_OFFICE_PHONE = os.environ.get("REDRESS_OFFICE_PHONE", "0571-8888 1234")
    COMPLAINTS_OFFICE_HOURS = os.environ.get("REDRESS_OFFICE_HOURS", "08:00–17:30")
    HOSPITAL_NAME = os.environ.get("REDRESS_HOSPITAL_NAME", "")
    QUEUE_PAGE_SIZE = 50


class DevelopmentConfig(Config):
    # A fixed development key keeps demo sessions alive across restarts; never used in production.
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret")


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing"


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "1") == "1"


CONFIGS = {"development": DevelopmentConfig, "testing": TestingConfig, "production": ProductionConfig}


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
    return {"pool_pre_ping": True}
