"""Mail in: messages in the complaints office's mailbox (a real Dovecot) become submitted complaints of the
email channel, once each whatever crashes; automatic mail is set aside for reception."""

import imaplib
import io
import os
from email.message import EmailMessage

import pytest
from PIL import Image
from sqlalchemy import func, select

from intranet.complaints.evidence import Evidence, folder
from intranet.complaints.lifecycle import State
from intranet.complaints.models import Complaint
from intranet.complaints.notices import ACKNOWLEDGED
from intranet.core.extensions import db
from intranet.mailbox import taking
from intranet.mailbox.models import TakenMail
from intranet.notifications import relay
from intranet.notifications.models import OutboxMessage, OutboxStatus
from intranet.notifications.outbox import notify
from intranet.notifications.senders import message_id_token
from tests import factories
from tests.conftest import login
from tests.imap import PASSWORD, USER, dovecot  # noqa: F401 - the fixture
from tests.smtp import SMTPServer

TAKEN = "Redress/Taken"
TAKEN_ON_SERVER = "Redress.Taken"  # Dovecot's maildir names levels with "."


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 10, 10)).save(out, "PNG")
    return out.getvalue()


PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def message(subject="挂号费多收了", body="我昨天在门诊挂号，被多收了20元。", *, sender="张先生 <zhang@example.cn>",
            message_id=None, html=None, attachments=(), headers=None) -> bytes:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = "complaints@hospital.example"
    mail["Subject"] = subject
    mail["Date"] = "Tue, 17 Nov 2026 09:30:00 +0800"
    if message_id is not False:
        mail["Message-ID"] = message_id or f"<{abs(hash((subject, body, sender)))}@example.cn>"
    for name, value in (headers or {}).items():
        mail[name] = value
    if html is not None:
        mail.set_content(html, subtype="html")
    else:
        mail.set_content(body)
    for name, data, maintype, subtype in attachments:
        mail.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return bytes(mail)


@pytest.fixture
def mailbox(dovecot, app_ctx):  # noqa: F811
    dovecot.empty()
    yield dovecot
    dovecot.empty()


@pytest.fixture
def box(mailbox):
    return taking.Mailbox(host="127.0.0.1", port=mailbox.port, tls="none", user=USER, password=PASSWORD,
                          taken_folder=TAKEN)


def complaints() -> list[Complaint]:
    return db.session.scalars(select(Complaint).order_by(Complaint.id)).all()


def test_a_message_with_two_attachments_becomes_one_submitted_complaint(world, mailbox, box):
    mailbox.append(message(attachments=[("收据.png", _png(), "image", "png"), ("病历.pdf", PDF, "application", "pdf")]))

    assert taking.poll(box) == (1, 0)

    [complaint] = complaints()
    assert complaint.state == State.submitted
    assert complaint.channel == "email"
    assert complaint.complainant_name == "张先生"
    assert complaint.complainant_email == "zhang@example.cn"
    assert complaint.preferred_reply == "email"
    assert complaint.what_happened == "挂号费多收了\n\n我昨天在门诊挂号，被多收了20元。"
    files = [(e.original_name, e.content_type) for e in complaint.evidence]
    assert files == [("收据.png", "image/png"), ("病历.pdf", "application/pdf"),
                     ("original-message.eml", "message/rfc822")]
    with open(os.path.join(folder(), complaint.evidence[2].stored_name), "rb") as handle:
        assert b"Subject: =?utf-8?" in handle.read()  # the message kept whole, headers and all
    # Out of the inbox once taken, into the folder of mail taken.
    assert mailbox.uids() == []
    assert len(mailbox.uids(TAKEN_ON_SERVER)) == 1


def test_polling_twice_makes_one_complaint(world, mailbox, box):
    mailbox.append(message())
    assert taking.poll(box) == (1, 0)
    assert taking.poll(box) == (0, 0)
    assert len(complaints()) == 1


def test_the_same_message_found_again_makes_no_second_complaint(world, mailbox, box):
    raw = message(message_id="<once@example.cn>")
    mailbox.append(raw)
    taking.poll(box)
    mailbox.append(raw)  # sent to two of the office's addresses, or moved back by hand

    assert taking.poll(box) == (0, 1)
    assert len(complaints()) == 1
    assert mailbox.uids() == []


def test_killed_between_commit_and_move_still_one_complaint(world, mailbox, box):
    mailbox.append(message())

    def connection_dropped(uid):
        raise imaplib.IMAP4.abort("connection dropped")

    with pytest.raises(imaplib.IMAP4.abort):
        taking.poll(box, before_put_away=connection_dropped)
    assert len(complaints()) == 1  # committed before the move
    assert len(mailbox.uids()) == 1  # but still in the inbox

    assert taking.poll(box) == (0, 1)  # taken before: only moved now
    assert len(complaints()) == 1
    assert mailbox.uids() == []
    assert len(mailbox.uids(TAKEN_ON_SERVER)) == 1


