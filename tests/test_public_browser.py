"""The public side in a real browser: Chinese submission with a photo through to an unsatisfied
answer online; the form with errors; 360px phones; no JavaScript; axe-core and the W3C Nu checker on every
public page in both languages."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect

from intranet.complaints import operations
from intranet.complaints.lifecycle import Action, State
from intranet.complaints.models import Complaint
from intranet.core.extensions import db
from intranet.public.notices import PublicNotice
from tests import factories
from tests.browser import release

pytest_plugins = ["tests.browser"]
pytestmark = pytest.mark.browser

VENDOR = Path(__file__).parent / "vendor"
AXE = VENDOR / "axe.min.js"
VNU = VENDOR / "vnu.jar"

WHAT_HAPPENED = "我父亲在急诊科等了四个小时，期间没有人告诉我们为什么。😞 <script>alert(1)</script>"
RESPONSE = "非常抱歉。急诊候诊超过一小时，护士会主动说明原因。"


def photo_bytes() -> bytes:
    image = Image.new("RGB", (320, 240), (10, 120, 200))
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (30.0, 15.0, 0.0), 3: "E", 4: (120.0, 10.0, 0.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


# --- axe-core and the Nu checker -------------------------------------------------------------------


@pytest.fixture
def audited(new_context):
    """new_context(), with axe-core injected into every page (as an init script: the page's CSP does not
    apply to it, and nothing is added to the page the server sent)."""
    if not AXE.exists():
        pytest.skip("tests/vendor/axe.min.js is missing: run `make install` (scripts/fetch_assets.py)")
    source = AXE.read_text()

    def make(**options):
        context = new_context(**options)
        context.add_init_script(source)
        return context

    return make


def axe_violations(page) -> list[str]:
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a",
                                                                            "wcag21aa", "best-practice"]}});
        return r.violations.map(v => v.id + ": " + v.help + " @ " + v.nodes.map(n => n.target.join(" ")).join(", "));
    }""")
    return result


class Pages:
    """HTML the server sent, collected for the Nu checker (run once at the end: Java starts slowly)."""

    def __init__(self, tmp_path: Path):
        self.dir = tmp_path
        self.files: list[Path] = []

    def add(self, name: str, html: str) -> None:
        path = self.dir / f"{len(self.files):02d}-{name}.html"
        path.write_text(html, encoding="utf-8")
        self.files.append(path)

    def validate(self) -> None:
        if not VNU.exists():
            pytest.skip("tests/vendor/vnu.jar is missing: run `make install` (scripts/fetch_assets.py)")
        if not shutil.which("java"):
            pytest.skip("java is missing (the Nu checker needs Java 11+)")
        out = subprocess.run(["java", "-jar", str(VNU), "--errors-only", "--format", "json",
                              *map(str, self.files)], capture_output=True, text=True, timeout=300)
        messages = json.loads(out.stderr or out.stdout or '{"messages": []}')["messages"]
        problems = [f"{Path(m.get('url', '')).name}:{m.get('lastLine')}: {m.get('message')} "
                    f"[{m.get('extract', '')[:80]!r}]" for m in messages if m.get("type") == "error"]
        assert not problems, "the W3C Nu checker found errors:\n" + "\n".join(problems)


