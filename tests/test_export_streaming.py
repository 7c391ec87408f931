"""The complaint exports stream: a long list is read a batch at a time and let go of (memory does not grow
with the rows), and the workbook's first bytes go before its rows are all read. The workbook written part by
part holds what openpyxl's did: the same values, of the same types."""

from __future__ import annotations

import csv
import hashlib
import io
import tracemalloc
import zipfile
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, insert, select

from intranet.complaints.identity_views import IdentityView
from intranet.complaints.lifecycle import State
from intranet.complaints.models import Complaint
from intranet.core.extensions import db
from intranet.reports import exports
from tests import factories
from tests.conftest import login


def _copies(world, count: int, year: int = 2099) -> Complaint:
    """`count` complaints: one made through the real registration, the rest its copies written straight in
    (each with its own reference, a minute apart), as a long history is."""
    first = factories.make_complaint(world, State.registered, complainant_name="王芳")
    table = Complaint.__table__
    row = dict(db.session.execute(select(table).where(table.c.id == first.id)).mappings().one())
    del row["id"]
    db.session.execute(insert(table), [
        {**row, "reference": f"TS-{year}-{n:06d}", "received_at": row["received_at"] + timedelta(minutes=n)}
        for n in range(1, count)])
    db.session.commit()
    return first


def _consume_csv(client) -> tuple[int, int]:
    """The rows of the whole-history CSV, read to the end as a download is; and the most memory Python
    held while it was written (tracemalloc's peak, above what it held before)."""
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        response = client.get("/reports/complaints.csv", buffered=False)
        lines = sum(chunk.count(b"\n") for chunk in response.response)
        response.close()
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    return lines, peak


def test_a_long_export_holds_a_batch_of_complaints_not_all_of_them(world, client, monkeypatch):
    monkeypatch.setattr(exports, "BATCH", 50)
    _copies(world, 200)
    login(client, world.leadership)
    lines, small = _consume_csv(client)
    assert lines == 1 + 200
    _copies(world, 1800, 2098)
    lines, large = _consume_csv(client)
    assert lines == 1 + 2000
    # Ten times the complaints, about the same memory: a batch's worth, and 8 bytes a complaint for the log of
    # whose identity it showed. Holding every complaint (as the export did) took about 4 MB more here.
    assert large - small < 1_500_000, (small, large)
    # Every complaint whose complainant it named is logged as a view, once, after each export.
    views = db.session.scalar(select(func.count()).select_from(IdentityView)
                              .where(IdentityView.user_id == world.leadership.id))
    assert views == 200 + 2000


def test_the_batches_give_every_complaint_once_in_order_of_receipt(world, client, monkeypatch):
    monkeypatch.setattr(exports, "BATCH", 7)
    first = _copies(world, 30)
    # Two received at the same moment: the id decides, across the edge of a batch as within it.
    db.session.execute(Complaint.__table__.update().where(Complaint.reference == "TS-2099-000007")
                       .values(received_at=first.received_at + timedelta(minutes=6)))
    db.session.commit()
    login(client, world.leadership)
    rows = list(csv.reader(io.StringIO(client.get("/reports/complaints.csv").data.decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == [first.reference, *(f"TS-2099-{n:06d}" for n in range(1, 30))]


def test_the_workbook_starts_before_its_rows_are_all_read():
    consumed = 0

    def rows():
        nonlocal consumed
        for n in range(20_000):
            consumed += 1
            # Text that compresses little, as free text does, so the compressed bytes build up.
            yield [n, hashlib.sha256(str(n).encode()).hexdigest()]

    chunks = exports.xlsx_chunks([("Complaints", ["No.", "Text"], rows(), [8, 70])])
    first = next(chunks)
    assert first.startswith(b"PK\x03\x04") and consumed < 20_000
    rest = b"".join(chunks)
    assert consumed == 20_000
    book = load_workbook(io.BytesIO(first + rest), read_only=True)
    values = list(book["Complaints"].iter_rows(values_only=True))
    assert len(values) == 1 + 20_000 and values[-1] == (19_999, hashlib.sha256(b"19999").hexdigest())


def test_the_complaint_workbook_is_streamed(world, client):
    factories.make_complaint(world, State.registered)
    login(client, world.leadership)
    response = client.get("/reports/complaints.xlsx?lang=en", buffered=False)
    assert response.is_streamed
    data = b"".join(response.response)
    response.close()
    assert zipfile.ZipFile(io.BytesIO(data)).testzip() is None
    sheet = load_workbook(io.BytesIO(data))["Complaints"]
    assert sheet.column_dimensions["A"].width == 16  # the reference's fixed width, declared before the rows
    assert [c.value for c in sheet[1]][:3] == ["Reference", "Received", "Channel"]


# What openpyxl's write-only workbook held (read back with load_workbook), cell by cell: the new writer
# writes the same.
CELLS = [
    ("TS-2026-000001", "TS-2026-000001", "s"),
    (datetime(2025, 3, 4, 9, 30), datetime(2025, 3, 4, 9, 30), "d"),
    (date(2025, 3, 5), datetime(2025, 3, 5), "d"),
    (True, True, "b"),
    (False, False, "b"),
    (3, 3, "n"),
    (66.7, 66.7, "n"),
    (Decimal("5380.00"), 5380, "n"),
    (Decimal("12.34"), 12.34, "n"),
    ("  候诊三小时", "  候诊三小时", "s"),
    ("a < b & c > d", "a < b & c > d", "s"),
    ("=SUM(A1)", "'=SUM(A1)", "s"),
    ("\uff1d1+1", "'\uff1d1+1", "s"),
    ("第一行\n第二行", "第一行\n第二行", "s"),
]


@pytest.mark.parametrize(("value", "read", "kind"), CELLS, ids=repr)
def test_a_cell_reads_back_as_openpyxl_wrote_it(value, read, kind):
    book = load_workbook(io.BytesIO(exports.xlsx_bytes([("T", ["Header"], [[value]])])))
    cell = book["T"]["A2"]
    assert cell.value == read and cell.data_type == kind
    if kind == "d":
        assert cell.number_format == ("yyyy-mm-dd h:mm:ss" if isinstance(value, datetime) else "yyyy-mm-dd")


def test_empty_cells_and_rows_stay_empty_and_sheets_keep_their_order():
    data = exports.xlsx_bytes([("KPIs", ["Measure", "2026-09"], [["Received", 7], [], ["Closed", None]]),
                               ("As of", ["September 2026"], [["As of 20 October 2026"]])])
    assert zipfile.ZipFile(io.BytesIO(data)).testzip() is None
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["KPIs", "As of"]
    assert [list(r) for r in book["KPIs"].iter_rows(values_only=True)] == [
        ["Measure", "2026-09"], ["Received", 7], [None, None], ["Closed", None]]
    # Widths from the longest cell of a table already in hand; a Chinese character counts two.
    assert book["KPIs"].column_dimensions["A"].width == 10
    assert book["As of"].column_dimensions["A"].width == 23
    wide = load_workbook(io.BytesIO(exports.xlsx_bytes([("T", ["投诉编号"], [])])))
    assert wide["T"].column_dimensions["A"].width == 10


def test_characters_xml_cannot_hold_are_dropped_not_a_broken_file():
    book = load_workbook(io.BytesIO(exports.xlsx_bytes([("T", ["Header"], [["bell\x07 here"]])])))
    assert book["T"]["A2"].value == "bell here"
