"""Amounts of money: kept in fen (分, an integer: no rounding in sums), typed and shown in yuan (元)."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

# Above this no remedy is plausible: a typo (a few zeros too many), refused beside the field.
MOST_FEN = 10_000_000 * 100

_YUAN = re.compile(r"^(\d{1,3}(,\d{3})+|\d+)(\.\d{1,2})?$")


class NotAnAmount(ValueError):
    """What is wrong with a typed amount, in words for the person who typed it."""


def parse_yuan(text: str | None) -> int | None:
    """Fen from yuan as typed ("5000", "5,000.50", "¥5000"); None if nothing was typed."""
    text = (text or "").strip().replace("¥", "").replace("￥", "").replace("，", ",").replace(" ", "")
    if not text:
        return None
    if text.startswith("-"):
        raise NotAnAmount(_l("An amount cannot be negative."))
    if not _YUAN.match(text):
        if re.match(r"^[\d,]+\.\d{3,}$", text):
            raise NotAnAmount(_l("Give the amount in yuan with at most two decimals (fen)."))
        raise NotAnAmount(_l("Give the amount in yuan, e.g. 5000 or 5,000.50."))
    whole, _dot, decimals = text.replace(",", "").partition(".")
    fen = int(whole) * 100 + int((decimals + "00")[:2])
    if fen > MOST_FEN:
        raise NotAnAmount(_l("An amount above ¥%(most)s is not plausible: check the figure.",
                             most=f"{MOST_FEN // 100:,}"))
    return fen


def yuan(fen: int | None) -> str:
    """¥5,000.00; an em dash for no amount."""
    if fen is None:
        return "—"
    return f"¥{fen // 100:,}.{fen % 100:02d}"


def plain_yuan(fen: int | None) -> str:
    """5000.00, for a form field or a spreadsheet cell."""
    return "" if fen is None else f"{fen // 100}.{fen % 100:02d}"
