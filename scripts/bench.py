"""Benchmark Redress as it runs: N seeded complaints, gunicorn with 2 sync workers, a bounded load client.

    .venv/bin/python scripts/bench.py [--db sqlite|postgresql|both] [--n 10000 --n 100000] [--quick]

For each database and each N it makes a database of its own (a SQLite file under build/bench/, or a
PostgreSQL database bench_<n> it creates and drops: PGURL, default postgresql://postgres@127.0.0.1:5432),
migrates it with the app's migrations, seeds it, starts gunicorn on 127.0.0.1 (--port, default 8810) and
prints one table of figures. It prints figures; it asserts nothing except that no submission was lost.

The seed (SQLAlchemy Core bulk inserts): the demo hospital's departments, categories and logins, then N
complaints received over the last two years, written in Chinese from the demo's scenarios, each with the
timeline of its way through the lifecycle (hash-chained like real events, so `audit verify` holds). What
the queues show is the office's work in hand: --open complaints (default 2,000) are still open, received
over the last few weeks; the rest is history (closed, not accepted, withdrawn). Due dates come from the
deadline policy, as for a real complaint.

Rate limits are raised through their environment knobs (the benchmark is one address sending thousands of
submissions) and counted in Redis (REDIS_URL, default redis://127.0.0.1:6379/5, flushed before each run):
gunicorn refuses several workers counting in memory. REDRESS_COUNT_STATEMENTS=1 makes each response say how
many SQL statements it ran (a header that only this flag turns on).

Besides the pages and the submissions it measures search (words of 2, 3 and 4 characters, a phone, a
reference, one character; as reception and as a department head), the monthly analysis of the last full
month before and after closing it, the complaints' CSV and XLSX exports of that month and of the last full
year (first byte, worker memory growth), and the public pages as a phone loads them in chromium.

--peer runs the same phases after each run against the peer the targets are set against, django-helpdesk
(scripts/bench_peer.py), and prints the two side by side, then every ratio a target is read by with the
target and whether it holds (ratio_table()): figures compare only within one run. Each larger N is also read
against the smallest, flat in N (flat_in_n()).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# Run as a script, this module is __main__: scripts/bench_peer.py's `import bench` gets this same module
# rather than a second copy of it.
sys.modules.setdefault("bench", sys.modules[__name__])

BUILD = ROOT / "build" / "bench"
REFERENCE = re.compile(r"TS-\d{4}-\d{6}")
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
PASSWORD = "demo-password"  # the demo hospital's logins
STATEMENTS_HEADER = "X-SQL-Statements"
SUBMITTED = ["{n}号诊室候诊两个多小时，没有人解释原因，问护士只说再等等。",  # what the load client's complainants write
             "缴费窗口只开了一个，排队四十分钟，老人站不住。",
             "医生看病不到两分钟就开了检查单，病情一句也没解释。",
             "住院部卫生间连续三天没有热水，反映给护士站也没人来修。"]


# --- the database ---------------------------------------------------------------------------------


def fresh_database(kind: str, file_name: str, pg_name: str, pg_url: str) -> tuple[str, callable]:
    """A fresh, empty database, and how to drop it afterwards: a SQLite file under build/bench/ (its path), or a
    PostgreSQL database (its postgresql:// URL). The peer's (scripts/bench_peer.py) are made the same way."""
    if kind == "sqlite":
        BUILD.mkdir(parents=True, exist_ok=True)
        for leftover in BUILD.glob(f"{file_name}*"):
            leftover.unlink()
        return str(BUILD / file_name), lambda: [p.unlink() for p in BUILD.glob(f"{file_name}*")]
    import psycopg

    admin = psycopg.connect(f"{pg_url}/postgres", autocommit=True)
    admin.execute(f"DROP DATABASE IF EXISTS {pg_name} WITH (FORCE)")
    admin.execute(f"CREATE DATABASE {pg_name}")

    def drop():
        admin.execute(f"DROP DATABASE IF EXISTS {pg_name} WITH (FORCE)")
        admin.close()

    return f"{pg_url}/{pg_name}", drop


def sqlalchemy_url(kind: str, location: str) -> str:
    """fresh_database()'s path or postgresql:// URL, as SQLAlchemy (with psycopg 3) names it."""
    return f"sqlite:///{location}" if kind == "sqlite" else location.replace("postgresql://", "postgresql+psycopg://")


def make_database(kind: str, n: int, pg_url: str, tag: str = "") -> tuple[str, callable]:
    """Redress's database for one run: its SQLAlchemy URL and how to drop it afterwards."""
    location, drop = fresh_database(kind, f"redress-{n}.sqlite3", f"bench_{n}{tag}", pg_url)
    return sqlalchemy_url(kind, location), drop


def server_environment(url: str, port: int, redis_url: str, instance: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": url,
        "REDRESS_ENV": "production",
        "SECRET_KEY": "bench-secret-key-not-for-production",
        "REDRESS_TRACKING_KEY": "bench-tracking-key-not-for-production",
        "SESSION_COOKIE_SECURE": "0",  # plain http on 127.0.0.1
        "REDRESS_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "REDRESS_EVIDENCE_FOLDER": str(instance / "evidence"),
        "RATELIMIT_STORAGE_URI": redis_url,
        # One address sends everything: limits high enough never to throttle the benchmark.
        "REDRESS_RATELIMIT_SUBMIT": "1000000 per minute",
        "REDRESS_RATELIMIT_TRACK": "1000000 per minute",
        "REDRESS_RATELIMIT_LOGIN": "1000000 per minute",
        "REDRESS_RATELIMIT_LOGIN_ACCOUNT": "1000000 per minute",
        "REDRESS_SECOND_FACTOR_ROLES": "",  # leadership logs in with the password alone, as a script can
        "REDRESS_COUNT_STATEMENTS": "1",
        # As production runs gunicorn (docs/operations.md): no docstrings in the workers, about 15 MiB each.
        "PYTHONOPTIMIZE": "2",
    }


# --- the seed ---------------------------------------------------------------------------------------

HISTORY = [("closed", 88), ("not_accepted", 6), ("withdrawn", 6)]
OPEN = [("submitted", 6), ("registered", 6), ("assigned", 12), ("investigating", 34), ("awaiting_approval", 4),
        ("signed_off", 8), ("responded", 30)]
PATHS = {  # each state's way through the lifecycle: (action, actor, from, to)
    "submitted": [],
    "registered": [("triage", "reception")],
    "assigned": [("triage", "reception"), ("assign", "reception")],
    "investigating": [("triage", "reception"), ("assign", "reception"), ("accept", "head")],
    "awaiting_approval": [("triage", "reception"), ("assign", "reception"), ("accept", "head"),
                          ("record_findings", "head"), ("sign_off", "head")],
    "signed_off": [("triage", "reception"), ("assign", "reception"), ("accept", "head"),
                   ("record_findings", "head"), ("sign_off", "head")],
    "responded": [("triage", "reception"), ("assign", "reception"), ("accept", "head"),
                  ("record_findings", "head"), ("sign_off", "head"), ("respond", "reception")],
    "not_accepted": [("decline", "reception")],
    "withdrawn": [("triage", "reception"), ("withdraw", "reception")],
}
PATHS["closed"] = PATHS["responded"] + [("follow_up", "reception")]
STATE_AFTER = {"triage": "registered", "assign": "assigned", "accept": "investigating",
               "record_findings": "investigating", "sign_off": "signed_off", "respond": "responded",
               "follow_up": "closed", "decline": "not_accepted", "withdraw": "withdrawn"}
CHANNELS = [("online", 40), ("phone", 25), ("walk_in", 20), ("letter", 5), ("email", 5), ("referral", 5)]


def _weighted(rng: random.Random, pairs):
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _fill(text: str, rng: random.Random, scenario: dict, received: date) -> str:
    return (text.replace("{ward}", rng.choice(scenario.get("wards") or ["门诊"]))
            .replace("{date}", f"{received.month}月{received.day}日")
            .replace("{who}", rng.choice(scenario.get("who") or ["我"]))
            .replace("{n}", str(rng.randint(*(scenario.get("n") or [2, 5])))))


# Addresses as the demo draws them: a tenth of Chinese complainants give one of 900, English ones one of a
# score of names, so an address recurs thousands of times at a million complaints (a heavy repeat
# complainant: what the complaint page counts and searches by must not grow with it).
EN_ADDRESSES = [f"{name}@example.com" for name in (
    "john.smith", "mary.jones", "david.brown", "sarah.wilson", "james.taylor", "emma.davies", "peter.evans",
    "anna.thomas", "paul.roberts", "lucy.walker", "mark.wright", "kate.hughes", "tom.green", "jane.hall",
    "chris.wood", "helen.clarke", "mike.lewis", "ruth.young", "adam.king", "lisa.scott")]


def _email(rng: random.Random, lang: str) -> str | None:
    if lang == "en":
        return rng.choice(EN_ADDRESSES) if rng.random() < 0.8 else None
    return f"patient{rng.randint(100, 999)}@example.cn" if rng.random() < 0.1 else None


def seed(url: str, n: int, open_work: int, rng_seed: int = 12) -> dict:
    """Seed through SQLAlchemy Core; return what the load client needs (references, department code)."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("REDRESS_ENV", "production")
    from flask_migrate import upgrade
    from sqlalchemy import insert, select

    from intranet import create_app
    from intranet.complaints import search
    from intranet.complaints.audit import FACTS, GENESIS, event_hash, fact_digest
    from intranet.complaints.models import (
        Complaint,
        ComplaintAnswer,
        ComplaintEvent,
        ComplaintFollowUp,
        ReferenceCounter,
    )
    from intranet.core.extensions import db
    from intranet.core.time import hospital_tz
    from intranet.deadlines import policy
    from intranet.deadlines.models import Clock
    from intranet.demo.load import _reference_data, _users
    from intranet.demo.story import HOSPITAL, SCENARIOS
    from intranet.reports.periods import Period

    app = create_app("production", SECRET_KEY="bench", TRACKING_KEY="bench-tracking-key-not-for-production")
    started = time.perf_counter()
    with app.app_context():
        upgrade()
        migrated = time.perf_counter() - started
        departments, categories, _ = _reference_data()
        users, _ = _users(departments)
        db.session.commit()
        heads = {u.department_id: u.id for u in users.values() if u.role == "head"}
        reception = users["reception"].id
        dept_by_code = {code: d.id for code, d in departments.items()}
        cat_by_code = {code: c.id for code, c in categories.items()}
        scenarios = SCENARIOS["scenarios"]
        declines = SCENARIOS["declines"]
        surnames, given = HOSPITAL["surnames"], HOSPITAL["given"]
        prefixes = HOSPITAL["phone_prefixes"]

        rng = random.Random(rng_seed)
        tz = hospital_tz()
        now = datetime.now(UTC).replace(microsecond=0)
        due_cache: dict[tuple[str, date], date] = {}

        def due(clock: str, day: date) -> date:
            if (clock, day) not in due_cache:
                due_cache[clock, day] = policy.due_on(Clock(clock), day)
            return due_cache[clock, day]

        # Arrival times in order, so that references are numbered in order of arrival.
        history = n - min(open_work, n)
        arrivals = sorted([(now - timedelta(seconds=rng.randint(45 * 86400, 730 * 86400)), False)
                           for _ in range(history)]
                          + [(now - timedelta(seconds=rng.randint(600, 40 * 86400)), True)
                             for _ in range(n - history)])
        def write(table, rows: list[dict]) -> None:
            """Core bulk inserts on SQLite; COPY on PostgreSQL (several times faster for a million rows)."""
            if not url.startswith("postgresql"):
                db.session.execute(insert(table), rows)
                return
            columns = list(rows[0])
            cursor = db.session.connection().connection.driver_connection.cursor()
            with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else v
                                    for v in row.values()])

        def write_all(complaints, events, answers, follow_ups) -> None:
            for table, rows in ((Complaint.__table__, complaints), (ComplaintEvent.__table__, events),
                                (ComplaintAnswer.__table__, answers), (ComplaintFollowUp.__table__, follow_ups)):
                if rows:
                    write(table, rows)

        counters: dict[int, int] = {}
        complaints, events, answers, follow_ups = [], [], [], []
        chunk = 5000
        seeded_at = time.perf_counter()
        written = 0
        for index, (received_at, is_open) in enumerate(arrivals, start=1):
            state = _weighted(rng, OPEN if is_open else HISTORY)
            local_day = received_at.astimezone(tz).date()
            year = received_at.astimezone(tz).year
            counters[year] = counters.get(year, 0) + 1
            reference = f"TS-{year}-{counters[year]:06d}"
            channel = "online" if state == "submitted" else _weighted(rng, CHANNELS)  # logged: registered
            declined = state == "not_accepted"
            scenario = rng.choice(declines if declined else scenarios)
            dept_code = scenario.get("dept") or rng.choice(list(dept_by_code))
            department_id = dept_by_code.get(dept_code) or rng.choice(list(dept_by_code.values()))
            category_id = cat_by_code.get(scenario.get("cat")) or rng.choice(list(cat_by_code.values()))
            anonymous = rng.random() < 0.05
            name = None if anonymous else rng.choice(surnames) + rng.choice(given)
            path = PATHS[state]
            # The steps spread between arrival and now (or over a few weeks for history).
            span = (now - received_at).total_seconds()
            gap = min(span / (len(path) + 1), rng.uniform(0.3, 4) * 86400)
            times = [received_at + timedelta(seconds=gap * (i + 1)) for i in range(len(path))]
            at = dict(zip([a for a, _ in path], times, strict=True))
            severity = _weighted(rng, [("minor", 80), ("serious", 17), ("major", 3)])
            text = _fill(scenario.get("what") or scenario.get("text") or "候诊时间过长，没有人解释原因。",
                         rng, scenario, local_day)
            responded_at = at.get("respond")
            row = dict(
                id=index, reference=reference, tracking_code_hash=None, status=state, version=len(path) + 1,
                channel=channel, received_at=received_at,
                created_by_id=None if channel == "online" else reception,
                anonymous=anonymous, confidential=rng.random() < 0.05, complainant_name=name,
                complainant_relation="patient" if rng.random() < 0.5 else "family",
                complainant_phone=None if anonymous else f"{rng.choice(prefixes)}{rng.randint(0, 99999999):08d}",
                complainant_email=None if anonymous else _email(rng, scenario.get("lang", "zh")),
                preferred_reply=None if anonymous else "phone",
                wants_written_reply=channel == "letter", language=scenario.get("lang", "zh"), patient_name=name,
                patient_record_number=None, disclosed_name=False, disclosed_contact=False, disclosed_patient=False,
                incident_on=local_day - timedelta(days=rng.randint(0, 3)), subject_department_id=department_id,
                subject_ward=rng.choice(scenario.get("wards") or [None]), what_happened=text,
                desired_outcome=scenario.get("want"),
                category_id=category_id if "triage" in at or declined else None,
                severity=severity, complexity="simple", triaged_at=at.get("triage"),
                acknowledged_at=at.get("assign"), acknowledged_via="phone" if "assign" in at else None,
                acknowledged_on_time=True if "assign" in at else None,
                department_id=department_id if "assign" in at else None, assigned_at=at.get("assign"),
                sent_back_at=None,
                acknowledge_due_on=None if anonymous else due("acknowledge", local_day),
                response_due_on=due("respond_simple", local_day),
                follow_up_due_on=due("follow_up", responded_at.astimezone(tz).date()) if responded_at else None,
                escalation_level=1 if is_open and rng.random() < 0.05 else 0,
                findings=scenario.get("findings") if "record_findings" in at else None,
                cause=scenario.get("cause") if "record_findings" in at else None,
                responsibility=scenario.get("resp") if "record_findings" in at else None,
                remedy=scenario.get("remedy") if "record_findings" in at else None,
                corrective_actions=scenario.get("actions") if "record_findings" in at else None,
                findings_recorded_at=at.get("record_findings"),
                response_text=scenario.get("reply") if "sign_off" in at else None,
                signed_off_by_id=heads.get(department_id) if "sign_off" in at else None,
                signed_off_at=at.get("sign_off"), approved_by_id=None, approved_at=None,
                told_text=scenario.get("reply") if responded_at else None, responded_at=responded_at,
                responded_on=responded_at.astimezone(tz).date() if responded_at else None,
                response_method="phone" if responded_at else None,
                responded_on_time=True if responded_at else None,
                followed_up_at=at.get("follow_up"), follow_up_method="phone" if "follow_up" in at else None,
                followed_up_on_time=True if "follow_up" in at else None,
                satisfied=True if "follow_up" in at else None, follow_up_comment=None, reopened_count=0,
                decline_reason=(scenario.get("reason") or "不属于投诉受理范围。") if declined else None,
                closed_at=at.get("follow_up") or at.get("decline") or at.get("withdraw"),
                updated_at=times[-1] if times else received_at, integrity=False, about_head=False,
                people_not_identified=False,
            )
            if state == "awaiting_approval":
                row["severity"] = "major"
            complaints.append(row)
            previous, from_state = GENESIS, None
            steps = [("submit" if channel == "online" else "log", None, received_at, {"channel": channel})]
            steps += [(action, heads.get(department_id) if actor == "head" else reception, moment, {})
                      for (action, actor), moment in zip(path, times, strict=True)]
            # Each answer and follow-up is a round of its own (one each here: nothing is reopened).
            rounds = {"answers": [], "follow_ups": [], "letters": []}  # a letter is of a written answer: none
            if responded_at:
                rounds["answers"].append(dict(
                    complaint_id=index, round=1, response_text=row["response_text"],
                    signed_off_by_id=row["signed_off_by_id"], told_text=row["told_text"], method="phone",
                    responded_on=row["responded_on"], sent_at=responded_at, due_on=row["response_due_on"],
                    on_time=True))
            if "follow_up" in at:
                rounds["follow_ups"].append(dict(
                    complaint_id=index, round=1, method="phone", satisfied=True, comment=None, at=at["follow_up"],
                    due_on=row["follow_up_due_on"], on_time=True))
            answers += rounds["answers"]
            follow_ups += rounds["follow_ups"]
            # The first event vouches for every fact as the row holds it (the steps here record none).
            facts = {name: fact_digest(name, [SimpleNamespace(**r) for r in rounds[name]] if name in rounds
                                       else row.get(name)) for name in FACTS}  # a column not written: NULL
            for action, actor_id, moment, data in steps:
                to_state = STATE_AFTER.get(action, "submitted" if action == "submit" else "registered")
                event = SimpleNamespace(actor_id=actor_id, at=moment, action=action, from_state=from_state,
                                        to_state=to_state, data=data, facts=facts)
                previous = event_hash(previous, reference, event)
                events.append(dict(complaint_id=index, actor_id=actor_id, at=moment, action=action,
                                   from_state=from_state, to_state=to_state, data=data, hash=previous, facts=facts))
                from_state, facts = to_state, None
            if len(complaints) >= chunk:
                write_all(complaints, events, answers, follow_ups)
                db.session.commit()
                written += len(complaints)
                complaints, events, answers, follow_ups = [], [], [], []
        if complaints:
            write_all(complaints, events, answers, follow_ups)
        for year, last in counters.items():
            db.session.execute(insert(ReferenceCounter.__table__).values(year=year, last_number=last))
        db.session.commit()
        if url.startswith("postgresql"):
            # The ids were given explicitly: move the sequences past them, and let the planner see the data.
            db.session.execute(db.text("SELECT setval('complaints_id_seq', (SELECT max(id) FROM complaints))"))
            db.session.execute(db.text(
                "SELECT setval('complaint_events_id_seq', (SELECT max(id) FROM complaint_events))"))
            db.session.commit()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
        else:
            db.session.execute(db.text("ANALYZE"))
            db.session.commit()
        seeded = time.perf_counter() - seeded_at
        # The search index, as `flask search rebuild` writes it (the bulk inserts bypass reindex()).
        indexed_at = time.perf_counter()
        search.rebuild()
        db.session.commit()
        indexed = time.perf_counter() - indexed_at
        sample = list(db.session.scalars(select(Complaint.reference).order_by(Complaint.id.desc()).limit(2000)))
        event_count = db.session.scalar(select(db.func.count()).select_from(ComplaintEvent.__table__))
        # What the search phase looks up besides words: a phone and a reference of the history (not the newest).
        phone = db.session.scalar(select(Complaint.complainant_phone).where(Complaint.complainant_phone.is_not(None))
                                  .order_by(Complaint.id).offset(n // 2).limit(1))
        reference = db.session.scalar(select(Complaint.reference).order_by(Complaint.id).offset(n // 3).limit(1))
        month = Period.last_month()  # the last full month of the seed: the analysis and exports read it
        db.session.remove()
        db.engine.dispose()
    return dict(references=sample, events=event_count, migrated=migrated, seeded=seeded, indexed=indexed,
                head="head-card", phone=phone, reference=reference, month=month.slug, year=str(month.year - 1))


# --- the server -----------------------------------------------------------------------------------


class Server:
    def __init__(self, env: dict, port: int, log: Path, workers: int = 2, command: list[str] | None = None,
                 cwd: Path = ROOT, ready: str = "/complain"):
        """Redress's gunicorn by default; `command` (and the directory it runs in, and a page that answers 200
        once it is up) serve another WSGI app the same way: the peer (scripts/bench_peer.py)."""
        self.port, self.env, self.workers = port, env, workers
        self.command = command or [
            str(ROOT / ".venv" / "bin" / "gunicorn"), "-w", str(workers), "-k", "sync", "-b", f"127.0.0.1:{port}",
            "--access-logfile", "-", "--log-level", "warning", "wsgi:app"]
        self.cwd, self.ready = cwd, ready
        self.log_path = log
        self.log = log.open("w")  # a file, not a pipe nobody reads (a full pipe would stall the server)
        self.process = None
        self.peak: dict[int, int] = {}
        self._sampling = False

    def __enter__(self):
        self.process = subprocess.Popen(self.command, cwd=self.cwd, env=self.env, stdout=subprocess.DEVNULL,
                                        stderr=self.log, text=True)
        import requests

        for _ in range(300):
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn stopped:\n" + self.log_path.read_text())
            try:
                if requests.get(f"http://127.0.0.1:{self.port}{self.ready}", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.1)
        else:
            raise RuntimeError("gunicorn did not answer")
        self._sampling = True
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()
        return self

    def cpu(self) -> float:
        """CPU seconds the workers have used so far: unlike wall-clock times, not inflated when other
        processes share the cores (the database server's own CPU is not in it)."""
        return sum(_process(Path(f"/proc/{pid}/stat"))[1] for pid in self.worker_pids())

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        return [int(pid) for pid in children]

    def resident(self) -> list[int]:
        """Each worker's resident memory now (VmRSS, kB): what it holds between requests, beside its peak."""
        return [_status_kb(Path(f"/proc/{pid}/status").read_text(), "VmRSS") for pid in self.worker_pids()]

    def _sample(self):
        while self._sampling:
            for pid in self.worker_pids():
                try:
                    status = Path(f"/proc/{pid}/status").read_text()
                except FileNotFoundError:
                    continue
                if "VmHWM:" not in status:  # a worker killed (a fault run), not yet reaped
                    continue
                # VmHWM: the most resident memory the worker ever had, so nothing between samples is missed.
                self.peak[pid] = max(self.peak.get(pid, 0), _status_kb(status, "VmHWM"))
            time.sleep(0.2)

    def __exit__(self, *exc):
        self._sampling = False
        self._sampler.join()
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def _process(stat: Path) -> tuple[str, float]:
    """A process's name and the CPU seconds it has used so far (utime + stime), from its /proc/<pid>/stat."""
    name, fields = stat.read_text().split(" (", 1)[1].rsplit(")", 1)
    fields = fields.split()
    return name, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _status_kb(status: str, field: str) -> int:
    """One memory figure (kB) of a /proc/<pid>/status text: VmRSS, VmHWM."""
    return int(re.search(rf"{field}:\s+(\d+) kB", status).group(1))


def services_cpu() -> float:
    """CPU seconds PostgreSQL's and Redis's processes have used so far (SQLite works inside the workers)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            name, seconds = _process(stat)
        except (FileNotFoundError, ProcessLookupError):  # ended since the listing
            continue
        if name in ("postgres", "redis-server"):
            total += seconds
    return total


# --- the load client --------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


CPU: dict[str, float] = {}  # what each measured page cost the workers, in CPU seconds per request


def timed_gets(session, url: str, count: int, server=None) -> tuple[list[float], set[int]]:
    times, statements = [], set()
    cpu = server.cpu() if server else 0
    for _ in range(count):
        started = time.perf_counter()
        response = session.get(url)
        times.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url}: {response.status_code}")
        statements.add(int(response.headers.get(STATEMENTS_HEADER, -1)))
    if server:
        CPU[url] = (server.cpu() - cpu) / count
    return times, statements


def login(base: str, username: str):
    import requests

    session = requests.Session()
    page = session.get(f"{base}/login")
    token = CSRF.search(page.text).group(1)
    response = session.post(f"{base}/login", data={"csrf_token": token, "username": username,
                                                   "password": PASSWORD})
    if response.status_code != 200 or "/login" in response.url:
        raise RuntimeError(f"login {username}: {response.status_code} {response.url}")
    return session


def submissions(total: int, clients: int, submit, server: Server) -> dict:
    """`total` submissions from `clients` threads, each with a session of its own. `submit(session, rng)` sends
    one and says what came back: the reference acknowledged (None if none), the status, the POST's seconds.
    Also what a submission cost `server`'s workers, the load client (this process's threads) and PostgreSQL
    and Redis: they share the cores, so that sum bounds the rate on this machine (`ceiling`)."""
    import requests

    cpu, client_cpu, services = server.cpu(), time.process_time(), services_cpu()

    lock = threading.Lock()
    acknowledged, failures, latencies = [], [], []
    remaining = [total]

    def client(number: int):
        session = requests.Session()
        rng = random.Random(number)
        while True:
            with lock:
                if remaining[0] <= 0:
                    return
                remaining[0] -= 1
            reference, status, elapsed = submit(session, rng)
            with lock:
                if reference:
                    acknowledged.append(reference)
                    latencies.append(elapsed)
                else:
                    failures.append(status)

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, range(clients)))
    wall = time.perf_counter() - started
    done = max(len(acknowledged), 1)
    workers_cpu = (server.cpu() - cpu) / done
    client_cpu = (time.process_time() - client_cpu) / done
    services = (services_cpu() - services) / done
    return dict(acknowledged=acknowledged, failures=failures, latencies=latencies, wall=wall, workers_cpu=workers_cpu,
                client_cpu=client_cpu, services_cpu=services,
                ceiling=os.cpu_count() / (workers_cpu + client_cpu + services))


def submission_figures(result: dict) -> tuple[str, str]:
    """The submission p50 with the workers' CPU for one, and what one cost workers + load client + services."""
    latency = ms(statistics.median(result["latencies"])) if result["latencies"] else "—"
    return (f"{latency} ({ms(result['workers_cpu'])} CPU a submission, its 3 requests)",
            f"{ms(result['workers_cpu'])} + {ms(result['client_cpu'])} + {ms(result['services_cpu'])} "
            f"({result['ceiling']:.0f} a second)")


