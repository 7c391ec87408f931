"""When the database goes away, people get the hospital's page, not a bare 500: a 503 with the office's
phone number and a Retry-After, the real cause in the log, and recovery on its own."""

import contextlib
import logging
import re
import socket
import threading
import time

import flask
import pytest
from flask_wtf.csrf import generate_csrf
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from intranet import create_app
from intranet.complaints.lifecycle import State
from intranet.complaints.models import ComplaintEvent
from intranet.core.extensions import db
from tests import factories
from tests.browser import TIMEOUT_MS, QuietHandler, at_the_pinned_clock, release
from tests.conftest import POSTGRES, login

pytest_plugins = ["tests.browser"]  # chromium (the browser test at the end)

DEAD = {
    "sqlite": "sqlite:////nonexistent-folder/redress.sqlite3",
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:1/redress?connect_timeout=2",
}


@pytest.mark.parametrize("kind", list(DEAD))
def test_an_unavailable_database_is_the_hospitals_503_page(kind, caplog, tmp_path):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=DEAD[kind], PROPAGATE_EXCEPTIONS=False)
    from intranet import config

    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = config.engine_options(DEAD[kind])
    client = app.test_client()
    with caplog.at_level(logging.ERROR):
        response = client.get("/complain", headers={"Accept-Language": "en"})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    html = response.get_data(as_text=True)
    assert "The complaints service is not available just now" in html
    assert app.config["COMPLAINTS_OFFICE_PHONE"] in html
    assert "database unavailable" in caplog.text  # the real cause, for the operator
    chinese = client.get("/complain", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "投诉服务暂时无法使用" in chinese


def dead_app(kind):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=DEAD[kind], PROPAGATE_EXCEPTIONS=False)
    from intranet import config

    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = config.engine_options(DEAD[kind])
    return app


def logged_in_client(app):
    """A member of staff's browser, its session cookie from before the database went away (the user id, the
    session's key, its times), and a CSRF token of that session."""
    client = app.test_client()
    with app.test_request_context():
        token = generate_csrf()
        raw = flask.session["csrf_token"]
    with client.session_transaction() as session:
        session.update({"_user_id": "1:1:a-session-key", "_fresh": True, "since": time.time(), "seen": time.time(),
                        "csrf_token": raw})
    return client, token


BELL = {"HX-Request": "true", "HX-Target": "bell"}
BADGES = {"HX-Request": "true", "HX-Target": "queue-counts"}
STAFF_PAGES = [
    ("GET", "/queue", {}),
    ("GET", "/search?q=wait", {}),
    ("GET", "/reports", {}),
    ("GET", "/notifications", {}),
    ("GET", "/admin/accounts", {}),
    ("GET", "/complaints/TS-2026-000001", {}),
    ("POST", "/logout", {}),
]
STAFF_FRAGMENTS = [
    ("GET", "/notifications/bell", BELL),
    ("GET", "/queue?q=triage", BADGES),
    ("POST", "/logout", {"HX-Request": "true"}),
]


@pytest.mark.parametrize("kind", list(DEAD))
@pytest.mark.parametrize(("method", "path", "headers"), STAFF_PAGES)
def test_staff_get_the_hospitals_503_page_too(kind, method, path, headers):
    client, token = logged_in_client(dead_app(kind))
    response = client.open(path, method=method, data={"csrf_token": token}, headers={"Accept-Language": "en"})
    assert (response.status_code, response.headers.get("Retry-After")) == (503, "30")
    assert "The complaints service is not available just now" in response.get_data(as_text=True)
    assert "HX-Retarget" not in response.headers


@pytest.mark.parametrize("kind", list(DEAD))
@pytest.mark.parametrize(("method", "path", "headers"), STAFF_FRAGMENTS)
def test_an_htmx_request_gets_a_short_message_in_the_status_area(kind, method, path, headers):
    client, token = logged_in_client(dead_app(kind))
    response = client.open(path, method=method, headers={**headers, "X-CSRFToken": token, "Accept-Language": "en"})
    assert (response.status_code, response.headers.get("Retry-After")) == (503, "30")
    assert (response.headers["HX-Retarget"], response.headers["HX-Reswap"]) == ("#htmx-error", "innerHTML")
    body = response.get_data(as_text=True)
    assert body == ("The complaints service is not available just now: nothing was saved. It tries again on its "
                    "own; if it is urgent, call the complaints office on 0571-8888 1234.")


@pytest.mark.parametrize("kind", list(DEAD))
def test_the_health_check_says_whether_the_database_answers(kind, app):
    response = dead_app(kind).test_client().get("/healthz")
    assert (response.status_code, response.get_data(as_text=True)) == (503, "database unavailable\n")
    response = app.test_client().get("/healthz")
    assert (response.status_code, response.get_data(as_text=True)) == (200, "ok\n")


# PostgreSQL ends a transaction with SQLSTATE 40001 (serialization failure) or 40P01 (deadlock) when two
# got in each other's way; a trigger raises the same error, from the database and through the driver, on the
# first `fails` inserts into the timeline.
CONFLICT_TRIGGER = """
CREATE SEQUENCE conflicting_tries;
CREATE FUNCTION conflicting_insert() RETURNS trigger AS $$
BEGIN
  IF nextval('conflicting_tries') <= {fails} THEN
    RAISE EXCEPTION 'conflicting transactions' USING ERRCODE = '{sqlstate}';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER conflicting_insert BEFORE INSERT ON complaint_events FOR EACH ROW EXECUTE FUNCTION conflicting_insert();
"""


