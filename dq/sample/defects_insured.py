"""Defects of insurance relations (ac02) and of retirement status: W01–W18 of docs/catalog-upw.md."""
from __future__ import annotations

import numpy as np
import pandas as pd

from dq.sample.defects_people import living, parts, people
from dq.sample.draft import Draft
from dq.sample.frames import join_text
from dq.sample.people import ACTIVE, CONTINUING, STOPPED, dates
from dq.sample.period import d8_text, legal_ret_months, month_start, ym_text
from dq.sample import vocab


def relations(d: Draft, *, scheme: tuple[str, ...] | None = None, active: bool | None = None,
              stopped: bool = False) -> np.ndarray:
    """ac02 rows of persons defects may target, by scheme and payment state."""
    pool = people(d, citizens=False)[d.owner]
    if scheme is not None:
        pool &= np.isin(d.col("ac02", "aae140"), scheme)
    paying = (d.col("ac02", "aac008") == "1") & (d.col("ac02", "aac031") == "1")
    if active is not None:
        pool &= paying if active else ~paying
    if stopped:
        pool &= d.facts["status"].to_numpy()[d.owner] == STOPPED
    return pool


def _copy(d: Draft, rows: np.ndarray, tag: str) -> pd.DataFrame:
    copies = d.tables["ac02"].loc[rows].copy()
    copies["aaz159"] = join_text(tag, np.char.zfill(rows.astype(str), 10))
    return copies


def bad_scheme(d: Draft, rng: np.random.Generator, count: int) -> None:
    """W01: scheme code '111', '999' or '11'."""
    rows = d.take_relations(relations(d), count, rng)
    d.set("ac02", rows, "aae140", [("111", "999", "11")[i % 3] for i in range(count)])
    d.hit("ac02", rows, "W01")


def duplicate_relation(d: Draft, rng: np.random.Generator, count: int) -> None:
    """W02: the same paying 110 relation stored twice (both rows fail)."""
    rows = d.take_relations(relations(d, scheme=("110",), active=True), count, rng)
    d.hit("ac02", np.concatenate([rows, d.append("ac02", _copy(d, rows, "33"))]), "W02")


def _second_scheme(d: Draft, rng: np.random.Generator, count: int, scheme: str, units: np.ndarray, rule: str) -> None:
    """An employee paying into 110 also pays into `scheme` at one of `units` (both rows fail `rule`)."""
    employee = d.facts["status"].to_numpy()[d.owner] == ACTIVE
    rows = d.take_relations(relations(d, scheme=("110",), active=True) & employee, count, rng)
    copies = _copy(d, rows, "34" if scheme == "120" else "35")
    copies["aae140"] = scheme
    copies["aab001"] = d.col("ab01", "aab001")[units[rng.integers(0, len(units), count)]]
    if scheme == "170":
        copies["aae180"], copies["aac066"] = 500.0, "103"
    d.hit("ac02", np.concatenate([rows, d.append("ac02", copies)]), rule)


def also_civil_service(d: Draft, rng: np.random.Generator, count: int) -> None:
    """W04: also paying into 机关事业养老 (120) at a public employer."""
    paying = d.col("ab01", "aab051") == "1"
    public = np.flatnonzero(paying & np.isin(d.col("ab01", "aab019"), vocab.PUBLIC_TYPES))
    _second_scheme(d, rng, count, "120", public if len(public) else np.flatnonzero(paying), "W04")


def also_resident_scheme(d: Draft, rng: np.random.Generator, count: int) -> None:
    """W05: also paying into 城乡居民养老 (170) through a branch's 代缴 unit."""
    _second_scheme(d, rng, count, "170", np.flatnonzero(d.col("ab01", "aab019") == "80"), "W05")


def missing_first_month(d: Draft, rng: np.random.Generator, count: int) -> None:
    """W06: first insured month NULL."""
    rows = d.take_relations(relations(d), count, rng)
    d.set("ac02", rows, "aac049", None)
    d.hit("ac02", rows, "W06")


def insured_before_work(d: Draft, rng: np.random.Generator, count: int) -> None:
    """W07: first insured month 1–24 months before the work date (earlier, so W09 still holds)."""
    work = dates(d.facts, "work")
    rows = d.take_relations(relations(d) & ~np.isnat(work[d.owner]), count, rng)
    work_month = work[d.owner[rows]].astype("M8[M]").astype(np.int64) + 1970 * 12
    d.set("ac02", rows, "aac049", ym_text(work_month - rng.integers(1, 25, count)))
    d.hit("ac02", rows, "W07")


