"""Insurance relations (ac02), yearly bases (ac04, ab07) and monthly contributions (ac43).

Bases are the declared wage clamped to 60–300 % of the year's average wage (domain.md §4.2); ab07 totals are
sums of ac04 in cents, so unit bases satisfy U22–U24 exactly until a defect says otherwise.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dq.sample.frames import frame, join_text, pick
from dq.sample.people import CIVIL, DEAD_RETIRED, DEAD_WORKER, RESIDENT, RETIRED, STOPPED, dates
from dq.sample.period import Period, d8_text, month_end, month_start, ym_text
from dq.sample.reference import BASE_CEILING, BASE_FLOOR, average_wage, unit_rate

RESIDENT_GRADES = (200.0, 500.0, 1000.0, 2000.0)


@dataclass
class Insured:
    ac02: pd.DataFrame
    ac04: pd.DataFrame
    ac43: pd.DataFrame
    ab07: pd.DataFrame
    owner: np.ndarray  # ac02 row → person (facts row)
    protected_ab07: np.ndarray  # ab07 rows that are deliberate clean traps


def _base_cents(avg: np.ndarray, ratio: np.ndarray, declared: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(declared wage or NaN, base in cents): declared wage clamped to the floor/ceiling, average wage if none."""
    wage = np.where(declared, np.round(avg * ratio), np.nan)
    base = np.where(declared, np.clip(wage, BASE_FLOOR * avg, BASE_CEILING * avg), avg)
    return wage, np.round(base * 100).astype(np.int64)


@dataclass
class _Rows:
    """ac02 rows under construction, column-wise."""

    person: np.ndarray
    scheme: np.ndarray
    unit: np.ndarray
    state: np.ndarray  # aac008
    paying: np.ndarray  # aac031
    start: np.ndarray  # aac030 (days)
    stop: np.ndarray  # aae031 (days or NaT)
    identity: np.ndarray  # aac066


def _relations(rng: np.random.Generator, facts: pd.DataFrame, period: Period) -> _Rows:
    status = facts["status"].to_numpy()
    people = np.arange(len(facts))
    first, segment = facts["first_m"].to_numpy(), facts["segment_m"].to_numpy()
    nat = np.datetime64("NaT", "D")
    state = np.full(len(facts), "1", dtype=object)
    paying = np.full(len(facts), "1", dtype=object)
    stop = np.full(len(facts), nat)
    stopped = status == STOPPED
    ended = stopped & (rng.random(len(facts)) < 0.2)
    state[stopped], paying[stopped] = np.where(ended[stopped], "4", "2"), np.where(ended[stopped], "3", "2")
    stop[stopped] = month_end(facts["stop_m"].to_numpy()[stopped])
    retired = np.isin(status, (RETIRED,))
    paying[retired], stop[retired] = "3", dates(facts, "retire")[retired]
    dead = np.isin(status, (DEAD_RETIRED, DEAD_WORKER))
    state[dead], paying[dead], stop[dead] = "4", "3", dates(facts, "death")[dead]
    civil = status == CIVIL
    state[civil], paying[civil] = "4", "3"
    stop[civil] = month_end(np.maximum(first, segment - 1))[civil]
    main_scheme = np.where(status == RESIDENT, "170", "110").astype(object)
    start = month_start(np.where(civil, first, segment))
    main = _Rows(people, main_scheme, facts["unit"].to_numpy(), state, paying, start, stop,
                 facts["aac066"].to_numpy().astype(object))

    second = facts["second_unit"].to_numpy()
    extra = np.flatnonzero(second >= 0)
    extra_scheme = np.where(civil[extra], "120", "170").astype(object)
    resident_from = np.minimum(facts["stop_m"].to_numpy()[extra] + 1 + rng.integers(0, 24, len(extra)),
                               period.months)
    extra_start = month_start(np.where(civil[extra], segment[extra], resident_from))
    extra_rows = _Rows(extra, extra_scheme, second[extra], np.full(len(extra), "1", dtype=object),
                       np.full(len(extra), "1", dtype=object), extra_start, np.full(len(extra), nat),
                       np.where(civil[extra], "101", "103").astype(object))
    medical = np.flatnonzero(facts["medical"].to_numpy())
    medical_rows = _Rows(medical, np.full(len(medical), "310", dtype=object), main.unit[medical],
                         main.state[medical], main.paying[medical], main.start[medical], main.stop[medical],
                         main.identity[medical])
    parts = (main, extra_rows, medical_rows)
    return _Rows(*(np.concatenate([getattr(p, f) for p in parts]) for f in _Rows.__dataclass_fields__))


