"""What gunicorn.conf.py does: several workers must share their rate limits (started with memory storage,
they refuse), and a worker gives a login's password check memory back when the check is over."""

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parent.parent


def gunicorn_conf():
    spec = importlib.util.spec_from_file_location("gunicorn_conf", ROOT / "gunicorn.conf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def on_starting():
    return gunicorn_conf().on_starting


@pytest.mark.parametrize(("workers", "storage", "refused"), [
    (4, None, True), (4, "memory://", True), (1, None, False), (4, "redis://127.0.0.1:6379/0", False),
])
def test_workers_and_the_rate_limit_store(monkeypatch, workers, storage, refused):
    if storage is None:
        monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    else:
        monkeypatch.setenv("RATELIMIT_STORAGE_URI", storage)
    warned = []
    server = SimpleNamespace(cfg=SimpleNamespace(workers=workers), log=SimpleNamespace(warning=warned.append))
    if refused:
        with pytest.raises(RuntimeError, match="RATELIMIT_STORAGE_URI"):
            on_starting()(server)
    else:
        on_starting()(server)
        # The tests run without PYTHONOPTIMIZE=2: gunicorn would start, saying what the workers carry.
        assert [w.split(":")[0] for w in warned] == ["PYTHONOPTIMIZE=2 is not set"]


def test_gunicorn_itself_refuses_to_start(tmp_path):
    """The real thing: gunicorn reads gunicorn.conf.py from where it starts, and exits at once."""
    env = {"PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin", "RATELIMIT_STORAGE_URI": "memory://",
           "REDRESS_ENV": "testing"}
    result = subprocess.run([str(Path(sys.executable).parent / "gunicorn"), "--workers", "2", "--bind",
                             "127.0.0.1:0", "wsgi:app"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode != 0
    assert "each worker would count the rate limits on its own" in result.stderr


# Run in a process of its own (the allocator's settings are the process's): a staff password hashed, then
# checked as at a login, and how much more the process holds afterwards, in MiB.
PASSWORD_CHECK = """
import sys
from pathlib import Path

sys.path.insert(0, ".")
from tests.test_gunicorn import gunicorn_conf

def resident():
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmRSS:")[1].split()[0]) / 1024

if sys.argv[1] == "worker":
    gunicorn_conf().post_fork(None, None)
from argon2 import PasswordHasher
from intranet.core.users import PASSWORD_LANES, PASSWORD_MEMORY_KIB, PASSWORD_TIME_COST

hasher = PasswordHasher(time_cost=PASSWORD_TIME_COST, memory_cost=PASSWORD_MEMORY_KIB, parallelism=PASSWORD_LANES)
hashed = hasher.hash("a staff password")  # an earlier login's 7 MiB, freed
before = resident()
hasher.verify(hashed, "a staff password")
print(resident() - before)
"""


@pytest.mark.parametrize(("process", "kept_at_least", "kept_at_most"), [
    ("worker", 0, 1),  # as gunicorn.conf.py sets up a worker: the check's 7 MiB go back
    ("plain", 6, 8),  # glibc's own way: the block is kept, freed but resident
])
def test_a_worker_gives_a_password_checks_memory_back(process, kept_at_least, kept_at_most):
    result = subprocess.run([sys.executable, "-c", PASSWORD_CHECK, process], cwd=ROOT, capture_output=True,
                            text=True, timeout=60, check=True)
    assert kept_at_least <= float(result.stdout) <= kept_at_most