def submit_complaint(base: str):
    """One public submission: the form, then its POST; success is the confirmation page with a reference."""
    def submit(session, rng: random.Random):
        form = session.get(f"{base}/complain")
        token = CSRF.search(form.text).group(1)
        data = {"csrf_token": token, "what_happened": rng.choice(SUBMITTED).replace("{n}", str(rng.randint(1, 30))),
                "complainant_relation": "patient", "complainant_name": "王女士",
                "complainant_phone": f"138{rng.randint(0, 99999999):08d}", "preferred_reply": "phone"}
        started = time.perf_counter()
        response = session.post(f"{base}/complain", data=data)
        elapsed = time.perf_counter() - started
        match = REFERENCE.search(response.text) if response.url.endswith("/complain/done") else None
        return (match.group(0) if match and response.status_code == 200 else None), response.status_code, elapsed

    return submit


def stored_references(url: str, references: list, table: str = "complaints", column: str = "reference"
                      ) -> tuple[int, int]:
    """How many of `references` are stored (in `table`.`column`), and how many distinct ones there are."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    found = 0
    with engine.connect() as conn:
        for start in range(0, len(references), 500):
            batch = references[start:start + 500]
            found += conn.execute(text(f"SELECT count(*) FROM {table} WHERE {column} IN :refs")
                                  .bindparams(db_bindparam("refs")), {"refs": batch}).scalar()
    engine.dispose()
    return found, len(set(references))


def db_bindparam(name: str):
    from sqlalchemy import bindparam

    return bindparam(name, expanding=True)


# --- the phases the targets beside the peer are read by (search, the analysis, exports, the phone) -------

# Words of the seeded texts of both systems (the demo's scenarios, and scripts/peer/seed.py's), by length.
SEARCH_WORDS = {"2-character words": ["医生", "护士", "检查", "报告"],
                "3-character words": ["护士站", "多小时", "还没有", "卫生间"],
                "4-character words": ["个多小时", "很不耐烦", "没有热水"]}
ONE_CHARACTER = "医"  # found by a scan of the stored text, not the index: it must still answer at once
SEARCHERS = ("reception", "head")  # reception searches everything; the cardiology head their department


def search_queries(phone: str, reference: str) -> dict[str, list[str]]:
    """What the search phase types, by kind: the words, then one phone and one reference of the seed."""
    return {**SEARCH_WORDS, "a phone": [phone], "a reference": [reference]}


def timed_searches(get, words: list[str], total: int) -> list[float]:
    """`total` timed searches spread over `words` (each searched once first, untimed); `get(word)` makes one
    and returns its seconds."""
    for word in words:
        get(word)
    times = []
    for i in range(max(total, len(words))):
        times.append(get(words[i % len(words)]))
    return times


def redress_search(session, base: str, server, words: list[str], total: int) -> tuple[list[float], set[int]]:
    from urllib.parse import quote

    statements: set[int] = set()

    def get(word: str) -> float:
        times, sql = timed_gets(session, f"{base}/search?q={quote(word)}", 1)
        statements.update(sql)
        return times[0]

    return timed_searches(get, words, total), statements


def slow_page(session, url: str, count: int, server=None) -> tuple[list[float], set[int]]:
    """`count` timed GETs of a page that may take longer than a worker is given (the analysis of a month on a
    million complaints: gunicorn kills a sync worker at its timeout), after one untimed; if one fails, the
    figure is NaN ("not measured" in the table) and the run goes on."""
    import requests

    try:
        timed_gets(session, url, 1)
        return timed_gets(session, url, count, server)
    except (RuntimeError, requests.RequestException) as error:
        print(f"!! {url}: {error}", flush=True)
        return [float("nan")], set()


def close_month(url: str, slug: str) -> float:
    """Close the month through the app's own closing (reports.closing.close, as leadership's button does),
    in this process: on a million complaints it may take longer than a worker is given for a request.
    Returns its seconds."""
    os.environ["DATABASE_URL"] = url
    from sqlalchemy import select

    from intranet import create_app
    from intranet.core.extensions import db
    from intranet.core.users import User
    from intranet.reports import closing
    from intranet.reports.periods import Period

    app = create_app("production", SECRET_KEY="bench", TRACKING_KEY="bench-tracking-key-not-for-production")
    with app.test_request_context():
        leadership = db.session.scalar(select(User).where(User.username == "leadership"))
        started = time.perf_counter()
        closing.close(leadership, Period.parse(slug))
        seconds = time.perf_counter() - started
        db.session.remove()
        db.engine.dispose()
    return seconds


def download(session, url: str, server) -> dict:
    """One export downloaded: time to its first byte, all of it, its size, and how much more resident memory
    the worker that served it reached than it held before (each worker's peak is reset first, through
    /proc/<pid>/clear_refs, so the peak read afterwards is this download's)."""
    before = {}
    for pid in server.worker_pids():
        before[pid] = _status_kb(Path(f"/proc/{pid}/status").read_text(), "VmRSS")
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    import requests

    started = time.perf_counter()
    first, size = None, 0
    try:
        with session.get(url, stream=True) as response:
            for chunk in response.iter_content(65536):
                if first is None:
                    first = time.perf_counter() - started
                size += len(chunk)
            status = response.status_code
    except requests.RequestException as error:  # e.g. the worker killed at gunicorn's timeout, mid-download
        status = f"broken off ({type(error).__name__})"
    total = time.perf_counter() - started
    growth = max((_status_kb(Path(f"/proc/{pid}/status").read_text(), "VmHWM") - kb
                  for pid, kb in before.items() if Path(f"/proc/{pid}/status").exists()), default=0)
    return dict(status=status, first_byte=first if first is not None else total, seconds=total, size=size,
                growth_mib=max(growth, 0) / 1024)


def phone_pages(base: str, paths=("/complain", "/track")) -> dict:
    """Each public page as a phone loads it (Debian's chromium, 360 px wide, nothing cached): the bytes on
    the wire of everything it loads (CDP's encodedDataLength: as served, headers included), what they would
    be gzipped (as a proxy in front could send them), and the number of requests. Then the form with
    JavaScript off: are its fields there, and does sending it give a reference?"""
    import gzip

    from playwright.sync_api import sync_playwright

    found: dict = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
        try:
            for path in paths:
                context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2,
                                              is_mobile=True, has_touch=True)
                page = context.new_page()
                cdp = context.new_cdp_session(page)
                cdp.send("Network.enable")
                wire, requests_sent, bodies = {}, set(), []
                cdp.on("Network.requestWillBeSent", lambda e, sent=requests_sent: sent.add(e["requestId"]))
                cdp.on("Network.loadingFinished",
                       lambda e, wire=wire: wire.__setitem__(e["requestId"], e["encodedDataLength"]))
                page.on("response", lambda r, bodies=bodies: bodies.append(r))
                page.goto(base + path, wait_until="networkidle")
                zipped = 0
                for response in bodies:
                    with contextlib.suppress(Exception):  # a redirect has no body to read
                        zipped += len(gzip.compress(response.body(), 6))
                found[path] = dict(bytes=sum(wire.values()), gzipped=zipped, requests=len(requests_sent))
                context.close()
            context = browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 740})
            page = context.new_page()
            page.goto(base + "/complain")
            fields = ["textarea[name=what_happened]", "input[name=complainant_name]",
                      "input[name=complainant_phone]", "input[name=preferred_reply][value=phone]"]
            present = all(page.locator(selector).count() == 1 for selector in fields)
            sent = False
            if present:
                page.fill(fields[0], "门诊候诊两个多小时，没有人解释原因。")
                page.fill(fields[1], "王女士")
                page.fill(fields[2], "13800138000")
                page.check(fields[3])
                form = page.locator("form:has(textarea[name=what_happened])")
                with page.expect_navigation():
                    form.locator("button[type=submit], input[type=submit]").last.click()
                sent = page.url.endswith("/complain/done") and REFERENCE.search(page.content()) is not None
            found["without JavaScript"] = dict(fields=present, sent=sent)
            context.close()
        finally:
            browser.close()
    return found


