"""The real thing in a real browser: Debian's chromium against the app served over HTTP.

The happy path from the public form to a closed complaint, every staff action done in place by htmx
(no page reload: a marker set on `window` survives the swap), a refused action (409) swapped in place,
and the same action as a plain form post with JavaScript off. Any console error, uncaught exception, CSP
violation or server error fails the test (see tests/browser.py).
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from intranet.complaints.lifecycle import State
from tests import factories
from tests.browser import release
from tests.conftest import PINNED

# The live server, chromium and the watched browser contexts (see tests/browser.py).
pytest_plugins = ["tests.browser"]
pytestmark = pytest.mark.browser

WHAT_HAPPENED = "我母亲在心内科门诊候诊三个多小时，没有任何人解释原因，护士态度也很冷淡。"
FINDINGS = "门诊当天两名医生临时被调往急诊，候诊时间延长，但没有人向候诊患者说明。"
WHAT_HAPPENED_SHORT = "候诊三个小时"  # of the factories' complaint
RESPONSE = "非常抱歉让您久等。我们已经规定门诊延误超过三十分钟必须广播说明原因。"


# --- helpers ---------------------------------------------------------------------------------------


def log_in(page, username: str, password: str = factories.PASSWORD) -> None:
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/queue$"))


def open_action(page, reference: str, action: str):
    """The action's form, its <details> opened if it has one (clicking the summary, as a person would)."""
    form_selector = f'form[action="/complaints/{reference}/{action}"]'
    form = page.locator(f"#complaint {form_selector}")
    details = page.locator("#complaint details.action", has=page.locator(form_selector))
    if details.count() and details.get_attribute("open") is None:
        details.locator("summary").click()
    expect(form).to_be_visible()
    return form


def set_marker(page) -> float:
    return page.evaluate("() => (window.__noReload = Math.random())")


def assert_not_reloaded(page, marker: float) -> None:
    assert page.evaluate("() => window.__noReload") == marker, "the page was reloaded"


def submit_in_place(page, form, status: int = 200, watch=None):
    """Submit `form` through htmx and check the answer was swapped in without a page reload."""
    page.bring_to_front()  # as a person would; background tabs get their timers throttled
    marker = set_marker(page)
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        form.locator("button[type=submit]").click()
    response = answer.value
    assert response.request.headers.get("hx-request") == "true", "not sent by htmx"
    assert response.status == status, (response.status, response.text()[:2000])
    # Wait for htmx to finish swapping and settling before looking.
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")
    assert_not_reloaded(page, marker)
    if watch is not None:
        watch.check()
    return response


def expect_state(page, state: State) -> None:
    expect(page.locator(f"#complaint .badges .state-{state.value}")).to_be_visible()


def fact(page, label: str):
    """The <dd> beside the <dt> `label` in the complaint's details."""
    term = page.locator("#complaint .facts dt", has_text=re.compile(f"^{label}$"))
    return term.locator("xpath=following-sibling::dd[1]")


def count_badge(page, queue: str):
    return page.locator(f'#queue-counts .count[data-queue="{queue}"]')


# --- the guard itself ------------------------------------------------------------------------------


def test_watch_catches_csp_violations_and_script_errors(new_context, watch, app_ctx):
    """The watcher is what makes the other tests meaningful: prove it sees what the CSP refuses."""
    page = new_context().new_page()
    page.goto("/")
    watch.check()
    page.evaluate("""() => {
        const script = document.createElement("script");
        script.textContent = "window.__inline = true";
        document.body.append(script);
        const style = document.createElement("style");
        style.textContent = "body { color: red }";
        document.head.append(style);
        setTimeout(() => { throw new Error("boom"); }, 0);
    }""")
    page.wait_for_timeout(300)
    assert page.evaluate("() => window.__inline") is None, "the CSP let an inline script run"
    problems = "\n".join(watch.problems)
    watch.problems.clear()
    assert "script-src" in problems, problems
    assert "style-src" in problems, problems
    assert "boom" in problems, problems


# --- the happy path ----------------------------------------------------------------------------------


