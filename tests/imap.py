"""A real IMAP server for the mail-in tests: Debian's Dovecot, started from a throwaway configuration in a
temporary folder (maildir there, one passwd-file user, 127.0.0.1 on a free port, no TLS)."""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.smtp import free_port

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER, PASSWORD = "complaints", "mailbox-secret"


@dataclass
class Dovecot:
    port: int
    root: Path

    def connect(self) -> imaplib.IMAP4:
        imap = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        imap.login(USER, PASSWORD)
        return imap

    def append(self, raw: bytes, folder: str = "INBOX") -> None:
        imap = self.connect()
        try:
            status, data = imap.append(folder, None, None, raw)
            assert status == "OK", data
        finally:
            imap.logout()

    def uids(self, folder: str = "INBOX") -> list[int]:
        imap = self.connect()
        try:
            status, _ = imap.select(f'"{folder}"')
            if status != "OK":
                return []
            _, data = imap.uid("SEARCH", "ALL")
            return [int(uid) for uid in (data[0] or b"").split()]
        finally:
            imap.logout()

    def empty(self, folders=("INBOX", "Redress.Taken")) -> None:
        """Every message removed from the folders the tests use, between tests."""
        imap = self.connect()
        try:
            for name in folders:
                status, count = imap.select(f'"{name}"')
                if status == "OK" and int(count[0]) > 0:
                    imap.store("1:*", "+FLAGS.SILENT", r"(\Deleted)")
                    imap.expunge()
        finally:
            imap.logout()


def _mail_user() -> tuple[str, int, int]:
    """Whom Dovecot runs the mail as: never root (it refuses), so the `dovecot` account when run as root."""
    if os.getuid() != 0:
        me = pwd.getpwuid(os.getuid())
        return me.pw_name, me.pw_uid, me.pw_gid
    account = pwd.getpwnam("dovecot")
    return account.pw_name, account.pw_uid, account.pw_gid


def start(root: Path) -> tuple[subprocess.Popen, Dovecot]:
    name, uid, gid = _mail_user()
    port = free_port()
    for folder in ("run", "mail", "home"):
        (root / folder).mkdir()
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}:{uid}:{gid}::{root}/home/{USER}::\n")
    (root / "dovecot.conf").write_text(f"""
base_dir = {root}/run
state_dir = {root}/run
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
default_internal_user = {name}
default_login_user = {name}
first_valid_uid = {uid}
first_valid_gid = {gid}
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {root}/passwd
}}
userdb {{
  driver = passwd-file
  args = {root}/passwd
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
""")
    if os.getuid() == 0:
        for path in (root, root / "mail", root / "home"):
            os.chown(path, uid, gid)
    process = subprocess.Popen([DOVECOT, "-F", "-c", str(root / "dovecot.conf")],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("dovecot stopped: " + process.stdout.read().decode(errors="replace")
                               + _log(root))
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return process, Dovecot(port, root)
        time.sleep(0.1)
    process.kill()
    raise RuntimeError("dovecot did not listen in time" + _log(root))


def _log(root: Path) -> str:
    log = root / "dovecot.log"
    return "\n" + log.read_text(errors="replace") if log.exists() else ""


@pytest.fixture(scope="session")
def dovecot():
    if not os.path.exists(DOVECOT):
        message = "dovecot is missing: apt-get install dovecot-imapd (CI installs it)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    # Not under pytest's temporary folders: those are root's alone, and Dovecot's own processes (its
    # account when run as root) must read the passwd file and write the maildir.
    root = Path(tempfile.mkdtemp(prefix="redress-dovecot-"))
    process, server = start(root)
    try:
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(root, ignore_errors=True)
