"""Search finds complaints by Chinese words of two characters or more, phones however they are written,
references by number and any text typed literally; it filters, pages, and never shows what the searcher
may not see. The index is written in the same transaction as every change."""

import re
from datetime import date, datetime, time, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from intranet.complaints import operations, search
from intranet.complaints.lifecycle import Action, State
from intranet.complaints.search import search as find
from intranet.complaints.search import search_count
from intranet.core.extensions import db
from intranet.core.time import hospital_tz
from tests import factories
from tests.conftest import login

pytest_plugins = ["tests.browser"]

RESULTS = {"HX-Request": "true", "HX-Target": "search-results"}


def complaint(world, what, state=State.registered, **data):
    return factories.make_complaint(world, state, what_happened=what, **data)


def found(user, query, **filters) -> list[str]:
    return sorted(c.what_happened for c in find(user, query, limit=100, filters=filters))


def rows(html: str) -> list[str]:
    return re.findall(r'<tr id="row-([^"]+)"', html)


@pytest.fixture
def texts(world):
    return {
        "attitude": complaint(world, "护士态度很差，收费也不清楚。"),
        "emergency": complaint(world, "急诊候诊时间太长，没有人解释。"),
        "parking": complaint(world, "停车收费太贵。"),
        "ct": complaint(world, "做CT检查等了两天，Doctor Chen 没有回电。"),
    }


@pytest.mark.parametrize(("query", "expected"), [
    ("态度", ["护士态度很差，收费也不清楚。"]),
    ("收费", ["停车收费太贵。", "护士态度很差，收费也不清楚。"]),
    ("急诊", ["急诊候诊时间太长，没有人解释。"]),
    ("候诊时", ["急诊候诊时间太长，没有人解释。"]),  # three characters
    ("候诊时间", ["急诊候诊时间太长，没有人解释。"]),  # four
    ("护士态度很差", ["护士态度很差，收费也不清楚。"]),
    ("态度差", []),  # the pairs must follow each other: 态度很差 is not 态度差
    ("收费 停车", ["停车收费太贵。"]),  # every word
    ("费", ["停车收费太贵。", "护士态度很差，收费也不清楚。"]),  # one character: a scan
    ("住院", []),
])
def test_chinese_words_of_two_characters_or_more(world, texts, query, expected):
    assert found(world.reception, query) == expected


@pytest.mark.parametrize("query", ["CT检查", "ct", "ＣＴ检查", "CT", "doctor chen", "Chen", "CT 两天"])
def test_mixed_chinese_and_english(world, texts, query):
    assert found(world.reception, query) == ["做CT检查等了两天，Doctor Chen 没有回电。"]


@pytest.mark.parametrize("query", ["MRI检查", "Doctor Wang"])
def test_mixed_chinese_and_english_that_is_not_there(world, texts, query):
    assert found(world.reception, query) == []


@pytest.mark.parametrize("stored", ["13800138000", "138 0013 8000", "+86 138-0013-8000"])
@pytest.mark.parametrize("query", ["13800138000", "138 0013 8000", "138-0013-8000", "+86 138 0013 8000",
                                   "8613800138000", "1380013"])
def test_a_phone_whatever_the_spacing_dashes_and_country_code(world, stored, query):
    complaint(world, "电话投诉。", complainant_phone=stored)
    complaint(world, "另一位。", complainant_phone="13912345678")
    assert found(world.reception, query) == ["电话投诉。"]


# A landline is found without its area code, and with it however written (the trunk 0 or +86 instead).
@pytest.mark.parametrize("stored", ["(0571) 8765-4321", "0571-87654321", "057187654321", "+86 571 8765 4321",
                                    "0571 8765 4321 转 802"])
@pytest.mark.parametrize("query", ["87654321", "8765-4321", "8765 4321", "0571-8765-4321", "057187654321",
                                   "(0571) 87654321", "+86 571 8765 4321", "+86-571-87654321"])
def test_a_landline_with_or_without_its_area_code(world, stored, query):
    complaint(world, "座机投诉。", complainant_phone=stored)
    complaint(world, "另一部座机。", complainant_phone="(0571) 8765-4329")
    complaint(world, "手机。", complainant_phone="13987654321")
    assert found(world.reception, query) == ["座机投诉。"]