@pytest.mark.skipif(not POSTGRES, reason="deadlocks and serialization failures are PostgreSQL's")
@pytest.mark.parametrize("sqlstate", ["40001", "40P01"])
@pytest.mark.parametrize(("fails", "status"), [(1, 302), (1000, 409)])
def test_people_acting_at_once_are_tried_again_once_then_told_it_is_a_conflict(app_ctx, world, sqlstate, fails,
                                                                               status):
    complaint = factories.make_complaint(world, State.registered)
    db.session.commit()
    client = app_ctx.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login(client, world.reception)
    html = client.get(f"/complaints/{complaint.reference}").get_data(as_text=True)
    token = re.search(r'"X-CSRFToken": "([^"]+)"', html).group(1)
    version = re.search(r'data-version="(\d+)"', html).group(1)
    with db.engine.begin() as connection:
        connection.exec_driver_sql(CONFLICT_TRIGGER.format(fails=fails, sqlstate=sqlstate))
    note = {"note-text": "Rang the complainant back.", "note-version": version}
    try:
        response = client.post(f"/complaints/{complaint.reference}/note", data={**note, "note-csrf_token": token})
        with db.engine.connect() as connection:
            tries = connection.exec_driver_sql("SELECT last_value FROM conflicting_tries").scalar()
        htmx = client.post(f"/complaints/{complaint.reference}/note", data=note,  # the trigger still raising?
                           headers={"HX-Request": "true", "HX-Target": "complaint", "X-CSRFToken": token})
    finally:
        with db.engine.begin() as connection:
            connection.exec_driver_sql("DROP TRIGGER conflicting_insert ON complaint_events; "
                                       "DROP FUNCTION conflicting_insert(); DROP SEQUENCE conflicting_tries")
    assert (response.status_code, tries) == (status, 2)  # tried once more, never twice
    db.session.expire_all()
    stored = db.session.scalars(select(ComplaintEvent.action).where(ComplaintEvent.complaint_id == complaint.id,
                                                                    ComplaintEvent.action == "note")).all()
    if status == 302:
        assert stored == ["note", "note"]  # the htmx one too: nothing failed
        return
    said = ("Someone else changed this at the same moment, so nothing you sent was saved. Reload the page and "
            "try again.")
    assert said in response.get_data(as_text=True)
    assert (htmx.status_code, htmx.get_data(as_text=True)) == (409, said)
    assert htmx.headers["HX-Retarget"] == "#htmx-error"
    assert stored == []


class Forwarder:
    """A TCP relay to PostgreSQL for one app: `cut()` drops its connections and refuses new ones (the
    database gone, for that app only), `mend()` lets them through again."""

    def __init__(self, host: str, port: int):
        self.target, self.open, self.sockets = (host, port), threading.Event(), []
        self.open.set()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.open.is_set():
                client.close()
                continue
            server = socket.create_connection(self.target)
            self.sockets += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source, sink):
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

    def cut(self):
        self.open.clear()
        for end in self.sockets:
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
        self.sockets.clear()

    def mend(self):
        self.open.set()

    def close(self):
        self.cut()
        self.listener.close()


@pytest.mark.browser
@pytest.mark.skipif(not POSTGRES, reason="the database cut for one app only: a relay to PostgreSQL")
def test_in_the_browser_the_bell_and_the_counts_say_so_in_place_and_recover(app, world, browser):
    username = world.reception.username
    release()
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    relay = Forwarder(url.host or "127.0.0.1", url.port or 5432)
    through = url.set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False)
    served = create_app("testing", SQLALCHEMY_DATABASE_URI=through, PROPAGATE_EXCEPTIONS=False)
    server = make_server("127.0.0.1", 0, at_the_pinned_clock(served), threaded=True, request_handler=QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    context = browser.new_context(base_url=f"http://127.0.0.1:{server.server_port}", locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        page.goto("/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", factories.PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/queue")
        counts = page.locator("#queue-counts").inner_html()
        relay.cut()
        page.evaluate("htmx.trigger(document.body, 'complaint-changed')")  # what the bell and counts poll on
        banner = page.locator("#htmx-error")
        expect(banner).to_have_text("The complaints service is not available just now: nothing was saved. It tries "
                                    "again on its own; if it is urgent, call the complaints office on 0571-8888 1234.")
        assert page.locator("#queue-counts").inner_html() == counts  # the counts stay as they were
        assert page.locator("h1").count() == 1  # no page pasted into the page
        relay.mend()
        page.evaluate("htmx.trigger(document.body, 'complaint-changed')")
        expect(banner).to_be_hidden()
        relay.cut()
        page.goto("/search?q=wait")
        expect(page.locator("h1")).to_have_text("The complaints service is not available just now")
    finally:
        context.close()
        server.shutdown()
        relay.close()
        with served.app_context():
            db.engine.dispose()
