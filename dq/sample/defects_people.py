"""Defects of persons (ac01): P01–P26 of docs/catalog-upw.md.

Rule sets name every rule a change makes fail, because the generator knows why: a 17-digit number also fails
the character and type checks (P03 P04 P10), a mistyped birth date also disagrees with the number (P18), a work
date in the future is also later than the first insured month of each of the person's relations (W07).
"""
from __future__ import annotations

import numpy as np

from dq.rules.macros import PLACEHOLDER_DATES
from dq.sample import codes
from dq.sample.draft import Draft
from dq.sample.frames import join_text, member
from dq.sample.people import RESIDENT, dates
from dq.sample.period import add_years, d8_int, d8_text, month_start


def people(d: Draft, *, citizens: bool = True) -> np.ndarray:
    """Persons defects may target: not a deliberate clean trap; citizens have an 18-digit number."""
    pool = ~d.facts["protected"].to_numpy()
    if citizens:
        pool &= d.facts["citizen"].to_numpy()
    return pool


def living(d: Draft) -> np.ndarray:
    """Persons the clean city holds alive: a defect of birth dates, first insured months or a second
    registration must not meet a death date (X02, X03) or the death list (M02)."""
    return np.isnat(dates(d.facts, "death"))


def numbers_ending(d: Draft, suffix: str) -> np.ndarray:
    return d.tables["ac01"]["aac002"].str.endswith(suffix, na=False).to_numpy()


def parts(labels: np.ndarray, k: int) -> list[np.ndarray]:
    """`labels` dealt into k variants."""
    return [labels[i::k] for i in range(k)]


def _numbers(d: Draft, labels: np.ndarray) -> list[str]:
    return list(d.col("ac01", "aac002")[labels])


def _valid(body17: str) -> str:
    return body17 + codes.id18_check(body17)


def duplicate_record(d: Draft, rng: np.random.Generator, count: int) -> None:
    """P01: the same person record stored twice (same number; both rows fail, the key appears once)."""
    originals = d.take("ac01", people(d, citizens=False), count, rng)
    d.hit("ac01", np.concatenate([originals, d.append("ac01", d.tables["ac01"].loc[originals].copy())]), "P01")


def record_without_number(d: Draft, rng: np.random.Generator, count: int) -> None:
    """P01: a person record with no 个人编号 (a clean person otherwise, with no relations)."""
    taken = d.used.setdefault("reserve_people", np.zeros(len(d.reserve_people), bool))
    rows = np.flatnonzero(~taken)[:count]
    taken[rows] = True
    records = d.reserve_people.iloc[rows].copy()
    records["aac001"] = None
    d.hit("ac01", d.append("ac01", records), "P01")


def missing_number(d: Draft, rng: np.random.Generator, count: int) -> None:
    """P02: no number (NULL), or an empty string, which id_ok also rejects (P10)."""
    null, empty = parts(d.take("ac01", people(d), count, rng), 2)
    d.set("ac01", null, "aac002", None)
    d.set("ac01", empty, "aac002", "")
    d.hit("ac01", null, "P02")
    d.hit("ac01", empty, "P02", "P10")


def wrong_length(d: Draft, rng: np.random.Generator, count: int) -> None:
    """P03 P04 P10: a digit dropped or added."""
    labels = d.take("ac01", people(d), count, rng)
    d.set("ac01", labels, "aac002", [n[:17] if i % 2 else n[:17] + "0" + n[17] for i, n in enumerate(_numbers(d, labels))])
    d.hit("ac01", labels, "P03", "P04", "P10")


