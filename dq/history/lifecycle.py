"""Every error has a life: how the findings of one period stand against an earlier one, computed in SQL.

Each finding — (rule id, record key) — of the later period `after` carries `first_seen`, the first period of its
unbroken streak of recorded periods (kept by the writer). Against an earlier period `before` it is
- 未整改 (open): its streak began at or before `before`: open ever since, for `months_open` months;
- 复发 (recurring): its streak began after `before`, and it had been recorded before that streak (fixed, back);
- 新增 (new): its streak began after `before`, and it was never recorded before;
and a finding of `before` that is not in `after` is 已整改 (fixed). For consecutive recorded periods this is the
month-to-month lifecycle; for periods further apart, a finding fixed and found again in between is 复发, not
未整改. The counts are grouped in the store's database and the finding-by-finding list is streamed, so neither
ever holds a period's findings in Python.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from dq.history.store import HistoryStore
from dq.history.tables import findings

STATUSES = ("new", "open", "fixed", "recurring")
STATUS_NAMES = {"new": "新增", "open": "未整改", "fixed": "已整改", "recurring": "复发"}
STREAM_BATCH = 10_000


def months_between(first: str, last: str) -> int:
    """Whole months from period `first` to period `last` (YYYYMM): 202408 → 202410 is 2."""
    return (int(last[:4]) - int(first[:4])) * 12 + int(last[4:]) - int(first[4:])


@dataclass(frozen=True)
class LifecycleCount:
    """The lifecycle of one rule in one branch (None: 未知经办机构) between two periods."""

    rule_id: str
    branch: str | None
    new: int = 0
    open: int = 0
    fixed: int = 0
    recurring: int = 0
    oldest_first_seen: str | None = None  # the longest-open 未整改 finding's first period

    @property
    def current(self) -> int:
        """Findings of the later period: every one is new, open or recurring."""
        return self.new + self.open + self.recurring


@dataclass(frozen=True)
class FindingChange:
    """One finding's status between two periods, with the offending values (of the earlier period if fixed)."""

    rule_id: str
    record_key: str
    table: str
    entity: str | None
    branch: str | None
    status: str
    first_seen: str | None  # None for fixed findings
    snapshot: dict[str, Any] | None
    period: str  # the later period of the comparison

    @property
    def months_open(self) -> int | None:
        return months_between(self.first_seen, self.period) if self.first_seen else None


def _same(a: sa.FromClause, b: sa.FromClause) -> sa.ColumnElement[bool]:
    """The same finding: a finding's identity is (rule id, record key)."""
    return sa.and_(a.c.rule_id == b.c.rule_id, a.c.record_key == b.c.record_key)


def _changes(before: str | None, after: str) -> sa.Select | sa.CompoundSelect:
    """(rule_id, record_key, table_name, entity, branch, status, first_seen, snapshot) of every finding that is in
    `after` or in `before`; with no earlier period, nothing is open or fixed."""
    now, then, earlier, later = (findings.alias(n) for n in ("now", "then", "earlier", "later"))
    recorded_before_streak = sa.exists().where(_same(earlier, now), earlier.c.period < now.c.first_seen)
    status = sa.case(*([(now.c.first_seen <= before, "open")] if before else []),
                     (recorded_before_streak, "recurring"), else_="new")
    current = (
        sa.select(now.c.rule_id, now.c.record_key, now.c.table_name, now.c.entity, now.c.branch,
                  status.label("status"), now.c.first_seen, now.c.snapshot)
        .where(now.c.period == after)
    )
    if before is None:
        return current
    fixed = (
        sa.select(then.c.rule_id, then.c.record_key, then.c.table_name, then.c.entity, then.c.branch,
                  sa.literal("fixed").label("status"), sa.null().label("first_seen"), then.c.snapshot)
        .where(then.c.period == before, ~sa.exists().where(later.c.period == after, _same(later, then)))
    )
    return sa.union_all(current, fixed)


def lifecycle_counts(store: HistoryStore, before: str | None, after: str) -> list[LifecycleCount]:
    """Per rule × branch: how many findings are new, open, fixed and recurring from `before` to `after`."""
    changes = _changes(before, after).subquery()
    query = (
        sa.select(changes.c.rule_id, changes.c.branch, changes.c.status, sa.func.count().label("n"),
                  sa.func.min(changes.c.first_seen).label("oldest"))
        .group_by(changes.c.rule_id, changes.c.branch, changes.c.status)
    )
    cells: dict[tuple[str, str | None], dict[str, Any]] = {}
    with store.reading() as conn:
        for row in conn.execute(query):
            cell = cells.setdefault((row.rule_id, row.branch), {})
            cell[row.status] = row.n
            if row.status == "open":
                cell["oldest_first_seen"] = row.oldest
    ordered = sorted(cells.items(), key=lambda item: (item[0][0], item[0][1] is None, item[0][1] or ""))
    return [LifecycleCount(rule_id, branch, **cell) for (rule_id, branch), cell in ordered]


def lifecycle_changes(store: HistoryStore, before: str | None, after: str) -> Iterator[FindingChange]:
    """Every finding's status from `before` to `after`, by rule and record key, streamed from the store."""
    changes = _changes(before, after).subquery()
    query = sa.select(changes).order_by(changes.c.rule_id, changes.c.record_key)
    with store.reading() as conn:
        result = conn.execution_options(stream_results=True, yield_per=STREAM_BATCH).execute(query)
        for row in result:
            yield FindingChange(row.rule_id, row.record_key, row.table_name, row.entity, row.branch, row.status,
                                row.first_seen, None if row.snapshot is None else json.loads(row.snapshot), after)
