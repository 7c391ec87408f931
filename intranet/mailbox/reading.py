"""A mailed message read into what a complaint needs, or the reason it is no complaint at all.

Only the standard library: `email` parses the message (the modern policy decodes headers and charsets),
html.parser turns an HTML-only message into text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser

from flask_babel import lazy_gettext as _l

# Why a message is set aside (never turned into a complaint on its own).
SET_ASIDE = {
    "auto_reply": _l("Automatic reply"),
    "bounce": _l("Delivery failure (bounce)"),
    "mailing_list": _l("Mailing list or bulk mail"),
}

# The text of a complaint is held to what the public form accepts.
MAX_TEXT = 20000


@dataclass
class Attachment:
    name: str
    data: bytes


@dataclass
class Reading:
    sender_name: str | None
    sender_address: str | None
    subject: str
    text: str
    message_id: str | None
    sent_at: datetime | None
    attachments: list[Attachment] = field(default_factory=list)
    set_aside_because: str | None = None
    # The Message-IDs this one answers (In-Reply-To and References), without their angle brackets.
    replies_to: tuple[str, ...] = ()
    # Whom it was sent to (To, Cc, Delivered-To, X-Original-To): a reply to the office's Reply-To names the
    # complaint there (complaints+TS-2026-000123@…).
    recipients: str = ""


class _Text(HTMLParser):
    """The words of an HTML message, paragraph by paragraph; scripts, styles and the head left out."""

    BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table", "pre"}
    SKIPPED = {"script", "style", "head", "title"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIPPED:
            self.skipping += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self.SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)

    def text(self) -> str:
        lines = (" ".join(line.split()) for line in "".join(self.parts).splitlines())
        paragraphs, blank = [], False
        for line in lines:
            if line:
                paragraphs.append(line)
                blank = False
            elif not blank and paragraphs:
                paragraphs.append("")
                blank = True
        return "\n".join(paragraphs).strip()


def html_to_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    parser.close()
    return parser.text()


def set_aside_because(message: EmailMessage) -> str | None:
    """Why this message is not a person's complaint: an auto-reply, a bounce, a mailing list (RFC 3834,
    RFC 3464, RFC 2919); None for a person's mail."""
    sender = (message.get("Return-Path") or "").strip()
    content_type = message.get_content_type()
    if sender == "<>" or content_type == "multipart/report" or (
            message.get("From") or "").lower().startswith(("mailer-daemon", "postmaster")):
        return "bounce"
    if (message.get("Auto-Submitted") or "no").strip().lower() != "no" or message.get("X-Autoreply") \
            or message.get("X-Autorespond"):
        return "auto_reply"
    if message.get("List-Id") or (message.get("Precedence") or "").strip().lower() in ("bulk", "list", "junk"):
        return "mailing_list"
    return None


def _text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    try:
        content = body.get_content()
    except (LookupError, UnicodeError):  # an unknown or lying charset: its bytes as best we can
        content = (body.get_payload(decode=True) or b"").decode("utf-8", "replace")
    if body.get_content_type() == "text/html":
        return html_to_text(content)
    return content.replace("\r\n", "\n").strip()


def _attachments(message: EmailMessage) -> list[Attachment]:
    found = []
    for part in message.iter_attachments():
        if part.is_multipart():
            continue
        data = part.get_payload(decode=True) or b""
        found.append(Attachment(part.get_filename() or "file", data))
    return found


def _sent_at(message: EmailMessage) -> datetime | None:
    try:
        sent = parsedate_to_datetime(message.get("Date") or "")
    except (TypeError, ValueError, IndexError):
        return None
    if sent is None:
        return None
    return (sent if sent.tzinfo else sent.replace(tzinfo=UTC)).astimezone(UTC)


def _replies_to(message: EmailMessage) -> tuple[str, ...]:
    ids = " ".join(str(message.get(name) or "") for name in ("In-Reply-To", "References"))
    return tuple(part.strip("<>") for part in ids.split() if part.startswith("<") and "@" in part)


def parse(raw: bytes) -> EmailMessage:
    return BytesParser(policy=policy.default).parsebytes(raw)


def headers_only(raw: bytes) -> Reading:
    """What the headers of a message too large to take say (its text and files stay in the mailbox)."""
    return read(raw, body=False)


def read(raw: bytes, body: bool = True) -> Reading:
    message = parse(raw)
    try:
        addresses = getaddresses([str(message.get("From") or "")])
    except (TypeError, ValueError):
        addresses = []
    name, address = addresses[0] if addresses else ("", "")
    address = address if "@" in address else ""
    message_id = (str(message.get("Message-ID") or "").strip() or None)
    return Reading(
        sender_name=name.strip()[:120] or None,
        sender_address=address.strip()[:254] or None,
        subject=" ".join(str(message.get("Subject") or "").split()),
        text=_text_of(message) if body else "",
        message_id=message_id[:255] if message_id else None,
        sent_at=_sent_at(message),
        attachments=_attachments(message) if body else [],
        set_aside_because=set_aside_because(message),
        replies_to=_replies_to(message),
        recipients=" ".join(str(message.get(name) or "") for name in ("To", "Cc", "Delivered-To", "X-Original-To")),
    )
