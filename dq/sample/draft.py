"""The city while defects are injected: frames with stable row labels, who is already broken, and the hits.

Every defect takes its rows from what is still clean (`take_*` marks them used), changes them, and records a `Hit`
naming the rows and the rules it makes fail. Row labels never change (appended rows get new labels, dropped rows
are removed at the end), so hits still name the right rows when the manifest is written.

Each change is logged, with the values it replaced, under the current incident (`begin`: one defect call), and
each hit carries its incident. So the city can be produced with any subset of incidents undone (`frames`): a
branch fixing its errors is an incident undone, the error coming back is the same incident applied again. Rows
an incident used stay used, so later incidents never touch them and any subset stays consistent.
"""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from dq.sample.period import Period


@dataclass(frozen=True)
class Hit:
    table: str
    labels: np.ndarray
    rules: tuple[str, ...]
    incident: int = 0


@dataclass(frozen=True)
class Change:
    """One `set`, `append` or `drop` of an incident; a set keeps the values it overwrote, to be undone."""

    incident: int
    action: str  # 'set' | 'append' | 'drop'
    table: str
    labels: np.ndarray
    column: str = ""
    before: object = None


@dataclass
class Draft:
    period: Period
    tables: dict[str, pd.DataFrame]
    facts: pd.DataFrame  # one row per person, same labels as ac01
    owner: np.ndarray  # ac02 label → person label
    ic10_of: np.ndarray  # person label → ic10 label (-1: not retired)
    reserve_units: pd.DataFrame
    reserve_people: pd.DataFrame
    used: dict[str, np.ndarray] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    incidents: list[str] = field(default_factory=lambda: [""])  # incident id → name of the defect that made it
    _pending: dict[str, list[pd.DataFrame]] = field(default_factory=dict)
    _next_label: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for entity in ("ab01", "ab07", "ac01"):
            self.used.setdefault(entity, np.zeros(len(self.tables[entity]), bool))
        order = np.argsort(self.owner, kind="stable")
        self._rows_order = order
        self._rows_start = np.searchsorted(self.owner[order], np.arange(len(self.tables["ac01"]) + 1))

    # reading ---------------------------------------------------------------------------------------------------
    def col(self, table: str, column: str) -> np.ndarray:
        return self.tables[table][column].to_numpy()

    def rows_of(self, person: int) -> np.ndarray:
        """ac02 labels of one person's clean relations."""
        return self._rows_order[self._rows_start[person]: self._rows_start[person + 1]]

    def first_relation(self) -> np.ndarray:
        """Per person, the label of its first clean ac02 row (lowest scheme code), -1 if none."""
        has = self._rows_start[1:] > self._rows_start[:-1]
        return np.where(has, self._rows_order[np.minimum(self._rows_start[:-1], len(self._rows_order) - 1)], -1)

    def persons_of(self, numbers: np.ndarray) -> np.ndarray:
        """ac01 labels of the clean city's persons with these 个人编号 (AAC001), in order (-1 where none)."""
        return pd.Index(self.col("ac01", "aac001")).get_indexer(numbers)

    def free(self, entity: str) -> np.ndarray:
        return ~self.used[entity]

    # choosing --------------------------------------------------------------------------------------------------
    def take(self, entity: str, pool: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
        """`count` labels of `entity` drawn from the boolean `pool` among clean rows; they become used."""
        candidates = np.flatnonzero(pool & self.free(entity))
        if len(candidates) < count:
            raise RuntimeError(f"只有 {len(candidates)} 条 {entity} 记录可注入缺陷, 需要 {count}")
        chosen = np.sort(rng.choice(candidates, size=count, replace=False))
        self.used[entity][chosen] = True
        return chosen

    def take_relations(self, pool: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
        """`count` ac02 labels from `pool`, at most one per person, whose persons are clean (then used)."""
        candidates = np.flatnonzero(pool & self.free("ac01")[self.owner])
        rng.shuffle(candidates)
        _, first = np.unique(self.owner[candidates], return_index=True)
        candidates = candidates[np.sort(first)]
        if len(candidates) < count:
            raise RuntimeError(f"只有 {len(candidates)} 条 ac02 记录可注入缺陷, 需要 {count}")
        chosen = np.sort(candidates[:count])
        self.used["ac01"][self.owner[chosen]] = True
        return chosen

    def claim(self, entity: str, labels: np.ndarray) -> None:
        """Mark rows used that a defect reads or changes without breaking them (partners, members)."""
        self.used[entity][labels] = True

    # changing --------------------------------------------------------------------------------------------------
    def begin(self, name: str) -> int:
        """Start a new incident (the changes and hits of one defect call); returns its id."""
        self.incidents.append(name)
        return len(self.incidents) - 1

    @property
    def incident(self) -> int:
        return len(self.incidents) - 1

    def set(self, table: str, labels: np.ndarray, column: str, values: object) -> None:
        labels = np.asarray(labels, dtype=np.int64)
        before = self.tables[table].loc[labels, column].to_numpy(copy=True)
        self.changes.append(Change(self.incident, "set", table, labels, column, before))
        _write(self.tables[table], labels, column, values)

    def next_labels(self, table: str, count: int) -> np.ndarray:
        """The labels the next `append` of `count` rows to `table` gives them (to number new rows by them)."""
        start = self._next_label.get(table, len(self.tables[table]))
        return np.arange(start, start + count)

    def append(self, table: str, rows: pd.DataFrame) -> np.ndarray:
        start = self._next_label.get(table, len(self.tables[table]))
        labels = np.arange(start, start + len(rows))
        self._next_label[table] = start + len(rows)
        self._pending.setdefault(table, []).append(rows.set_axis(labels))
        self.changes.append(Change(self.incident, "append", table, labels))
        return labels

    def drop(self, table: str, labels: np.ndarray) -> None:
        self.changes.append(Change(self.incident, "drop", table, np.asarray(labels, dtype=np.int64)))

    def hit(self, table: str, labels: np.ndarray, *rules: str) -> None:
        self.hits.append(Hit(table, np.asarray(labels, dtype=np.int64), rules, self.incident))

    def frames(self, active: Collection[int] | None = None) -> dict[str, pd.DataFrame]:
        """The city with only the `active` incidents (all when None): the others' sets undone (latest first),
        their appended rows left out and their dropped rows kept. Labels stay the index; the draft itself is
        unchanged, so more incidents can follow."""
        def on(change: Change) -> bool:
            return active is None or change.incident in active

        tables = dict(self.tables)
        undone = [c for c in reversed(self.changes) if c.action == "set" and not on(c)]
        for table in {c.table for c in undone}:
            tables[table] = tables[table].copy()
        for change in undone:
            _write(tables[change.table], change.labels, change.column, change.before)
        gone: dict[str, list[np.ndarray]] = {}  # rows of incidents not active, rows dropped by active ones
        for change in self.changes:
            if (change.action == "append" and not on(change)) or (change.action == "drop" and on(change)):
                gone.setdefault(change.table, []).append(change.labels)
        for table in set(self._pending) | set(gone):
            frame = pd.concat([tables[table], *self._pending.get(table, [])])
            tables[table] = frame.drop(index=np.concatenate(gone[table])) if table in gone else frame
        return tables


def _write(frame: pd.DataFrame, labels: np.ndarray, column: str, values: object) -> None:
    if frame[column].dtype == object:
        values = pd.Series(np.asarray(values, dtype=object) if not np.isscalar(values) and values is not None
                           else [values] * len(labels), index=labels, dtype=object)
    frame.loc[labels, column] = values
