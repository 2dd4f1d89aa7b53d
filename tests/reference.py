"""Independent Python implementations of the domain checks (domain.md §3), the oracle for the SQL macros."""
from __future__ import annotations

import calendar
import re

ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
USCC = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def id18_check(body17: str) -> str:
    return "10X98765432"[sum(int(c) * w for c, w in zip(body17, ID_WEIGHTS)) % 11]


def id18_ok(s: str) -> bool:
    return bool(re.fullmatch(r"[0-9]{17}[0-9X]", s)) and id18_check(s[:17]) == s[17]


def id_ok(s: str) -> bool:
    return id18_ok(s) or bool(re.fullmatch(r"[0-9]{15}", s))


def upper18(s: str) -> str:
    if re.fullmatch(r"[0-9]{15}", s):
        body = s[:6] + "19" + s[6:]
        return body + id18_check(body)
    return s.strip().upper()


def uscc_ok(s: str) -> bool:
    if not re.fullmatch(r"[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}", s):
        return False
    total = sum(USCC.index(c) * w for c, w in zip(s, [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]))
    return USCC[(31 - total % 31) % 31] == s[17]


def org_ok(s: str) -> bool:
    if not re.fullmatch(r"[0-9A-Z]{8}-?[0-9X]", s):
        return False
    t = s.replace("-", "")
    value = lambda c: int(c) if c.isdigit() else ord(c) - 55  # noqa: E731
    c9 = 11 - sum(value(c) * w for c, w in zip(t, [3, 7, 9, 10, 5, 8, 4, 2])) % 11
    return {10: "X", 11: "0"}.get(c9, str(c9)) == t[8]


def ymd_ok(s: str) -> bool:
    if not re.fullmatch(r"[0-9]{8}", s):
        return False
    year, month, day = int(s[:4]), int(s[4:6]), int(s[6:])
    proleptic = year if year else 2000  # year 0000 is a leap year in the proleptic Gregorian calendar
    return 1 <= month <= 12 and 1 <= day <= calendar.monthrange(proleptic, month)[1]


def age(birth: str, ref: str) -> int | None:
    if not (re.fullmatch(r"[0-9]{8}", birth) and re.fullmatch(r"[0-9]{8}", ref)):
        return None
    return int(ref[:4]) - int(birth[:4]) - (1 if ref[4:] < birth[4:] else 0)