def audit(page, pages: Pages, name: str, html: str) -> None:
    violations = axe_violations(page)
    assert violations == [], f"axe-core on {name}:\n" + "\n".join(violations)
    pages.add(name, html)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_public_pages_pass_axe_and_the_nu_checker(audited, watch, world, tmp_path, lang):
    complaint = factories.make_complaint(world, State.investigating)
    reference, code = complaint.reference, complaint.tracking_code
    notice = PublicNotice(title_zh="关于门诊候诊时间的整改公告", body_zh="自11月起，候诊超过30分钟即广播说明原因。",
                          published_by_id=world.leadership.id)
    db.session.add(notice)
    db.session.commit()
    notice_id = notice.id
    release()
    pages = Pages(tmp_path)
    page = audited(locale="zh-CN" if lang == "zh" else "en-US").new_page()

    response = page.goto(f"/?lang={lang}")
    audit(page, pages, "landing", response.text())
    response = page.goto("/notices")
    audit(page, pages, "notices", response.text())
    response = page.goto(f"/notices/{notice_id}")
    audit(page, pages, "notice", response.text())

    response = page.goto("/complain")
    audit(page, pages, "form-empty", response.text())

    # With errors: nothing typed in "what happened", a malformed email.
    watch.allow(r"status of 422")  # chromium logs every non-2xx answer to the console
    page.fill("#complainant_email", "not-an-email")
    with page.expect_response(lambda r: r.request.method == "POST") as answer, page.expect_navigation():
        page.click("form.public-form button[type=submit]")
    assert answer.value.status == 422
    expect(page.locator(".error-summary")).to_be_focused()
    audit(page, pages, "form-errors", answer.value.text())

    page.fill("#what_happened", WHAT_HAPPENED)
    page.fill("#complainant_email", "li@example.com")
    with page.expect_navigation():
        page.click("form.public-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/complain/done$"))
    audit(page, pages, "confirmation", page.content())

    # Tracking: the lookup form, a failed lookup, and a complaint found.
    track = audited(locale="zh-CN" if lang == "zh" else "en-US").new_page()
    response = track.goto(f"/track?lang={lang}")
    audit(track, pages, "track-form", response.text())
    track.fill("#reference", reference)
    track.fill("#code", "WRONG-CODE2")
    with track.expect_response(lambda r: r.request.method == "POST") as answer, track.expect_navigation():
        track.click("main form button[type=submit]")
    assert answer.value.status == 422
    audit(track, pages, "track-not-found", answer.value.text())
    track.fill("#code", code)
    with track.expect_response(lambda r: r.request.method == "POST") as answer, track.expect_navigation():
        track.click("main form button[type=submit]")
    audit(track, pages, "track-found", answer.value.text())
    pages.validate()
    watch.check()


# --- the whole journey, in Chinese, on a phone -----------------------------------------------------------


def test_chinese_photo_complaint_to_not_satisfied_reopens_and_escalates(audited, watch, world, tmp_path):
    cardiology_id = world.cardiology.id
    release()
    photo = tmp_path / "现场照片.jpg"
    photo.write_bytes(photo_bytes())

    page = audited(locale="zh-CN", viewport={"width": 360, "height": 740}).new_page()
    page.goto("/complain")
    expect(page.locator("h1")).to_have_text("我要投诉")
    page.fill("#what_happened", WHAT_HAPPENED)
    page.select_option("#subject_department_id", str(cardiology_id))
    page.check("#complainant_relation-1")
    page.fill("#complainant_name", "李先生")
    page.fill("#complainant_phone", "13912345678")
    page.check("#preferred_reply-0")
    page.set_input_files("#evidence", str(photo))
    with page.expect_navigation():
        page.click("form.public-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/complain/done$"))
    reference, code = (t.strip() for t in page.locator(".panel-confirmation .reference").all_inner_texts())
    expect(page.locator("main")).to_contain_text("0571")  # the complaints office's phone
    assert axe_violations(page) == []
    watch.check()

    # Stored exactly, with the photo cleaned.
    db.session.expire_all()
    complaint = db.session.scalar(db.select(Complaint).where(Complaint.reference == reference))
    assert complaint.what_happened == WHAT_HAPPENED
    assert complaint.language == "zh"
    assert [e.content_type for e in complaint.evidence] == ["image/jpeg"]
    assert complaint.evidence[0].original_name == "现场照片.jpg"

    # Tracking: the same browser session holds the complaint.
    page.goto("/track")
    expect(page.locator(".facts")).to_contain_text(reference)
    expect(page.locator(".public-action.follow_up")).to_have_count(0)  # nothing to answer yet

    # Staff answer it (through the operations, as the staff pages do), with the world back in a session.
    world = factories.World(**{name: db.session.merge(getattr(world, name)) for name in world.__dataclass_fields__})
    for action, who in factories.path_to(State.responded):
        data = factories.action_data(action, world)
        if action == Action.respond:
            data = {**data, "told_text": RESPONSE}
        operations.perform(world.user(who), action, complaint, data, complaint.version)
        db.session.commit()
    level, complaint_id = complaint.escalation_level, complaint.id
    release()

    page.reload()
    expect(page.locator("main")).to_contain_text(RESPONSE)
    page.check("#satisfied-1")  # 不满意
    page.fill("#comment", "回答没有说明为什么没有人告诉我们。")
    with page.expect_navigation():
        page.click("form.public-action.follow_up button[type=submit]")
    expect(page.locator(".notice-success")).to_be_visible()
    assert axe_violations(page) == []

    db.session.expire_all()
    complaint = db.session.get(Complaint, complaint_id)
    assert complaint.state == State.investigating
    assert complaint.escalation_level == level + 1
    assert complaint.follow_up_method == "online" and complaint.satisfied is False
    assert complaint.events[-1].action == "follow_up" and complaint.events[-1].actor_id is None
    release()
    # A fresh session with the code sees the same, and is not asked again.
    other = audited(locale="zh-CN").new_page()
    other.goto("/track")
    other.fill("#reference", reference)
    other.fill("#code", code)
    with other.expect_navigation():
        other.click("main form button[type=submit]")
    expect(other.locator(".public-action.follow_up")).to_have_count(0)
    watch.check()


