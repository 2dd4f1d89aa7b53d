"""Defects of deceased persons, the external death list and payments after a death: X01–X08, X13, M01, M02 on
the person record (checks/ac01_deceased.yaml, checks/ac01_fraud.yaml) and X10, X11, M03, M04, M12 on payments
(checks/ac82.yaml).

The clean city's deceased are mostly hosts of dependents or retirees whose benefit records read their death date
(F, X09), so most person kinds first register a clean death of a living person — status dead (AAC060), a death
date after the end of his insurance, a 生存状态变更 record (ac26) with its certificate — and then break one part
of it. Who dies depends on the rule: a person whose relations all ended (no rule of an active worker or a retiree
reads him), a worker still paying (X07), a retiree still paid (X08, and X07 where a relation is still normal).
Payment kinds append ac82 rows to retirees the clean city holds dead, outside the audit months (R-rules compare
the audit month's payments). A docstring names every rule its change fails.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from dq.sample.defects_dependents import fresh_ids, id_bodies
from dq.sample.defects_people import impossible_day, parts, people
from dq.sample.defects_retirees import param
from dq.sample.draft import Draft
from dq.sample.frames import digits_text, frame, join_text, member
from dq.sample.kinds import kind
from dq.sample.people import ACTIVE, DEAD_RETIRED, STOPPED, dates
from dq.sample.period import add_years, d8_text, month_start, random_day_in, to_months, ym_index, ym_text

def _alive(d: Draft) -> np.ndarray:
    return d.col("ac01", "aac060") != param("dead").value


def _status(d: Draft, *statuses: int) -> np.ndarray:
    return np.isin(d.facts["status"].to_numpy(), statuses)


def _normal_relation(d: Draft) -> np.ndarray:
    """Persons with a relation in normal insurance (AC02.AAC008 = 1), whom X07 would report once dead."""
    return member(np.arange(len(d.tables["ac01"])), d.owner[d.col("ac02", "aac008") == "1"])


def _mortal(d: Draft) -> np.ndarray:
    """Living persons who can die after their first insured month and the end of their insurance, before the
    audit month ends (X03)."""
    after = np.maximum(d.facts["stop_m"].to_numpy(), d.facts["first_m"].to_numpy()) + 1
    return people(d) & _alive(d) & (after < d.period.months)


def _ended(d: Draft, rng: np.random.Generator, count: int, pool: np.ndarray | bool = True) -> np.ndarray:
    """Living persons (of `pool`) whose insurance ended and who have no relation in normal insurance."""
    return d.take("ac01", pool & _mortal(d) & _status(d, STOPPED) & ~_normal_relation(d), count, rng)


def _paid_retirees(d: Draft) -> np.ndarray:
    """Persons with a retirement record whose benefit is payable (IC10.AAE116 = 1)."""
    paid = d.ic10_of >= 0
    paid[paid] = d.col("ic10", "aae116")[d.ic10_of[paid]] == "1"
    return paid


def _death_days(d: Draft, rng: np.random.Generator, persons: np.ndarray) -> np.ndarray:
    """A day in the last five years after the end of each person's insurance (and after his first insured month),
    no later than the audit day."""
    facts = d.facts
    after = np.maximum(facts["stop_m"].to_numpy()[persons], facts["first_m"].to_numpy()[persons]) + 1
    first = np.minimum(np.maximum(after, d.period.months - 60), d.period.months - 1)
    month = first + (rng.random(len(persons)) * (d.period.months - first)).astype(np.int64)
    return random_day_in(month, rng)


def _register_death(d: Draft, rng: np.random.Generator, persons: np.ndarray, death: np.ndarray,
                    certificate: str = "full") -> None:
    """Status dead and the death date in ac01 and, as the clean city registers a death, the 生存状态变更 record
    (ac26) with its death certificate, cremation number and source; `certificate` "none" leaves the record out,
    "blank" leaves those three fields blank (X06)."""
    d.set("ac01", persons, "aac060", param("dead").value)
    d.set("ac01", persons, "aae138", d8_text(death))
    if certificate == "none":
        return
    size, blank = len(persons), certificate == "blank"
    handled = np.minimum(death + rng.integers(5, 40, size).astype("m8[D]"), np.datetime64(d.period.today, "D"))
    d.append("ac26", frame("ac26", {
        "aac001": d.col("ac01", "aac001")[persons], "aae171": "2", "aac052": "211", "aae138": d8_text(death),
        "aac053": None if blank else join_text("SW", digits_text(rng, size, 10)),
        "aac051": " " if blank else join_text("HH", digits_text(rng, size, 8)),
        "yac551": "1", "source": None if blank else "民政", "aae036": d8_text(handled),
    }))


def _listed(d: Draft, persons: np.ndarray, event: np.ndarray) -> None:
    """The persons' numbers on the civil-affairs cremation list (ext_death) with these death days."""
    d.append("ext_death", frame("ext_death", {
        "id_no": d.col("ac01", "aac002")[persons], "name": d.col("ac01", "aac003")[persons],
        "event_date": d8_text(event), "source": "民政火化", "batch": ym_text(to_months(event)),
    }))


