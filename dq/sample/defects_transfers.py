"""Defects of transfers between pools (ic90): Z01–Z13 of checks/ic90.yaml.

A city of a thousand persons holds about twenty transfers, so most kinds append a copy of a clean transfer record
(a second contact letter of the same person, with its own number AAE270) broken in one field; copies are made only
of records no kind changes. Kinds whose rules read other tables change a transfer of their own and the tables
around it: a transfer out whose person still pays here (Z06), a transfer in of a person with no local relation
(Z07), a transfer out with local contribution detail (ac43) the record must agree with (Z09, Z11, Z13: only
transfers that ended more than a year before the audit's twelve months, so no unit's last twelve months of
contributions, U20, change). A docstring names every rule its change fails.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from dq.sample import vocab
from dq.sample.defects_people import parts, people
from dq.sample.defects_retirees import contribution_rows, param
from dq.sample.draft import Draft
from dq.sample.frames import digits_text, frame, join_text, member, pick
from dq.sample.kinds import kind
from dq.sample.people import ACTIVE
from dq.sample.period import d8_days, d8_text, month_end, month_start, random_day_in, to_months, ym_index
from dq.sample.reference import average_wage

OUT, IN = "1", "2"
SCHEME = "110"
Edit = Callable[[pd.DataFrame], None]  # changes copied rows in place


def _unchanged(d: Draft) -> np.ndarray:
    """The clean city's transfer records no kind has changed (a copy of one is clean but for its defect)."""
    return ~d.used.setdefault("ic90", np.zeros(len(d.tables["ic90"]), bool))


def _take(d: Draft, rng: np.random.Generator, pool: np.ndarray, count: int) -> np.ndarray:
    """`count` unchanged transfer records from `pool` (but those Z10 copies), kept for this kind alone (the clean
    city has one record per person, and clean_draft keeps these persons from every other kind)."""
    candidates = np.flatnonzero(pool & _unchanged(d) & ~_held(d))
    if len(candidates) < count:
        raise RuntimeError(f"只有 {len(candidates)} 条 ic90 记录可注入缺陷, 需要 {count}")
    chosen = np.sort(rng.choice(candidates, size=count, replace=False))
    d.used["ic90"][chosen] = True
    return chosen


def _held(d: Draft) -> np.ndarray:
    """Transfers dated in a year whose account ic91 holds (the only ones Z10 judges: few, so kept for its copies)."""
    stored = pd.MultiIndex.from_arrays([d.col("ic91", "aac001"), d.col("ic91", "aae001")])
    year = pd.to_numeric(pd.Series(d.col("ic90", "aae035")).str[:4]).to_numpy()
    return pd.MultiIndex.from_arrays([d.col("ic90", "aac001"), year]).isin(stored)


def _letters(d: Draft, labels: np.ndarray) -> np.ndarray:
    """Contact-letter numbers of new records, numbered by label as the clean ones are (ZY<year><label + 1>)."""
    return join_text("ZY", str(d.period.year), np.char.zfill((labels + 1).astype(str), 8))


def _copies(d: Draft, rng: np.random.Generator, count: int, rule: str, edit: Edit,
            pool: np.ndarray | bool = True) -> None:
    """Append `count` copies of unchanged records (from `pool`), each with a new letter number, `edit` them and
    hit them for `rule`."""
    candidates = np.flatnonzero(_unchanged(d) & pool)
    if not len(candidates):
        raise RuntimeError(f"没有可复制的 ic90 记录注入 {rule} 缺陷")
    rows = d.tables["ic90"].loc[np.sort(rng.choice(candidates, size=count))].copy()
    _column(rows, "aae270", np.arange(count), _letters(d, d.next_labels("ic90", count)))
    edit(rows)
    d.hit("ic90", d.append("ic90", rows), rule)