@pytest.mark.parametrize(("stored", "query"), [
    ("(010) 6552-8888", "65528888"), ("(010) 6552-8888", "6552-8888"), ("(010) 6552-8888", "010-6552-8888"),
    ("(010) 6552-8888", "01065528888"), ("(010) 6552-8888", "+86 10 6552 8888"),
    ("021-2012-3456", "2012-3456"),  # like a reference without its prefix, and a phone number too
    ("021-2012-3456", "20123456"),
])
def test_a_landline_of_a_three_digit_area_code(world, stored, query):
    complaint(world, "三位区号的座机。", complainant_phone=stored)
    complaint(world, "手机。", complainant_phone="13965528888")  # the same last eight digits: no landline
    assert found(world.reception, query) == ["三位区号的座机。"]


@pytest.mark.parametrize("typed", ["12", "000012", "ts-2026-000012", "TS-2026-000012", "ts-2026-12",
                                   "TS-2026-012", "Ts-2026-12", "2026-000012", "2026-12", "ts2026-12"])
def test_a_reference_however_it_is_typed(world, typed):
    for n in range(1, 13):
        complaint(world, f"第{n}件。")
    assert found(world.reception, typed) == ["第12件。"]


def test_a_reference_by_its_number_alone(world):
    first = complaint(world, "第一件。")
    for n in range(2, 13):
        complaint(world, f"第{n}件。")
    assert first.reference.endswith("-000001")
    year = first.reference.split("-")[1]
    assert found(world.reception, "12") == ["第12件。"]
    assert found(world.reception, "000012") == ["第12件。"]
    assert found(world.reception, f"ts-{year}-000012") == ["第12件。"]
    assert found(world.reception, f"TS-{year}-000001") == ["第一件。"]


LITERAL = "账单写着 100% 自费_项目，\"特需\" *号 NEAR(门诊) a-b OR c 'x' \\ (括号) {c}:^"


@pytest.mark.parametrize("query", ['%', '_', '"', '*', 'NEAR(', 'NEAR', '-', 'OR', "'", '\\', '(', ')', '{', '}',
                                   ':', '^', '100%', '自费_项目', '"特需"', '*号', 'a-b', 'OR c', '"OR"',
                                   'NEAR(门诊)', 'AND', 'NOT', '+', '(括号)'])
def test_syntax_characters_are_searched_as_text(world, client, query):
    complaint(world, LITERAL)
    complaint(world, "普通的投诉，没有符号")
    if query not in ("AND", "NOT", "+"):
        assert found(world.reception, query) == [LITERAL]
    else:  # not in the text: they find nothing, and are no error either
        assert found(world.reception, query) == []
    login(client, world.reception)
    response = client.get("/search", query_string={"q": query})
    assert response.status_code == 200


def test_a_single_character_is_looked_for_only_among_the_complaints_logged_last(world, client, monkeypatch):
    """The index cannot look up one character, so it is a scan: bounded to the newest SCAN_WINDOW complaints
    (here 2), in the text and in the names, and the page says so; two characters search everything."""
    complaint(world, "停车收费太贵。", complainant_name="黄先生")
    complaint(world, "收费不清楚。", complainant_name="王女士")
    complaint(world, "挂号收费出错。", complainant_name="李女士")
    assert found(world.reception, "黄") == ["停车收费太贵。"]  # a one-character surname, with the window wide

    monkeypatch.setattr(search, "SCAN_WINDOW", 2)
    assert found(world.reception, "费") == ["挂号收费出错。", "收费不清楚。"]
    assert found(world.reception, "黄") == []
    assert found(world.reception, "收费") == ["停车收费太贵。", "挂号收费出错。", "收费不清楚。"]

    login(client, world.reception)
    html = client.get("/search", query_string={"q": "费", "lang": "en"}).get_data(as_text=True)
    assert ("A single character is looked for among the 2 complaints logged last: type two characters or more to "
            "search them all.") in html
    html = client.get("/search", query_string={"q": "收费", "lang": "en"}).get_data(as_text=True)
    assert "A single character" not in html


def test_a_head_searches_only_their_department(world, client):
    ours = complaint(world, "护士态度冷淡。", State.investigating)
    theirs = complaint(world, "护士态度冷淡。", State.registered)
    operations.perform(world.reception, Action.assign, theirs, {"department_id": world.nursing.id}, theirs.version)
    db.session.commit()
    unassigned = complaint(world, "护士态度冷淡。")

    assert [c.reference for c in find(world.head, "态度", limit=10)] == [ours.reference]
    assert search_count(world.head, "态度") == 1
    assert [c.reference for c in find(world.other_head, "态度", limit=10)] == [theirs.reference]
    assert search_count(world.reception, "态度") == 3
    login(client, world.head)
    html = client.get("/search", query_string={"q": "态度", "lang": "en"}).get_data(as_text=True)
    assert rows(html) == [ours.reference]
    assert "Complaints found: 1" in html
    for reference in (theirs.reference, unassigned.reference):
        assert reference not in html
    # Filtering by another department shows nothing of it either.
    html = client.get("/search", query_string={"department_id": world.nursing.id, "lang": "en"}).get_data(as_text=True)
    assert rows(html) == [] and "No complaint matches these filters." in html


