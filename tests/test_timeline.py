"""The timeline says what each action recorded, in the reader's words."""

import re

import pytest

from intranet.complaints import operations, tracking_codes
from intranet.complaints.lifecycle import Action, State
from intranet.core.departments import Category
from intranet.core.extensions import db
from tests import factories
from tests.conftest import csrf_token, login


def test_a_change_of_category_at_triage_can_be_traced(world, client):
    complaint = factories.make_complaint(world, State.registered)  # triaged once, as 沟通与态度
    billing = Category(code="BILL", name_zh="收费与费用", name_en="Billing and charges")
    db.session.add(billing)
    db.session.commit()
    operations.perform(world.reception, Action.triage, complaint,
                       {"category_id": billing.id, "severity": "minor", "complexity": "simple"}, complaint.version)
    db.session.commit()

    login(client, world.reception)
    page = client.get(f"/complaints/{complaint.reference}?lang=en").get_data(as_text=True)
    timeline = page[page.index('id="timeline-heading"'):]
    # Newest first: the second triage, then the first.
    assert timeline.index("Billing and charges") < timeline.index("Communication and attitude")
    chinese = client.get(f"/complaints/{complaint.reference}?lang=zh").get_data(as_text=True)
    assert "收费与费用" in chinese[chinese.index('id="timeline-heading"'):]


def test_what_the_system_records_is_read_in_the_readers_language(world, client):
    """A receipt's new tracking code, recorded by someone working in English, reads in Chinese to a Chinese
    reader (the fact is stored, not the sentence)."""
    complaint = factories.make_complaint(world, State.registered)
    tracking_codes.reissue_tracking_code(world.reception, complaint, replace_held_code=True)
    db.session.commit()
    assert complaint.events[-1].data == {"system": "new_tracking_code"}
    login(client, world.reception)
    english = client.get(f"/complaints/{complaint.reference}?lang=en").get_data(as_text=True)
    assert "A new tracking code was issued on a printed receipt" in english
    chinese = client.get(f"/complaints/{complaint.reference}?lang=zh").get_data(as_text=True)
    assert "A new tracking code" not in chinese and "新的查询码" in chinese


def first_event(client, reference: str, lang: str) -> str:
    page = client.get(f"/complaints/{reference}?lang={lang}").get_data(as_text=True)
    events = re.findall(r'<li class="event event-[a-z_]+">(.*?)</li>', page, re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", events[-1])).strip()  # the oldest is last


# What reception chose on the log form is the first event's, with who chose it, in the reader's words.
LOGGED_WITH_TRIAGE = [
    ({"category": True, "severity": "major", "complexity": "several_departments"}, "en",
     "Log a complaint · Reception · 18 Nov 2026 10:00 Channel Phone Category Communication and attitude "
     "Severity Major Complexity Involves several departments"),
    ({"category": True, "severity": "major", "complexity": "several_departments"}, "zh",
     "登记投诉 · Reception · 2026/11/18 10:00 投诉渠道 电话 投诉类别 沟通与态度 严重程度 重大 复杂程度 涉及多个科室"),
    ({"severity": "serious"}, "en",
     "Log a complaint · Reception · 18 Nov 2026 10:00 Channel Phone Severity Serious "
     "Complexity Simple (one department)"),
    ({}, "en", "Log a complaint · Reception · 18 Nov 2026 10:00 Channel Phone Severity Minor "
     "Complexity Simple (one department)"),  # what the form offers when nothing else is chosen
]


@pytest.mark.parametrize(("chosen", "lang", "reads"), LOGGED_WITH_TRIAGE)
def test_what_was_chosen_when_logging_is_on_the_first_event(world, client, chosen, lang, reads):
    login(client, world.reception)
    token = csrf_token(client, "/complaints/new")
    typed = {"channel": "phone", "what_happened": "电话投诉。", "complainant_phone": "13800138000",
             **{k: v for k, v in chosen.items() if k != "category"}}
    if chosen.get("category"):
        typed["category_id"] = str(world.category.id)
    response = client.post("/complaints/new", data={"csrf_token": token, **typed})
    assert response.status_code == 302
    reference = response.location.rsplit("/", 1)[-1]
    assert first_event(client, reference, lang) == reads


def test_several_values_of_one_field_read_one_after_another():
    from intranet.complaints.timeline import shown_value

    # Two people named at once: their names, not a list as the program holds it.
    assert shown_value(None, ["吕玉梅 (10049)", "王芳 (10050)"], {}) == "吕玉梅 (10049); 王芳 (10050)"