def bad_death_date(d: Draft, rng: np.random.Generator, count: int) -> None:
    """X01: the death date a day its month does not have, or a day after the audit (the certificate's is right)."""
    persons = _ended(d, rng, count)
    death = _death_days(d, rng, persons)
    _register_death(d, rng, persons, death)
    impossible, future = parts(np.arange(count), 2)
    d.set("ac01", persons[impossible], "aae138", [impossible_day(t) for t in d8_text(death[impossible])])
    later = np.datetime64(d.period.today, "D") + rng.integers(1, 400, len(future)).astype("m8[D]")
    d.set("ac01", persons[future], "aae138", d8_text(later))
    d.hit("ac01", persons, "X01")


def death_before_birth(d: Draft, rng: np.random.Generator, count: int) -> None:
    """X02 and X03: the death date typed a few years before the birth date (so before the first insured month)."""
    persons = _ended(d, rng, count)
    _register_death(d, rng, persons, _death_days(d, rng, persons))
    early = add_years(dates(d.facts, "birth")[persons], -rng.integers(1, 5, count))
    d.set("ac01", persons, "aae138", d8_text(early))
    d.hit("ac01", persons, "X02", "X03")


def death_before_insured(d: Draft, rng: np.random.Generator, count: int) -> None:
    """X03: the death date 1–12 months before the first insured month (still after the birth)."""
    first = d.facts["first_m"].to_numpy()
    persons = _ended(d, rng, count, first - to_months(dates(d.facts, "birth")) > 24)
    _register_death(d, rng, persons, _death_days(d, rng, persons))
    d.set("ac01", persons, "aae138", d8_text(month_start(first[persons] - rng.integers(1, 13, count))))
    d.hit("ac01", persons, "X03")


def dead_without_date(d: Draft, rng: np.random.Generator, count: int) -> None:
    """X04: status dead with no death date (NULL or blank), the certificate registered."""
    persons = _ended(d, rng, count)
    _register_death(d, rng, persons, _death_days(d, rng, persons))
    missing, blank = parts(persons, 2)
    d.set("ac01", missing, "aae138", None)
    d.set("ac01", blank, "aae138", " ")
    d.hit("ac01", persons, "X04")


def date_but_alive(d: Draft, rng: np.random.Generator, count: int) -> None:
    """X05: a death date on a person whose status is alive."""
    persons = _ended(d, rng, count)
    d.set("ac01", persons, "aae138", d8_text(_death_days(d, rng, persons)))
    d.hit("ac01", persons, "X05")


def death_unproven(d: Draft, rng: np.random.Generator, count: int) -> None:
    """X06: a death registered with no 生存状态变更 record, or with one whose certificate, cremation number and
    source are all blank."""
    persons = _ended(d, rng, count)
    death = _death_days(d, rng, persons)
    for which, certificate in zip(parts(np.arange(count), 2), ("none", "blank")):
        _register_death(d, rng, persons[which], death[which], certificate)
    d.hit("ac01", persons, "X06")


