"""Faults across several app servers: a server killed whole, a worker killed, the database stopped, all
under load through the balancer. Nothing acknowledged is lost, and no visitor sees a bare error.

    .venv/bin/python scripts/faults_cluster.py [--submissions 2000] [--clients 16]      (make faults-cluster)

1. A throwaway PostgreSQL cluster (initdb, 127.0.0.1:--pg-port), migrated; a real SMTP server on 127.0.0.1
   that records what it is given; --outbox emails queued in the outbox.
2. The cluster of scripts/cluster.py: three gunicorn app servers (2 workers each), haproxy in front, and two
   `flask worker` processes sharing the relay and the SLA sweep.
3. --submissions public submissions through the balancer from --clients threads. A quarter of the way in,
   app server 1 is killed whole (its master and workers, SIGKILL: a box gone); half-way it is started
   again; at 60 % one worker of app server 2 is killed.
4. Two visitors and two logged-in members of staff keep asking for pages through the balancer while
   PostgreSQL is stopped (immediate shutdown) for --down seconds and started again (scripts/faults.py's).

It checks: every acknowledged submission is stored exactly once, with distinct references; no answer is a
5xx, and no request fails, except the balancer's own 502 or a dropped connection for a request in hand when
processes were killed (one under way at that moment); every page while PostgreSQL was down is the
hospital's 503 page with Retry-After; pages are normal within seconds of its return; and every queued email
is delivered, each once. It prints what it saw and exits 1 if any of it does not hold; the logs stay in
build/faults-cluster/. Loopback only; everything it starts it stops.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import CSRF, REFERENCE, ROOT, Server, stored_references  # noqa: E402
from cluster import FLASK, Balancer, Workers, cluster_environment  # noqa: E402
from faults import STAFF_PASSWORD, STAFF_USER, TEXTS, judge_outage, outage  # noqa: E402
from faults import Cluster as Postgres  # noqa: E402


def queue_emails(url: str, count: int) -> None:
    """`count` emails waiting in the outbox, written as the app writes them."""
    os.environ["DATABASE_URL"] = url
    from intranet import create_app
    from intranet.core.extensions import db
    from intranet.core.time import utcnow
    from intranet.notifications.models import OutboxMessage

    app = create_app("production", SECRET_KEY="faults-cluster")
    with app.app_context():
        now = utcnow()
        db.session.execute(OutboxMessage.__table__.insert(), [
            dict(key=f"faults-cluster:{i}", kind="acknowledged", channel="email",
                 recipient=f"p{i}@example.org", recipient_user_id=None, language="zh",
                 subject=f"投诉 {i} 已受理", body="您的投诉已受理。\n", status="pending", attempts=0,
                 next_attempt_at=now, created_at=now)
            for i in range(count)])
        db.session.commit()
        db.engine.dispose()


def outbox_left(url: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM notification_outbox WHERE status <> 'sent'")).scalar()
    finally:
        engine.dispose()


def kill_server(server: Server) -> int:
    """A box gone: the master and its workers, SIGKILL. How many processes were killed."""
    server._sampling = False
    pids = [*server.worker_pids(), server.process.pid]
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    server.process.wait()
    return len(pids)


def submit_all(base: str, total: int, clients: int, events: list) -> dict:
    """Submissions from `clients` threads; each (fraction, action) of `events` runs once that share of the
    submissions has been acknowledged."""
    import requests

    lock = threading.Lock()
    # failed: (started, ended) of each request that got no answer, or the balancer's 502; kills: when
    # processes were killed. A failure is a request in hand at a kill only if one falls within it.
    seen = dict(acknowledged=[], statuses=Counter(), dropped=0, happened=[], why=Counter(), failed=[], kills=[])
    remaining = [total]

    def conductor():
        for fraction, name, action in events:
            while len(seen["acknowledged"]) < total * fraction and remaining[0] > 0:
                time.sleep(0.01)
            if "killed" in name:
                seen["kills"].append(time.monotonic())
            action()
            seen["happened"].append((name, len(seen["acknowledged"])))

    def client(number: int):
        session = requests.Session()
        while True:
            with lock:
                if remaining[0] <= 0:
                    return
                remaining[0] -= 1
                left = remaining[0]
            token, started = None, time.monotonic()
            try:
                form = session.get(f"{base}/complain", timeout=30)
                found = CSRF.search(form.text)
                if found is None:  # the form itself was refused: counted by its status
                    with lock:
                        seen["statuses"][form.status_code] += 1
                    continue
                token = found.group(1)
                response = session.post(f"{base}/complain", timeout=30, data={
                    "csrf_token": token, "what_happened": TEXTS[number % len(TEXTS)],
                    "complainant_relation": "patient", "complainant_phone": f"139{number:04d}{left:04d}",
                    "preferred_reply": "phone"})
            except requests.ConnectionError as error:
                with lock:
                    seen["dropped"] += 1
                    seen["why"][f"{'POST' if token else 'GET'} {str(error)[-80:]}"] += 1
                    seen["failed"].append((started, time.monotonic()))
                session = requests.Session()
                continue
            match = REFERENCE.search(response.text) if response.url.endswith("/complain/done") else None
            with lock:
                seen["statuses"][response.status_code] += 1
                if response.status_code == 502:
                    seen["failed"].append((started, time.monotonic()))
                if response.status_code == 200 and match:
                    seen["acknowledged"].append(match.group(0))

    director = threading.Thread(target=conductor, daemon=True)
    director.start()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    director.join(30)
    return seen


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--outbox", type=int, default=500, help="emails queued for the relays")
    parser.add_argument("--port", type=int, default=8860, help="the balancer's; the servers take the next ones")
    parser.add_argument("--pg-port", type=int, default=55433)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/10")
    parser.add_argument("--down", type=float, default=4.0, help="seconds PostgreSQL stays down")
    parser.add_argument("--health", default="/healthz", help="the page each server's health check asks for")
    args = parser.parse_args()

    import psycopg
    import redis

    from tests.smtp import SMTPServer

    redis.Redis.from_url(args.redis).flushdb()
    problems = []
    with Postgres(args.pg_port) as postgres, contextlib.ExitStack() as stack:
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{args.pg_port}/postgres", autocommit=True) as c:
            c.execute("CREATE DATABASE redress")
        folder = ROOT / "build" / "faults-cluster"  # the servers', balancer's and workers' logs, kept to read
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        smtp = SMTPServer().start()
        stack.callback(smtp.stop)
        env = cluster_environment(postgres.url, args.port, args.redis, folder)
        env["MAIL_PORT"] = str(smtp.port)
        # A short lease on the outbox's rows: a relay cut off by the outage lets go of its rows soon after.
        env["OUTBOX_LEASE_SECONDS"] = "20"
        env["OUTBOX_BACKOFF_SECONDS"] = "2"
        subprocess.run([*FLASK, "db", "upgrade"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        subprocess.run([*FLASK, "users", "create", STAFF_USER, "--role", "reception", "--password", STAFF_PASSWORD],
                       cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        queue_emails(postgres.url, args.outbox)
        ports = [args.port + i for i in range(1, 4)]
        servers = [Server(env, port, folder / f"app{n}.log").__enter__() for n, port in enumerate(ports, 1)]
        stack.callback(lambda: [s.__exit__(None, None, None) for s in servers])
        stack.enter_context(Balancer(folder, args.port, ports, env, args.health))
        started_workers = time.perf_counter()
        stack.enter_context(Workers(env, folder, count=2, every=("relay=1", "sweep=60")))
        base = f"http://127.0.0.1:{args.port}"
        killed = Counter()

        def kill_first_server():
            killed["processes of app server 1"] += kill_server(servers[0])

        def start_first_server_again():
            servers[0] = Server(env, ports[0], folder / "app1-again.log").__enter__()

        def kill_a_worker_of_the_second():
            os.kill(servers[1].worker_pids()[0], signal.SIGKILL)
            killed["worker of app server 2"] += 1

        events = [(0.25, "app server 1 killed (master and 2 workers)", kill_first_server),
                  (0.5, "app server 1 started again", start_first_server_again),
                  (0.6, "a worker of app server 2 killed", kill_a_worker_of_the_second)]
        started = time.perf_counter()
        seen = submit_all(base, args.submissions, args.clients, events)
        wall = time.perf_counter() - started
        stored, distinct = stored_references(postgres.url, seen["acknowledged"])
        acknowledged = len(seen["acknowledged"])
        print(f"submissions through the balancer: {acknowledged} acknowledged of {args.submissions} in "
              f"{wall:.1f} s from {args.clients} clients")
        for name, at in seen["happened"]:
            print(f"  {name} after {at} acknowledged")
        print(f"  answers: {dict(sorted(seen['statuses'].items()))}; connections dropped: {seen['dropped']}")
        for why, n in seen["why"].items():
            print(f"  dropped: {n} × {why}")
        print(f"  stored: {stored} of {acknowledged} acknowledged, {distinct} distinct references")
        if len(seen["happened"]) != len(events):
            problems.append("not every fault happened during the load")
        if stored != acknowledged or distinct != acknowledged:
            problems.append("an acknowledged submission is missing or stored twice")
        bad = {status: n for status, n in seen["statuses"].items() if status >= 500 and status != 502}
        if bad:
            problems.append(f"5xx answers other than the balancer's 502: {bad}")
        # The balancer's 502, or a connection it closed: only for a request in hand when processes were killed
        # (sent to a worker that died with it, or waiting in a killed server's queue).
        stray = [(a, b) for a, b in seen["failed"] if not any(a <= k <= b for k in seen["kills"])]
        print(f"  requests that failed: {len(seen['failed'])}, each in hand at a kill: "
              f"{len(seen['failed']) - len(stray)}")
        if stray:
            problems.append(f"{len(stray)} requests failed (502 or dropped) though no process was killed meanwhile")

        judge_outage(outage(base, postgres, args.down), problems)

        deadline = time.monotonic() + 120
        while (left := outbox_left(postgres.url)) and time.monotonic() < deadline:
            time.sleep(1)
        ids = smtp.recorder.message_ids()
        print(f"outbox: {args.outbox - left} of {args.outbox} emails sent by the workers' relay in "
              f"{time.perf_counter() - started_workers:.0f} s; the SMTP server received {len(ids)}, "
              f"{len(set(ids))} distinct")
        if left:
            problems.append(f"{left} emails were never sent")
        if len(ids) != args.outbox or len(set(ids)) != args.outbox:
            problems.append("an email was not delivered, or delivered twice")
    for problem in problems:
        print("FAILED:", problem)
    print("all held" if not problems else f"{len(problems)} failed")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
