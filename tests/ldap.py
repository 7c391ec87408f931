"""A real LDAP directory for the directory-login tests: Debian's OpenLDAP (slapd), started from a throwaway
slapd.conf in a temporary folder (an mdb database for dc=hospital,dc=test, 127.0.0.1 on a free port, no
TLS but StartTLS offered, and LDAPS on a second port, with a certificate from a throwaway CA), loaded with
ldapadd: people under ou=people, groupOfNames under ou=groups."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.smtp import free_port

SLAPD = shutil.which("slapd") or "/usr/sbin/slapd"
LDAPADD = shutil.which("ldapadd") or "/usr/bin/ldapadd"
SUFFIX = "dc=hospital,dc=test"
ROOT_DN, ROOT_PASSWORD = f"cn=admin,{SUFFIX}", "directory-root-secret"
PEOPLE, GROUPS = f"ou=people,{SUFFIX}", f"ou=groups,{SUFFIX}"
PASSWORD = "ward round at seven"  # every person's directory password


@dataclass
class Slapd:
    port: int
    root: Path
    ldaps_port: int = 0

    @property
    def ca_file(self) -> str:
        """The CA that signed the server's certificate (for 127.0.0.1)."""
        return str(self.root / "ca.pem")

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    def ldif(self, text: str, command: str = LDAPADD) -> None:
        """LDIF through ldap-utils (ldapadd, or ldapmodify with changetype lines), as the directory's root."""
        done = subprocess.run([command, "-x", "-H", self.url, "-D", ROOT_DN, "-w", ROOT_PASSWORD],
                              input=text.encode(), capture_output=True, timeout=20)
        assert done.returncode == 0, done.stderr.decode(errors="replace")

    def modify(self, text: str) -> None:
        self.ldif(text, shutil.which("ldapmodify") or "/usr/bin/ldapmodify")

    def add_person(self, uid: str, name: str, password: str = PASSWORD) -> str:
        dn = f"uid={uid},{PEOPLE}"
        self.ldif(f"dn: {dn}\nobjectClass: inetOrgPerson\nuid: {uid}\ncn: {name}\nsn: {name}\n"
                  f"displayName: {name}\nuserPassword: {password}\n")
        return dn

    def remove(self, dn: str) -> None:
        self.modify(f"dn: {dn}\nchangetype: delete\n")

    def add_group(self, name: str, *members: str) -> str:
        dn = f"cn={name},{GROUPS}"
        # groupOfNames must have a member: the root stands in for an empty group.
        lines = "".join(f"member: {m}\n" for m in (members or (ROOT_DN,)))
        self.ldif(f"dn: {dn}\nobjectClass: groupOfNames\ncn: {name}\n{lines}")
        return dn

    def set_members(self, group: str, *members: str) -> None:
        lines = "".join(f"member: {m}\n" for m in (members or (ROOT_DN,)))
        self.modify(f"dn: cn={group},{GROUPS}\nchangetype: modify\nreplace: member\n{lines}")

    def empty(self) -> None:
        """Everyone and every group gone, between tests."""
        done = subprocess.run([shutil.which("ldapdelete") or "/usr/bin/ldapdelete", "-x", "-H", self.url,
                               "-D", ROOT_DN, "-w", ROOT_PASSWORD, "-r", PEOPLE, GROUPS],
                              capture_output=True, timeout=20)
        assert done.returncode in (0, 32), done.stderr.decode(errors="replace")  # 32: nothing there
        self.ldif(f"dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people\n\n"
                  f"dn: {GROUPS}\nobjectClass: organizationalUnit\nou: groups\n")


def _certificates(root: Path) -> None:
    """A CA, and a certificate it signs for 127.0.0.1 (the name the tests connect to)."""
    def openssl(*args):
        subprocess.run(["openssl", *args], cwd=root, check=True, capture_output=True, timeout=60)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Redress test CA",
            "-keyout", "ca.key", "-out", "ca.pem")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "server.key",
            "-out", "server.csr")
    (root / "san.ext").write_text("subjectAltName = IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-days", "2", "-extfile", "san.ext", "-out", "server.pem")


def start(root: Path) -> tuple[subprocess.Popen, Slapd]:
    port, ldaps_port = free_port(), free_port()
    (root / "db").mkdir()
    _certificates(root)
    (root / "slapd.conf").write_text(f"""
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
pidfile {root}/slapd.pid
TLSCACertificateFile {root}/ca.pem
TLSCertificateFile {root}/server.pem
TLSCertificateKeyFile {root}/server.key
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
suffix "{SUFFIX}"
rootdn "{ROOT_DN}"
rootpw {ROOT_PASSWORD}
directory {root}/db
maxsize 10485760
access to attrs=userPassword by self write by anonymous auth by * none
access to * by * read
""")
    # -d 0: in the foreground (so that the fixture holds its process), logging nothing.
    listen = f"ldap://127.0.0.1:{port}/ ldaps://127.0.0.1:{ldaps_port}/"
    process = subprocess.Popen([SLAPD, "-h", listen, "-f", str(root / "slapd.conf"), "-d", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("slapd stopped: " + process.stdout.read().decode(errors="replace"))
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                server = Slapd(port, root, ldaps_port)
                server.ldif(f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: hospital\n"
                            "o: Hospital\n")
                server.empty()
                return process, server
        time.sleep(0.1)
    process.kill()
    raise RuntimeError("slapd did not listen in time")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def slapd():
    if not (os.path.exists(SLAPD) and os.path.exists(LDAPADD)):
        message = "slapd or ldap-utils is missing: apt-get install slapd ldap-utils (CI installs them)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    root = Path(tempfile.mkdtemp(prefix="redress-slapd-"))
    process, server = start(root)
    try:
        yield server
    finally:
        stop(process)
        shutil.rmtree(root, ignore_errors=True)