def test_happy_path_from_public_form_to_closed(new_context, watch, world):
    cardiology_id, category_id = world.cardiology.id, world.category.id
    cardiology_name, category_name = world.cardiology.name_en, world.category.name_en
    release()

    # A member of the public complains, in Chinese, from a phone-sized screen.
    public = new_context(locale="zh-CN", viewport={"width": 390, "height": 844}).new_page()
    public.goto("/complain")
    public.fill("#what_happened", WHAT_HAPPENED)
    public.select_option("#subject_department_id", str(cardiology_id))
    public.fill("#subject_ward", "心内科门诊")
    public.check("#complainant_relation-1")  # family: radios, as GOV.UK asks for a few options
    public.fill("#complainant_name", "李先生")
    public.fill("#complainant_phone", "13912345678")
    public.fill("#patient_name", "李秀英")
    with public.expect_navigation():
        public.click("form.public-form button[type=submit]")
    expect(public).to_have_url(re.compile(r"/complain/done$"))
    reference, code = (t.strip() for t in public.locator(".panel-confirmation .reference").all_inner_texts())
    assert re.fullmatch(r"TS-\d{4}-\d{6}", reference), reference
    assert re.fullmatch(r"[2-9A-HJ-NP-Z]{5}-[2-9A-HJ-NP-Z]{5}", code), code
    watch.check()

    # Reception logs in, finds it among the new ones, opens it.
    reception = new_context().new_page()
    log_in(reception, "reception")
    row = reception.locator(f"#row-{reference}")
    expect(row).to_contain_text(WHAT_HAPPENED[:20])
    expect(count_badge(reception, "new")).to_have_text("1")
    with reception.expect_navigation():
        row.get_by_role("link", name=reference).click()
    expect(reception.locator("#complaint h1")).to_have_text(reference)
    expect_state(reception, State.submitted)
    expect(fact(reception, "What happened")).to_have_text(WHAT_HAPPENED)

    # Triage, in place.
    form = open_action(reception, reference, "triage")
    form.locator("#triage-category_id").select_option(str(category_id))
    submit_in_place(reception, form, watch=watch)
    expect_state(reception, State.registered)
    expect(fact(reception, "Category")).to_have_text(category_name)
    expect(reception.locator("#complaint .notice-success")).to_be_visible()

    # Assign to Cardiology, in place.
    form = open_action(reception, reference, "assign")
    form.locator("#assign-department_id").select_option(str(cardiology_id))
    form.locator("#assign-note").fill("请心内科核实当天门诊情况。")
    submit_in_place(reception, form, watch=watch)
    expect_state(reception, State.assigned)
    expect(fact(reception, "Department")).to_have_text(cardiology_name)

    # The head of Cardiology, in another browser context, sees it as new for the department.
    head = new_context().new_page()
    log_in(head, "head-card")
    expect(head.locator("#queue-counts [aria-current=page] .count")).to_have_attribute("data-queue", "new")
    expect(count_badge(head, "new")).to_have_text("1")
    expect(count_badge(head, "investigating")).to_have_text("0")
    row = head.locator(f"#row-{reference}")
    expect(row).to_be_visible()
    head.screenshot(path="/tmp/redress-queue.png", full_page=True)

    # Accept from the queue row: the row swaps in place and the badges refresh, without a reload.
    marker = set_marker(head)
    with head.expect_response(lambda r: r.request.method == "POST") as answer:
        row.locator("form button[type=submit]").click()
    assert answer.value.status == 200
    assert answer.value.request.headers.get("hx-target") == f"row-{reference}"  # htmx names the row it swaps
    expect(row.locator(".row-message")).to_be_visible()
    expect(row.locator(".state-investigating")).to_be_visible()
    expect(row.locator("form")).to_have_count(0)
    expect(count_badge(head, "new")).to_have_text("0")
    expect(count_badge(head, "investigating")).to_have_text("1")
    assert_not_reloaded(head, marker)
    # The bell refreshes too: let it finish before the link below leaves the page.
    head.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")
    watch.check()

    # The head opens it and records the findings, in place.
    with head.expect_navigation():
        row.get_by_role("link", name=reference).click()
    expect_state(head, State.investigating)
    form = open_action(head, reference, "record_findings")
    form.locator("#record_findings-findings").fill(FINDINGS)
    form.locator("#record_findings-responsibility").select_option("partly_upheld")
    form.locator("#record_findings-cause").fill("临时调岗后没有延误告知机制。")
    form.locator("#record_findings-remedy").fill("当面致歉。")
    # The corrective action is raised from the findings, as a record of its own.
    form.locator("#record_findings-corrective_title").fill("延误超过30分钟广播说明原因")
    form.locator("#record_findings-corrective_due_on").fill((PINNED.date() + timedelta(days=20)).isoformat())
    submit_in_place(head, form, watch=watch)
    expect_state(head, State.investigating)
    expect(fact(head, "Findings")).to_have_text(FINDINGS)
    expect(fact(head, "Corrective actions")).to_contain_text("延误超过30分钟广播说明原因")
    expect(head.locator("#complaint .timeline .event-record_findings")).to_have_count(1)

    # ... and signs off the response, in place.
    form = open_action(head, reference, "sign_off")
    form.locator("#sign_off-response_text").fill(RESPONSE)
    submit_in_place(head, form, watch=watch)
    expect_state(head, State.signed_off)
    expect(fact(head, "Signed off")).to_contain_text("Head-Card")

    # Reception tells the complainant (the signed-off text is prefilled), in place.
    reception.goto("/queue?q=to_tell")
    with reception.expect_navigation():
        reception.locator(f"#row-{reference}").get_by_role("link", name=reference).click()
    expect_state(reception, State.signed_off)
    form = open_action(reception, reference, "respond")
    expect(form.locator("#respond-told_text")).to_have_value(RESPONSE)
    form.locator("#respond-method").select_option("phone")
    submit_in_place(reception, form, watch=watch)
    expect_state(reception, State.responded)

    # ... and records the follow-up call: satisfied, so the complaint is closed. In place.
    form = open_action(reception, reference, "follow_up")
    form.locator("#follow_up-method").select_option("phone")
    form.locator("#follow_up-satisfied-0").check()
    form.locator("#follow_up-comment").fill("李先生表示满意，感谢医院的答复。")
    submit_in_place(reception, form, watch=watch)
    expect_state(reception, State.closed)
    # Only a note is left, and a dispute should the complainant take it further.
    expect(reception.locator("#complaint .complaint-actions form")).to_have_count(2)
    assert sorted(reception.locator("#complaint .complaint-actions form").evaluate_all(
        "forms => forms.map(f => f.getAttribute('action').split('/').pop())")) == ["note", "record_dispute"]
    events = reception.locator("#complaint .timeline li.event")
    expect(events).to_have_count(8)  # submit, triage, assign, accept, findings, sign off, respond, follow up
    reception.screenshot(path="/tmp/redress-complaint.png", full_page=True)

    # The complainant's browser still holds the complaint it submitted, for this session.
    public.goto("/track")
    expect(public.locator(".facts")).to_contain_text(reference)
    # On another device they check progress with the reference and tracking code.
    other = new_context(locale="zh-CN").new_page()
    other.goto("/track")
    other.fill("#reference", reference)
    other.fill("#code", code.lower())
    with other.expect_navigation():
        other.click("form button[type=submit]")
    expect(other.locator(".facts")).to_contain_text(reference)
    expect(other.locator("main")).to_contain_text(RESPONSE)
    expect(other.locator("main")).not_to_contain_text(FINDINGS)
    watch.check()


