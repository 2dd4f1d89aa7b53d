"""Defects of employers (ab01) and their yearly bases (ab07): U01–U25 of docs/catalog-upw.md.

Each function breaks `count` clean units (or adds rows) and records which rules that makes fail and why.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from dq.sample import codes
from dq.sample.draft import Draft
from dq.sample.frames import join_text, member

ENTERPRISE_LIKE = ("10", "40", "50", "60")  # U07 applies to these types


def _units(d: Draft, *, paying: bool | None = None, status: tuple[str, ...] | None = None) -> np.ndarray:
    """Ordinary (not 代缴) units, optionally only those with the given aab051."""
    pool = d.col("ab01", "aab019") != "80"
    if status is not None:
        pool &= np.isin(d.col("ab01", "aab051"), status)
    if paying:
        pool &= d.col("ab01", "aab051") == "1"
    return pool


def _fresh_units(d: Draft, count: int) -> pd.DataFrame:
    """Clean unit rows never used in the city (new names, codes, numbers)."""
    taken = d.used.setdefault("reserve_units", np.zeros(len(d.reserve_units), bool))
    rows = np.flatnonzero(~taken)[:count]
    if len(rows) < count:
        raise RuntimeError("备用单位不足")
    taken[rows] = True
    return d.reserve_units.iloc[rows].copy()


def _cycle(values: tuple, count: int) -> np.ndarray:
    return np.array([values[i % len(values)] for i in range(count)], dtype=object)


def unit_without_number(d: Draft, rng: np.random.Generator, count: int) -> None:
    """U01: a terminated unit registered without a number (no member refers to it)."""
    rows = _fresh_units(d, count)
    rows["aab001"], rows["aab051"] = None, "3"
    d.hit("ab01", d.append("ab01", rows), "U01")


def unit_registered_twice(d: Draft, rng: np.random.Generator, count: int) -> None:
    """U02: a second registration under an existing number, with its own name and credit code."""
    originals = d.take("ab01", _units(d, paying=True), count, rng)
    rows = _fresh_units(d, count)
    for column in ("aab001", "aab019", "aab020", "aab034", "aab051"):
        rows[column] = d.col("ab01", column)[originals]
    d.hit("ab01", np.concatenate([originals, d.append("ab01", rows)]), "U02")


def blank_unit_name(d: Draft, rng: np.random.Generator, count: int) -> None:
    """U03: name missing or only spaces (format rules skip empty names)."""
    units = d.take("ab01", _units(d), count, rng)
    d.set("ab01", units, "aab004", _cycle((None, "   "), count))
    d.hit("ab01", units, "U03")


def alphanumeric_unit_name(d: Draft, rng: np.random.Generator, count: int) -> None:
    """U04: a name of letters and digits only (an abbreviation typed instead of the full name)."""
    units = d.take("ab01", _units(d), count, rng)
    d.set("ab01", units, "aab004", join_text("LYJX", units.astype(str)))
    d.hit("ab01", units, "U04")


def placeholder_unit_name(d: Draft, rng: np.random.Generator, count: int) -> None:
    """U05: '不详' once, otherwise the real name with a '*' or '？' typed into it (names stay unique)."""
    units = d.take("ab01", _units(d), count, rng)
    names = d.col("ab01", "aab004")[units]
    broken = [("不详" if i == 0 else n[:2] + "*" + n[2:] if i % 2 else n + "？") for i, n in enumerate(names)]
    d.set("ab01", units, "aab004", broken)
    d.hit("ab01", units, "U05")


def same_name_twice(d: Draft, rng: np.random.Generator, count: int) -> None:
    """U06: two paying/suspended units with one name (the copy differs only by a space, equal after norm)."""
    units = d.take("ab01", _units(d, status=("1", "2")), 2 * count, rng)
    first, second = units[:count], units[count:]
    names = d.col("ab01", "aab004")[first]
    d.set("ab01", second, "aab004", [n[:2] + " " + n[2:] for n in names])
    d.hit("ab01", units, "U06")


def missing_credit_code(d: Draft, rng: np.random.Generator, count: int) -> None:
    """U07: a paying enterprise-like unit without 统一社会信用代码."""
    pool = _units(d, status=("1", "2")) & np.isin(d.col("ab01", "aab019"), ENTERPRISE_LIKE)
    units = d.take("ab01", pool, count, rng)
    d.set("ab01", units, "bab010", None)
    d.hit("ab01", units, "U07")


def bad_credit_check(d: Draft, rng: np.random.Generator, count: int) -> None:
    """U08: wrong check character, or a letter GB 32100 excludes ('Z') in position 2."""
    units = d.take("ab01", _units(d), count, rng)
    broken = []
    for i, code in enumerate(d.col("ab01", "bab010")[units]):
        if i % 2:
            broken.append(code[0] + "Z" + code[2:])
        else:
            wrong = codes.USCC_ALPHABET[(codes.USCC_ALPHABET.index(code[17]) + 1 + i % 30) % 31]
            broken.append(code[:17] + wrong)
    d.set("ab01", units, "bab010", broken)
    d.hit("ab01", units, "U08")


def lower_case_credit_copy(d: Draft, rng: np.random.Generator, count: int) -> None:
    """U08 (and a U09 trap): a unit typed another unit's credit code in lower case. Compared case-sensitively
    the two codes differ (no U09); the lower-case one fails GB 32100. Its org code is left empty (no U10/U11)."""
    lettered = np.array([code is not None and any(c.isalpha() for c in code) for code in d.col("ab01", "bab010")])
    sources = d.take("ab01", _units(d) & lettered, count, rng)
    copies = d.take("ab01", _units(d), count, rng)
    d.set("ab01", copies, "bab010", [c.lower() for c in d.col("ab01", "bab010")[sources]])
    d.set("ab01", copies, "aae053", None)
    d.hit("ab01", copies, "U08")


def shared_credit_code(d: Draft, rng: np.random.Generator, count: int) -> None:
    """U09: a unit carries another unit's credit code and org code (both rows fail)."""
    units = d.take("ab01", _units(d), 2 * count, rng)
    first, second = units[:count], units[count:]
    for column in ("bab010", "aae053"):
        d.set("ab01", second, column, d.col("ab01", column)[first])
    d.hit("ab01", units, "U09")


