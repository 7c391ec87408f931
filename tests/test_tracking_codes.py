"""Tracking codes are stored as a keyed hash (HMAC-SHA256 with the server's tracking key): microseconds,
not the ~17 ms of a password hash on every submission; codes issued before, as argon2 hashes, still work."""

import os
import stat

from argon2 import PasswordHasher

from intranet import config
from intranet.complaints import operations
from intranet.complaints.lifecycle import State
from intranet.core.extensions import db
from tests import factories


def test_a_new_code_is_stored_as_a_keyed_hash_and_checks(world):
    complaint = factories.make_complaint(world, State.submitted)
    assert complaint.tracking_code_hash.startswith("hmac-sha256$")
    assert len(complaint.tracking_code_hash) == len("hmac-sha256$") + 64
    assert complaint.tracking_code not in complaint.tracking_code_hash
    assert operations.check_tracking_code(complaint, complaint.tracking_code)
    assert operations.check_tracking_code(complaint, complaint.tracking_code.lower().replace("-", " "))
    assert not operations.check_tracking_code(complaint, "ABCDE-FGHJK")
    assert not operations.check_tracking_code(None, complaint.tracking_code)


def test_the_code_is_compared_in_constant_time_whether_right_wrong_or_unknown(world, monkeypatch):
    """The same work for every answer: one compare_digest of two hashes of the same length, never `==` that
    stops at the first differing character, and a hash computed for an unknown reference too."""
    complaint = factories.make_complaint(world, State.submitted)
    compared = []

    def compare_digest(a, b):
        compared.append((len(a), len(b)))
        return a == b

    monkeypatch.setattr(operations.hmac, "compare_digest", compare_digest)
    answers = [operations.check_tracking_code(complaint, complaint.tracking_code),
               operations.check_tracking_code(complaint, "ABCDE-FGHJK"),
               operations.check_tracking_code(None, complaint.tracking_code)]
    assert answers == [True, False, False]
    assert compared == [(76, 76), (76, 76), (76, 76)]


def test_the_hash_depends_on_the_key(app_ctx):
    first = operations.hash_tracking_code("ABCDE-23456")
    app_ctx.config["TRACKING_KEY"] = "another key"
    try:
        assert operations.hash_tracking_code("ABCDE-23456") != first
    finally:
        app_ctx.config["TRACKING_KEY"] = "testing-tracking-key"


def test_a_code_issued_before_keyed_hashes_still_works(world):
    complaint = factories.make_complaint(world, State.submitted)
    complaint.tracking_code_hash = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1).hash("QRSTU-VWXYZ")
    db.session.commit()
    assert operations.check_tracking_code(complaint, "qrstu vwxyz")
    assert not operations.check_tracking_code(complaint, "QRSTU-VWXY2")


def test_the_key_is_generated_once_into_the_instance_folder_unless_given(tmp_path, monkeypatch):
    monkeypatch.delenv("REDRESS_TRACKING_KEY", raising=False)
    key = config.instance_key(str(tmp_path), "tracking.key", "REDRESS_TRACKING_KEY")
    assert len(key) == 64
    assert config.instance_key(str(tmp_path), "tracking.key", "REDRESS_TRACKING_KEY") == key  # kept
    assert stat.S_IMODE(os.stat(tmp_path / "tracking.key").st_mode) == 0o600
    monkeypatch.setenv("REDRESS_TRACKING_KEY", "from the environment")
    assert config.instance_key(str(tmp_path), "tracking.key", "REDRESS_TRACKING_KEY") == "from the environment"