# --- the form with errors keeps everything -------------------------------------------------------------


def test_form_with_errors_keeps_every_typed_value_and_focuses_the_summary(new_context, watch, world):
    nursing_id = world.nursing.id
    release()
    page = new_context(locale="en-US").new_page()
    page.goto("/complain")
    typed = {
        "#incident_on": "2026-03-01",
        "#subject_ward": "Ward 5B 🏥",
        "#desired_outcome": "An apology 🙏\nand an explanation.",
        "#complainant_name": "王小明",
        "#complainant_phone": "138 0013 8000",
        "#complainant_email": "not an email",
        "#patient_name": "王老先生",
    }
    for selector, value in typed.items():
        page.fill(selector, value)
    page.select_option("#subject_department_id", str(nursing_id))
    page.check("#complainant_relation-2")
    page.check("#preferred_reply-2")
    page.check("#wants_written_reply")
    page.check("#confidential")
    watch.allow(r"status of 422")
    with page.expect_navigation():
        page.click("form.public-form button[type=submit]")
    expect(page).to_have_title(re.compile(r"^Error: "))
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary.locator("a")).to_have_count(2)
    for selector, value in typed.items():
        expect(page.locator(selector)).to_have_value(value)
    expect(page.locator("#subject_department_id")).to_have_value(str(nursing_id))
    for selector in ("#complainant_relation-2", "#preferred_reply-2", "#wants_written_reply", "#confidential"):
        expect(page.locator(selector)).to_be_checked()
    # The summary's link takes you to the field, and the same words are beside it.
    summary.get_by_role("link", name="Tell us what happened.").click()
    expect(page.locator("#what_happened")).to_be_focused()
    expect(page.locator("#what_happened-error")).to_contain_text("Tell us what happened.")
    watch.check()


@pytest.mark.parametrize(("locale", "counts", "over"), [
    ("en-US", "12 of 5,000 characters", "5,001 of 5,000 characters: 1 too many"),
    ("zh-CN", "已填 12 字，最多 5,000 字", "已填 5,001 字，最多 5,000 字：超出 1 字"),
])
def test_a_pasted_text_over_the_limit_is_kept_and_counted(new_context, watch, app_ctx, locale, counts, over):
    page = new_context(locale=locale, viewport={"width": 360, "height": 640}).new_page()
    page.goto("/complain")
    field, counter = page.locator("#desired_outcome"), page.locator("#desired_outcome-count")
    field.fill("希望医院道歉并说明原因。")
    expect(counter).to_have_text(counts)
    field.fill("长" * 5001)  # as a paste puts it in: all at once
    assert field.evaluate("(el) => el.value.length") == 5001  # nothing cut
    expect(counter).to_have_text(over)
    expect(counter).to_have_class(re.compile(r"char-count-over"))
    watch.check()


# --- phones and no JavaScript -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/complain", "/track", "/notices", "/complain?lang=en", "/track?lang=en"])
def test_no_horizontal_scrolling_at_360px(new_context, watch, app_ctx, path):
    page = new_context(locale="zh-CN", viewport={"width": 360, "height": 640}).new_page()
    page.goto(path)
    width = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert width[0] <= width[1], f"{path} scrolls sideways at 360px: {width}"
    watch.check()


