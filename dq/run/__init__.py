"""Executes a plan read-only against the audited database and streams its groups into a RunResult."""
from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlglot import exp
from sqlalchemy.engine import Connection

from dq.errors import SchemaError, SourceError
from dq.model import Suite
from dq.plan import Plan, TableScan
from dq.run.connect import Source, connection, interrupt_after, open_source
from dq.run.results import Counts, Finding, RunResult, TableRun
from dq.schema import Schema, load_schema

__all__ = ["run_plan", "execute_scan", "open_source", "Source", "RunResult", "TableRun", "Finding", "Counts", "check_tables"]

NULL_KEY = "∅"
FETCH_BATCH = 10_000


def record_key(values: list[Any]) -> str:
    """A record key as text: key columns joined with |, NULL as ∅ (the form findings, manifests and history share)."""
    return "|".join(NULL_KEY if v is None else str(v) for v in values)


def _as_int(value: Any) -> int:
    return int(value) if value is not None else 0


def _as_float(value: Any) -> float:
    return float(value) if value is not None else 0.0


def check_tables(conn: Connection, plan: Plan, schema: Schema) -> None:
    """Every table the plan reads, with every column of its logical schema, must exist: one message lists all gaps."""
    inspector = sa.inspect(conn)
    present = {t.lower() for t in inspector.get_table_names()}
    needed = sorted({t.name for scan in plan.scans for t in scan.select.find_all(exp.Table)})
    missing = [t for t in needed if t.lower() not in present]
    if missing:
        raise SchemaError(
            f"被稽核数据库 {conn.engine.url.render_as_string(hide_password=True)} 缺少表: {', '.join(missing)} "
            "(the audited database lacks tables the rules read; check the URL or the table mapping)"
        )
    gaps = []
    for table in needed:
        # A zero-row probe names the columns on every database (reflection fails on duckdb_engine + SQLAlchemy 2.1).
        actual = {c.lower() for c in conn.execute(sa.text(f"SELECT * FROM {table} WHERE 1 = 0")).keys()}
        lacking = [c for c in schema.table(table).columns if c not in actual]
        if lacking:
            gaps.append(f"{table}: {', '.join(lacking)}")
    if gaps:
        raise SchemaError("被稽核数据库的表缺少字段 (tables lack columns of the logical schema): " + "; ".join(gaps))


def _read_group(run: TableRun, scan: TableScan, row: sa.Row) -> None:
    data = row._mapping
    branch = data["branch"]
    category = data["cat"] if scan.has_category else None
    rows = _as_int(data["row_count"])
    run.rows_by_branch[branch] += rows
    run.rows_by_branch_category[(branch, category)] += rows
    for name, column in scan.entity_sets:
        run.entity_sets[name][branch] += _as_int(data[column])
    failed = []
    for rule in scan.rules:
        violations = _as_int(data[rule.violations])
        excess = _as_float(data[rule.excess]) if rule.excess else 0.0
        run.counts[rule.rule_id][branch].add(_as_int(data[rule.population]), violations, excess)
        if violations:
            failed.append(rule.rule_id)
    if _as_int(data["failing"]):
        entity = data[scan.entity_column] if scan.entity_column else data[scan.key_columns[0]]
        run.findings.append(Finding(
            table=scan.table, key=record_key([data[k] for k in scan.key_columns]),
            entity=None if entity is None else str(entity), branch=branch, category=category,
            rule_ids=tuple(failed), rows=rows,
        ))


def execute_scan(conn: Connection, source: Source, plan: Plan, scan: TableScan) -> TableRun:
    """Run one fused scan, streaming its groups (failing records can be many) in batches."""
    run = TableRun(scan.table)
    for rule in scan.rules:
        run.counts[rule.rule_id]  # every rule appears, even with an empty table
    started = time.perf_counter()
    sql = sa.text(plan.sql(scan))
    with interrupt_after(conn, source):
        try:
            result = conn.execution_options(stream_results=True).execute(sql, plan.binds)
            for batch in result.partitions(FETCH_BATCH):
                for row in batch:
                    _read_group(run, scan, row)
        except sa.exc.DBAPIError as err:
            elapsed = time.perf_counter() - started
            hint = f" — 已超过语句超时 {source.timeout_s} 秒，可用 --timeout 调整" if elapsed >= source.timeout_s * 0.95 else ""
            raise SourceError(
                f"表 {scan.table} 的稽核查询执行失败 ({', '.join(scan.rule_ids)}): {_reason(err)}{hint}"
            ) from err
    run.seconds = time.perf_counter() - started
    return run


def _reason(err: sa.exc.DBAPIError) -> str:
    text = str(err.orig).strip() if err.orig else str(err)
    return text.splitlines()[0] if text else type(err).__name__


def run_plan(
    source: Source, plan: Plan, suite: Suite, period: str, *, schema: Schema | None = None,
    on_table: Callable[[str, str], None] | None = None,
) -> RunResult:
    """Execute every scan of `plan` in one read-only transaction; `on_table(table, event)` reports progress."""
    schema = schema or load_schema()
    result = RunResult(
        period=period, dialect=source.caps.name, database=source.display_url, suite_path=suite.path,
        suite_version=suite.version, started_at=datetime.now().isoformat(timespec="seconds"),
    )
    with connection(source) as conn, conn.begin():
        check_tables(conn, plan, schema)
        for scan in plan.scans:
            if on_table:
                on_table(scan.table, "start")
            result.tables[scan.table] = execute_scan(conn, source, plan, scan)
            if on_table:
                on_table(scan.table, "done")
    result.finished_at = datetime.now().isoformat(timespec="seconds")
    return result
