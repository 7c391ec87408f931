"""Property-based: arbitrary text, sizes and encodings thrown at the public form.

Never a 5xx; a rejected submission stores nothing; an accepted one stores the text exactly (CJK, emoji,
right-to-left, markup)."""

from urllib.parse import quote_from_bytes

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from intranet.complaints.models import Complaint
from intranet.core.extensions import db, limiter
from tests.test_intake import new_client, token_of

SETTINGS = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# Anything a keyboard, a paste or a bot can send, weighted towards what matters here.
SAMPLES = ["投诉", "😡🏥", "مرحبا بالعالم", "שלום", "<script>alert(1)</script>", "' OR 1=1 --", "\u202e", "%(x)s",
           "{{ 7*7 }}", "\r\n", "\t", "\x00", "\ufeff", "a" * 300, "𠀀𪚥", "Ｆｕｌｌ", "\u0301"]
TEXT = st.one_of(
    st.text(max_size=300),
    st.lists(st.sampled_from(SAMPLES), max_size=12).map("".join),
    # Around the 20,000-character limit: a short random piece repeated (hypothesis draws few large values).
    st.tuples(st.text(min_size=1, max_size=8), st.integers(19_990, 20_010)).map(
        lambda pair: (pair[0] * (pair[1] // len(pair[0]) + 1))[:pair[1]]),
)
SHORT = st.one_of(st.just(""), st.text(max_size=150), st.sampled_from(SAMPLES))


def stored_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Complaint))


def latest() -> Complaint:
    db.session.expire_all()
    return db.session.scalar(select(Complaint).order_by(Complaint.id.desc()).limit(1))


@pytest.fixture
def unlimited(app_ctx):
    """The rate limits are tested on their own; here they would stop the examples after five."""
    limiter.enabled = False
    yield
    limiter.enabled = True


@pytest.fixture
def public(app_ctx, unlimited):
    client = new_client(app_ctx)
    return client, token_of(client.get("/complain"))


@SETTINGS
@given(what=TEXT, name=SHORT, ward=SHORT, phone=SHORT, email=SHORT, outcome=SHORT,
       anonymous=st.booleans(), relation=st.sampled_from(["", "patient", "family", "other", "king", "\x00"]))
def test_any_text_is_stored_exactly_or_refused_without_a_trace(public, what, name, ward, phone, email, outcome,
                                                               anonymous, relation):
    client, token = public
    before = stored_count()
    data = {"csrf_token": token, "what_happened": what, "complainant_name": name, "subject_ward": ward,
            "complainant_phone": phone, "complainant_email": email, "desired_outcome": outcome,
            "complainant_relation": relation}
    if anonymous:
        data["anonymous"] = "y"
    try:
        response = client.post("/complain", data=data)
    except UnicodeEncodeError:
        return  # lone surrogates cannot be sent by any browser: not a request
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    if any("\x00" in value for value in data.values()):
        assert response.status_code == 422  # a NUL byte: a field error (PostgreSQL cannot store one)
    if response.status_code != 302:
        assert response.status_code in (413, 422)
        assert stored_count() == before
        return
    assert stored_count() == before + 1
    complaint = latest()
    assert complaint.what_happened == what.strip()
    assert complaint.subject_ward == (ward.strip() or None)
    assert complaint.desired_outcome == (outcome.strip() or None)
    if not anonymous:
        assert complaint.complainant_name == (name.strip() or None)
        assert complaint.complainant_phone == (phone.strip() or None)
        assert complaint.complainant_email == (email.strip() or None)


ENCODINGS = ["utf-8", "gb18030", "big5", "shift_jis", "latin-1", "utf-16", "cp1256"]


@SETTINGS
@given(what=st.text(min_size=1, max_size=200), encoding=st.sampled_from(ENCODINGS),
       junk=st.binary(max_size=64))
def test_any_encoding_or_raw_bytes_never_breaks_the_server(public, what, encoding, junk):
    """Bodies a misconfigured phone browser or a bot might send: other encodings, invalid UTF-8, junk."""
    client, token = public
    before = stored_count()
    raw = what.encode(encoding, errors="replace") + junk
    body = ("csrf_token=" + token + "&complainant_phone=13800138000&what_happened=").encode() + \
        quote_from_bytes(raw).encode()
    response = client.post("/complain", data=body,
                           content_type=f"application/x-www-form-urlencoded; charset={encoding}")
    assert response.status_code < 500
    if response.status_code == 302:
        assert stored_count() == before + 1
        assert latest().what_happened  # something, decoded as UTF-8 with replacements: never a crash
    else:
        assert stored_count() == before
    # And junk as the whole body.
    response = client.post("/complain", data=junk, content_type="multipart/form-data; boundary=x")
    assert response.status_code < 500


@SETTINGS
@given(size=st.sampled_from([0, 1, 19_999, 20_000, 20_001, 100_000, 600_000]))
def test_sizes_at_and_past_the_limits(public, size):
    client, token = public
    before = stored_count()
    what = "长" * size
    response = client.post("/complain", data={"csrf_token": token, "what_happened": what,
                                              "complainant_phone": "13800138000"})
    assert response.status_code < 500
    if 0 < size <= 20_000:
        assert response.status_code == 302 and latest().what_happened == what
    else:
        assert response.status_code in (413, 422) and stored_count() == before