def _new_transfers(d: Draft, rng: np.random.Generator, persons: np.ndarray, direction: str, start: np.ndarray,
                   stop: np.ndarray, when: np.ndarray, months: np.ndarray, pooled: np.ndarray) -> np.ndarray:
    """Append one clean transfer record per person (dates as days); a transfer in names its origin."""
    size, inward = len(persons), direction == IN
    other = pick(rng, tuple(vocab.OTHER_AGENCIES), size)
    personal = np.round(months * average_wage(d.period.year - 1) * 0.08 * 1.1, 2)  # as build_ic90 does
    rows = frame("ic90", {
        "aae270": _letters(d, d.next_labels("ic90", size)), "aac001": d.col("ac01", "aac001")[persons],
        "aae140": SCHEME, "eac071": direction, "aae030": d8_text(start), "aae031": d8_text(stop), "aae201": months,
        "aic083": personal, "aic103": pooled, "aic102": np.round(personal + pooled, 2), "oaa027": other,
        "aac077": np.array([vocab.OTHER_AGENCIES[code] for code in other], dtype=object),
        "yac519": join_text("W", digits_text(rng, size, 10)) if inward else None,
        "yac250": other if inward else None, "aae035": d8_text(when),
    })
    return d.append("ic90", rows)


def _local_detail(d: Draft, rng: np.random.Generator, count: int, after: int = 0) -> np.ndarray:
    """Transfers out, each given its last 2–6 months of contributions before the transfer's end in ac43 (paid in
    full, at the person's unit) and made to agree with them (start, months, pooled fund at its rate, total); with
    `after`, that many more months after the end, not paid in full (only Z13 reads those)."""
    end = to_months(d8_days(d.col("ic90", "aae031")))
    since = ym_index(param("pool_transfer_from").value)
    pool = ((d.col("ic90", "eac071") == OUT) & (end + after < d.period.months - 11) & (end - 6 >= since)
            & (d.col("ic90", "aae201") >= 6))
    chosen = _take(d, rng, pool, count)
    persons = d.persons_of(d.col("ic90", "aac001")[chosen])
    spans = rng.integers(2, 7, count)
    rows_each = spans + after
    owner = np.repeat(persons, rows_each)
    first = np.repeat(end[chosen] - spans + 1, rows_each)
    month = first + np.arange(rows_each.sum()) - np.repeat(np.cumsum(rows_each) - rows_each, rows_each)
    rows = contribution_rows(d, owner, month, random_day_in(month, rng), "10", _units(d, owner))
    late = month > np.repeat(end[chosen], rows_each)
    rows.loc[late, "aae078"] = "0"
    d.append("ac43", rows)
    paid = pd.Series(np.where(late, 0.0, rows["aae180"].to_numpy())).groupby(owner).sum()
    d.set("ic90", chosen, "aae030", d8_text(month_start(end[chosen] - spans + 1)))
    d.set("ic90", chosen, "aae201", spans)
    _set_pooled(d, chosen, np.round(param("pool_transfer_rate").value * paid.reindex(persons).to_numpy(), 2))
    return chosen


def _units(d: Draft, persons: np.ndarray) -> np.ndarray:
    """The unit of each person's 110 relation (the lowest relation label when several)."""
    relations = np.flatnonzero(d.col("ac02", "aae140") == SCHEME)
    first = pd.Series(relations, index=d.owner[relations]).groupby(level=0).min()
    return d.col("ac02", "aab001")[first.reindex(persons).to_numpy()]


def _set_pooled(d: Draft, labels: np.ndarray, pooled: np.ndarray) -> None:
    """The pooled-fund amount and the total that follows from it (Z08 stays silent)."""
    d.set("ic90", labels, "aic103", pooled)
    d.set("ic90", labels, "aic102", np.round(d.col("ic90", "aic083")[labels] + pooled, 2))


def _amounts(rng: np.random.Generator, count: int) -> np.ndarray:
    """Sums of money off by 50–5 000 yuan, up or down."""
    return np.round(rng.uniform(50, 5000, count) * rng.choice((-1, 1), count), 2)


def _column(rows: pd.DataFrame, column: str, which: np.ndarray, value: object) -> None:
    """Set `value` at positions `which` of a copied text column, kept an object column (pandas would infer its str
    dtype, and a later concatenation would turn None into NaN)."""
    values = rows[column].to_numpy(dtype=object, copy=True)
    values[which] = value
    rows[column] = pd.Series(values, index=rows.index, dtype=object)


