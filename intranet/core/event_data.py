"""How a value is kept in an event's JSON data: dates as ISO text, a department by its code."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from .departments import Department


def jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Department):
        return value.code
    return value


def event_data(data: dict) -> dict:
    """An event's data as stored: JSON values, and nothing empty."""
    return {key: jsonable(value) for key, value in data.items() if value not in (None, "")}