# --- the table of ratios -------------------------------------------------------------------------------


class Judged(SimpleNamespace):
    """One row of the table beside the peer: the figure's name, the peer's and Redress's cells as printed,
    and what the target is read from: Redress's value over the peer's (a ratio), or Redress's value alone
    when `peer` is None (a target in seconds, MiB, bytes...); `op` "≤" or "≥" and `limit`, or no `op` for a
    figure with no target; `unit` follows the limit in the target's cell ("×" for a ratio)."""

    def __init__(self, figure: str, peer_cell: str, redress_cell: str, redress: float | None = None,
                 peer: float | None = None, op: str | None = None, limit: float | None = None, unit: str = "×"):
        super().__init__(figure=figure, peer_cell=peer_cell, redress_cell=redress_cell, redress=redress, peer=peer,
                         op=op, limit=limit, unit=unit)


def _number(value: float) -> str:
    return f"{value:g}"


def verdict(row: Judged) -> tuple[str, str, str]:
    """The row's ratio cell, target cell and verdict ("holds", "does not hold", "not measured", or "" for a
    figure with no target)."""
    ratio = None
    if row.peer is not None and row.redress is not None and row.peer > 0:
        ratio = row.redress / row.peer
    ratio_cell = f"{ratio:.2f} ×" if ratio is not None else "—"
    if row.op is None:
        return ratio_cell, "", ""
    if row.op == "yes":  # a property, not a number: holds when it is true
        return ratio_cell, "yes", "not measured" if row.redress is None else "holds" if row.redress else "does not hold"
    target = f"{row.op} {_number(row.limit)}{' ×' if row.unit == '×' else ' ' + row.unit if row.unit else ''}"
    measured = ratio if row.unit == "×" else row.redress
    if measured is None or measured != measured:  # not measured, or NaN
        return ratio_cell, target, "not measured"
    holds = measured >= row.limit if row.op == "≥" else measured <= row.limit
    return ratio_cell, target, "holds" if holds else "does not hold"


