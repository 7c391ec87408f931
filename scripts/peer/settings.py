"""Settings of the peer the benchmark measures beside Redress: django-helpdesk, configured as its
documentation asks, in production mode (DEBUG off), with a public submission queue. The environment names
the database (PEER_DATABASE: a SQLite file's path, or a postgresql:// URL) and the folder for attachments
and the e-mail the peer writes (PEER_INSTANCE)."""

import os
from pathlib import Path
from urllib.parse import urlsplit

INSTANCE = Path(os.environ["PEER_INSTANCE"])
SECRET_KEY = "peer-benchmark-secret-key-not-for-production"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "urls"
WSGI_APPLICATION = "wsgi.application"
SITE_ID = 1

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "rest_framework",
    "helpdesk",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]

database = os.environ["PEER_DATABASE"]
if database.startswith("postgresql"):
    parts = urlsplit(database)
    DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": parts.path.lstrip("/"),
                             "USER": parts.username or "postgres", "HOST": parts.hostname,
                             "PORT": parts.port or 5432, "CONN_MAX_AGE": 60}}
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": database,
                             "OPTIONS": {"timeout": 15, "transaction_mode": "IMMEDIATE",
                                         "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

# Django's default password hasher (PBKDF2) is what a peer install runs with.
LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
STATIC_URL = "/static/"
STATIC_ROOT = str(INSTANCE / "static")
MEDIA_ROOT = str(INSTANCE / "media")
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/tickets/"

# The peer mails the submitter a receipt: into files, as Redress's outbox keeps its mail until it is sent.
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = str(INSTANCE / "mail")
DEFAULT_FROM_EMAIL = "helpdesk@hospital.example"

HELPDESK_PUBLIC_TICKET_QUEUE = "complaints"
HELPDESK_PUBLIC_TICKET_PRIORITY = 3
HELPDESK_REDIRECT_TO_LOGIN_BY_DEFAULT = False
HELPDESK_SUBMIT_A_TICKET_PUBLIC = True
HELPDESK_VIEW_A_TICKET_PUBLIC = True
HELPDESK_TEAMS_MODE_ENABLED = False  # teams need pinax-teams, an extra a plain install leaves out