def account_not_balance(d: Draft, rng: np.random.Generator, count: int) -> None:
    """Z10: the personal account transferred out is not the account's storage of the transfer year (a copy of a
    transfer in a year ic91 holds, so a few such transfers serve any count; the total follows: Z08 silent)."""
    def edit(rows: pd.DataFrame) -> None:
        delta = _amounts(rng, count)
        rows["aic083"] = np.round(rows["aic083"].to_numpy() + delta, 2)
        rows["aic102"] = np.round(rows["aic102"].to_numpy() + delta, 2)
    _copies(d, rng, count, "Z10", edit, (d.col("ic90", "eac071") == OUT) & _held(d))


def pooled_not_twelve_percent(d: Draft, rng: np.random.Generator, count: int) -> None:
    """Z09: the pooled fund transferred out is 70 % or 130 % of 12 % of the local bases."""
    labels = _local_detail(d, rng, count)
    _set_pooled(d, labels, np.round(d.col("ic90", "aic103")[labels] * rng.choice((0.7, 1.3), count), 2))
    d.hit("ic90", labels, "Z09")


def months_not_detail(d: Draft, rng: np.random.Generator, count: int) -> None:
    """Z11: the months transferred out are one fewer, or one or two more, than the local months paid in full."""
    labels = _local_detail(d, rng, count)
    d.set("ic90", labels, "aae201", d.col("ic90", "aae201")[labels] + rng.choice((-1, 1, 2), count))
    d.hit("ic90", labels, "Z11")


def paid_after_transfer(d: Draft, rng: np.random.Generator, count: int) -> None:
    """Z13: a contribution row of the month after the transfer out's end (not paid in full)."""
    d.hit("ic90", _local_detail(d, rng, count, after=1), "Z13")


def letter_twice(d: Draft, rng: np.random.Generator, count: int) -> None:
    """Z04: the same contact letter registered twice (the record and its copy both fail, under one key)."""
    labels = _take(d, rng, np.ones(len(d.tables["ic90"]), bool), count)
    d.hit("ic90", np.concatenate([labels, d.append("ic90", d.tables["ic90"].loc[labels].copy())]), "Z04")


def out_still_paying(d: Draft, rng: np.random.Generator, count: int) -> None:
    """Z06: a transfer out (letter of this month, contributions transferred up to this month) of a worker whose
    relation here was never ended and who still pays; months and pooled fund agree with his local detail."""
    paying = (d.col("ac02", "aae140") == SCHEME) & (d.col("ac02", "aac008") == "1") & (d.col("ac02", "aac031") == "1")
    everyone = np.arange(len(d.tables["ac01"]))
    numbers = d.col("ac01", "aac001")
    pool = (d.facts["status"].to_numpy() == ACTIVE) & member(everyone, d.owner[paying])
    pool &= ~member(numbers, d.col("ic90", "aac001")) & member(numbers, d.col("ac43", "aac001"))
    persons = d.take("ac01", pool, count, rng)
    detail = d.tables["ac43"]
    detail = detail[(detail["aae140"] == SCHEME) & (detail["aae078"] == "1")
                    & member(detail["aac001"].to_numpy(), numbers[persons])]
    since = detail[detail["aae003"] >= str(param("pool_transfer_from").value)]
    who = pd.Index(numbers[persons])
    months = detail.groupby("aac001")["aae003"].nunique().reindex(who).to_numpy()
    bases = since.groupby("aac001")["aae180"].sum().reindex(who, fill_value=0.0).to_numpy()
    today = np.full(count, np.datetime64(d.period.today, "D"))
    pooled = np.round(param("pool_transfer_rate").value * bases, 2)
    start = month_start(d.facts["segment_m"].to_numpy()[persons])
    d.hit("ic90", _new_transfers(d, rng, persons, OUT, start, today, today, months, pooled), "Z06")


def in_without_relation(d: Draft, rng: np.random.Generator, count: int) -> None:
    """Z07: a transfer in of a person with no 110 relation here (it was never created after the transfer)."""
    insured = member(np.arange(len(d.tables["ac01"])), d.owner[d.col("ac02", "aae140") == SCHEME])
    persons = d.take("ac01", people(d) & ~insured, count, rng)
    when = np.datetime64(d.period.today, "D") - rng.integers(30, 2000, count).astype("m8[D]")
    months = rng.integers(12, 120, count)
    last = to_months(when) - 1
    pooled = np.round(months * average_wage(d.period.year - 1) * 0.12, 2)
    d.hit("ic90", _new_transfers(d, rng, persons, IN, month_start(last - months + 1), month_end(last), when,
                                 months, pooled), "Z07")


