"""The hospital's own details, which an administrator keeps on /admin/hospital: its name, and where and
when its complaints office can be reached. The public pages' header, the landing page, receipts, posters,
messages to complainants and the record print them.

One row (id 1, a constraint; the migration writes it). A name, phone or hours left empty is the
environment's (REDRESS_HOSPITAL_NAME, REDRESS_OFFICE_PHONE, REDRESS_OFFICE_HOURS), so a new installation
says something true from its first page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network
from time import monotonic
from typing import TypeVar

from flask import current_app
from sqlalchemy import CheckConstraint, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from .extensions import db
from .i18n import english
from .time import UTCDateTime, utcnow

# The rules' own default: three complaints upheld against one person in a year is a pattern, not chance.
REPEAT_ALERT_UPHELD = 3
# ¥2,000 unless the administrator says otherwise.
REMEDY_THRESHOLD_FEN = 200_000


class HospitalRecord(db.Model):
    __tablename__ = "hospital"
    __table_args__ = (CheckConstraint("id = 1", name="one_hospital"),
                      CheckConstraint("repeat_alert_upheld BETWEEN 1 AND 100", name="repeat_alert_upheld_range"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, default=1)
    name_zh: Mapped[str] = mapped_column(String(120), default="")
    name_en: Mapped[str] = mapped_column(String(120), default="")
    office_address_zh: Mapped[str] = mapped_column(String(200), default="")
    office_address_en: Mapped[str] = mapped_column(String(200), default="")
    office_phone: Mapped[str] = mapped_column(String(40), default="")
    office_hours: Mapped[str] = mapped_column(String(40), default="")
    # Addresses the public form's limit does not count (a kiosk, the hospital's Wi-Fi): one network a line.
    unlimited_networks: Mapped[str] = mapped_column(Text, default="")
    # A member of staff found against in this many complaints within twelve months is raised to leadership.
    repeat_alert_upheld: Mapped[int] = mapped_column(Integer, default=REPEAT_ALERT_UPHELD,
                                                     server_default=str(REPEAT_ALERT_UPHELD))
    # Where a complainant not satisfied with the hospital's answer may go next, printed on every reply letter:
    # the city health commission's complaint line, and the medical dispute mediation committee (医调委).
    commission_name_zh: Mapped[str] = mapped_column(String(120), default="", server_default=text("''"))
    commission_name_en: Mapped[str] = mapped_column(String(120), default="", server_default=text("''"))
    commission_phone: Mapped[str] = mapped_column(String(40), default="", server_default=text("''"))
    mediation_name_zh: Mapped[str] = mapped_column(String(120), default="", server_default=text("''"))
    mediation_name_en: Mapped[str] = mapped_column(String(120), default="", server_default=text("''"))
    mediation_address_zh: Mapped[str] = mapped_column(String(200), default="", server_default=text("''"))
    mediation_address_en: Mapped[str] = mapped_column(String(200), default="", server_default=text("''"))
    mediation_phone: Mapped[str] = mapped_column(String(40), default="", server_default=text("''"))
    # A remedy above this amount (in fen) waits for leadership's approval before the response goes out.
    remedy_threshold_fen: Mapped[int] = mapped_column(Integer, default=REMEDY_THRESHOLD_FEN,
                                                      server_default=str(REMEDY_THRESHOLD_FEN))
    # Bumped by every save: two administrators editing at once, the second is told.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


FIELDS = ("name_zh", "name_en", "office_address_zh", "office_address_en", "office_phone", "office_hours",
          "unlimited_networks", "repeat_alert_upheld", "commission_name_zh", "commission_name_en",
          "commission_phone", "mediation_name_zh", "mediation_name_en", "mediation_address_zh",
          "mediation_address_en", "mediation_phone")


@dataclass(frozen=True)
class Hospital:
    """What the pages print, in the reader's language (English falls back to Chinese where it is empty)."""

    name_zh: str
    name_en: str
    office_address_zh: str
    office_address_en: str
    office_phone: str
    office_hours: str
    unlimited_networks: str = ""
    repeat_alert_upheld: int = REPEAT_ALERT_UPHELD
    commission_name_zh: str = ""
    commission_name_en: str = ""
    commission_phone: str = ""
    mediation_name_zh: str = ""
    mediation_name_en: str = ""
    mediation_address_zh: str = ""
    mediation_address_en: str = ""
    mediation_phone: str = ""
    version: int = 0
    remedy_threshold_fen: int = REMEDY_THRESHOLD_FEN

    def _in_language(self, name: str) -> str:
        """A field kept in both languages, in the reader's (the other one when it is empty)."""
        zh, en = getattr(self, f"{name}_zh"), getattr(self, f"{name}_en")
        return (en or zh) if english() else (zh or en)

    @property
    def name(self) -> str:
        return self._in_language("name")

    @property
    def commission_name(self) -> str:
        return self._in_language("commission_name")

    @property
    def mediation_name(self) -> str:
        return self._in_language("mediation_name")

    @property
    def mediation_address(self) -> str:
        return self._in_language("mediation_address")

    def exempts(self, address: str | None) -> bool:
        """Whether the public form's limit leaves this address alone."""
        if not address or not self.unlimited_networks:
            return False
        try:
            ip = ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in networks(self.unlimited_networks))

    @property
    def office_address(self) -> str:
        return self._in_language("office_address")


