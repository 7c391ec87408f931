"""The public side: tracking held for the session, satisfaction online as the follow-up, evidence
files checked and cleaned, abuse limits (rate limits, honeypot, request size), receipts and the poster, and
what a phone loads (no htmx)."""

import io
import os
import re
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from intranet.admin import accounts
from intranet.complaints import operations, tracking_codes
from intranet.complaints.evidence import Evidence, folder
from intranet.complaints.lifecycle import Action, State
from intranet.complaints.models import Complaint, ComplaintEvent
from intranet.core import hospital as hospital_module
from intranet.core.extensions import db
from intranet.core.hospital import HospitalRecord
from tests import factories
from tests.conftest import login
from tests.test_intake import complain, complaints, form_state, new_client, token_of, track

INTERNAL_NOTE = "内部备注：护士长说病人很难缠。"


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def jpeg_with_gps(size=(64, 48)) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (30.0, 15.0, 0.0), 3: "E", 4: (120.0, 10.0, 0.0)}  # GPS
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def _blank_png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("1", (width, height)).save(out, "PNG", optimize=True)
    return out.getvalue()


BLANK_36MP = _blank_png(6000, 6000)


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (10, 10), (0, 0, 255, 128)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def client(app_ctx):
    return new_client(app_ctx)  # English, and every answer checked for CSP and nothing inline


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


# --- tracking: held for the browser session -------------------------------------------------------------


def test_tracking_is_remembered_for_the_session_only(world, client, app_ctx):
    complaint = factories.make_complaint(world, State.investigating)
    assert track(client, complaint.reference, complaint.tracking_code).status_code == 200
    # The same browser session: no retyping.
    html = client.get("/track").get_data(as_text=True)
    assert complaint.reference in html and "Being looked into by the department concerned." in html
    assert client.get("/track").headers["Cache-Control"] == "no-store"
    # Another session (a new device or a closed browser) must check the code afresh.
    assert complaint.reference not in new_client(app_ctx).get("/track").get_data(as_text=True)
    # Forgetting it on this device.
    client.post("/track/leave", data={"csrf_token": token_of(client.get("/track"))})
    assert complaint.reference not in client.get("/track").get_data(as_text=True)


def test_tracking_shows_extensions_and_answers_but_nothing_internal(world, client):
    complaint = factories.make_complaint(world, State.investigating)
    new_date = complaint.response_due_on + timedelta(days=7)
    operations.perform(world.head, Action.extend, complaint, {"new_due_on": new_date, "reason": "等待病历复印件。",
                                                              "complainant_told_via": "phone"}, complaint.version)
    operations.perform(world.head, Action.note, complaint, {"text": INTERNAL_NOTE}, complaint.version)
    operations.perform(world.head, Action.record_findings, complaint,
                       factories.action_data(Action.record_findings, world), complaint.version)
    db.session.commit()
    html = track(client, complaint.reference, complaint.tracking_code).get_data(as_text=True)
    assert "等待病历复印件。" in html  # the extension's reason, as the complainant was told
    assert new_date.strftime("%Y") in html
    for secret in [INTERNAL_NOTE, "Head-Card", "Reception", "Cardiology", "The clinic ran late", "Apology."]:
        assert secret not in html, secret

    # Once answered, the answer is shown (and still no findings).
    for action in (Action.sign_off, Action.respond):
        operations.perform(world.user("head" if action == Action.sign_off else "reception"), action, complaint,
                           factories.action_data(action, world), complaint.version)
    db.session.commit()
    html = client.get("/track").get_data(as_text=True)
    assert "We are sorry. Delays are now announced." in html
    assert "The clinic ran late" not in html and "Head-Card" not in html


def test_tracking_shows_what_a_declined_complainant_was_told(world, client):
    complaint = factories.make_complaint(world, State.not_accepted)
    html = track(client, complaint.reference, complaint.tracking_code).get_data(as_text=True)
    assert "Referred to the right body." in html  # complainant_told
    assert "Not about this hospital." not in html  # the internal reason


def test_signed_off_answer_is_not_shown_before_it_is_given(world, client):
    complaint = factories.make_complaint(world, State.signed_off)
    html = track(client, complaint.reference, complaint.tracking_code).get_data(as_text=True)
    assert "We are sorry. Delays are now announced." not in html


