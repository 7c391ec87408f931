"""Phone numbers as people write them: a Chinese mobile, a landline with its area code (and an extension),
+86 or 0086 before either, or another country's number after a +. Full-width digits count as ordinary
ones. What cannot be called (letters, a single digit, too few or too many digits) is refused."""

from __future__ import annotations

import re
import unicodedata

# An extension after the number: 转 802, 分机 802, ext. 802, x802, #802.
EXTENSION = re.compile(r"\s*(?:转|分机|ext\.?|x|#)\s*\d{1,6}$", re.IGNORECASE)
# Digits with the usual separators, and a + only at the start.
WRITTEN = re.compile(r"^\+?[\d\s().-]+$")
MOBILE = re.compile(r"^1[3-9]\d{9}$")
# The trunk 0, an area code (010 and 02x of two digits, the others of three), a local number of 7–8 digits.
LANDLINE = re.compile(r"^0(?:10|2\d|[3-9]\d{2})[2-9]\d{6,7}$")
# E.164: at most 15 digits with the country code; fewer than 8 is no one's whole number.
INTERNATIONAL_DIGITS = range(8, 16)


def normalised(value: str | None) -> str | None:
    """Full-width digits, + and spaces as ordinary ones, and no space around."""
    return unicodedata.normalize("NFKC", value).strip() if value else value


def _chinese(national: str) -> bool:
    return bool(MOBILE.match(national) or LANDLINE.match(national))


def is_phone_number(value: str) -> bool:
    written = EXTENSION.sub("", normalised(value) or "")
    if not WRITTEN.match(written):
        return False
    digits = re.sub(r"\D", "", written)
    if written.startswith("+") or digits.startswith("00"):
        digits = digits.removeprefix("00")
        if digits.startswith("86"):
            national = digits[2:]  # a landline is written after +86 without its trunk 0
            return _chinese(national) or _chinese("0" + national)
        return len(digits) in INTERNATIONAL_DIGITS
    if digits.startswith("86") and len(digits) == 13:
        return _chinese(digits[2:])
    return _chinese(digits)
