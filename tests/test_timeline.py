"""The timeline says what each action recorded, in the reader's words."""

from intranet.complaints import operations, tracking_codes
from intranet.complaints.lifecycle import Action, State
from intranet.core.departments import Category
from intranet.core.extensions import db
from tests import factories
from tests.conftest import login


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