def do(world, who, action, complaint, **overrides):
    user = None if who == "public" else world.user(who)
    data = {**factories.action_data(action, world, complaint), **overrides}
    operations.perform(user, action, complaint, data, complaint.version)
    db.session.commit()


def shown(html: str) -> tuple[str, list[str]]:
    """The status line and the messages' headings and texts, as the complainant reads them."""
    main = html[html.index("<main"):html.index("</main>")]
    status = re.search(r"<dt>Status</dt><dd>(.*?)</dd>", main).group(1)
    expected = re.search(r"<dt>Expected answer by</dt><dd>(.*?)</dd>", main)
    messages = [f"{h}: {re.sub(r'<[^>]+>', '', t).strip()}" for h, t in
                re.findall(r'<section class="notice track-message[^"]*">\s*<h2>(.*?)</h2>\s*<p class="prose">(.*?)</p>',
                           main, re.S)]
    return status + (f" / by {expected.group(1)}" if expected else ""), messages


EXTENDED = "Changes to the date: New date: 2 Dec 2026. Reason: Waiting for the ward&#39;s records."

# The complaint's story so far, and what /track says of it: only what still holds. A new date stands until
# the complaint is answered or reopened (its reopening has a date of its own), and nothing after it closes.
TRACK_AFTER = [
    ("extended", "Being looked into by the department concerned. / by 2 Dec 2026", [EXTENDED]),
    ("answered", "We have answered. Tell us whether you are satisfied.", []),
    ("reopened", "Being looked into by the department concerned. / by 25 Nov 2026", []),
    ("reopened and extended again", "Being looked into by the department concerned. / by 30 Dec 2026",
     ["Changes to the date: New date: 30 Dec 2026. Reason: Still waiting."]),
    ("closed", "Closed.", []),
]


@pytest.mark.parametrize("story, status, messages", TRACK_AFTER)
def test_tracking_shows_only_the_notices_that_still_hold(world, client, story, status, messages):
    complaint = factories.make_complaint(world, State.investigating)
    do(world, "head", Action.extend, complaint, new_due_on=complaint.response_due_on + timedelta(days=7))
    steps = {
        "answered": [("head", Action.record_findings), ("head", Action.sign_off), ("reception", Action.respond)],
        "reopened": [("public", Action.follow_up, {"satisfied": False, "comment": "没解释清楚。"})],
        "reopened and extended again": [("head", Action.extend, {"reason": "Still waiting.", "new_due_on":
                                                                 complaint.response_due_on + timedelta(days=28)})],
        "closed": [("head", Action.record_findings), ("head", Action.sign_off), ("reception", Action.respond),
                   ("public", Action.follow_up, {"satisfied": True})],
    }
    order = [name for name, _status, _messages in TRACK_AFTER]
    for name in order[1:order.index(story) + 1]:
        for who, action, *overrides in steps[name]:
            do(world, who, action, complaint, **(overrides[0] if overrides else {}))
    html = track(client, complaint.reference, complaint.tracking_code).get_data(as_text=True)
    assert shown(html) == (status, messages)


# --- satisfaction online: the follow-up ----------------------------------------------------------------


def answer(client, **data):
    return client.post("/track/follow_up", data={"csrf_token": token_of(client.get("/track")), **data})


def test_satisfied_online_closes(world, client):
    complaint = factories.make_complaint(world, State.responded)
    html = track(client, complaint.reference, complaint.tracking_code).get_data(as_text=True)
    assert "Are you satisfied with our answer?" in html
    response = answer(client, satisfied="yes")
    assert response.status_code == 302
    db.session.expire_all()
    assert complaint.state == State.closed
    assert complaint.follow_up_method == "online" and complaint.satisfied is True
    event = complaint.events[-1]
    assert (event.action, event.actor_id, event.from_state, event.to_state) == ("follow_up", None, "responded",
                                                                              "closed")
    html = client.get("/track").get_data(as_text=True)
    assert "Thank you. Your complaint is now closed." in html
    assert "Are you satisfied with our answer?" not in html  # answered once