def dead_still_insured(d: Draft, rng: np.random.Generator, count: int) -> None:
    """X07: a paying worker's death registered (certified) and his relation left in normal insurance."""
    persons = d.take("ac01", _mortal(d) & _status(d, ACTIVE) & _normal_relation(d), count, rng)
    _register_death(d, rng, persons, _death_days(d, rng, persons))
    d.hit("ac01", persons, "X07")


def dead_still_paid(d: Draft, rng: np.random.Generator, count: int) -> None:
    """X08 and X07: a retiree's death registered (certified), his benefit still payable (AAE116 1) and his
    relations, still in normal insurance as every retiree's are, not ended either. Only retirees with an account
    of their own (M13 reads the dead among shared ones). His payments of the months after the death are paid
    (M03), to him as payee (M12)."""
    shared = _shared_accounts(d)
    own_account = d.ic10_of >= 0
    own_account[own_account] = ~shared[d.ic10_of[own_account]]
    persons = d.take("ac01", _mortal(d) & _paid_retirees(d) & own_account, count, rng)
    death = _death_days(d, rng, persons)
    _register_death(d, rng, persons, death)
    d.hit("ac01", persons, "X08")
    d.hit("ac01", persons[_normal_relation(d)[persons]], "X07")
    after = _paid_after(d, persons, death)
    d.hit("ac82", after, "M03")
    own = id_bodies(d.col("ac82", "aae136")[after]) == id_bodies(d.col("ac01", "aac002")[d.persons_of(d.col("ac82", "aac001")[after])])
    d.hit("ac82", after[own], "M12")


def _shared_accounts(d: Draft) -> np.ndarray:
    """Per ic10 record, whether its account number (AAE010) is also another record's."""
    accounts = d.col("ic10", "aae010")
    values, counts = np.unique(accounts[accounts != None], return_counts=True)  # noqa: E711 (elementwise)
    return member(accounts, values[counts > 1])


def centenarian_alive(d: Draft, rng: np.random.Generator, count: int) -> None:
    """X13: a person whose insurance ended born 110–114 years ago and still alive (number, birth date and sex
    consistent, so only the age is wrong; not paying, so W16 stays silent)."""
    persons = _ended(d, rng, count)
    today = np.datetime64(d.period.today, "D")
    birth = add_years(np.full(count, today), -rng.integers(110, 115, count)) - rng.integers(1, 300, count).astype("m8[D]")
    male = d.col("ac01", "aac004")[persons] == "1"
    numbers = fresh_ids(d, rng, birth, male)
    d.set("ac01", persons, "aac006", d8_text(birth))
    d.set("ac01", persons, "aac002", numbers)
    d.set("ac01", persons, "aae135", numbers)
    d.hit("ac01", persons, "X13")


def listed_and_paid(d: Draft, rng: np.random.Generator, count: int) -> None:
    """M01 and M02: a retiree still alive here and still paid, whose number the cremation list shows dead 2–6
    months ago."""
    persons = d.take("ac01", people(d) & _alive(d) & _paid_retirees(d), count, rng)
    months = d.period.months - rng.integers(2, 7, count)
    _listed(d, persons, random_day_in(months, rng))
    d.hit("ac01", persons, "M01", "M02")


def listed_alive(d: Draft, rng: np.random.Generator, count: int) -> None:
    """M02: a worker (no benefit) alive here whose number the cremation list shows dead."""
    persons = d.take("ac01", people(d) & _alive(d) & (d.col("ac01", "aac084") != "1"), count, rng)
    today = np.datetime64(d.period.today, "D")
    _listed(d, persons, today - rng.integers(30, 1500, count).astype("m8[D]"))
    d.hit("ac01", persons, "M02")


