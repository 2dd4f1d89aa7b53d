"""Personal accounts (ic91, two closed years) and transfers between pools (ic90, 国办发〔2009〕66号)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from dq.sample import vocab
from dq.sample.frames import digits_text, frame, join_text, pick
from dq.sample.people import ACTIVE, CIVIL, CONTINUING, RETIRED, STOPPED
from dq.sample.period import Period, d8_text, month_end, month_start
from dq.sample.reference import account_rate, average_wage

INTEREST = 0.04


def build_ic91(rng: np.random.Generator, facts: pd.DataFrame, ac01: pd.DataFrame, period: Period,
               at_retirement: tuple[np.ndarray, np.ndarray]) -> pd.DataFrame:
    """Opening balance, contributions, interest, pension paid from the account and closing balance; the
    closing balance of one year opens the next. `at_retirement` gives per person the balance at retirement (ic10
    aic165) and the monthly account pension (ac61 item 012): a retiree of one of the two years contributes until
    the month before retiring, that year's balance before payouts (opening + principal + interest) is the balance
    at retirement (A05), and the account pays the pension from the retirement month on."""
    facts = facts.iloc[: len(ac01)]
    status = facts["status"].to_numpy()
    holders = np.flatnonzero(np.isin(status, (ACTIVE, CONTINUING, STOPPED, RETIRED, CIVIL)))
    first, segment = facts["first_m"].to_numpy()[holders], facts["segment_m"].to_numpy()[holders]
    stop, retire = facts["stop_m"].to_numpy()[holders], facts["retire_m"].to_numpy()[holders]
    end = np.where(stop >= 0, stop, retire)
    end = np.where(end >= 0, end, period.months)
    retired = status[holders] == RETIRED
    balance_at, monthly = (values[holders] for values in at_retirement)
    scale = rng.uniform(0.6, 1.5, len(holders))
    years = (period.year - 2, period.year - 1)
    recent = retired & (retire // 12 >= years[0])
    last_paid = np.where(recent, retire - 1, end)
    principals = {}
    for year in years:
        paid_from, paid_to = np.maximum(segment, year * 12), np.minimum(last_paid, year * 12 + 11)
        months = np.maximum(0, paid_to - paid_from + 1) * (~retired | recent)
        principals[year] = (months, np.round(months * average_wage(year) * scale * account_rate(year), 2))
    balance = np.round(np.maximum(0, years[0] * 12 - first) * average_wage(years[0]) * 0.08 * 0.7 * scale, 2)
    balance = np.where(recent, _opening_before(balance_at, retire // 12, principals, years), balance)
    months_total = np.maximum(0, np.minimum(end, years[0] * 12) - first)
    parts = []
    for year in years:
        months, principal = principals[year]
        interest = np.round(balance * INTEREST, 2)
        paying_months = np.clip(year * 12 + 12 - np.where(recent, retire, year * 12), 0, 12)
        payout = np.where(recent, monthly * paying_months, balance / 12 + 200)
        spent = np.where(retired, np.round(np.minimum(balance + principal + interest, payout), 2), 0.0)
        closing = np.round(balance + principal + interest - spent, 2)
        months_total = months_total + months
        parts.append(pd.DataFrame({"row": holders, "aae001": year, "aic200": balance, "zzb001": principal,
                                   "zzb002": interest, "aic340": spent, "zzb005": closing, "aic042": months_total}))
        balance = closing
    data = pd.concat(parts, ignore_index=True).sort_values(["row", "aae001"], kind="stable")
    row = data["row"].to_numpy()
    return frame("ic91", {
        "aac001": ac01["aac001"].to_numpy()[row], **{c: data[c].to_numpy() for c in
                                                    ("aae001", "aic200", "zzb001", "zzb002", "aic340", "zzb005", "aic042")},
        "eac040": np.where(status[row] == RETIRED, "4", "1"),
    })


def _opening_before(balance_at: np.ndarray, retire_year: np.ndarray,
                    principals: dict[int, tuple[np.ndarray, np.ndarray]], years: tuple[int, ...]) -> np.ndarray:
    """The first year's opening balance that grows, with each year's principal and interest and nothing paid out
    before the retirement year, into `balance_at` by the retirement year's end of contributions."""
    target = np.nan_to_num(balance_at)
    for year in reversed(years):
        target = np.where(retire_year >= year, (target - principals[year][1]) / (1 + INTEREST), target)
    return np.round(np.maximum(0, target), 2)


