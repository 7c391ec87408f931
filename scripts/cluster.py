"""Several app servers behind a balancer, on this machine: the shape a hospital group runs, in miniature.

    .venv/bin/python scripts/cluster.py [--servers 3] [--port 8840]                (make cluster)

Starts, and stops again on Ctrl-C:
- PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379) if they are not running (Debian's services), and a
  database `redress_cluster`, migrated, with the demo hospital loaded the first time;
- --servers gunicorn app servers, 2 workers each, on loopback ports after --port, sharing the database (and
  the evidence files in it: REDRESS_EVIDENCE_STORE=database, since servers share no folder; each has a folder
  of its own, build/cluster/appN/, that holds none), the rate limits (Redis db 8) and the keys;
- a mail catcher on 127.0.0.1:--port - 15, which keeps every email as a file (build/cluster/mail/);
- haproxy on 127.0.0.1:--port in front of them, checking each server's /healthz every second;
- two workers beside them (`flask worker`, as two boxes would run them), which share the periodic jobs out:
  the notification relay and the SLA sweep, each done by one of them at a time.

How the balancer is set up, and why (docs/operations.md#several-app-servers): a server whose /healthz
fails (it is gone, or cannot reach the database) leaves the rotation within two seconds. When every
server fails its check at once, the cause is the shared database, not the servers: the `backup` lines
then send visitors to the servers anyway, which answer with the hospital's own 503 page (in the visitor's
language, styled, with Retry-After), and only when no server answers at all does the balancer give that
page itself, from the copy written when the cluster started.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import ROOT, Server, server_environment  # noqa: E402

FLASK = [str(ROOT / ".venv" / "bin" / "flask"), "--app", "wsgi"]
HEALTH = "/healthz"


def unavailable_page(env: dict) -> str:
    """The hospital's 503 page as a whole HTTP answer, for haproxy's `errorfile`: what a visitor reads
    when no app server answers at all. Rendered by the app itself, in the hospital's default language."""
    script = (
        "from flask import render_template\n"
        "from intranet import create_app\n"
        "from intranet.core.hospital import last_known\n"
        "app = create_app()\n"
        "with app.test_request_context('/'):\n"
        "    print(render_template('unavailable.html', language='zh', hospital=last_known), end='')\n")
    body = subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "-c", script], cwd=ROOT, env=env,
                          check=True, capture_output=True, text=True).stdout
    length = len(body.encode())
    return ("HTTP/1.0 503 Service Unavailable\r\nContent-Type: text/html; charset=utf-8\r\n"
            f"Retry-After: 30\r\nCache-Control: no-store\r\nContent-Length: {length}\r\n"
            f"Connection: close\r\n\r\n{body}")


def haproxy_config(port: int, server_ports: list[int], errorfile: Path, health: str = HEALTH) -> str:
    primaries = "\n".join(f"    server app{i} 127.0.0.1:{p} check" for i, p in enumerate(server_ports, 1))
    fallbacks = "\n".join(f"    server app{i}-anyway 127.0.0.1:{p} backup" for i, p in enumerate(server_ports, 1))
    return f"""global
    maxconn 1024
    log stdout format raw local0 info

defaults
    mode http
    log global
    option httplog
    # Requests that ended badly only (a 5xx, a server gone): a file to read after a fault run.
    option dontlog-normal
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout http-request 10s
    # A visitor's connection is kept between their requests as long as the app's are (the sync workers
    # close theirs after each answer; the balancer keeps the visitor's open).
    timeout http-keep-alive 60s
    # A connection refused by a server that just died is tried on another (a request never sent is safe
    # to send again; one already sent is not, and is never retried).
    retries 2
    option redispatch
    # The app counts rate limits per visitor: it reads the visitor's address from here (REDRESS_PROXY_HOPS).
    option forwardfor
    errorfile 503 {errorfile}

frontend redress
    bind 127.0.0.1:{port}
    default_backend app

backend app
    balance roundrobin
    option httpchk GET {health}
    http-check expect status 200
    # A busy server answers its check late: only three checks missed in a row take it out.
    timeout check 5s
    default-server inter 1s fall 3 rise 1
{primaries}
    # Every server failing its check at once means the database is down: send visitors to the servers all
    # the same, so that they get the hospital's 503 page in their own language.
    option allbackups
{fallbacks}
"""


class Balancer:
    """haproxy in the foreground, with the configuration above."""

    def __init__(self, folder: Path, port: int, server_ports: list[int], env: dict, health: str = HEALTH):
        self.folder, self.port = folder, port
        errorfile = folder / "503.http"
        errorfile.write_text(unavailable_page(env))
        self.config = folder / "haproxy.cfg"
        self.config.write_text(haproxy_config(port, server_ports, errorfile, health))
        self.process = None

    def __enter__(self):
        haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
        if not Path(haproxy).exists():
            raise SystemExit("haproxy not found: apt-get install haproxy")
        subprocess.run([haproxy, "-c", "-q", "-f", str(self.config)], check=True)
        self.log = (self.folder / "haproxy.log").open("w")
        self.process = subprocess.Popen([haproxy, "-db", "-f", str(self.config)], stdout=self.log,
                                        stderr=subprocess.STDOUT)
        import requests

        for _ in range(100):
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"http://127.0.0.1:{self.port}/complain", timeout=2).status_code == 200:
                    return self
            time.sleep(0.1)
        raise RuntimeError("the balancer did not answer")

    def __exit__(self, *exc):
        self.process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(5)
        self.log.close()


