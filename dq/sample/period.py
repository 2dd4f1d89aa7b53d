"""The audit month and calendar arithmetic on whole numpy arrays.

Months are counted as `year * 12 + month - 1` (the `ym_months` macro of docs/rules.md), days as numpy
`datetime64[D]`; every text date the city stores is rendered from these numbers, so generated dates are valid by
construction and defects are the only invalid ones.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass

import numpy as np

EPOCH_MONTHS = 1970 * 12

# Statutory retirement (domain.md §4.1, docs/rules.md `legal_ret_months`):
# (base age in months, first delayed cohort in months, birth months per extra month, maximum delay).
MALE = (720, 1965 * 12, 4, 36)
FEMALE_CADRE = (660, 1970 * 12, 4, 36)
FEMALE_WORKER = (600, 1975 * 12, 2, 60)
CADRE_IDENTITIES = ("4", "5")
# The clean city stays clean when audited in its own month and the HORIZON months after it (dq.sample.evolve audits
# it month after month): no clean fact may cross a time limit of a rule (a grace period, a certification's
# validity) within that time.
HORIZON = 2


@dataclass(frozen=True)
class Period:
    """The audit month `ym`; `today` is its last day and `year` its year (the `:ym`, `:today`, `:yr` parameters)."""

    ym: str

    def __post_init__(self) -> None:
        if len(self.ym) != 6 or not self.ym.isdigit() or not 1 <= int(self.ym[4:]) <= 12:
            raise ValueError(f"审计期 {self.ym!r} 应为 YYYYMM")

    @property
    def year(self) -> int:
        return int(self.ym[:4])

    @property
    def months(self) -> int:
        return self.year * 12 + int(self.ym[4:]) - 1

    @property
    def today(self) -> np.datetime64:
        last = calendar.monthrange(self.year, int(self.ym[4:]))[1]
        return np.datetime64(f"{self.year:04d}-{self.ym[4:]}-{last:02d}", "D")

    @property
    def today_d8(self) -> str:
        return str(self.today).replace("-", "")


def as_days(values: np.ndarray) -> np.ndarray:
    """Dates at day resolution (pandas hands datetimes back in seconds or nanoseconds)."""
    return np.asarray(values).astype("M8[D]")


def to_months(days: np.ndarray) -> np.ndarray:
    return as_days(days).astype("M8[M]").astype(np.int64) + EPOCH_MONTHS


def month_start(months: np.ndarray) -> np.ndarray:
    return (np.asarray(months, dtype=np.int64) - EPOCH_MONTHS).astype("M8[M]").astype("M8[D]")


def month_end(months: np.ndarray) -> np.ndarray:
    return month_start(np.asarray(months) + 1) - np.timedelta64(1, "D")


def days_in_month(months: np.ndarray) -> np.ndarray:
    return (month_end(months) - month_start(months)).astype(np.int64) + 1


def add_years(days: np.ndarray, years: np.ndarray | int) -> np.ndarray:
    """Same month and day `years` later (29 February becomes 28 February in a common year)."""
    days = as_days(days)
    months = to_months(days) + np.asarray(years) * 12
    day = (days - days.astype("M8[M]").astype("M8[D]")).astype(np.int64)
    return month_start(months) + np.minimum(day, days_in_month(months) - 1).astype("m8[D]")


def random_day_in(months: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    offsets = (rng.random(len(months)) * days_in_month(months)).astype(np.int64)
    return month_start(months) + offsets.astype("m8[D]")


def ym_index(ym: object) -> int:
    """A YYYYMM value (text or number, e.g. a parameter) as a month index like `to_months` gives."""
    text = str(ym)
    return int(text[:4]) * 12 + int(text[4:6]) - 1


def d8_days(d8: np.ndarray) -> np.ndarray:
    """YYYYMMDD texts of real dates as days."""
    return np.array([f"{t[:4]}-{t[4:6]}-{t[6:8]}" for t in d8], dtype="M8[D]")


def d8_int(days: np.ndarray) -> np.ndarray:
    days = as_days(days)
    months = to_months(days)
    day = (days - days.astype("M8[M]").astype("M8[D]")).astype(np.int64) + 1
    return (months // 12) * 10000 + (months % 12 + 1) * 100 + day


def d8_text(days: np.ndarray) -> np.ndarray:
    """'YYYYMMDD' strings (object array, None where NaT)."""
    days = as_days(days)
    out = np.full(len(days), None, dtype=object)
    known = ~np.isnat(days)
    out[known] = _shared_text(d8_int(days[known]))
    return out


def ym_text(months: np.ndarray, known: np.ndarray | None = None) -> np.ndarray:
    """'YYYYMM' strings (object array, None where `known` is False)."""
    months = np.asarray(months, dtype=np.int64)
    out = np.full(len(months), None, dtype=object)
    mask = np.ones(len(months), bool) if known is None else known
    out[mask] = _shared_text((months[mask] // 12) * 100 + months[mask] % 12 + 1)
    return out


def _shared_text(numbers: np.ndarray) -> np.ndarray:
    """Numbers as text, one string object per distinct value (millions of rows share a few thousand dates)."""
    distinct, which = np.unique(numbers, return_inverse=True)
    return distinct.astype(str).astype(object)[which]


def legal_ret_months(birth_months: np.ndarray, male: np.ndarray, cadre: np.ndarray) -> np.ndarray:
    """Statutory retirement month: men 60, women cadres 55, other women 50, delayed from the 2025 cohorts on."""
    result = np.empty(len(birth_months), dtype=np.int64)
    groups = ((male, MALE), (~male & cadre, FEMALE_CADRE), (~male & ~cadre, FEMALE_WORKER))
    for mask, (base, first, step, cap) in groups:
        k = birth_months[mask] - first
        delay = np.where(k < 0, 0, np.minimum(cap, k // step + 1))
        result[mask] = birth_months[mask] + base + delay
    return result