def ratio_table(title: str, rows: list[Judged], against: str = "the peer (django-helpdesk)",
                ratio_heading: str = "Redress ÷ peer") -> list[str]:
    """The markdown table of one database and N, then the list of targets and whether each holds. `against`
    names what Redress's figures are divided by (the peer, or Redress itself at a smaller N)."""
    lines = [f"| {title} | {against} | Redress | {ratio_heading} | target | holds? |",
             "|---|---|---|---|---|---|"]
    judged: dict[str, list[str]] = {"holds": [], "does not hold": [], "not measured": []}
    for row in rows:
        ratio, target, holds = verdict(row)
        lines.append(f"| {row.figure} | {row.peer_cell} | {row.redress_cell} | {ratio} | {target} | {holds} |")
        if holds:
            # The figure the target is read from: the ratio, or Redress's own figure in the target's unit.
            if ratio != "—" or row.op == "yes" or row.redress is None:
                measured = ratio if ratio != "—" else row.redress_cell
            else:
                measured = f"{row.redress:.2f}".rstrip("0").rstrip(".") + (f" {row.unit}" if row.unit else "")
            judged[holds].append(f"- {row.figure}: {measured} ({target})")
    headings = {"holds": "Targets that hold:", "does not hold": "Targets that do not hold:",
                "not measured": "Targets not measured:"}
    for holds, items in judged.items():
        if items:
            lines += ["", headings[holds], *items]
    return lines