@pytest.mark.parametrize(("person", "sees"), [("reception", True), ("leadership", True), ("head", False)])
@pytest.mark.parametrize("query", ["李秘书", "李秘", "13912345678", "139 1234 5678", "li@example.com", "李"])
def test_a_confidential_complainant_is_found_by_identity_only_by_those_who_may_see_it(world, person, sees, query):
    complaint(world, "投诉检查结果出错。", State.investigating, confidential=True, complainant_name="李秘书",
              complainant_phone="13912345678", complainant_email="li@example.com")
    assert found(world.user(person), query) == (["投诉检查结果出错。"] if sees else [])
    assert search_count(world.user(person), query) == (1 if sees else 0)


def test_a_head_finds_a_complainant_who_did_not_ask_for_confidentiality(world):
    complaint(world, "投诉检查结果出错。", State.investigating, complainant_name="张先生",
              complainant_phone="13912345678")
    assert found(world.head, "张先生") == ["投诉检查结果出错。"]
    assert found(world.head, "139-1234-5678") == ["投诉检查结果出错。"]


# What a head finds of a confidential complainant, by what was disclosed and by who the complainant is:
# (relation, disclosed columns) → (name, phone, patient's name, record number) found.
HEAD_FINDS = [
    ("family", (), (False, False, True, True)),
    ("patient", (), (False, False, False, False)),
    ("patient", ("disclosed_name",), (True, False, False, False)),
    ("patient", ("disclosed_contact",), (False, True, False, False)),
    ("patient", ("disclosed_patient",), (False, False, True, True)),
    ("patient", ("disclosed_name", "disclosed_contact", "disclosed_patient"), (True, True, True, True)),
    (None, (), (False, False, True, True)),
]


@pytest.mark.parametrize(("relation", "disclosed", "finds"), HEAD_FINDS)
def test_what_a_head_finds_of_a_confidential_complainant(world, relation, disclosed, finds):
    c = complaint(world, "投诉检查结果出错。", State.investigating, confidential=True, complainant_name="李秘书",
                  complainant_phone="13912345678", complainant_relation=relation, patient_name="王病人",
                  patient_record_number="MRN778899")
    if disclosed:
        operations.perform(world.reception, Action.disclose_identity, c,
                           {**dict.fromkeys(disclosed, True), "reason": "科室需要联系。", "consent_via": "phone",
                            "consented": True}, c.version)
        db.session.commit()
    queries = ("李秘书", "139 1234 5678", "王病人", "MRN778899")
    assert tuple(found(world.head, q) == ["投诉检查结果出错。"] for q in queries) == finds
    # Reception finds every one of them.
    assert all(found(world.reception, q) == ["投诉检查结果出错。"] for q in queries)


def test_a_disclosure_opens_the_search_to_the_head_in_its_transaction(world):
    c = complaint(world, "投诉检查结果出错。", State.investigating, confidential=True, complainant_name="李秘书",
                  complainant_phone="+86 139 1234 5678")
    assert found(world.head, "李秘书") == [] and found(world.head, "13912345678") == []
    operations.perform(world.reception, Action.disclose_identity, c,
                       {"disclosed_contact": True, "reason": "科室需要回电。", "consent_via": "phone",
                        "consented": True}, c.version)
    assert found(world.head, "13912345678") == ["投诉检查结果出错。"]
    assert found(world.head, "+86 139-1234-5678") == ["投诉检查结果出错。"]
    assert found(world.head, "李秘书") == []
    db.session.rollback()
    assert found(world.head, "13912345678") == []


