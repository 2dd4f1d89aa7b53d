"""dq audit cost against a bare sequential scan of the same tables, on DuckDB and PostgreSQL.

    python -m benchmarks.run --persons 1000000 --databases duckdb,postgresql

For each database: build (or reuse) the sample city, time a bare scan that reads every column of every audited
table, time `dq audit` in a child process (wall time and that process's peak RSS), then the per-table scan time, an
estimated cost of every rule and the marginal cost of the five most expensive ones (full table scan minus the same
scan without that rule).
Figures are printed and written to benchmarks/out/<database>-<persons>.json. Nothing here is a pass/fail test.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

from dq.plan import build_plan
from dq.rules.loader import load_suite
from dq.rules.params import load_params
from dq.run import execute_scan, open_source
from dq.run.connect import connection
from dq.sample import PARAMS_FILE
from dq.schema import load_schema

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"
PERIOD = "202410"
URLS = {
    "duckdb": lambda n: f"duckdb:///{OUT / f'city-{n}.duckdb'}",
    # DQ_BENCH_DB_PREFIX keeps concurrent checkouts' benchmark databases apart (as DQ_TEST_DB_PREFIX does for tests).
    "postgresql": lambda n: f"postgresql+psycopg://postgres@127.0.0.1:5432/{os.environ.get('DQ_BENCH_DB_PREFIX', '')}dq_bench_{n}",
}


def ensure_pg_database(url: str) -> None:
    admin = sa.create_engine(sa.engine.make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = sa.engine.make_url(url).database
    with admin.connect() as conn:
        if not conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first():
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def best_of(runs: int, action) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times)


def bare_scan_seconds(url: str, tables: list[str], runs: int) -> dict[str, float]:
    """Per table: a query that reads every value of every column once and computes almost nothing else.

    COUNT(col) is not enough: DuckDB answers it from validity masks without reading values (0.05 s for 2M rows).
    """
    schema = load_schema()
    source = open_source(url)
    out = {}
    with connection(source) as conn:
        for table in tables:
            columns = ", ".join(f"SUM(LENGTH({c.name}))" if c.is_text else f"SUM({c.name})"
                                for c in schema.table(table).columns.values())
            sql = sa.text(f"SELECT {columns} FROM {table}")
            out[table] = best_of(runs, lambda: conn.execute(sql).all())
    source.engine.dispose()
    return out


def audit_in_child(url: str, out_dir: Path, suite: Path) -> tuple[float, int, dict]:
    """Run `dq audit` as its own process: wall time, peak RSS (KiB) of that process, and its results.json."""
    command = [sys.executable, "-m", "dq.cli.main", "audit", "--db", url, "--out", str(out_dir), "--period", PERIOD,
               "--suite", str(suite), "--params", str(PARAMS_FILE), "--history", str(out_dir / "history.sqlite")]
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"dq audit failed: {child.stderr.read().decode() if child.stderr else status}")
    return wall, usage.ru_maxrss, json.loads((out_dir / "results.json").read_text(encoding="utf-8"))


def marginal_costs(url: str, suite_dir: Path, runs: int, top: int = 5) -> tuple[list[tuple[str, str, float]], list]:
    """(every rule's estimate, the `top` measured ones).

    Estimate, for every rule: its single-rule scan minus the cheapest single-rule scan of the same table (which
    stands for the table's fixed cost: scan, branch join, grouping). Measured, for the `top` rules by that
    estimate: the table's full fused scan minus the same scan without the rule (costly: two full scans each)."""
    suite, params = load_suite(suite_dir), load_params(PARAMS_FILE)
    source = open_source(url)
    dialect = source.caps.name
    alone: list[tuple[float, str, str]] = []
    with connection(source) as conn:
        for rule in suite.implemented():
            plan = build_plan(suite, params, PERIOD, dialect, rule_ids={rule.id})
            alone.append((best_of(1, lambda: execute_scan(conn, source, plan, plan.scans[0])), rule.id, rule.table))
        floor = {table: min(s for s, _, t in alone if t == table) for _, _, table in alone}
        estimates = sorted(((rule_id, table, s - floor[table]) for s, rule_id, table in alone), key=lambda e: -e[2])
        results = []
        for rule_id, table, _ in estimates[:top]:
            table_rules = {r.id for r in suite.implemented() if r.table == table}
            full = build_plan(suite, params, PERIOD, dialect, rule_ids=table_rules)
            without = build_plan(suite, params, PERIOD, dialect, rule_ids=table_rules - {rule_id})
            full_s = best_of(runs, lambda: execute_scan(conn, source, full, full.scans[0]))
            without_s = best_of(runs, lambda: execute_scan(conn, source, without, without.scans[0]))
            results.append((rule_id, table, full_s - without_s))
    source.engine.dispose()
    return estimates, results


def manifest_path(name: str, persons: int) -> Path:
    return OUT / f"{name}-{persons}.manifest.json"


def ensure_city(name: str, persons: int, seed: int, rebuild: bool) -> tuple[str, dict]:
    """The sample city in database `name` (built once, with its ground-truth manifest): its URL and build times."""
    url = URLS[name](persons)
    marker, manifest = OUT / f"{name}-{persons}.built", manifest_path(name, persons)
    if name == "postgresql":
        ensure_pg_database(url)
    if rebuild or not marker.exists() or not manifest.exists():
        # In a child process: Linux carries a parent's RSS high-water mark into a forked child's ru_maxrss, so a
        # parent that had generated the city itself would inflate dq's peak memory.
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "dq.cli.main", "sample", "--persons", str(persons), "--seed", str(seed),
                        "--period", PERIOD, "--db", url, "--manifest", str(manifest)], check=True,
                       stdout=subprocess.DEVNULL)
        marker.write_text(json.dumps({"dq sample (generate + load)": time.perf_counter() - started}))
    return url, json.loads(marker.read_text())


