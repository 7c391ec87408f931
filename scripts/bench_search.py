"""Benchmark search: seed N complaints with Chinese text, build the index, print p50/p95 of searches.

    .venv/bin/python scripts/bench_search.py [--complaints 200000] [--runs 40]

Uses DATABASE_URL when set (PostgreSQL: use a scratch database, its schema is dropped), else a throwaway
SQLite file. Each search is what /search runs: the page of rows (limit 51) and the count, for reception
(everything) and for a department head (their department only). Figures, not a test.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PLACES = ["急诊科", "门诊大厅", "心内科病房", "儿科", "放射科", "检验科", "药房", "收费处", "住院部", "骨科门诊"]
WHAT = [
    "护士态度很差", "医生态度冷淡", "收费不合理", "收费项目不清楚", "候诊时间太长", "排队两个小时",
    "检查结果出错", "做CT检查等了三天", "药房发错药", "病房卫生太差", "夜间没人巡房", "手术延期没有通知",
    "电话一直打不通", "挂号系统出错", "停车位太少", "医生没有解释病情", "护士打针很疼", "饭菜是冷的",
    "出院手续太复杂", "报告迟迟拿不到", "陪护床收费太贵", "空调坏了没人修", "Doctor 没有回电话",
    "输液等了很久", "病历复印要跑三趟", "退费手续办不下来", "急诊留观没有床位", "B超预约排到下个月",
]
TAIL = ["，希望医院给个说法。", "，要求道歉。", "，请尽快处理。", "。", "，已经第二次了。", "，家属很不满意。"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
QUERIES = {
    "2 characters": ["态度", "收费", "急诊", "护士", "检查", "病房", "退费", "手续"],
    "3-4 characters": ["态度很差", "收费不合理", "候诊时间", "检查结果", "没有通知", "手术延期"],
    "mixed": ["CT检查", "Doctor 回电话", "B超预约"],
    "phone": ["138 0013 8000", "+86 139-0000-1234"],
    "reference": ["123", "TS-2026-004567"],
    "1 character": ["疼", "做CT检查"],  # a lone character: the scan, among the rows the index narrows to
}


def seed(db, count: int) -> None:
    from sqlalchemy import insert, text

    from intranet.complaints.models import Complaint, ReferenceCounter
    from intranet.core.departments import Category, Department
    from intranet.core.users import User

    rng = random.Random(7)
    departments = [Department(code=f"D{i:02d}", name_zh=p, name_en=p) for i, p in enumerate(PLACES)]
    category = Category(code="COMM", name_zh="沟通与态度", name_en="Communication")
    db.session.add_all([*departments, category])
    db.session.flush()
    db.session.add_all([User(username="bench-reception", display_name="r", role="reception", password_hash="x"),
                        User(username="bench-head", display_name="h", role="head", password_hash="x",
                             department_id=departments[0].id)])
    db.session.add(ReferenceCounter(year=2026, last_number=count))
    start = datetime(2024, 1, 1, tzinfo=UTC)
    rows = []
    for n in range(1, count + 1):
        state = rng.choice(("registered", "investigating", "investigating", "closed", "closed", "closed"))
        received = start + timedelta(minutes=n * 5)
        what = "".join(rng.choice(WHAT) + rng.choice(TAIL) for _ in range(rng.randint(1, 3)))
        rows.append({
            "reference": f"TS-2026-{n:06d}", "status": state, "version": 1, "channel": "phone",
            "received_at": received, "anonymous": False, "confidential": rng.random() < 0.1,
            "complainant_name": rng.choice(SURNAMES) + rng.choice("先生女士"),
            "complainant_phone": f"13{rng.randint(0, 999999999):09d}", "wants_written_reply": False,
            "language": "zh", "what_happened": f"在{rng.choice(PLACES)}，{what}",
            "severity": "minor", "complexity": "simple", "response_due_on": date(2026, 1, 1),
            "department_id": None if state == "registered" else rng.choice(departments).id,
            "escalation_level": 0, "reopened_count": 0,
            "responded_at": received + timedelta(days=3) if state == "closed" else None,
            "findings": "经核实属实，已批评教育。" if state == "closed" else None,
            "disclosed_name": False, "disclosed_contact": False, "disclosed_patient": False,
        })
        if len(rows) == 5000:
            db.session.execute(insert(Complaint), rows)
            rows = []
    if rows:
        db.session.execute(insert(Complaint), rows)
    # Phones the queries look for, on a few complaints.
    db.session.execute(text("UPDATE complaints SET complainant_phone = '13800138000' WHERE id % 20000 = 7"))
    db.session.execute(text("UPDATE complaints SET complainant_phone = '+86 139 0000 1234' WHERE id = 4242"))
    db.session.commit()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--complaints", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--measure-only", action="store_true",
                        help="search the database DATABASE_URL names as it is (seeded by an earlier run)")
    args = parser.parse_args()

    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    os.environ.setdefault("REDRESS_ENV", "testing")

    from flask_migrate import upgrade
    from sqlalchemy import text

    from intranet import create_app
    from intranet.complaints import search
    from intranet.core.extensions import db

    app = create_app()
    with app.app_context():
        if args.measure_only:
            upgrade()  # an earlier run's database, brought to the current schema
            measure(db, args.runs)
            return
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
        upgrade()
        began = time.perf_counter()
        seed(db, args.complaints)
        seeded = time.perf_counter()
        indexed = search.rebuild()
        db.session.commit()
        built = time.perf_counter()
        if db.engine.dialect.name == "postgresql":
            # As autovacuum would after a bulk load: statistics for the planner, the visibility map.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("VACUUM ANALYZE"))
        print(f"{db.engine.dialect.name}: {args.complaints} complaints seeded in {seeded - began:.1f} s, "
              f"{indexed} indexed in {built - seeded:.1f} s")
        measure(db, args.runs)


def measure(db, runs: int) -> None:
    """p50/p95 of each kind of query, for reception and for a head, as /search runs them."""
    from sqlalchemy import select

    from intranet.complaints import search
    from intranet.core.users import User

    people = {name: db.session.scalar(select(User).where(User.username == f"bench-{name}"))
              for name in ("reception", "head")}
    print(f"{'query':<16} {'who':<10} {'p50 ms':>8} {'p95 ms':>8} {'found (first)':>14}")
    for kind, queries in QUERIES.items():
        for name, user in people.items():
            timings, hits = [], None
            for run in range(runs):
                query = queries[run % len(queries)]
                start = time.perf_counter()
                _rows, total, _more = search.search_page(user, query, {}, 50, 1)
                timings.append((time.perf_counter() - start) * 1000)
                db.session.rollback()
                hits = total if hits is None else hits
            hits = f"{hits - 1}+" if hits > search.COUNT_UP_TO else str(hits)
            print(f"{kind:<16} {name:<10} {percentile(timings, 50):8.1f} {percentile(timings, 95):8.1f} "
                  f"{hits:>14}")


if __name__ == "__main__":
    main()
