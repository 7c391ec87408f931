"""gunicorn reads this file from the directory it starts in (`gunicorn wsgi:app`)."""

import os

# The app's server processes load no command-line tools (intranet/config.py, SERVING). gunicorn sets it
# in its own environment before it loads the app.
raw_env = ["REDRESS_SERVING=1"]


def on_starting(server):
    """Several workers counting rate limits in memory each count on their own, so every limit (logins,
    submissions, tracking guesses) is multiplied by the number of workers: refuse to start like that."""
    storage = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    if server.cfg.workers > 1 and storage.startswith("memory://"):
        raise RuntimeError(
            f"{server.cfg.workers} workers with RATELIMIT_STORAGE_URI={storage}: each worker would count the "
            "rate limits on its own. Set RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379/0 (or run one worker).")