def ground_truth_mismatches(results: dict, manifest: dict) -> dict[str, tuple[int, int]]:
    """Rules whose audited violation count differs from the city's ground truth: {id: (audited, expected)}."""
    truth = manifest["rules"]
    audited = {rule["id"]: rule["violations"] for rule in results["rules"]}
    return {r: (n, truth.get(r, {}).get("violations", 0)) for r, n in audited.items()
            if n != truth.get(r, {}).get("violations", 0)}


def bench_database(name: str, persons: int, seed: int, runs: int, rebuild: bool, suite: Path, marginal: bool) -> dict:
    url, build_seconds = ensure_city(name, persons, seed, rebuild)
    wall, peak_kib, results = audit_in_child(url, OUT / f"audit-{name}-{persons}", suite)
    manifest = json.loads(manifest_path(name, persons).read_text(encoding="utf-8"))
    tables = sorted(results["run"]["tables"])
    bare = bare_scan_seconds(url, tables, runs)
    return {
        "database": name, "persons": persons, "build_seconds": build_seconds,
        "dq_wall_seconds": wall, "dq_peak_rss_mib": peak_kib / 1024,
        "table_scan_seconds": {t: results["run"]["tables"][t]["seconds"] for t in tables},
        "table_rows": {t: results["run"]["tables"][t]["rows"] for t in tables},
        "bare_scan_seconds": bare, "bare_total_seconds": sum(bare.values()),
        "ratio_dq_scans_to_bare": sum(results["run"]["tables"][t]["seconds"] for t in tables) / sum(bare.values()),
        "ratio_dq_wall_to_bare": wall / sum(bare.values()),
        "suite": str(suite), "rules": len(load_suite(suite).implemented()),
        "ground_truth_mismatches": ground_truth_mismatches(results, manifest),
    } | dict(zip(("marginal_estimates", "marginal_top_rules"), marginal_costs(url, suite, runs) if marginal else ([], [])))


def report(figures: dict) -> None:
    print(f"\n== {figures['database']} · {figures['persons']:,} persons · {figures['rules']} rules ({figures['suite']})")
    print(f"build: {figures['build_seconds']}")
    print(f"dq audit (whole process): {figures['dq_wall_seconds']:.1f} s, peak RSS {figures['dq_peak_rss_mib']:.0f} MiB")
    wrong = figures["ground_truth_mismatches"]
    print("every rule's count equals the ground truth" if not wrong else f"counts differing from the ground truth "
          f"(audited, expected): {wrong}")
    print(f"bare scan of the same tables: {figures['bare_total_seconds']:.2f} s")
    print(f"ratio dq scans / bare scan: {figures['ratio_dq_scans_to_bare']:.2f}x   "
          f"dq whole process / bare scan: {figures['ratio_dq_wall_to_bare']:.2f}x")
    print(f"{'table':8} {'rows':>12} {'dq scan s':>10} {'bare s':>8} {'ratio':>7}")
    for table, seconds in figures["table_scan_seconds"].items():
        bare = figures["bare_scan_seconds"][table]
        print(f"{table:8} {figures['table_rows'][table]:>12,} {seconds:>10.2f} {bare:>8.2f} {seconds / bare:>7.2f}")
    print("every rule's estimated cost (its single-rule scan − the table's cheapest single-rule scan):")
    for rule_id, table, seconds in figures["marginal_estimates"]:
        print(f"  {rule_id:5} ({table}) {seconds:+.2f} s")
    print("marginal cost of the five most expensive rules (full scan − scan without the rule):")
    for rule_id, table, seconds in figures["marginal_top_rules"]:
        print(f"  {rule_id:5} ({table}) {seconds:+.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--databases", default="duckdb,postgresql")
    parser.add_argument("--runs", type=int, default=3, help="repetitions of each timed query (best is kept)")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the sample city even if one exists")
    parser.add_argument("--suite", type=Path, default=ROOT / "checks", help="rule suite folder")
    parser.add_argument("--no-marginal", action="store_true",
                        help="skip the per-rule marginal costs (on PostgreSQL at 1M they re-run the full ac01 scan 10×)")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    for name in args.databases.split(","):
        figures = bench_database(name.strip(), args.persons, args.seed, args.runs, args.rebuild, args.suite,
                                 not args.no_marginal)
        (OUT / f"{name}-{args.persons}.json").write_text(json.dumps(figures, ensure_ascii=False, indent=1))
        report(figures)


if __name__ == "__main__":
    main()
