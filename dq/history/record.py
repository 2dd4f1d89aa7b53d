"""Recording one run: the whole period lands in ONE transaction, replacing that period's earlier result.

Inside the writer's transaction: delete the period's previous rows, insert the run, its tables, rules and metrics,
stage the findings in a scratch table (in batches streamed from the run — COPY on PostgreSQL — never a second
copy of the findings in memory), and move them into dq_findings with each one's first-seen period carried
forward from the previous recorded period. A failure or a kill at any point leaves
the transaction uncommitted, so the store is exactly as it was.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from itertools import islice

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from dq.history.snapshot import Values, with_values
from dq.history.store import DEFAULT_WAIT_S, HistoryStore
from dq.history.tables import findings, metrics, rules, run_tables, runs
from dq.model import Rule
from dq.run import RunResult, Source
from dq.run.results import Finding, TableRun
from dq.schema import load_schema

BATCH = 5_000
STATUS_COMPLETE = "complete"  # only complete runs are ever committed; the column says so to readers of the store
CHILD_TABLES = (findings, metrics, rules, run_tables)

Progress = Callable[[int, int], None]  # (finding rows written, finding rows in the run)


def batches(rows: Iterable[dict], size: int = BATCH) -> Iterator[list[dict]]:
    """`rows` in lists of `size`, taken lazily (itertools.batched arrives in Python 3.12)."""
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def finding_row_count(result: RunResult) -> int:
    """Rows the run adds to dq_findings: one per (finding, rule it fails)."""
    return sum(len(f.rule_ids) for run in result.tables.values() for f in run.findings)


def record_run(store: HistoryStore, result: RunResult, suite_rules: Sequence[Rule], *, source: Source | None = None,
               on_progress: Progress | None = None, wait_s: float = DEFAULT_WAIT_S) -> None:
    """Store `result` as its period's result, atomically; with `source`, each finding keeps its field values."""
    total = finding_row_count(result)
    by_id = {rule.id: rule for rule in suite_rules}
    with store.writing(wait_s) as conn:
        for table in CHILD_TABLES:
            conn.execute(sa.delete(table).where(table.c.period == result.period))
        conn.execute(sa.delete(runs).where(runs.c.period == result.period))
        conn.execute(runs.insert(), [_run_row(result, total)])
        conn.execute(run_tables.insert(), [
            {"period": result.period, "table_name": name, "row_count": run.row_count, "seconds": run.seconds,
             "finding_count": len(run.findings)} for name, run in result.tables.items()])
        _insert_batches(conn, rules, [_rule_row(result.period, rule) for rule in suite_rules])
        _insert_batches(conn, metrics, _metric_rows(result))
        staging = _staging_table()
        staging.create(conn)
        load = _copy_rows if conn.dialect.name == "postgresql" else _insert_rows
        written = 0
        for batch in batches(_finding_rows(result, by_id, source)):
            load(conn, staging, batch)
            written += len(batch)
            if on_progress:
                on_progress(written, total)
        _insert_with_streaks(conn, staging, result.period)
        staging.drop(conn)
        relink_later_streaks(conn, result.period)


def _staging_table() -> sa.Table:
    """A table shaped like dq_findings without first_seen: the period's findings land here first, so that one
    INSERT … SELECT gives each its streak (no second write of a million rows to update them). It is created and
    dropped inside the writer's transaction, so no other session ever sees it; it is an ordinary table, not a
    TEMPORARY one, because SQLite keeps temporary tables outside the store file and its write-ahead log."""
    columns = [sa.Column(c.name, c.type) for c in findings.columns if c.name != "first_seen"]
    return sa.Table("dq_staging_findings", sa.MetaData(), *columns)


def _insert_rows(conn: Connection, table: sa.Table, rows: list[dict]) -> None:
    conn.execute(table.insert(), rows)


def _copy_rows(conn: Connection, table: sa.Table, rows: list[dict]) -> None:
    """PostgreSQL's COPY: several times faster than batched INSERTs for a million findings."""
    names = [c.name for c in table.columns]
    driver = conn.connection.driver_connection
    assert driver is not None, "a connection in a transaction has its driver connection"
    with driver.cursor() as cursor, cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[name] for name in names])