def test_a_message_recorded_once_by_its_place_in_the_mailbox(world, mailbox, box):
    mailbox.append(message())
    taking.poll(box)
    [row] = db.session.scalars(select(TakenMail)).all()
    duplicate = TakenMail(folder=row.folder, uidvalidity=row.uidvalidity, uid=row.uid, message_id=None,
                          sender="", subject="", complaint_id=row.complaint_id)
    db.session.add(duplicate)
    with pytest.raises(Exception, match="(?i)unique"):
        db.session.commit()
    db.session.rollback()


@pytest.mark.parametrize(("headers", "sender", "why"), [
    ({"Auto-Submitted": "auto-replied", "X-Autoreply": "yes"}, "李医生 <li@example.cn>", "auto_reply"),
    ({"Return-Path": "<>"}, "Mail Delivery System <MAILER-DAEMON@example.cn>", "bounce"),
    ({"List-Id": "<news.example.cn>", "Precedence": "list"}, "news@example.cn", "mailing_list"),
    ({"Precedence": "bulk"}, "ads@example.cn", "mailing_list"),
])
def test_automatic_mail_is_set_aside_with_why(world, mailbox, box, headers, sender, why):
    mailbox.append(message(subject="外出通知 Out of office", sender=sender, headers=headers))

    assert taking.poll(box) == (1, 0)

    assert complaints() == []
    [row] = db.session.scalars(select(TakenMail)).all()
    assert (row.set_aside_because, row.subject, row.complaint_id) == (why, "外出通知 Out of office", None)
    assert mailbox.uids() == []


def test_an_html_only_message_gives_its_text(world, mailbox, box):
    html = ("<html><head><style>p {color: red}</style><script>alert(1)</script></head><body>"
            "<p>病房太吵，<b>晚上</b>无法休息。</p><p>请处理 &amp; 回复。</p></body></html>")
    mailbox.append(message(subject="病房噪音", html=html))

    taking.poll(box)

    [complaint] = complaints()
    assert complaint.what_happened == "病房噪音\n\n病房太吵，晚上无法休息。\n\n请处理 & 回复。"


def test_a_refused_attachment_is_noted_and_the_complaint_still_made(world, mailbox, box, client):
    mailbox.append(message(attachments=[("invoice.exe", b"MZ\x90\x00 not a picture", "application", "octet-stream"),
                                        ("收据.png", _png(), "image", "png")]))

    taking.poll(box)

    [complaint] = complaints()
    assert [e.original_name for e in complaint.evidence] == ["收据.png", "original-message.eml"]
    first = complaint.events[0]
    assert first.data["email_refused"] == "invoice.exe: 所选文件必须是 JPG、PNG 或 PDF 格式。"
    login(client, world.user("reception"))
    page = client.get(f"/complaints/{complaint.reference}?lang=en").get_data(as_text=True)
    assert "Not taken from the email" in page
    assert "invoice.exe: 所选文件必须是 JPG、PNG 或 PDF 格式。" in page


def test_a_message_too_large_is_taken_by_its_headers_with_a_note(world, mailbox, box):
    mailbox.append(message(subject="太大的邮件", attachments=[("big.pdf", PDF + b"0" * 200_000, "application", "pdf")]))
    small = taking.Mailbox(**{**box.__dict__, "max_bytes": 100_000})

    taking.poll(small)

    [complaint] = complaints()
    assert complaint.what_happened == "太大的邮件"
    assert complaint.evidence == []
    assert complaint.events[0].data["email_refused"].startswith("邮件太大")


def test_a_mailed_complaint_shows_likely_duplicates_to_reception(world, mailbox, box, client):
    earlier = factories.make_complaint(world, State.registered,
                                       what_happened="我昨天在门诊挂号，被多收了20元。")
    mailbox.append(message())
    taking.poll(box)
    mailed = complaints()[-1]
    login(client, world.user("reception"))

    page = client.get(f"/complaints/{mailed.reference}").get_data(as_text=True)

    assert "possible-duplicates" in page
    assert earlier.reference in page
    assert "投诉人（电子邮件）" in page  # the timeline says who sent it, and how


def _set_aside_one(mailbox, box) -> TakenMail:
    mailbox.append(message(subject="Re: 您的投诉", body="我还是没有收到回复，请尽快处理。",
                           headers={"Auto-Submitted": "auto-generated"}))
    taking.poll(box)
    return db.session.scalars(select(TakenMail)).one()


def test_reception_sees_the_set_aside_list(world, mailbox, box, client):
    _set_aside_one(mailbox, box)
    login(client, world.user("reception"))

    page = client.get("/mailbox/set-aside?lang=en").get_data(as_text=True)

    assert "Re: 您的投诉" in page
    assert "张先生 &lt;zhang@example.cn&gt;" in page
    assert "Automatic reply" in page
    assert "Make it a complaint" in page


