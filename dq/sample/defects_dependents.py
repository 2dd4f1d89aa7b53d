"""Defects of dependents of the deceased (ac62): F01–F14 of checks/ac62.yaml.

About 15 % of the deceased have a dependent, too few for fourteen kinds in a small city, so every kind adds new
dependent records, clean but for their defect, to deceased persons ("hosts") nobody else's defect touches. A host
takes up to HOSTED new records (HOSTED_ALONE when he had no dependent) at a share of 10 % each, so shares never
pass 1 (F08); a dead retiree with no dependent yet hosts one incident only, which sets his 供养亲属标志 AAC063 (R34
stays silent, and undoing that incident alone restores the flag). A docstring names every rule its change fails.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from dq.sample.defects_people import parts, people
from dq.sample.defects_retirees import param
from dq.sample.draft import Draft
from dq.sample.frames import frame, join_text, member
from dq.sample.kinds import kind
from dq.sample.persona import IdFactory, chinese_names
from dq.sample.people import dates
from dq.sample.period import add_years, d8_days, d8_int, d8_text, to_months, ym_text

SPOUSE, CHILD, PARENT = "1", "2", "3"
HOSTED, HOSTED_ALONE, SHARE = 3, 6, 0.1


def _dead(d: Draft) -> np.ndarray:
    return d.col("ac01", "aac060") == param("dead").value


def _without_dependents(d: Draft) -> np.ndarray:
    return ~member(d.col("ac01", "aac001"), d.col("ac62", "aac111"))


def _workers(d: Draft) -> np.ndarray:
    return d.col("ac01", "aac084") != "1"


def _hosts(d: Draft, rng: np.random.Generator, count: int, pool: np.ndarray | None = None, *,
           alone: bool = False) -> np.ndarray:
    """`count` deceased citizens (from `pool`) to add dependents to; `alone`: with no dependent at all and
    hosting nothing else afterwards (F08 judges their shares). Hosts are claimed: no other defect changes them."""
    hosted = d.used.setdefault("ac62_hosts", np.zeros(len(d.tables["ac01"]), np.int8))
    pool = people(d) & _dead(d) & (True if pool is None else pool)
    if alone:
        pool &= _without_dependents(d) & d.free("ac01")
    else:
        pool &= (d.free("ac01") | (hosted > 0)) & (hosted < _capacity(d))
    candidates = np.flatnonzero(pool)
    if len(candidates) < count:
        raise RuntimeError(f"只有 {len(candidates)} 名死亡人员可添加供养亲属缺陷, 需要 {count}")
    chosen = np.sort(rng.choice(candidates, size=count, replace=False))
    d.claim("ac01", chosen)
    hosted[chosen] = np.iinfo(np.int8).max if alone else hosted[chosen] + 1
    return chosen


def _capacity(d: Draft) -> np.ndarray:
    """How many new records each deceased person may host: one for a dead retiree with no dependent (the incident
    that sets his AAC063 must be the only one), HOSTED_ALONE for a worker with none, HOSTED where the clean city
    already pays dependents (their shares stay at or below 1)."""
    alone = _without_dependents(d)
    return np.where(alone & ~_workers(d), 1, np.where(alone, HOSTED_ALONE, HOSTED))


def _death(d: Draft, persons: np.ndarray) -> np.ndarray:
    return dates(d.facts, "death")[persons]


def _birth(d: Draft, persons: np.ndarray) -> np.ndarray:
    return dates(d.facts, "birth")[persons]


def _male(d: Draft, persons: np.ndarray) -> np.ndarray:
    return d.facts["male"].to_numpy()[persons]


def fresh_ids(d: Draft, rng: np.random.Generator, birth: np.ndarray, male: np.ndarray) -> np.ndarray:
    """Valid 18-digit numbers nobody in ac01, ac62 or the death list has, compared as the rules' upper18 does (a
    legacy 15-digit number is the same person as its 18-digit form; a clash would fail F11–F13)."""
    taken = id_bodies(np.concatenate([d.col("ac01", "aac002"), d.col("ac62", "aac002_gy"), d.col("ext_death", "id_no")]))
    factory, numbers = IdFactory(rng), np.empty(len(birth), dtype=object)
    pending = np.arange(len(birth))
    while len(pending):
        numbers[pending] = factory.issue(d8_int(birth[pending]), male[pending])
        pending = pending[member(id_bodies(numbers[pending]), taken)]
    return numbers


def id_bodies(numbers: np.ndarray) -> np.ndarray:
    """The 17-character body of each number as the rules' upper18 compares it: a 15-digit one upgraded (born in
    the 1900s), others trimmed and upper-cased; "" for no number."""
    return np.array([("" if not isinstance(n, str) else n[:6] + "19" + n[6:] if len(n) == 15 and n.isdigit()
                      else n.strip().upper()[:17]) for n in numbers], dtype=object)


Edit = Callable[[dict[str, np.ndarray]], None]


def _add(d: Draft, rng: np.random.Generator, deceased: np.ndarray, relation: str, birth: np.ndarray,
         male: np.ndarray, edit: Edit | None = None) -> np.ndarray:
    """Append one clean dependent per deceased person (`edit` then changes the new rows' columns) and set a dead
    retiree's AAC063; returns the new ac62 labels. A spouse or parent below the dependent age is recorded as
    unable to work (yac520 1), as the clean city does, so F07 stays silent."""
    death = _death(d, deceased)
    death = np.where(np.isnat(death), np.datetime64(d.period.today, "D"), death)  # F09's living "deceased"
    labels = d.next_labels("ac62", len(deceased))
    aged = (d8_int(death) - d8_int(birth)) // 10000 >= np.where(male, param("dependent_age_male").value,
                                                                param("dependent_age_female").value)
    size = len(deceased)
    rows = {
        "aaz257": join_text("GYF", np.char.zfill(labels.astype(str), 9)),
        "aac111": d.col("ac01", "aac001")[deceased],
        "aac001_gy": np.full(size, None, dtype=object),
        "aac002_gy": fresh_ids(d, rng, birth, male), "aac003_gy": chinese_names(rng, size),
        "aac004_gy": np.where(male, "1", "2").astype(object), "aac006_gy": d8_text(birth).astype(object),
        "aae144": np.full(size, relation, dtype=object),
        "yac520": np.where((relation == CHILD) | aged, "0", "1").astype(object),
        "aac086": "0", "aic172": np.full(size, SHARE),
        "aae210": ym_text(to_months(death) + 1).astype(object), "aae019": round(SHARE * 3600, 2),
        "aae116": "1",
    }
    if edit is not None:
        edit(rows)
    appended = d.append("ac62", frame("ac62", rows))
    retired = d.ic10_of[deceased]
    d.set("ic10", retired[retired >= 0], "aac063", "1")
    return appended


def _spouses(d: Draft, rng: np.random.Generator, count: int, edit: Edit | None = None,
             pool: np.ndarray | None = None) -> np.ndarray:
    """New spouse records (the opposite sex, born within three years of the deceased)."""
    deceased = _hosts(d, rng, count, pool)
    birth = _birth(d, deceased) + rng.integers(-1000, 1000, count).astype("m8[D]")
    return _add(d, rng, deceased, SPOUSE, birth, ~_male(d, deceased), edit)


def _children(d: Draft, rng: np.random.Generator, count: int, birth_of: Callable[[np.ndarray], np.ndarray],
              pool: np.ndarray | None = None) -> np.ndarray:
    """New child records, born on `birth_of(death dates)`."""
    deceased = _hosts(d, rng, count, pool)
    return _add(d, rng, deceased, CHILD, birth_of(_death(d, deceased)), rng.random(count) < 0.5)


def _as_person(rows: dict[str, np.ndarray], which: np.ndarray, numbers: np.ndarray, names: np.ndarray) -> None:
    """Rows `which` become the person with these numbers (18 digits): sex and birth read off the number, unable
    to work (their age against the deceased is not what the defect is about)."""
    rows["aac002_gy"][which], rows["aac003_gy"][which] = numbers, names
    rows["aac004_gy"][which] = ["1" if int(n[16]) % 2 else "2" for n in numbers]
    rows["aac006_gy"][which] = [n[6:14] for n in numbers]
    rows["yac520"][which] = "1"


def bad_dependent_id(d: Draft, rng: np.random.Generator, count: int) -> None:
    """F01: the dependent's number with a wrong check character, or cut to 16 digits."""
    def edit(rows: dict[str, np.ndarray]) -> None:
        wrong, short = parts(np.arange(count), 2)
        rows["aac002_gy"][wrong] = [n[:17] + ("1" if n[17] == "0" else "0") for n in rows["aac002_gy"][wrong]]
        rows["aac002_gy"][short] = [n[:16] for n in rows["aac002_gy"][short]]
    d.hit("ac62", _spouses(d, rng, count, edit), "F01")


def dependent_fields_missing(d: Draft, rng: np.random.Generator, count: int) -> None:
    """F02: no name (NULL or blank), no sex or no birth date."""
    def edit(rows: dict[str, np.ndarray]) -> None:
        for column, value, which in zip(("aac003_gy", "aac003_gy", "aac004_gy", "aac006_gy"), (None, " ", None, None),
                                        parts(np.arange(count), 4)):
            rows[column][which] = value
    d.hit("ac62", _spouses(d, rng, count, edit), "F02")


def dependent_id_mismatch(d: Draft, rng: np.random.Generator, count: int) -> None:
    """F03: the sex swapped, or the birth date a day earlier than the number's (unable to work, so F07's
    age limits, which depend on both, stay silent)."""
    def edit(rows: dict[str, np.ndarray]) -> None:
        sex, birth = parts(np.arange(count), 2)
        rows["aac004_gy"][sex] = np.where(rows["aac004_gy"][sex] == "1", "2", "1")
        rows["aac006_gy"][birth] = d8_text(d8_days(rows["aac006_gy"][birth]) - np.timedelta64(1, "D"))
        rows["yac520"][:] = "1"
    d.hit("ac62", _spouses(d, rng, count, edit), "F03")


def dependent_is_deceased(d: Draft, rng: np.random.Generator, count: int) -> None:
    """F04 and F13: a deceased worker recorded as his own dependent (the number belongs to a dead person)."""
    deceased = _hosts(d, rng, count, _workers(d))

    def edit(rows: dict[str, np.ndarray]) -> None:
        _as_person(rows, np.arange(count), d.col("ac01", "aac002")[deceased], d.col("ac01", "aac003")[deceased])
    birth = _birth(d, deceased)
    d.hit("ac62", _add(d, rng, deceased, SPOUSE, birth, _male(d, deceased), edit),
          "F04", "F13")


def bad_relation(d: Draft, rng: np.random.Generator, count: int) -> None:
    """F05: the relation (AAE144) missing or not in its code table (F06, F07 and F14 then do not apply)."""
    def edit(rows: dict[str, np.ndarray]) -> None:
        missing, unknown = parts(np.arange(count), 2)
        rows["aae144"][missing], rows["aae144"][unknown] = None, "8"
    d.hit("ac62", _spouses(d, rng, count, edit), "F05")


def overage_child(d: Draft, rng: np.random.Generator, count: int) -> None:
    """F06: a child aged 18–21 today, able to work, still paid."""
    today = np.datetime64(d.period.today, "D")
    d.hit("ac62", _children(d, rng, count, lambda death: add_years(np.full(len(death), today), -18)
                            - rng.integers(0, 3 * 365, len(death)).astype("m8[D]")), "F06")


def young_spouse_able(d: Draft, rng: np.random.Generator, count: int) -> None:
    """F07: a spouse 1–10 years below the dependent age at the death, recorded as able to work."""
    def edit(rows: dict[str, np.ndarray]) -> None:
        rows["yac520"][:] = "0"
    deceased = _hosts(d, rng, count)
    male = ~_male(d, deceased)
    limit = np.where(male, param("dependent_age_male").value, param("dependent_age_female").value)
    birth = add_years(_death(d, deceased), -(limit - rng.integers(1, 11, count))) - np.timedelta64(1, "D")
    d.hit("ac62", _add(d, rng, deceased, SPOUSE, birth, male, edit), "F07")


def shares_over_one(d: Draft, rng: np.random.Generator, count: int) -> None:
    """F08: a spouse at 60 % and a parent at 50 % of the same deceased person (both records fail)."""
    deceased = _hosts(d, rng, count, alone=True)

    def shares(share: float) -> Edit:
        def edit(rows: dict[str, np.ndarray]) -> None:
            rows["aic172"][:], rows["yac520"][:] = share, "1"
        return edit
    spouses = _add(d, rng, deceased, SPOUSE, _birth(d, deceased), ~_male(d, deceased), shares(0.6))
    parents = _add(d, rng, deceased, PARENT, add_years(_birth(d, deceased), -25), rng.random(count) < 0.5,
                   shares(0.5))
    d.hit("ac62", np.concatenate([spouses, parents]), "F08")


def deceased_alive(d: Draft, rng: np.random.Generator, count: int) -> None:
    """F09: a dependent record whose deceased is a living insured worker (no death date: F07, F10 and F14 do
    not apply); benefits from last month."""
    living = d.take("ac01", people(d) & ~_dead(d) & _workers(d), count, rng)

    def edit(rows: dict[str, np.ndarray]) -> None:
        rows["aae210"][:] = ym_text(np.full(count, d.period.months - 1))
    d.hit("ac62", _add(d, rng, living, SPOUSE, _birth(d, living), ~_male(d, living), edit), "F09")


def start_before_death(d: Draft, rng: np.random.Generator, count: int) -> None:
    """F10: benefits start in the month of the death or up to six months before it."""
    def edit(rows: dict[str, np.ndarray]) -> None:
        rows["aae210"][:] = ym_text(to_months(_death(d, deceased)) - rng.integers(0, 7, count))
    deceased = _hosts(d, rng, count)
    d.hit("ac62", _add(d, rng, deceased, SPOUSE, _birth(d, deceased), ~_male(d, deceased), edit), "F10")


def dependent_of_two(d: Draft, rng: np.random.Generator, count: int) -> None:
    """F11: one relative (the same number) recorded as the dependent of two deceased persons (both records fail;
    unable to work, so F07 stays silent where the age does not fit the other deceased)."""
    deceased = _hosts(d, rng, 2 * count)
    birth = _birth(d, deceased[:count])
    numbers = fresh_ids(d, rng, birth, ~_male(d, deceased[:count]))
    names = chinese_names(rng, count)

    def edit(rows: dict[str, np.ndarray]) -> None:
        _as_person(rows, np.arange(count), numbers, names)
    both = [_add(d, rng, half, SPOUSE, birth, ~_male(d, half), edit) for half in (deceased[:count], deceased[count:])]
    d.hit("ac62", np.concatenate(both), "F11")


def dependent_draws_pension(d: Draft, rng: np.random.Generator, count: int) -> None:
    """F12: the dependent is a living retiree of this city, who draws his own pension."""
    retirees = d.take("ac01", people(d) & ~_dead(d) & (d.col("ac01", "aac084") == "1"), count, rng)

    def edit(rows: dict[str, np.ndarray]) -> None:
        _as_person(rows, np.arange(count), d.col("ac01", "aac002")[retirees], d.col("ac01", "aac003")[retirees])
        rows["aac001_gy"][:] = d.col("ac01", "aac001")[retirees]
    d.hit("ac62", _spouses(d, rng, count, edit), "F12")


def dependent_dead(d: Draft, rng: np.random.Generator, count: int) -> None:
    """F13: the dependent is dead and still paid: a person on the civil-affairs death list who was never insured
    here, not even under his legacy 15-digit number (F12 would fail too), each listed person used once (or F11
    would fail too)."""
    used = d.used.setdefault("ext_death", np.zeros(len(d.tables["ext_death"]), bool))
    strangers = np.flatnonzero(~member(id_bodies(d.col("ext_death", "id_no")), id_bodies(d.col("ac01", "aac002"))) & ~used)
    if len(strangers) < count:
        raise RuntimeError(f"死亡名单中只有 {len(strangers)} 名未参保人员可作供养亲属缺陷, 需要 {count}")
    picked = np.sort(rng.choice(strangers, size=count, replace=False))
    used[picked] = True

    def edit(rows: dict[str, np.ndarray]) -> None:
        _as_person(rows, np.arange(count), d.col("ext_death", "id_no")[picked], d.col("ext_death", "name")[picked])
    d.hit("ac62", _spouses(d, rng, count, edit), "F13")


def posthumous_child_too_late(d: Draft, rng: np.random.Generator, count: int) -> None:
    """F14: a child born 12–20 months after the death."""
    d.hit("ac62", _children(d, rng, count, lambda death: death + rng.integers(12 * 31, 20 * 30, len(death))
                            .astype("m8[D]")), "F14")


KINDS = (
    kind(bad_dependent_id, "F01", "ac62"),
    kind(dependent_fields_missing, "F02", "ac62", 4),
    kind(dependent_id_mismatch, "F03", "ac62"),
    kind(dependent_is_deceased, "F04 F13", "ac62"),
    kind(bad_relation, "F05", "ac62"),
    kind(overage_child, "F06", "ac62"),
    kind(young_spouse_able, "F07", "ac62"),
    kind(shares_over_one, "F08", "ac62", 1),
    kind(deceased_alive, "F09", "ac62"),
    kind(start_before_death, "F10", "ac62"),
    kind(dependent_of_two, "F11", "ac62", 1),
    kind(dependent_draws_pension, "F12", "ac62"),
    kind(dependent_dead, "F13", "ac62"),
    kind(posthumous_child_too_late, "F14", "ac62"),
)
