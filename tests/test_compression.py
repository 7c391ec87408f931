"""Answers compressed by the app: the public pages and the static files gzip- or brotli-encoded when the
browser asks, with Vary, decompressing to the same bytes, static files still revalidated by their ETag;
never the exports or the evidence downloads (they stream as they are), nor anything to a logged-in member
of staff but static files (BREACH); nothing at all with REDRESS_COMPRESS=0."""

from __future__ import annotations

import gzip
import re

import brotli
import pytest
from flask import Response
from sqlalchemy import select

from intranet import create_app
from intranet.complaints.evidence import Evidence
from intranet.complaints.lifecycle import State
from intranet.core.extensions import db
from tests import factories
from tests.conftest import login
from tests.test_public import PDF, upload

# The signed CSRF token changes every second (its timestamp): two requests' pages are compared without it.
CSRF_TOKEN = re.compile(rb'I[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+')
DECODE = {"gzip": gzip.decompress, "br": brotli.decompress}


def without_token(body: bytes) -> bytes:
    return CSRF_TOKEN.sub(b"TOKEN", body)


def vary(response) -> set[str]:
    return {v.strip() for v in response.headers.get("Vary", "").split(",")}


@pytest.mark.parametrize("path", ["/complain", "/track", "/static/app.css"])
@pytest.mark.parametrize("asked, encoding", [("gzip", "gzip"), ("gzip, deflate, br, zstd", "br")])
def test_public_pages_and_static_files_are_sent_compressed_when_asked(client, path, asked, encoding):
    plain = client.get(path)
    squeezed = client.get(path, headers={"Accept-Encoding": asked})
    assert plain.status_code == squeezed.status_code == 200
    assert "Content-Encoding" not in plain.headers
    assert squeezed.headers["Content-Encoding"] == encoding
    assert "Accept-Encoding" in vary(plain) and "Accept-Encoding" in vary(squeezed)
    body = squeezed.get_data()
    assert int(squeezed.headers["Content-Length"]) == len(body) < len(plain.get_data()) / 2
    assert without_token(DECODE[encoding](body)) == without_token(plain.get_data())


def test_a_static_file_is_still_revalidated_by_its_etag(client):
    first = client.get("/static/app.css", headers={"Accept-Encoding": "gzip"})
    etag = first.headers["ETag"]
    assert etag.endswith(':gzip"')  # the compressed bytes' own validator, not the file's
    again = client.get("/static/app.css", headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    # Without compression, the file's own ETag, which the compressed one does not match.
    plain = client.get("/static/app.css", headers={"If-None-Match": etag})
    assert plain.status_code == 200 and plain.headers["ETag"] == etag.removesuffix(':gzip"') + '"'
    assert "Accept-Ranges" not in first.headers and plain.headers["Accept-Ranges"] == "bytes"


def test_a_small_answer_is_sent_as_it_is(client):
    answer = client.get("/healthz", headers={"Accept-Encoding": "gzip"})
    assert answer.status_code == 200 and "Content-Encoding" not in answer.headers and answer.text == "ok\n"


def test_nothing_is_compressed_for_a_logged_in_member_of_staff_but_static_files(world, client):
    complaint = factories.make_complaint(world, State.investigating)
    login(client, world.reception)
    # A complaint's page, a search (its words written back into the page) and a public page seen logged in.
    for path in (f"/complaints/{complaint.reference}", "/search?q=waited", "/queue", "/complain"):
        page = client.get(path, headers={"Accept-Encoding": "gzip, br"})
        assert page.status_code == 200, path
        assert "Content-Encoding" not in page.headers, path
        assert "Accept-Encoding" in vary(page)  # what the public gets at the same address is compressed
        assert b"</html>" in page.get_data()
    assert client.get("/static/app.css", headers={"Accept-Encoding": "gzip"}).headers["Content-Encoding"] == "gzip"


def test_an_export_streams_row_by_row_uncompressed(world, client):
    for _ in range(3):
        factories.make_complaint(world, State.investigating)
    login(client, world.leadership)
    export = client.get("/reports/complaints.csv", headers={"Accept-Encoding": "gzip"}, buffered=False)
    assert export.status_code == 200 and export.is_streamed
    assert "Content-Encoding" not in export.headers and "Accept-Encoding" not in vary(export)
    chunks = list(export.response)
    export.close()
    assert len(chunks) == 1 + 3  # the header line, then one chunk a complaint: as written, none held back
    assert chunks[0].startswith("\ufeff".encode()) and chunks[1].count(b"\n") == 1


def test_an_evidence_download_streams_uncompressed(world, client):
    assert upload(client, [("scan.pdf", PDF)]).status_code == 302
    item = db.session.scalar(select(Evidence))
    login(client, world.reception)
    download = client.get(f"/complaints/{item.complaint.reference}/evidence/{item.id}",
                          headers={"Accept-Encoding": "gzip, br"}, buffered=False)
    assert download.status_code == 200 and download.is_streamed
    assert "Content-Encoding" not in download.headers
    assert download.headers["Content-Length"] == str(len(PDF))
    assert b"".join(download.response) == PDF
    download.close()


def streamed_page():
    # A page made as a generator, in a type that is otherwise compressed: sent as it streams.
    return Response((f"<p>{n}</p>\n" * 100 for n in range(3)), mimetype="text/html")


def another_app(app, **config):
    """An app of its own (its hooks are set when it is made) on the suite's database."""
    made = create_app("testing", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"], **config)
    made.config["SQLALCHEMY_ENGINE_OPTIONS"] = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    return made


def test_a_streamed_page_is_sent_as_it_streams(app_ctx):
    made = another_app(app_ctx)
    made.add_url_rule("/_streamed", "streamed", streamed_page)
    with made.app_context():
        answer = made.test_client().get("/_streamed", headers={"Accept-Encoding": "gzip"}, buffered=False)
        assert "Content-Encoding" not in answer.headers
        assert [len(chunk) for chunk in answer.response] == [900, 900, 900]
        answer.close()
        db.session.remove()


def test_redress_compress_0_leaves_compressing_to_a_proxy(app_ctx):
    made = another_app(app_ctx, COMPRESS_RESPONSES=False)
    with made.app_context():
        client = made.test_client()
        for path in ("/complain", "/static/app.css"):
            answer = client.get(path, headers={"Accept-Encoding": "gzip, br"})
            assert answer.status_code == 200 and "Content-Encoding" not in answer.headers, path
            assert "Accept-Encoding" not in vary(answer)
        db.session.remove()