def org_code_of_other_unit(d: Draft, rng: np.random.Generator, count: int) -> None:
    """U10: the org code field holds a valid code that is not the one inside the credit code."""
    units = d.take("ab01", _units(d), count, rng)
    d.set("ab01", units, "aae053", _fresh_units(d, count)["aae053"].to_numpy())
    d.hit("ab01", units, "U10")


def bad_org_check(d: Draft, rng: np.random.Generator, count: int) -> None:
    """U11: an org code with a wrong check character, copied consistently into the credit code (whose own check
    character is recomputed, so U08 and U10 still pass)."""
    units = d.take("ab01", _units(d), count, rng)
    orgs, credits = [], []
    for org, credit in zip(d.col("ab01", "aae053")[units], d.col("ab01", "bab010")[units]):
        body = org.replace("-", "")[:8]
        right = codes.org_check(body)
        wrong = "0123456789X"[("0123456789X".index(right) + 1) % 11]
        orgs.append(body + "-" + wrong if "-" in org else body + wrong)
        head = credit[:8] + body + wrong
        credits.append(head + codes.uscc_check(head))
    d.set("ab01", units, "aae053", orgs)
    d.set("ab01", units, "bab010", credits)
    d.hit("ab01", units, "U11")


def unknown_unit_type(d: Draft, rng: np.random.Generator, count: int) -> None:
    """U12: type '99' on a non-enterprise (which had no economic type, so U13 still holds)."""
    units = d.take("ab01", _units(d) & (d.col("ab01", "aab019") != "10"), count, rng)
    d.set("ab01", units, "aab019", "99")
    d.hit("ab01", units, "U12")


def economic_type_mismatch(d: Draft, rng: np.random.Generator, count: int) -> None:
    """U13: an enterprise without economic type, or a non-enterprise with one."""
    enterprise = d.col("ab01", "aab019") == "10"
    half = (count + 1) // 2
    firms = d.take("ab01", _units(d) & enterprise, half, rng)
    others = d.take("ab01", _units(d) & ~enterprise, count - half, rng)
    d.set("ab01", firms, "aab020", None)
    d.set("ab01", others, "aab020", "110")
    d.hit("ab01", np.concatenate([firms, others]), "U13")


def bad_industry_or_affiliation(d: Draft, rng: np.random.Generator, count: int) -> None:
    """U14: industry missing, industry code unknown, or affiliation code unknown."""
    units = d.take("ab01", _units(d), count, rng)
    for k, (column, value) in enumerate((("aab022", None), ("aab022", "Z99"), ("aab021", "8"))):
        d.set("ab01", units[k::3], column, value)
    d.hit("ab01", units, "U14")


def region_outside_pool(d: Draft, rng: np.random.Generator, count: int) -> None:
    """U15: a 沈阳 region code, a code with a letter, a 5-digit code."""
    units = d.take("ab01", _units(d), count, rng)
    d.set("ab01", units, "aab301", _cycle(("210102", "2110A1", "21100"), count))
    d.hit("ab01", units, "U15")


def placeholder_legal_person(d: Draft, rng: np.random.Generator, count: int) -> None:
    """U16: legal representative missing or a placeholder."""
    units = d.take("ab01", _units(d), count, rng)
    d.set("ab01", units, "aae045", _cycle((None, "不详", "-", "000"), count))
    d.hit("ab01", units, "U16")


def bad_legal_person_id(d: Draft, rng: np.random.Generator, count: int) -> None:
    """U17: legal representative's number with a wrong check character, or 17 digits."""
    units = d.take("ab01", _units(d), count, rng)
    numbers = d.col("ab01", "aae046")[units]
    broken = [n[:17] if i % 2 else n[:17] + _other_check(n) for i, n in enumerate(numbers)]
    d.set("ab01", units, "aae046", broken)
    d.hit("ab01", units, "U17")