def build_insured(rng: np.random.Generator, facts: pd.DataFrame, ac01: pd.DataFrame, ab01: pd.DataFrame,
                  period: Period) -> Insured:
    rows = _relations(rng, facts.iloc[: len(ac01)], period)
    order = np.lexsort((rows.scheme, rows.person))
    rows = _Rows(*(getattr(rows, f)[order] for f in _Rows.__dataclass_fields__))
    size = len(rows.person)
    active = (rows.state == "1") & (rows.paying == "1")
    contributing = active & np.isin(rows.scheme, ("110", "120"))
    ratio = rng.lognormal(-0.1, 0.45, len(facts))
    flexible = facts["aac066"].to_numpy() == "103"
    ratio[flexible] = pick(rng, (0.6, 0.8, 1.0), int(flexible.sum()))
    declared = rng.random(len(facts)) >= 0.08
    declared[flexible] = True
    _, base_now = _base_cents(average_wage(period.year), ratio[rows.person], declared[rows.person])
    current_base = np.where(contributing, base_now / 100, np.nan)
    resident = active & (rows.scheme == "170")
    current_base[resident] = pick(rng, RESIDENT_GRADES, int(resident.sum()))
    medical = active & (rows.scheme == "310")
    current_base[medical] = base_now[medical] / 100
    aac001 = ac01["aac001"].to_numpy()[rows.person]
    aab001 = ab01["aab001"].to_numpy()[rows.unit]
    ac02 = frame("ac02", {
        "aaz159": join_text("30", np.char.zfill(np.arange(1, size + 1).astype(str), 10)),
        "aac001": aac001,
        "aab001": aab001,
        "aae140": rows.scheme,
        "aac066": rows.identity,
        "aac008": rows.state,
        "aac031": rows.paying,
        "aac030": d8_text(rows.start),
        "aae031": d8_text(rows.stop),
        "aac049": ym_text(facts["first_m"].to_numpy()[rows.person]),
        "aae180": current_base,
        "yac084": np.where(np.isin(facts["status"].to_numpy()[rows.person], (RETIRED, DEAD_RETIRED)), "1", "0"),
    })
    payers = np.flatnonzero(contributing)
    start_m = facts["segment_m"].to_numpy()[rows.person[payers]]
    wages, cents = {}, {}
    for year in (period.year - 1, period.year):
        wages[year], cents[year] = _base_cents(np.full(len(payers), average_wage(year)),
                                               ratio[rows.person[payers]], declared[rows.person[payers]])
    ac04 = _yearly_bases(period, aac001[payers], aab001[payers], rows.scheme[payers], start_m, wages, cents)
    ac43 = _contributions(rng, period, aac001[payers], aab001[payers], rows.scheme[payers], start_m, cents)
    ab07, protected = _unit_bases(rng, ac04, ab01)
    return Insured(ac02, ac04, ac43, ab07, rows.person, protected)


def _yearly_bases(period: Period, aac001: np.ndarray, aab001: np.ndarray, scheme: np.ndarray, start_m: np.ndarray,
                  wages: dict[int, np.ndarray], cents: dict[int, np.ndarray]) -> pd.DataFrame:
    """One ac04 row per contributing relation and year (the audit year and, if it started earlier, the one
    before)."""
    rows = {year: np.flatnonzero(start_m <= year * 12 + 11) for year in cents}

    def pick_rows(values: np.ndarray) -> np.ndarray:
        return np.concatenate([values[r] for r in rows.values()])

    begin = np.concatenate([np.maximum(start_m[r], year * 12) for year, r in rows.items()])
    years = np.concatenate([np.full(len(r), year) for year, r in rows.items()])
    return frame("ac04", {
        "aac001": pick_rows(aac001), "aab001": pick_rows(aab001), "aae140": pick_rows(scheme), "aae001": years,
        "aae041": ym_text(begin), "aae042": join_text(years.astype(str), "12"),
        "aac040": np.concatenate([wages[year][r] for year, r in rows.items()]),
        "aae180": np.concatenate([cents[year][r] for year, r in rows.items()]) / 100,
        "aaz136": "1", "aae016": "1", "aae036": d8_text(month_start(begin) + np.timedelta64(14, "D")),
    })