def test_not_satisfied_online_reopens_and_escalates(world, client):
    complaint = factories.make_complaint(world, State.responded)
    track(client, complaint.reference, complaint.tracking_code)
    level = complaint.escalation_level
    # "Why" is needed when not satisfied; what was chosen is kept.
    response = answer(client, satisfied="no", comment="")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Tell us why you are not satisfied." in html and "<title>Error:" in html
    assert form_state(html).values.get("satisfied") == "no"
    db.session.expire_all()
    assert complaint.state == State.responded

    assert answer(client, satisfied="no", comment="还是没有解释清楚为什么没人通知。").status_code == 302
    db.session.expire_all()
    assert complaint.state == State.investigating
    assert complaint.escalation_level == level + 1
    assert complaint.reopened_count == 1
    assert complaint.follow_up_comment == "还是没有解释清楚为什么没人通知。"
    # A second answer is not possible: the complaint is no longer awaiting one.
    assert answer(client, satisfied="yes").status_code == 302
    db.session.expire_all()
    assert complaint.state == State.investigating


def test_answering_needs_a_checked_code_in_this_session(world, client, app_ctx):
    complaint = factories.make_complaint(world, State.responded)
    stranger = new_client(app_ctx)
    page = stranger.get("/track")
    response = stranger.post("/track/follow_up", data={"csrf_token": token_of(page), "satisfied": "yes"})
    assert response.status_code == 302
    db.session.expire_all()
    assert complaint.state == State.responded


def test_a_new_receipt_ends_sessions_of_the_old_code(world, client, app_ctx):
    complaint = factories.make_complaint(world, State.responded)
    track(client, complaint.reference, complaint.tracking_code)
    staff = new_client(app_ctx)
    login(staff, world.reception)
    page = staff.get(f"/complaints/{complaint.reference}")
    # The complainant holds a code (online): replacing it needs saying so.
    refused = staff.post(f"/complaints/{complaint.reference}/receipt", data={"csrf_token": token_of(page)})
    assert refused.status_code == 302 and refused.headers["Location"].startswith(f"/complaints/{complaint.reference}")
    db.session.expire_all()
    assert tracking_codes.check_tracking_code(complaint, complaint.tracking_code)  # still works
    posted = staff.post(f"/complaints/{complaint.reference}/receipt",
                        data={"csrf_token": token_of(page), "replace_code": "y"})
    assert posted.status_code == 302  # post, redirect, get
    receipt = staff.get(posted.headers["Location"])
    new_code = re.search(r'<dd class="reference">([A-Z0-9]{5}-[A-Z0-9]{5})</dd>', receipt.get_data(as_text=True))
    assert new_code
    assert complaint.reference not in client.get("/track").get_data(as_text=True)
    db.session.expire_all()
    assert not tracking_codes.check_tracking_code(complaint, complaint.tracking_code)
    assert tracking_codes.check_tracking_code(complaint, new_code.group(1))
    assert complaint.events[-1].action == "note" and complaint.events[-1].actor_id == world.reception.id
    assert track(new_client(app_ctx), complaint.reference, new_code.group(1)).status_code == 200


# --- receipts and the poster -----------------------------------------------------------------------------


def test_receipt_is_for_reception_with_a_qr_code_to_tracking(world, app_ctx):
    complaint = factories.make_complaint(world, State.registered)
    for role_key, status in (("head", 404), ("leadership", 403), ("reception", 302)):
        staff = new_client(app_ctx)
        login(staff, world.user(role_key))
        page = staff.get("/queue")
        response = staff.post(f"/complaints/{complaint.reference}/receipt",
                              data={"csrf_token": token_of(page), "replace_code": "y"})
        assert response.status_code == status, role_key
    shown = staff.get(response.headers["Location"])
    html = shown.get_data(as_text=True)
    assert 'src="data:image/svg+xml' in html
    assert f"/track?reference={complaint.reference}" in html
    assert shown.headers["Cache-Control"] == "no-store"
    # Both languages, whatever the staff's: the patient reads it.
    assert "您的投诉已登记" in html and "Your complaint has been recorded" in html
    [code] = set(re.findall(r'<dd class="reference">([A-Z0-9]{5}-[A-Z0-9]{5})</dd>', html))
    # A reload shows no code and issues none.
    again = staff.get(response.headers["Location"]).get_data(as_text=True)
    assert code not in again and "shown once" in again
    db.session.expire_all()
    assert tracking_codes.check_tracking_code(complaint, code)
    # Without the CSRF token nothing happens.
    assert staff.post(f"/complaints/{complaint.reference}/receipt").status_code == 400


