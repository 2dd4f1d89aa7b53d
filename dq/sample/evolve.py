"""The sample city month after month: branches fix a share of their errors, new errors appear, fixed ones come back.

Every defect is injected once, in small incidents (a few records each), into one draft; a month is the set of
incidents active in it (Draft.frames). In the first month most incidents are active and the rest wait for a later
month (新增 then); each following month every branch fixes its own share of its open incidents (a branch's share is
drawn once: some offices work harder than others), and a share of the incidents fixed earlier come back (复发).
Each month's ground truth is the manifest of its active incidents, with the lifecycle of every finding against the
month before, counted from the generator's own record keys and never by evaluating a rule.

The clean city stays clean for HORIZON months after its period (dq.sample.period), so the months are its period
and the HORIZON months after it, within one year (a unit's yearly base is set per year: U25 in January).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from zlib import crc32

import numpy as np

from dq.errors import InputFileError
from dq.sample.city import City, city_of, clean_draft, seed_words
from dq.sample.draft import Draft
from dq.sample.inject import inject_all
from dq.sample.manifest import NO_BRANCH, branches, finding_branches
from dq.sample.period import HORIZON

MONTHS = HORIZON + 1
PART_SIZE = 2  # records per incident: errors are fixed and come back a few records at a time
LATE_SHARE = 0.15  # incidents that first appear in a later month
FIX_SHARES = (0.2, 0.7)  # each branch fixes a share in this range of its open incidents every month
RECUR_SHARE = 0.3  # incidents fixed earlier that come back in a month

Findings = dict[str, dict[str, str | None]]  # rule → failing record key → branch


def add_months(period: str, months: int) -> str:
    """YYYYMM `months` later: 202411 + 2 → 202501."""
    index = int(period[:4]) * 12 + int(period[4:]) - 1 + months
    return f"{index // 12:04d}{index % 12 + 1:02d}"


@dataclass
class EvolvingCity:
    """One sample city over MONTHS consecutive audit periods."""

    persons: int
    seed: int
    periods: tuple[str, ...]
    draft: Draft
    schedule: tuple[frozenset[int], ...]  # per month, its active incidents
    _findings: dict[int, Findings] = field(default_factory=dict)

    def month(self, index: int) -> City:
        """The city as audited in month `index` (0 = the first), its manifest with the lifecycle of every
        finding against the month before."""
        if not 0 <= index < len(self.periods):
            raise InputFileError(f"示例城市只演化 {len(self.periods)} 个月 ({self.periods[0]}–{self.periods[-1]}): "
                                 f"第 {index} 个月不存在, 可选 0–{len(self.periods) - 1}")
        city = city_of(self.draft, self.persons, self.seed, self.periods[index], self.schedule[index])
        city.manifest["month"] = index
        city.manifest["lifecycle"] = {
            "from": self.periods[index - 1] if index else None,
            "rules": lifecycle_truth([self.findings(j) for j in range(index + 1)]),
        }
        return city

    def findings(self, index: int) -> Findings:
        """Every failing (rule, record key) of month `index` with its branch."""
        if index not in self._findings:
            active = self.schedule[index]
            hits = [hit for hit in self.draft.hits if hit.incident in active]
            self._findings[index] = finding_branches(self.draft.frames(active), hits)
        return self._findings[index]


def evolving_city(persons: int, seed: int, period: str = "202410") -> EvolvingCity:
    """The same (persons, seed, period) always gives the same months."""
    if add_months(period, HORIZON)[:4] != period[:4]:
        raise InputFileError(f"演化的 {MONTHS} 个月须在同一年内 (年度缴费基数按年核定): 起始稽核期 {period} 最晚为 "
                         f"{period[:4]}{12 - HORIZON:02d}")
    draft = clean_draft(persons, seed, period)
    words = seed_words(persons, seed, period)
    inject_all(draft, words, part_size=PART_SIZE)
    schedule = _schedule(draft, np.random.default_rng([*words, crc32(b"evolve")]))
    periods = tuple(add_months(period, k) for k in range(MONTHS))
    return EvolvingCity(persons, seed, periods, draft, schedule)


def _incident_branches(draft: Draft) -> np.ndarray:
    """Per incident (index 0: none), the branch of the first record it broke: the office that fixes it."""
    firsts: dict[str, dict[int, int]] = {}  # table → incident → label of its first broken row there
    for hit in draft.hits:
        if len(hit.labels) and not any(hit.incident in seen for seen in firsts.values()):
            firsts.setdefault(hit.table, {})[hit.incident] = int(hit.labels[0])
    frames = draft.frames()
    owner = np.full(len(draft.incidents), NO_BRANCH, dtype=object)
    for table, first in firsts.items():
        found = branches(frames, table, np.fromiter(first.values(), dtype=np.int64))
        owner[list(first)] = [branch or NO_BRANCH for branch in found]
    return owner


def _schedule(draft: Draft, rng: np.random.Generator) -> tuple[frozenset[int], ...]:
    """Which incidents are active in each month: late ones start later, branches fix, fixed ones recur."""
    incidents = np.arange(1, len(draft.incidents))
    start = np.where(rng.random(len(incidents)) < LATE_SHARE, rng.integers(1, MONTHS, len(incidents)), 0)
    owner = _incident_branches(draft)[incidents]
    offices = sorted(set(owner))
    share = dict(zip(offices, rng.uniform(*FIX_SHARES, len(offices))))
    fix_share = np.array([share[o] for o in owner])
    active = start == 0
    seen = active.copy()
    months = [frozenset(incidents[active].tolist())]
    for month in range(1, MONTHS):
        fixed = active & (rng.random(len(incidents)) < fix_share)
        back = seen & ~active & (rng.random(len(incidents)) < RECUR_SHARE)
        active = (active & ~fixed) | back | (start == month)
        seen |= active
        months.append(frozenset(incidents[active].tolist()))
    return tuple(months)


def lifecycle_truth(months: list[Findings]) -> dict[str, dict[str, dict[str, int]]]:
    """Per rule and branch ('null': none), how many findings of the last month are 新增 / 未整改 / 复发 against the
    month before it, and how many of that month are 已整改 (counted in their branch of that month)."""
    now, before = months[-1], (months[-2] if len(months) > 1 else {})
    earlier: dict[str, set[str]] = {}
    for month in months[:-2]:
        for rule, keys in month.items():
            earlier.setdefault(rule, set()).update(keys)
    counts: dict[str, dict[str, Counter]] = {}
    for rule, keys in now.items():
        for key, branch in keys.items():
            status = ("open" if key in before.get(rule, {}) else
                      "recurring" if key in earlier.get(rule, set()) else "new")
            counts.setdefault(rule, {}).setdefault(branch or NO_BRANCH, Counter())[status] += 1
    for rule, keys in before.items():
        for key, branch in keys.items():
            if key not in now.get(rule, {}):
                counts.setdefault(rule, {}).setdefault(branch or NO_BRANCH, Counter())["fixed"] += 1
    return {rule: {branch: dict(sorted(c.items())) for branch, c in sorted(by.items())}
            for rule, by in sorted(counts.items())}