KIB = 1024

# "Flat in N" is read against a run at this N: with --peer, a run of Redress alone at it is added when the
# N asked for are all larger (so that `--n 1000000` prints every ratio by itself).
FLAT_BASE = 10_000


def flat_in_n(n: int, measures: dict, base_n: int, base: dict) -> list[Judged]:
    """The rows of the table that reads Redress at N against Redress at `base_n`, the same pages and rows:
    every queue's first page (the one that grew most, and how many stayed within 1.5 ×) and the complaint
    page."""
    growth = {key: measures["queues"][key] / base["queues"][key] for key in measures["queues"]
              if base["queues"].get(key)}
    rows = []
    if growth:
        worst = max(growth, key=growth.get)
        within = sum(ratio <= 1.5 for ratio in growth.values())
        rows.append(Judged(f"the queue that grew most, first page p50 ({within} of {len(growth)} queues within "
                           "1.5 ×)", f"{worst[0]} {worst[1]}: {ms(base['queues'][worst])}",
                           f"{worst[0]} {worst[1]}: {ms(measures['queues'][worst])}",
                           measures["queues"][worst], base["queues"][worst], "≤", 1.5))
    rows.append(Judged("complaint page p50", ms(base["complaint_page"]), ms(measures["complaint_page"]),
                       measures["complaint_page"], base["complaint_page"], "≤", 1.5))
    return rows


