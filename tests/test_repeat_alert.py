"""The repeat alert: a member of staff found against (upheld or partly upheld) in as many complaints within
twelve months as the hospital's setting (3 unless an administrator changes it) is raised to leadership at
the finding that brings them there, and at each one after. Read on Fri 20 Nov 2026, on October's
complaints of the accountability report (tests/test_accountability_report.py): Wang Ming is found against
in A, I and September's complaint, and partly in B; Zhang Wei is named on B with no finding yet."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from intranet.complaints import operations
from intranet.complaints.lifecycle import Action
from intranet.core.extensions import db
from intranet.core.hospital import HospitalRecord, forget
from intranet.core.time import clock_at
from intranet.notifications.models import OutboxMessage
from tests.test_accountability_report import BEIJING, READ_ON, name, october  # noqa: F401 (the fixture)


def alerts(world) -> list[tuple[str, str]]:
    """(whose bell, subject) of every repeat alert queued."""
    usernames = {str(u.id): u.username for u in (world.leadership, world.head, world.reception)}
    return [(usernames.get(m.recipient, m.recipient), m.subject) for m in db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "repeat_found_against", OutboxMessage.channel == "in_app")
        .order_by(OutboxMessage.id))]


@pytest.fixture(autouse=True)
def leadership_reads_english(world):
    world.leadership.language = "en"  # the alert is written in its reader's language
    db.session.commit()


def find(world, complaint, staff_number: str, finding: str) -> None:
    person = next(p for p in complaint.people if p.staff_member and p.staff_member.staff_number == staff_number)
    with clock_at(READ_ON):
        operations.perform(world.head, Action.record_person_finding, complaint,
                           {"person_id": person.id, "finding": finding}, complaint.version)
        db.session.commit()


def repeat_at(count: int) -> None:
    db.session.merge(HospitalRecord(id=1, name_zh="测试医院", repeat_alert_upheld=count))
    db.session.commit()
    forget()


@pytest.mark.parametrize(("finding", "setting", "told"), [
    ("upheld", None, [("leadership", "王明 (1001): 4 complaints found against them within twelve months")]),
    ("partly_upheld", None, [("leadership", "王明 (1001): 4 complaints found against them within twelve months")]),
    ("not_upheld", None, []),
    ("upheld", 4, [("leadership", "王明 (1001): 4 complaints found against them within twelve months")]),
    ("upheld", 5, []),
])
def test_leadership_hears_when_a_finding_reaches_the_setting(world, october, finding, setting, told):  # noqa: F811
    if setting:
        repeat_at(setting)
    find(world, october.complaints["b"], "1001", finding)
    assert alerts(world) == told


def test_the_twelve_months_end_today_and_begin_the_day_after_the_same_date_a_year_before(world, october):  # noqa: F811
    repeat_at(2)
    zhang = next(p.staff_member for p in october.complaints["b"].people
                 if p.staff_member and p.staff_member.staff_number == "2001")
    for day in (20, 21):  # 20 Nov 2025 is out of the twelve months to 20 Nov 2026; 21 Nov 2025 is in
        older = october.receive(datetime(2025, 11, day, 10, tzinfo=BEIJING), world.nursing, world.category)
        name(older, zhang, "upheld")
    find(world, october.complaints["b"], "2001", "upheld")
    assert alerts(world) == [("leadership", "张伟 (2001): 2 complaints found against them within twelve months")]
