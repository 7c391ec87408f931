"""Intake: staff log complaints from any channel, the public complain online and track them. Forms keep what
was typed on errors; every page carries a strict Content-Security-Policy and no inline script or style."""

import io
import re
from datetime import UTC, date, datetime
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from intranet.complaints import operations, tracking_codes
from intranet.complaints.lifecycle import Action, Role, State
from intranet.complaints.models import Channel, Complaint
from intranet.complaints.queues import QUEUES
from intranet.core.departments import ReferringBody
from intranet.core.extensions import db
from intranet.core.time import clock_at
from tests import factories
from tests.conftest import login

# Friday 6 March 2026, 10:00 in Shanghai: one working day later is Monday 9th, five is Friday 13th.
FRIDAY = datetime(2026, 3, 6, 2, 0, tzinfo=UTC)
WEDNESDAY = date(2026, 3, 4)
NOT_FOUND = "We could not find a complaint with that reference and tracking code."



# --- every page is checked: CSP header, no inline script/style/handlers ---------------------------------


class _InlineFinder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        names = {name.lower(): value for name, value in attrs}
        if tag == "script":
            if "src" not in names:
                self.problems.append("inline <script>")
            self._in_script = True
        if tag == "style":
            self.problems.append("<style> element")
        for name in names:
            if name == "style":
                self.problems.append(f"style= on <{tag}>")
            elif name.startswith("on"):
                self.problems.append(f"{name}= on <{tag}>")
            elif name.startswith(("hx-on", "data-hx-on")):
                self.problems.append(f"{name} on <{tag}>")
            elif name in ("href", "src", "action", "formaction") and (names[name] or "").strip().lower() \
                    .startswith("javascript:"):
                self.problems.append(f"javascript: URL in <{tag} {name}>")

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.problems.append("script with a body")


def check_page(response):
    """Every HTML answer: a CSP that allows scripts from this site only, and nothing inline in the page."""
    policy = response.headers.get("Content-Security-Policy", "")
    directives = {d.split()[0]: d.split()[1:] for d in policy.split(";") if d.strip()}
    assert directives.get("script-src") == ["'self'"], policy
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    assert response.headers.get("X-Content-Type-Options") == "nosniff"
    if response.mimetype == "text/html":
        finder = _InlineFinder()
        finder.feed(response.get_data(as_text=True))
        assert finder.problems == [], (response.request.path, finder.problems)
    return response


def test_the_page_check_finds_inline_code():
    def problems(html):
        finder = _InlineFinder()
        finder.feed(html)
        return finder.problems

    assert problems('<script src="/static/app.js" defer></script><p class="x">ok</p>') == []
    assert problems("<script>alert(1)</script>") == ["inline <script>", "script with a body"]
    assert problems('<div style="color:red">') == ["style= on <div>"]
    assert problems('<button onclick="go()">') == ["onclick= on <button>"]
    assert problems('<form hx-on::after-request="x()">') == ["hx-on::after-request on <form>"]
    assert problems('<a href="javascript:go()">') == ["javascript: URL in <a href>"]
    assert problems("<style>p{}</style>") == ["<style> element"]


class CheckedClient:
    """A test client whose every answer goes through check_page."""

    def __init__(self, client):
        self.client = client

    def get(self, *args, **kwargs):
        return check_page(self.client.get(*args, **kwargs))

    def post(self, *args, **kwargs):
        return check_page(self.client.post(*args, **kwargs))

    def __getattr__(self, name):
        return getattr(self.client, name)


def new_client(app) -> CheckedClient:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return CheckedClient(client)


@pytest.fixture
def client(app_ctx):
    return new_client(app_ctx)


def token_of(response) -> str:
    return re.search(r'"X-CSRFToken": "([^"]+)"', response.get_data(as_text=True)).group(1)


# --- what a form shows ------------------------------------------------------------------------------------


