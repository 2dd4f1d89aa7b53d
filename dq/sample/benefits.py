"""Retirement and death: ic10 (retirees), ac61 (benefit items), ac82 (payments, last 3 months), ac26 (deaths),
ac62 (dependents of the deceased), ac90 (yearly eligibility checks) and ext_death (the civil-affairs list).

Pensions follow 国发〔2005〕38号 (domain.md §4.3): basic = (avg + avg·index)/2 · years · 1 %, account =
balance / 计发月数, transitional for service before 1992. These tables are clean; their rules come later.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dq.sample import vocab
from dq.sample.frames import digits_text, frame, join_text, member, pick
from dq.sample.people import DEAD_RETIRED, DEAD_WORKER, RETIRED, dates
from dq.sample.period import (
    HORIZON, Period, add_years, d8_int, d8_text, month_start, random_day_in, to_months, ym_text,
)
from dq.sample.persona import IdFactory, chinese_names
from dq.sample.reference import average_wage

# 计发月数 by age at retirement, 40–70 (国发〔2005〕38号 附表)
DIVISORS = np.array([233, 230, 226, 223, 220, 216, 212, 207, 204, 199, 195, 190, 185, 180, 175, 170, 164, 158,
                     152, 145, 139, 132, 125, 117, 109, 101, 93, 84, 75, 65, 56])
ITEMS = ("011", "012", "013")


@dataclass
class Benefits:
    ic10: pd.DataFrame
    ac61: pd.DataFrame
    ac82: pd.DataFrame
    ac26: pd.DataFrame
    ac62: pd.DataFrame
    ac90: pd.DataFrame
    ext_death: pd.DataFrame


def _pension_items(rng: np.random.Generator, facts: pd.DataFrame, period: Period) -> dict[str, np.ndarray]:
    work_m = to_months(dates(facts, "work"))
    first, retire = facts["first_m"].to_numpy(), facts["retire_m"].to_numpy()
    deemed = np.where(work_m < 1992 * 12, np.maximum(0, first - work_m), 0)
    actual = retire - first
    index = np.round(rng.uniform(0.6, 2.0, len(facts)), 4)
    avg = average_wage(retire // 12)
    account = np.round(avg * index * 0.08 * actual * 1.2, 2)
    # 计发月数 by the full age on the retirement date (a 1st: a birthday later in that month does not count yet)
    age = np.clip((d8_int(dates(facts, "retire")) - d8_int(dates(facts, "birth"))) // 10000, 40, 70)
    amounts = {
        "011": np.round((avg + avg * index) / 2 * (deemed + actual) / 12 * 0.01, 2),
        "012": np.round(account / DIVISORS[age - 40], 2),
        "013": np.where(deemed > 0, np.round(avg * index * deemed / 12 * 0.012, 2), np.nan),
    }
    return {"deemed": deemed, "actual": actual, "index": index, "account": account, **amounts}


def _dependents(rng: np.random.Generator, ids: IdFactory, facts: pd.DataFrame, ac01: pd.DataFrame,
                dead: np.ndarray, period: Period) -> pd.DataFrame:
    """A spouse (or, for young deceased workers, a child) for about 15 % of the deceased."""
    chosen = dead[rng.random(len(dead)) < 0.15]
    death = dates(facts, "death")[chosen]
    young = (facts["status"].to_numpy()[chosen] == DEAD_WORKER) & (dates(facts, "birth")[chosen] > add_years(death, -55))
    child_from = np.maximum(add_years(death, -15), add_years(np.full(len(chosen), period.today), -17))
    child_span = np.maximum(1, (death - np.timedelta64(30, "D") - child_from).astype(np.int64))
    child_birth = child_from + (rng.random(len(chosen)) * child_span).astype("m8[D]")
    spouse_birth = dates(facts, "birth")[chosen] + rng.integers(-1000, 1000, len(chosen)).astype("m8[D]")
    birth = np.where(young, child_birth, spouse_birth)
    male = np.where(young, rng.random(len(chosen)) < 0.5, ~facts["male"].to_numpy()[chosen])
    age_at_death = (d8_int(death) - d8_int(birth)) // 10000
    able = age_at_death < np.where(male, 60, 55)
    share = np.where(young, 0.3, 0.4)
    return frame("ac62", {
        "aaz257": join_text("GY", np.char.zfill(np.arange(1, len(chosen) + 1).astype(str), 10)),
        "aac111": ac01["aac001"].to_numpy()[chosen],
        "aac002_gy": ids.issue(d8_int(birth), male),
        "aac003_gy": chinese_names(rng, len(chosen)),
        "aac004_gy": np.where(male, "1", "2"),
        "aac006_gy": d8_text(birth),
        "aae144": np.where(young, "2", "1"),
        "yac520": np.where(~young & able, "1", "0"),
        "aac086": "0",
        "aic172": share,
        "aae210": ym_text(to_months(death) + 1),
        "aae019": np.round(share * 3600, 2),
        "aae116": "1",
    })


def build_benefits(rng: np.random.Generator, ids: IdFactory, facts: pd.DataFrame, ac01: pd.DataFrame,
                   ab01: pd.DataFrame, period: Period) -> Benefits:
    persons = len(ac01)
    facts = facts.iloc[:persons]
    status = facts["status"].to_numpy()
    retirees = np.flatnonzero(np.isin(status, (RETIRED, DEAD_RETIRED)))
    dead = np.flatnonzero(np.isin(status, (DEAD_RETIRED, DEAD_WORKER)))
    r = facts.iloc[retirees]
    alive = r["status"].to_numpy() == RETIRED
    pension = _pension_items(rng, r, period)
    death_m = to_months(dates(r, "death"))
    ac62 = _dependents(rng, ids, facts, ac01, dead, period)
    aac001 = ac01["aac001"].to_numpy()[retirees]
    account_no = join_text("62170", np.char.zfill(retirees.astype(str), 9), digits_text(rng, len(retirees), 5))
    special = r["aic161"].to_numpy() == "5"
    items = {k: pension[k] for k in ITEMS}
    ic10 = frame("ic10", {
        "aac001": aac001, "aab001": ab01["aab001"].to_numpy()[r["unit"].to_numpy()], "aae140": "110",
        "aic161": r["aic161"].to_numpy(dtype=object), "aic162": d8_text(dates(r, "retire")),
        "aae210": ym_text(r["retire_m"].to_numpy()), "aae211": ym_text(r["retire_m"].to_numpy()),
        "aae200": pension["deemed"], "aae201": pension["actual"], "eae027": 0,
        "eac047": pension["deemed"] + pension["actual"],
        "aac019": np.where(special, "3", "0"), "eac065": np.where(special, 120, 0),
        "aic165": pension["account"], "aic164": pension["index"],
        "eic009": np.nansum(np.column_stack(list(items.values())), axis=1),
        "aae116": np.where(alive, "1", "3"), "aae145": "11", "aaz009": pick(rng, vocab.BANKS, len(retirees)),
        "aae010": account_no, "aae009": ac01["aac003"].to_numpy()[retirees],
        "aae235": ym_text(death_m + 1, ~alive),
        "aac063": np.where(member(aac001, ac62["aac111"].to_numpy()), "1", "0"),
        "aac057": join_text("LT", np.char.zfill(retirees.astype(str), 9)),
    })
    ac61 = _items(ic10, items, death_m, alive)
    ac82 = _payments(ic10, items, death_m, alive, ac01["aac002"].to_numpy()[retirees], period)
    return Benefits(ic10, ac61, ac82, _deaths(rng, facts, ac01, dead, period), ac62,
                    _certifications(rng, ic10[alive], period), _death_list(rng, ids, facts, ac01, dead, period))


def retirement_accounts(benefits: Benefits, aac001: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per person number: the account balance at retirement (aic165) and the monthly account pension (item 012),
    NaN for people without a retirement record; the account table (ic91) is built to agree with them."""
    ic10, ac61 = benefits.ic10, benefits.ac61
    account = ac61[ac61["aaa036"] == "012"]
    return (pd.Series(ic10["aic165"].to_numpy(), index=ic10["aac001"]).reindex(aac001).to_numpy(),
            pd.Series(account["aae019"].to_numpy(), index=account["aac001"]).reindex(aac001).to_numpy())