def _paid_after(d: Draft, persons: np.ndarray, death: np.ndarray) -> np.ndarray:
    """ac82 labels of the persons' positive payments made for months after their death month."""
    month = pd.Series(to_months(death), index=d.col("ac01", "aac001")[persons])
    numbers = d.col("ac82", "aac001")
    mine = np.flatnonzero(member(numbers, month.index.to_numpy()))
    paid = (d.col("ac82", "aae117")[mine] == "1") & (d.col("ac82", "aae019")[mine].astype(float) > 0)
    later = np.array([ym_index(ym) for ym in d.col("ac82", "aae003")[mine]]) > month.reindex(numbers[mine]).to_numpy()
    return mine[paid & later]


def _on_death_list(d: Draft, persons: np.ndarray) -> np.ndarray:
    return member(id_bodies(d.col("ac01", "aac002")[persons]), id_bodies(d.col("ext_death", "id_no")))


def _unchanged_dead(d: Draft) -> np.ndarray:
    """The clean city's dead whose ac01 record no kind changed: free ones and hosts of new dependents (F kinds
    add ac62 rows only)."""
    hosted = d.used.get("ac62_hosts", np.zeros(len(d.tables["ac01"]), np.int8)) > 0
    return people(d) & ~_alive(d) & (d.free("ac01") | hosted)


def _dead_retirees(d: Draft, rng: np.random.Generator, count: int, last_month: int, first_month: int = 0) -> np.ndarray:
    """Unchanged dead retirees (their benefit stopped) who died between `first_month` and `last_month` (so
    their new payments never fall in the audit months the benefit rules compare); each serves one payment kind
    (X11 groups a person's payments of one item)."""
    death = to_months(dates(d.facts, "death"))
    pool = _unchanged_dead(d) & _status(d, DEAD_RETIRED) & (death >= first_month) & (death <= last_month)
    paid = d.used.setdefault("ac82_persons", np.zeros(len(d.tables["ac01"]), bool))
    candidates = np.flatnonzero(pool & ~paid)
    if len(candidates) < count:
        raise RuntimeError(f"只有 {len(candidates)} 名死亡的离退休人员可注入支付缺陷, 需要 {count}")
    chosen = np.sort(rng.choice(candidates, size=count, replace=False))
    d.claim("ac01", chosen)
    paid[chosen] = True
    return chosen


def _payments(d: Draft, rng: np.random.Generator, persons: np.ndarray, month: np.ndarray, item: str,
              amount: np.ndarray, payee: np.ndarray | None) -> np.ndarray:
    """Append one paid ac82 row per person for `month` (indices) of benefit item `item`, to the retirement
    record's account, numbered like the clean rows (label + 1)."""
    record = d.ic10_of[persons]
    size = len(persons)
    paid = random_day_in(month, rng)
    return d.append("ac82", frame("ac82", {
        "aaz220": d.next_labels("ac82", size) + 1, "aac001": d.col("ac01", "aac001")[persons],
        "aae002": ym_text(month), "aae003": ym_text(month), "aaa036": item, "aaa088": "1", "aae019": amount,
        "aae145": "11", "aae010": d.col("ic10", "aae010")[record], "aae133": d.col("ac01", "aac003")[persons],
        "aae136": payee, "aae117": "1", "aae036": d8_text(paid),
    }))


