"""The reply letter (答复函): the written answer as a letter, from a template an administrator edits per
language, kept on the complaint as it was sent.

A template is plain text: paragraphs apart by a blank line, the first the letter's heading and the last its
signature, and named placeholders in braces ({reference}, {response}…: PLACEHOLDERS). Never Jinja or
str.format: an administrator's text is only ever searched for those names, so it can reach nothing else. A
paragraph with a placeholder that has nothing to say (no remedy recorded, no mediation committee set) is
left out whole, so no letter prints "Remedy: " and stops.

Each save of a template is a new row (its version, who, when): the letters written from it name the version
and the digest of its text, and a letter keeps its own whole text, so an edit never changes a sent one."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.extensions import db
from ..core.hospital import hospital
from ..core.time import UTCDateTime, show_date, utcnow
from ..core.users import User
from .models import Complaint, ComplaintAnswer, ComplaintLetter, ContactMethod

LANGUAGES = ("zh", "en")
# The answers that are written down and handed or sent to the complainant: each gets its letter.
WRITTEN = frozenset({ContactMethod.written.value, ContactMethod.email.value})
TEMPLATE_MAX = 20000
SUMMARY_MAX = 300  # characters of what happened the letter repeats; the complainant knows the rest

PLACEHOLDERS = {
    "hospital": _l("the hospital's name"),
    "reference": _l("the complaint's reference"),
    "received_on": _l("the date the complaint was received"),
    "complainant": _l("the complainant's name"),
    "what_happened_summary": _l("what happened, as the complainant told it (the first 300 characters)"),
    "response": _l("the answer, as the complainant is told it"),
    "remedy": _l("the remedy recorded with the findings"),
    "office_phone": _l("the complaints office's phone"),
    "office_address": _l("where the complaints office is"),
    "commission": _l("the health commission's name"),
    "commission_line": _l("the health commission's complaint line"),
    "mediation_committee": _l("the mediation committee's name"),
    "mediation_address": _l("the mediation committee's address"),
    "mediation_phone": _l("the mediation committee's phone"),
    "date": _l("the date of the answer"),
}
PLACEHOLDER = re.compile(r"\{([^{}\n]{0,60})\}")
PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n+")

DEFAULTS = {
    "zh": """{hospital}
投诉答复函

编号：{reference}

尊敬的{complainant}：

我院于{received_on}收到您的投诉，感谢您把遇到的问题告诉我们。您反映：{what_happened_summary}

我院已对此进行调查核实，现答复如下：

{response}

我院就此采取的补救措施：{remedy}

如您对本答复仍不满意，可向{commission}反映，投诉电话：{commission_line}。

您也可以向{mediation_committee}申请调解，地址：{mediation_address}，电话：{mediation_phone}。

您还可以依法向人民法院提起诉讼。

如对本函有任何疑问，请联系我院投诉办公室，电话：{office_phone}。

{hospital}
{date}""",
    "en": """{hospital}
Our answer to your complaint

Reference: {reference}

Dear {complainant},

We received your complaint on {received_on}; thank you for telling us. You told us: {what_happened_summary}

We have looked into it, and this is our answer.

{response}

What we are doing to put it right: {remedy}

If you are not satisfied with this answer, you may complain to {commission} on {commission_line}.

You may also ask {mediation_committee} to mediate: {mediation_address}, phone {mediation_phone}.

You may also take the matter to the courts.

If anything in this letter is unclear, please call our complaints office on {office_phone}.

