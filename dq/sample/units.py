"""Clean employer records (ab01): registered names, credit codes, legal representatives, branch offices.

Besides ordinary units, every branch has one 代缴单位 (AAB019 '80') that carries 灵活就业 and 城乡居民 members:
it legitimately has no credit code (U07 applies to AAB019 10/40/50/60 only), a trap for the engine.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dq.sample import codes, vocab
from dq.sample.frames import frame, join_text, pick
from dq.sample.period import Period, d8_int, d8_text, month_start, random_day_in, ym_text
from dq.sample.persona import IdFactory, addresses, chinese_names, district_names, landlines

VIRTUAL_TYPE = "80"
STATUS_WEIGHTS = {"1": 0.80, "2": 0.08, "3": 0.12}
TRADE_PAIRS = tuple(a + b for a in vocab.TRADE_CHARS for b in vocab.TRADE_CHARS if a != b)
NEW_CODES_FROM = 2016 * 12  # units registered since 2016 carry 'MA…' organization bodies


@dataclass
class Units:
    """ab01 rows of the city and a reserve of further clean units that defects may register (U01, U02)."""

    ab01: pd.DataFrame
    reserve: pd.DataFrame


def unit_count(persons: int) -> int:
    """About one unit per 40 persons, but at least 100 so each unit defect can have units of its own."""
    return max(100, persons // 40)


def _names(rng: np.random.Generator, types: np.ndarray, branches: np.ndarray) -> np.ndarray:
    """Unique names: each type draws (prefix, trade name, ending) combinations without replacement."""
    names = np.empty(len(types), dtype=object)
    for unit_type, (_, endings, _) in vocab.UNIT_TYPES.items():
        rows = np.flatnonzero(types == unit_type)
        if unit_type == "10":
            axes = (vocab.UNIT_PREFIXES, TRADE_PAIRS, vocab.INDUSTRIES, vocab.COMPANY_SUFFIXES)
        else:
            axes = (tuple(vocab.DISTRICTS.values()), TRADE_PAIRS, endings)
        sizes = [len(a) for a in axes]
        flat = rng.choice(int(np.prod(sizes)), size=len(rows), replace=False)
        parts = [np.array(axis, dtype=object)[i] for axis, i in zip(axes, np.unravel_index(flat, sizes))]
        names[rows] = join_text(*parts)
    virtual = types == VIRTUAL_TYPE
    own = np.array([vocab.DISTRICTS.get(b, "市本级") for b in branches[virtual]], dtype=object)
    names[virtual] = join_text("辽阳市", own, "灵活就业及城乡居民参保人员")
    return names


def _statuses(rng: np.random.Generator, size: int) -> np.ndarray:
    """aab051 in fixed shares (at least 6 suspended and 6 terminated units, which some defects need)."""
    suspended = max(6, round(STATUS_WEIGHTS["2"] * size))
    terminated = max(6, round(STATUS_WEIGHTS["3"] * size))
    status = np.array(["2"] * suspended + ["3"] * terminated + ["1"] * (size - suspended - terminated), dtype=object)
    return rng.permutation(status)


def _org_bodies(rng: np.random.Generator, new: np.ndarray) -> np.ndarray:
    """(n, 8) body characters, unique: 8 digits for old units, 'MA' + 6 base-31 characters for new ones."""
    size = len(new)
    digits = (rng.choice(9 * 10**7, size=size, replace=False) + 10**7).astype("U8")
    ma = rng.choice(31**6, size=size, replace=False)
    ma_chars = codes.USCC_CHARS[(ma[:, None] // 31 ** np.arange(5, -1, -1)) % 31]
    ma_text = np.strings.add("MA", np.ascontiguousarray(ma_chars.astype("U1")).view("U6").ravel())
    return np.where(new, ma_text, digits).view("U1").reshape(size, 8)


def build_units(rng: np.random.Generator, ids: IdFactory, period: Period, count: int, reserve: int) -> Units:
    ordinary = count + reserve
    size = ordinary + len(vocab.BRANCHES)
    branch = np.concatenate([pick(rng, vocab.BRANCHES, ordinary, vocab.BRANCH_WEIGHTS), list(vocab.BRANCHES)])
    region = np.where(branch == "211000", pick(rng, vocab.DISTRICTS, size), branch)
    district = district_names(region)
    shares = [s for s, _, _ in vocab.UNIT_TYPES.values()]
    types = np.concatenate([pick(rng, vocab.UNIT_TYPES, ordinary, shares), [VIRTUAL_TYPE] * len(vocab.BRANCHES)])
    status = np.concatenate([_statuses(rng, ordinary), ["1"] * len(vocab.BRANCHES)])
    joined = rng.integers(1990 * 12, period.months + 1, size)
    enterprise = types == "10"
    virtual = types == VIRTUAL_TYPE
    org = codes.org_codes(_org_bodies(rng, joined >= NEW_CODES_FROM))
    prefix = np.vectorize(lambda t: vocab.UNIT_TYPES.get(t, (0, 0, "Y1"))[2], otypes=[object])(types)
    credit = codes.uscc(prefix.astype("U2"), region.astype("U6"), org.astype("U9"))
    hyphenated = rng.random(size) < 0.5
    org_text = np.where(hyphenated, join_text(org.astype("U9").astype("U8"), "-", np.strings.slice(org.astype("U9"), 8, 9)), org)
    public = np.isin(types, vocab.PUBLIC_TYPES)
    industry = np.where(public, pick(rng, ("P83", "Q84", "S92"), size), pick(rng, vocab.INDUSTRY_CODES[:15], size))
    legal_birth = random_day_in(rng.integers(1955 * 12, 1993 * 12, size), rng)
    ab01 = frame("ab01", {
        "aab001": join_text("21", np.char.zfill(np.arange(1, size + 1).astype(str), 8)),
        "aab004": _names(rng, types, branch),
        "bab010": np.where(virtual, None, credit),
        "aae053": np.where(virtual, None, org_text),
        "aab019": types,
        "aab020": np.where(enterprise, pick(rng, vocab.ECONOMIC_TYPES, size), None),
        "aab021": np.where(virtual, "4", pick(rng, vocab.AFFILIATIONS, size)),
        "aab022": np.where(virtual, "O80", industry),
        "aae045": chinese_names(rng, size),
        "aae046": ids.issue(d8_int(legal_birth), rng.random(size) < 0.7),
        "aab301": region,
        "aab034": branch,
        "aab033": pick(rng, "2213", size),
        "aab050": ym_text(joined),
        "aab051": status,
        "aae005": landlines(rng, size),
        "aae006": addresses(rng, district),
        "aae036": d8_text(month_start(joined) + rng.integers(0, 28, size).astype("m8[D]")),
        "aae100": "1",
    })
    keep = np.r_[0:count, ordinary:size]
    return Units(ab01.iloc[keep].reset_index(drop=True), ab01.iloc[count:ordinary].reset_index(drop=True))