def _funeral_cap(d: Draft, month: np.ndarray) -> np.ndarray:
    """The funeral subsidy's cap for payments of `month` (indices): funeral_subsidy_months of the previous
    year's monthly resident income (the city's aa_param; NaN before its first year)."""
    income = pd.Series(d.col("aa_param", "resident_income"), index=d.col("aa_param", "aae001"))
    return param("funeral_subsidy_months").value * income.reindex(month // 12 - 1).to_numpy()


def funeral_over_cap(d: Draft, rng: np.random.Generator, count: int) -> None:
    """X10: a funeral subsidy paid in the death month above twice last year's monthly resident income, or a
    lump survivor benefit recorded negative (no payee: a relative collected it)."""
    rule_from = ym_index(param("survivor_rule_from").value)
    persons = _dead_retirees(d, rng, count, d.period.months - 2, rule_from)
    month = to_months(dates(d.facts, "death")[persons])
    over, negative = parts(np.arange(count), 2)
    amount = np.round(_funeral_cap(d, month) + rng.uniform(100, 2000, count), 2)
    amount[negative] = -np.round(rng.uniform(100, 2000, len(negative)), 2)
    items = np.where(np.isin(np.arange(count), negative), param("survivor_lump_items").value[0],
                     param("funeral_subsidy_items").value[0])
    labels = np.concatenate([_payments(d, rng, persons[w], month[w], item, amount[w], None)
                             for w, item in ((over, items[0]), (negative, items[-1])) if len(w)])
    d.hit("ac82", labels, "X10")


def funeral_paid_twice(d: Draft, rng: np.random.Generator, count: int) -> None:
    """X11: the funeral subsidy (within its cap) paid twice in the death month (both payments fail)."""
    persons = _dead_retirees(d, rng, count, d.period.months - 2)
    month = to_months(dates(d.facts, "death")[persons])
    amount = np.round(np.nan_to_num(_funeral_cap(d, month), nan=3000.0) * 0.5, 2)
    item = param("funeral_subsidy_items").value[0]
    d.hit("ac82", np.concatenate([_payments(d, rng, persons, month, item, amount, None) for _ in range(2)]), "X11")


def paid_after_death_unrecovered(d: Draft, rng: np.random.Generator, count: int) -> None:
    """M04, M03 and M12: one to three monthly pensions paid into a dead retiree's account after his death month,
    to him as payee, his benefit since stopped and nothing recovered; M01 too where the cremation list names him
    (the clean list dates the death as ac01 does)."""
    persons = _dead_retirees(d, rng, count, d.period.months - 5)
    spans = rng.integers(1, 4, count)
    owner = np.repeat(persons, spans)
    start = to_months(dates(d.facts, "death")[owner]) + 1
    month = start + np.arange(len(owner)) - np.repeat(np.cumsum(spans) - spans, spans)
    amount = np.round(rng.uniform(1500, 4000, len(owner)), 2)
    labels = _payments(d, rng, owner, month, "011", amount, d.col("ac01", "aac002")[owner])
    d.hit("ac82", labels, "M04", "M03", "M12")
    d.hit("ac01", persons[_on_death_list(d, persons)], "M01")


def payee_dead(d: Draft, rng: np.random.Generator, count: int) -> None:
    """M12: a living retiree's latest payment collected under the number of someone who died before that month."""
    retirees = d.take("ac01", people(d) & _alive(d) & _paid_retirees(d), count, rng)
    dead = np.flatnonzero(_unchanged_dead(d) & (to_months(dates(d.facts, "death")) < d.period.months - 1))
    if len(dead) < count:
        raise RuntimeError(f"只有 {len(dead)} 名死亡人员可作冒领领取人缺陷, 需要 {count}")
    dead = np.sort(rng.choice(dead, size=count, replace=False))
    d.claim("ac01", dead)
    numbers = d.col("ac82", "aac001")
    latest = pd.Series(np.arange(len(numbers))).groupby(numbers).max()
    rows = latest.reindex(d.col("ac01", "aac001")[retirees]).to_numpy()
    d.set("ac82", rows, "aae136", d.col("ac01", "aac002")[dead])
    d.hit("ac82", rows, "M12")


KINDS = (
    kind(bad_death_date, "X01", "deceased"),
    kind(death_before_birth, "X02 X03", "deceased"),
    kind(death_before_insured, "X03", "deceased"),
    kind(dead_without_date, "X04", "deceased"),
    kind(date_but_alive, "X05", "deceased"),
    kind(death_unproven, "X06", "deceased"),
    kind(dead_still_insured, "X07", "deceased"),
    kind(dead_still_paid, "X08 X07", "deceased"),
    kind(centenarian_alive, "X13", "deceased"),
    kind(listed_and_paid, "M01 M02", "deceased"),
    kind(listed_alive, "M02", "deceased"),
    kind(funeral_over_cap, "X10", "deceased"),
    kind(funeral_paid_twice, "X11", "deceased", 1),
    kind(paid_after_death_unrecovered, "M04 M03 M12", "deceased"),
    kind(payee_dead, "M12", "deceased"),
)
