"""The likely-duplicates comparison is bounded, however many recent complaints share the words: it reads their
words a batch at a time and keeps only the candidates it could show (tests/test_duplicates.py: what is shown)."""

from __future__ import annotations

from sqlalchemy import event

from intranet.complaints import duplicates, search
from intranet.complaints.lifecycle import State
from intranet.core.extensions import db
from tests import factories

WORDS = "急诊科护士态度恶劣，输液等了三个小时没人管。"


def test_a_wave_of_the_same_words_shows_the_newest_and_those_found_by_a_field_first(world):
    wave = [factories.make_complaint(world, State.registered, what_happened=WORDS,
                                     complainant_phone=f"1363333{n:04d}") for n in range(11)]
    ranked = duplicates.likely_duplicates(world.reception, phone="13633330002", what_happened=WORDS)
    # The one of the same phone too first (two reasons), then the newest seven of the others (one reason).
    assert [c.complaint.id for c in ranked] == [wave[2].id] + [c.id for c in wave[10:3:-1]]
    assert [c.reasons for c in ranked] == [("phone", "text")] + [("text",)] * 7


def test_the_words_are_read_a_batch_at_a_time(world, monkeypatch):
    monkeypatch.setattr(search, "CONTENTS_BATCH", 2)
    for n in range(3):
        factories.make_complaint(world, State.registered, what_happened=WORDS, complainant_phone=f"1390000000{n}")
    options = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if "complaint_search AS" in statement and "ORDER BY" in statement:
            options.append((context.execution_options.get("yield_per"),
                            context.execution_options.get("stream_results")))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert len(duplicates.likely_duplicates(world.reception, what_happened=WORDS)) == 3
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert options == [(2, True)]
