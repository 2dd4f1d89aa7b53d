"""What a run produces: per rule × branch counts, per branch row counts, and the failing records."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field


@dataclass
class Counts:
    population: int = 0
    violations: int = 0
    excess: float = 0.0  # duplicates only: rows beyond the first of each group

    def add(self, population: int, violations: int, excess: float) -> None:
        self.population += population
        self.violations += violations
        self.excess += excess


@dataclass(frozen=True)
class Finding:
    """One failing record: its key, the entity it belongs to, its branch and the rules it fails."""

    table: str
    key: str
    entity: str | None
    branch: str | None
    category: str | None  # person category (W / R) for person tables
    rule_ids: tuple[str, ...]
    rows: int  # records sharing this key (duplicate keys are one finding with rows > 1)


@dataclass
class TableRun:
    table: str
    seconds: float = 0.0
    rows_by_branch: dict[str | None, int] = field(default_factory=lambda: defaultdict(int))
    rows_by_branch_category: dict[tuple[str | None, str | None], int] = field(default_factory=lambda: defaultdict(int))
    entity_sets: dict[str, dict[str | None, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    counts: dict[str, dict[str | None, Counts]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(Counts)))
    findings: list[Finding] = field(default_factory=list)

    @property
    def row_count(self) -> int:
        return sum(self.rows_by_branch.values())


@dataclass
class RunResult:
    period: str
    dialect: str
    database: str
    suite_path: str
    suite_version: str
    started_at: str
    finished_at: str = ""
    tables: dict[str, TableRun] = field(default_factory=dict)

    def rule_counts(self, rule_id: str) -> dict[str | None, Counts]:
        for run in self.tables.values():
            if rule_id in run.counts:
                return run.counts[rule_id]
        return {}

    def findings(self) -> list[Finding]:
        return [f for run in self.tables.values() for f in run.findings]

    def branches(self) -> list[str | None]:
        seen = {b for run in self.tables.values() for b in run.rows_by_branch}
        return sorted(seen, key=lambda b: (b is None, b or ""))
