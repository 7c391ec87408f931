"""Several gunicorn workers must share their rate limits: started with memory storage, they refuse."""

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parent.parent


def on_starting():
    spec = importlib.util.spec_from_file_location("gunicorn_conf", ROOT / "gunicorn.conf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.on_starting


@pytest.mark.parametrize(("workers", "storage", "refused"), [
    (4, None, True), (4, "memory://", True), (1, None, False), (4, "redis://127.0.0.1:6379/0", False),
])
def test_workers_and_the_rate_limit_store(monkeypatch, workers, storage, refused):
    if storage is None:
        monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    else:
        monkeypatch.setenv("RATELIMIT_STORAGE_URI", storage)
    server = SimpleNamespace(cfg=SimpleNamespace(workers=workers))
    if refused:
        with pytest.raises(RuntimeError, match="RATELIMIT_STORAGE_URI"):
            on_starting()(server)
    else:
        on_starting()(server)


def test_gunicorn_itself_refuses_to_start(tmp_path):
    """The real thing: gunicorn reads gunicorn.conf.py from where it starts, and exits at once."""
    env = {"PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin", "RATELIMIT_STORAGE_URI": "memory://",
           "REDRESS_ENV": "testing"}
    result = subprocess.run([str(Path(sys.executable).parent / "gunicorn"), "--workers", "2", "--bind",
                             "127.0.0.1:0", "wsgi:app"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode != 0
    assert "each worker would count the rate limits on its own" in result.stderr