def build_ic90(rng: np.random.Generator, facts: pd.DataFrame, ac01: pd.DataFrame, ac02: pd.DataFrame,
               owner: np.ndarray, period: Period) -> pd.DataFrame:
    """Transfers in (active people whose local segment began after an earlier one elsewhere) and out (people
    whose pension relation here ended)."""
    facts = facts.iloc[: len(ac01)]
    status = facts["status"].to_numpy()
    first, segment = facts["first_m"].to_numpy(), facts["segment_m"].to_numpy()
    moved_in = np.flatnonzero((status == ACTIVE) & (segment - first >= 13) & (rng.random(len(facts)) < 0.03))
    ended = ac02.iloc[np.flatnonzero((ac02["aae140"] == "110").to_numpy() & (ac02["aac008"] == "4").to_numpy())]
    out_rows = ended.index[status[owner[ended.index]] == STOPPED]
    moved_out = owner[out_rows]
    start = np.concatenate([month_start(first[moved_in]), month_start(segment[moved_out])])
    stop = np.concatenate([month_end(segment[moved_in] - 1), month_end(facts["stop_m"].to_numpy()[moved_out])])
    months = np.concatenate([segment[moved_in] - first[moved_in], facts["stop_m"].to_numpy()[moved_out] - segment[moved_out] + 1])
    when = np.concatenate([month_start(segment[moved_in]) + np.timedelta64(5, "D"),
                           np.minimum(stop[len(moved_in):] + rng.integers(10, 60, len(moved_out)).astype("m8[D]"), period.today)])
    people = np.concatenate([moved_in, moved_out])
    size = len(people)
    other = pick(rng, tuple(vocab.OTHER_AGENCIES), size)
    avg = average_wage(period.year - 1)
    personal = np.round(months * avg * 0.08 * 1.1, 2)
    pooled = np.round(months * avg * 0.12, 2)
    inward = np.arange(size) < len(moved_in)
    return frame("ic90", {
        "aae270": join_text("ZY", str(period.year), np.char.zfill(np.arange(1, size + 1).astype(str), 8)),
        "aac001": ac01["aac001"].to_numpy()[people], "aae140": "110", "eac071": np.where(inward, "2", "1"),
        "aae030": d8_text(start), "aae031": d8_text(stop), "aae201": months,
        "aic083": personal, "aic103": pooled, "aic102": np.round(personal + pooled, 2),
        "oaa027": other, "aac077": np.vectorize(vocab.OTHER_AGENCIES.get, otypes=[object])(other) if size else other,
        "yac519": np.where(inward, join_text("W", digits_text(rng, size, 10)), None),
        "yac250": np.where(inward, other, None), "aae035": d8_text(when),
    })


def settle_transfers(ic90: pd.DataFrame, ic91: pd.DataFrame) -> pd.DataFrame:
    """Transfers out carry the personal account as stored in the transfer year (opening balance + that year's
    principal + interest, Z10) where ic91 holds that year; the fund total stays personal + pooled (Z08)."""
    ic90 = ic90.copy()
    stored = ic91.set_index(["aac001", "aae001"])
    stored = stored["aic200"] + stored["zzb001"] + stored["zzb002"]
    year = pd.to_numeric(ic90["aae035"].str[:4])
    lookup = pd.MultiIndex.from_arrays([ic90["aac001"], year])
    balance = pd.Series(stored.reindex(lookup).to_numpy(), index=ic90.index)
    settled = (ic90["eac071"] == "1") & balance.notna()
    ic90.loc[settled, "aic083"] = balance[settled].round(2)
    ic90["aic102"] = (ic90["aic083"] + ic90["aic103"]).round(2)
    return ic90

