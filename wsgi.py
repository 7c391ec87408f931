"""Entry point: `flask --app wsgi …` and `gunicorn wsgi:app`."""

from intranet import create_app

app = create_app()
