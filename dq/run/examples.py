"""Every rule proves itself: its failing and passing examples run through the real planner on a real database.

Each example runs in its own transaction on a scratch database (never an audited one): the example rows are
inserted over a clean default row per table, the rule's fused scan runs, and the transaction is rolled back.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from ruamel.yaml import YAML

from dq.model import Example, Rule, Suite
from dq.plan import build_plan
from dq.rules.params import Params
from dq.run.connect import Source, open_source
from dq.schema import Schema, load_schema, sqlalchemy_metadata

SAMPLE_DATA = Path(__file__).resolve().parents[2] / "sample_data"


@dataclass(frozen=True)
class ExampleOutcome:
    rule_id: str
    kind: str  # "fail" or "pass"
    index: int
    violations: int
    location: str

    @property
    def ok(self) -> bool:
        return self.violations > 0 if self.kind == "fail" else self.violations == 0


@cache
def example_defaults() -> dict[str, dict[str, Any]]:
    return YAML(typ="safe").load((SAMPLE_DATA / "example_defaults.yaml").read_text(encoding="utf-8"))


@cache
def code_table() -> list[dict[str, str]]:
    """The default AA10 rows (sample_data/codes.yaml)."""
    codes = YAML(typ="safe").load((SAMPLE_DATA / "codes.yaml").read_text(encoding="utf-8"))
    return [{"aaa100": category, "aaa102": str(code), "aaa103": str(name), "aae100": "1"}
            for category, values in codes.items() for code, name in values.items()]


def _typed(schema: Schema, table: str, row: dict[str, Any]) -> dict[str, Any]:
    """Example values as the column types expect them (YAML gives strings and numbers loosely)."""
    out = {}
    for name, value in row.items():
        kind = schema.table(table).column(name).kind
        if value is None:
            out[name] = None
        elif kind == "int":
            out[name] = int(value)
        elif kind in ("num", "rate"):
            out[name] = Decimal(str(value))
        else:
            out[name] = str(value)
    return out


def create_example_database(url: str, schema: Schema | None = None) -> Source:
    """(Re)create every logical table on a scratch database and load the default code table."""
    schema = schema or load_schema()
    source = open_source(url, read_only=False)
    metadata = sqlalchemy_metadata(schema)
    with source.engine.begin() as conn:
        metadata.drop_all(conn)
        metadata.create_all(conn)
        conn.execute(metadata.tables["aa10"].insert(), code_table())
    return source


def insert_rows(conn: sa.Connection, metadata: sa.MetaData, schema: Schema, table: str, rows: tuple[dict, ...]) -> None:
    defaults = example_defaults().get(table, {})
    if rows:
        conn.execute(metadata.tables[table].insert(), [_typed(schema, table, {**defaults, **r}) for r in rows])


def run_rule_examples(source: Source, suite: Suite, params: Params, rule: Rule, period: str = "202410",
                      schema: Schema | None = None) -> list[ExampleOutcome]:
    """Run one rule's examples on `source` (a scratch database made by `create_example_database`)."""
    schema = schema or load_schema()
    metadata = sqlalchemy_metadata(schema)
    only = Suite(suite.path, suite.version, (rule,))  # exactly the rule given, which may differ from the suite's
    plan = build_plan(only, params, period, source.caps.name, schema=schema)
    scan = plan.scans[0]
    sql = sa.text(plan.sql(scan))
    columns = next(c for c in scan.rules if c.rule_id == rule.id)
    outcomes = []
    for kind, examples in (("fail", rule.fail_examples), ("pass", rule.pass_examples)):
        for index, example in enumerate(examples):
            outcomes.append(ExampleOutcome(rule.id, kind, index, _violations(source, metadata, schema, rule, example,
                                                                            sql, plan.binds, columns.violations),
                                           str(example.location)))
    return outcomes


def _violations(source: Source, metadata: sa.MetaData, schema: Schema, rule: Rule, example: Example,
                sql: sa.TextClause, binds: dict, column: str) -> int:
    with source.engine.connect() as conn:
        transaction = conn.begin()
        try:
            insert_rows(conn, metadata, schema, rule.table, example.rows)
            for table, rows in example.other_tables.items():
                insert_rows(conn, metadata, schema, table, rows)
            return sum(int(row._mapping[column] or 0) for row in conn.execute(sql, binds))
        finally:
            transaction.rollback()
