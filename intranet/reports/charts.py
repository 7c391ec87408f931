"""Charts as server-rendered SVG: the geometry here, the markup in templates/reports/_charts.html.

No script and no inline style (the CSP allows neither), so the charts print as they show; each has a
title and its figures as a table beside it, for screen readers and for whoever reads the paper.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass
class Bar:
    label: str
    value: float
    shown: str
    x: float = 0
    y: float = 0
    width: float = 0
    height: float = 0


@dataclass
class BarChart:
    """Horizontal bars, one per row (categories, departments, channels)."""

    title: str
    bars: list[Bar]
    label_width: int = 190
    bar_area: int = 310
    row_height: int = 22
    width: int = 540
    height: int = 0
    ticks: list[tuple[float, str]] = field(default_factory=list)

    @classmethod
    def of(cls, title: str, rows: list[tuple[str, float]]) -> BarChart:
        chart = cls(title, [Bar(label, value, f"{value:g}") for label, value in rows])
        top, step = _axis(max((b.value for b in chart.bars), default=0))
        chart.height = 24 + chart.row_height * len(chart.bars)
        for i, bar in enumerate(chart.bars):
            bar.x = chart.label_width
            bar.y = 4 + i * chart.row_height
            bar.height = chart.row_height - 6
            bar.width = chart.bar_area * bar.value / top if top else 0
        chart.ticks = [(chart.label_width + chart.bar_area * v / top, f"{v:g}") for v in _steps(top, step)]
        return chart


@dataclass
class Column:
    label: str
    value: float
    x: float = 0
    y: float = 0
    width: float = 0
    height: float = 0


@dataclass
class Series:
    key: str  # the measure it draws
    name: str
    style: str  # a class: solid, dashed, dotted (told apart in black and white too)
    points: str = ""
    dots: list[tuple[float, float, str]] = field(default_factory=list)


@dataclass
class TrendChart:
    """Twelve months: complaints received as columns, the rates as lines on a 0–100 % scale."""

    title: str
    columns: list[Column]
    series: list[Series]
    width: int = 540
    height: int = 220
    left: int = 40
    bottom: int = 190
    right: int = 40  # room for the rates' scale
    top_value: float = 0
    ticks: list[tuple[float, str]] = field(default_factory=list)
    rate_ticks: list[tuple[float, str]] = field(default_factory=list)

    @classmethod
    def of(cls, title: str, months: list[tuple[str, float]],
           rates: list[tuple[str, str, str, list[float | None]]]) -> TrendChart:
        """`months`: (axis label, complaints received); `rates`: (measure, name, line style, % per month)."""
        chart = cls(title, [Column(label, value) for label, value in months], [])
        plot_height, slot = chart.bottom - 10, (chart.width - chart.left - chart.right) / max(len(months), 1)
        chart.top_value, step = _axis(max((c.value for c in chart.columns), default=0))
        for i, column in enumerate(chart.columns):
            column.width = slot * 0.6
            column.x = chart.left + i * slot + slot * 0.2
            column.height = plot_height * column.value / chart.top_value if chart.top_value else 0
            column.y = chart.bottom - column.height
        for key, name, style, values in rates:
            series = Series(key, name, style)
            points = []
            for i, value in enumerate(values):
                if value is None:
                    continue
                x, y = chart.left + i * slot + slot / 2, chart.bottom - plot_height * value / 100
                points.append(f"{x:.1f},{y:.1f}")
                series.dots.append((round(x, 1), round(y, 1), f"{value:.0f} %"))
            series.points = " ".join(points)
            chart.series.append(series)
        chart.ticks = [(chart.bottom - plot_height * v / chart.top_value, f"{v:g}")
                       for v in _steps(chart.top_value, step)]
        chart.rate_ticks = [(chart.bottom - plot_height * v / 100, f"{v} %") for v in (0, 50, 100)]
        return chart


def _axis(value: float) -> tuple[float, float]:
    """The axis' end and its step for counts up to `value`: a whole step of 1, 2 or 5 times a power of ten,
    about four of them (an empty chart still gets an axis of 0–4)."""
    rough = max(value, 4) / 4
    power = 10 ** math.floor(math.log10(rough))
    step = next(s * power for s in (1, 2, 5, 10) if rough <= s * power)
    return step * math.ceil(max(value, 4) / step), step


def _steps(top: float, step: float) -> list[float]:
    return [i * step for i in range(int(round(top / step)) + 1)]
