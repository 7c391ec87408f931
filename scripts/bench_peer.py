"""The peer the benchmark measures Redress beside: django-helpdesk 2.6.1, a ticket system a hospital might run
instead, seeded, served and measured as Redress is, in the same run (`scripts/bench.py --peer`).

Figures of one machine are only comparable within one run: the machines this runs on differ, and one
machine's speed drifts by a third or more within an hour. So the targets that are set against the peer (a
multiple of its submissions, at most its memory) are read from the two columns of one table.

The peer is installed into build/peer-venv from scripts/peer/requirements.txt (once; pip's cache keeps it),
its site is scripts/peer/ (settings.py, as django-helpdesk's documentation asks, DEBUG off), and its database
is a SQLite file under build/bench/ or a PostgreSQL database peer_<n>, made and dropped like Redress's. The
seed (scripts/peer/seed.py) is the same work in hand as Redress's: N tickets over two years, --open of them
open, in Chinese, with their follow-ups. The phases are Redress's, with the peer's pages:

- public form GET: its public "submit a ticket" page;
- submissions: the same 8 clients, each GETs the form and POSTs it with its CSRF token (success is the
  redirect to the ticket's public page, which names the new ticket), then every acknowledged ticket is looked
  up in the database;
- the staff list's first page: the ticket list page, and the request its table sends for its first 50 rows
  (the peer's list fills itself from that JSON request; the figure is the two together);
- a ticket page: 100 of the 2,000 newest, as a logged-in staff member;
- search: the words Redress's search phase typed, its phone, and one of the peer's ticket numbers, each
  search the ticket list with ?q= and its first 50 rows (the words travel in the rows request's query);
- its reports page (/reports/), beside Redress's monthly analysis;
- each worker's peak and resident memory.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import statistics
import subprocess
import time

from bench import (
    BUILD,
    ROOT,
    SUBMITTED,
    Server,
    fresh_database,
    ms,
    percentile,
    slow_page,
    sqlalchemy_url,
    stored_references,
    submission_figures,
    submissions,
    timed_gets,
    timed_searches,
)

SITE = ROOT / "scripts" / "peer"
VENV = ROOT / "build" / "peer-venv"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TICKET = re.compile(r"ticket=complaints-(\d+)")
PASSWORD = "demo-password"


def install() -> None:
    """The peer's own environment, made once (its requirements are pinned, so a new file means a new venv)."""
    requirements = SITE / "requirements.txt"
    stamp = VENV / ".requirements"
    if stamp.exists() and stamp.read_text() == requirements.read_text():
        return
    shutil.rmtree(VENV, ignore_errors=True)
    subprocess.run([os.environ.get("PYTHON", "python3"), "-m", "venv", str(VENV)], check=True)
    subprocess.run([str(VENV / "bin" / "pip"), "install", "-qq", "-r", str(requirements)], check=True)
    stamp.write_text(requirements.read_text())


def _submit(base: str):
    def submit(session, rng: random.Random):
        form = session.get(f"{base}/tickets/submit/")
        token = CSRF.search(form.text).group(1)
        text = rng.choice(SUBMITTED).replace("{n}", str(rng.randint(1, 30)))
        data = {"csrfmiddlewaretoken": token, "title": text[:12], "body": text,
                "submitter_email": f"patient{rng.randint(0, 99999999)}@example.com"}
        started = time.perf_counter()
        response = session.post(f"{base}/tickets/submit/", data=data)
        elapsed = time.perf_counter() - started
        match = TICKET.search(response.url) if response.status_code == 200 else None
        return (match.group(1) if match else None), response.status_code, elapsed

    return submit


def _login(base: str):
    import requests

    session = requests.Session()
    page = session.get(f"{base}/login/")
    response = session.post(f"{base}/login/", data={"csrfmiddlewaretoken": CSRF.search(page.text).group(1),
                                                    "username": "head", "password": PASSWORD, "next": "/tickets/"})
    if response.status_code != 200 or "/login" in response.url:
        raise RuntimeError(f"peer login: {response.status_code} {response.url}")
    return session


def _search(staff, base: str):
    """One search as a staff member makes it, timed: the ticket list with ?q= (its keyword search), then the
    request its table sends for its first 50 rows, whose query (base64 in the address) carries the words."""
    def get(word: str) -> float:
        started = time.perf_counter()
        page = staff.get(f"{base}/tickets/", params={"q": word})
        rows = re.search(r"datatables_ticket_list/([A-Za-z0-9_=-]+)", page.text)
        if page.status_code != 200 or rows is None:
            raise RuntimeError(f"peer search {word}: {page.status_code}")
        found = staff.get(f"{base}/datatables_ticket_list/{rows.group(1)}?draw=1&start=0&length=50")
        if found.status_code != 200:
            raise RuntimeError(f"peer search rows {word}: {found.status_code}")
        return time.perf_counter() - started

    return get