@pytest.mark.parametrize(("role", "status"), [("head", 403), ("leadership", 403), ("admin", 403)])
def test_only_those_who_log_complaints_see_the_set_aside_list(world, client, app_ctx, role, status):
    login(client, world.user(role))
    assert client.get("/mailbox/set-aside").status_code == status


def test_reception_turns_a_set_aside_message_into_a_complaint(world, mailbox, box, client):
    row = _set_aside_one(mailbox, box)
    reception = world.user("reception")
    login(client, reception)
    token = client.get("/mailbox/set-aside").get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]

    answer = client.post(f"/mailbox/set-aside/{row.id}/take", data={"csrf_token": token})

    [complaint] = complaints()
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith(f"/complaints/{complaint.reference}")
    assert complaint.state == State.submitted
    assert complaint.channel == "email"
    assert complaint.what_happened == "Re: 您的投诉\n\n我还是没有收到回复，请尽快处理。"
    assert [e.original_name for e in complaint.evidence] == ["original-message.eml"]
    # The turning is on the timeline, in reception's name.
    note = complaint.events[-1]
    assert (note.action, note.actor_id, note.data["system"]) == ("note", reception.id, "taken_from_set_aside")
    db.session.refresh(row)
    assert (row.complaint_id, row.taken_by_id) == (complaint.id, reception.id)
    # Taken once: a second press makes no second complaint.
    client.post(f"/mailbox/set-aside/{row.id}/take", data={"csrf_token": token})
    assert db.session.scalar(select(func.count()).select_from(Complaint)) == 1
    assert db.session.scalar(select(func.count()).select_from(Evidence)) == 1


def test_poll_command_without_a_mailbox_says_so(app_ctx):
    result = app_ctx.test_cli_runner().invoke(args=["mailbox", "poll"])
    assert result.exit_code != 0
    assert "REDRESS_IMAP_HOST is not set" in result.output


def test_poll_command_takes_the_mail(world, mailbox, app_ctx):
    mailbox.append(message())
    config = {"IMAP_HOST": "127.0.0.1", "IMAP_PORT": mailbox.port, "IMAP_TLS": "none", "IMAP_USER": USER,
              "IMAP_PASSWORD": PASSWORD}
    saved = {key: app_ctx.config.get(key) for key in config}
    app_ctx.config.update(config)
    try:
        result = app_ctx.test_cli_runner().invoke(args=["mailbox", "poll"])
    finally:
        app_ctx.config.update(saved)
    assert result.exit_code == 0, result.output
    assert "1 messages taken, 0 taken before and put away now" in result.output
    assert len(complaints()) == 1


# --- replies: threaded back onto their complaint ----------------------------------------------------------


def _sent_to_complainant(complaint, key="acknowledged-1") -> str:
    """An email the outbox sent the complainant; returns the Message-ID it carried."""
    db.session.add(OutboxMessage(key=key, kind="acknowledged", channel="email", recipient="zhang@example.cn",
                                 language="zh", subject=f"您的投诉 {complaint.reference} 已受理", body="……",
                                 complaint_id=complaint.id, status=OutboxStatus.sent.value))
    db.session.commit()
    return f"<{message_id_token(key)}@localhost>"


def _reception_told(complaint) -> list[str]:
    return db.session.scalars(select(OutboxMessage.recipient).where(
        OutboxMessage.kind == "complainant_emailed", OutboxMessage.complaint_id == complaint.id)).all()


def test_a_reply_to_the_offices_email_goes_on_its_complaint(world, mailbox, box):
    complaint = factories.make_complaint(world, State.investigating, complainant_email="zhang@example.cn")
    sent = _sent_to_complainant(complaint)
    mailbox.append(message(subject="回复：您的投诉已受理", body="补充一下：收据附上。",
                           headers={"In-Reply-To": sent, "References": sent},
                           attachments=[("收据.png", _png(), "image", "png")]))

    assert taking.poll(box) == (1, 0)

    assert complaints() == [complaint]  # no new complaint
    db.session.refresh(complaint)
    event = complaint.events[-1]
    assert (event.action, event.actor_id, event.data["text"]) == (
        "email_received", None, "回复：您的投诉已受理\n\n补充一下：收据附上。")
    assert event.data["evidence_files"] == 2
    assert "after_closing" not in event.data
    assert [e.original_name for e in complaint.evidence][-2:] == ["收据.png", "original-message.eml"]
    assert _reception_told(complaint) == [str(world.reception.id)]
    assert mailbox.uids() == []


