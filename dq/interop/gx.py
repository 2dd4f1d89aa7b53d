"""Rules → Great Expectations 1.x expectation suites, so a centre that runs GX keeps dq's rules in its own tool.

Each implemented rule becomes one `unexpected_rows_expectation` whose query returns exactly the rows the rule
counts as violations: the rule's own row-level layer from the planner (macros expanded, shared joins, the same
NULL semantics), bound values written as literals. GX therefore reports per
rule the same number dq does (tests/test_gx_export.py checks it against the sample city on PostgreSQL). Native
expectations are not used: `expect_column_values_to_not_be_null` and friends differ from the rules on empty text,
code tables read from the database and placeholder values, and an exported rule must mean what it means in dq.
"""
from __future__ import annotations

from typing import Any

from sqlglot import exp

from dq.model import CATEGORIES, DIMENSIONS, Rule, Suite
from dq.plan import bind_values, build_plan, dialect_caps, render
from dq.plan.scan import TableScan
from dq.rules.params import Params

EXPECTATION_TYPE = "unexpected_rows_expectation"


def _literal(value: Any) -> exp.Expression:
    return exp.null() if value is None else exp.convert(value)


def _inline(tree: exp.Expression, binds: dict[str, Any]) -> exp.Expression:
    """Bound values as literals: GX runs the query text as it is, without parameters."""

    def rewrite(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Placeholder) and node.name in binds:
            return _literal(binds[node.name])
        return node

    return tree.transform(rewrite)


def failing_rows_sql(scan: TableScan, rule_id: str, binds: dict[str, Any], dialect: str) -> str:
    """Plain SQL returning the key columns of every row failing `rule_id` (one row per violation, as dq counts),
    bound values written as literals — what any SQL-running tool (GX, Soda) needs to count a rule as dq does.

    The query names the audited table itself rather than GX's `{batch}`: GX renders a whole-table batch
    sometimes as a bare subquery and sometimes with an alias, and no FROM clause accepts both; dq audits whole
    tables, so the exported expectation validates the whole table too (GX prints a notice about it)."""
    columns = next(c for c in scan.rules if c.rule_id == rule_id)
    rows = exp.Subquery(this=scan.rows.copy(), alias=exp.TableAlias(this=exp.to_identifier("r")))
    keys = [exp.column(f"k{i}", table="r") for i in range(len(scan.key_columns))]
    query = exp.select(*keys).from_(rows).where(exp.EQ(this=exp.column(columns.violations, table="r"),
                                                       expression=exp.Literal.number(1)))
    return render(_inline(query, binds), dialect_caps(dialect))


def rule_queries(suite: Suite, params: Params, period: str, dialect: str) -> dict[str, str]:
    """Rule id → its failing-rows SQL, each rule planned alone so its query reads only what the rule needs."""
    binds, _ = bind_values(params, period)
    return {rule.id: failing_rows_sql(build_plan(suite, params, period, dialect, rule_ids={rule.id}).scans[0],
                                      rule.id, binds, dialect)
            for rule in suite.implemented()}


def _expectation(rule: Rule, query: str) -> dict[str, Any]:
    return {
        "type": EXPECTATION_TYPE,
        "kwargs": {"unexpected_rows_query": query},
        "description": f"{rule.id} {rule.name}",
        "meta": {"dq_rule_id": rule.id, "name": rule.name, "table": rule.table,
                 "category": CATEGORIES[rule.category], "dimension": DIMENSIONS[rule.dimension],
                 "severity": rule.severity, "fields": [f.upper() for f in rule.fields], "fix": rule.fix,
                 "source": rule.source},
    }


def gx_suites(suite: Suite, params: Params, period: str, dialect: str) -> dict[str, dict[str, Any]]:
    """One GX expectation suite (its JSON form) per audited table, `dq.<table>`."""
    queries = rule_queries(suite, params, period, dialect)
    out: dict[str, dict[str, Any]] = {}
    for rule in suite.implemented():
        table = out.setdefault(rule.table, {
            "name": f"dq.{rule.table}", "expectations": [],
            "meta": {"dq_suite": str(suite.path), "dq_suite_version": suite.version, "period": period,
                     "dialect": dialect, "table": rule.table,
                     "note": "由 dq export-gx 生成: 每条规则一个 unexpected_rows_expectation, 违规行数与 dq 相同"},
        })
        # GX formats the query text with str.format: literal braces (regex counts) are doubled.
        escaped = queries[rule.id].replace("{", "{{").replace("}", "}}")
        table["expectations"].append(_expectation(rule, escaped))
    return dict(sorted(out.items()))