def run(kind: str, n: int, args, queries: dict[str, list[str]]) -> tuple[dict[str, str], dict]:
    """The peer's figures for one database and N, by the names of Redress's rows they stand beside, and its
    measures (seconds, kB) for the ratios. `queries`: what Redress's search phase typed, by kind (a
    reference is the peer's: a ticket number of its history, found by its keyword search)."""
    import requests

    install()
    database, drop = fresh_database(kind, f"peer-{n}.sqlite3", f"peer_{n}{args.tag}", args.pg_url)
    instance = BUILD / f"peer-instance-{kind}-{n}"
    shutil.rmtree(instance, ignore_errors=True)
    (instance / "mail").mkdir(parents=True)
    environment = {**os.environ, "PEER_DATABASE": database, "PEER_INSTANCE": str(instance),
                   "DJANGO_SETTINGS_MODULE": "settings"}
    python = str(VENV / "bin" / "python")
    print(f"\n== the peer, {kind}, {n:,} tickets: seeding…", flush=True)
    try:
        started = time.perf_counter()
        subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=SITE, env=environment, check=True)
        migrated = time.perf_counter() - started
        seeded = json.loads(subprocess.run([python, "seed.py", str(n), str(args.open)], cwd=SITE, env=environment,
                                           check=True, capture_output=True, text=True).stdout)
        seeding = time.perf_counter() - started - migrated
        print(f"   migrated in {migrated:.1f} s, seeded in {seeding:.1f} s", flush=True)
        base = f"http://127.0.0.1:{args.port}"
        repeat = 20 if args.quick else 100
        command = [str(VENV / "bin" / "gunicorn"), "-w", "2", "-k", "sync", "-b", f"127.0.0.1:{args.port}",
                   "--log-level", "warning", "wsgi:application"]
        with Server(environment, args.port, instance / "gunicorn.log", command=command, cwd=SITE,
                    ready="/tickets/submit/") as server:
            public = requests.Session()
            timed_gets(public, f"{base}/tickets/submit/", 10)
            form_times, _ = timed_gets(public, f"{base}/tickets/submit/", repeat * 2)

            total = 200 if args.quick else args.submissions
            result = submissions(total, 8, _submit(base), server)
            ids = [int(ident) for ident in result["acknowledged"]]
            stored, distinct = stored_references(sqlalchemy_url(kind, database), ids, "helpdesk_ticket", "id")

            staff = _login(base)
            rows = f"{base}/datatables_ticket_list/" + re.search(
                r"datatables_ticket_list/([A-Za-z0-9_=-]+)", staff.get(f"{base}/tickets/").text).group(1)
            rows += "?draw=1&start=0&length=50"
            timed_gets(staff, f"{base}/tickets/", 3)
            list_times, _ = timed_gets(staff, f"{base}/tickets/", repeat)
            timed_gets(staff, rows, 3)
            row_times, _ = timed_gets(staff, rows, repeat)
            page_times = []
            for ticket in random.Random(3).sample(seeded["tickets"], min(repeat, len(seeded["tickets"]))):
                page_times += timed_gets(staff, f"{base}/tickets/{ticket}/", 1)[0]
            peak_pages = max(server.peak.values(), default=float("nan"))
            searched, searches = {}, args.searches or (20 if args.quick else 40)
            for label, words in {**queries, "a reference": [str(max(n // 3, 1))]}.items():
                searched[label] = percentile(timed_searches(_search(staff, base), words, searches), 0.95)
            report_times, _ = slow_page(staff, f"{base}/reports/", 5 if args.quick else 20)
            peak = sorted(server.peak.values(), reverse=True)
            resident = sorted(server.resident(), reverse=True)
        acknowledged = len(result["acknowledged"])
        if acknowledged - stored or acknowledged - distinct or result["failures"]:
            print(f"!! the peer: {len(result['failures'])} submissions failed, "
                  f"{acknowledged - stored} acknowledged but not stored", flush=True)
        list_p50, rows_p50 = statistics.median(list_times), statistics.median(row_times)
        latency, cost = submission_figures(result)
        measures = dict(rate=acknowledged / result["wall"], submission_cpu=result["workers_cpu"],
                        staff_list=list_p50 + rows_p50, complaint_page=statistics.median(page_times),
                        form=statistics.median(form_times), peak=max(peak) if peak else float("nan"),
                        peak_pages=peak_pages, search=searched, reports=statistics.median(report_times))
        return {
            "public submissions per second": f"{acknowledged / result['wall']:.0f}",
            "submission p50": latency,
            "a submission's CPU": cost,
            "submissions acknowledged / failed / stored / distinct":
                f"{acknowledged} / {len(result['failures'])} / {stored} / {distinct}",
            "staff list": (f"{ms(list_p50 + rows_p50)} (the list page {ms(list_p50)}, its first 50 rows "
                           f"{ms(rows_p50)}; p90 {ms(percentile(list_times, 0.9) + percentile(row_times, 0.9))})"),
            "complaint page p50": ms(statistics.median(page_times)),
            "public form GET p50": ms(statistics.median(form_times)),
            "peak worker memory (VmHWM)": " / ".join(f"{kb / 1024:.0f} MiB" for kb in peak),
            "worker memory at the end (VmRSS)": " / ".join(f"{kb / 1024:.0f} MiB" for kb in resident),
        }, measures
    finally:
        if not args.keep:
            drop()
            shutil.rmtree(instance, ignore_errors=True)