def test_poster_has_a_qr_code_to_the_form(world, app_ctx):
    staff = new_client(app_ctx)
    login(staff, world.reception)
    html = staff.get("/poster").get_data(as_text=True)
    assert 'src="data:image/svg+xml' in html and "/complain" in html
    # Both languages: patients of either read it on the ward's wall.
    assert "对诊疗服务不满意？请告诉我们。" in html and "Not happy with your care? Tell us." in html
    assert new_client(app_ctx).get("/poster").status_code == 302  # staff print it; login first


# --- evidence files ------------------------------------------------------------------------------------------


def upload(client, files, **fields):
    page = client.get("/complain")
    data = {"csrf_token": token_of(page), "what_happened": "照片为证。", "complainant_phone": "13800138000",
            **fields, "evidence": [(io.BytesIO(content), name) for name, content in files]}
    return client.post("/complain", data=data, content_type="multipart/form-data")


def test_evidence_is_cleaned_stored_privately_and_downloadable_by_staff_who_see_it(world, client, app_ctx):
    response = upload(client, [("IMG_0001.JPG", jpeg_with_gps()), ("scan.pdf", PDF), ("drawing.png", png())])
    assert response.status_code == 302, response.get_data(as_text=True)
    [complaint] = complaints()
    items = list(db.session.scalars(select(Evidence).order_by(Evidence.id)))
    assert [i.content_type for i in items] == ["image/jpeg", "application/pdf", "image/png"]
    photo = items[0]
    stored = os.path.join(folder(), photo.stored_name)
    assert "static" not in os.path.relpath(stored, app_ctx.root_path).split(os.sep)
    assert "IMG_0001" not in photo.stored_name  # a random name
    with Image.open(stored) as image:
        assert not image.getexif(), "EXIF (with the GPS location) must be stripped"
    with open(os.path.join(folder(), items[1].stored_name), "rb") as handle:
        assert handle.read() == PDF

    # Staff who may see the complaint download it as an attachment; the page lists it.
    reception = new_client(app_ctx)
    login(reception, world.reception)
    assert "IMG_0001.JPG" in reception.get(f"/complaints/{complaint.reference}").get_data(as_text=True)
    url = f"/complaints/{complaint.reference}/evidence/{photo.id}"
    download = reception.get(url)
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["Content-Type"] == "image/jpeg"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    # A head of a department it is not assigned to, and the public, cannot.
    head = new_client(app_ctx)
    login(head, world.head)
    assert head.get(url).status_code == 404
    assert new_client(app_ctx).get(url).status_code == 302  # to the login page
    assert reception.get(f"/complaints/{complaint.reference}/evidence/999999").status_code == 404


@pytest.mark.parametrize(("files", "message"), [
    ([("photo.jpg", b"<html><script>alert(1)</script></html>")], "must be a JPG, PNG or PDF"),
    ([("photo.png", b"GIF89a" + b"\0" * 40)], "must be a JPG, PNG or PDF"),
    ([("big.pdf", b"%PDF-1.4\n" + b"0" * (5 * 1024 * 1024))], "must be smaller than 5MB"),
    ([(f"p{i}.pdf", PDF) for i in range(6)], "Select up to 5 files."),
    ([("empty.jpg", b"")], "The selected file is empty."),
    # Two blank 36-megapixel pictures: a few KB each, 72 MP to decode; refused before decoding.
    ([(f"blank{i}.png", BLANK_36MP) for i in range(2)], "These pictures are too large together"),
    # A call's recording is for staff intake: the public form takes pictures and PDFs.
    ([("call.amr", b"#!AMR\n" + bytes(320))], "call.amr: The selected file must be a JPG, PNG or PDF."),
], ids=["html-named-jpg", "broken-gif", "too-big", "too-many", "empty", "pixel-budget", "recording"])
def test_evidence_refused_stores_nothing_and_keeps_what_was_typed(world, client, files, message):
    before = set(os.listdir(folder()))
    response = upload(client, files, complainant_name="王女士")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert form_state(html).values["complainant_name"] == "王女士"
    assert re.search(r'<a href="#evidence">', html)
    assert complaints() == [] and count(Evidence) == 0
    assert set(os.listdir(folder())) == before