# --- refusals --------------------------------------------------------------------------------------


def test_version_conflict_is_swapped_in_place(new_context, watch, world):
    complaint = factories.make_complaint(world, State.registered)
    reference, cardiology_id, nursing_id = complaint.reference, world.cardiology.id, world.nursing.id
    cardiology_name, nursing_name = world.cardiology.name_en, world.nursing.name_en
    release()

    context = new_context()
    first = context.new_page()
    log_in(first, "reception")
    second = context.new_page()
    for page in (first, second):
        page.goto(f"/complaints/{reference}")
        expect_state(page, State.registered)

    form = open_action(first, reference, "assign")
    form.locator("#assign-department_id").select_option(str(cardiology_id))
    submit_in_place(first, form, watch=watch)
    expect_state(first, State.assigned)

    # The second page still shows the complaint as it was: acting there is refused with a 409.
    watch.allow(r"status of 409")  # chromium logs every non-2xx answer to the console
    form = open_action(second, reference, "assign")
    form.locator("#assign-department_id").select_option(str(nursing_id))
    submit_in_place(second, form, status=409, watch=watch)
    alert = second.locator("#complaint .notice-error[role=alert]")
    expect(alert).to_contain_text("Someone else acted on this first, so your change was not saved.")
    expect(alert.locator("li")).to_have_count(1)
    expect(alert.locator("li")).to_contain_text("Assign to a department")
    # The card now shows the complaint as it is: assigned to Cardiology, not Nursing.
    expect_state(second, State.assigned)
    expect(fact(second, "Department")).to_have_text(cardiology_name)
    expect(second.locator("#htmx-error")).to_be_hidden()

    # Nothing was overwritten.
    first.reload()
    expect(fact(first, "Department")).to_have_text(cardiology_name)
    expect(first.locator("#complaint .timeline .event-assign")).to_have_count(1)

    # The card swapped in carries the current version: having looked, the person can decide again.
    form = open_action(second, reference, "assign")
    form.locator("#assign-department_id").select_option(str(nursing_id))
    submit_in_place(second, form, watch=watch)
    expect(fact(second, "Department")).to_have_text(nursing_name)
    expect(second.locator("#complaint .notice-error")).to_have_count(0)
    expect(second.locator("#complaint .timeline .event-assign")).to_have_count(2)
    watch.check()