def bad_direction(d: Draft, rng: np.random.Generator, count: int) -> None:
    """Z01: the direction missing or not 1/2 (the rules of one direction then do not apply)."""
    def edit(rows: pd.DataFrame) -> None:
        missing, unknown = parts(np.arange(count), 2)
        _column(rows, "eac071", missing, None)
        _column(rows, "eac071", unknown, "3")
    _copies(d, rng, count, "Z01", edit)


def bad_other_region(d: Draft, rng: np.random.Generator, count: int) -> None:
    """Z02: the other side's region missing, of an unknown province (99) or cut to four digits."""
    def edit(rows: pd.DataFrame) -> None:
        for which, value in zip(parts(np.arange(count), 3), (None, "990105", "1101")):
            _column(rows, "oaa027", which, value)
    _copies(d, rng, count, "Z02", edit)


def missing_other_agency(d: Draft, rng: np.random.Generator, count: int) -> None:
    """Z03: the other side's agency name missing, blank or a placeholder."""
    def edit(rows: pd.DataFrame) -> None:
        for which, value in zip(parts(np.arange(count), 3), (None, " ", "不详")):
            _column(rows, "aac077", which, value)
    _copies(d, rng, count, "Z03", edit)


def letter_missing(d: Draft, rng: np.random.Generator, count: int) -> None:
    """Z04: a transfer record without a contact-letter number."""
    _copies(d, rng, count, "Z04", lambda rows: _column(rows, "aae270", np.arange(count), None))


def in_without_origin(d: Draft, rng: np.random.Generator, count: int) -> None:
    """Z05: a transfer in without the former person number, or with a blank former region."""
    def edit(rows: pd.DataFrame) -> None:
        number, region = parts(np.arange(count), 2)
        _column(rows, "yac519", number, None)
        _column(rows, "yac250", region, " ")
    _copies(d, rng, count, "Z05", edit, d.col("ic90", "eac071") == IN)


def total_not_sum(d: Draft, rng: np.random.Generator, count: int) -> None:
    """Z08: the fund total is not personal account + pooled fund."""
    def edit(rows: pd.DataFrame) -> None:
        rows["aic102"] = np.round(rows["aic102"].to_numpy() + _amounts(rng, count), 2)
    _copies(d, rng, count, "Z08", edit)


def bad_interval(d: Draft, rng: np.random.Generator, count: int) -> None:
    """Z12: the interval starts after it ends, ends after the transfer, or starts before the first insured month."""
    def edit(rows: pd.DataFrame) -> None:
        late_start, late_end, early = parts(np.arange(count), 3)
        end, when = d8_days(rows["aae031"].to_numpy()), d8_days(rows["aae035"].to_numpy())
        shift = rng.integers(1, 60, count).astype("m8[D]")
        _column(rows, "aae030", late_start, d8_text((end + shift)[late_start]))
        _column(rows, "aae031", late_end, d8_text((when + shift)[late_end]))
        first = d.facts["first_m"].to_numpy()[d.persons_of(rows["aac001"].to_numpy())]
        _column(rows, "aae030", early, d8_text(month_start(first - rng.integers(1, 25, count))[early]))
    _copies(d, rng, count, "Z12", edit)


KINDS = (
    kind(pooled_not_twelve_percent, "Z09", "ic90"),
    kind(months_not_detail, "Z11", "ic90"),
    kind(paid_after_transfer, "Z13", "ic90"),
    kind(letter_twice, "Z04", "ic90", 1),
    kind(out_still_paying, "Z06", "ic90"),
    kind(in_without_relation, "Z07", "ic90"),
    kind(bad_direction, "Z01", "ic90"),
    kind(account_not_balance, "Z10", "ic90"),
    kind(bad_other_region, "Z02", "ic90", 3),
    kind(missing_other_agency, "Z03", "ic90", 3),
    kind(letter_missing, "Z04", "ic90"),
    kind(in_without_origin, "Z05", "ic90"),
    kind(total_not_sum, "Z08", "ic90"),
    kind(bad_interval, "Z12", "ic90", 3),
)