def test_too_large_request_gets_a_friendly_page(world, client, app_ctx):
    saved = app_ctx.config["MAX_CONTENT_LENGTH"]
    app_ctx.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    try:
        response = upload(client, [("big.pdf", b"%PDF-1.4\n" + b"0" * (2 * 1024 * 1024))])
    finally:
        app_ctx.config["MAX_CONTENT_LENGTH"] = saved
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)
    assert complaints() == []


# --- abuse -------------------------------------------------------------------------------------------------


def test_a_filled_trap_field_stores_nothing_and_says_what_to_do(world, client, caplog):
    """Autofill can fill the hidden field for a person too: the form comes back, never a silent drop."""
    response = complain(client, {"what_happened": "候诊三个小时没有人解释。", "complainant_phone": "13800138000",
                                 "website": "http://spam.example", "lang": "en"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert ("We could not send this form as it was. Check it and send it again, or call the complaints office "
            "on 0571-8888 1234.") in html
    state = form_state(html)
    assert state.values["what_happened"] == "候诊三个小时没有人解释。" and state.values["website"] == ""
    assert complaints() == []
    assert "the hidden field was filled (from 127.0.0.1)" in caplog.text


def test_honeypot_is_hidden_from_people(client, app_ctx):
    html = client.get("/complain").get_data(as_text=True)
    assert re.search(r'<div class="hp" aria-hidden="true">', html)
    assert 'name="website"' in html and 'tabindex="-1"' in html


def test_tracking_cannot_be_enumerated(world, client, app_ctx):
    complaint = factories.make_complaint(world, State.submitted)
    token = token_of(client.get("/track"))
    statuses = []
    for guess in range(1000):
        response = client.post("/track", data={"csrf_token": token, "reference": complaint.reference,
                                               "code": f"AAAAA-{guess:05d}"})
        statuses.append(response.status_code)
        if response.status_code == 429:
            assert "Too many attempts" in response.get_data(as_text=True)
    answered = [s for s in statuses if s != 429]
    assert set(answered) == {422}
    assert len(answered) <= 10, "the limit lets at most 10 guesses a minute through"
    # Even the right code is refused while limited: no way to learn it by brute force.
    right = client.post("/track", data={"csrf_token": token, "reference": complaint.reference,
                                        "code": complaint.tracking_code})
    assert right.status_code == 429


def test_submissions_are_rate_limited(world, client):
    statuses = [complain(client, {"what_happened": f"第{i}次", "complainant_phone": "13800138000"}).status_code
                for i in range(8)]
    assert statuses[:5] == [302] * 5 and set(statuses[5:]) == {429}
    assert len(complaints()) == 5
    assert client.get("/complain").status_code == 200  # reading the form is never limited


def test_forms_refused_for_a_missing_answer_do_not_count_toward_the_limit(world, client):
    refused = [complain(client, {"complainant_phone": "13800138000"}).status_code for _ in range(8)]
    sent = [complain(client, {"what_happened": f"第{i}次", "complainant_phone": "13800138000"}).status_code
            for i in range(5)]
    assert (refused, sent) == ([422] * 8, [302] * 5)


def test_at_the_limit_the_form_comes_back_with_everything_typed_and_when_to_send_it(world, client):
    for i in range(5):
        complain(client, {"what_happened": f"第{i}次", "complainant_phone": "13800138000"})
    response = complain(client, {"what_happened": "第六次：还是没有人回电话。", "complainant_phone": "13800138000",
                                 "lang": "en"})
    assert response.status_code == 429 and 1 <= int(response.headers["Retry-After"]) <= 60
    html = response.get_data(as_text=True)
    assert re.search(r"so this one has not been sent yet\. Everything you typed is still here \(choose any files "
                     r"again\): send it after \d+ \w+ \d{4} \d\d:\d\d, or call the complaints office on "
                     r"0571-8888 1234\.", html)
    assert form_state(html).values["what_happened"] == "第六次：还是没有人回电话。"
    assert len(complaints()) == 5


def test_an_address_the_administrator_listed_is_not_limited(world, client):
    row = db.session.get(HospitalRecord, 1) or HospitalRecord(id=1, version=1)
    row.unlimited_networks = "10.20.0.0/16\n127.0.0.0/8  # the hall's kiosk"
    db.session.add(row)
    db.session.commit()
    statuses = [complain(client, {"what_happened": f"第{i}次", "complainant_phone": "13800138000"}).status_code
                for i in range(8)]
    assert statuses == [302] * 8


def test_rate_limits_use_redis_when_configured():
    """Several workers share one count only through a shared store: RATELIMIT_STORAGE_URI selects it.
    Run in a child process: the limiter is one object per process, and this suite's app keeps memory."""
    import subprocess
    import sys

    import redis

    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/15", socket_connect_timeout=1).ping()
    except redis.exceptions.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    program = """
from intranet import create_app
from intranet.core.extensions import db, limiter
apps = [create_app("testing", RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/15", RATELIMIT_TRACK="3 per minute",
                   SQLALCHEMY_DATABASE_URI="sqlite://", WTF_CSRF_ENABLED=False) for _ in range(2)]
assert type(limiter.storage).__name__ == "RedisStorage", limiter.storage
for app in apps:  # pages read the hospital's details
    with app.app_context():
        db.create_all()
limiter.reset()
statuses = [apps[i % 2].test_client().post("/track", data={}).status_code for i in range(4)]
limiter.reset()
print(statuses)
"""
    out = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120,
                         cwd=os.path.dirname(os.path.dirname(__file__)))
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().splitlines()[-1] == "[422, 422, 422, 429]"


def test_event_of_a_submission_counts_evidence(world, client):
    assert upload(client, [("a.pdf", PDF)]).status_code == 302
    event = db.session.scalar(select(ComplaintEvent))
    assert event.data["evidence_files"] == 1
    assert count(Complaint) == 1


@pytest.mark.parametrize(("fields", "lang", "first_step"), [
    ({"complainant_phone": "13800138000"}, "zh",
     r"投诉办公室将在 2\d{3}年\d{1,2}月\d{1,2}日 前处理您的投诉，并转交相关科室。"),
    ({"complainant_phone": "13800138000"}, "en",
     r"The complaints office will look at your complaint by \d{1,2} [A-Z][a-z]{2} 2\d{3} and send it to the "),
    # Anonymous: nobody to acknowledge it to, so no acknowledgement date, and no empty gap where it would be.
    ({"anonymous": "y"}, "zh", r"投诉办公室将处理您的投诉，并转交相关科室。"),
    ({"anonymous": "y"}, "en", r"The complaints office will look at your complaint and send it to the department"),
], ids=["named-zh", "named-en", "anonymous-zh", "anonymous-en"])
def test_the_confirmation_says_when_the_office_will_look_at_it(world, client, fields, lang, first_step):
    page = client.get(f"/complain?lang={lang}")
    response = client.post("/complain", data={"csrf_token": token_of(page), "what_happened": "病房太吵。", **fields})
    assert response.status_code == 302
    steps = re.search(r'<ol class="steps">(.*?)</ol>', client.get("/complain/done").get_data(as_text=True), re.S)
    first = re.sub(r"\s+", " ", re.search(r"<li>(.*?)</li>", steps.group(1), re.S).group(1)).strip()
    assert re.fullmatch(first_step + r".*", first), first


def test_forgetting_the_device_forgets_the_confirmation_and_its_code_too(world, client):
    """A shared ward computer: after "forget this device", /complain/done shows nothing of the last one."""
    page = client.get("/complain")
    response = client.post("/complain", data={"csrf_token": token_of(page), "what_happened": "病房太吵。",
                                              "complainant_phone": "13800138000"})
    assert response.status_code == 302
    done = client.get("/complain/done").get_data(as_text=True)
    [code] = re.findall(r"[2-9A-HJ-NP-Z]{5}-[2-9A-HJ-NP-Z]{5}", done)[:1]
    client.post("/track/leave", data={"csrf_token": token_of(client.get("/track"))})
    after = client.get("/complain/done")
    assert after.status_code == 302 and code not in after.get_data(as_text=True)


@pytest.mark.parametrize(("settings", "host", "printed"), [
    ({"PUBLIC_BASE_URL": "https://complaints.example-hospital.cn"}, "evil.example",
     "https://complaints.example-hospital.cn/complain"),
    ({"ENV_NAME": "production", "TRUSTED_HOSTS": ["intranet.example-hospital.cn"]}, "intranet.example-hospital.cn",
     "http://intranet.example-hospital.cn/complain"),
    ({"ENV_NAME": "production"}, "evil.example", 503),  # neither: nothing from a Host header is printed
])
def test_what_is_printed_never_comes_from_an_untrusted_host_header(app_ctx, monkeypatch, settings, host, printed):
    from werkzeug.exceptions import HTTPException

    from intranet.complaints.receipts import public_url

    for name, value in settings.items():
        monkeypatch.setitem(app_ctx.config, name, value)
    with app_ctx.test_request_context("/poster", headers={"Host": host}):
        if isinstance(printed, int):
            with pytest.raises(HTTPException) as refused:
                public_url("public.complain")
            assert refused.value.code == printed
        else:
            assert public_url("public.complain") == printed


def test_a_request_for_an_untrusted_host_is_refused(app_ctx, client, monkeypatch):
    monkeypatch.setitem(app_ctx.config, "TRUSTED_HOSTS", ["intranet.example-hospital.cn"])
    assert client.get("/", headers={"Host": "evil.example"}).status_code == 400
    assert client.get("/", headers={"Host": "intranet.example-hospital.cn"}).status_code == 200


def test_a_failing_evidence_folder_keeps_what_was_typed_and_stores_nothing(world, client, app_ctx, tmp_path,
                                                                           monkeypatch):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the folder should be")
    monkeypatch.setitem(app_ctx.config, "EVIDENCE_FOLDER", str(blocked))
    response = upload(client, [("scan.pdf", PDF)], complainant_name="王女士")
    assert response.status_code == 503
    html = response.get_data(as_text=True)
    assert "We could not store your files just now" in html
    assert form_state(html).values["complainant_name"] == "王女士"
    assert "照片为证。" in html
    assert complaints() == [] and count(Evidence) == 0


def test_a_disk_that_fills_halfway_leaves_no_orphaned_file(world, client, app_ctx, monkeypatch):
    before = set(os.listdir(folder()))
    calls = []

    def fsync_fails_the_second_time(fd):
        calls.append(fd)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", fsync_fails_the_second_time)
    response = upload(client, [("one.pdf", PDF), ("two.pdf", PDF)])
    assert response.status_code == 503 and len(calls) == 2
    assert set(os.listdir(folder())) == before  # the first file, written, is gone again
    assert complaints() == [] and count(Evidence) == 0


def test_the_tracking_code_is_never_readable_in_the_cookie(world, client, app_ctx):
    import base64
    import zlib

    page = client.get("/complain")
    client.post("/complain", data={"csrf_token": token_of(page), "what_happened": "病房太吵。",
                                   "complainant_phone": "13800138000"})
    done = client.get("/complain/done").get_data(as_text=True)
    code = re.search(r"[2-9A-HJ-NP-Z]{5}-[2-9A-HJ-NP-Z]{5}", done).group(0)
    cookie = client.get_cookie(app_ctx.config["SESSION_COOKIE_NAME"]).value
    # What anyone holding the device can read of it, without the key: the payload before the signature.
    payload = cookie.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    if cookie.startswith("."):
        raw = zlib.decompress(raw)
    assert code not in raw.decode("utf-8", "replace")
    assert code in client.get("/complain/done").get_data(as_text=True)  # still shown to its holder


# --- the blank form, rendered once per language and list of departments -----------------------------------


def _offered(html: str) -> list[str]:
    select = re.search(r'<select[^>]*name="subject_department_id".*?</select>', html, re.S).group(0)
    return re.findall(r"<option[^>]*>([^<]*)</option>", select)[1:]


def test_the_public_form_offers_a_department_as_it_is_now_within_seconds_in_every_worker(world, client, app_ctx,
                                                                                          monkeypatch):
    assert _offered(client.get("/complain").get_data(as_text=True)) == ["Cardiology", "Nursing"]
    # Changed the way another worker (or the administrator's page there) changes it: straight in the database.
    world.cardiology.name_en = "Heart and vessels"
    world.nursing.active = False
    db.session.commit()
    # This worker shows the blank form as it read it, for at most hospital.KEPT_FOR seconds…
    assert _offered(client.get("/complain").get_data(as_text=True)) == ["Cardiology", "Nursing"]
    # …but a form sent is checked against the departments as they are.
    refused = complain(client, {"what_happened": "候诊三个小时。", "complainant_name": "王女士",
                                "complainant_phone": "13800138000", "subject_department_id": str(world.nursing.id)})
    assert refused.status_code == 422
    later = hospital_module.monotonic() + hospital_module.KEPT_FOR
    monkeypatch.setattr(hospital_module, "monotonic", lambda: later)
    assert _offered(client.get("/complain").get_data(as_text=True)) == ["Heart and vessels"]
    chinese = new_client(app_ctx)
    chinese.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh"
    assert _offered(chinese.get("/complain").get_data(as_text=True)) == ["心血管内科"]
    # An administrator's change shows at once in the worker that saved it.
    accounts.set_reference_active(world.admin, world.nursing, world.nursing.version, True)
    db.session.commit()
    assert _offered(client.get("/complain").get_data(as_text=True)) == ["Heart and vessels", "Nursing"]


def test_the_blank_form_kept_for_every_visitor_carries_each_ones_own_token(world, app_ctx):
    """The blank page is rendered once and kept: each visitor still gets the token of their own session, in
    both places the page holds it, and only that token sends the form."""
    first, second = new_client(app_ctx), new_client(app_ctx)
    page = first.get("/complain").get_data(as_text=True)
    kept = second.get("/complain")
    mine, theirs = token_of(kept), re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
    assert mine != theirs
    assert kept.get_data(as_text=True).count(mine) == 2 and theirs not in kept.get_data(as_text=True)
    assert kept.get_data(as_text=True).replace(mine, "TOKEN") == page.replace(theirs, "TOKEN")
    typed = {"what_happened": "候诊三个小时。", "complainant_name": "王女士", "complainant_phone": "13800138000"}
    assert second.post("/complain", data={"csrf_token": theirs, **typed}).status_code == 400
    assert second.post("/complain", data={"csrf_token": mine, **typed}).status_code == 302


def test_what_was_typed_never_reaches_the_next_visitors_form(world, client, app_ctx):
    typed = {"what_happened": "候诊三个小时。", "complainant_name": "王女士", "subject_ward": "5B",
             "subject_department_id": str(world.nursing.id), "wants_written_reply": "y"}
    shown = complain(client, typed)  # no phone or email: shown again, as typed
    assert shown.status_code == 422
    assert {k: form_state(shown.get_data(as_text=True)).values.get(k) for k in typed} == typed
    blank = form_state(new_client(app_ctx).get("/complain").get_data(as_text=True)).values
    assert blank["subject_department_id"] == "" and blank["what_happened"] == "" and blank["subject_ward"] == ""
    assert "wants_written_reply" not in blank and "error-message" not in client.get("/complain").get_data(as_text=True)


# --- what a phone loads ------------------------------------------------------------------------------------


def test_no_page_an_anonymous_visitor_sees_loads_htmx_and_a_staff_page_does(world, client):
    for path in ("/", "/complain", "/track", "/notices", "/login"):
        html = client.get(path).get_data(as_text=True)
        assert "/static/app.css" in html and "/static/app.js" in html, path
        assert "htmx.min.js" not in html, path
    login(client, world.reception)
    assert '<script src="/static/vendor/htmx.min.js" defer></script>' in client.get("/queue").get_data(as_text=True)
