"""The same matter often arrives twice: reception sees likely duplicates and earlier complaints of the same
person when logging or triaging, links a duplicate to the open original (the duplicate ends as a duplicate and
points to it; the original's timeline notes it; /track sends the complainant to the original), and sees
repeat complainants on the complaint page. Only what the user may see, found by what they may search."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import event

from intranet.complaints import duplicates, operations
from intranet.complaints.lifecycle import Action, State
from intranet.complaints.models import ComplaintEvent
from intranet.complaints.search import search as find
from intranet.core.extensions import db
from intranet.core.time import utcnow
from tests import factories
from tests.browser import release
from tests.conftest import csrf_token, login

pytest_plugins = ["tests.browser"]

EN = {"lang": "en"}


def complaint(world, what, state=State.registered, **data):
    return factories.make_complaint(world, state, what_happened=what, **data)


@pytest.fixture
def earlier(world):
    """Known complaints: one from the caller's phone, one about the same patient, one with the same
    words, one of the same phone but too long ago, and one that has nothing in common."""
    made = {
        "phone": complaint(world, "上周电话投诉过挂号收费。", complainant_phone="138-0013-8000"),
        "patient": complaint(world, "病人住院期间夜间无人巡房。", complainant_phone="13911112222",
                             patient_name="赵大爷", patient_record_number="ZY-20260042"),
        "words": complaint(world, "急诊科护士态度恶劣，输液等了三个小时没人管。", complainant_phone="13633334444"),
        "old": complaint(world, "很久以前的投诉。", complainant_phone="13800138000"),
        "other": complaint(world, "停车场收费太贵。", complainant_phone="13755556666"),
    }
    made["old"].received_at = utcnow() - timedelta(days=120)
    db.session.commit()
    return made


def listed(html: str) -> list[str]:
    section = html.split('id="similar"', 1)[1] if 'id="similar"' in html else html
    return re.findall(r'<a href="/complaints/(TS-\d{4}-\d{6})">', section)


@pytest.mark.parametrize(("typed", "expected", "why"), [
    ({"complainant_phone": "+86 138 0013 8000"}, ["phone"], "same phone"),
    ({"patient_record_number": "zy-20260042"}, ["patient"], "same medical record number"),
    ({"patient_name": "赵大爷"}, ["patient"], "same patient name"),
    ({"what_happened": "急诊科护士态度恶劣，输液等了三个小时都没人管！"}, ["words"], "very similar words"),
    ({"what_happened": "护士态度不好。"}, [], None),  # a few words in common is not the same matter
    ({"complainant_phone": "13000000000"}, [], None),
])
def test_the_intake_form_shows_likely_duplicates_as_the_caller_is_identified(world, client, earlier, typed,
                                                                            expected, why):
    login(client, world.reception)
    response = client.get("/complaints/new/similar", query_string={**typed, **EN},
                          headers={"HX-Request": "true", "HX-Target": "similar"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="similar"')
    assert listed(html) == [earlier[key].reference for key in expected]
    if why:
        assert why in html and "Possible duplicates" in html


def test_a_rejected_intake_form_shows_them_too_without_javascript(world, client, earlier):
    login(client, world.reception)
    token = csrf_token(client, "/complaints/new")
    response = client.post("/complaints/new?lang=en", data={"csrf_token": token, "complainant_phone": "13800138000",
                                                            "what_happened": ""})
    assert response.status_code == 422
    assert listed(response.get_data(as_text=True)) == [earlier["phone"].reference]


@pytest.mark.parametrize("field", ["complainant_phone", "patient_record_number", "patient_name", "what_happened"])
def test_whatever_is_typed_is_no_error(world, client, earlier, field):
    login(client, world.reception)
    for value in ("x" * 3000, "%_\"*'\\", "ж" * 2500, "OR NEAR(", "1" * 3000):
        response = client.get("/complaints/new/similar", query_string={field: value},
                              headers={"HX-Request": "true", "HX-Target": "similar"})
        assert response.status_code == 200, value[:10]
        assert listed(response.get_data(as_text=True)) == []


@pytest.mark.parametrize("person", ["head", "leadership", "admin"])
def test_only_reception_asks_for_duplicates_at_intake(world, client, person):
    login(client, world.user(person))
    assert client.get("/complaints/new/similar", query_string={"complainant_phone": "13800138000"}).status_code == 403


def test_the_triage_page_of_a_public_submission_lists_them_with_a_button_each(world, client, earlier):
    submitted = complaint(world, "上周电话投诉过挂号收费，现在写信再说一遍。", State.submitted,
                          complainant_phone="13800138000")
    login(client, world.reception)
    html = client.get(f"/complaints/{submitted.reference}", query_string=EN).get_data(as_text=True)
    panel = html.split('class="notice notice-warning possible-duplicates"', 1)[1].split("</section>", 1)[0]
    assert re.findall(r'<a href="/complaints/(TS-\d{4}-\d{6})">', panel) == [earlier["phone"].reference]
    assert f'name="mark_duplicate-original" value="{earlier["phone"].reference}"' in panel


def test_a_wave_of_complaints_shows_the_eight_with_most_in_common_then_the_newest(world, client):
    """Ten earlier complaints from the caller's phone; two of them are also about the same patient."""
    same = [complaint(world, f"第{n}次来电反映挂号收费问题。", complainant_phone="13800138000",
                      patient_name="钱阿姨" if n in (2, 5) else None) for n in range(10)]
    login(client, world.reception)
    html = client.get("/complaints/new/similar", query_string={"complainant_phone": "13800138000",
                                                                "patient_name": "钱阿姨"}).get_data(as_text=True)
    assert listed(html) == [same[n].reference for n in (5, 2, 9, 8, 7, 6, 4, 3)]


