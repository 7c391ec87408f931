"""The reply letter printed from Chromium: a short answer on one A4 page, in Chinese and in English; a long
one over several, each numbered; and its page and the template's page fit a phone's width."""

from __future__ import annotations

import io
import re
import unicodedata

import pytest
from pypdf import PdfReader

from tests import factories
from tests.browser import release
from tests.test_browser import log_in
from tests.test_reply_letter import answer, details  # noqa: F401 (the fixture: the hospital's details)

pytest_plugins = ["tests.browser"]
pytestmark = pytest.mark.browser


def _squash(text: str) -> str:
    """PDF text comes back with line breaks and spaces of its own, and some characters as their Kangxi
    radical look-alikes (⽰ for 示): NFKC makes most of them the characters again (and full-width
    punctuation half-width: the expected text is squashed too), the supplement's ⺠ is 民."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).replace("⺠", "民")


def number(text: str, page: int, pages: int) -> str:
    """The page's text without its number, once it is found there (Chromium writes the margin box first)."""
    assert text.startswith(f"{page}/{pages}"), text[:40]
    return text[len(f"{page}/{pages}"):]


def printed(new_context, username: str, path: str, lang: str) -> list[str]:
    page = new_context(locale="zh-CN" if lang == "zh" else "en-US").new_page()
    log_in(page, username)
    page.goto(path)
    page.emulate_media(media="print")
    pdf = PdfReader(io.BytesIO(page.pdf(format="A4")))
    return [_squash(p.extract_text() or "") for p in pdf.pages]


@pytest.mark.parametrize(("lang", "heading", "courts"), [
    ("zh", "示范市第一人民医院投诉答复函", "您还可以依法向人民法院提起诉讼。"),
    ("en", "DemoCityFirstPeople'sHospitalOuranswertoyourcomplaint", "Youmayalsotakethemattertothecourts."),
])
def test_a_short_answers_letter_prints_on_one_a4_page(world, new_context, lang, heading, courts):
    complaint = answer(world, factories.make_complaint(world, "signed_off", language=lang))
    path = f"/complaints/{complaint.reference}/letters/{complaint.letters[0].id}?lang={lang}"
    username = world.reception.username
    release()
    pages = printed(new_context, username, path, lang)
    assert len(pages) == 1
    text = number(pages[0], 1, 1)
    assert text.startswith(_squash(heading))  # the screen's part (the way back, what it is) is not printed
    assert _squash(courts) in text and "12320" in text


def test_a_long_answers_letter_runs_over_pages_each_numbered(world, new_context):
    told = "\n\n".join(f"Paragraph {n}: what the ward found, what it changed and who checks it every week. " * 4
                       for n in range(1, 25))
    complaint = answer(world, factories.make_complaint(world, "signed_off", language="en"), told=told)
    path = f"/complaints/{complaint.reference}/letters/{complaint.letters[0].id}?lang=en"
    username = world.reception.username
    release()
    pages = printed(new_context, username, path, "en")
    assert len(pages) >= 3
    texts = [number(text, n, len(pages)) for n, text in enumerate(pages, start=1)]
    assert texts[0].startswith("DemoCityFirstPeople'sHospital")
    assert "Paragraph24" in texts[-1] and texts[-1].endswith("DemoCityFirstPeople'sHospital18November2026")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_letter_and_its_template_fit_a_phone(world, new_context, lang):
    complaint = answer(world, factories.make_complaint(world, "signed_off", language=lang))
    letter_path = f"/complaints/{complaint.reference}/letters/{complaint.letters[0].id}?lang={lang}"
    reception, admin = world.reception.username, world.admin.username
    release()
    for username, path in ((reception, letter_path), (admin, f"/admin/letters/{lang}?lang={lang}")):
        page = new_context(viewport={"width": 360, "height": 800}).new_page()
        log_in(page, username)
        page.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, path
