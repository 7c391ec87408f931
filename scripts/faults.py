"""Faults under load, against gunicorn on a PostgreSQL of its own: nothing acknowledged is ever lost.

    .venv/bin/python scripts/faults.py [--submissions 2000] [--clients 16]      (make faults)

1. A throwaway PostgreSQL cluster (initdb into a temporary folder, on 127.0.0.1:--pg-port), migrated with
   the app's migrations; gunicorn with 2 sync workers on 127.0.0.1:--port; rate limits counted in Redis
   (--redis, flushed first) and raised so that one address may send thousands of submissions.
2. --submissions public submissions from --clients threads (each: the form, its CSRF token, the POST, the
   confirmation page with its reference). When a quarter are in, one worker is killed with SIGKILL
   (gunicorn starts another). Afterwards: every acknowledged reference is stored exactly once, there are no
   duplicate references, no 5xx answer; the only failures allowed are the killed worker's requests in hand
   (the client sees its connection dropped, never an acknowledgement).
3. Four clients keep asking for pages while PostgreSQL is stopped (immediate shutdown) for a few seconds
   and started again, two of them the public (the complaint form) and two logged-in staff (the queue,
   search, reports, the bell's and the queue counts' htmx polls): while it is down every answer is the 503
   page with Retry-After; once it is back, pages are normal again within seconds, with no restart of the
   app.

It prints what it saw and exits 1 if any of it does not hold. Loopback only; everything it starts it stops,
and the cluster's folder is removed.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import CSRF, REFERENCE, ROOT, Server, server_environment, stored_references  # noqa: E402

TEXTS = ["候诊两个多小时，没有人解释原因。", "缴费窗口只开了一个，老人站不住。", "检查结果一句也没解释。"]


# --- a PostgreSQL of its own ------------------------------------------------------------------------------


def _pg_bin(name: str) -> str:
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (folder / name).exists():
            return str(folder / name)
    found = shutil.which(name)
    if not found:
        raise SystemExit(f"{name} not found: install PostgreSQL's server package")
    return found


class Cluster:
    """initdb into a temporary folder, started on 127.0.0.1:port. As root, it runs as the postgres user
    (PostgreSQL refuses to run as root)."""

    def __init__(self, port: int):
        self.port = port
        self.folder = Path(tempfile.mkdtemp(prefix="redress-faults-"))
        self.data = self.folder / "data"
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(self.folder, "postgres")

    def _run(self, *command: str) -> None:
        subprocess.run([*self.as_user, *command], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def __enter__(self):
        self._run(_pg_bin("initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        self.start()
        return self

    def start(self) -> None:
        self._run(_pg_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.folder / "log"), "-w", "-o",
                  f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off", "start")

    def stop(self) -> None:
        self._run(_pg_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def __exit__(self, *exc):
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/redress"


# --- the load -------------------------------------------------------------------------------------------


def submit_all(base: str, total: int, clients: int, kill_at: int, server: Server) -> dict:
    import requests

    lock = threading.Lock()
    seen = dict(acknowledged=[], statuses=Counter(), dropped=0, killed=None)
    remaining = [total]

    def killer():
        while len(seen["acknowledged"]) < kill_at:
            time.sleep(0.01)
        victim = server.worker_pids()[0]
        os.kill(victim, signal.SIGKILL)
        seen["killed"] = victim

    def client(number: int):
        session = requests.Session()
        while True:
            with lock:
                if remaining[0] <= 0:
                    return
                remaining[0] -= 1
            try:
                form = session.get(f"{base}/complain", timeout=30)
                token = CSRF.search(form.text).group(1)
                response = session.post(f"{base}/complain", timeout=30, data={
                    "csrf_token": token, "what_happened": TEXTS[number % len(TEXTS)],
                    "complainant_relation": "patient", "complainant_phone": f"139{number:04d}{remaining[0]:04d}",
                    "preferred_reply": "phone"})
            except (requests.ConnectionError, AttributeError):
                # The killed worker's request in hand: the connection drops, or its form never came.
                with lock:
                    seen["dropped"] += 1
                session = requests.Session()
                continue
            match = REFERENCE.search(response.text) if response.url.endswith("/complain/done") else None
            with lock:
                seen["statuses"][response.status_code] += 1
                if response.status_code == 200 and match:
                    seen["acknowledged"].append(match.group(0))

    threading.Thread(target=killer, daemon=True).start()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return seen


STAFF_USER, STAFF_PASSWORD = "faults-reception", "faults-run-password"
# What a logged-in member of staff asks for, in turn: the pages, and what htmx polls on its own.
STAFF_REQUESTS = [("/queue", {}), ("/search?q=wait", {}), ("/reports", {}),
                  ("/notifications/bell", {"HX-Request": "true", "HX-Target": "bell"}),
                  ("/queue", {"HX-Request": "true", "HX-Target": "queue-counts"})]


def staff_session(base: str):
    import requests

    session = requests.Session()
    token = CSRF.search(session.get(f"{base}/login", timeout=10).text).group(1)
    response = session.post(f"{base}/login", timeout=10,
                            data={"csrf_token": token, "username": STAFF_USER, "password": STAFF_PASSWORD})
    if not response.url.endswith("/queue"):
        raise SystemExit(f"the staff login did not reach the queue: {response.status_code} {response.url}")
    return session


def outage(base: str, cluster: Cluster, down_seconds: float) -> dict:
    """Pages asked for before, during and after PostgreSQL is down, by the public and by logged-in staff:
    (phase, time, status, Retry-After, who) each."""
    import requests

    answers, phase, stop = [], ["before"], threading.Event()

    def client(who: str):
        session = staff_session(base) if who == "staff" else requests.Session()
        asked = STAFF_REQUESTS if who == "staff" else [("/complain", {})]
        turn = 0
        while not stop.is_set():
            path, headers = asked[turn % len(asked)]
            turn += 1
            try:
                response = session.get(f"{base}{path}", headers=headers, timeout=10)
                answers.append((phase[0], time.monotonic(), response.status_code,
                                response.headers.get("Retry-After"), who))
            except requests.ConnectionError:
                answers.append((phase[0], time.monotonic(), "dropped", None, who))
            time.sleep(0.05)

    threads = [threading.Thread(target=client, args=(who,)) for who in ("public", "public", "staff", "staff")]
    for thread in threads:
        thread.start()
    time.sleep(2)
    phase[0] = "stopping"
    cluster.stop()
    phase[0] = "down"
    time.sleep(down_seconds)
    phase[0] = "starting"
    cluster.start()
    phase[0] = "after"
    back = time.monotonic()
    time.sleep(5)
    stop.set()
    for thread in threads:
        thread.join()
    after = [a for a in answers if a[0] == "after"]
    first_ok = next((t for _p, t, status, _r, _w in after if status == 200), None)
    return dict(answers=answers, recovered_in=None if first_ok is None else first_ok - back)


def judge_outage(result: dict, problems: list[str]) -> None:
    """Print what the pages answered around the outage, and add what did not hold to `problems`."""
    by_phase: dict[str, Counter] = {}
    for phase, _at, status, retry, who in result["answers"]:
        by_phase.setdefault(phase, Counter())[(status, retry)] += 1
        by_phase.setdefault(f"{phase}, {who}", Counter())[(status, retry)] += 1
    for phase in ("before", "down", "after"):
        print(f"PostgreSQL {phase}: public {dict(by_phase.get(f'{phase}, public', {}))}, "
              f"staff {dict(by_phase.get(f'{phase}, staff', {}))}")
    recovered = result["recovered_in"]
    print(f"  normal pages again {recovered:.2f} s after PostgreSQL was back" if recovered is not None
          else "  no normal page after PostgreSQL was back")
    down = by_phase.get("down", Counter())
    if not down or any(status != 503 or not retry for status, retry in down):
        problems.append("while PostgreSQL was down, an answer was not the 503 page with Retry-After")
    if recovered is None or recovered > 10:
        problems.append("pages did not come back within 10 s of PostgreSQL")
    if any(status == 500 for c in by_phase.values() for status, _r in c):
        problems.append("a 500 answer")


# --- the run --------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--port", type=int, default=8830)
    parser.add_argument("--pg-port", type=int, default=55432)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/9")
    parser.add_argument("--down", type=float, default=4.0, help="seconds PostgreSQL stays down")
    args = parser.parse_args()

    import psycopg
    import redis

    redis.Redis.from_url(args.redis).flushdb()
    problems = []
    with Cluster(args.pg_port) as cluster:
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{args.pg_port}/postgres", autocommit=True) as c:
            c.execute("CREATE DATABASE redress")
        instance = cluster.folder / "instance"
        env = server_environment(cluster.url, args.port, args.redis, instance)
        env.pop("REDRESS_COUNT_STATEMENTS", None)
        subprocess.run([str(ROOT / ".venv" / "bin" / "flask"), "--app", "wsgi", "db", "upgrade"], cwd=ROOT,
                       env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run([str(ROOT / ".venv" / "bin" / "flask"), "--app", "wsgi", "users", "create", STAFF_USER,
                        "--role", "reception", "--password", STAFF_PASSWORD], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{args.port}"
        with Server(env, args.port, cluster.folder / "gunicorn.log") as server:
            started = time.perf_counter()
            seen = submit_all(base, args.submissions, args.clients, args.submissions // 4, server)
            wall = time.perf_counter() - started
            stored, distinct = stored_references(cluster.url, seen["acknowledged"])
            acknowledged = len(seen["acknowledged"])
            server_errors = sum(n for status, n in seen["statuses"].items() if status >= 500)
            print(f"submissions: {acknowledged} acknowledged of {args.submissions} in {wall:.1f} s from "
                  f"{args.clients} clients; worker {seen['killed']} killed with SIGKILL after {args.submissions // 4}")
            print(f"  answers: {dict(sorted(seen['statuses'].items()))}; connections dropped: {seen['dropped']}")
            print(f"  stored: {stored} of {acknowledged} acknowledged, {distinct} distinct references")
            if seen["killed"] is None:
                problems.append("no worker was killed")
            if stored != acknowledged or distinct != acknowledged:
                problems.append("an acknowledged submission is missing or stored twice")
            if server_errors:
                problems.append(f"{server_errors} answers were 5xx")
            if seen["dropped"] > 2:  # a sync worker has one request in hand (and a client may be mid-form)
                problems.append(f"{seen['dropped']} requests dropped: more than the killed worker held")

            judge_outage(outage(base, cluster, args.down), problems)
    for problem in problems:
        print("FAILED:", problem)
    print("all held" if not problems else f"{len(problems)} failed")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