def networks(text: str) -> list[IPv4Network | IPv6Network]:
    """The networks of a list, one a line (`10.20.0.0/16`, `192.168.1.23`); ValueError names a wrong line."""
    found = []
    for line in text.splitlines():
        if line := line.split("#", 1)[0].strip():
            found.append(ip_network(line, strict=False))
    return found


def _details(record: HospitalRecord | None) -> Hospital:
    config = current_app.config
    saved = {name: getattr(record, name) if record is not None else "" for name in FIELDS}
    environment = {"name_zh": config["HOSPITAL_NAME"], "name_en": config["HOSPITAL_NAME"],
                   "office_phone": config["COMPLAINTS_OFFICE_PHONE"], "office_hours": config["COMPLAINTS_OFFICE_HOURS"],
                   "repeat_alert_upheld": REPEAT_ALERT_UPHELD}
    return Hospital(**{name: saved[name] or environment.get(name, "") for name in FIELDS},
                    version=record.version if record is not None else 0,
                    remedy_threshold_fen=record.remedy_threshold_fen if record is not None else REMEDY_THRESHOLD_FEN)


# Every public page prints them, and they change a few times a year: each process keeps what it read for
# KEPT_FOR seconds rather than reading the row for every page. A save shows at once in the process that
# made it, and within KEPT_FOR on every other worker and server.
KEPT_FOR = 30.0


Kept = TypeVar("Kept")


def kept_a_while(name: str, read: Callable[[], Kept], key=None) -> Kept:
    """What `read()` gives, as this process read it at most KEPT_FOR seconds ago (kept under `name`, for
    each `key`): for what every public page shows and an administrator changes a few times a year."""
    kept = current_app.extensions.setdefault(name, {})
    held = kept.get(key)
    if held is not None and monotonic() - held[0] < KEPT_FOR:
        return held[1]
    value = read()
    kept[key] = (monotonic(), value)
    return value


def hospital() -> Hospital:
    """The hospital's details as saved, as this app's process read them at most KEPT_FOR seconds ago."""
    return kept_a_while("hospital", lambda: _details(db.session.get(HospitalRecord, 1)))


def last_known() -> Hospital:
    """For the page shown while the database is away: what this process last read, or the environment's."""
    kept = current_app.extensions.get("hospital", {}).get(None)
    return kept[1] if kept is not None else _details(None)


def forget() -> None:
    """After a save (or a test emptying the tables): the next page reads the row again."""
    current_app.extensions.pop("hospital", None)
