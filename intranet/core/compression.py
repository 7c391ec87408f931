"""Answers compressed by the app (Flask-Compress): brotli where the browser takes it (browsers offer it over
HTTPS only), gzip otherwise, for pages, styles, scripts, SVG and JSON of 500 bytes or more. gunicorn
compresses nothing, and a phone on a weak signal waits for every byte of the public form. A proxy in front
that compresses instead: REDRESS_COMPRESS=0 (docs/operations.md#compression).

Not compressed:
- a streamed answer other than a static file: the CSV exports (row by row) and the evidence downloads (a
  file chunk by chunk). A compressor holds back what it is given until its buffer fills, so the first rows
  of an export would wait for many more, and a download would lose its Content-Length;
- anything to a session where a member of staff is logged in, but static files: staff pages carry
  patients' details and the CSRF token that guards staff actions beside text the reader's own request put
  there (the search words), which is what BREACH reads through compression (docs/decisions.md#serving);
- a part of a file (206, a Range request): its byte range is of the file as it is on disk.
"""

from __future__ import annotations

from flask import Flask, request, session
from flask_compress import Compress

# Flask-Compress's settings; the algorithms in order of preference (zstd and deflate left out: browsers that
# offer them offer gzip, and brotli is smaller).
SETTINGS = {
    "COMPRESS_REGISTER": False,  # compressed() below decides what goes to Flask-Compress
    "COMPRESS_MIMETYPES": ["text/html", "text/css", "text/javascript", "application/javascript", "image/svg+xml",
                           "application/json"],
    "COMPRESS_ALGORITHM": ["br", "gzip"],
    # Only static files stream through Flask-Compress (send_file's answers are streamed), whole files, so the
    # compressor's buffering delays nothing.
    "COMPRESS_ALGORITHM_STREAMING": ["br", "gzip"],
    "COMPRESS_MIN_SIZE": 500,
    "COMPRESS_BR_LEVEL": 5,  # smaller than gzip at 6, and no slower (at 4 it is larger)
    "COMPRESS_LEVEL": 6,
}

# What Flask-Login keeps in the session of a logged-in user: read from the session, so that deciding loads
# no user from the database.
LOGGED_IN = "_user_id"


def init_app(app: Flask) -> None:
    """Registered before the other after-request hooks, so that it runs after them (Flask runs them in the
    reverse order): it is the last to touch the answer."""
    if not app.config["COMPRESS_RESPONSES"]:
        return
    for key, value in SETTINGS.items():
        app.config.setdefault(key, value)
    compress = Compress()
    compress.init_app(app)

    @app.after_request
    def compressed(response):
        static = request.endpoint == "static"
        if response.is_streamed and not static:
            return response  # exports and evidence downloads: as they stream
        if response.status_code == 206:
            return response
        if not static and session.get(LOGGED_IN) is not None:
            if response.mimetype in compress.compress_mimetypes_set:
                response.vary.add("Accept-Encoding")  # the same address is compressed for the public
            return response
        encoded = "Content-Encoding" in response.headers
        response = compress.after_request(response)
        if not encoded and "Content-Encoding" in response.headers:
            # A range would be of the compressed bytes, which are made anew each time: offer none.
            response.headers.pop("Accept-Ranges", None)
        return response
