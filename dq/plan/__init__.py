"""Rules → an execution plan: one fused scan per table, rendered per dialect (nothing here runs SQL)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dq.model import Suite
from dq.plan.dialects import DialectCaps, dialect_caps, render
from dq.plan.rewrite import BindShapes
from dq.plan.scan import RuleColumns, TableScan, build_table_scan
from dq.rules.params import Params
from dq.schema import Schema, load_schema

__all__ = ["Plan", "TableScan", "RuleColumns", "build_plan", "bind_values", "render", "dialect_caps", "DialectCaps"]


@dataclass(frozen=True)
class Plan:
    dialect: DialectCaps
    scans: tuple[TableScan, ...]
    binds: dict[str, Any]

    def sql(self, scan: TableScan) -> str:
        return render(scan.select, self.dialect)


def bind_values(params: Params, period: str) -> tuple[dict[str, Any], BindShapes]:
    """Every bound value of one period, list parameters as one scalar per element (`codes_0`, `codes_1`, …), and
    the shapes the rewrite needs to expand `IN (:codes)` and `param_at(…)` over them."""
    binds: dict[str, Any] = {}
    lengths: dict[str, int] = {}
    for name, value in params.bind(period).items():
        if isinstance(value, (list, tuple)):
            lengths[name] = len(value)
            binds.update({f"{name}_{i}": v for i, v in enumerate(value)})
        else:
            binds[name] = value
    return binds, BindShapes(lengths, params.schedules())


def build_plan(
    suite: Suite, params: Params, period: str, dialect: str, *, schema: Schema | None = None,
    rule_ids: set[str] | None = None,
) -> Plan:
    """The fewest statements answering every implemented rule (optionally only `rule_ids`) of `suite`."""
    schema = schema or load_schema()
    caps = dialect_caps(dialect)
    binds, shapes = bind_values(params, period)
    rules = [r for r in suite.implemented() if rule_ids is None or r.id in rule_ids]
    scans = []
    for table_name in sorted({r.table for r in rules}):
        table_rules = [r for r in rules if r.table == table_name]
        scans.append(build_table_scan(schema.table(table_name), table_rules, schema, shapes,
                                      fence=caps.subquery_fence))
    return Plan(caps, tuple(scans), binds)
