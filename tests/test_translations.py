"""The Chinese catalogue is complete and sound, and the language is chosen as SPEC §9 says.

The catalogue check extracts the strings from the code afresh (as `make messages` does), so a string
added to the code but not translated fails here even if nobody refreshed translations/messages.pot.
"""

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import g

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
POT = TRANSLATIONS / "messages.pot"
PO = TRANSLATIONS / "zh" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")

PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[a-zA-Z]")
HINT = "run `make messages`, translate the new entries in the .po, then `make translations`"


def _read(path: Path):
    with path.open("rb") as f:
        return read_po(f)


def _ids(message) -> tuple[str, ...]:
    return message.id if isinstance(message.id, tuple) else (message.id,)


def _strings(message) -> tuple[str, ...]:
    return message.string if isinstance(message.string, tuple) else (message.string,)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> dict:
    """msgid -> where it is used, from the code as it is now (babel.cfg, as the Makefile extracts)."""
    out = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "--quiet", "extract",
         "-F", "babel.cfg", "-k", "_l", "-o", str(out), "."],
        cwd=ROOT, check=True, capture_output=True, text=True,
    )
    messages = {m.id: m for m in _read(out) if m.id}
    # Also the committed template, in case it holds strings the extraction could not reach.
    for message in _read(POT):
        if message.id:
            messages.setdefault(message.id, message)
    return messages


@pytest.fixture(scope="module")
def zh():
    return {m.id: m for m in _read(PO) if m.id}


def _where(message) -> str:
    return ", ".join(f"{file}:{line}" for file, line in message.locations[:3]) or "?"


def test_every_string_has_a_chinese_translation(extracted, zh):
    problems = []
    for msgid, source in sorted(extracted.items(), key=lambda item: str(item[0])):
        message = zh.get(msgid)
        if message is None:
            problems.append(f"not in the catalogue: {msgid!r} ({_where(source)})")
        elif message.fuzzy:
            problems.append(f"fuzzy: {msgid!r}")
        elif not all(s.strip() for s in _strings(message)):
            problems.append(f"untranslated: {msgid!r}")
    assert not problems, f"{HINT}\n" + "\n".join(problems)


def test_catalogue_has_no_fuzzy_header_or_obsolete_entries():
    catalog = _read(PO)
    assert not catalog.fuzzy, "the catalogue header is marked fuzzy"
    assert not catalog.obsolete, f"obsolete (#~) entries left: {sorted(map(str, catalog.obsolete))}"


def test_placeholders_survive_translation(zh):
    problems = []
    for msgid, message in zh.items():
        expected = Counter(p for text in _ids(message) for p in PLACEHOLDER.findall(text))
        for text in _strings(message):
            if not text:
                continue
            found = Counter(PLACEHOLDER.findall(text))
            if found != expected:
                problems.append(f"{msgid!r}: msgid has {sorted(expected.elements())}, "
                                f"msgstr has {sorted(found.elements())}")
            elif expected:
                try:  # what flask_babel does with the variables: a stray % would break the page
                    text % {name: "x" for name in expected}
                except (KeyError, ValueError, TypeError) as error:
                    problems.append(f"{msgid!r}: msgstr does not format ({error})")
    assert not problems, "\n".join(problems)


def test_error_prefix_is_chinese(zh):
    assert zh["Error:"].string == "错误："


# --- the language a visitor sees ------------------------------------------------------------------


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogue():
    """`make test` compiles the catalogue first; compile here too if the .mo is missing or stale."""
    if not MO.exists() or MO.stat().st_mtime < PO.stat().st_mtime:
        with MO.open("wb") as f:
            write_mo(f, _read(PO))
        # Flask-Babel caches catalogues for the whole process: drop any loaded before the compile.
        from intranet.core.extensions import babel

        domain = vars(babel).get("domain_instance")
        if domain is not None:
            domain.cache.clear()


def _page(client, path, **headers) -> str:
    response = client.get(path, headers=headers)
    assert response.status_code == 200
    # The `client` fixture runs inside one app context, so every request of a test shares `g`, where
    # Flask-Babel keeps the locale it chose: forget it, so the next request chooses afresh as in real life.
    g.pop("_flask_babel", None)
    return response.get_data(as_text=True)


def _is_chinese(html: str) -> bool:
    return '<html lang="zh-CN">' in html and "<h1>我要投诉</h1>" in html and "Make a complaint" not in html


def _is_english(html: str) -> bool:
    return '<html lang="en">' in html and "<h1>Make a complaint</h1>" in html and "我要投诉" not in html


def test_lang_zh_shows_chinese(client):
    html = _page(client, "/complain?lang=zh")
    assert _is_chinese(html)
    assert "<title>我要投诉</title>" in html
    assert "事情经过" in html  # a form label, from the Python side (lazy_gettext)


def test_lang_en_shows_english(client):
    html = _page(client, "/complain?lang=en")
    assert _is_english(html)
    assert "What happened" in html


def test_browser_asking_for_chinese_gets_chinese(client):
    assert _is_chinese(_page(client, "/complain", **{"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}))


def test_browser_asking_for_english_gets_english(client):
    assert _is_english(_page(client, "/complain", **{"Accept-Language": "en-GB,en;q=0.9"}))


def test_chosen_language_is_remembered_over_the_browser(client):
    _page(client, "/complain?lang=en")
    assert _is_english(_page(client, "/complain", **{"Accept-Language": "zh-CN,zh;q=0.9"}))
    _page(client, "/complain?lang=zh")
    assert _is_chinese(_page(client, "/complain", **{"Accept-Language": "en-GB,en;q=0.9"}))