def beside_the_peer(redress: dict, peer_cells: dict, peer: dict) -> list[Judged]:
    """The rows of the table the targets set against the peer are read by, from both runs' measures."""
    mib = "{:.0f} MiB".format
    within = sum(p50 <= 0.1 * peer["staff_list"] for p50 in redress["queues"].values())
    rows = [
        Judged("public submissions per second (8 clients)", f"{peer['rate']:.0f}", f"{redress['rate']:.0f}",
               redress["rate"], peer["rate"], "≥", 1.5),
        Judged("worker CPU per submission (its 3 requests)", ms(peer["submission_cpu"]),
               ms(redress["submission_cpu"]), redress["submission_cpu"], peer["submission_cpu"], "≤", 0.6),
        Judged("staff list, first page p50 (peer: the page and its first 50 rows; Redress: its slowest queue)",
               ms(peer["staff_list"]), f"{redress['worst_queue_name']}: {redress['worst_queue_cell']}; "
               f"{within} of {len(redress['queues'])} queues within 0.1 ×",
               redress["worst_queue"], peer["staff_list"], "≤", 0.1),
        Judged("complaint (ticket) page p50", ms(peer["complaint_page"]), ms(redress["complaint_page"]),
               redress["complaint_page"], peer["complaint_page"], "≤", 0.3),
        Judged("public form GET p50", ms(peer["form"]), ms(redress["form"]), redress["form"], peer["form"], "≤", 0.25),
        Judged("peak worker memory (VmHWM, the larger worker) after search and the analysis (reports)",
               f"{mib(peer['peak'] / KIB)} (after the pages alone: {mib(peer['peak_pages'] / KIB)})",
               f"{mib(redress['peak'] / KIB)} (after the pages alone: {mib(redress['peak_pages'] / KIB)})",
               redress["peak"], peer["peak"], "≤", 1.25),
    ]
    for kind in redress["queries"]:
        by_role = {role: redress["search"][role, kind] for role in SEARCHERS}
        worst = max(p95 for p95, _ in by_role.values())
        cells = "; ".join(f"{role} {ms(p95)} ({'/'.join(map(str, sorted(sql)))} SQL)"
                          for role, (p95, sql) in by_role.items())
        peer_p95 = peer["search"].get(kind)
        rows.append(Judged(f"search p95, {kind} (peer: its ticket list with ?q=, page and rows)",
                           ms(peer_p95) if peer_p95 else "—", cells, worst, peer_p95, "≤", 0.2))
        against = max(by_role[role][0] / redress["queue_p95"][role] for role in SEARCHERS)
        rows.append(Judged(f"search p95, {kind}, over the same searcher's queue page p95", "—",
                           f"{against:.2f} × (queue p95: " + ", ".join(
                               f"{role} {ms(redress['queue_p95'][role])}" for role in SEARCHERS) + ")",
                           against, None, "≤", 3, "× its queue page"))
    one = redress["one_character"]
    against = max(one[role][0] / redress["queue_p95"][role] for role in SEARCHERS)
    rows.append(Judged(f"search p95, one character ({ONE_CHARACTER}), over the same searcher's queue page p95", "—",
                       "; ".join(f"{role} {ms(p95)}" for role, (p95, _) in one.items()) + f" ({against:.2f} ×)",
                       against, None, "≤", 3, "× its queue page"))
    rows += [
        Judged(f"monthly analysis of {redress['month']} p50 (peer: its reports page)", ms(peer["reports"]),
               f"{ms(redress['analysis'])} ({'/'.join(map(str, sorted(redress['analysis_sql'])))} SQL)",
               redress["analysis"], peer["reports"], "≤", 0.5),
        Judged(f"the same month closed (frozen figures) p50; closing it took {redress['closing']:.1f} s",
               ms(peer["reports"]),
               f"{ms(redress['analysis_closed'])} ({'/'.join(map(str, sorted(redress['analysis_closed_sql'])))} SQL)",
               redress["analysis_closed"], peer["reports"], "≤", 0.5),
    ]
    for (label, kind), found in redress["exports"].items():
        period = redress["month"] if label == "month" else redress["year"]
        what = (f"export of {period}'s complaints, {kind.upper()} "
                f"({found['size'] / KIB:,.0f} KiB in {found['seconds']:.1f} s")
        what += ")" if found["status"] == 200 else f", status {found['status']})"
        ok = found["status"] == 200
        rows += [Judged(f"{what}: first byte", "—", f"{found['first_byte']:.2f} s",
                        found["first_byte"] if ok else None, None, "≤", 1, "s"),
                 Judged(f"{what}: worker memory growth", "—", f"{found['growth_mib']:.1f} MiB",
                        found["growth_mib"] if ok else None, None, "≤", 20, "MiB")]
    for path in ("/complain", "/track"):
        found = redress["phone"][path]
        rows += [Judged(f"{path} on a phone (360 px): bytes on the wire, all it loads", "—",
                        f"{found['bytes'] / KIB:.1f} KiB (gzipped: {found['gzipped'] / KIB:.1f} KiB)",
                        found["bytes"] / KIB, None, "≤", 40, "KiB"),
                 Judged(f"{path} on a phone: requests", "—", str(found["requests"]), found["requests"], None, "≤", 5,
                        "")]
    plain = redress["phone"]["without JavaScript"]
    rows.append(Judged("/complain without JavaScript: fields there, sending it gives a reference", "—",
                       f"fields {'there' if plain['fields'] else 'missing'}, "
                       f"{'sent' if plain['sent'] else 'not sent'}", plain["fields"] and plain["sent"], None, "yes"))
    return rows