def _items(ic10: pd.DataFrame, items: dict[str, np.ndarray], death_m: np.ndarray, alive: np.ndarray) -> pd.DataFrame:
    parts = []
    for code, amount in items.items():
        has = ~np.isnan(amount)
        parts.append(pd.DataFrame({"aac001": ic10["aac001"][has], "aaa036": code, "aae019": amount[has],
                                   "aae041": ic10["aae210"][has], "aae042": ym_text(death_m, ~alive)[has]}))
    data = pd.concat(parts, ignore_index=True)
    return frame("ac61", {c: data[c].to_numpy(dtype=object if c != "aae019" else float) for c in data}
                 | {"aaa085": "1"})


def _payments(ic10: pd.DataFrame, items: dict[str, np.ndarray], death_m: np.ndarray, alive: np.ndarray,
              numbers: np.ndarray, period: Period) -> pd.DataFrame:
    """Payments for the last three months and the HORIZON months the city is also audited in (each audit month
    has its own: R25, R26), through the death month for those who died in them."""
    parts = []
    last = np.where(alive, period.months + HORIZON, death_m)
    first = np.maximum(period.months - 2, ic10["aae210"].astype(int).to_numpy() // 100 * 12
                       + ic10["aae210"].astype(int).to_numpy() % 100 - 1)
    for month in range(period.months - 2, period.months + HORIZON + 1):
        for code, amount in items.items():
            due = (first <= month) & (month <= last) & ~np.isnan(amount)
            parts.append(pd.DataFrame({"row": np.flatnonzero(due), "month": month, "aaa036": code,
                                       "aae019": amount[due]}))
    data = pd.concat(parts, ignore_index=True).sort_values(["row", "month", "aaa036"], kind="stable")
    row, month = data["row"].to_numpy(), data["month"].to_numpy()
    ym = ym_text(month)
    return frame("ac82", {
        "aaz220": np.arange(1, len(data) + 1), "aac001": ic10["aac001"].to_numpy()[row], "aae002": ym, "aae003": ym,
        "aaa036": data["aaa036"].to_numpy(dtype=object), "aaa088": "1", "aae019": data["aae019"].to_numpy(),
        "aae145": "11", "aae010": ic10["aae010"].to_numpy()[row], "aae133": ic10["aae009"].to_numpy()[row],
        "aae136": numbers[row], "aae117": "1", "aae036": d8_text(month_start(month) + np.timedelta64(4, "D")),
    })


