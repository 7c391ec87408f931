"""Browser fixtures: the real app served over HTTP from a thread, driven by Debian's chromium.

- `live_server`: werkzeug's `make_server` on 127.0.0.1 and a free port, serving the session `app` (the same
  database the factories write to: SQLite, or PostgreSQL when DATABASE_URL is set). Each request gets its
  own app context and database session in the server's threads (werkzeug + Flask do that).
- `browser`: chromium through playwright, never a downloaded browser; skipped when /usr/bin/chromium is
  missing.
- `new_context`: a browser context whose pages are watched: console errors, uncaught exceptions, CSP
  violations, server errors (5xx) and failed requests are collected, and `watch.check()` fails the test
  on any of them.

Data made in the test thread must be committed and the session released (`release()`) before the browser
acts: on SQLite a write transaction in the test thread would hold the write lock the server needs.
"""

from __future__ import annotations

import os
import re
import threading

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from intranet.core.extensions import db
from intranet.core.time import clock_at
from tests.conftest import PINNED

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
TIMEOUT_MS = 10_000

# Reports every Content-Security-Policy violation as a console error, which the watcher collects.
# (Chromium logs most violations to the console by itself; this makes sure and says which directive.)
CSP_REPORTER = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline")
                + " at " + e.sourceFile + ":" + e.lineNumber);
});
"""


class QuietHandler(WSGIRequestHandler):
    """No access log line per request; errors are still logged."""

    def log_request(self, code="-", size="-"):
        pass


def at_the_pinned_clock(app):
    """The server's threads do not share the test's clock, so they are pinned to the same moment."""
    def wsgi(environ, start_response):
        with clock_at(PINNED):
            return app(environ, start_response)
    return wsgi


@pytest.fixture(scope="session")
def live_server(app):
    server = make_server("127.0.0.1", 0, at_the_pinned_clock(app), threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium); "
                    "CI installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class Watch:
    """Collects what must never happen in a page; `allow()` expected lines (a refused action's 409)."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.problems: list[str] = []
        self.allowed: list[re.Pattern] = []

    def allow(self, pattern: str) -> None:
        self.allowed.append(re.compile(pattern))

    def _add(self, line: str) -> None:
        if not any(p.search(line) for p in self.allowed):
            self.problems.append(line)

    def attach(self, page) -> None:
        page.on("console", lambda m: self._add(f"console.{m.type}: {m.text} ({m.location.get('url')})")
                if m.type in ("error", "assert") else None)
        page.on("pageerror", lambda error: self._add(f"uncaught: {error}"))
        page.on("response", lambda r: self._add(f"HTTP {r.status} {r.request.method} {r.url}")
                if r.status >= 500 else None)
        page.on("requestfailed", self._request_failed)

    def _request_failed(self, request) -> None:
        # net::ERR_ABORTED is the browser cancelling a request because the page went elsewhere (a click before
        # a script finished loading, a poll when the window leaves): nothing the server did. Every other
        # failure (refused, reset, timed out) is a problem.
        if "ERR_ABORTED" not in (request.failure or ""):
            self._add(f"request failed: {request.method} {request.url}: {request.failure}")

    def check(self) -> None:
        problems, self.problems = self.problems, []
        assert not problems, "the browser reported problems:\n" + "\n".join(problems)


@pytest.fixture
def watch(live_server):
    return Watch(live_server)


@pytest.fixture
def new_context(browser, live_server, watch):
    """new_context(**options) -> a watched browser context with base_url set to the live server."""
    contexts = []

    def make(**options):
        options.setdefault("locale", "en-US")
        options.setdefault("viewport", {"width": 1280, "height": 900})
        context = browser.new_context(base_url=live_server, **options)
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script(CSP_REPORTER)
        context.on("page", watch.attach)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
    watch.check()


def release() -> None:
    """Commit what the test thread made and give its connection back before the browser acts."""
    db.session.commit()
    db.session.close()