{hospital}
{date}""",
}


class LetterTemplate(db.Model):
    """One saved version of a language's template; the newest is the one in use. Never changed: a save adds
    the next version (a trigger refuses an UPDATE), so the page lists every version with who saved it."""

    __tablename__ = "letter_templates"
    __table_args__ = (
        UniqueConstraint("language", "version", name="one_template_version"),
        CheckConstraint("version >= 1", name="template_version_positive"),
        CheckConstraint("language IN ('zh', 'en')", name="template_language_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    language: Mapped[str] = mapped_column(String(8))
    version: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    created_by: Mapped[User | None] = relationship()


@dataclass(frozen=True)
class Template:
    language: str
    version: int  # 0: the built-in default, never saved
    text: str

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()


def normalised(text: str) -> str:
    return (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def current(language: str) -> Template:
    row = db.session.scalars(select(LetterTemplate).where(LetterTemplate.language == language)
                             .order_by(LetterTemplate.version.desc()).limit(1)).first()
    if row is None:
        return Template(language, 0, DEFAULTS[language])
    return Template(language, row.version, row.text)


def versions(language: str, limit: int = 50) -> list[LetterTemplate]:
    return list(db.session.scalars(select(LetterTemplate).where(LetterTemplate.language == language)
                                   .order_by(LetterTemplate.version.desc()).limit(limit)))


def unknown_placeholders(text: str) -> list[str]:
    """The names in braces that are no placeholder, each once, in the order written."""
    found = []
    for name in PLACEHOLDER.findall(text):
        if name not in PLACEHOLDERS and name not in found:
            found.append(name)
    return found


class TemplateStale(Exception):
    """Another administrator saved the template since this one opened it: `now` is the one in use, `by` who
    saved it (None: a command on the server)."""

    def __init__(self, language: str):
        self.now = current(language)
        last = next(iter(versions(language, limit=1)), None)
        self.by = last.created_by if last is not None else None
        super().__init__(self.now.version)


def save(actor: User | None, language: str, seen_version: int, text: str) -> bool:
    """Save `text` as the next version of the language's template; False when it is the text in use.
    TemplateStale when someone saved since `seen_version` (the version's uniqueness decides a race)."""
    text = normalised(text)
    now = current(language)
    if now.version != seen_version:
        raise TemplateStale(language)
    if text == now.text:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(LetterTemplate(language=language, version=seen_version + 1, text=text,
                                          created_by_id=actor.id if actor is not None else None))
    except IntegrityError:
        raise TemplateStale(language) from None
    return True


def render(text: str, values: dict[str, str]) -> str:
    """The template's text with each placeholder replaced, leaving out each paragraph with one that is
    empty. One pass: what a value holds (a complainant's braces) is never read as a placeholder."""
    kept = []
    for paragraph in PARAGRAPH_BREAK.split(normalised(text)):
        names = PLACEHOLDER.findall(paragraph)
        if any(not (values.get(name) or "").strip() for name in names):
            continue
        kept.append(PLACEHOLDER.sub(lambda m: values[m.group(1)].strip(), paragraph).strip())
    return "\n\n".join(p for p in kept if p)


def _summary(text: str | None) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= SUMMARY_MAX else text[:SUMMARY_MAX].rstrip() + "…"


def values(c: Complaint, answer: ComplaintAnswer) -> dict[str, str]:
    """What each placeholder says in this letter, in the language in force (force_locale)."""
    h = hospital()
    return {
        "hospital": h.name, "reference": c.reference, "received_on": show_date(c.received_at, "long"),
        # A complainant who gave no name is still written to (the letter goes to their address or email).
        "complainant": c.complainant_name or _("Sir or Madam"),
        "what_happened_summary": _summary(c.what_happened), "response": answer.told_text or "",
        "remedy": c.remedy or "", "office_phone": h.office_phone, "office_address": h.office_address,
        "commission": h.commission_name, "commission_line": h.commission_phone,
        "mediation_committee": h.mediation_name, "mediation_address": h.mediation_address,
        "mediation_phone": h.mediation_phone, "date": show_date(answer.responded_on, "long"),
    }


def language_of(c: Complaint) -> str:
    return c.language if c.language in LANGUAGES else "zh"


def write(c: Complaint, answer: ComplaintAnswer, user: User | None) -> ComplaintLetter | None:
    """The letter of a written answer, rendered now in the complainant's language and kept as sent; none
    for an answer told another way."""
    if answer.method not in WRITTEN:
        return None
    language = language_of(c)
    # As record_answer(): reading the template, the hospital and the letters must not flush the complaint,
    # whose changes are still to be chained as facts by the event.
    with db.session.no_autoflush:
        template = current(language)
        with force_locale(language):
            text = render(template.text, values(c, answer))
        letter = ComplaintLetter(answer=answer, round=answer.round, language=language,
                                 addressed_to=c.complainant_name or None, text=text,
                                 template_version=template.version, template_digest=template.digest,
                                 created_at=utcnow(), created_by_id=user.id if user is not None else None)
        c.letters.append(letter)
    return letter


def shown_text(letter: ComplaintLetter, may_see_name: bool) -> list[str]:
    """The letter's paragraphs for one reader: the name it is addressed to hidden from one who may not see
    the complainant's name (the department of a confidential complaint)."""
    paragraphs = letter.paragraphs
    if may_see_name or not letter.addressed_to:
        return paragraphs
    with force_locale(letter.language):
        hidden = _("(name not shown)")
    return [p.replace(letter.addressed_to, hidden) for p in paragraphs]
