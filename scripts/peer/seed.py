"""Seed the peer with N tickets as the benchmark seeds Redress with N complaints: received over the last two
years, --open of them still open (received over the last few weeks), the rest closed or resolved, in
Chinese, each with the follow-ups of its way through (a closed ticket six, an open one two), in queues that
stand for the hospital's departments; a staff login `head` (password demo-password) who sees them all.

    build/peer-venv/bin/python scripts/peer/seed.py N OPEN   (PEER_DATABASE, PEER_INSTANCE set)

Prints one line of JSON: the ids of the 2,000 newest tickets (the ticket pages the benchmark opens)."""

import json
import os
import random
import sys
from datetime import timedelta

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")
import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from helpdesk.models import FollowUp, Queue, Ticket  # noqa: E402

TEXTS = ["候诊两个多小时，没有人解释原因，问护士只说再等等。", "缴费窗口只开了一个，排队四十分钟，老人站不住。",
         "医生看病不到两分钟就开了检查单，病情一句也没解释。", "住院部卫生间连续三天没有热水，反映给护士站也没人来修。",
         "护士抽血扎了三次都没扎上，态度还很不耐烦。", "检查报告说好三天出，一周了还没有结果。"]
DEPARTMENTS = ["心内科", "急诊科", "儿科", "骨科", "门诊部", "住院部", "检验科", "放射科"]
BATCH = 5000


def main(n: int, open_work: int) -> None:
    rng = random.Random(12)
    now = timezone.now()
    user = get_user_model().objects.create_superuser("head", "head@hospital.example", "demo-password")
    public = Queue.objects.create(title="投诉", slug="complaints", allow_public_submission=True)
    queues = [public] + [Queue.objects.create(title=name, slug=f"dept-{i}") for i, name in enumerate(DEPARTMENTS)]
    # Arrival times in order, as ids are: history over two years, then the open work of the last weeks.
    history = sorted(now - timedelta(days=730) + timedelta(seconds=rng.uniform(0, 700 * 86400))
                     for _ in range(n - open_work))
    recent = sorted(now - timedelta(seconds=rng.uniform(0, 28 * 86400)) for _ in range(open_work))
    with transaction.atomic():
        for start in range(0, n, BATCH):
            tickets, followups = [], []
            for index in range(start, min(n, start + BATCH)):
                is_open = index >= n - open_work
                created = (recent[index - (n - open_work)] if is_open else history[index])
                text = rng.choice(TEXTS)
                status = (rng.choice([Ticket.OPEN_STATUS, Ticket.OPEN_STATUS, Ticket.REOPENED_STATUS]) if is_open
                          else rng.choice([Ticket.CLOSED_STATUS, Ticket.CLOSED_STATUS, Ticket.RESOLVED_STATUS]))
                tickets.append(Ticket(
                    id=index + 1, title=text[:12], queue=rng.choice(queues), created=created,
                    modified=created + timedelta(days=0 if is_open else rng.randint(1, 20)),
                    submitter_email=f"patient{index}@example.com", status=status, description=text,
                    priority=rng.choice([2, 3, 3, 4]), assigned_to=user if rng.random() < 0.7 else None,
                    due_date=created + timedelta(days=15),
                    resolution="" if is_open else "已与科室核实并向患者说明，患者表示理解。"))
                steps = 2 if is_open else 6
                for step in range(steps):
                    followups.append(FollowUp(
                        ticket_id=index + 1, date=created + timedelta(hours=step * 30), title="跟进",
                        comment=rng.choice(TEXTS), public=step % 2 == 0, user=user if step else None,
                        new_status=status if step == steps - 1 else None))
            Ticket.objects.bulk_create(tickets)
            FollowUp.objects.bulk_create(followups)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT setval('helpdesk_ticket_id_seq', (SELECT max(id) FROM helpdesk_ticket))")
            cursor.execute("ANALYZE")
        else:
            cursor.execute("ANALYZE")
    newest = list(Ticket.objects.order_by("-id").values_list("id", flat=True)[:2000])
    print(json.dumps({"tickets": newest}))


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