def _other_check(number: str) -> str:
    return "10X98765432"[("10X98765432".index(number[17]) + 3) % 11]


def placeholder_contact(d: Draft, rng: np.random.Generator, count: int) -> None:
    """U18: phone '0' or '123456', a phone with 6 digits, or address '不详'."""
    units = d.take("ab01", _units(d), count, rng)
    for k, (column, value) in enumerate((("aae005", "0"), ("aae005", "123456"), ("aae005", "0419-12"),
                                         ("aae006", "不详"))):
        d.set("ab01", units[k::4], column, value)
    d.hit("ab01", units, "U18")


def bad_join_month(d: Draft, rng: np.random.Generator, count: int) -> None:
    """U19: join month in the future, month 13, before 1951, or written with a dash."""
    units = d.take("ab01", _units(d), count, rng)
    future = str((d.period.months + 3) // 12 * 100 + (d.period.months + 3) % 12 + 1)
    d.set("ab01", units, "aab050", _cycle((future, "198513", "194912", "2010-5"), count))
    d.hit("ab01", units, "U19")


def suspended_unit_marked_paying(d: Draft, rng: np.random.Generator, count: int) -> None:
    """U20 + U25: a suspended unit (no member paid for a year, no base assessed this year) marked as paying."""
    units = d.take("ab01", _units(d, status=("2",)), count, rng)
    d.set("ab01", units, "aab051", "1")
    d.hit("ab01", units, "U20", "U25")


def terminated_unit_with_members(d: Draft, rng: np.random.Generator, count: int) -> None:
    """U21: a paying unit marked terminated while its members still pay. Its members are kept clean, so no
    other defect changes whether they pay."""
    active = (d.col("ac02", "aac008") == "1") & (d.col("ac02", "aac031") == "1")
    with_members = member(d.col("ab01", "aab001"), d.col("ac02", "aab001")[active & d.free("ac01")[d.owner]])
    units = d.take("ab01", _units(d, paying=True) & with_members, count, rng)
    members = np.flatnonzero(member(d.col("ac02", "aab001"), d.col("ab01", "aab001")[units]))
    d.claim("ac01", d.owner[members])
    d.set("ab01", units, "aab051", "3")
    d.hit("ab01", units, "U21")


def no_base_this_year(d: Draft, rng: np.random.Generator, count: int) -> None:
    """U25: a paying unit whose assessments for the audit year are missing."""
    this_year = d.col("ab07", "aae001") == d.period.year
    assessed = member(d.col("ab01", "aab001"), d.col("ab07", "aab001")[this_year & d.free("ab07")])
    units = d.take("ab01", _units(d, paying=True) & assessed, count, rng)
    rows = np.flatnonzero(member(d.col("ab07", "aab001"), d.col("ab01", "aab001")[units]) & this_year)
    d.claim("ab07", rows)
    d.drop("ab07", rows)
    d.hit("ab01", units, "U25")


def _assessments(d: Draft, enterprise_only: bool = False) -> np.ndarray:
    pool = d.col("ab07", "aab100_event") == None  # noqa: E711 - element-wise test on an object array
    if enterprise_only:
        firms = d.col("ab01", "aab001")[d.col("ab01", "aab019") == "10"]
        pool &= member(d.col("ab07", "aab001"), firms)
    return pool


def unit_base_below_members(d: Draft, rng: np.random.Generator, count: int) -> None:
    """U22: unit base (and the totals it is derived from) declared 10 % below the members' bases."""
    rows = d.take("ab07", _assessments(d), count, rng)
    lowered = np.round(d.col("ab07", "aab120")[rows].astype(float) * 0.9, 2)
    for column in ("aab084", "aab120", "aab121"):
        d.set("ab07", rows, column, lowered)
    d.hit("ab07", rows, "U22")


def unit_base_not_derived(d: Draft, rng: np.random.Generator, count: int) -> None:
    """U23: unit base 100 yuan above what the wage total and members' bases give."""
    rows = d.take("ab07", _assessments(d), count, rng)
    d.set("ab07", rows, "aab121", np.round(d.col("ab07", "aab121")[rows].astype(float) + 100, 2))
    d.hit("ab07", rows, "U23")


def unit_base_changed_in_year(d: Draft, rng: np.random.Generator, count: int) -> None:
    """U24: a second assessment in July with a higher base, no 成建制 event (both rows fail)."""
    rows = d.take("ab07", _assessments(d, enterprise_only=True), count, rng)
    copies = d.tables["ab07"].loc[rows].copy()
    copies["aab084"] = np.round(np.maximum(copies["aab084"], copies["aab120"]) + 500, 2)
    copies["aab121"] = copies["aab084"]
    copies["aae036"] = join_text(copies["aae001"].astype(str).to_numpy(), "0701")
    d.hit("ab07", np.concatenate([rows, d.append("ab07", copies)]), "U24")