def test_once_triaged_and_assigned_the_panel_is_gone(world, client, earlier):
    assigned = complaint(world, "上周电话投诉过挂号收费。", State.assigned, complainant_phone="13800138000")
    for person in ("reception", "head"):
        login(client, world.user(person))
        assert "possible-duplicates" not in client.get(f"/complaints/{assigned.reference}").get_data(as_text=True)


def mark(world, duplicate, original_reference, who=None):
    result = operations.perform(who or world.reception, Action.mark_duplicate, duplicate,
                                {"original": original_reference, "complainant_told": "已告知与上次投诉合并处理。"},
                                duplicate.version)
    db.session.commit()
    return result


def test_marking_a_duplicate_closes_it_links_it_and_notes_it_on_the_original(world, client):
    original = complaint(world, "挂号收费多收了二十元。", State.investigating)
    seen = original.version
    duplicate = complaint(world, "挂号多收费二十元，再次投诉。", State.submitted)
    mark(world, duplicate, original.reference)

    assert duplicate.state == State.duplicate
    assert duplicate.duplicate_of_id == original.id and duplicate.closed_at is not None
    assert original.state == State.investigating  # the original carries on
    assert original.version == seen + 1  # someone looking at it hears that something happened
    note = db.session.scalars(ComplaintEvent.__table__.select().where(
        ComplaintEvent.complaint_id == original.id, ComplaintEvent.action == "note")).all()
    assert len(note) == 1
    event = db.session.get(ComplaintEvent, note[0])
    assert event.data == {"system": "duplicate_linked", "duplicate": duplicate.reference}

    login(client, world.reception)
    page = client.get(f"/complaints/{original.reference}", query_string=EN).get_data(as_text=True)
    assert "A later complaint about the same matter was linked to this one as a duplicate." in page
    assert duplicate.reference in page
    page = client.get(f"/complaints/{duplicate.reference}", query_string=EN).get_data(as_text=True)
    assert "Not accepted: the same matter as" in page and f'/complaints/{original.reference}"' in page
    # Both stay findable by their words.
    assert sorted(c.reference for c in find(world.reception, "二十", limit=10)) == sorted(
        [original.reference, duplicate.reference])