@pytest.mark.parametrize("path", ["/complain", "/track"])
def test_a_phone_loads_the_form_and_tracking_in_40_kb_and_5_requests(new_context, watch, app_ctx, path):
    """A size budget, not a timing: the bytes on the wire of everything the page loads, as served (compressed,
    headers included: CDP's encodedDataLength), nothing cached, and the number of requests."""
    context = new_context(locale="zh-CN", viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    sent, wire = {}, {}
    cdp.on("Network.requestWillBeSent", lambda e: sent.__setitem__(e["requestId"], e["request"]["url"][:80]))
    cdp.on("Network.loadingFinished", lambda e: wire.__setitem__(e["requestId"], e["encodedDataLength"]))
    page.goto(path, wait_until="networkidle")
    loaded = {sent[r]: wire.get(r) for r in sent}
    assert sum(wire.values()) <= 40_000, loaded
    assert len(sent) <= 5, loaded
    watch.check()


def test_confirmation_and_errors_at_360px(new_context, watch, app_ctx):
    page = new_context(locale="en-US", viewport={"width": 360, "height": 640}).new_page()
    page.goto("/complain")
    watch.allow(r"status of 422")
    page.fill("#complainant_email", "x" * 80 + "@nowhere")
    with page.expect_navigation():
        page.click("form.public-form button[type=submit]")
    assert page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    page.fill("#what_happened", "Long words: " + "很" * 300)
    page.fill("#complainant_email", "someone.with.a.long.address@example.com")
    with page.expect_navigation():
        page.click("form.public-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/complain/done$"))
    assert page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    watch.check()


@pytest.mark.parametrize(("locale", "error"), [
    ("zh-CN", "请填写正确的电话号码，例如 138 0013 8000、(0571) 8765 4321 或 +44 20 7946 0958。"),
    ("en-US", "Enter a phone number like 138 0013 8000, (0571) 8765 4321 or +44 20 7946 0958."),
])
def test_a_phone_number_that_cannot_be_called_is_refused_beside_it_at_360px(new_context, watch, app_ctx, locale,
                                                                           error):
    page = new_context(locale=locale, viewport={"width": 360, "height": 640}).new_page()
    page.goto("/complain")
    page.fill("#what_happened", "候诊三个小时没有人解释。")
    page.fill("#complainant_name", "王女士")
    page.fill("#complainant_phone", "138 0013 800")  # a digit short
    watch.allow(r"status of 422")
    with page.expect_navigation():
        page.click("form.public-form button[type=submit]")
    expect(page.locator("#complainant_phone-error")).to_contain_text(error)
    expect(page.locator("#complainant_phone-error")).to_be_visible()
    expect(page.locator(".error-summary")).to_be_focused()
    # Beside its field, which keeps what was typed, with the phone's number keyboard.
    phone = page.locator("#complainant_phone")
    expect(phone).to_have_value("138 0013 800")
    expect(phone).to_have_attribute("type", "tel")
    expect(phone).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#what_happened")).to_have_value("候诊三个小时没有人解释。")
    expect(page.locator("#complainant_name")).to_have_value("王女士")
    message, field = page.locator("#complainant_phone-error").bounding_box(), phone.bounding_box()
    assert 0 <= field["y"] - (message["y"] + message["height"]) < 40  # just above the field
    assert field["x"] + field["width"] <= 360 and message["x"] + message["width"] <= 360
    assert page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    watch.check()


def test_submits_and_tracks_without_javascript(new_context, watch, world):
    release()
    page = new_context(locale="en-US", java_script_enabled=False).new_page()
    page.goto("/complain")
    page.fill("#what_happened", "No JavaScript here.")
    page.fill("#complainant_phone", "13800138000")
    with page.expect_navigation():
        page.click("form.public-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/complain/done$"))
    reference = page.locator(".panel-confirmation .reference").first.inner_text().strip()
    page.goto("/track")
    expect(page.locator(".facts")).to_contain_text(reference)
    db.session.expire_all()
    assert db.session.scalar(db.select(Complaint).where(Complaint.reference == reference)) is not None
    watch.check()
