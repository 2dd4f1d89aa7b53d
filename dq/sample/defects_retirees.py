"""Defects of retirement records (ic10): R01–R17 of checks/ic10.yaml (dates, categories, contribution months);
the benefit, payment, account and certification rules of the same table are in dq.sample.defects_benefits.

Every kind takes persons (so no other defect touches them) and breaks their ic10 row, or the ac01 fields the row
is judged by. Clean retirement dates are 1sts of months; a defect keeps every other ic10 rule's verdict unless its
docstring names that rule too. Policy values a defect must respect (the individual-contribution start month, the
minimum contribution months) are read from the sample city's parameter file, the one its audits use.
"""
from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from dq.rules.params import load_params
from dq.sample.defects_people import impossible_day, parts, people
from dq.sample.draft import Draft
from dq.sample.frames import frame
from dq.sample.kinds import kind
from dq.sample.people import RETIRED, dates
from dq.sample.period import (
    HORIZON, d8_int, d8_text, legal_ret_months, month_start, random_day_in, to_months, ym_index, ym_text,
)
from dq.sample.reference import PARAMS_FILE, account_rate, average_wage, unit_rate


@cache
def param(name: str) -> Any:
    """A parameter of the sample city's file (national values with the province's over them)."""
    return load_params(PARAMS_FILE).values[name]


def full_years(birth_d8: np.ndarray, ref_d8: np.ndarray) -> np.ndarray:
    """The `age` macro: full years from one YYYYMMDD to another (also for digit strings that are no real date)."""
    return (np.asarray(ref_d8).astype(np.int64) - np.asarray(birth_d8).astype(np.int64)) // 10000


def retirees(d: Draft, *, categories: str | None = None, alive: bool | None = None) -> np.ndarray:
    """Persons with a retirement record defects may target, by retirement category and survival."""
    pool = people(d) & (d.ic10_of >= 0)
    if categories is not None:
        pool &= np.isin(d.facts["aic161"].to_numpy(), tuple(categories))
    if alive is not None:
        pool &= (d.facts["status"].to_numpy() == RETIRED) == alive
    return pool


def ic10_column(d: Draft, column: str) -> np.ndarray:
    """A column of ic10 by person label (rows of people without a record are not meaningful)."""
    return d.col("ic10", column)[np.maximum(d.ic10_of, 0)]


def retire_d8(d: Draft) -> np.ndarray:
    return d8_int(dates(d.facts, "retire"))


def birth_d8(d: Draft) -> np.ndarray:
    """Clean birth dates (the facts': ac01 may already hold another defect's)."""
    return d8_int(dates(d.facts, "birth"))


def _work_months(d: Draft) -> np.ndarray:
    return to_months(dates(d.facts, "work"))


def new_rules_from() -> int:
    """The first retirement date the 国发〔2005〕38号 formulas (R23, R24) judge."""
    return int(param("account_pension_from").value)


def _before_new_rules(d: Draft) -> np.ndarray:
    """Retired before the new formulas, so R23 and R24 do not judge the months a defect changes."""
    return (d.ic10_of >= 0) & (retire_d8(d) < new_rules_from())


def _set_months(d: Draft, rows: np.ndarray, deemed: np.ndarray, actual: np.ndarray) -> None:
    """New 视同 and 实际 contribution months, with the cumulative months (eac047) following them (R17 holds)."""
    d.set("ic10", rows, "aae200", deemed)
    d.set("ic10", rows, "aae201", actual)
    d.set("ic10", rows, "eac047", np.asarray(deemed) + np.asarray(actual))


def _exceeds_service(d: Draft, persons: np.ndarray, retire_m: np.ndarray) -> np.ndarray:
    """R15 on the row as it now stands: 视同 + 实际 months more than the months from work start to retirement + 1."""
    rows = d.ic10_of[persons]
    held = d.col("ic10", "aae200")[rows].astype(np.int64) + d.col("ic10", "aae201")[rows].astype(np.int64)
    return held > retire_m - _work_months(d)[persons] + 1


