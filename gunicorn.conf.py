"""gunicorn reads this file from the directory it starts in (`gunicorn wsgi:app`)."""

import os
import sys

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
    if sys.flags.optimize < 2:
        # Python's flags are fixed when the interpreter starts: gunicorn's environment has to set it.
        server.log.warning("PYTHONOPTIMIZE=2 is not set: each worker carries the libraries' docstrings, about "
                           "15 MiB (docs/operations.md).")


def post_fork(server, worker):
    """In each worker, a block of 1 MiB or more goes back to the system when it is freed. glibc's allocator
    raises that threshold to the largest block freed so far, so after a worker's first staff login the 7 MiB
    that argon2id takes to check a password was kept, freed but resident, until the worker stopped: with the
    threshold fixed, a login's 7 MiB is back with the system after the login. (Setting it also stops glibc
    raising the trim threshold, which measured at under one more brk call in five requests.)"""
    import ctypes

    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)  # glibc's; other C libraries manage on their own
    if mallopt is not None:
        M_MMAP_THRESHOLD = -3  # noqa: N806 (malloc.h's name)
        mallopt(M_MMAP_THRESHOLD, 1024 * 1024)