# --- without JavaScript ----------------------------------------------------------------------------


def test_assign_works_without_javascript(new_context, watch, world):
    complaint = factories.make_complaint(world, State.registered)
    reference, cardiology_id, cardiology_name = complaint.reference, world.cardiology.id, world.cardiology.name_en
    release()

    page = new_context(java_script_enabled=False).new_page()
    log_in(page, "reception")
    page.goto(f"/complaints/{reference}")
    expect_state(page, State.registered)

    form = open_action(page, reference, "assign")  # <details> opens natively
    form.locator("#assign-department_id").select_option(str(cardiology_id))
    with page.expect_response(lambda r: r.request.method == "POST") as answer, page.expect_navigation():
        form.locator("button[type=submit]").click()
    response = answer.value
    assert "hx-request" not in response.request.headers
    assert response.status in (302, 303), response.status
    assert response.headers["location"].endswith(f"/complaints/{reference}")
    expect(page).to_have_url(re.compile(f"/complaints/{reference}$"))
    expect(page.locator("main > .notice-success")).to_be_visible()
    expect_state(page, State.assigned)
    expect(fact(page, "Department")).to_have_text(cardiology_name)
    watch.check()


def test_acknowledgement_is_recorded_in_place_once_a_department_has_it(new_context, watch, world):
    """Assigned without telling the complainant: reception records the acknowledgement on the card, the
    "Awaiting acknowledgement" badge drops, and the action is no longer offered."""
    complaint = factories.make_complaint(world, State.assigned)
    reference = complaint.reference
    release()

    page = new_context().new_page()
    log_in(page, "reception")
    page.goto("/queue?q=acknowledge")
    expect(count_badge(page, "acknowledge")).to_have_text("1")
    page.goto(f"/complaints/{reference}")
    form = open_action(page, reference, "acknowledge")
    form.locator("#acknowledge-acknowledged_via").select_option("phone")
    form.locator("#acknowledge-note").fill("Told it is with Cardiology, who will answer by the date shown.")
    submit_in_place(page, form, watch=watch)

    expect(page.locator("#complaint .notice-success")).to_be_visible()
    expect(page.locator("#complaint .timeline .event-acknowledge")).to_have_count(1)
    expect(page.locator('#complaint form[action$="/acknowledge"]')).to_have_count(0)
    expect_state(page, State.assigned)
    page.goto("/queue?q=acknowledge")
    expect(count_badge(page, "acknowledge")).to_have_text("0")
    watch.check()