def test_the_index_follows_each_action_in_its_transaction(world):
    c = complaint(world, "等候时间过长。", State.investigating)
    assert found(world.head, "排班") == []
    operations.perform(world.head, Action.record_findings, c,
                       {**factories.action_data(Action.record_findings, world, c), "findings": "当天排班人手不足。"},
                       c.version)
    db.session.commit()
    assert found(world.head, "排班") == ["等候时间过长。"]
    operations.perform(world.reception, Action.note, c, {"text": "家属再次来电询问。"}, c.version)
    # Seen in the same transaction, before the commit...
    assert found(world.reception, "再次来电") == ["等候时间过长。"]
    db.session.rollback()
    # ...and gone with it when it is rolled back.
    assert found(world.reception, "再次来电") == []
    operations.perform(world.reception, Action.note, c, {"text": "家属再次来电询问。"}, c.version)
    db.session.commit()
    assert found(world.reception, "再次来电") == ["等候时间过长。"]


def stored_index() -> list[tuple]:
    key = "rowid" if db.engine.dialect.name == "sqlite" else "complaint_id"
    columns = ", ".join(search.COLUMNS)
    return [tuple(r) for r in db.session.execute(text(f"SELECT {key}, {columns} FROM {search.TABLE} ORDER BY {key}"))]


@pytest.mark.parametrize("state", [State.closed, State.not_accepted, State.withdrawn, State.awaiting_approval])
def test_after_every_step_the_index_is_what_a_rebuild_writes(world, state):
    factories.make_complaint(world, state, what_happened="医生态度生硬。")
    kept = stored_index()
    assert len(kept) == 1
    search.rebuild()
    assert stored_index() == kept


def test_the_rebuild_command(world, app_ctx):
    complaint(world, "挂号收费错误。")
    db.session.execute(text(f"DELETE FROM {search.TABLE}"))
    db.session.commit()
    assert found(world.reception, "挂号") == []
    result = CliRunner().invoke(app_ctx.cli, ["search", "rebuild"], obj=None)
    assert result.exit_code == 0, result.output
    assert "1 complaints indexed" in result.output
    db.session.expire_all()
    assert found(world.reception, "挂号") == ["挂号收费错误。"]


def test_a_rebuild_takes_the_statistics_of_the_index_again_where_analyze_took_them(world, app_ctx):
    """SQLite: ANALYZE run while the index was small told the planner its tables hold a row or two, and
    FTS5's merges after each write then scanned them whole; the rebuild leaves statistics of the index as
    written, under which FTS5 finds its segments by rowid."""
    if db.session.get_bind().dialect.name != "sqlite":
        pytest.skip("SQLite's planner statistics")
    for what in ("挂号收费错误。", "病房没有热水。", "医生态度生硬。"):
        complaint(world, what)
    db.session.execute(text(f"DELETE FROM {search.TABLE}"))
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    try:
        search.rebuild()
        db.session.commit()
        stat = db.session.scalar(text("SELECT stat FROM sqlite_stat1 WHERE tbl = 'complaint_search_docsize'"))
        assert stat == "3"
        assert found(world.reception, "挂号") == ["挂号收费错误。"]
    finally:
        # The run's one database keeps no statistics of these few rows: the plans other tests read are those
        # of a database never analysed.
        db.session.rollback()
        db.session.execute(text("DROP TABLE IF EXISTS sqlite_stat1"))
        db.session.execute(text("DROP TABLE IF EXISTS sqlite_stat4"))
        db.session.commit()
        db.session.close()
        db.engine.dispose()  # a connection keeps the statistics it loaded: new ones read none


# --- filters -----------------------------------------------------------------------------------------------


@pytest.fixture
def spread(world):
    """Known complaints to filter: states, a department, a date, an overdue and an escalated one."""
    made = {
        "registered": complaint(world, "投诉一：挂号。"),
        "investigating": complaint(world, "投诉二：病房。", State.investigating),
        "closed": complaint(world, "投诉三：收费。", State.closed),
        "letter": complaint(world, "投诉四：来信。"),
    }
    made["letter"].channel = "letter"
    made["letter"].wants_written_reply = True  # 书面投诉书面答复
    made["letter"].received_at = datetime.combine(date(2026, 3, 2), time(9), tzinfo=hospital_tz())
    made["investigating"].response_due_on = date(2026, 1, 5)  # long past
    db.session.commit()
    operations.perform(world.reception, Action.escalate, made["registered"],
                       factories.action_data(Action.escalate, world, made["registered"]), made["registered"].version)
    db.session.commit()
    return made