class Workers:
    """`count` workers beside the app servers, as `count` boxes would run them: they share the periodic jobs
    out (the relay, the sweep…), each job done by one of them, taken over by another if its holder dies."""

    def __init__(self, env: dict, folder: Path, count: int = 2, every: tuple[str, ...] = ()):
        options = [option for job in every for option in ("--every", job)]
        self.commands = [[*FLASK, "worker", *options] for _ in range(count)]
        self.env, self.folder, self.processes = env, folder, []

    def __enter__(self):
        for number, command in enumerate(self.commands):
            log = (self.folder / f"worker-{number}.log").open("w")
            self.processes.append((subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log,
                                                    stderr=subprocess.STDOUT), log))
        return self

    def __exit__(self, *exc):
        for process, _log in self.processes:
            process.send_signal(signal.SIGTERM)  # the jobs finish what they hold, then stop
        for process, log in self.processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
            log.close()


class MailCatcher:
    """An SMTP server on 127.0.0.1 that keeps every message it is given as a file (build/cluster/mail/): the
    demo's complainants' addresses are made up, so the relays' emails are kept here to be read."""

    def __init__(self, folder: Path, port: int):
        self.folder, self.port, self.controller = folder, port, None
        folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        name = f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(4)}.eml"
        (self.folder / name).write_bytes(envelope.original_content or envelope.content)
        return "250 Message accepted for delivery"

    def __enter__(self):
        from aiosmtpd.controller import Controller

        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()


def cluster_environment(url: str, port: int, redis_url: str, folder: Path) -> dict[str, str]:
    """What every app server and worker shares: the database (the evidence files in it too), the rate
    limits' Redis, the keys, and the balancer's address as the one proxy in front."""
    env = server_environment(url, port, redis_url, folder)
    env.pop("REDRESS_COUNT_STATEMENTS", None)
    keys = folder / "keys.env"
    if not keys.exists():  # every server must share the keys (docs/operations.md#keys): made once, kept
        keys.write_text(f"SECRET_KEY={secrets.token_hex(32)}\nREDRESS_TRACKING_KEY={secrets.token_hex(32)}\n")
    env.update(line.split("=", 1) for line in keys.read_text().split())
    env.update(REDRESS_PROXY_HOPS="1", REDRESS_PUBLIC_URL=f"http://127.0.0.1:{port}", REDRESS_EVIDENCE_STORE="database",
               MAIL_SERVER="127.0.0.1", MAIL_PORT=str(port - 15), MAIL_USE_TLS="0", MAIL_USE_SSL="0")
    return env


def start_local_services() -> None:
    """PostgreSQL and Redis from Debian's packages, when they are not running (as on a fresh machine)."""
    if subprocess.run(["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-q"]).returncode != 0:
        version = sorted(os.listdir("/etc/postgresql"))[-1]
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"], check=True)
        for _ in range(30):
            if subprocess.run(["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-q"]).returncode == 0:
                break
            time.sleep(1)
    if subprocess.run(["redis-cli", "-h", "127.0.0.1", "ping"], capture_output=True).returncode != 0:
        subprocess.run(["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--save", ""], check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--servers", type=int, default=3)
    parser.add_argument("--port", type=int, default=8840, help="the balancer's; the servers take the next ones")
    parser.add_argument("--database", default="redress_cluster")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/8")
    parser.add_argument("--health", default=HEALTH, help="the page each server's health check asks for")
    args = parser.parse_args()

    import psycopg

    start_local_services()
    folder = ROOT / "build" / "cluster"
    folder.mkdir(parents=True, exist_ok=True)
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{args.database}"
    env = cluster_environment(url, args.port, args.redis, folder)
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        new = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (args.database,)).fetchone() is None
        if new:
            conn.execute(f'CREATE DATABASE "{args.database}"')
    subprocess.run([*FLASK, "db", "upgrade"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    if new:
        subprocess.run([*FLASK, "demo", "--force"], cwd=ROOT, env=env, check=True)
    # A cluster made before the files moved into the database kept them in one shared folder: moved in (once;
    # run again, it finds them there already).
    if (folder / "evidence").is_dir():
        subprocess.run([*FLASK, "evidence", "migrate", "--to", "database"], cwd=ROOT, check=True,
                       env={**env, "REDRESS_EVIDENCE_FOLDER": str(folder / "evidence")})
    ports = [args.port + i for i in range(1, args.servers + 1)]
    with contextlib.ExitStack() as stack:
        stack.enter_context(MailCatcher(folder / "mail", int(env["MAIL_PORT"])))
        for number, port in enumerate(ports, 1):
            own = {**env, "REDRESS_EVIDENCE_FOLDER": str(folder / f"app{number}" / "evidence")}  # shared with none
            stack.enter_context(Server(own, port, folder / f"app{number}.log"))
        stack.enter_context(Balancer(folder, args.port, ports, env, args.health))
        stack.enter_context(Workers(env, folder))
        print(f"Serving http://127.0.0.1:{args.port} (haproxy) in front of {len(ports)} app servers on "
              f"{', '.join(map(str, ports))}, with two workers (the relay, the SLA sweep) beside them; logs and the "
              f"emails sent in {folder.relative_to(ROOT)}/. Ctrl-C stops everything.", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)
    return 0


def _interrupt(signum, frame):
    # Once: a second signal while everything is being stopped would cut the stopping short.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise KeyboardInterrupt


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _interrupt)  # stopped as a service: the same as Ctrl-C
    raise SystemExit(main())
