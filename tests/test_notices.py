"""Public notices (公告): leadership publishes the measures taken; the public read them at /notices, in the
language they were written in; a withdrawn notice leaves the list and its record stays."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from intranet.core.extensions import db
from intranet.public.notices import PublicNotice
from tests.conftest import csrf_token, login

NOTICE = {"language": "zh", "title": "关于门诊候诊时间的整改公告", "body": "自11月起，候诊超过30分钟即广播说明原因。"}


def publish(client, **data):
    token = csrf_token(client, "/notices/new")
    return client.post("/notices/new?lang=en", data={"csrf_token": token, **NOTICE, **data})


def test_leadership_publishes_and_the_public_read_it_in_its_own_language(world, client):
    login(client, world.leadership)
    response = publish(client)
    assert response.status_code == 302
    notice = db.session.scalar(select(PublicNotice))
    assert (notice.title, notice.language, notice.published_by_id) == (NOTICE["title"], "zh", world.leadership.id)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/queue")})
    page = client.get("/notices?lang=en").get_data(as_text=True)
    assert NOTICE["title"] in page and 'lang="zh-CN"' in page  # an English page, the notice marked Chinese
    assert NOTICE["body"] in client.get(f"/notices/{notice.id}").get_data(as_text=True)


@pytest.mark.parametrize(("who", "status"), [("reception", 403), ("head", 403), ("admin", 403), (None, 302)])
def test_only_leadership_publishes(world, client, who, status):
    if who:
        login(client, world.user(who))
    assert client.get("/notices/new").status_code == status


def test_a_notice_with_something_missing_comes_back_with_what_was_typed(world, client):
    login(client, world.leadership)
    response = publish(client, body="")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert NOTICE["title"] in html and "error-summary" in html
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
    assert NOTICE["title"] not in client.get("/notices").get_data(as_text=True)
    assert client.get(f"/notices/{notice.id}").status_code == 404


def test_the_landing_page_links_to_the_notices(client, app_ctx):
    assert 'href="/notices"' in client.get("/").get_data(as_text=True)