def _contributions(rng: np.random.Generator, period: Period, aac001: np.ndarray, aab001: np.ndarray,
                   scheme: np.ndarray, start_m: np.ndarray, cents: dict[int, np.ndarray]) -> pd.DataFrame:
    """Monthly rows for the 12 months up to the audit month, paid in full within the month, on the base
    assessed for the month's year."""
    first = np.maximum(start_m, period.months - 11)
    count = period.months - first + 1
    which = np.repeat(np.arange(len(first)), count)
    month = np.repeat(first, count) + (np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count))
    base = np.where(month // 12 == period.year, cents[period.year][which], cents[period.year - 1][which])
    personal = (base * 8 + 50) // 100
    rate = unit_rate(month)
    employer = (base * np.round(rate * 100).astype(np.int64) + 50) // 100
    paid = month_start(month) + rng.integers(9, 28, len(month)).astype("m8[D]")
    ym = ym_text(month)
    paid_text = d8_text(paid)
    return frame("ac43", {
        "row_id": np.arange(1, len(month) + 1), "aac001": aac001[which], "aab001": aab001[which],
        "aae140": scheme[which], "aae002": ym, "aae003": ym, "aaa115": "10", "aae180": base / 100, "aaa041": 0.08,
        "aaa042": rate, "aae022": personal / 100, "aae020": employer / 100, "aae023": personal / 100,
        "aae021": 0.0, "aae082": personal / 100, "aae080": employer / 100, "aae083": personal / 100,
        "aae081": 0.0, "aae078": "1", "ead131": paid_text, "aae017": "0", "aae036": paid_text,
    })


def _unit_bases(rng: np.random.Generator, ac04: pd.DataFrame, ab01: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """ab07 per unit, year and scheme; a few enterprises get a second, 成建制-flagged assessment (a U24 trap)."""
    cents = (ac04["aae180"].to_numpy() * 100).round().astype(np.int64)
    groups = (pd.DataFrame({"aab001": ac04["aab001"], "aae001": ac04["aae001"].astype(int),
                            "aae140": ac04["aae140"], "cents": cents})
              .groupby(["aab001", "aae001", "aae140"], sort=True)["cents"].agg(["sum", "size"]).reset_index())
    enterprise = groups["aab001"].map(dict(zip(ab01["aab001"], ab01["aab019"] == "10"))).fillna(False).to_numpy(bool)
    wages = np.round(groups["sum"].to_numpy() * rng.uniform(0.85, 1.25, len(groups)) / 100)
    unit_base = np.where(enterprise, np.maximum(wages * 100, groups["sum"].to_numpy()), groups["sum"].to_numpy())
    years = groups["aae001"].to_numpy()
    ab07 = frame("ab07", {
        "aab001": groups["aab001"].to_numpy(dtype=object), "aae001": years, "aae140": groups["aae140"].to_numpy(dtype=object),
        "aab084": wages, "aab121": unit_base / 100, "aab120": groups["sum"].to_numpy() / 100,
        "aab119": groups["size"].to_numpy(), "aae036": join_text(years.astype(str), "0120"),
    })
    candidates = np.flatnonzero(enterprise)
    traps = rng.choice(candidates, size=min(len(candidates), max(2, len(ab07) // 1000)), replace=False)
    second = ab07.iloc[traps].copy()
    second["aab084"] = np.round(np.maximum(second["aab084"], second["aab120"]) + 1000, 2)
    second["aab121"] = second["aab084"]
    second["aae036"] = join_text(second["aae001"].astype(str).to_numpy(), "0715")
    ab07.loc[traps, "aab100_event"] = "1"
    second["aab100_event"] = "1"
    ab07 = pd.concat([ab07, second], ignore_index=True)
    return ab07, np.r_[traps, np.arange(len(ab07) - len(traps), len(ab07))]
