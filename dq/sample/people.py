"""Clean persons (ac01) and the life facts the other tables are derived from.

Every person gets a status (在职, 延缴, 中断, 离退休, 死亡, 城乡居民, 机关事业), then dates in causal order:
birth → work start (≥ 17 years later, or exactly 16 for a few boundary cases) → first insured month → current
insurance segment → stop / retirement / death. Birth months are drawn against the statutory retirement month
(`legal_ret_months`), so active workers are not past it (W16) and normal retirees have reached it (W17), except a
few deliberate boundary cases that must still pass.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dq.sample import vocab
from dq.sample.frames import frame, join_text, pick
from dq.sample.period import (
    CADRE_IDENTITIES, HORIZON, Period, add_years, d8_int, d8_text, legal_ret_months, month_start, random_day_in, to_months,
)
from dq.sample.persona import IdFactory, addresses, chinese_names, district_names, mobiles

ACTIVE, CONTINUING, STOPPED, RETIRED, DEAD_RETIRED, DEAD_WORKER, RESIDENT, CIVIL = range(8)
SHARES = (0.53, 0.015, 0.13, 0.24, 0.04, 0.02, 0.015, 0.01)
EARLY_SHARE = 0.12
YEAR = 12
IDENTITIES = {"1": 0.60, "4": 0.25, "9": 0.10, "2": 0.05}


@dataclass
class People:
    """`facts` has one row per person (ac01 rows first, then the reserve); `ac01` the clean records."""

    facts: pd.DataFrame
    ac01: pd.DataFrame
    reserve: pd.DataFrame


def dates(facts: pd.DataFrame, column: str) -> np.ndarray:
    """A date column of the facts at day resolution (pandas keeps datetimes in seconds)."""
    return facts[column].to_numpy().astype("M8[D]")


def _statuses(rng: np.random.Generator, persons: int, reserve: int) -> np.ndarray:
    status = rng.choice(len(SHARES), size=persons, p=SHARES)
    return np.concatenate([status, np.full(reserve, STOPPED)]).astype(np.int8)


def _draw_births(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray, anchor: np.ndarray, male: np.ndarray,
                 cadre: np.ndarray, accept) -> np.ndarray:
    """Birth months `anchor - age` with age in [lo, hi) months, redrawn until `accept(birth, legal)` holds."""
    birth = np.zeros(len(lo), dtype=np.int64)
    pending = np.arange(len(lo))
    while len(pending):
        birth[pending] = anchor[pending] - rng.integers(lo[pending], hi[pending])
        legal = legal_ret_months(birth[pending], male[pending], cadre[pending])
        pending = pending[~accept(birth[pending], legal, anchor[pending])]
    return birth


def _life_months(rng: np.random.Generator, status: np.ndarray, male: np.ndarray, cadre: np.ndarray,
                 period: Period, boundary: np.ndarray) -> dict[str, np.ndarray]:
    """Birth, retirement and death months (retirement/death = -1 where none) and the retirement category."""
    size, now = len(status), period.months
    anchor = np.full(size, now, dtype=np.int64)
    lo, hi = np.full(size, 18 * YEAR), np.full(size, 64 * YEAR)
    early = np.isin(status, (RETIRED,)) & (rng.random(size) < EARLY_SHARE)
    retire = np.full(size, -1, dtype=np.int64)
    death = np.full(size, -1, dtype=np.int64)
    category = np.full(size, None, dtype=object)
    category[early] = pick(rng, "4567", int(early.sum()))

    working = np.isin(status, (ACTIVE, CIVIL)) & ~boundary
    lo[np.isin(status, (STOPPED,))], hi[np.isin(status, (STOPPED,))] = 22 * YEAR, 66 * YEAR
    lo[status == RESIDENT], hi[status == RESIDENT] = 20 * YEAR, 60 * YEAR
    lo[status == CONTINUING], hi[status == CONTINUING] = 50 * YEAR, 68 * YEAR
    lo[boundary], hi[boundary] = 49 * YEAR, 64 * YEAR
    normal = np.isin(status, (RETIRED, DEAD_RETIRED)) & ~early
    lo[normal], hi[normal] = 45 * YEAR, 93 * YEAR
    # early retirees: retired in the last 8 years, before their statutory month (aic161 4/5/6/7)
    retire[early] = now - rng.integers(1, 97, int(early.sum()))
    anchor[early] = retire[early]
    # at least the month after reaching the minimum age (domain.md §4.1): retirement dates are 1sts, so a birthday
    # later in the retirement month would leave the full age on that date one short (R06, R07). Disabled at work
    # (6) has no minimum age (国发〔1978〕104号); the city's youngest are 40 (R08).
    minimum = np.where(male[early], np.where(category[early] == "5", 55, 50), 45)
    lo[early] = np.where(category[early] == "6", 40, minimum) * YEAR + 1
    hi[early] = np.where(male[early], 60, np.where(cadre[early], 55, 50)) * YEAR
    dead_worker = status == DEAD_WORKER
    death[dead_worker] = now - rng.integers(0, 121, int(dead_worker.sum()))
    anchor[dead_worker] = death[dead_worker]
    lo[dead_worker], hi[dead_worker] = 30 * YEAR, 60 * YEAR

    rules = (
        (working, lambda b, legal, at: legal > at),
        (boundary, lambda b, legal, at: (at - legal >= 0) & (at - legal <= 6 - HORIZON)),
        (status == CONTINUING, lambda b, legal, at: (at - legal >= 7) & (at - legal <= 60)),
        (normal, lambda b, legal, at: legal <= at - 1),
        (early, lambda b, legal, at: legal > at),
        (dead_worker, lambda b, legal, at: legal > at),
        (np.isin(status, (STOPPED, RESIDENT)), lambda b, legal, at: np.ones(len(b), bool)),
    )
    birth = np.zeros(size, dtype=np.int64)
    for mask, rule in rules:
        birth[mask] = _draw_births(rng, lo[mask], hi[mask], anchor[mask], male[mask], cadre[mask], rule)
    legal = legal_ret_months(birth, male, cadre)
    retire[normal] = np.minimum(legal[normal] + rng.integers(0, 3, int(normal.sum())), now - 1)
    category[normal] = "2"
    dead_retired = status == DEAD_RETIRED
    first_death = np.maximum(retire[dead_retired] + 1, now - 120)
    death[dead_retired] = first_death + (rng.random(int(dead_retired.sum())) * (now + 1 - first_death)).astype(np.int64)
    return {"birth_m": birth, "legal_m": legal, "retire_m": retire, "death_m": death, "aic161": category}


def _career(rng: np.random.Generator, status: np.ndarray, birth: np.ndarray, life: dict[str, np.ndarray],
            period: Period, exact16: np.ndarray) -> dict[str, np.ndarray]:
    """Work start, first insured month (aac049), current segment start (aac030) and stop month."""
    size, now = len(status), period.months
    latest_work = np.full(size, now - 1, dtype=np.int64)
    latest_work[status == STOPPED] = now - 13
    retired = life["retire_m"] >= 0
    latest_work[retired] = life["retire_m"][retired] - 181
    dead_worker = status == DEAD_WORKER
    latest_work[dead_worker] = life["death_m"][dead_worker] - 12
    earliest = add_years(birth, 17)
    room = np.maximum(0, (month_start(latest_work) - earliest).astype(np.int64))
    work = earliest + np.minimum(room, rng.integers(0, 8 * 366, size)).astype("m8[D]")
    work[exact16] = add_years(birth[exact16], 16)
    work[d8_int(work) % 10000 == 101] += np.timedelta64(1, "D")  # 1 January looks like a default date (P24)
    no_work = (status == RESIDENT) & (rng.random(size) < 0.4)
    work_m = to_months(work)

    end = np.full(size, now, dtype=np.int64)
    end[status == STOPPED] = now - 1
    end[retired] = life["retire_m"][retired] - 1
    end[dead_worker] = life["death_m"][dead_worker]
    old = work_m < 1992 * YEAR
    first = np.where(old, rng.integers(np.clip(work_m, 1986 * YEAR, 1992 * YEAR), 1992 * YEAR + 1),
                     work_m + rng.integers(0, 7, size))
    resident_first = np.maximum(to_months(add_years(birth, 18)), now - rng.integers(0, 121, size))
    first = np.where(no_work, resident_first, first)
    first = np.minimum(first, end)
    stop = np.full(size, -1, dtype=np.int64)
    stopped = status == STOPPED
    stop_lo = np.maximum(first[stopped], work_m[stopped] + 12)
    stop[stopped] = stop_lo + (rng.random(int(stopped.sum())) * (now - stop_lo)).astype(np.int64)
    end[stopped] = stop[stopped]
    later = rng.random(size) < 0.5
    segment = np.where(later, first + (rng.random(size) * (end - first + 1)).astype(np.int64), first)
    work = np.where(no_work, np.datetime64("NaT"), work)
    return {"work": work, "first_m": first, "segment_m": segment, "stop_m": stop}


def _units(rng: np.random.Generator, status: np.ndarray, ab01: pd.DataFrame) -> dict[str, np.ndarray]:
    """Employer of each person's main insurance row (unit), a second unit for 机关事业 members and for people
    with a 城乡居民 row, and the 参保身份 aac066. Every paying unit gets at least one contributing member."""
    size = len(status)
    types, paying = ab01["aab019"].to_numpy(), ab01["aab051"].to_numpy() == "1"
    virtual = np.flatnonzero(types == "80")
    ordinary = np.flatnonzero(types != "80")
    paying_ordinary = np.flatnonzero(paying & (types != "80"))
    public = np.flatnonzero(paying & np.isin(types, vocab.PUBLIC_TYPES))
    public = public if len(public) else paying_ordinary
    weight = rng.lognormal(0, 1, len(ab01))

    def weighted(pool: np.ndarray, count: int) -> np.ndarray:
        return pool[rng.choice(len(pool), size=count, p=weight[pool] / weight[pool].sum())]

    unit = weighted(ordinary, size)
    second = np.full(size, -1, dtype=np.int64)
    identity = np.full(size, "101", dtype=object)
    active = np.flatnonzero(status == ACTIVE)
    flexible = active[rng.random(len(active)) < 0.10]
    employees = np.setdiff1d(active, flexible)
    rng.shuffle(employees)
    identity[flexible] = "103"
    unit[flexible] = virtual[np.arange(len(flexible)) % len(virtual)]
    unit[employees] = weighted(paying_ordinary, len(employees))
    unit[employees[: len(paying_ordinary)]] = paying_ordinary[: len(employees)]
    continuing = np.flatnonzero(status == CONTINUING)
    identity[continuing] = "104"
    unit[continuing] = weighted(paying_ordinary, len(continuing))
    civil = np.flatnonzero(status == CIVIL)
    second[civil] = weighted(public, len(civil))
    residents = np.flatnonzero(status == RESIDENT)
    unit[residents] = virtual[rng.integers(0, len(virtual), len(residents))]
    identity[residents] = "103"
    stopped = np.flatnonzero(status == STOPPED)
    also_resident = stopped[rng.random(len(stopped)) < 0.05]
    second[also_resident] = virtual[rng.integers(0, len(virtual), len(also_resident))]
    medical = np.zeros(size, bool)
    medical[employees[rng.random(len(employees)) < 0.2]] = True
    return {"unit": unit, "second_unit": second, "aac066": identity, "medical": medical}


def build_people(rng: np.random.Generator, ids: IdFactory, period: Period, persons: int, reserve: int,
                 ab01: pd.DataFrame) -> People:
    status = _statuses(rng, persons, reserve)
    size = len(status)
    male = rng.random(size) < 0.52
    identity = pick(rng, IDENTITIES, size, tuple(IDENTITIES.values()))
    identity[status == CIVIL] = pick(rng, "45", int((status == CIVIL).sum()))
    cadre = np.isin(identity, CADRE_IDENTITIES)
    traps = np.flatnonzero(status[:persons] == ACTIVE)
    rng.shuffle(traps)
    n_traps = max(2, persons // 1000)
    boundary, exact16, foreign = np.zeros((3, size), bool)
    boundary[traps[:n_traps]] = True
    exact16[traps[n_traps: 2 * n_traps]] = True
    foreign[traps[2 * n_traps: 2 * n_traps + max(2, persons // 5000)]] = True

    life = _life_months(rng, status, male, cadre, period, boundary)
    birth = random_day_in(life["birth_m"], rng)
    leap_day = d8_int(birth) % 10000 == 229
    birth[exact16 & leap_day] -= np.timedelta64(1, "D")
    career = _career(rng, status, birth, life, period, exact16)
    units = _units(rng, status, ab01)
    death = np.where(life["death_m"] >= 0, random_day_in(np.maximum(life["death_m"], 0), rng), np.datetime64("NaT"))
    death = np.minimum(death, period.today)
    retire = np.where(life["retire_m"] >= 0, month_start(np.maximum(life["retire_m"], 0)), np.datetime64("NaT"))

    number = ids.issue(d8_int(birth), male)
    number[foreign] = join_text("E", np.char.zfill(np.flatnonzero(foreign).astype(str), 8))
    region = np.array([n[:6] for n in number], dtype=object)
    local = np.isin(region, list(vocab.DISTRICTS))
    home = np.where(local, region, pick(rng, vocab.DISTRICTS, size))
    names = chinese_names(rng, size)
    names[foreign] = pick(rng, vocab.LATIN_NAMES, int(foreign.sum()))
    home_address = addresses(rng, district_names(home))
    phone = mobiles(rng, size)
    phone[rng.random(size) < 0.03] = None
    ethnic_other = pick(rng, vocab.CODE_TABLES["AAC005"], size)
    ethnicity = np.where(rng.random(size) < 0.97, pick(rng, ("01", "12", "03", "10", "02"), size,
                                                       (0.86, 0.1, 0.02, 0.015, 0.005)), ethnic_other)
    retired = np.isin(status, (RETIRED, DEAD_RETIRED))
    dead = np.isin(status, (DEAD_RETIRED, DEAD_WORKER))
    ac01 = frame("ac01", {
        "aac001": join_text("21", np.char.zfill(np.arange(1, size + 1).astype(str), 10)),
        "aac002": number,
        "aac058": np.where(foreign, "03", "01"),
        "aae135": number,
        "aac003": names,
        "aac004": np.where(male, "1", "2"),
        "aac005": ethnicity,
        "aac006": d8_text(birth),
        "aac007": d8_text(career["work"]),
        "aac009": pick(rng, "12345", size, (0.6, 0.3, 0.05, 0.04, 0.01)),
        "aac010": home_address,
        "aab301": home,
        "aac012": identity,
        "aac013": pick(rng, "12349", size, (0.15, 0.6, 0.15, 0.05, 0.05)),
        "aac060": np.where(dead, "2", "1"),
        "aae138": d8_text(death),
        "aac084": np.where(retired, "1", "0"),
        "aae005": phone,
        "aae006": home_address,
        "aae036": d8_text(month_start(career["first_m"]) + np.timedelta64(9, "D")),
        "aae100": "1",
    })
    facts = pd.DataFrame({
        "status": status, "male": male, "cadre": cadre, "birth": birth, "death": death, "retire": retire,
        "protected": boundary | exact16 | foreign, "citizen": ~foreign, **life, **career, **units,
    })
    return People(facts, ac01.iloc[:persons].copy(), ac01.iloc[persons:].reset_index(drop=True))