# --- one run -----------------------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def run(kind: str, n: int, args) -> list[tuple[str, str]]:
    import redis
    import requests

    url, drop = make_database(kind, n, args.pg_url, args.tag)
    instance = BUILD / f"instance-{kind}-{n}"
    shutil.rmtree(instance, ignore_errors=True)
    instance.mkdir(parents=True)
    print(f"\n== {kind}, {n:,} complaints: seeding… (load average {os.getloadavg()[0]:.1f})", flush=True)
    try:
        seeded = seed(url, n, args.open)
        print(f"   migrated in {seeded['migrated']:.1f} s, seeded {n:,} complaints and {seeded['events']:,} events "
              f"in {seeded['seeded']:.1f} s, indexed them for search in {seeded['indexed']:.1f} s", flush=True)
        if args.seed_only:
            print(f"   DATABASE_URL={url}")
            return [], {}
        redis.Redis.from_url(args.redis_url).flushdb()
        base = f"http://127.0.0.1:{args.port}"
        repeat = 20 if args.quick else 100
        figures: list[tuple[str, str]] = []
        environment = server_environment(url, args.port, args.redis_url, instance)
        with Server(environment, args.port, instance / "gunicorn.log") as server:
            public = requests.Session()
            timed_gets(public, f"{base}/complain", 10)  # warm-up: both workers, templates compiled
            form_times, form_sql = timed_gets(public, f"{base}/complain", repeat * 2, server)
            form_cpu = CPU[f"{base}/complain"]

            total = 200 if args.quick else args.submissions
            result = submissions(total, 8, submit_complaint(base), server)
            stored, distinct = stored_references(url, result["acknowledged"])
            acknowledged = len(result["acknowledged"])
            rate = acknowledged / result["wall"]

            sessions = {"reception": login(base, "reception"), "head": login(base, seeded["head"]),
                        "leadership": login(base, "leadership")}
            queue_figures, default_p95 = {}, {}
            for role, session in sessions.items():
                names = re.findall(r'href="/queue\?q=([a-z_]+)"', session.get(f"{base}/queue").text)
                for name in dict.fromkeys(names):
                    timed_gets(session, f"{base}/queue?q={name}", 3)
                    times, sql = timed_gets(session, f"{base}/queue?q={name}", repeat, server)
                    queue_figures[role, name] = (statistics.median(times), sql, CPU[f"{base}/queue?q={name}"])
                default = f"{base}/queue"
                timed_gets(session, default, 3)
                times, sql = timed_gets(session, default, repeat, server)
                queue_figures[role, "(default)"] = (statistics.median(times), sql, CPU[default])
                default_p95[role] = percentile(times, 0.95)
            rng = random.Random(3)
            reception = sessions["reception"]
            page_times, page_sql = [], set()
            cpu = server.cpu()
            for reference in rng.sample(seeded["references"], min(repeat, len(seeded["references"]))):
                times, sql = timed_gets(reception, f"{base}/complaints/{reference}", 1)
                page_times += times
                page_sql |= sql
            page_cpu = (server.cpu() - cpu) / max(len(page_times), 1)
            peak_pages = max(server.peak.values(), default=float("nan"))

            # Search, as reception and as the cardiology head, words of each length, a phone, a reference.
            queries = search_queries(seeded["phone"], seeded["reference"])
            searches = args.searches or (20 if args.quick else 40)
            searched = {(role, kind): redress_search(sessions[role], base, server, words, searches)
                        for role in SEARCHERS for kind, words in queries.items()}
            one_character = {role: redress_search(sessions[role], base, server, [ONE_CHARACTER], searches)
                             for role in SEARCHERS}

            # The monthly analysis of the last full month, as leadership reads it: open, then closed.
            leadership = sessions["leadership"]
            month_url = f"{base}/reports/monthly/{seeded['month']}"
            analysis_repeat = 5 if args.quick else 20
            open_times, open_sql = slow_page(leadership, month_url, analysis_repeat, server)
            closing_seconds = close_month(url, seeded["month"])
            closed_times, closed_sql = slow_page(leadership, month_url, analysis_repeat, server)

            # Peak memory after the phases the peer goes through too; the exports come after it.
            peak = sorted(server.peak.values(), reverse=True)
            resident = sorted(server.resident(), reverse=True)

            exported = {}
            for label, slug in (("month", seeded["month"]), ("year", seeded["year"])):
                for kind_of in ("csv", "xlsx"):
                    exported[label, kind_of] = download(leadership, f"{base}/reports/complaints.{kind_of}"
                                                                    f"?period={slug}", server)
            phone = phone_pages(base)

        def sql(values):
            return "/".join(str(v) for v in sorted(values))

        def queue(role, name):
            median, statements, cpu = queue_figures[role, name]
            return f"{ms(median)} ({sql(statements)} SQL; {ms(cpu)} CPU)"

        latency, cost = submission_figures(result)
        worst_queue = max(queue_figures, key=lambda key: queue_figures[key][0])
        measures = dict(
            rate=rate, submission_cpu=result["workers_cpu"], worst_queue=queue_figures[worst_queue][0],
            worst_queue_name=f"{worst_queue[0]} {worst_queue[1]}", worst_queue_cell=queue(*worst_queue),
            complaint_page=statistics.median(page_times), form=statistics.median(form_times),
            peak=max(peak) if peak else float("nan"), queue_p95=default_p95,
            peak_pages=peak_pages, queues={key: value[0] for key, value in queue_figures.items()},
            search={key: (percentile(times, 0.95), sql) for key, (times, sql) in searched.items()},
            one_character={role: (percentile(times, 0.95), sql) for role, (times, sql) in one_character.items()},
            analysis=statistics.median(open_times), analysis_sql=open_sql,
            analysis_closed=statistics.median(closed_times), analysis_closed_sql=closed_sql,
            closing=closing_seconds, month=seeded["month"], year=seeded["year"], exports=exported, phone=phone,
            queries=queries)
        figures += [
            (f"public submissions per second ({total:,} POSTs, 8 clients)", f"{rate:.0f}"),
            ("submission p50 (POST → confirmation page)", latency),
            ("a submission's CPU: workers + load client + PostgreSQL and Redis (the rate the cores allow)", cost),
            ("submissions acknowledged / failed / stored / distinct references",
             f"{acknowledged} / {len(result['failures'])} / {stored} / {distinct}"),
            ("reception's default queue, first page, p50", queue("reception", "(default)")),
            ("a department head's default queue, first page, p50", queue("head", "(default)")),
            ("leadership's default queue, first page, p50", queue("leadership", "(default)")),
            ("leadership's \"All\", first page, p50", queue("leadership", "all")),
            ("slowest queue, first page, p50", max(
                ((f"{role} {name}: " + queue(role, name), queue_figures[role, name][0])
                 for role, name in queue_figures), key=lambda item: item[1])[0]),
            ("complaint page p50", f"{ms(statistics.median(page_times))} ({sql(page_sql)} SQL; {ms(page_cpu)} CPU)"),
            ("public form GET p50", f"{ms(statistics.median(form_times))} ({sql(form_sql)} SQL; {ms(form_cpu)} CPU)"),
            ("peak worker memory (VmHWM)", " / ".join(f"{kb / 1024:.0f} MiB" for kb in peak)),
            ("worker memory at the end (VmRSS)", " / ".join(f"{kb / 1024:.0f} MiB" for kb in resident)),
        ]
        for kind_of in queries:
            figures.append((f"search p95, {kind_of}", "; ".join(
                f"{role} {ms(p95)} ({sql(statements)} SQL)" for (role, k), (p95, statements)
                in measures["search"].items() if k == kind_of)))
        figures += [
            (f"search p95, one character ({ONE_CHARACTER})", "; ".join(
                f"{role} {ms(p95)} ({sql(statements)} SQL)" for role, (p95, statements)
                in measures["one_character"].items())),
            (f"monthly analysis of {seeded['month']} p50 (leadership)",
             f"{ms(measures['analysis'])} ({sql(open_sql)} SQL)"),
            (f"the same month closed p50 (closing took {closing_seconds:.1f} s)",
             f"{ms(measures['analysis_closed'])} ({sql(closed_sql)} SQL)"),
        ]
        for (label, kind_of), found in exported.items():
            figures.append((f"export of {seeded[label]}'s complaints, {kind_of.upper()}: first byte, all of it, "
                            "worker memory growth",
                            f"{found['first_byte']:.2f} s, {found['size'] / KIB:,.0f} KiB in {found['seconds']:.1f} s, "
                            f"{found['growth_mib']:.1f} MiB" + ("" if found["status"] == 200
                                                                  else f" (status {found['status']})")))
        for path in ("/complain", "/track"):
            figures.append((f"{path} on a phone: bytes on the wire (gzipped), requests",
                            f"{phone[path]['bytes'] / KIB:.1f} KiB ({phone[path]['gzipped'] / KIB:.1f} KiB), "
                            f"{phone[path]['requests']}"))
        plain = phone["without JavaScript"]
        figures.append(("/complain without JavaScript: fields there, sent",
                        f"{'yes' if plain['fields'] else 'no'}, {'yes' if plain['sent'] else 'no'}"))
        lost = acknowledged - stored + acknowledged - distinct
        print(f"\n| {kind}, N = {n:,} (load average {os.getloadavg()[0]:.1f} at the end) | Redress |\n|---|---|")
        for name, value in figures:
            print(f"| {name} | {value} |")
        if args.all_queues:
            print(f"\n| {kind}, N = {n:,}: every queue, first page, p50 | |\n|---|---|")
            for role, name in queue_figures:
                print(f"| {role} {name} | {queue(role, name)} |")
        if lost or result["failures"]:
            print(f"!! {len(result['failures'])} submissions failed, {lost} acknowledged but not stored once",
                  flush=True)
            raise SystemExit(1)
        return figures, measures
    finally:
        if not (args.keep or args.seed_only):
            drop()
            shutil.rmtree(instance, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--n", type=int, action="append", help="complaints to seed (repeat for several runs); "
                        "default 10,000 and 100,000")
    parser.add_argument("--open", type=int, default=2000, help="of them, still open (the work in hand)")
    parser.add_argument("--submissions", type=int, default=2000)
    parser.add_argument("--quick", action="store_true", help="fewer requests (200 submissions, 20 per page)")
    parser.add_argument("--all-queues", action="store_true", help="also print every queue's figure")
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    parser.add_argument("--seed-only", action="store_true", help="seed, keep the database, measure nothing "
                        "(to profile against)")
    parser.add_argument("--peer", action="store_true", help="after each run, the same phases against the peer, "
                        "django-helpdesk (scripts/bench_peer.py), and a table of the two side by side")
    parser.add_argument("--searches", type=int, help="searches timed of each kind, for each searcher and the "
                        "peer (default 40, 20 with --quick)")
    parser.add_argument("--port", type=int, default=8810)
    parser.add_argument("--tag", default="", help="appended to the PostgreSQL databases' names (bench_<n><tag>, "
                        "peer_<n><tag>), so that two runs on one server keep apart")
    parser.add_argument("--pg-url", default=os.environ.get("PGURL", "postgresql://postgres@127.0.0.1:5432"))
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/5"))
    args = parser.parse_args()
    # Stopped from outside: still stop gunicorn and drop the databases (the `finally` blocks).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    # The bytecode the workers load under PYTHONOPTIMIZE=2, as `make install` writes it (`make bytecode`):
    # without it each worker would compile every library from its source when it starts.
    subprocess.run([sys.executable, "-OO", "-m", "compileall", "-q", "-j", "0", str(ROOT / ".venv" / "lib"),
                    str(ROOT / "intranet"), str(ROOT / "wsgi.py")], check=True, stdout=subprocess.DEVNULL)
    print(f"{os.cpu_count()} CPUs; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}", flush=True)
    sizes = sorted(args.n or [10_000, 100_000])
    base_n = sizes[0]
    if args.peer and not args.seed_only and base_n > FLAT_BASE:
        base_n = FLAT_BASE
        print(f"(Redress alone at N = {FLAT_BASE:,} first: what the larger N's are read against, flat in N)")
    for kind in kinds:
        base = None
        if base_n not in sizes:
            _figures, base = run(kind, base_n, args)
        for n in sizes:
            figures, measures = run(kind, n, args)
            if n == base_n:
                base = measures
            if args.peer and figures:
                import bench_peer

                peer, peer_measures = bench_peer.run(kind, n, args, measures["queries"])
                side_by_side(kind, n, figures, peer)
                print()
                print("\n".join(ratio_table(f"{kind}, N = {n:,}", beside_the_peer(measures, peer, peer_measures))))
            if base and figures and n > base_n:
                print()
                print("\n".join(ratio_table(f"{kind}, N = {n:,} against N = {base_n:,} (flat in N)",
                                            flat_in_n(n, measures, base_n, base), against=f"Redress, N = {base_n:,}",
                                            ratio_heading=f"N = {n:,} ÷ N = {base_n:,}")))


# Redress's rows the peer's figures stand beside (the peer has no queues by role, no SQL count header).
PEER_ROWS = {"public submissions per second": "public submissions per second", "submission p50": "submission p50",
             "a submission's CPU": "a submission's CPU",
             "submissions acknowledged": "submissions acknowledged / failed / stored / distinct",
             "reception's default queue": "staff list", "complaint page p50": "complaint page p50",
             "public form GET p50": "public form GET p50", "peak worker memory": "peak worker memory (VmHWM)",
             "worker memory at the end": "worker memory at the end (VmRSS)"}


def side_by_side(kind: str, n: int, figures: list[tuple[str, str]], peer: dict[str, str]) -> None:
    print(f"\n| {kind}, N = {n:,}, one after the other | the peer (django-helpdesk) | Redress |\n|---|---|---|")
    for name, value in figures:
        key = next((PEER_ROWS[prefix] for prefix in PEER_ROWS if name.startswith(prefix)), None)
        if key:
            print(f"| {name} | {peer.get(key, '—')} | {value} |")


if __name__ == "__main__":
    main()