def test_the_message_of_an_action_far_down_the_page_is_where_the_eye_is(new_context, watch, world):
    """On a phone, an action at the bottom of a long card: its message (at the top of the card) gets the
    focus, so it is scrolled into view and read out, whether the action was saved or refused."""
    complaint = factories.make_complaint(world, State.investigating)
    reference = complaint.reference
    release()

    page = new_context(viewport={"width": 360, "height": 640}).new_page()
    log_in(page, "head-card")
    page.goto(f"/complaints/{reference}")
    form = open_action(page, reference, "note")
    form.locator("#note-text").fill("已与投诉人通话，约定周五面谈。")
    form.locator("button[type=submit]").scroll_into_view_if_needed()
    submit_in_place(page, form, watch=watch)

    notice = page.locator("#complaint .notice-success")
    expect(notice).to_be_focused()
    expect(notice).to_be_in_viewport()
    watch.check()


# --- day one at the complaints office ---------------------------------------------------------------------


def test_a_confidential_patient_is_named_to_the_department_only_after_a_disclosure(new_context, watch, world):
    complaint = factories.make_complaint(world, State.investigating, confidential=True,
                                         complainant_relation="patient", complainant_name="赵保密",
                                         patient_name="赵保密", patient_record_number="ZY88776655")
    reference = complaint.reference
    release()

    head = new_context().new_page()
    log_in(head, "head-card")
    head.goto(f"/complaints/{reference}")
    expect(fact(head, "Complainant")).to_have_text(re.compile("name and contact withheld"))
    expect(head.locator("#complaint")).not_to_contain_text("赵保密")
    expect(head.locator("#complaint")).not_to_contain_text("ZY88776655")

    reception = new_context().new_page()
    log_in(reception, "reception")
    reception.goto(f"/complaints/{reference}")
    form = open_action(reception, reference, "disclose_identity")
    form.locator("#disclose_identity-disclosed_patient").check()
    form.locator("#disclose_identity-reason").fill("科室需要调阅病历核实。")
    form.locator("#disclose_identity-consent_via").select_option("phone")
    form.locator("#disclose_identity-consented").check()
    submit_in_place(reception, form, watch=watch)
    expect(reception.locator("#complaint .timeline .event-disclose_identity")).to_have_count(1)

    head.reload()
    expect(fact(head, "Patient")).to_contain_text("ZY88776655")
    expect(fact(head, "Complainant")).to_contain_text("name and contact withheld")  # not disclosed
    watch.check()


def test_what_the_complainant_was_told_stands_beside_the_signed_text(new_context, watch, world):
    complaint = factories.make_complaint(world, State.signed_off)
    reference = complaint.reference
    release()

    page = new_context().new_page()
    log_in(page, "reception")
    page.goto(f"/complaints/{reference}")
    form = open_action(page, reference, "respond")
    form.locator("#respond-method").select_option("phone")
    form.locator("#respond-told_text").fill("电话中向投诉人道歉，并说明下周起门诊延误会广播通知。")
    submit_in_place(page, form, watch=watch)
    expect_state(page, State.responded)
    expect(fact(page, "Signed-off response")).to_have_text("We are sorry. Delays are now announced.")
    expect(fact(page, "What the complainant was told")).to_contain_text("Differs from what was signed off")
    watch.check()


def test_a_reopened_complaint_shows_its_new_response_date_in_an_unambiguous_form(new_context, watch, world):
    complaint = factories.make_complaint(world, State.responded)
    reference = complaint.reference
    release()

    page = new_context().new_page()  # English: dates day first with the month in words, 24-hour clock
    log_in(page, "reception")
    page.goto(f"/complaints/{reference}")
    form = open_action(page, reference, "follow_up")
    form.locator("#follow_up-method").select_option("phone")
    form.locator("#follow_up-satisfied-1").check()  # not satisfied
    form.locator("#follow_up-comment").fill("Nothing has changed.")
    submit_in_place(page, form, watch=watch)
    expect_state(page, State.investigating)
    respond_by = fact(page, "Respond by")
    expect(respond_by).to_have_text(re.compile(r"^\d{1,2} [A-Z][a-z]{2} \d{4}$"))  # a new date, not "done"
    expect(page.locator("#complaint .facts")).not_to_contain_text(re.compile(r"\d/\d+/\d\d|[AP]M"))
    watch.check()


