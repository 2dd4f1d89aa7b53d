"""Defects of deceased persons and of the external death list: X01–X08, X13 (checks/ac01_deceased.yaml) and M01,
M02 (checks/ac01_fraud.yaml), all on the person record (ac01).

The clean city's deceased are mostly hosts of dependents or retirees whose benefit records read their death date
(F, X09), so most kinds first register a clean death of a living person — status dead (AAC060), a death date
after the end of his insurance, a 生存状态变更 record (ac26) with its certificate — and then break one part of it.
Who dies depends on the rule: a person whose relations all ended (no rule of an active worker or a retiree reads
him), a worker still paying (X07), a retiree still paid (X08, and X07 where a relation is still normal). A docstring names every rule its change fails.
"""
from __future__ import annotations

import numpy as np

from dq.sample.defects_dependents import fresh_ids
from dq.sample.defects_people import impossible_day, parts, people
from dq.sample.defects_retirees import param
from dq.sample.draft import Draft
from dq.sample.frames import digits_text, frame, join_text, member
from dq.sample.kinds import kind
from dq.sample.people import ACTIVE, STOPPED, dates
from dq.sample.period import add_years, d8_text, month_start, random_day_in, to_months, ym_text

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


def _ended(d: Draft, rng: np.random.Generator, count: int) -> np.ndarray:
    """Living persons whose insurance ended and who have no relation in normal insurance."""
    return d.take("ac01", _mortal(d) & _status(d, STOPPED) & ~_normal_relation(d), count, rng)


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


def _listed(d: Draft, rng: np.random.Generator, persons: np.ndarray, event: np.ndarray) -> None:
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
    pool = _mortal(d) & _status(d, STOPPED) & ~_normal_relation(d)
    first = d.facts["first_m"].to_numpy()
    born = to_months(dates(d.facts, "birth"))
    persons = d.take("ac01", pool & (first - born > 24), count, rng)
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
    of their own (M13 reads the dead among shared ones)."""
    shared = _shared_accounts(d)
    paid = d.ic10_of >= 0
    paid[paid] = (d.col("ic10", "aae116")[d.ic10_of[paid]] == "1") & ~shared[d.ic10_of[paid]]
    persons = d.take("ac01", _mortal(d) & paid, count, rng)
    _register_death(d, rng, persons, _death_days(d, rng, persons))
    d.hit("ac01", persons, "X08")
    d.hit("ac01", persons[_normal_relation(d)[persons]], "X07")


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
    paid = d.ic10_of >= 0
    paid[paid] = d.col("ic10", "aae116")[d.ic10_of[paid]] == "1"
    persons = d.take("ac01", people(d) & _alive(d) & paid, count, rng)
    months = d.period.months - rng.integers(2, 7, count)
    _listed(d, rng, persons, random_day_in(months, rng))
    d.hit("ac01", persons, "M01", "M02")


def listed_alive(d: Draft, rng: np.random.Generator, count: int) -> None:
    """M02: a worker (no benefit) alive here whose number the cremation list shows dead."""
    persons = d.take("ac01", people(d) & _alive(d) & (d.col("ac01", "aac084") != "1"), count, rng)
    today = np.datetime64(d.period.today, "D")
    _listed(d, rng, persons, today - rng.integers(30, 1500, count).astype("m8[D]"))
    d.hit("ac01", persons, "M02")


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
)
