"""Tracking codes are stored as a keyed hash (HMAC-SHA256 with the server's tracking key): microseconds,
not the ~17 ms of a password hash on every submission; codes issued before, as argon2 hashes, still work.
A code shown on the next page (the confirmation, a receipt) is derived there from a nonce the session
holds, for a limited time, and is never readable in the cookie."""

import os
import re
import stat
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from intranet import config
from intranet.complaints import tracking_codes
from intranet.complaints.lifecycle import State
from intranet.complaints.models import Complaint
from intranet.core.extensions import db
from intranet.core.time import clock_at
from tests import factories
from tests.conftest import login
from tests.test_intake import token_of


def test_a_new_code_is_stored_as_a_keyed_hash_and_checks(world):
    complaint = factories.make_complaint(world, State.submitted)
    assert complaint.tracking_code_hash.startswith("hmac-sha256$")
    assert len(complaint.tracking_code_hash) == len("hmac-sha256$") + 64
    assert complaint.tracking_code not in complaint.tracking_code_hash
    assert tracking_codes.check_tracking_code(complaint, complaint.tracking_code)
    assert tracking_codes.check_tracking_code(complaint, complaint.tracking_code.lower().replace("-", " "))
    assert not tracking_codes.check_tracking_code(complaint, "ABCDE-FGHJK")
    assert not tracking_codes.check_tracking_code(None, complaint.tracking_code)


def test_the_code_is_compared_in_constant_time_whether_right_wrong_or_unknown(world, monkeypatch):
    """The same work for every answer: one compare_digest of two hashes of the same length, never `==` that
    stops at the first differing character, and a hash computed for an unknown reference too."""
    complaint = factories.make_complaint(world, State.submitted)
    compared = []

    def compare_digest(a, b):
        compared.append((len(a), len(b)))
        return a == b

    monkeypatch.setattr(tracking_codes.hmac, "compare_digest", compare_digest)
    answers = [tracking_codes.check_tracking_code(complaint, complaint.tracking_code),
               tracking_codes.check_tracking_code(complaint, "ABCDE-FGHJK"),
               tracking_codes.check_tracking_code(None, complaint.tracking_code)]
    assert answers == [True, False, False]
    assert compared == [(76, 76), (76, 76), (76, 76)]


def test_the_hash_depends_on_the_key(app_ctx):
    first = tracking_codes.hash_tracking_code("ABCDE-23456")
    app_ctx.config["TRACKING_KEY"] = "another key"
    try:
        assert tracking_codes.hash_tracking_code("ABCDE-23456") != first
    finally:
        app_ctx.config["TRACKING_KEY"] = "testing-tracking-key"


def test_a_code_issued_before_keyed_hashes_still_works(world):
    complaint = factories.make_complaint(world, State.submitted)
    complaint.tracking_code_hash = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1).hash("QRSTU-VWXYZ")
    db.session.commit()
    assert tracking_codes.check_tracking_code(complaint, "qrstu vwxyz")
    assert not tracking_codes.check_tracking_code(complaint, "QRSTU-VWXY2")


def test_the_key_is_generated_once_into_the_instance_folder_unless_given(tmp_path, monkeypatch):
    monkeypatch.delenv("REDRESS_TRACKING_KEY", raising=False)
    key = config.instance_key(str(tmp_path), "tracking.key", "REDRESS_TRACKING_KEY")
    assert len(key) == 64
    assert config.instance_key(str(tmp_path), "tracking.key", "REDRESS_TRACKING_KEY") == key  # kept
    assert stat.S_IMODE(os.stat(tmp_path / "tracking.key").st_mode) == 0o600
    monkeypatch.setenv("REDRESS_TRACKING_KEY", "from the environment")
    assert config.instance_key(str(tmp_path), "tracking.key", "REDRESS_TRACKING_KEY") == "from the environment"


# --- a code shown on the next page: derived from what the session holds, never readable in it -----------

