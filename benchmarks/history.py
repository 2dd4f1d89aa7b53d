"""History store at scale: record periods of N findings and diff them, timing each step and its peak RSS.

    python -m benchmarks.history --findings 1000000 --stores sqlite,postgresql

An audited SQLite table ac01 holds 1.05 N persons. Three periods of rule P05 findings over them:
202408 fails persons 0 … N−1; 202409 fixes every 10th and adds 5 % new; 202410 brings back every 20th (复发) and
fixes every 7th. Each step runs in a fresh child process, so its peak RSS is its own: recording (with the field
values read back from the audited table) and the lifecycle diff (grouped counts, then every finding streamed).
The run itself holds its findings in memory (that is dq.run's RunResult); the record step reports the RSS after
building it and the peak while writing, so the store's own cost is the difference. Nothing here is a test.
Figures are printed and written to benchmarks/out/history-<store>-<findings>.json.
"""
from __future__ import annotations

import argparse
import json
import resource
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa

from dq.history import HistoryStore, lifecycle_changes, lifecycle_counts, record_run
from dq.history.tables import metadata
from dq.pipeline import DEFAULT_SUITE
from dq.rules.loader import load_suite
from dq.run import open_source
from dq.run.results import Finding, RunResult, TableRun
from benchmarks.run import ensure_pg_database
from dq.schema import load_schema

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"
PERIODS = ("202408", "202409", "202410")
BRANCHES = 12
PG_STORE = "postgresql+psycopg://postgres@127.0.0.1:5432/dq_bench_history"


def failing(period: str, n: int) -> Iterator[int]:
    """Person numbers failing P05 in `period` (see the module docstring)."""
    for i in range(n + n // 20):
        base = i < n and (period == "202408" or i % 10 or (period == "202410" and i % 20 == 0))
        new = i >= n and period != "202408"
        if (base or new) and not (period == "202410" and i % 7 == 0):
            yield i


def person_key(i: int) -> str:
    return f"3{i:012d}"


def audited_city(path: Path, n: int) -> str:
    """ac01 with the logical schema's columns and 1.05 N persons, every one with a bad ID check digit."""
    path.unlink(missing_ok=True)
    columns = list(load_schema().table("ac01").columns)
    with sqlite3.connect(path) as conn:
        conn.execute(f"CREATE TABLE ac01 ({', '.join(columns)})")
        row = {c: None for c in columns}
        values = ([person_key(i) if c == "aac001" else "11010519491231002x" if c == "aac002" else row[c]
                   for c in columns] for i in range(n + n // 20))
        conn.executemany(f"INSERT INTO ac01 VALUES ({', '.join('?' * len(columns))})", values)
    return f"sqlite:///{path}"


def run_of(period: str, n: int) -> RunResult:
    run = TableRun("ac01")
    for i in failing(period, n):
        branch = f"2110{i % BRANCHES:02d}"
        run.findings.append(Finding("ac01", person_key(i), person_key(i), branch, "W", ("P05",), 1))
        run.counts["P05"][branch].add(1, 1, 0.0)
        run.rows_by_branch[branch] += 1
    return RunResult(period, "sqlite", "bench", "checks", "bench", f"{period[:4]}-{period[4:]}-28T09:00:00",
                     f"{period[:4]}-{period[4:]}-28T10:00:00", {"ac01": run})


def rss_mb() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * resource.getpagesize() / 2**20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_record(store_url: str, city: str, period: str, n: int) -> dict:
    result = run_of(period, n)
    built = rss_mb()
    rules = [load_suite(DEFAULT_SUITE).rule("P05")]
    started = time.perf_counter()
    with HistoryStore.open(store_url, create=True) as store:
        record_run(store, result, rules, source=open_source(city))
    return {"step": f"record {period}", "rows": len(result.findings()), "seconds": time.perf_counter() - started,
            "rss_after_run_built_mb": built, "peak_rss_mb": peak_mb()}


def child_diff(store_url: str, before: str, after: str) -> dict:
    started = time.perf_counter()
    with HistoryStore.open(store_url) as store:
        counts = lifecycle_counts(store, before, after)
        counted = time.perf_counter() - started
        streamed = sum(1 for _ in lifecycle_changes(store, before, after))
    totals = {s: sum(getattr(c, s) for c in counts) for s in ("new", "open", "fixed", "recurring")}
    return {"step": f"diff {before}→{after}", "rows": streamed, "counts_seconds": counted,
            "seconds": time.perf_counter() - started, "peak_rss_mb": peak_mb(), **totals}


def in_child(*args: str) -> dict:
    output = subprocess.run([sys.executable, "-m", "benchmarks.history", "--child", *args], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def fresh_store(kind: str) -> str:
    if kind == "sqlite":
        path = OUT / "history-bench.sqlite"
        for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            leftover.unlink(missing_ok=True)
        return str(path)
    ensure_pg_database(PG_STORE)
    engine = sa.create_engine(PG_STORE)
    with engine.begin() as conn:
        metadata.drop_all(conn)
        conn.exec_driver_sql("DROP TABLE IF EXISTS dq_alembic_version")
    engine.dispose()
    return PG_STORE


def store_size_mb(kind: str, url: str) -> float:
    if kind == "sqlite":
        return Path(url).stat().st_size / 2**20
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        size = conn.execute(sa.text("SELECT pg_database_size(current_database())")).scalar()
    engine.dispose()
    return size / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, default=1_000_000)
    parser.add_argument("--stores", default="sqlite,postgresql")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        step, *rest = args.child
        figures = child_record(rest[0], rest[1], rest[2], int(rest[3])) if step == "record" else child_diff(*rest)
        print(json.dumps(figures))
        return
    OUT.mkdir(parents=True, exist_ok=True)
    n = args.findings
    city = audited_city(OUT / f"history-city-{n}.sqlite", n)
    for kind in args.stores.split(","):
        url = fresh_store(kind)
        steps = [in_child("record", url, city, period, str(n)) for period in PERIODS]
        steps += [in_child("diff", url, PERIODS[i], PERIODS[i + 1]) for i in range(len(PERIODS) - 1)]
        steps.append(in_child("record", url, city, PERIODS[1], str(n)) | {"step": f"re-record {PERIODS[1]}"})
        figures = {"store": kind, "findings": n, "store_size_mb": store_size_mb(kind, url), "steps": steps}
        (OUT / f"history-{kind}-{n}.json").write_text(json.dumps(figures, indent=1), encoding="utf-8")
        print(f"== {kind}, {n:,} findings per period, store {figures['store_size_mb']:,.0f} MB")
        for s in steps:
            extra = (f"  新增 {s['new']:,} 未整改 {s['open']:,} 已整改 {s['fixed']:,} 复发 {s['recurring']:,}"
                     f"  (counts {s['counts_seconds']:.1f} s)" if "new" in s else
                     f"  RSS after the run was built {s['rss_after_run_built_mb']:,.0f} MB")
            print(f"{s['step']:<22} {s['rows']:>10,} rows  {s['seconds']:7.1f} s  peak RSS {s['peak_rss_mb']:7,.0f} MB{extra}")


if __name__ == "__main__":
    main()