def test_the_duplicates_complainant_follows_the_original_with_their_own_code(world, client):
    """Its progress and answer, never its complainant, and no follow-up: that is its own complainant's."""
    original = complaint(world, "挂号收费多收了二十元。", State.responded, complainant_name="王女士",
                         complainant_phone="13900001111")
    duplicate = complaint(world, "挂号多收费二十元，再次投诉。", State.submitted, complainant_name="李先生")
    code = duplicate.tracking_code
    mark(world, duplicate, original.reference)
    token = csrf_token(client, "/track?lang=en")
    html = client.post("/track?lang=en", data={"csrf_token": token, "reference": duplicate.reference, "code": code},
                       follow_redirects=True).get_data(as_text=True)
    assert f"Handled together with complaint {original.reference}, about the same matter." in html
    assert (f"This is the same matter as complaint {original.reference}, which we are already handling: its "
            "progress and our answer are shown here.") in html
    handled = html[html.index('<section class="handled-with"'):]
    assert f"Complaint {original.reference}, which handles yours" in handled
    assert original.told_text and original.told_text in handled
    assert "王女士" not in html and "13900001111" not in html
    assert 'class="narrow public-action follow_up"' not in html  # the original's follow-up is not theirs


@pytest.mark.parametrize(("original_state", "message"), [
    (State.closed, "is not open (it is: Closed)"),
    (State.withdrawn, "is not open (it is: Withdrawn)"),
    (None, "There is no other complaint"),
])
def test_a_duplicate_is_linked_only_to_another_open_complaint(world, client, original_state, message):
    duplicate = complaint(world, "再次投诉。", State.registered)
    original = complaint(world, "第一次投诉。", original_state) if original_state else duplicate
    login(client, world.reception)
    token = csrf_token(client, f"/complaints/{duplicate.reference}")
    response = client.post(f"/complaints/{duplicate.reference}/mark_duplicate?lang=en",
                           data={"mark_duplicate-original": original.reference.lower(),
                                 "mark_duplicate-version": duplicate.version},
                           headers={"X-CSRFToken": token, "HX-Request": "true", "HX-Target": "complaint"})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    db.session.refresh(duplicate)
    assert duplicate.state == State.registered and duplicate.duplicate_of_id is None


@pytest.mark.parametrize(("person", "shown"), [("reception", True), ("leadership", True), ("head", False)])
def test_repeat_complainants_are_shown_to_those_who_may_see_the_phone(world, client, person, shown):
    for n in range(3):
        complaint(world, f"第{n}次投诉。", complainant_phone="138 0013 8000")
    latest = complaint(world, "又来投诉。", State.investigating, complainant_phone="+86 13800138000",
                       confidential=True)
    complaint(world, "别人的投诉。", complainant_phone="13900000000")
    login(client, world.user(person))
    html = client.get(f"/complaints/{latest.reference}", query_string=EN).get_data(as_text=True)
    assert ("Earlier complaints from this phone: 3" in html) == shown
    assert ('href="/search?q=13800138000"' in html) == shown


def test_no_repeat_line_for_a_first_complaint(world, client):
    first = complaint(world, "第一次投诉。", complainant_phone="13800138000")
    login(client, world.reception)
    html = client.get(f"/complaints/{first.reference}", query_string=EN).get_data(as_text=True)
    assert 'class="repeat"' not in html and "from this phone" not in html


# --- bounded by the window, however long the history ------------------------------------------------------


def test_the_words_are_compared_with_the_complaints_received_last(world, client, monkeypatch):
    """The words are compared with the complaints received last, not those numbered last: a letter logged
    today about a matter of a month ago is numbered after yesterday's call, and is older."""
    monkeypatch.setattr(duplicates, "COMPARED", 1)
    yesterday = complaint(world, "急诊科护士态度恶劣，输液等了三个小时没人管。", complainant_phone="13633334444")
    logged_late = complaint(world, "急诊科护士态度恶劣，输液等了三个小时没人管。", complainant_phone="13755556666")
    yesterday.received_at = utcnow() - timedelta(days=1)
    logged_late.received_at = utcnow() - timedelta(days=30)
    db.session.commit()
    submitted = complaint(world, "急诊科护士态度恶劣，输液等了三个小时都没人管！", State.submitted,
                          complainant_phone="13000000000")
    login(client, world.reception)
    html = client.get(f"/complaints/{submitted.reference}", query_string=EN).get_data(as_text=True)
    panel = html.split('class="notice notice-warning possible-duplicates"', 1)[1].split("</section>", 1)[0]
    assert re.findall(r'<a href="/complaints/(TS-\d{4}-\d{6})">', panel) == [yesterday.reference]


