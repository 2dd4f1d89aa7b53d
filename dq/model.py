"""The small shared vocabulary every package speaks: rules, examples, and the figures a run produces."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from sqlglot import exp

from dq.errors import Location

CATEGORIES = {
    "U": "单位",
    "W": "在职职工",
    "R": "离退休人员",
    "X": "死亡人员",
    "F": "供养亲属",
    "M": "被冒领人员",
    "Z": "转移人员",
    "S": "统计/基金",
    "P": "个人(按在职/离退休归类)",
}
DIMENSIONS = {
    "completeness": "完整性(项目齐全率)",
    "reality": "真实性(记实率)",
    "validity": "有效性(异常率)",
    "duplicate": "唯一性(重复率)",
    "consistency": "一致性(异常率)",
}
SEVERITIES = ("error", "warning", "info")
UNKNOWN_BRANCH = "未知经办机构"

Row = dict[str, Any]


@dataclass(frozen=True)
class Example:
    """Rows that make a rule fail or pass: rows of the rule's table, plus rows of other tables it reads."""

    rows: tuple[Row, ...]
    other_tables: dict[str, tuple[Row, ...]] = field(default_factory=dict)
    location: Location | None = None


@dataclass(frozen=True)
class Duplicate:
    """A set-level rule: rows whose key group holds more than one row (or distinct value)."""

    key: tuple[exp.Expression, ...]
    distinct: exp.Expression | None = None
    where: exp.Expression | None = None
    nulls_fail: bool = False  # a NULL key is itself a violation (and in the population)


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    table: str
    category: str
    dimension: str
    severity: Literal["error", "warning", "info"]
    fields: tuple[str, ...]
    fix: str
    source: str
    location: Location
    when: exp.Expression | None = None
    violation: exp.Expression | None = None
    duplicate: Duplicate | None = None
    note: str | None = None
    unimplemented: str | None = None
    fail_examples: tuple[Example, ...] = ()
    pass_examples: tuple[Example, ...] = ()

    @property
    def implemented(self) -> bool:
        return self.unimplemented is None


@dataclass(frozen=True)
class Suite:
    """A loaded rule suite: every rule of every file in a folder, in file order."""

    path: str
    version: str
    rules: tuple[Rule, ...]

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def implemented(self) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.implemented)

    def tables(self) -> list[str]:
        return sorted({r.table for r in self.implemented()})