def _insert_with_streaks(conn: Connection, staging: sa.Table, period: str) -> None:
    """Move the staged findings into dq_findings; a finding also in the previous recorded period continues that
    period's streak (its first_seen), any other starts one now. A record key found in several branches or person
    categories (duplicate records registered by two offices) is one finding: its rows summed, the lowest branch
    code named, so the finding's identity (rule id, record key) stays unique."""
    previous = conn.execute(sa.select(sa.func.max(runs.c.period)).where(runs.c.period < period)).scalar()
    identity = (staging.c.period, staging.c.rule_id, staging.c.record_key)
    merged = sa.select(
        *identity, *(sa.func.min(staging.c[name]).label(name)
                     for name in ("table_name", "entity", "branch", "person_category")),
        sa.func.sum(staging.c.row_count).label("row_count"), sa.func.min(staging.c.snapshot).label("snapshot"),
    ).group_by(*identity).subquery("merged")
    before = findings.alias("before")
    first_seen = sa.func.coalesce(before.c.first_seen, sa.literal(period, findings.c.first_seen.type))
    joined = merged.outerjoin(before, sa.and_(before.c.period == previous, before.c.rule_id == merged.c.rule_id,
                                              before.c.record_key == merged.c.record_key))
    columns = staging.columns.keys()
    conn.execute(findings.insert().from_select(
        [*columns, "first_seen"], sa.select(*(merged.c[c] for c in columns), first_seen).select_from(joined)))


def relink_later_streaks(conn: Connection, period: str) -> None:
    """Recompute `first_seen` of every period after `period`, in order: re-running an old period (or recording a
    month out of order) changes the streaks that run through it. Recording the newest period changes nothing."""
    later = [p for (p,) in conn.execute(sa.select(runs.c.period).where(runs.c.period > period).order_by(runs.c.period))]
    before = findings.alias("before")
    for current in later:
        previous = conn.execute(sa.select(sa.func.max(runs.c.period)).where(runs.c.period < current)).scalar()
        conn.execute(sa.update(findings).where(findings.c.period == current).values(first_seen=current))
        conn.execute(
            sa.update(findings)
            .where(findings.c.period == current, before.c.period == previous,
                   before.c.rule_id == findings.c.rule_id, before.c.record_key == findings.c.record_key)
            .values(first_seen=before.c.first_seen)
        )


def _run_row(result: RunResult, total: int) -> dict:
    return {"period": result.period, "status": STATUS_COMPLETE, "dialect": result.dialect,
            "database": result.database, "suite_path": result.suite_path, "suite_version": result.suite_version,
            "started_at": result.started_at, "finished_at": result.finished_at or result.started_at,
            "recorded_at": datetime.now().isoformat(timespec="seconds"), "finding_count": total}


def _rule_row(period: str, rule: Rule) -> dict:
    return {"period": period, "rule_id": rule.id, "name": rule.name, "table_name": rule.table,
            "category": rule.category, "dimension": rule.dimension, "severity": rule.severity,
            "fields": ",".join(rule.fields)}


def _metric_rows(result: RunResult) -> Iterator[dict]:
    for run in result.tables.values():
        for rule_id, by_branch in run.counts.items():
            for branch, counts in by_branch.items():
                yield {"period": result.period, "rule_id": rule_id, "branch": branch, "population": counts.population,
                       "violations": counts.violations, "excess": counts.excess}


def _insert_batches(conn: Connection, table: sa.Table, rows: Iterable[dict]) -> None:
    for batch in batches(rows):
        conn.execute(table.insert(), batch)


def _finding_rows(result: RunResult, by_id: dict[str, Rule], source: Source | None) -> Iterator[dict]:
    """One row per (finding, rule), table by table, with the rule's field values when `source` is given."""
    schema = load_schema()
    for name, run in result.tables.items():
        if not run.findings:
            continue
        table = schema.table(name)
        fields = {rule_id: [f for f in by_id[rule_id].fields if f in table.columns] for rule_id in run.counts}
        pairs: Iterable[tuple[Finding, Values | None]] = (
            with_values(source, name, table.key, sorted({f for fs in fields.values() for f in fs}), run.findings)
            if source is not None else ((finding, None) for finding in run.findings))
        for finding, values in pairs:
            for rule_id in finding.rule_ids:
                yield _finding_row(result.period, run, finding, rule_id,
                                   None if values is None else {f: values[f] for f in fields[rule_id]})


def _finding_row(period: str, run: TableRun, finding: Finding, rule_id: str, snapshot: Values | None) -> dict:
    return {"period": period, "rule_id": rule_id, "record_key": finding.key, "table_name": run.table,
            "entity": finding.entity, "branch": finding.branch, "person_category": finding.category,
            "row_count": finding.rows,
            "snapshot": None if snapshot is None else json.dumps(snapshot, ensure_ascii=False, default=str)}