@pytest.mark.parametrize(("args", "expected"), [
    ({"state": "investigating"}, ["投诉二：病房。"]),
    ({"state": "closed", "q": "收费"}, ["投诉三：收费。"]),
    ({"department_id": "cardiology"}, ["投诉三：收费。", "投诉二：病房。"]),
    ({"channel": "letter"}, ["投诉四：来信。"]),
    ({"received_from": "2026-03-01", "received_to": "2026-03-02"}, ["投诉四：来信。"]),
    ({"received_to": "2026-03-01"}, []),
    ({"overdue": "y"}, ["投诉二：病房。"]),
    ({"clock": "response", "overdue": "y"}, ["投诉二：病房。"]),
    ({"clock": "follow_up"}, []),
    ({"escalated": "y"}, ["投诉一：挂号。"]),
    ({"escalated": "y", "q": "病房"}, []),
])
def test_filters(world, client, spread, args, expected):
    if args.get("department_id") == "cardiology":
        args = {**args, "department_id": world.cardiology.id}
    login(client, world.leadership)
    response = client.get("/search", query_string=args)
    assert response.status_code == 200
    by_reference = {c.reference: c.what_happened for c in spread.values()}
    assert sorted(by_reference[r] for r in rows(response.get_data(as_text=True))) == expected


@pytest.mark.parametrize(("args", "message"), [
    ({"state": "lost"}, "Not a valid choice"),
    ({"severity": "huge"}, "Not a valid choice"),
    ({"clock": "sundial"}, "Not a valid choice"),
    ({"department_id": "cardiology"}, "Not a valid choice"),
    ({"category_id": "99999999999999999999"}, "Not a valid choice"),
    ({"department_id": "424242"}, "Not a valid choice"),
    ({"received_from": "2026-02-30"}, "Not a valid date value"),
    ({"received_from": "2026-03-05", "received_to": "2026-03-01"}, "“Received until” cannot be before"),
    ({"q": "态" * 201}, "Enter 200 characters or fewer: this has 201."),
])
def test_a_bad_filter_is_a_clear_message(world, client, args, message):
    login(client, world.reception)
    for headers in ({}, RESULTS):
        response = client.get("/search", query_string={**args, "lang": "en"}, headers=headers)
        assert response.status_code == 422
        html = response.get_data(as_text=True)
        assert "The search could not be run" in html and message in html


@pytest.mark.parametrize("page", ["0", "-1", "100001", "99999999999999999999"])
def test_a_page_out_of_range_is_not_found(world, client, page):
    login(client, world.reception)
    assert client.get("/search", query_string={"q": "x", "page": page}).status_code == 404


def test_results_are_paged_newest_first_and_the_url_keeps_the_search(world, client, app_ctx, monkeypatch):
    monkeypatch.setitem(app_ctx.config, "QUEUE_PAGE_SIZE", 2)
    made = [complaint(world, f"收费问题{n}。") for n in range(5)]
    for n, c in enumerate(made):
        c.received_at = datetime(2026, 3, 1, 9, tzinfo=hospital_tz()) + timedelta(days=n)
    db.session.commit()
    login(client, world.reception)
    html = client.get("/search", query_string={"q": "收费", "state": "registered", "lang": "en"}).get_data(as_text=True)
    assert rows(html) == [made[4].reference, made[3].reference]
    assert "Complaints found: 5" in html
    assert "/search?page=2&amp;q=%E6%94%B6%E8%B4%B9&amp;state=registered" in html
    page3 = client.get("/search", query_string={"q": "收费", "state": "registered", "page": 3, "lang": "en"})
    page3 = page3.get_data(as_text=True)
    assert rows(page3) == [made[0].reference]
    assert "Next page" not in page3 and "Previous page" in page3


def test_active_search_answers_with_the_results_block_only(world, client):
    c = complaint(world, "收费不合理。")
    login(client, world.reception)
    html = client.get("/search", query_string={"q": "收费"}, headers=RESULTS).get_data(as_text=True)
    assert html.lstrip().startswith('<section id="search-results"')
    assert rows(html) == [c.reference]
    assert "<form method=\"get\"" not in html
    page = client.get("/search", query_string={"q": "收费"}).get_data(as_text=True)
    assert 'hx-trigger="input changed delay:300ms, search, change"' in page and 'hx-push-url="true"' in page
    assert 'value="收费"' in page  # the form keeps what was typed