def test_a_reply_naming_its_reference_from_the_complainants_address(world, mailbox, box):
    complaint = factories.make_complaint(world, State.registered, complainant_email="zhang@example.cn")
    mailbox.append(message(subject=f"关于 {complaint.reference} 的补充", body="还有一件事。",
                           message_id="<r1@example.cn>"))
    mailbox.append(message(subject=f"关于 {complaint.reference} 的补充", body="我也有意见。",
                           sender="王女士 <wang@example.cn>", message_id="<r2@example.cn>"))

    taking.poll(box)

    # From the complainant's address: on the complaint. From anyone else: a complaint of its own.
    [_, other] = complaints()
    assert [e.action for e in complaint.events][-1] == "email_received"
    assert (other.complainant_email, other.state) == ("wang@example.cn", State.submitted)


def test_a_reply_to_a_closed_complaint_is_attached_and_flagged(world, mailbox, box):
    complaint = factories.make_complaint(world, State.closed, complainant_email="zhang@example.cn")
    sent = _sent_to_complainant(complaint, key="closed-1")
    mailbox.append(message(subject="Re: 答复", body="我对答复不满意。", headers={"In-Reply-To": sent}))

    taking.poll(box)

    assert complaints() == [complaint]
    db.session.refresh(complaint)
    assert complaint.state == State.closed
    event = complaint.events[-1]
    assert (event.action, event.data["after_closing"]) == ("email_received", True)
    assert _reception_told(complaint) == [str(world.reception.id)]


def test_an_auto_reply_to_the_offices_email_is_still_set_aside(world, mailbox, box):
    complaint = factories.make_complaint(world, State.registered, complainant_email="zhang@example.cn")
    sent = _sent_to_complainant(complaint)
    mailbox.append(message(subject="自动回复", headers={"In-Reply-To": sent, "Auto-Submitted": "auto-replied"}))

    taking.poll(box)

    assert [e.action for e in complaint.events][-1] != "email_received"
    assert db.session.scalars(select(TakenMail.set_aside_because)).all() == ["auto_reply"]


def test_taken_mail_can_be_flagged_instead_of_moved(world, mailbox, box):
    flagging = taking.Mailbox(**{**box.__dict__, "taken_folder": None, "taken_flag": "$RedressTaken"})
    mailbox.append(message())

    assert taking.poll(flagging) == (1, 0)
    assert taking.poll(flagging) == (0, 0)  # flagged: not read again

    assert len(complaints()) == 1
    assert len(mailbox.uids()) == 1  # still in the inbox


def test_a_message_that_cannot_be_taken_does_not_block_the_others(world, mailbox, box, monkeypatch):
    mailbox.append(message(subject="第一封", message_id="<first@example.cn>"))
    mailbox.append(message(subject="第二封", message_id="<second@example.cn>"))
    real_take = taking.take

    def first_one_fails(raw, *args, **kwargs):
        if b"<first@example.cn>" in raw:
            raise OSError("evidence folder full")
        return real_take(raw, *args, **kwargs)

    monkeypatch.setattr(taking, "take", first_one_fails)
    assert taking.poll(box) == (1, 0)
    assert [c.what_happened.split("\n")[0] for c in complaints()] == ["第二封"]
    assert len(mailbox.uids()) == 1  # the first left in the inbox for the next pass

    monkeypatch.setattr(taking, "take", real_take)
    assert taking.poll(box) == (1, 0)
    assert len(complaints()) == 2


def test_the_complainants_email_answers_to_an_address_naming_the_complaint(world, mailbox, box, app_ctx):
    complaint = factories.make_complaint(world, State.registered, complainant_email="zhang@example.cn")
    server = SMTPServer().start()
    saved = {k: app_ctx.config[k] for k in ("MAIL_SERVER", "MAIL_PORT", "MAIL_USE_TLS", "MAIL_USE_SSL",
                                            "MAIL_USERNAME", "MAIL_REPLY_TO")}
    app_ctx.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, MAIL_USE_TLS=False, MAIL_USE_SSL=False,
                          MAIL_USERNAME=None, MAIL_REPLY_TO="complaints@hospital.example")
    try:
        notify(ACKNOWLEDGED, complaint.about(), key="acknowledged-reply-to")
        db.session.commit()
        relay.send_pending()
    finally:
        server.stop()
        app_ctx.config.update(saved)
    [(_, to, sent)] = server.recorder.messages
    reply_to = f"complaints+{complaint.reference}@hospital.example"
    assert (to, sent["Reply-To"]) == (["zhang@example.cn"], reply_to)

    # The complainant's mail program dropped In-Reply-To and the subject: the address still names it.
    mailbox.append(message(subject="还有", body="还有一张照片。", headers={"Delivered-To": reply_to}))
    taking.poll(box)

    assert complaints() == [complaint]
    assert [e.action for e in complaint.events][-1] == "email_received"
