"""Public notices (公告): leadership publishes the measures taken, in Chinese and, if it writes one, in
English; the public read them at /notices in their language, and a notice without a version in it says which
language it has; a withdrawn notice leaves the list and its record stays."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from intranet.core.extensions import db
from intranet.public.notices import PublicNotice
from tests.conftest import csrf_token, login

NOTICE = {"title_zh": "关于门诊候诊时间的整改公告", "body_zh": "自11月起，候诊超过30分钟即广播说明原因。",
          "title_en": "", "body_en": ""}
ENGLISH = {"title_en": "Waiting times in outpatients", "body_en": "From November, a wait over 30 minutes is announced."}


def publish(client, **data):
    token = csrf_token(client, "/notices/new")
    return client.post("/notices/new?lang=en", data={"csrf_token": token, **NOTICE, **data})


def published(client, world, **data) -> PublicNotice:
    login(client, world.leadership)
    assert publish(client, **data).status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client, "/queue")})
    return db.session.scalar(select(PublicNotice))


def test_leadership_publishes_both_versions_and_each_reader_reads_their_own(world, client):
    notice = published(client, world, **ENGLISH)
    assert (notice.title_zh, notice.title_en, notice.published_by_id) == (
        "关于门诊候诊时间的整改公告", "Waiting times in outpatients", world.leadership.id)

    for path in ("/notices", f"/notices/{notice.id}"):
        chinese = client.get(f"{path}?lang=zh").get_data(as_text=True)
        assert "关于门诊候诊时间的整改公告" in chinese and "自11月起，候诊超过30分钟即广播说明原因。" in chinese
        assert "Waiting times in outpatients" not in chinese and "仅有" not in chinese
        english = client.get(f"{path}?lang=en").get_data(as_text=True)
        assert "Waiting times in outpatients" in english and "a wait over 30 minutes is announced" in english
        assert "关于门诊候诊时间的整改公告" not in english and "only" not in english


@pytest.mark.parametrize(("language", "says"), [("en", "Available in Chinese only"), ("zh", None)])
def test_a_notice_only_in_chinese_says_so_to_an_english_reader(world, client, language, says):
    notice = published(client, world)
    assert notice.title_en is None and notice.body_en is None
    for path in ("/notices", f"/notices/{notice.id}"):
        page = client.get(f"{path}?lang={language}").get_data(as_text=True)
        assert '<h2 lang="zh-CN">' in page or '<h1 lang="zh-CN">' in page  # the title, marked Chinese
        assert "关于门诊候诊时间的整改公告" in page
        assert (says in page) if says else ("only" not in page and "仅有" not in page)


@pytest.mark.parametrize(("language", "says"), [("zh", "仅有英文版"), ("en", None)])
def test_a_notice_from_before_the_two_versions_in_english_only_says_so_to_a_chinese_reader(
        world, client, language, says):
    notice = PublicNotice(title_en="Visiting hours", body_en="From 16:00 to 17:00.",
                          published_by_id=world.leadership.id)
    db.session.add(notice)
    db.session.commit()
    page = client.get(f"/notices/{notice.id}?lang={language}").get_data(as_text=True)
    assert '<h1 lang="en">Visiting hours</h1>' in page
    assert (says in page) if says else ("仅有" not in page and "only" not in page)


@pytest.mark.parametrize(("who", "status"), [("reception", 403), ("head", 403), ("admin", 403), (None, 302)])
def test_only_leadership_publishes(world, client, who, status):
    if who:
        login(client, world.user(who))
    assert client.get("/notices/new").status_code == status


@pytest.mark.parametrize(("typed", "error"), [
    ({"body_zh": ""}, "Enter “The measures taken, in Chinese”."),
    ({"title_zh": "", **ENGLISH}, "Enter “Title in Chinese”."),
    ({"title_en": "Waiting times"}, "Give the English version its text too, or leave both English fields empty."),
    ({"body_en": "Announced."}, "Give the English version a title too, or leave both English fields empty."),
])
def test_a_notice_with_something_missing_comes_back_with_what_was_typed(world, client, typed, error):
    login(client, world.leadership)
    response = publish(client, **typed)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "error-summary" in html and error in html
    assert all(value in html for value in {**NOTICE, **typed}.values() if value)
    assert db.session.scalar(select(PublicNotice)) is None


def test_a_withdrawn_notice_leaves_the_public_list(world, client):
    login(client, world.leadership)
    publish(client)
    notice = db.session.scalar(select(PublicNotice))
    assert client.post(f"/notices/{notice.id}/withdraw").status_code == 400  # no CSRF token: refused
    token = csrf_token(client, f"/notices/{notice.id}")
    assert client.post(f"/notices/{notice.id}/withdraw", data={"csrf_token": token}).status_code == 302
    db.session.expire_all()
    assert notice.withdrawn_by_id == world.leadership.id
    assert NOTICE["title_zh"] not in client.get("/notices").get_data(as_text=True)
    assert client.get(f"/notices/{notice.id}").status_code == 404


def test_the_landing_page_links_to_the_notices(client, app_ctx):
    assert 'href="/notices"' in client.get("/").get_data(as_text=True)