@pytest.mark.parametrize("query", ["态度很差", "CT检查", "ct检", "候诊时间"])
def test_the_search_page_finds_a_phrase_and_not_its_pairs_apart(world, client, query):
    """The page of one who sees everything reads a phrase's newest matches (on PostgreSQL, the rows holding
    every pair, then the pairs checked in order): a complaint with all the pairs, not side by side, is not one."""
    wanted = {"态度很差": "护士态度很差。", "CT检查": "做CT检查等了两天。", "ct检": "做CT检查等了两天。",
              "候诊时间": "急诊候诊时间太长。"}[query]
    near = {"态度很差": "态度还行，温度很高，饭很差。", "CT检查": "CT室说检查要等。", "ct检": "CT室说检查要等。",
            "候诊时间": "候诊很久，诊时说时间到了。"}[query]
    hit = complaint(world, wanted)
    complaint(world, near)
    complaint(world, "停车收费太贵。")
    login(client, world.reception)
    html = client.get("/search", query_string={"q": query}, headers=RESULTS).get_data(as_text=True)
    assert rows(html) == [hit.reference]


def test_the_staff_header_has_a_search_box(world, client):
    login(client, world.head)
    html = client.get("/queue").get_data(as_text=True)
    assert 'class="header-search"' in html and 'id="header-q"' in html


def test_the_public_has_no_search(client):
    assert client.get("/search", query_string={"q": "收费"}).status_code in (302, 401)


def test_a_common_word_is_counted_up_to_a_limit_and_paged_from_the_newest(world, client, app_ctx, monkeypatch):
    monkeypatch.setitem(app_ctx.config, "QUEUE_PAGE_SIZE", 2)
    monkeypatch.setattr(search, "COUNT_UP_TO", 3)
    made = [complaint(world, f"收费问题{n}。") for n in range(5)]
    complaint(world, "别的问题。")
    login(client, world.reception)
    pages = [client.get("/search", query_string={"q": "收费", "page": n, "lang": "en"}).get_data(as_text=True)
             for n in (1, 2, 3)]
    assert [rows(html) for html in pages] == [[made[4].reference, made[3].reference],
                                              [made[2].reference, made[1].reference], [made[0].reference]]
    assert "More than 3 complaints found" in pages[0]
    assert "Next page" in pages[1] and "Next page" not in pages[2]


@pytest.mark.browser
def test_active_search_in_a_browser_replaces_the_results_and_keeps_the_url(new_context, watch, world):
    from playwright.sync_api import expect

    from tests.browser import release

    fee = complaint(world, "门诊收费多收了二十元。")
    attitude = complaint(world, "护士态度冷淡。")
    fee_ref, attitude_ref = fee.reference, attitude.reference
    release()
    page = new_context().new_page()
    page.goto("/login")
    page.fill("#username", "reception")
    page.fill("#password", factories.PASSWORD)
    with page.expect_navigation():
        page.click("form button[type=submit]")
    page.goto("/search")
    page.evaluate("() => (window.__noReload = 1)")
    page.locator("#q").press_sequentially("收费")
    expect(page.locator("#search-results tr[id^=row-]")).to_have_count(1)
    expect(page.locator(f"#row-{fee_ref}")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/search\?q=%E6%94%B6%E8%B4%B9"))
    page.locator("#q").fill("态度")
    expect(page.locator(f"#row-{attitude_ref}")).to_be_visible()
    expect(page.locator(f"#row-{fee_ref}")).to_have_count(0)
    assert page.evaluate("() => window.__noReload") == 1, "the page was reloaded"
    # The header's box, from another page, is the same search.
    page.goto("/queue")
    page.fill("#header-q", "二十")
    with page.expect_navigation():
        page.press("#header-q", "Enter")
    expect(page.locator(f"#row-{fee_ref}")).to_be_visible()
    watch.check()


@pytest.mark.browser
@pytest.mark.parametrize("width", [1280, 360])
@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_the_header_search_box_shows_its_whole_placeholder(new_context, watch, world, locale, width):
    """Its placeholder typed into the box fits without scrolling: the box's own font and padding, and the
    room the browser keeps for a search box's clear button, all counted."""
    from tests.browser import release

    release()
    page = new_context(locale=locale, viewport={"width": width, "height": 800}).new_page()
    page.goto("/login")
    page.fill("#username", "reception")
    page.fill("#password", factories.PASSWORD)
    with page.expect_navigation():
        page.click("form button[type=submit]")
    box = page.locator("#header-q")
    placeholder = box.get_attribute("placeholder")
    assert placeholder
    box.fill(placeholder)
    assert box.evaluate("(el) => [el.scrollWidth, el.clientWidth]") == box.evaluate(
        "(el) => [el.clientWidth, el.clientWidth]"), placeholder
    watch.check()
