"""Defects of benefits on retirement records: R18–R35, X09, A05, M07, M08, M11 and M13 of checks/ic10.yaml, broken
in ic10 or in the tables those rules read (ac61 items, ac82 payments, ac02 relations, ac43 contributions, ac90
certifications). Persons are taken as in dq.sample.defects_retirees; a docstring names every rule a change fails.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from dq.sample.defects_retirees import (
    birth_d8, contribution_rows, full_years, months_before, new_rules_from, param, retire_d8, retirees,
)
from dq.sample.defects_people import parts
from dq.sample.draft import Draft
from dq.sample.frames import join_text, member
from dq.sample.kinds import kind
from dq.sample.period import HORIZON, d8_int, d8_text, month_start, random_day_in, ym_text
from dq.sample.persona import chinese_names
from dq.sample.reference import average_wage

MONTHS_AUDITED = HORIZON + 1  # the period and the HORIZON months after it (dq.sample.period)


def _rows_of(d: Draft, table: str, persons: np.ndarray) -> np.ndarray:
    """Labels of `table` rows belonging to the persons (by aac001)."""
    return np.flatnonzero(member(d.col(table, "aac001"), d.col("ac01", "aac001")[persons]))


def _ages_at_retirement(d: Draft) -> np.ndarray:
    return full_years(birth_d8(d), retire_d8(d))


def _retire_year(d: Draft) -> np.ndarray:
    return d.facts["retire_m"].to_numpy() // 12


def _account_years(d: Draft) -> np.ndarray:
    """Alive retirees whose retirement year has an account record (ic91 holds the two closed years): A05 judges."""
    return retirees(d, alive=True) & (_retire_year(d) >= d.period.year - 2) & (_retire_year(d) <= d.period.year - 1)


def _checked_age(d: Draft) -> np.ndarray:
    """Retired from 2006 at an age whose 计发月数 R23 judges."""
    return (retire_d8(d) >= new_rules_from()) & np.isin(_ages_at_retirement(d), param("payout_checked_ages").value)


def _recategorise(d: Draft, rng: np.random.Generator, count: int, category: str, rule: str) -> None:
    """Normal retirees who started work after 1949 (a rare few of a million started before: they would qualify)."""
    after = np.array([w is not None and w >= param("founding_date").value for w in d.col("ac01", "aac007")])
    persons = d.take("ac01", retirees(d, categories="2") & after, count, rng)
    d.set("ic10", d.ic10_of[persons], "aic161", category)
    d.hit("ic10", d.ic10_of[persons], rule)


def pre_liberation_worker(d: Draft, rng: np.random.Generator, count: int) -> None:
    """R18: a normal retiree (work after 1949) recorded as 建国前老工人 (0)."""
    _recategorise(d, rng, count, "0", "R18")


def retired_cadre(d: Draft, rng: np.random.Generator, count: int) -> None:
    """R19: a normal retiree (work after 1949) recorded as 离休 (1)."""
    _recategorise(d, rng, count, "1", "R19")


def no_benefit_items(d: Draft, rng: np.random.Generator, count: int) -> None:
    """R20: a payable retiree's benefit items deleted, or all ended 13–24 months ago (R23–R26 then have no items
    in force and stay silent; the ended items still carry their amounts)."""
    deleted, ended = parts(d.take("ac01", retirees(d, alive=True), count, rng), 2)
    d.drop("ac61", _rows_of(d, "ac61", deleted))
    items = _rows_of(d, "ac61", ended)
    d.set("ac61", items, "aae042", ym_text(np.full(len(items), d.period.months) - rng.integers(13, 25, len(items))))
    d.hit("ic10", d.ic10_of[np.concatenate([deleted, ended])], "R20")


def pension_not_positive(d: Draft, rng: np.random.Generator, count: int) -> None:
    """R21: the assessed pension NULL, 0 or negative."""
    persons = d.take("ac01", retirees(d), count, rng)
    pension = d.col("ic10", "eic009")[d.ic10_of[persons]]
    d.set("ic10", d.ic10_of[persons], "eic009", [(np.nan, 0.0, -p)[i % 3] for i, p in enumerate(pension)])
    d.hit("ic10", d.ic10_of[persons], "R21")


def pension_too_high(d: Draft, rng: np.random.Generator, count: int) -> None:
    """R22: the assessed pension typed 6–10 times the average wage of the retirement year."""
    persons = d.take("ac01", retirees(d), count, rng)
    wage = average_wage(_retire_year(d)[persons])
    d.set("ic10", d.ic10_of[persons], "eic009", np.round(wage * rng.uniform(6, 10, count), 2))
    d.hit("ic10", d.ic10_of[persons], "R22")


def account_balance_inflated(d: Draft, rng: np.random.Generator, count: int) -> None:
    """R23: the balance at retirement 10–50 % above the one the account pension was computed from (only where
    no account year judges it: A05)."""
    persons = d.take("ac01", retirees(d) & _checked_age(d) & ~_account_years(d), count, rng)
    rows = d.ic10_of[persons]
    d.set("ic10", rows, "aic165", np.round(d.col("ic10", "aic165")[rows] * rng.uniform(1.1, 1.5, count), 2))
    d.hit("ic10", rows, "R23")


def contribution_index_mistyped(d: Draft, rng: np.random.Generator, count: int) -> None:
    """R24: the average contribution index 0.2–0.5 off the one the basic pension was computed from (retired from
    2006)."""
    persons = d.take("ac01", retirees(d) & (retire_d8(d) >= new_rules_from()), count, rng)
    rows = d.ic10_of[persons]
    index = d.col("ic10", "aic164")[rows]
    shift = rng.uniform(0.2, 0.5, count)
    d.set("ic10", rows, "aic164", np.round(np.where(index - shift >= 0.3, index - shift, index + shift), 4))
    d.hit("ic10", rows, "R24")


def _audited_payments(d: Draft, persons: np.ndarray) -> np.ndarray:
    """ac82 labels of one normal payment (the first item's) of each person in each month the city is audited in
    (its period and the HORIZON months after it), person by person."""
    months = set(ym_text(np.arange(d.period.months, d.period.months + HORIZON + 1)))
    normal = np.flatnonzero(np.isin(d.col("ac82", "aae003"), list(months)) & (d.col("ac82", "aaa088") == "1"))
    frame = pd.DataFrame({"label": normal, "aac001": d.col("ac82", "aac001")[normal],
                          "aae003": d.col("ac82", "aae003")[normal]})
    first = frame.drop_duplicates(["aac001", "aae003"]).set_index("aac001")
    return np.concatenate([first.loc[[n], "label"].to_numpy() for n in d.col("ac01", "aac001")[persons]])


def _paid_every_audited_month(d: Draft) -> np.ndarray:
    """Living retirees with benefits paid in every audited month (retired by the period)."""
    return retirees(d, alive=True) & (d.facts["retire_m"].to_numpy() <= d.period.months)


def underpaid_every_month(d: Draft, rng: np.random.Generator, count: int) -> None:
    """R25: one payment of every audited month 10–100 yuan short of its item (paid less than due: R26 holds)."""
    persons = d.take("ac01", _paid_every_audited_month(d), count, rng)
    payments = _audited_payments(d, persons)
    amount = d.col("ac82", "aae019")[payments]
    short = np.repeat(rng.uniform(10, 100, count), MONTHS_AUDITED)
    d.set("ac82", payments, "aae019", np.round(np.maximum(0.0, amount - short), 2))
    d.hit("ic10", d.ic10_of[persons], "R25")


def paid_twice(d: Draft, rng: np.random.Generator, count: int) -> None:
    """R26: one payment of every audited month paid again as a 补发 (not a normal payment, so R25's due total
    holds)."""
    persons = d.take("ac01", _paid_every_audited_month(d), count, rng)
    again = d.tables["ac82"].loc[_audited_payments(d, persons)].copy()
    again["aaz220"] = d.next_labels("ac82", len(again)) + 1  # numbered like the clean rows: label + 1
    again["aaa088"] = "2"
    d.append("ac82", again)
    d.hit("ic10", d.ic10_of[persons], "R26")


def bank_account_missing(d: Draft, rng: np.random.Generator, count: int) -> None:
    """R27: paid through a bank (11) without an account number (NULL or empty)."""
    persons = d.take("ac01", retirees(d), count, rng)
    d.set("ic10", d.ic10_of[persons], "aae010", [(None, "")[i % 2] for i in range(count)])
    d.hit("ic10", d.ic10_of[persons], "R27")


def bank_account_malformed(d: Draft, rng: np.random.Generator, count: int) -> None:
    """R28: the account number written in groups with dashes, or with a letter typed into it (still unique)."""
    persons = d.take("ac01", retirees(d), count, rng)
    accounts = d.col("ic10", "aae010")[d.ic10_of[persons]]
    d.set("ic10", d.ic10_of[persons], "aae010",
          [f"{a[:4]}-{a[4:8]}-{a[8:]}" if i % 2 else a[:-1] + "O" for i, a in enumerate(accounts)])
    d.hit("ic10", d.ic10_of[persons], "R28")


def account_in_other_name(d: Draft, rng: np.random.Generator, count: int) -> None:
    """R29: the bank account holder is someone else (another name, paid through a bank)."""
    persons = d.take("ac01", retirees(d), count, rng)
    own = d.col("ac01", "aac003")[persons]
    others = chinese_names(rng, count)
    d.set("ic10", d.ic10_of[persons], "aae009", np.where(others == own, join_text(others, "华"), others))
    d.hit("ic10", d.ic10_of[persons], "R29")


def _share_account(d: Draft, holders: np.ndarray, sharers: np.ndarray) -> np.ndarray:
    """Each sharer's account number replaced by its holder's; returns both records' ic10 labels."""
    rows = d.ic10_of[np.concatenate([holders, sharers])]
    d.set("ic10", d.ic10_of[sharers], "aae010", d.col("ic10", "aae010")[d.ic10_of[holders]])
    return rows


def account_shared(d: Draft, rng: np.random.Generator, count: int) -> None:
    """R30: two living retirees paid into one account (both records fail; no one of them dead: M13 holds)."""
    alive = retirees(d, alive=True)
    holders = d.take("ac01", alive, count, rng)
    d.hit("ic10", _share_account(d, holders, d.take("ac01", alive, count, rng)), "R30")


def dead_payee_shares_account(d: Draft, rng: np.random.Generator, count: int) -> None:
    """M13 R30: a deceased retiree's account is a living retiree's (both fail R30, the deceased M13)."""
    holders = d.take("ac01", retirees(d, alive=True), count, rng)
    dead = d.take("ac01", retirees(d, alive=False), count, rng)
    d.hit("ic10", _share_account(d, holders, dead), "R30")
    d.hit("ic10", d.ic10_of[dead], "M13")


def recorded_twice(d: Draft, rng: np.random.Generator, count: int) -> None:
    """R31: a payable retirement record stored a second time under 城乡居民养老 (170); both rows fail, one key."""
    persons = d.take("ac01", retirees(d, alive=True), count, rng)
    copies = d.tables["ic10"].loc[d.ic10_of[persons]].copy()
    copies["aae140"] = "170"
    d.hit("ic10", np.concatenate([d.ic10_of[persons], d.append("ic10", copies)]), "R31")


def retiree_still_paying(d: Draft, rng: np.random.Generator, count: int) -> None:
    """R32: an early retiree (below statutory age, so W16 holds) whose 110 relation is paying again, without end
    date and with a base (W11, W13 hold), at a unit not terminated (U21 holds)."""
    relation = d.first_relation()
    main = np.maximum(relation, 0)
    terminated = member(d.col("ac02", "aab001")[main], d.col("ab01", "aab001")[d.col("ab01", "aab051") == "3"])
    below = d.facts["legal_m"].to_numpy() > d.period.months
    fits = (relation >= 0) & (d.col("ac02", "aae140")[main] == "110") & ~terminated & below
    persons = d.take("ac01", retirees(d, alive=True) & fits, count, rng)
    rows = relation[persons]
    d.set("ac02", rows, "aac031", "1")
    d.set("ac02", rows, "aae031", None)
    d.set("ac02", rows, "aae180", float(average_wage(d.period.year)))
    d.hit("ic10", d.ic10_of[persons], "R32")


def stop_month_without_stopping(d: Draft, rng: np.random.Generator, count: int) -> None:
    """R33: a living retiree with an end-of-benefit month in the last year still payable."""
    persons = d.take("ac01", retirees(d, alive=True), count, rng)
    end = np.maximum(d.facts["retire_m"].to_numpy()[persons] + 1, d.period.months - rng.integers(0, 12, count))
    d.set("ic10", d.ic10_of[persons], "aae235", ym_text(np.minimum(end, d.period.months)))
    d.hit("ic10", d.ic10_of[persons], "R33")


def dependent_flag_mismatch(d: Draft, rng: np.random.Generator, count: int) -> None:
    """R34: the dependants flag set without dependants (living retirees have none), or cleared for a deceased
    retiree whose dependants are registered (where the city has one left)."""
    with_dependants = member(d.col("ac01", "aac001"), d.col("ac62", "aac111"))
    deceased = retirees(d, alive=False) & with_dependants
    cleared = d.take("ac01", deceased, min(count // 2, int((deceased & d.free("ac01")).sum())), rng)
    flagged = d.take("ac01", retirees(d, alive=True) & ~with_dependants, count - len(cleared), rng)
    d.set("ic10", d.ic10_of[flagged], "aac063", "1")
    d.set("ic10", d.ic10_of[cleared], "aac063", "0")
    d.hit("ic10", d.ic10_of[np.concatenate([flagged, cleared])], "R34")


def bad_payment_codes(d: Draft, rng: np.random.Generator, count: int) -> None:
    """R35: payment state 9 or payment mode 99 (not bank-paid any more: R27 does not judge it)."""
    state, mode = parts(d.take("ac01", retirees(d), count, rng), 2)
    d.set("ic10", d.ic10_of[state], "aae116", "9")
    d.set("ic10", d.ic10_of[mode], "aae145", "99")
    d.hit("ic10", d.ic10_of[np.concatenate([state, mode])], "R35")


def stop_month_off_death(d: Draft, rng: np.random.Generator, count: int) -> None:
    """X09: a deceased retiree's benefits end in the death month or 2–4 months after the month after it."""
    persons = d.take("ac01", retirees(d, alive=False), count, rng)
    death_m = d.facts["death_m"].to_numpy()[persons]
    d.set("ic10", d.ic10_of[persons], "aae235", ym_text(death_m + rng.choice((0, 2, 3, 4), count)))
    d.hit("ic10", d.ic10_of[persons], "X09")


def account_at_retirement_mistyped(d: Draft, rng: np.random.Generator, count: int) -> None:
    """A05: the balance at retirement 5–30 % off the account year's; at an age R23 judges, also off the one the
    account pension was computed from (R23)."""
    persons = d.take("ac01", _account_years(d), count, rng)
    rows = d.ic10_of[persons]
    factor = np.where(rng.random(count) < 0.5, rng.uniform(0.7, 0.95, count), rng.uniform(1.05, 1.3, count))
    d.set("ic10", rows, "aic165", np.round(d.col("ic10", "aic165")[rows] * factor, 2))
    d.hit("ic10", rows, "A05")
    d.hit("ic10", rows[_checked_age(d)[persons]], "R23")


def _last_certification(d: Draft, persons: np.ndarray) -> np.ndarray:
    """ac90 label of each person's (single, passed) certification."""
    rows = _rows_of(d, "ac90", persons)
    by_number = dict(zip(d.col("ac90", "aac001")[rows], rows))
    return np.array([by_number[n] for n in d.col("ac01", "aac001")[persons]], dtype=np.int64)


def _under_elderly_age(d: Draft) -> np.ndarray:
    """Still below the elderly certification age through the HORIZON months after the period (M08 holds)."""
    later = d8_int(month_start(np.array([d.period.months + HORIZON + 1])))[0] - 1
    return full_years(birth_d8(d), np.full(len(d.facts), later)) < param("elderly_cert_age").value


def certification_failed_or_overdue(d: Draft, rng: np.random.Generator, count: int) -> None:
    """M07: a payable retiree's certification failed after the last pass (by the audit day), or the last pass was
    13–24 months ago; below the elderly age, so M08 holds (a failed certification is a certification)."""
    today = d.period.today
    certified = np.full(len(d.facts), np.datetime64("NaT"), dtype="M8[D]")
    owners = np.flatnonzero(member(d.col("ac01", "aac001"), d.col("ac90", "aac001")))
    dated = d.col("ac90", "aae036")[_last_certification(d, owners)]
    certified[owners] = pd.to_datetime(pd.Series(dated, dtype=object), format="%Y%m%d").to_numpy().astype("M8[D]")
    before_today = ~np.isnat(certified) & (certified < today)
    pool = retirees(d, alive=True) & _under_elderly_age(d) & before_today
    failed, overdue = parts(d.take("ac01", pool, count, rng), 2)
    room = (today - certified[failed]).astype(np.int64)
    when = certified[failed] + (1 + (rng.random(len(failed)) * room).astype(np.int64)).astype("m8[D]")
    again = d.tables["ac90"].loc[_last_certification(d, failed)].copy()
    again["aae036"], again["aae001"], again["aaa094"] = d8_text(when), d8_int(when) // 10000, "2"
    d.append("ac90", again)
    old = random_day_in(np.full(len(overdue), d.period.months) - rng.integers(13, 25, len(overdue)), rng)
    certification = _last_certification(d, overdue)
    d.set("ac90", certification, "aae036", d8_text(old))
    d.set("ac90", certification, "aae001", d8_int(old) // 10000)
    d.hit("ic10", d.ic10_of[np.concatenate([failed, overdue])], "M07")


def elderly_not_certified(d: Draft, rng: np.random.Generator, count: int) -> None:
    """M08 M07: a payable retiree of 80 or more without any certification (so also none passed: M07)."""
    elderly = ~_under_elderly_age(d) & (full_years(birth_d8(d), np.full(len(d.facts), int(d.period.today_d8)))
                                        >= param("elderly_cert_age").value)
    persons = d.take("ac01", retirees(d, alive=True) & elderly, count, rng)
    d.drop("ac90", _rows_of(d, "ac90", persons))
    d.hit("ic10", d.ic10_of[persons], "M08", "M07")


def back_pay_before_retirement(d: Draft, rng: np.random.Generator, count: int) -> None:
    """M11 R16: 60–72 months of 1986–1997 paid back (补缴) within the year before retirement; the contribution
    detail then holds those months only, not the 实际 months (R16)."""
    first = d.facts["first_m"].to_numpy()
    retire_m = d.facts["retire_m"].to_numpy()
    early_enough = (first >= 1986 * 12) & (first + 72 <= 1998 * 12)
    persons = d.take("ac01", retirees(d) & early_enough, count, rng)
    spans = rng.integers(60, 73, count)
    month = months_before(first[persons] + spans, spans)
    handled = random_day_in(np.repeat(retire_m[persons], spans) - rng.integers(1, 13, spans.sum()), rng)
    back = str(param("back_pay_type").value)
    d.append("ac43", contribution_rows(d, np.repeat(persons, spans), month, handled, back))
    d.hit("ic10", d.ic10_of[persons], "M11")
    actual = d.col("ic10", "aae201")[d.ic10_of[persons]].astype(np.int64)
    d.hit("ic10", d.ic10_of[persons][np.abs(actual - spans) > param("contrib_months_tolerance").value], "R16")


# Kinds with a narrow population choose first (recent retirees, early retirees below statutory age, the elderly).
KINDS = (
    kind(account_at_retirement_mistyped, "A05 R23", "retirees"),
    kind(retiree_still_paying, "R32", "retirees"),
    kind(elderly_not_certified, "M08 M07", "retirees"),
    kind(account_balance_inflated, "R23", "retirees"),
    kind(back_pay_before_retirement, "M11 R16", "retirees"),
    kind(pre_liberation_worker, "R18", "retirees"),
    kind(retired_cadre, "R19", "retirees"),
    kind(no_benefit_items, "R20", "retirees"),
    kind(pension_not_positive, "R21", "retirees"),
    kind(pension_too_high, "R22", "retirees"),
    kind(contribution_index_mistyped, "R24", "retirees"),
    kind(underpaid_every_month, "R25", "retirees"),
    kind(paid_twice, "R26", "retirees"),
    kind(bank_account_missing, "R27", "retirees"),
    kind(bank_account_malformed, "R28", "retirees"),
    kind(account_in_other_name, "R29", "retirees"),
    kind(account_shared, "R30", "retirees"),
    kind(dead_payee_shares_account, "M13 R30", "retirees"),
    kind(recorded_twice, "R31", "retirees"),
    kind(stop_month_without_stopping, "R33", "retirees"),
    kind(dependent_flag_mismatch, "R34", "retirees"),
    kind(bad_payment_codes, "R35", "retirees"),
    kind(stop_month_off_death, "X09", "retirees"),
    kind(certification_failed_or_overdue, "M07", "retirees"),
)