def bad_first_month(d: Draft, rng: np.random.Generator, count: int) -> None:
    """W08: month 13 of the first insured year (only where the segment began in a later year, so W09 holds),
    or a future month (then the segment began before it too: W09). Only of living persons (X03)."""
    first = d.col("ac02", "aac049")
    later_year = np.array([f is not None and s[:4] > f[:4] for f, s in zip(first, d.col("ac02", "aac030"))])
    alive = living(d)[d.owner]
    month13 = d.take_relations(relations(d) & alive & later_year, (count + 1) // 2, rng)
    future = d.take_relations(relations(d) & alive, count // 2, rng)
    d.set("ac02", month13, "aac049", [f[:4] + "13" for f in first[month13]])
    d.set("ac02", future, "aac049", ym_text(d.period.months + rng.integers(6, 19, len(future))))
    d.hit("ac02", month13, "W08")
    d.hit("ac02", future, "W08", "W09")


def segment_before_first(d: Draft, rng: np.random.Generator, count: int) -> None:
    """W09: current segment dated 1–12 months before the first insured month."""
    rows = d.take_relations(relations(d), count, rng)
    first = d.facts["first_m"].to_numpy()[d.owner[rows]]
    d.set("ac02", rows, "aac030", d8_text(month_start(first - rng.integers(1, 13, count))))
    d.hit("ac02", rows, "W09")


def bad_state_codes(d: Draft, rng: np.random.Generator, count: int) -> None:
    """W10: insurance state '3'/'9' or payment state '0'/'5' on paying rows."""
    state, paying = parts(d.take_relations(relations(d, active=True), count, rng), 2)
    d.set("ac02", state, "aac008", [("3", "9")[i % 2] for i in range(len(state))])
    d.set("ac02", paying, "aac031", [("0", "5")[i % 2] for i in range(len(paying))])
    d.hit("ac02", np.concatenate([state, paying]), "W10")


def paying_with_end_date(d: Draft, rng: np.random.Generator, count: int) -> None:
    """W11: a paying relation with an end date."""
    rows = d.take_relations(relations(d, active=True), count, rng)
    d.set("ac02", rows, "aae031", d8_text(d.period.today - rng.integers(1, 200, count).astype("m8[D]")))
    d.hit("ac02", rows, "W11")


def stopped_without_end_date(d: Draft, rng: np.random.Generator, count: int) -> None:
    """W12: an interrupted relation without end date."""
    rows = d.take_relations(relations(d, active=False, stopped=True), count, rng)
    d.set("ac02", rows, "aae031", None)
    d.hit("ac02", rows, "W12")


def paying_without_base(d: Draft, rng: np.random.Generator, count: int) -> None:
    """W13: a paying relation with base NULL, 0 or negative."""
    rows = d.take_relations(relations(d, active=True), count, rng)
    d.set("ac02", rows, "aae180", [(np.nan, 0.0, -100.0)[i % 3] for i in range(count)])
    d.hit("ac02", rows, "W13")


def stopped_with_base(d: Draft, rng: np.random.Generator, count: int) -> None:
    """W14: an interrupted relation still carrying a base."""
    rows = d.take_relations(relations(d, active=False, stopped=True), count, rng)
    d.set("ac02", rows, "aae180", 3000.0)
    d.hit("ac02", rows, "W14")


def unknown_unit(d: Draft, rng: np.random.Generator, count: int) -> None:
    """W15: a relation pointing to a unit number that is not registered."""
    rows = d.take_relations(relations(d), count, rng)
    d.set("ac02", rows, "aab001", join_text("29", np.char.zfill(rows.astype(str), 8)))
    d.hit("ac02", rows, "W15")


def overage_still_paying(d: Draft, rng: np.random.Generator, count: int) -> None:
    """W16: someone past retirement age paying into 110 without the 延缴 identity (it was dropped), or a woman
    recorded as worker (retires at 50) instead of cadre (55) while paying at 51–54."""
    status = d.facts["status"].to_numpy()
    births = d.facts["birth_m"].to_numpy()
    as_worker = legal_ret_months(births, np.zeros(len(births), bool), np.zeros(len(births), bool))
    cadre_women = (d.col("ac01", "aac004") == "2") & np.isin(d.col("ac01", "aac012"), ("4", "5"))
    overage_if_worker = cadre_women & (status == ACTIVE) & (d.period.months - as_worker > 6)
    base = relations(d, scheme=("110",), active=True)
    continuing = d.take_relations(base & (status[d.owner] == CONTINUING), (count + 1) // 2, rng)
    women = d.take_relations(base & overage_if_worker[d.owner], count // 2, rng)
    d.set("ac02", continuing, "aac066", "101")
    d.set("ac01", d.owner[women], "aac012", "1")
    d.hit("ac02", np.concatenate([continuing, women]), "W16")


def retired_too_young(d: Draft, rng: np.random.Generator, count: int) -> None:
    """W17 R05: an early retiree (still below statutory age) recorded as normal retirement, or a woman worker
    retired at 50 recorded as cadre (statutory 55, not reached yet); either retired before statutory age as
    recorded, so the retirement record fails R05 too."""
    category = d.facts["aic161"].to_numpy()
    below = d.facts["legal_m"].to_numpy() > d.period.months
    early = np.isin(category, ("4", "5", "6", "7")) & below
    births = d.facts["birth_m"].to_numpy()
    as_cadre = legal_ret_months(births, np.zeros(len(births), bool), np.ones(len(births), bool))
    worker_women = ((category == "2") & (d.col("ac01", "aac004") == "2") & ~np.isin(d.col("ac01", "aac012"), ("4", "5"))
                    & (as_cadre > d.period.months))
    early_people = d.take("ac01", people(d) & early, (count + 1) // 2, rng)
    women = d.take("ac01", people(d) & worker_women, count // 2, rng)
    d.set("ic10", d.ic10_of[early_people], "aic161", "2")
    d.set("ac01", women, "aac012", "4")
    d.hit("ac01", np.concatenate([early_people, women]), "W17")
    d.hit("ic10", d.ic10_of[np.concatenate([early_people, women])], "R05")


def retirement_flag_mismatch(d: Draft, rng: np.random.Generator, count: int) -> None:
    """W18: a normal retiree whose ic10 record is missing, or whose retirement flag says 在职."""
    normal = d.facts["aic161"].to_numpy() == "2"
    lost, unflagged = parts(d.take("ac01", people(d) & normal & (d.col("ac01", "aac084") == "1"), count, rng), 2)
    d.drop("ic10", d.ic10_of[lost])
    d.set("ac01", unflagged, "aac084", "0")
    d.hit("ac01", np.concatenate([lost, unflagged]), "W18")