def _deaths(rng: np.random.Generator, facts: pd.DataFrame, ac01: pd.DataFrame, dead: np.ndarray,
            period: Period) -> pd.DataFrame:
    death = dates(facts, "death")[dead]
    retired = facts["status"].to_numpy()[dead] == DEAD_RETIRED
    return frame("ac26", {
        "aac001": ac01["aac001"].to_numpy()[dead], "aae171": "2", "aac052": np.where(retired, "451", "211"),
        "aae138": d8_text(death), "aac053": join_text("SW", digits_text(rng, len(dead), 10)),
        "aac051": join_text("HH", digits_text(rng, len(dead), 8)), "yac551": "1", "source": "民政",
        "aae036": d8_text(np.minimum(death + rng.integers(3, 30, len(dead)).astype("m8[D]"), period.today)),
    })


def _certifications(rng: np.random.Generator, ic10: pd.DataFrame, period: Period) -> pd.DataFrame:
    when = random_day_in(period.months - rng.integers(0, 12 - HORIZON, len(ic10)), rng)
    return frame("ac90", {"aac001": ic10["aac001"].to_numpy(), "aae001": period.year, "aaa094": "1",
                          "aae036": d8_text(when), "aaa095": pick(rng, "12", len(ic10))})


def _death_list(rng: np.random.Generator, ids: IdFactory, facts: pd.DataFrame, ac01: pd.DataFrame,
                dead: np.ndarray, period: Period) -> pd.DataFrame:
    """The civil-affairs cremation list: 60 % of our deceased, plus people never insured here."""
    listed = dead[rng.random(len(dead)) < 0.6]
    strangers = max(2, len(ac01) // 2000)
    stranger_birth = random_day_in(rng.integers(1930 * 12, 1960 * 12, strangers), rng)
    stranger_death = random_day_in(period.months - rng.integers(0, 24, strangers), rng)
    death = np.concatenate([dates(facts, "death")[listed], stranger_death])
    return frame("ext_death", {
        "id_no": np.concatenate([ac01["aac002"].to_numpy()[listed], ids.issue(d8_int(stranger_birth), rng.random(strangers) < 0.5)]),
        "name": np.concatenate([ac01["aac003"].to_numpy()[listed], chinese_names(rng, strangers)]),
        "event_date": d8_text(death), "source": "民政火化",
        "batch": ym_text(to_months(death)),
    })
