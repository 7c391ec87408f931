"""How each channel leaves the building: email over SMTP, SMS through a pluggable sender."""

from __future__ import annotations

import hashlib
import logging
import smtplib
from email.message import EmailMessage
from email.utils import formatdate

from flask import current_app
from werkzeug.utils import import_string

log = logging.getLogger(__name__)


def message_id_token(key: str) -> str:
    """The part before the @ of the Message-ID of the outbox row `key`: how mail in knows a reply to it."""
    return hashlib.sha256(key.encode()).hexdigest()[:32]


class EmailSender:
    """One SMTP connection reused for a relay pass; reopened after any failure."""

    def __init__(self, config):
        self.config = config
        self.smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        if c["MAIL_USE_SSL"]:
            smtp = smtplib.SMTP_SSL(c["MAIL_SERVER"], c["MAIL_PORT"], timeout=c["MAIL_TIMEOUT"])
        else:
            smtp = smtplib.SMTP(c["MAIL_SERVER"], c["MAIL_PORT"], timeout=c["MAIL_TIMEOUT"])
            if c["MAIL_USE_TLS"]:
                smtp.starttls()
        if c["MAIL_USERNAME"]:
            smtp.login(c["MAIL_USERNAME"], c["MAIL_PASSWORD"] or "")
        return smtp

    def send(self, key: str, to: str, subject: str, body: str, language: str, reply_to: str | None = None) -> None:
        message = EmailMessage()
        message["From"] = self.config["MAIL_DEFAULT_SENDER"]
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = formatdate(localtime=False)
        # Stable per outbox row: if a relay dies after the server took the message but before it recorded
        # that, the one resend carries the same Message-ID and can be recognised as a duplicate.
        domain = self.config["MAIL_DEFAULT_SENDER"].rpartition("@")[2] or "localhost"
        message["Message-ID"] = f"<{message_id_token(key)}@{domain}>"
        message["Content-Language"] = "zh-CN" if language == "zh" else language
        if reply_to:
            message["Reply-To"] = reply_to
        message.set_content(body)
        if self.smtp is None:
            self.smtp = self._connect()
        try:
            self.smtp.send_message(message)
        except Exception:
            self.close()
            raise

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except Exception:  # noqa: BLE001 - the connection is going away either way
                self.smtp.close()
            self.smtp = None


class LogEmailSender:
    """Development email: written to the log instead of sent, when no MAIL_SERVER is configured (the demo
    on a laptop has no mail server, and every email would otherwise fail its way to "failed")."""

    def __init__(self, config=None):
        pass

    def send(self, key: str, to: str, subject: str, body: str, language: str, reply_to: str | None = None) -> None:
        log.info("Email to %s: %s\n%s", to, subject, body)

    def close(self) -> None:
        pass


def email_sender(config):
    return LogEmailSender() if config.get("MAIL_LOG_ONLY") else EmailSender(config)


def log_sms(phone: str, text: str) -> None:
    """Development SMS sender: writes the message to the log instead of a gateway."""
    log.info("SMS to %s: %s", phone, text)


def sms_sender():
    return import_string(current_app.config["SMS_SENDER"])