def test_the_words_compared_are_read_through_the_received_index(world, client):
    """The comparison reads the window of received_at backwards through ix_complaints_received and stops at
    COMPARED: in the order of the ids both databases walked the whole history (every complaint ever
    received) whenever the window held fewer than COMPARED, and the triage page grew with it."""
    complaint(world, "急诊科护士态度恶劣，输液等了三个小时没人管。", complainant_phone="13633334444")
    submitted = complaint(world, "急诊科护士态度恶劣，输液等了三个小时都没人管！", State.submitted,
                          complainant_phone="13000000000")
    login(client, world.reception)
    compared = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if "complaint_search AS" in statement and "ORDER BY" in statement:
            compared.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert client.get(f"/complaints/{submitted.reference}").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    [(statement, parameters)] = compared
    cursor = db.session.connection().connection.cursor()
    if db.engine.dialect.name == "sqlite":
        cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
        plan = [row[-1] for row in cursor.fetchall()]
        assert any("USING COVERING INDEX ix_complaints_received (received_at>?)" in step for step in plan), plan
    else:
        # A few rows are sorted cheaper than read through an index: forbidding the sort shows that the
        # index gives the order (in the order of the ids only the primary key would).
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("EXPLAIN " + statement, parameters)
        plan = [row[0] for row in cursor.fetchall()]
        assert any("Index Only Scan Backward using ix_complaints_received on complaints" in step
                   for step in plan), plan
    db.session.rollback()


# --- in a real browser ------------------------------------------------------------------------------------


@pytest.mark.browser
def test_reception_links_a_duplicate_from_the_triage_page(new_context, watch, world):
    original = complaint(world, "门诊收费处多收了挂号费二十元，要求退还。", complainant_phone="13800138000")
    duplicate = complaint(world, "门诊收费处多收挂号费二十元，上次说退还至今没有退。", State.submitted,
                          complainant_phone="138 0013 8000")
    original_ref, duplicate_ref, code = original.reference, duplicate.reference, duplicate.tracking_code
    release()

    context = new_context()
    page = context.new_page()
    page.goto("/login")
    page.fill("#username", "reception")
    page.fill("#password", factories.PASSWORD)
    with page.expect_navigation():
        page.click("form button[type=submit]")
    page.goto(f"/complaints/{duplicate_ref}")
    panel = page.locator("#complaint .possible-duplicates")
    expect(panel).to_contain_text("Possible duplicates")
    expect(panel).to_contain_text("same phone")
    page.evaluate("() => (window.__noReload = 1)")
    with page.expect_response(lambda r: r.request.method == "POST"):
        panel.locator("button", has_text=f"Duplicate of {original_ref}").click()
    expect(page.locator("#complaint .badges .state-duplicate")).to_be_visible()
    expect(page.locator("#complaint .duplicate-of a")).to_have_text(original_ref)
    assert page.evaluate("() => window.__noReload") == 1, "the page was reloaded"
    # The action's answer has the bell refresh itself: following the link while that request is on its way
    # would abort it (and the watcher reports a failed request).
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")

    page.locator("#complaint .duplicate-of a").click()
    expect(page).to_have_url(re.compile(f"/complaints/{original_ref}$"))
    expect(page.locator("#complaint .timeline")).to_contain_text(
        "A later complaint about the same matter was linked to this one as a duplicate.")

    public = new_context().new_page()
    public.goto("/track")
    public.fill("#reference", duplicate_ref)
    public.fill("#code", code)
    with public.expect_navigation():
        public.click("main form button[type=submit]")
    expect(public.locator("main")).to_contain_text(f"Handled together with complaint {original_ref}")
    watch.check()