def test_the_queue_reads_at_a_glance_in_chinese(new_context, watch, world):
    """Headers on one line, summaries of two lines at most, buttons unbroken (1280 px, Chinese)."""
    for _ in range(2):
        factories.make_complaint(world, State.assigned, what_happened="候诊时间太长，" * 40)
    release()

    page = new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}).new_page()
    log_in(page, "head-card")
    lines = """(el) => { const r = document.createRange(); r.selectNodeContents(el);
                         return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size; }"""
    for th in page.locator("table.queue th:not(:has(.visually-hidden))").all():
        assert th.evaluate(lines) <= 1, th.inner_text()
    for summary in page.locator("table.queue .summary-text").all():
        box = summary.bounding_box()
        line = float(summary.evaluate("(el) => parseFloat(getComputedStyle(el).lineHeight)"))
        assert box["height"] <= 2 * line + 1
    for button in page.locator("table.queue button").all():
        assert button.evaluate(lines) == 1, button.inner_text()
    watch.check()


@pytest.mark.parametrize("username", ["reception", "head-card", "admin"])  # admin: the most links
@pytest.mark.parametrize("locale, labels", [("zh-CN", ("收到时间", "科室", "期限")),
                                            ("en-GB", ("Received", "Department", "Due"))])
def test_on_a_phone_the_header_leaves_the_screen_to_the_work_and_cards_say_what_each_date_is(
        new_context, watch, world, username, locale, labels):
    factories.make_complaint(world, State.assigned)
    factories.make_complaint(world, State.submitted)
    release()
    page = new_context(locale=locale, viewport={"width": 360, "height": 740}).new_page()
    log_in(page, username)
    header = page.locator("header.site-header").bounding_box()
    assert header["height"] < 740 / 3, header
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    if username != "admin":  # an administrator's queue lists no open work in this hospital
        card = page.locator("table.queue tbody tr").first
        shown = card.evaluate("""(row) => [...row.cells].map(td => getComputedStyle(td, '::before').content)
                                           .filter(c => c !== 'none')""")
        assert shown == [f'"{label}: "' for label in labels]
    watch.check()


def test_the_english_record_prints_its_chinese_in_the_chinese_font(new_context, watch, world):
    """What the complainant wrote stays Chinese in an English print: in Noto Sans CJK SC (which .ci/run
    installs), not a Japanese face or empty boxes."""
    reference = factories.make_complaint(world, State.investigating).reference
    release()
    page = new_context(locale="en-GB").new_page()
    log_in(page, "reception")
    page.goto(f"/complaints/{reference}/record?lang=en")
    expect(page.locator("table.record").first).to_contain_text(WHAT_HAPPENED_SHORT)
    fonts = {name.decode() for name in re.findall(rb"/FontName\s*/[A-Z]{6}\+([A-Za-z0-9-]+)", page.pdf())}
    assert "NotoSansCJKsc-Regular" in fonts, fonts
    watch.check()


@pytest.mark.parametrize("locale, says", [("zh-CN", "您的登录已过期，请重新登录。"),
                                          ("en-US", "Your session has ended. Log in again.")])
def test_an_ended_session_takes_the_whole_window_to_the_login_page(new_context, watch, world, locale, says):
    """The queue's badges poll on their own: once the session has ended, the login page takes the window,
    saying why, and nothing of the queue stays on screen."""
    reference = factories.make_complaint(world, State.submitted).reference
    release()
    page = new_context(locale=locale).new_page()
    log_in(page, "reception")
    expect(page.get_by_text(reference)).to_be_visible()

    page.context.clear_cookies()  # the session's cookie gone: as after a logout on another device
    with page.expect_navigation(url=re.compile(r"/login\?next=/queue&session=ended$")):
        # The badges' poll, as its timer fires it (the bell's alone would lead to the same page).
        page.evaluate("""() => { const counts = document.getElementById('queue-counts');
            htmx.ajax('GET', counts.getAttribute('hx-get'), {source: counts, target: counts, swap: 'outerHTML'}); }""")
    expect(page.get_by_role("status").filter(has_text=says)).to_be_visible()
    expect(page.locator("#password")).to_be_visible()
    expect(page.get_by_text(reference)).to_have_count(0)
    assert page.locator("#queue-counts, table.queue").count() == 0