class _FormState(HTMLParser):
    """name -> what the browser would submit now (checkbox: 'y' if checked; select: the selected value)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.values: dict[str, str] = {}
        self.ids: set[str] = set()
        self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "input" and a.get("name"):
            if a.get("type") in ("checkbox", "radio"):
                if "checked" in a:
                    self.values[a["name"]] = a.get("value", "on")
            else:
                self.values[a["name"]] = a.get("value", "")
        elif tag == "select":
            self._select = a.get("name")
            self.values.setdefault(self._select, "")
        elif tag == "option" and self._select and "selected" in a:
            self.values[self._select] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = a.get("name")
            self.values[self._textarea] = ""

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data


def form_state(html: str) -> _FormState:
    parser = _FormState()
    parser.feed(html)
    # A textarea's first newline is not part of its value.
    parser.values = {k: re.sub(r"^\r?\n", "", v) for k, v in parser.values.items()}
    return parser


def error_summary_links(html: str) -> list[str]:
    summary = re.search(r'<div class="error-summary".*?</div>', html, re.S)
    assert summary, "no error summary"
    return re.findall(r'<a href="#([^"]+)">', summary.group(0))


def complaints() -> list[Complaint]:
    db.session.expire_all()
    return list(db.session.scalars(select(Complaint).order_by(Complaint.id)))


# --- staff intake ----------------------------------------------------------------------------------------


def log(client, data: dict):
    page = client.get("/complaints/new")
    assert page.status_code == 200
    return client.post("/complaints/new", data={"csrf_token": token_of(page), **data})


@pytest.mark.parametrize("channel", list(Channel), ids=str)
def test_staff_log_each_channel(world, client, channel):
    login(client, world.reception)
    # A referral names who referred it (tests/test_referrals.py has the rest).
    referred = {"referral_body_id": str(db.session.scalar(select(ReferringBody.id).where(
        ReferringBody.code == "12345")))} if channel == Channel.referral else {}
    with clock_at(FRIDAY):
        response = log(client, {"channel": channel.value, "what_happened": f"经{channel.value}投诉：等候时间太长。",
                                "complainant_name": "张先生", "complainant_phone": "13800138000", **referred})
        assert response.status_code == 302
        page = client.get(response.location)
    [complaint] = complaints()
    assert response.location == f"/complaints/{complaint.reference}"
    assert complaint.status == State.registered
    assert complaint.channel == channel
    assert complaint.created_by_id == world.reception.id
    assert complaint.acknowledge_due_on == date(2026, 3, 9)  # Monday: one working day after a Friday
    assert complaint.response_due_on == date(2026, 3, 13)  # Friday: five working days
    assert complaint.wants_written_reply is (channel == Channel.letter)  # 书面投诉书面答复
    # The tracking code is shown once, in the flash, and it works.
    html = page.get_data(as_text=True)
    match = re.search(rf"Complaint {complaint.reference} logged\. Tracking code for the complainant: "
                      r"([A-Z0-9]{5}-[A-Z0-9]{5})", html)
    assert match, html
    assert tracking_codes.check_tracking_code(complaint, match.group(1))
    assert [e.action for e in complaint.events] == ["log"]
    # ...and only once.
    assert match.group(1) not in client.get(response.location).get_data(as_text=True)


SCANNED_LETTER = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
CALL_RECORDING = b"#!AMR\n" + bytes(320)  # AMR narrow-band, as phones in China record calls


def log_with_files(client, files, **data):
    page = client.get("/complaints/new")
    return client.post("/complaints/new", content_type="multipart/form-data", data={
        "csrf_token": token_of(page), "channel": "phone", "what_happened": "电话投诉：候诊三小时无人解释。",
        "complainant_phone": "13800138000", **data,
        "evidence": [(io.BytesIO(raw), name) for name, raw in files]})


def test_staff_intake_takes_a_scanned_letter_and_the_calls_recording(world, client):
    login(client, world.reception)
    response = log_with_files(client, [("来信扫描.pdf", SCANNED_LETTER), ("通话录音.amr", CALL_RECORDING)])
    assert response.status_code == 302
    [complaint] = complaints()
    assert [(e.original_name, e.content_type, e.size) for e in complaint.evidence] == [
        ("来信扫描.pdf", "application/pdf", len(SCANNED_LETTER)), ("通话录音.amr", "audio/amr", len(CALL_RECORDING))]
    assert complaint.events[0].data["evidence_files"] == 2


@pytest.mark.parametrize(("files", "message"), [
    ([("letter.pdf", b"<html>not a letter</html>")],
     "letter.pdf: The selected file must be a JPG, PNG or PDF, or a call recording (AMR, MP3, M4A or WAV)."),
    ([(f"scan{i}.pdf", SCANNED_LETTER) for i in range(6)], "Select up to 5 files."),
])
def test_a_refused_file_keeps_everything_typed_and_logs_nothing(world, client, files, message):
    login(client, world.reception)
    response = log_with_files(client, files, complainant_name="张先生", lang="en")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html and "电话投诉：候诊三小时无人解释。" in html and 'value="张先生"' in html
    assert complaints() == []


def test_letter_always_gets_a_written_reply(world, client):
    login(client, world.reception)
    response = log(client, {"channel": "letter", "what_happened": "来信投诉。", "complainant_phone": "13800138000",
                            "preferred_reply": "phone"})  # the box left unticked
    assert response.status_code == 302
    [complaint] = complaints()
    assert complaint.wants_written_reply is True


def test_received_date_sets_the_clocks(world, client):
    """A letter logged on Friday that arrived on Wednesday: its clocks run from Wednesday."""
    login(client, world.reception)
    with clock_at(FRIDAY):
        response = log(client, {"channel": "letter", "what_happened": "来信。", "complainant_phone": "13800138000",
                                "received_at": WEDNESDAY.isoformat()})
    assert response.status_code == 302
    [complaint] = complaints()
    assert complaint.received_at.date() == WEDNESDAY
    assert complaint.acknowledge_due_on == date(2026, 3, 5)
    assert complaint.response_due_on == date(2026, 3, 11)


def test_received_date_in_the_future_is_refused_beside_the_field_and_keeps_what_was_typed(world, client):
    login(client, world.reception)
    with clock_at(FRIDAY):
        response = log(client, {"channel": "phone", "what_happened": "电话投诉候诊时间太长。",
                                "complainant_phone": "13800138000", "received_at": "2026-03-20"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="received_at-error"' in html
    assert "电话投诉候诊时间太长。" in html and 'value="2026-03-20"' in html
    assert complaints() == []


def test_staff_log_with_triage_and_acknowledgement(world, client):
    login(client, world.reception)
    response = log(client, {"channel": "walk_in", "what_happened": "来访。", "complainant_email": "a@example.com",
                            "category_id": world.category.id, "severity": "major",
                            "complexity": "several_departments", "acknowledged_via": "in_person"})
    assert response.status_code == 302
    [complaint] = complaints()
    assert (complaint.category_id, complaint.severity, complaint.complexity) == (
        world.category.id, "major", "several_departments")
    assert complaint.acknowledged_via == "in_person" and complaint.acknowledged_at is not None


TYPED = {  # everything a duty officer might type, in Chinese with emoji; two required answers left out
    "received_at": "2026-03-02",
    "what_happened": "",
    "incident_on": "2026-03-01",
    "subject_ward": "心内科5B病房 🏥",
    "desired_outcome": "希望医院道歉 🙏\n并说明原因。",
    "complainant_relation": "family",
    "complainant_name": "王小明 👩‍⚕️",
    "complainant_phone": "138 0013 8000",
    "complainant_email": "不是邮箱 📧",
    "patient_name": "王老先生",
    "patient_record_number": "ZY-2026-0042",
    "preferred_reply": "written",
    "wants_written_reply": "y",
    "confidential": "y",
    "severity": "serious",
    "complexity": "several_departments",
    "acknowledged_via": "phone",
}


def test_staff_validation_keeps_everything_typed(world, client):
    login(client, world.reception)
    typed = {**TYPED, "channel": "", "subject_department_id": str(world.cardiology.id),
             "category_id": str(world.category.id)}
    response = log(client, typed)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    state = form_state(html)
    for name, value in typed.items():
        assert state.values.get(name) == value, (name, state.values.get(name), value)
    # One error summary, each entry linked to its field, and the message beside the field too.
    links = error_summary_links(html)
    assert set(links) == {"channel", "what_happened", "complainant_email"}
    for field_id in links:
        assert field_id in state.ids
        assert f"{field_id}-error" in state.ids
        assert re.search(rf'id="{field_id}"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="{field_id}"', html)
    assert html.count('class="error-summary"') == 1
    assert "<title>Error:" in html
    assert complaints() == []


def test_staff_needs_a_way_to_answer_unless_anonymous(world, client):
    login(client, world.reception)
    response = log(client, {"channel": "phone", "what_happened": "没有留电话。"})
    assert response.status_code == 422
    assert error_summary_links(response.get_data(as_text=True)) == ["complainant_phone"]
    response = log(client, {"channel": "suggestion_box", "what_happened": "意见箱纸条。", "anonymous": "y"})
    assert response.status_code == 302
    assert complaints()[0].anonymous


def test_only_reception_logs_complaints(world, client):
    for role_key in ("head", "leadership", "admin"):
        login(client, world.user(role_key))
        assert client.get("/complaints/new").status_code == 403


# --- the public form -------------------------------------------------------------------------------------


def complain(client, data: dict):
    page = client.get("/complain")
    assert page.status_code == 200
    return client.post("/complain", data={"csrf_token": token_of(page), **data})


def test_public_complaint_and_confirmation(world, client):
    with clock_at(FRIDAY):
        response = complain(client, {"what_happened": "候诊三个小时没有人解释。", "complainant_name": "王女士",
                                     "complainant_phone": "13800138000", "subject_department_id": world.cardiology.id})
        assert response.status_code == 302 and response.location == "/complain/done"
        done = client.get("/complain/done")
    assert done.status_code == 200
    [complaint] = complaints()
    assert complaint.status == State.submitted
    assert complaint.channel == Channel.online
    assert complaint.created_by_id is None
    assert complaint.subject_department_id == world.cardiology.id
    assert (complaint.acknowledge_due_on, complaint.response_due_on) == (date(2026, 3, 9), date(2026, 3, 13))
    html = done.get_data(as_text=True)
    assert complaint.reference in html
    code = re.search(r'<strong class="reference">([A-Z0-9]{5}-[A-Z0-9]{5})</strong>', html).group(1)
    assert tracking_codes.check_tracking_code(complaint, code)
    assert code not in (complaint.tracking_code_hash or "")
    assert [e.action for e in complaint.events] == ["submit"]
    # It is waiting for reception, in their first queue.
    login(client, world.reception)
    assert complaint.reference in client.get(f"/queue?q={QUEUES[Role.reception][0].name}").get_data(as_text=True)


def test_public_form_in_chinese(world, client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN,zh;q=0.9"
    response = complain(client, {"what_happened": "态度不好。", "complainant_email": "a@example.com"})
    assert response.status_code == 302
    assert complaints()[0].language == "zh"
    assert client.get("/complain/done").status_code == 200


def test_public_validation_keeps_everything_typed(world, client):
    typed = {k: v for k, v in TYPED.items() if k in factories_public_fields()}
    typed["subject_department_id"] = str(world.nursing.id)
    response = complain(client, typed)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    state = form_state(html)
    for name, value in typed.items():
        assert state.values.get(name) == value, (name, state.values.get(name), value)
    assert set(error_summary_links(html)) == {"what_happened", "complainant_email"}
    assert complaints() == []


def factories_public_fields() -> set[str]:
    return {"what_happened", "incident_on", "subject_ward", "desired_outcome", "complainant_relation",
            "complainant_name", "complainant_phone", "complainant_email", "patient_name", "preferred_reply",
            "wants_written_reply", "confidential"}


def test_public_needs_phone_or_email_unless_anonymous(world, client):
    response = complain(client, {"what_happened": "没有联系方式。", "complainant_name": "赵"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert error_summary_links(html) == ["complainant_phone"]
    assert "Give a phone number or an email address, or choose to stay anonymous." in html
    assert form_state(html).values["complainant_name"] == "赵"
    assert complaints() == []
    # Whitespace is not a phone number.
    assert complain(client, {"what_happened": "x", "complainant_phone": "   "}).status_code == 422
    # An email alone will do.
    assert complain(client, {"what_happened": "只有邮箱。", "complainant_email": "zhao@example.com"}).status_code == 302


def test_anonymous_complaint_drops_contact_details(world, client):
    response = complain(client, {"what_happened": "匿名投诉。", "anonymous": "y", "complainant_name": "不想留名",
                                 "complainant_phone": "13800138000", "complainant_email": "x@example.com"})
    assert response.status_code == 302
    [complaint] = complaints()
    assert complaint.anonymous
    assert (complaint.complainant_name, complaint.complainant_phone, complaint.complainant_email) == (None,) * 3
    assert complaint.status == State.submitted
    assert client.get("/complain/done").status_code == 200


def test_confirmation_without_a_submission_goes_back_to_the_form(client, app_ctx):
    response = client.get("/complain/done")
    assert response.status_code == 302 and response.location == "/complain"


# --- tracking --------------------------------------------------------------------------------------------


def track(client, reference, code):
    page = client.get("/track")
    assert page.status_code == 200
    return client.post("/track", data={"csrf_token": token_of(page), "reference": reference, "code": code})


def submitted_complaint(client) -> tuple[str, str]:
    assert complain(client, {"what_happened": "等待太久。", "complainant_phone": "13800138000"}).status_code == 302
    return shown_on_confirmation(client)


def shown_on_confirmation(client) -> tuple[str, str]:
    """The reference and the tracking code, as the confirmation page shows them (the session holds the code
    only sealed)."""
    html = client.get("/complain/done").get_data(as_text=True)
    html = html[html.index("<main"):]  # not the page's CSRF token, which may look like a code
    reference = re.search(r"TS-\d{4}-\d{6}", html).group(0)
    code = re.search(r"[2-9A-HJ-NP-Z]{5}-[2-9A-HJ-NP-Z]{5}", html).group(0)
    return reference, code


def test_track_finds_the_complaint(world, client, app_ctx):
    reference, code = submitted_complaint(client)
    other = new_client(app_ctx)  # another device: only the reference and the code
    response = track(other, reference, code)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert reference in html
    assert "Received. The complaints office will look at it within one working day." in html
    # Typed loosely: lower case, no dash, spaces around.
    loose = track(other, f" {reference.lower()} ", code.replace("-", "").lower())
    assert loose.status_code == 200 and reference in loose.get_data(as_text=True)


def test_track_shows_progress_but_nothing_internal(world, client, app_ctx):
    complaint = factories.make_complaint(world, State.investigating)
    operations.perform(world.head, Action.note, complaint, {"text": "内部备注：护士长说病人很难缠。"},
                       complaint.version)
    operations.perform(world.head, Action.record_findings, complaint,
                       factories.action_data("record_findings", world), complaint.version)
    db.session.commit()
    html = track(client, complaint.reference, complaint.tracking_code).get_data(as_text=True)
    assert "Being looked into by the department concerned." in html
    for secret in ["内部备注", "Head-Card", "Cardiology", "The clinic ran late", "No delay announcements"]:
        assert secret not in html, secret


def test_track_answers_alike_for_unknown_reference_and_wrong_code(world, client, app_ctx):
    reference, code = submitted_complaint(client)
    wrong = "ABCDE-FGHJK" if code != "ABCDE-FGHJK" else "BCDEF-GHJKL"
    unknown_reference = reference[:-6] + "999999"
    first, second = new_client(app_ctx), new_client(app_ctx)
    wrong_code = track(first, reference, wrong)
    no_such = track(second, unknown_reference, wrong)
    assert wrong_code.status_code == no_such.status_code == 422

    def normalise(response, typed_reference):
        html = response.get_data(as_text=True).replace(typed_reference, "REFERENCE")
        return re.sub(r"[\w-]{20,}\.[\w-]+\.[\w-]+", "TOKEN", html)  # each browser has its own CSRF token

    assert normalise(wrong_code, reference) == normalise(no_such, unknown_reference)
    assert NOT_FOUND in wrong_code.get_data(as_text=True)
    assert dict(wrong_code.headers).keys() == dict(no_such.headers).keys()


def test_track_requires_both_fields(world, client):
    response = track(client, "", "")
    assert response.status_code == 422
    assert set(error_summary_links(response.get_data(as_text=True))) == {"reference", "code"}


# --- every page: CSP and nothing inline -------------------------------------------------------------------


def test_every_page_has_csp_and_nothing_inline(world, client, app_ctx):
    """Fetch each kind of page (client checks every answer) as the public and as each role."""
    public = new_client(app_ctx)
    for path in ["/", "/complain", "/track", "/login", "/?lang=zh", "/complain?lang=en", "/no-such-page"]:
        public.get(path)
    assert public.post("/login", data={"csrf_token": token_of(public.get("/login")), "username": "x",
                                       "password": "y"}).status_code == 422
    assert complain(public, {"what_happened": ""}).status_code == 422
    reference, code = submitted_complaint(public)
    public.get("/complain/done")
    track(public, reference, code)
    track(public, reference, "WRONG-CODE1")

    complaints_by_state = {state: factories.make_complaint(world, state) for state in State}
    for role_key in ("reception", "head", "other_head", "leadership", "admin"):
        staff = new_client(app_ctx)
        user = world.user(role_key)
        login(staff, user)
        for queue in QUEUES[Role(user.role)]:
            staff.get(f"/queue?q={queue.name}")
            staff.get(f"/queue?q={queue.name}", headers={"HX-Request": "true", "HX-Target": "queue-rows"})
        staff.get("/queue", headers={"HX-Request": "true", "HX-Target": "queue-counts"})
        staff.get("/search")
        staff.get("/search?q=TS")
        staff.get("/search?q=TS", headers={"HX-Request": "true", "HX-Target": "search-results"})
        staff.get("/complaints/new")
        for complaint in complaints_by_state.values():
            staff.get(f"/complaints/{complaint.reference}")
            staff.get(f"/complaints/{complaint.reference}", headers={"HX-Request": "true", "HX-Target": "complaint"})
    # An action's answers: done, invalid, refused, conflict; plain and htmx.
    staff = new_client(app_ctx)
    login(staff, world.reception)
    complaint = complaints_by_state[State.registered]
    page = staff.get(f"/complaints/{complaint.reference}")
    token, version = token_of(page), complaint.version
    url = f"/complaints/{complaint.reference}"
    for headers in ({}, {"HX-Request": "true", "HX-Target": "complaint"}):
        staff.post(f"{url}/note", data={"note-version": version, "note-text": ""}, headers={"X-CSRFToken": token,
                                                                                           **headers})
        staff.post(f"{url}/accept", data={"accept-version": complaint.version},
                   headers={"X-CSRFToken": token, **headers})
        staff.post(f"{url}/note", data={"note-version": version - 1, "note-text": "x"},
                   headers={"X-CSRFToken": token, **headers})
        staff.post(f"{url}/note", data={"note-version": complaint.version, "note-text": "x"},
                   headers={"X-CSRFToken": token, **headers}, follow_redirects=True)
    # The staff intake form with errors, and after logging one.
    assert log(staff, {"channel": ""}).status_code == 422
    logged = log(staff, {"channel": "phone", "what_happened": "x", "complainant_phone": "13800138000"})
    assert logged.status_code == 302
    staff.get(f"/complaints/{complaints()[-1].reference}")
    # Counting what was checked, roughly: no page escaped.
    # (One per state, the duplicate's original, and the two this test submits and logs.)
    assert db.session.scalar(select(func.count()).select_from(Complaint)) == len(State) + 3


@pytest.mark.parametrize(("language", "words"), [("en", "does not accept that kind of request"),
                                                 ("zh", "不接受这种请求")])
def test_other_errors_are_the_hospitals_page_in_the_visitors_language(client, language, words):
    response = client.delete(f"/complain?lang={language}")
    assert response.status_code == 405
    html = response.get_data(as_text=True)
    assert words in html and "<html" in html and "Method Not Allowed" not in html


# --- what a field holds -------------------------------------------------------------------------------------

# A text longer than its field's limit (pasted, say) is never cut: the browser is given no maxlength, the
# field says how much it holds, and the answer is refused beside the field, naming the limit, with all of
# it kept to shorten.
LIMITS = [
    ("public", "what_happened", 20000, "What happened must be 20,000 characters or fewer."),
    ("public", "desired_outcome", 5000, "Enter 5000 characters or fewer: this has 5001."),
    ("public", "subject_ward", 120, "Enter 120 characters or fewer: this has 121."),
    ("staff", "what_happened", 20000, "Enter 20000 characters or fewer: this has 20001."),
    ("staff", "desired_outcome", 5000, "Enter 5000 characters or fewer: this has 5001."),
    ("staff", "patient_record_number", 40, "Enter 40 characters or fewer: this has 41."),
]


@pytest.mark.parametrize(("form", "name", "limit", "error"), LIMITS)
def test_a_text_over_its_limit_is_kept_whole_and_refused_naming_the_limit(world, client, form, name, limit, error):
    if form == "staff":
        login(client, world.reception)
    send = log if form == "staff" else complain
    base = {"channel": "phone", "what_happened": "候诊太久。", "complainant_phone": "13800138000"}
    typed = "长" * (limit + 1)
    response = send(client, {**base, name: typed})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    errors = re.search(rf'<p class="error-message" id="{name}-error">(.*?)</p>', html, re.S)
    assert errors and error in errors.group(1)
    assert form_state(html).values[name] == typed
    assert complaints() == []

    tag = re.search(rf'<(?:input|textarea)[^>]* id="{name}"[^>]*>', html).group(0)
    assert "maxlength" not in tag and f'data-limit="{limit}"' in tag
    assert f'{name}-count' in tag  # described by its counter
    counter = re.search(rf'<p class="hint char-count char-count-over" id="{name}-count"[^>]*>(.*?)</p>', html, re.S)
    assert counter and counter.group(1).strip() == f"{limit + 1:,} of {limit:,} characters: 1 too many"

    # As much as the limit: no error for that field.
    html = send(client, {**base, "channel": "", name: "长" * limit}).get_data(as_text=True)
    assert f'id="{name}-error"' not in html


# --- phone numbers, emails and dates ------------------------------------------------------------------------

# What the complainant or the duty officer may type as a phone, and what is stored (full-width digits as
# ordinary ones; the rest as typed).
PHONES_ACCEPTED = [
    ("13800138000", "13800138000"),
    ("138 0013 8000", "138 0013 8000"),
    ("138-0013-8000", "138-0013-8000"),
    ("１３８００１３８０００", "13800138000"),  # full-width digits
    ("+86 138 0013 8000", "+86 138 0013 8000"),
    ("+8613800138000", "+8613800138000"),
    ("0086 138 0013 8000", "0086 138 0013 8000"),
    ("(0571) 8765-4321", "(0571) 8765-4321"),
    ("0571-87654321", "0571-87654321"),
    ("010-6552 8888", "010-6552 8888"),
    ("0571-8765-4321 转 802", "0571-8765-4321 转 802"),  # with an extension
    ("0571 8765 4321 ext. 802", "0571 8765 4321 ext. 802"),
    ("+86 571 8765 4321", "+86 571 8765 4321"),
    ("+44 20 7946 0958", "+44 20 7946 0958"),  # international
    ("+1 (415) 555-0100", "+1 (415) 555-0100"),
    ("＋８５２ ９１２３ ４５６７", "+852 9123 4567"),
]
PHONES_REFUSED = ["abc", "1", "++++", "1234567890123456789", "138001380001", "12345678", "138 0013 800",
                  "0571-8765", "+86 12345", "138-0013-8000 转 abc", "138+0013", "+123456789012345678"]


@pytest.mark.parametrize("form", ["public", "staff"])
@pytest.mark.parametrize(("typed", "stored"), PHONES_ACCEPTED)
def test_a_phone_number_in_any_usual_form_is_accepted(world, client, form, typed, stored):
    if form == "staff":
        login(client, world.reception)
    send = log if form == "staff" else complain
    response = send(client, {"channel": "phone", "what_happened": "候诊太久。", "complainant_phone": typed})
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    [complaint] = complaints()
    assert complaint.complainant_phone == stored


@pytest.mark.parametrize(("form", "lang", "error"), [
    ("public", "en", "Enter a phone number like 138 0013 8000, (0571) 8765 4321 or +44 20 7946 0958."),
    ("public", "zh", "请填写正确的电话号码，例如 138 0013 8000、(0571) 8765 4321 或 +44 20 7946 0958。"),
    ("staff", "en", "Enter a phone number like 138 0013 8000, (0571) 8765 4321 or +44 20 7946 0958."),
])
@pytest.mark.parametrize("typed", PHONES_REFUSED)
def test_a_phone_number_that_cannot_be_called_is_refused_beside_the_field(world, client, form, lang, error, typed):
    if form == "staff":
        login(client, world.reception)
    data = {"channel": "phone", "what_happened": "候诊太久。", "complainant_phone": typed,
            "complainant_name": "王女士", "desired_outcome": "道歉。"}
    page = client.get(f"/{'complaints/new' if form == 'staff' else 'complain'}?lang={lang}")
    response = client.post("/complaints/new" if form == "staff" else "/complain",
                           data={"csrf_token": token_of(page), **data})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    beside = re.search(r'<p class="error-message" id="complainant_phone-error">(.*?)</p>', html, re.S)
    assert beside and error in beside.group(1)
    state = form_state(html).values
    assert [state[name] for name in data if name != "channel" or form == "staff"] == [
        v for name, v in data.items() if name != "channel" or form == "staff"]
    assert complaints() == []


# The phone's keyboard for numbers and its own address book: the complainant's own details on the public
# form; on the staff form they are someone else's, so the duty officer's own are never filled in.
@pytest.mark.parametrize(("path", "phone_fill", "email_fill"), [
    ("/complain", "tel", "email"),
    ("/complaints/new", "off", "off"),
])
def test_phone_and_email_fields_say_what_keyboard_and_autofill_to_offer(world, client, path, phone_fill,
                                                                         email_fill):
    login(client, world.reception)
    html = client.get(path).get_data(as_text=True)
    phone = re.search(r'<input[^>]* id="complainant_phone"[^>]*>', html).group(0)
    email = re.search(r'<input[^>]* id="complainant_email"[^>]*>', html).group(0)
    for attribute in ('type="tel"', 'inputmode="tel"', f'autocomplete="{phone_fill}"'):
        assert attribute in phone
    for attribute in ('type="email"', 'inputmode="email"', f'autocomplete="{email_fill}"'):
        assert attribute in email


@pytest.mark.parametrize(("form", "error"), [
    ("public", "The date it happened cannot be in the future."),
    ("staff", "The date it happened cannot be in the future."),
])
@pytest.mark.parametrize(("day", "refused"), [("2026-03-06", False), ("2026-03-07", True), ("2027-01-01", True)])
def test_the_incident_date_cannot_be_in_the_future(world, client, form, error, day, refused):
    if form == "staff":
        login(client, world.reception)
    send = log if form == "staff" else complain
    with clock_at(FRIDAY):  # 6 March 2026
        response = send(client, {"channel": "phone", "what_happened": "候诊太久。",
                                 "complainant_phone": "13800138000", "incident_on": day})
    assert response.status_code == (422 if refused else 302)
    if refused:
        html = response.get_data(as_text=True)
        beside = re.search(r'<p class="error-message" id="incident_on-error">(.*?)</p>', html, re.S)
        assert beside and error in beside.group(1)
        assert form_state(html).values["incident_on"] == day