CODE = re.compile(r"[2-9A-HJ-NP-Z]{5}-[2-9A-HJ-NP-Z]{5}")
ISSUED = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def submit(client) -> None:
    page = client.get("/complain")
    response = client.post("/complain", data={"csrf_token": token_of(page), "what_happened": "病房太吵。",
                                              "complainant_phone": "13800138000"})
    assert response.status_code == 302


@pytest.mark.parametrize(("later", "shown"), [
    (timedelta(0), True),
    (timedelta(hours=1, minutes=59), True),
    (timedelta(hours=2), True),
    (timedelta(hours=2, seconds=1), False),
    (timedelta(days=1), False),
])
def test_the_confirmation_page_shows_the_code_for_two_hours(world, client, later, shown):
    with clock_at(ISSUED):
        submit(client)
        code = CODE.search(client.get("/complain/done").get_data(as_text=True)).group(0)
    with clock_at(ISSUED + later):
        response = client.get("/complain/done")
    if shown:
        assert response.status_code == 200 and code in response.get_data(as_text=True)
    else:
        assert response.status_code == 302 and response.headers["Location"].endswith("/complain")
    # The code shown is the complaint's own.
    assert tracking_codes.check_tracking_code(db.session.scalar(select(Complaint)), code)


@pytest.mark.parametrize(("later", "shown"), [(timedelta(minutes=10), True), (timedelta(minutes=10, seconds=1), False)])
def test_a_receipt_shows_its_new_code_for_ten_minutes_and_once(world, app_ctx, later, shown):
    complaint = factories.make_complaint(world, State.registered)
    staff = app_ctx.test_client()
    login(staff, world.reception)
    page = staff.get(f"/complaints/{complaint.reference}")
    issued = datetime.now(UTC)  # the staff login's session is of now: ten minutes on, it is still open
    with clock_at(issued):
        posted = staff.post(f"/complaints/{complaint.reference}/receipt",
                            data={"csrf_token": token_of(page), "replace_code": "y"})
    assert posted.status_code == 302
    with clock_at(issued + later):
        html = staff.get(posted.headers["Location"]).get_data(as_text=True)
    found = re.search(r'<dd class="reference">([A-Z0-9]{5}-[A-Z0-9]{5})</dd>', html)
    assert bool(found) == shown
    if shown:
        db.session.expire_all()
        assert tracking_codes.check_tracking_code(complaint, found.group(1))
    with clock_at(issued + later):  # a reload shows it no more
        assert "class=\"reference\"" not in staff.get(posted.headers["Location"]).get_data(as_text=True)


def test_a_held_code_is_the_servers_for_its_purpose_alone(app_ctx, monkeypatch):
    with app_ctx.test_request_context("/"):
        code, held = tracking_codes.held_tracking_code("confirmation page")
        assert CODE.fullmatch(code)
        assert set(held) == {"nonce", "at"} and code not in repr(held)
        assert tracking_codes.shown_tracking_code(held, "confirmation page", 60) == code
        assert tracking_codes.shown_tracking_code(held, "printed receipt", 60) != code
        for broken in (None, {}, {"nonce": held["nonce"]}, {"nonce": 7, "at": held["at"]},
                       {"nonce": held["nonce"], "at": str(held["at"])}, "text"):
            assert tracking_codes.shown_tracking_code(broken, "confirmation page", 60) is None
        monkeypatch.setitem(app_ctx.config, "SECRET_KEY", "another server's key")
        assert tracking_codes.shown_tracking_code(held, "confirmation page", 60) != code


def test_held_codes_are_new_each_time_and_use_every_letter(app_ctx):
    with app_ctx.test_request_context("/"):
        codes = [tracking_codes.held_tracking_code("confirmation page")[0] for _ in range(2000)]
    assert len(set(codes)) == 2000
    letters = "".join(codes).replace("-", "")
    assert set(letters) == set("23456789ABCDEFGHJKLMNPQRSTUVWXYZ")