def bad_characters(d: Draft, rng: np.random.Generator, count: int) -> None:
    """P04 P05 P10: a lower-case x as check character, or a letter among the sequence digits."""
    ends_x = numbers_ending(d, "X")
    lower = d.take("ac01", people(d) & ends_x, (count + 1) // 2, rng)
    letter = d.take("ac01", people(d), count // 2, rng)
    d.set("ac01", lower, "aac002", [n.lower() for n in _numbers(d, lower)])
    d.set("ac01", letter, "aac002", [n[:15] + "A" + n[16:] for n in _numbers(d, letter)])
    d.hit("ac01", np.concatenate([lower, letter]), "P04", "P05", "P10")


def wrong_check_character(d: Draft, rng: np.random.Generator, count: int) -> None:
    """P05 P10: check character mistyped."""
    labels = d.take("ac01", people(d), count, rng)
    chars = "10X98765432"
    d.set("ac01", labels, "aac002", [n[:17] + chars[(chars.index(n[17]) + 1) % 11] for n in _numbers(d, labels)])
    d.hit("ac01", labels, "P05", "P10")


def impossible_birth_segment(d: Draft, rng: np.random.Generator, count: int) -> None:
    """P06 P18: birth segment with month 00 (or 13…19 to stay unique), check character recomputed."""
    labels = d.take("ac01", people(d), count, rng)
    existing = set(d.col("ac01", "aac002"))
    numbers = []
    for n in _numbers(d, labels):
        for month in ("00", "13", "14", "15", "16", "17", "18", "19"):
            candidate = _valid(n[:10] + month + n[12:17])
            if candidate not in existing:
                break
        existing.add(candidate)
        numbers.append(candidate)
    d.set("ac01", labels, "aac002", numbers)
    d.hit("ac01", labels, "P06", "P18")


def unknown_province(d: Draft, rng: np.random.Generator, count: int) -> None:
    """P07: province digits '99', check character recomputed (the number stays unique)."""
    labels = d.take("ac01", people(d), count, rng)
    d.set("ac01", labels, "aac002", [_valid("99" + n[2:17]) for n in _numbers(d, labels)])
    d.hit("ac01", labels, "P07")


def legacy_number(d: Draft, rng: np.random.Generator, count: int) -> None:
    """P08: a 15-digit number never upgraded (people born in the 1900s)."""
    born_1900s = dates(d.facts, "birth") < np.datetime64("2000-01-01")
    labels = d.take("ac01", people(d) & born_1900s, count, rng)
    d.set("ac01", labels, "aac002", [codes.id15(n) for n in _numbers(d, labels)])
    d.hit("ac01", labels, "P08")


def _clone(d: Draft, originals: np.ndarray, numbers: list[str], active: bool) -> tuple[np.ndarray, np.ndarray]:
    """A second registration of each original person under a new 个人编号, with one 110 relation at the same
    unit: active (paying) or ended. Returns the new ac01 and ac02 labels."""
    start = d.used.get("next_person", np.array([1]))[0]
    d.used["next_person"] = np.array([start + len(originals)])
    records = d.tables["ac01"].loc[originals].copy()
    new_ids = join_text("22", np.char.zfill(np.arange(start, start + len(originals)).astype(str), 10))
    records["aac001"], records["aac002"], records["aae135"] = new_ids, numbers, numbers
    records["aac084"], records["aac060"], records["aae138"] = "0", "1", None
    people_labels = d.append("ac01", records)
    relations = d.tables["ac02"].loc[d.first_relation()[originals]].copy()
    relations["aaz159"] = join_text("32", np.char.zfill(np.arange(start, start + len(originals)).astype(str), 10))
    relations["aac001"] = new_ids
    if not active:
        relations["aac008"], relations["aac031"], relations["aae180"] = "4", "3", np.nan
        relations["aae031"] = relations["aac030"]
    relations["yac084"] = "0"
    return people_labels, d.append("ac02", relations)


def _cloneable(d: Draft) -> np.ndarray:
    """Living persons with a 110 relation listed first and a work date (a clone must not fail P20 or W07, nor
    M02: the clone is alive)."""
    first = d.first_relation()
    first_scheme = np.where(first >= 0, d.col("ac02", "aae140")[np.maximum(first, 0)], "")
    return people(d) & living(d) & (first_scheme == "110") & (d.facts["status"].to_numpy() != RESIDENT)


def registered_twice(d: Draft, rng: np.random.Generator, count: int) -> None:
    """P09: the same person registered a second time (ended relation): identical number, the 15-digit form of
    it (also P08), or with a lower-case x (also P04 P05 P10). Both records fail P09."""
    born_1900s = dates(d.facts, "birth") < np.datetime64("2000-01-01")
    same = d.take("ac01", _cloneable(d), count - 2 * (count // 3), rng)
    legacy = d.take("ac01", _cloneable(d) & born_1900s, count // 3, rng)
    lower = d.take("ac01", _cloneable(d) & numbers_ending(d, "X"), count // 3, rng)
    variants = ((same, lambda n: n, ("P09",)), (legacy, codes.id15, ("P08", "P09")),
                (lower, str.lower, ("P04", "P05", "P09", "P10")))
    for originals, shape, rules in variants:
        clones, _ = _clone(d, originals, [shape(n) for n in _numbers(d, originals)], active=False)
        d.hit("ac01", originals, "P09")
        d.hit("ac01", clones, *rules)


def clone_still_paying(d: Draft, rng: np.random.Generator, count: int) -> None:
    """W03 + P09: a second registration with the same number paying into 110 at the same time."""
    first = np.maximum(d.first_relation(), 0)
    paying = (d.col("ac02", "aac008")[first] == "1") & (d.col("ac02", "aac031")[first] == "1")
    originals = d.take("ac01", _cloneable(d) & paying, count, rng)
    clones, relations = _clone(d, originals, _numbers(d, originals), active=True)
    d.hit("ac01", np.concatenate([originals, clones]), "P09")
    d.hit("ac02", np.concatenate([d.first_relation()[originals], relations]), "W03")


def passport_as_id_card(d: Draft, rng: np.random.Generator, count: int) -> None:
    """P10: a passport number stored under document type 01 (居民身份证)."""
    labels = d.take("ac01", people(d), count, rng)
    d.set("ac01", labels, "aac002", join_text("G", np.char.zfill(labels.astype(str), 8)))
    d.hit("ac01", labels, "P10")


def missing_name(d: Draft, rng: np.random.Generator, count: int) -> None:
    """P11: name NULL or empty."""
    labels = d.take("ac01", people(d), count, rng)
    d.set("ac01", labels, "aac003", [None if i % 2 else "" for i in range(count)])
    d.hit("ac01", labels, "P11")


def _retirement_records(d: Draft, labels: np.ndarray) -> np.ndarray:
    """ic10 labels of those persons who have a retirement record."""
    return d.ic10_of[labels][d.ic10_of[labels] >= 0]


def malformed_name(d: Draft, rng: np.random.Generator, count: int) -> None:
    """P12: a digit typed into the name, or the surname alone (a retiree's bank account name then differs: R29)."""
    labels = d.take("ac01", people(d), count, rng)
    names = d.col("ac01", "aac003")[labels]
    d.set("ac01", labels, "aac003", [n + "1" if i % 2 else n[:1] for i, n in enumerate(names)])
    d.hit("ac01", labels, "P12")
    d.hit("ic10", _retirement_records(d, labels), "R29")


def placeholder_name(d: Draft, rng: np.random.Generator, count: int) -> None:
    """P13: 不详, 某某, 测试, 无名氏, or the surname followed by XX (all well-formed names; a retiree's bank
    account name then differs: R29)."""
    labels = d.take("ac01", people(d), count, rng)
    names = d.col("ac01", "aac003")[labels]
    fillers = ("不详", "某某", "测试", "无名氏")
    d.set("ac01", labels, "aac003", [fillers[i % 5] if i % 5 < 4 else n[:1] + "XX" for i, n in enumerate(names)])
    d.hit("ac01", labels, "P13")
    d.hit("ic10", _retirement_records(d, labels), "R29")


def missing_sex(d: Draft, rng: np.random.Generator, count: int) -> None:
    """P14: sex NULL (retirement-age rules then have no age and stay silent)."""
    labels = d.take("ac01", people(d), count, rng)
    d.set("ac01", labels, "aac004", None)
    d.hit("ac01", labels, "P14")


def unknown_sex(d: Draft, rng: np.random.Generator, count: int) -> None:
    """P15: sex '3' or 'M'."""
    labels = d.take("ac01", people(d), count, rng)
    d.set("ac01", labels, "aac004", ["M" if i % 2 else "3" for i in range(count)])
    d.hit("ac01", labels, "P15")


def sex_swapped(d: Draft, rng: np.random.Generator, count: int) -> None:
    """P16: sex opposite to the number; only people under 45 who are not retired, so the other sex's
    retirement age changes nothing (W16, W17)."""
    young = dates(d.facts, "birth") > add_years(np.array([d.period.today]), -45)[0]
    pool = people(d) & young & (d.col("ac01", "aac084") == "0")
    labels = d.take("ac01", pool, count, rng)
    d.set("ac01", labels, "aac004", np.where(d.col("ac01", "aac004")[labels] == "1", "2", "1"))
    d.hit("ac01", labels, "P16")


def missing_birth(d: Draft, rng: np.random.Generator, count: int) -> None:
    """P17: birth date NULL."""
    labels = d.take("ac01", people(d), count, rng)
    d.set("ac01", labels, "aac006", None)
    d.hit("ac01", labels, "P17")


def birth_day_mistyped(d: Draft, rng: np.random.Generator, count: int) -> None:
    """P18: birth day off by one within the same month (retirement month unchanged; work starts ≥ 17 years
    later, so P22 holds), never for a retiree born on the 1st (retirement dates are 1sts: the full age at
    retirement, R23's 计发月数, stays)."""
    labels = d.take("ac01", people(d) & ~_retiree_born_on_1st(d), count, rng)
    births = dates(d.facts, "birth")[labels]
    day = (births - births.astype("M8[M]").astype("M8[D]")).astype(np.int64)
    shifted = births + np.where(day < 27, 1, -1).astype("m8[D]")
    d.set("ac01", labels, "aac006", d8_text(shifted))
    d.hit("ac01", labels, "P18")


def _retiree_born_on_1st(d: Draft) -> np.ndarray:
    return (d.ic10_of >= 0) & (d8_int(dates(d.facts, "birth")) % 100 == 1)


def invalid_birth(d: Draft, rng: np.random.Generator, count: int) -> None:
    """P19 P18: a day the month does not have (same month, so the retirement month is unchanged; never for a
    retiree born on the 1st, whose full age at retirement would change: R23), the date written with dashes, or
    letters (which also sort after the work date, where there is one: P21)."""
    day_wrong, dashed, letters = parts(d.take("ac01", people(d) & living(d) & ~_retiree_born_on_1st(d), count, rng), 3)
    births = d.col("ac01", "aac006")
    d.set("ac01", day_wrong, "aac006", [impossible_day(b) for b in births[day_wrong]])
    d.set("ac01", dashed, "aac006", [f"{b[:4]}-{b[4:6]}-{b[6:]}" for b in births[dashed]])
    d.set("ac01", letters, "aac006", "abcdefgh")
    d.hit("ac01", np.concatenate([day_wrong, dashed]), "P18", "P19")
    d.hit("ac01", letters, "P18", "P19")
    d.hit("ac01", letters[_has_work(d)[letters]], "P21")


def impossible_day(d8: str) -> str:
    """The same year and month with a day it does not have (30 Feb, 31 of a 30-day month, else 32)."""
    month = d8[4:6]
    day = "30" if month == "02" else "31" if month in ("04", "06", "09", "11") else "32"
    return d8[:6] + day


def missing_work_date(d: Draft, rng: np.random.Generator, count: int) -> None:
    """P20: work date NULL for someone insured in 110."""
    labels = d.take("ac01", people(d) & (d.facts["status"].to_numpy() != RESIDENT), count, rng)
    d.set("ac01", labels, "aac007", None)
    d.hit("ac01", labels, "P20")


def work_on_birthday(d: Draft, rng: np.random.Generator, count: int) -> None:
    """P21 P22: work date equal to the birth date (age 0 at work start; never a default date, P24)."""
    births = d.col("ac01", "aac006")
    labels = d.take("ac01", people(d) & _has_work(d) & ~member(births, PLACEHOLDER_DATES), count, rng)
    d.set("ac01", labels, "aac007", births[labels])
    d.hit("ac01", labels, "P21", "P22")


def child_labour(d: Draft, rng: np.random.Generator, count: int) -> None:
    """P22: work started at 12 (earlier than the real date, so W07 still holds; never a default date, P24)."""
    at_twelve = d8_text(add_years(dates(d.facts, "birth"), 12))
    labels = d.take("ac01", people(d) & _has_work(d) & ~member(at_twelve, PLACEHOLDER_DATES), count, rng)
    d.set("ac01", labels, "aac007", at_twelve[labels])
    d.hit("ac01", labels, "P22")


def _has_work(d: Draft) -> np.ndarray:
    return d.col("ac01", "aac007") != None  # noqa: E711 - element-wise test on an object array


def invalid_work_date(d: Draft, rng: np.random.Generator, count: int) -> None:
    """P23: an impossible day or dashes (same month: nothing else changes), a future date or letters, which
    are also later than every relation's first insured month (W07) and than a retiree's retirement date (R03);
    a future date also leaves fewer months of service than a retiree's contribution months (R15) and, with 视同
    months, than those (R14)."""
    day_wrong, dashed, future, letters = parts(d.take("ac01", people(d) & _has_work(d), count, rng), 4)
    work = d.col("ac01", "aac007")
    d.set("ac01", day_wrong, "aac007", [impossible_day(w) for w in work[day_wrong]])
    d.set("ac01", dashed, "aac007", [f"{w[:4]}-{w[4:6]}-{w[6:]}" for w in work[dashed]])
    ahead = month_start(np.full(len(future), d.period.months + 2)) + rng.integers(0, 300, len(future)).astype("m8[D]")
    d.set("ac01", future, "aac007", d8_text(ahead))
    d.set("ac01", letters, "aac007", "abcdefgh")
    d.hit("ac01", np.concatenate([day_wrong, dashed, future, letters]), "P23")
    relations = np.concatenate([d.rows_of(p) for p in np.concatenate([future, letters])] + [np.empty(0, np.int64)])
    d.hit("ac02", relations, "W07")
    retired_future, retired_letters = (chosen[d.ic10_of[chosen] >= 0] for chosen in (future, letters))
    d.hit("ic10", d.ic10_of[np.concatenate([retired_future, retired_letters])], "R03")
    d.hit("ic10", d.ic10_of[retired_future], "R15")
    deemed = d.col("ic10", "aae200")[d.ic10_of[retired_future]]
    d.hit("ic10", d.ic10_of[retired_future][deemed > 0], "R14")


def default_work_date(d: Draft, rng: np.random.Generator, count: int) -> None:
    """P24: work date replaced by the default 20000101 (or 19700101), only where that is still 16 years after
    birth and not after the first insured month (so P21, P22 and W07 hold), and not for retirees, whose
    contribution months were counted from the real date (R14, R15)."""
    birth = dates(d.facts, "birth")
    first = d.facts["first_m"].to_numpy()
    fits_2000 = (birth <= np.datetime64("1984-01-01")) & (first >= 2000 * 12)
    fits_1970 = (birth <= np.datetime64("1954-01-01")) & (first >= 1970 * 12)
    working = d.ic10_of < 0
    labels = d.take("ac01", people(d) & _has_work(d) & (fits_2000 | fits_1970) & working, count, rng)
    d.set("ac01", labels, "aac007", np.where(fits_2000[labels], "20000101", "19700101"))
    d.hit("ac01", labels, "P24")


def bad_person_codes(d: Draft, rng: np.random.Generator, count: int) -> None:
    """P25: unknown ethnicity or household code, or identity missing (men only: their retirement age does not
    depend on it)."""
    labels = d.take("ac01", people(d), count - count // 3, rng)
    men = d.take("ac01", people(d) & (d.col("ac01", "aac004") == "1"), count // 3, rng)
    ethnic, household = parts(labels, 2)
    d.set("ac01", ethnic, "aac005", "99")
    d.set("ac01", household, "aac009", "8")
    d.set("ac01", men, "aac012", None)
    d.hit("ac01", np.concatenate([labels, men]), "P25")


def placeholder_person_contact(d: Draft, rng: np.random.Generator, count: int) -> None:
    """P26: phone 000000 or 123456, address 无 or 不详."""
    labels = d.take("ac01", people(d), count, rng)
    for k, (column, value) in enumerate((("aae005", "000000"), ("aae005", "123456"), ("aae006", "无"),
                                         ("aae006", "不详"))):
        d.set("ac01", labels[k::4], column, value)
    d.hit("ac01", labels, "P26")