def missing_retirement_date(d: Draft, rng: np.random.Generator, count: int) -> None:
    """R01: a normal retiree's retirement date NULL (every rule reading it then stays silent)."""
    persons = d.take("ac01", retirees(d, categories="2"), count, rng)
    d.set("ic10", d.ic10_of[persons], "aic162", None)
    d.hit("ic10", d.ic10_of[persons], "R01")


def impossible_retirement_date(d: Draft, rng: np.random.Generator, count: int) -> None:
    """R02: a day the retirement month does not have (only where it is not the birth month, so every age stays),
    or a date months after the audit period for someone retired this year, before the next birthday (ages, the
    year's parameters and contribution months stay; the benefit start and assessment months, unchanged, are now
    earlier than the retirement month: R11 R13); a small city may have no one for the second way."""
    birth_m = d.facts["birth_m"].to_numpy()
    retire_m = d.facts["retire_m"].to_numpy()
    other_month = retirees(d) & ((retire_m - birth_m) % 12 != 0)
    later = d.period.months + HORIZON + 1 + rng.integers(0, 4, len(retire_m))
    later_d8 = d8_int(month_start(later))
    same_age = full_years(birth_d8(d), later_d8) == full_years(birth_d8(d), retire_d8(d))
    this_year = (retire_m // 12 == d.period.year) & (retire_m < d.period.months)
    pool = retirees(d) & this_year & same_age
    future = d.take("ac01", pool, min(count // 2, int((pool & d.free("ac01")).sum())), rng)
    typo = d.take("ac01", other_month, count - len(future), rng)
    d.set("ic10", d.ic10_of[typo], "aic162", [impossible_day(t) for t in d.col("ic10", "aic162")[d.ic10_of[typo]]])
    d.set("ic10", d.ic10_of[future], "aic162", d8_text(month_start(later[future])))
    d.hit("ic10", d.ic10_of[typo], "R02")
    d.hit("ic10", d.ic10_of[future], "R02", "R11", "R13")


def work_after_retirement(d: Draft, rng: np.random.Generator, count: int) -> None:
    """R03 R15: work start typed later than retirement, in the retirement month (not in the future, no default
    date), for retirees without 视同 months (R14 does not apply). Every insurance relation of the person now began
    before the work did: W07."""
    has_work = ~np.isnat(dates(d.facts, "work"))
    persons = d.take("ac01", retirees(d) & has_work & (ic10_column(d, "aae200") == 0), count, rng)
    work = dates(d.facts, "retire")[persons] + rng.integers(1, 28, count).astype("m8[D]")
    d.set("ac01", persons, "aac007", d8_text(work))
    d.hit("ic10", d.ic10_of[persons], "R03", "R15")
    d.hit("ac02", np.concatenate([d.rows_of(p) for p in persons]), "W07")


def bad_retirement_category(d: Draft, rng: np.random.Generator, count: int) -> None:
    """R04: a normal retiree's category NULL or not in the code table (they are past statutory age: W17 holds)."""
    persons = d.take("ac01", retirees(d, categories="2"), count, rng)
    d.set("ic10", d.ic10_of[persons], "aic161", [(None, "A", "99")[i % 3] for i in range(count)])
    d.hit("ic10", d.ic10_of[persons], "R04")


def worker_recorded_as_cadre(d: Draft, rng: np.random.Generator, count: int) -> None:
    """R05: a woman worker who retired normally at 50 recorded as cadre (statutory 55), now past 55 (so W17, which
    judges today's age, holds)."""
    births = d.facts["birth_m"].to_numpy()
    as_cadre = legal_ret_months(births, np.zeros(len(births), bool), np.ones(len(births), bool))
    workers = (d.col("ac01", "aac004") == "2") & ~np.isin(d.col("ac01", "aac012"), param("cadre_identities").value)
    retired_early = d.facts["retire_m"].to_numpy() < as_cadre
    pool = retirees(d, categories="2") & workers & retired_early & (as_cadre <= d.period.months)
    persons = d.take("ac01", pool, count, rng)
    d.set("ac01", persons, "aac012", "4")
    d.hit("ic10", d.ic10_of[persons], "R05")


def ill_retirement_too_young(d: Draft, rng: np.random.Generator, count: int) -> None:
    """R06: someone who retired disabled at work (6, no minimum age) before 50 (men) or 45 (women) recorded as
    retired for illness (4), or a woman retired for illness before 50 recorded as a man (also P16)."""
    age = full_years(birth_d8(d), retire_d8(d))
    male = d.col("ac01", "aac004") == "1"
    too_young = age < np.where(male, param("ill_retire_age_male").value, param("ill_retire_age_female").value)
    disabled = retirees(d, categories="6") & too_young
    women = retirees(d, categories="47") & (d.col("ac01", "aac004") == "2") & (age < param("ill_retire_age_male").value)
    persons = d.take("ac01", disabled | women, count, rng)
    recategorised, as_men = persons[disabled[persons]], persons[~disabled[persons]]
    d.set("ic10", d.ic10_of[recategorised], "aic161", "4")
    d.set("ac01", as_men, "aac004", "1")
    d.hit("ac01", as_men, "P16")
    d.hit("ic10", d.ic10_of[persons], "R06")


def special_job_unproven(d: Draft, rng: np.random.Generator, count: int) -> None:
    """R07: a special-job early retiree without a special job type, or with 5 years in it (every type needs 8+)."""
    untyped, short = parts(d.take("ac01", retirees(d, categories="5"), count, rng), 2)
    d.set("ic10", d.ic10_of[untyped], "aac019", [("0", None)[i % 2] for i in range(len(untyped))])
    d.set("ic10", d.ic10_of[short], "eac065", 60)
    d.hit("ic10", d.ic10_of[np.concatenate([untyped, short])], "R07")


def retired_before_forty(d: Draft, rng: np.random.Generator, count: int) -> None:
    """R08: a retirement (with its benefit start and assessment months) dated at 35–38, before 2006, after the
    work start and in a year with an average wage; a normal retiree then also retired before statutory age (R05);
    where the months held exceed the shortened service, R15; where the pension is more than 5 times that year's
    average wage, R22. Categories 2 and 6 only (R06, R07 would judge the others' ages)."""
    birth_m = d.facts["birth_m"].to_numpy()
    early_m = birth_m + 12 * rng.integers(35, 39, len(birth_m)) + 1
    early_d8 = d8_int(month_start(early_m))
    wages_from = param("avg_wage_month").steps[0].start  # R22 judges only years the wage is given for
    fits = (early_d8 < new_rules_from()) & (early_d8 > d8_int(dates(d.facts, "work"))) & (early_m // 12 >= wages_from)
    persons = d.take("ac01", retirees(d, categories="26") & fits, count, rng)
    rows = d.ic10_of[persons]
    d.set("ic10", rows, "aic162", d8_text(month_start(early_m[persons])))
    for column in ("aae210", "aae211"):
        d.set("ic10", rows, column, ym_text(early_m[persons]))
    d.hit("ic10", rows, "R08")
    d.hit("ic10", rows[d.facts["aic161"].to_numpy()[persons] == "2"], "R05")
    d.hit("ic10", rows[_exceeds_service(d, persons, early_m[persons])], "R15")
    too_high = d.col("ic10", "eic009")[rows] > 5 * average_wage(early_m[persons] // 12)
    d.hit("ic10", rows[too_high], "R22")


def birth_year_too_early(d: Draft, rng: np.random.Generator, count: int) -> None:
    """R09 P18: the birth year typed 16–20 years too early, so the person retired past 75 (never before 1900 or
    older than 105 today, never on 29 February: P19 and the other age rules hold)."""
    birth = birth_d8(d)
    shift = 76 - full_years(birth, retire_d8(d)) + rng.integers(0, 5, len(birth))
    typed = birth - shift * 10000
    fits = (typed // 10000 >= max(1900, d.period.year - 105)) & (birth % 10000 != 229)
    persons = d.take("ac01", retirees(d) & fits, count, rng)
    d.set("ac01", persons, "aac006", typed[persons].astype(str).astype(object))
    d.hit("ac01", persons, "P18")
    d.hit("ic10", d.ic10_of[persons], "R09")


def too_few_contribution_months(d: Draft, rng: np.random.Generator, count: int) -> None:
    """R10: 视同 + 实际 months 1–24 short of the minimum, 视同 at most half of them (retired 1998–2005 in a
    monthly-pension category; fewer months keep R14 and R15)."""
    checked_from = int(param("min_contrib_check_from").value)
    minimum = param("min_contrib_months").steps[0].value
    pool = retirees(d, categories="245679") & _before_new_rules(d) & (retire_d8(d) >= checked_from)
    persons = d.take("ac01", pool, count, rng)
    held = minimum - rng.integers(1, 25, count)
    deemed = np.minimum(d.col("ic10", "aae200")[d.ic10_of[persons]].astype(np.int64), held // 2)
    _set_months(d, d.ic10_of[persons], deemed, held - deemed)
    d.hit("ic10", d.ic10_of[persons], "R10")


def _month_before_retirement(d: Draft, rng: np.random.Generator, count: int, column: str, rule: str) -> None:
    """`column` (a YYYYMM month of ic10) of `count` retirees set 1–12 months before their retirement month."""
    persons = d.take("ac01", retirees(d), count, rng)
    before = d.facts["retire_m"].to_numpy()[persons] - rng.integers(1, 13, count)
    d.set("ic10", d.ic10_of[persons], column, ym_text(before))
    d.hit("ic10", d.ic10_of[persons], rule)


def benefit_before_retirement(d: Draft, rng: np.random.Generator, count: int) -> None:
    """R11: benefits start 1–12 months before the retirement month."""
    _month_before_retirement(d, rng, count, "aae210", "R11")


def benefit_long_after_retirement(d: Draft, rng: np.random.Generator, count: int) -> None:
    """R12: benefits start 13–36 months after the retirement month (not after the audit month)."""
    retire_m = d.facts["retire_m"].to_numpy()
    persons = d.take("ac01", retirees(d) & (retire_m <= d.period.months - 36), count, rng)
    d.set("ic10", d.ic10_of[persons], "aae210", ym_text(retire_m[persons] + rng.integers(13, 37, count)))
    d.hit("ic10", d.ic10_of[persons], "R12")


def assessed_before_retirement(d: Draft, rng: np.random.Generator, count: int) -> None:
    """R13: the assessment month 1–12 months before the retirement month."""
    _month_before_retirement(d, rng, count, "aae211", "R13")


def deemed_months_beyond_start(d: Draft, rng: np.random.Generator, count: int) -> None:
    """R14: 视同 months 1–24 more than the months from work start to the individual-contribution start (retired
    before 2006); where the months held now exceed the service, R15."""
    work_m = _work_months(d)
    start = ym_index(param("indiv_contrib_start_ym").value)
    has_work = ~np.isnat(dates(d.facts, "work"))
    persons = d.take("ac01", retirees(d) & _before_new_rules(d) & has_work & (work_m < start), count, rng)
    rows = d.ic10_of[persons]
    deemed = start - work_m[persons] + 1 + rng.integers(1, 25, count)
    _set_months(d, rows, deemed, d.col("ic10", "aae201")[rows].astype(np.int64))
    d.hit("ic10", rows, "R14")
    d.hit("ic10", rows[_exceeds_service(d, persons, d.facts["retire_m"].to_numpy()[persons])], "R15")


def months_beyond_service(d: Draft, rng: np.random.Generator, count: int) -> None:
    """R15: 实际 months raised 1–36 beyond the months from work start to retirement (retired before 2006)."""
    work_m = _work_months(d)
    has_work = ~np.isnat(dates(d.facts, "work"))
    persons = d.take("ac01", retirees(d) & _before_new_rules(d) & has_work, count, rng)
    rows = d.ic10_of[persons]
    deemed = d.col("ic10", "aae200")[rows].astype(np.int64)
    service = d.facts["retire_m"].to_numpy()[persons] - work_m[persons] + 1
    _set_months(d, rows, deemed, service - deemed + rng.integers(1, 37, count))
    d.hit("ic10", rows, "R15")


def contribution_rows(d: Draft, owner: np.ndarray, month: np.ndarray, handled: np.ndarray,
                      pay_type: str, units: np.ndarray | None = None) -> pd.DataFrame:
    """ac43 rows of 110 contributions of persons `owner` for months `month`, paid in full on the average wage on
    the dates `handled`, at `units` (default: the retirement record's unit), numbered like the clean rows (label +
    1). The account share follows the account rate (from 1998 the unit's 3 points to 2005, domain.md §4.2)."""
    base = average_wage(month // 12)
    rate = unit_rate(month)
    personal, employer = np.round(base * 0.08, 2), np.round(base * rate, 2)
    unit_share = np.round(base * (account_rate(month // 12) - 0.08), 2)
    from_unit = np.where(month >= ym_index(param("account_from").value), unit_share, 0.0)
    paid = d8_text(handled)
    return frame("ac43", {
        "row_id": d.next_labels("ac43", len(month)) + 1, "aac001": d.col("ac01", "aac001")[owner],
        "aab001": d.col("ic10", "aab001")[d.ic10_of[owner]] if units is None else units, "aae140": "110", "aae002": ym_text(month),
        "aae003": ym_text(month), "aaa115": pay_type, "aae180": base, "aaa041": 0.08, "aaa042": rate,
        "aae022": personal, "aae020": employer, "aae023": personal, "aae021": from_unit, "aae082": personal,
        "aae080": employer, "aae083": personal, "aae081": from_unit, "aae078": "1", "ead131": paid, "aae017": "0",
        "aae036": paid,
    })


def months_before(ends: np.ndarray, spans: np.ndarray) -> np.ndarray:
    """For each end month, the `spans` months before it (latest first), concatenated."""
    within = np.arange(spans.sum()) - np.repeat(np.cumsum(spans) - spans, spans)
    return np.repeat(ends, spans) - within - 1


def contribution_detail_incomplete(d: Draft, rng: np.random.Generator, count: int) -> None:
    """R16: the last 3–12 months before retirement are in the contribution detail (ac43), the decades before are
    not: 实际 months and the detail disagree. Only retirements from 1999 to before the account years (ic91), so no
    year's account principal is compared with these rows."""
    retire_m = d.facts["retire_m"].to_numpy()
    window = (retire_m >= 1999 * 12) & (retire_m <= (d.period.year - 2) * 12)
    persons = d.take("ac01", retirees(d) & window, count, rng)
    spans = rng.integers(3, 13, count)
    month = months_before(retire_m[persons], spans)
    d.append("ac43", contribution_rows(d, np.repeat(persons, spans), month, random_day_in(month, rng), "10"))
    d.hit("ic10", d.ic10_of[persons], "R16")


def cumulative_months_wrong(d: Draft, rng: np.random.Generator, count: int) -> None:
    """R17: the cumulative months (eac047) 1–24 more or fewer than 视同 + 实际."""
    persons = d.take("ac01", retirees(d), count, rng)
    rows = d.ic10_of[persons]
    held = d.col("ic10", "aae200")[rows].astype(np.int64) + d.col("ic10", "aae201")[rows].astype(np.int64)
    d.set("ic10", rows, "eac047", held + rng.integers(1, 25, count) * rng.choice((-1, 1), count))
    d.hit("ic10", rows, "R17")


# Kinds of the scarce early retirees (R06, R07) choose first.
KINDS = (
    kind(ill_retirement_too_young, "R06 P16", "retirees"),
    kind(special_job_unproven, "R07", "retirees"),
    kind(missing_retirement_date, "R01", "retirees"),
    kind(impossible_retirement_date, "R02 R11 R13", "retirees"),
    kind(work_after_retirement, "R03 R15 W07", "retirees"),
    kind(bad_retirement_category, "R04", "retirees", 3),
    kind(worker_recorded_as_cadre, "R05", "retirees"),
    kind(retired_before_forty, "R08 R05 R15 R22", "retirees"),
    kind(birth_year_too_early, "R09 P18", "retirees"),
    kind(too_few_contribution_months, "R10", "retirees"),
    kind(benefit_before_retirement, "R11", "retirees"),
    kind(benefit_long_after_retirement, "R12", "retirees"),
    kind(assessed_before_retirement, "R13", "retirees"),
    kind(deemed_months_beyond_start, "R14 R15", "retirees"),
    kind(months_beyond_service, "R15", "retirees"),
    kind(contribution_detail_incomplete, "R16", "retirees"),
    kind(cumulative_months_wrong, "R17", "retirees"),
)
