"""The monthly analysis in a real browser: its charts drawn, and printed by Chromium on A4 with no table or
chart cut across two pages (each one's first and last words land on the same page of the PDF)."""

from __future__ import annotations

import io
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from intranet.complaints import operations
from intranet.complaints.corrective import records as corrective
from intranet.complaints.corrective.steps import Step
from intranet.core.extensions import db
from intranet.core.time import clock_at
from tests import factories
from tests.browser import release
from tests.test_browser import log_in
from tests.test_kpis import september  # noqa: F401 (the fixture: a month worked out by hand)

pytest_plugins = ["tests.browser"]
pytestmark = pytest.mark.browser

BLOCKS = "#main table.report, #main figure.chart"


def _squash(text: str) -> str:  # PDF text comes back with line breaks and spaces of its own
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_monthly_analysis_prints_on_a4_without_cutting_a_table_or_chart(world, september, new_context,  # noqa: F811
                                                                             lang):
    # More departments and categories than the month has rows for, so the tables are long.
    for n in range(6):
        factories.make_complaint(world, "investigating", what_happened=f"候诊时间过长 {n}")
    username = world.leadership.username
    release()
    page = new_context(locale="zh-CN" if lang == "zh" else "en-US").new_page()
    log_in(page, username)
    page.goto(f"/reports/monthly/2026-09?lang={lang}")
    charts = page.locator("#main svg[role=img]")
    assert charts.count() == 4
    for i in range(charts.count()):  # drawn: each has a size and a title
        box = charts.nth(i).bounding_box()
        assert box and box["width"] > 200 and box["height"] > 50
        assert charts.nth(i).locator("title").text_content()
    # A marker in the first and the last cell of each table (a chart: its caption and its figures' last cell).
    blocks = page.evaluate("""selector => [...document.querySelectorAll(selector)].map((block, i) => {
        const cells = block.querySelectorAll("th, td, figcaption");
        for (const [cell, end] of [[cells[0], "S"], [cells[cells.length - 1], "E"]]) {
            const mark = document.createElement("span");
            mark.textContent = ` QQ${i}${end}QQ `;
            cell.append(mark);
        }
        return i;
    })""", BLOCKS)
    assert len(blocks) >= 10
    page.emulate_media(media="print")
    pdf = PdfReader(io.BytesIO(page.pdf(format="A4", print_background=True)))
    pages = [_squash(p.extract_text() or "") for p in pdf.pages]
    assert len(pages) >= 2
    for i in blocks:
        starts = [n for n, text in enumerate(pages) if f"QQ{i}SQQ" in text]
        ends = [n for n, text in enumerate(pages) if f"QQ{i}EQQ" in text]
        assert starts and starts == ends, f"block {i} starts on page {starts} and ends on page {ends}"


@pytest.mark.parametrize("path", ["/reports?period=2026-09", "/reports/monthly/2026-09", "/corrective?status=all"])
def test_no_horizontal_scrolling_at_360px(world, september, new_context, path):  # noqa: F811
    with clock_at(datetime(2026, 9, 25, 10, tzinfo=ZoneInfo("Asia/Shanghai"))):  # raised that month
        action = corrective.raise_action(world.reception, {
            "title": "门诊各诊区候诊超过三十分钟时由护士广播说明原因和预计等候时间",
            "owner_department_id": world.cardiology.id, "due_on": date(2026, 10, 30)}, complaints=[september["a"]])
        db.session.commit()
        operations.perform(world.head, Step.complete, action, {"evidence": "已执行。"}, action.version)
        db.session.commit()
    username = world.leadership.username
    release()
    page = new_context(locale="zh-CN", viewport={"width": 360, "height": 640}).new_page()
    log_in(page, username)
    page.goto(path)
    width = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert width[0] <= width[1], f"{path} scrolls sideways at 360px: {width}"
