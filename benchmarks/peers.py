"""dq against Great Expectations, Soda Core and pandera on the same rules and data (PostgreSQL).

    python -m benchmarks.peers --persons 100000 [--runs 3] [--engines dq,gx,soda,pandera]

The rule set is the person and active-insured suites (checks/ac01.yaml + checks/ac02.yaml: 44 rules — nulls, code
sets, regexes, ranges, cross-field and cross-table checks, the ID check digit, duplicates). The peers run in their
own environment (benchmarks/out/peers-venv, from benchmarks/peers-requirements.txt, created on first use):

- Great Expectations 1.24.1, SQLAlchemy execution on PostgreSQL: the suites `dq export-gx` writes (one
  unexpected_rows_expectation per rule, its query dq's failing-rows SQL for that rule);
- Soda Core 3.5.6 (soda-core-postgres): one `failed rows` check per rule with the same SQL;
- pandera 0.35.0 on pandas: the tables read from PostgreSQL, every rule written again in pandas
  (benchmarks/peer_engines/pandera_run.py).

Each engine runs as its own process, `--runs` times: wall time (median, whole process), peak RSS, and the
statements it sent (PostgreSQL's log with log_statement = all set on the benchmark database only). Every engine's
count of every rule is checked equal to dq's and to the sample city's ground truth, and the ratios printed are each
peer's time / dq's and dq's time / a bare sequential scan of the same tables. Results: benchmarks/out/peers-<n>.json.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from benchmarks.run import OUT, PERIOD, ROOT, bare_scan_seconds, ensure_city, manifest_path
from dq.interop.gx import rule_queries
from dq.rules import macros
from dq.rules.loader import load_suite
from dq.rules.params import load_params

RULE_FILES = ("ac01.yaml", "ac02.yaml")
PEERS_VENV = OUT / "peers-venv"
ENGINES_DIR = ROOT / "benchmarks" / "peer_engines"
PG_LOG = Path(os.environ.get("DQ_BENCH_PG_LOG", "/var/log/postgresql/postgresql-15-main.log"))
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def peers_python() -> Path:
    """The peers' interpreter, its environment created from the pinned requirements on first use."""
    python = PEERS_VENV / "bin" / "python"
    stamp = PEERS_VENV / "requirements.txt"
    wanted = (ROOT / "benchmarks" / "peers-requirements.txt").read_text(encoding="utf-8")
    if not python.exists() or not stamp.exists() or stamp.read_text(encoding="utf-8") != wanted:
        subprocess.run([sys.executable, "-m", "venv", str(PEERS_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "-r",
                        str(ROOT / "benchmarks" / "peers-requirements.txt")], check=True)
        stamp.write_text(wanted, encoding="utf-8")
    return python


def rule_set(folder: Path) -> Path:
    """A suite folder holding only the benchmark's rule files."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in RULE_FILES:
        shutil.copy(ROOT / "checks" / name, folder / name)
    return folder


def engine_inputs(suite_dir: Path, work: Path) -> dict[str, Path]:
    """What each peer reads: GX suites, Soda's SQL per rule, pandera's constants and parameters."""
    params = load_params()
    suite = load_suite(suite_dir, params=params)
    subprocess.run([sys.executable, "-m", "dq.cli.main", "export-gx", "--out", str(work / "gx"), "--suite",
                    str(suite_dir), "--period", PERIOD], check=True, stdout=subprocess.DEVNULL)
    queries = rule_queries(suite, params, PERIOD, "postgresql")
    by_table: dict[str, dict[str, str]] = {}
    for rule in suite.implemented():
        by_table.setdefault(rule.table, {})[rule.id] = queries[rule.id]
    (work / "soda.json").write_text(json.dumps(by_table, ensure_ascii=False), encoding="utf-8")
    bound = params.bind(PERIOD)
    constants = {
        "provinces": list(macros.PROVINCES), "placeholder_words": list(macros.PLACEHOLDER_WORDS),
        "placeholder_dates": list(macros.PLACEHOLDER_DATES), "today": bound["today"], "ym": bound["ym"],
        "params": {name: params.values[name].value for name in (
            "cadre_identities", "retirement_male", "retirement_female_cadre", "retirement_female_worker",
            "continuing_pay_types")},
    }
    (work / "constants.json").write_text(json.dumps(constants, ensure_ascii=False), encoding="utf-8")
    return {"gx": work / "gx", "soda": work / "soda.json", "pandera": work / "constants.json"}


def commands(url: str, inputs: dict[str, Path], work: Path, suite_dir: Path) -> dict[str, list[str]]:
    database = sa.engine.make_url(url).database
    psycopg2_url = sa.engine.make_url(url).set(drivername="postgresql+psycopg2").render_as_string(hide_password=False)
    peer = str(peers_python())
    return {
        "dq": [sys.executable, "-m", "dq.cli.main", "audit", "--db", url, "--out", str(work / "dq"), "--period",
               PERIOD, "--suite", str(suite_dir)],
        "gx": [peer, str(ENGINES_DIR / "gx_run.py"), psycopg2_url, str(inputs["gx"])],
        "soda": [peer, str(ENGINES_DIR / "soda_run.py"), database or "", str(inputs["soda"])],
        "pandera": [peer, str(ENGINES_DIR / "pandera_run.py"), url, str(inputs["pandera"])],
    }


def logged_statements(database: str, offset: int) -> int:
    """Statements PostgreSQL logged for `database` after byte `offset` of its log (simple and extended protocol)."""
    with PG_LOG.open("rb") as log:
        log.seek(offset)
        text = log.read().decode("utf-8", errors="replace")
    marker = f"@{database} "
    return sum(1 for line in text.splitlines()
               if marker in line and ("LOG:  statement:" in line or "LOG:  execute" in line))


def run_child(command: list[str], database: str) -> tuple[float, int, int, str]:
    """One engine run as its own process: wall seconds, peak RSS (KiB), statements sent, stdout."""
    offset = PG_LOG.stat().st_size
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        if status != 0:
            raise SystemExit(f"{command[:3]} failed: {err.read().decode(errors='replace')[-2000:]}")
        text = out.read().decode()
    time.sleep(0.5)  # the server writes its log asynchronously
    return wall, usage.ru_maxrss, logged_statements(database, offset), text


def counts_of(engine: str, stdout: str, work: Path) -> dict[str, int]:
    if engine == "dq":
        results = json.loads((work / "dq" / "results.json").read_text(encoding="utf-8"))
        return {r["id"]: r["violations"] for r in results["rules"]}
    return json.loads(stdout.strip().splitlines()[-1])


def statement_logging(database: str, on: bool) -> None:
    engine = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        setting = "SET log_statement = 'all'" if on else "RESET log_statement"
        conn.execute(sa.text(f'ALTER DATABASE "{database}" {setting}'))
    engine.dispose()


def bench(persons: int, seed: int, runs: int, engines: list[str], rebuild: bool) -> dict:
    url, build = ensure_city("postgresql", persons, seed, rebuild)
    database = sa.engine.make_url(url).database or ""
    truth = json.loads(manifest_path("postgresql", persons).read_text(encoding="utf-8"))["rules"]
    work = OUT / f"peers-{persons}"
    suite_dir = rule_set(work / "suite")
    inputs = engine_inputs(suite_dir, work)
    rule_ids = [r.id for r in load_suite(suite_dir).implemented()]
    expected = {r: truth[r]["violations"] for r in rule_ids}
    figures: dict = {"persons": persons, "rules": len(rule_ids), "build_seconds": build, "engines": {}}
    statement_logging(database, True)
    try:
        for engine, command in commands(url, inputs, work, suite_dir).items():
            if engine not in engines:
                continue
            walls, peaks, statements = [], [], []
            for _ in range(runs):
                wall, peak, sent, stdout = run_child(command, database)
                walls.append(wall), peaks.append(peak), statements.append(sent)
            counts = counts_of(engine, stdout, work)
            wrong = {r: (counts.get(r), n) for r, n in expected.items() if counts.get(r) != n}
            figures["engines"][engine] = {"wall_seconds": walls, "median_seconds": statistics.median(walls),
                                          "peak_rss_mib": max(peaks) / 1024, "statements": statements[-1],
                                          "counts_equal_ground_truth": not wrong, "wrong": wrong}
    finally:
        statement_logging(database, False)
    bare = bare_scan_seconds(url, ["ac01", "ac02"], runs)
    figures["bare_scan_seconds"] = sum(bare.values())
    return figures


def report(figures: dict) -> None:
    engines, bare = figures["engines"], figures["bare_scan_seconds"]
    dq = engines.get("dq", {}).get("median_seconds")
    print(f"\n== PostgreSQL · {figures['persons']:,} persons · {figures['rules']} rules (ac01 + ac02)")
    print(f"{'engine':8} {'median s':>9} {'peak MiB':>9} {'statements':>10} {'÷ dq':>6}  counts = ground truth")
    for name, e in engines.items():
        ratio = f"{e['median_seconds'] / dq:6.2f}" if dq else "     —"
        print(f"{name:8} {e['median_seconds']:9.2f} {e['peak_rss_mib']:9.0f} {e['statements']:10d} {ratio}  "
              f"{'yes' if e['counts_equal_ground_truth'] else 'NO ' + json.dumps(e['wrong'])}")
    if dq:
        print(f"bare sequential scan of ac01 + ac02: {bare:.2f} s; dq / bare scan: {dq / bare:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", default="100000", help="comma-separated city sizes")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--engines", default="dq,gx,soda,pandera")
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    for persons in (int(p) for p in args.persons.split(",")):
        figures = bench(persons, args.seed, args.runs, args.engines.split(","), args.rebuild)
        (OUT / f"peers-{persons}.json").write_text(json.dumps(figures, ensure_ascii=False, indent=1))
        report(figures)


if __name__ == "__main__":
    main()
