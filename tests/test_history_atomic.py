"""A run lands in the history store whole or not at all: `dq audit` killed (SIGKILL) while it writes, or losing its
PostgreSQL connection while it writes, leaves the store exactly as it was; two audits recording at once take turns.

Each test audits, in a child process, a city whose 5 000 persons all fail seven rules (35 005 finding rows, about
half a second of writing), into a store that already holds a result for the same period, so the killed transaction had
already deleted it. "While it writes" is observed from outside, without hooks: SQLite's write-ahead log growing
past what committed data explains, or the writer's PostgreSQL backend copying findings into its staging table.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from dq.history import HistoryStore, record_run
from dq.history.store import APPLICATION_NAME
from dq.model import Suite
from dq.run.examples import create_example_database, insert_rows
from dq.schema import load_schema, sqlalchemy_metadata
from tests.conftest import PG_ADMIN, ROOT, database_url
from tests.test_history_store import dump, empty_store_url, person_run, suite  # noqa: F401  (fixture)

PERSONS = 5_000


@pytest.fixture(scope="module")
def big_city(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Every logical table with one clean row, and PERSONS persons with a bad ID number and birth date."""
    url = database_url("sqlite", "big_city", tmp_path_factory.mktemp("atomic"))
    source = create_example_database(url)
    schema, metadata = load_schema(), sqlalchemy_metadata()
    with source.engine.begin() as conn:
        for table in schema.tables:
            if table not in ("aa10", "ac01"):
                insert_rows(conn, metadata, schema, table, ({},))
        insert_rows(conn, metadata, schema, "ac01", tuple(
            {"aac001": f"3{i:012d}", "aac002": "11010519491231002x", "aac006": "20230230"} for i in range(PERSONS)))
    source.engine.dispose()
    return url


@pytest.fixture(params=("sqlite", "postgresql"))
def store_url(request: pytest.FixtureRequest, tmp_path: Path, suite: Suite) -> str:  # noqa: F811
    """A store holding a small result for 202410 (the period the child re-audits) and one for 202409."""
    url = empty_store_url(request.param, "dq_test_history_atomic", tmp_path)
    with HistoryStore.open(url, create=True) as store:
        record_run(store, person_run("202409", {"k1": ("B1", ("P05",))}), suite.implemented())
        record_run(store, person_run("202410", {"k1": ("B1", ("P05",)), "k2": (None, ("P11",))}), suite.implemented())
    return url


def start_audit(city: str, store: str, out: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "dq.cli.main", "audit", "--db", city, "--out", str(out), "--period", "2024-10",
         "--history", store], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_until(condition: Callable[[], bool], child: subprocess.Popen, what: str, limit_s: float = 120) -> None:
    deadline = time.monotonic() + limit_s
    while not condition():
        if child.poll() is not None:
            pytest.fail(f"the audit ended (exit {child.returncode}) before {what}: {child.stderr.read()}")  # type: ignore[union-attr]
        if time.monotonic() > deadline:
            child.kill()
            pytest.fail(f"no {what} within {limit_s} s")
        time.sleep(0.005)


def writing(store: str) -> Callable[[], bool]:
    """True once the child is inserting findings inside its uncommitted transaction."""
    if store.startswith("sqlite"):
        wal = Path(sa.engine.make_url(store).database + "-wal")  # type: ignore[operator]
        committed = wal.stat().st_size if wal.exists() else 0
        return lambda: wal.exists() and wal.stat().st_size > committed + 2_000_000
    return lambda: bool(writer_backends(store, "COPY dq_staging_findings%"))


def writer_backends(store: str, query_like: str = "%") -> list[int]:
    engine = sa.create_engine(PG_ADMIN)
    with engine.connect() as conn:
        pids = conn.execute(sa.text(
            "SELECT pid FROM pg_stat_activity WHERE application_name = :app AND datname = :db AND query LIKE :q"),
            {"app": APPLICATION_NAME, "db": sa.engine.make_url(store).database, "q": query_like}).scalars().all()
    engine.dispose()
    return list(pids)


def settle(store: str) -> None:
    """PostgreSQL rolls a dead client's transaction back when its backend notices; wait for that."""
    if store.startswith("postgresql"):
        deadline = time.monotonic() + 30
        while writer_backends(store) and time.monotonic() < deadline:
            time.sleep(0.05)


def test_sigkill_while_writing_leaves_the_store_as_it_was(big_city: str, store_url: str, tmp_path: Path) -> None:
    with HistoryStore.open(store_url) as store:
        before = dump(store)
    child = start_audit(big_city, store_url, tmp_path / "out")
    wait_until(writing(store_url), child, "writing into the store")
    os.kill(child.pid, signal.SIGKILL)
    assert child.wait() == -signal.SIGKILL
    settle(store_url)
    with HistoryStore.open(store_url) as store:
        assert dump(store) == before
        assert [r.finding_count for r in store.runs()] == [1, 2]


def test_a_lost_postgresql_connection_while_writing_leaves_the_store_as_it_was(big_city: str, tmp_path: Path,
                                                                             suite: Suite) -> None:  # noqa: F811
    url = empty_store_url("postgresql", "dq_test_history_atomic", tmp_path)
    with HistoryStore.open(url) as store:
        record_run(store, person_run("202410", {"k1": ("B1", ("P05",))}), suite.implemented())
        before = dump(store)
    child = start_audit(big_city, url, tmp_path / "out")
    wait_until(writing(url), child, "writing into the store")
    engine = sa.create_engine(PG_ADMIN)
    with engine.connect() as conn:
        conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM unnest(CAST(:pids AS int[])) AS pid"),
                     {"pids": writer_backends(url)})
    engine.dispose()
    _, stderr = child.communicate(timeout=120)
    assert child.returncode == 2
    assert "失败, 本期未记录, 历史库保持原样" in stderr and "Traceback" not in stderr, stderr
    with HistoryStore.open(url) as store:
        assert dump(store) == before


def test_two_audits_recording_at_once_take_turns(big_city: str, store_url: str, tmp_path: Path) -> None:
    children = [start_audit(big_city, store_url, tmp_path / f"out{i}") for i in range(2)]
    outputs = [child.communicate(timeout=300) for child in children]
    assert [child.returncode for child in children] == [0, 0], outputs
    results = json.loads((tmp_path / "out0" / "results.json").read_text(encoding="utf-8"))
    one_run = sum(len(rule["failing_keys"]) for rule in results["rules"])
    with HistoryStore.open(store_url) as store:
        assert [(r.period, r.finding_count) for r in store.runs()] == [("202409", 1), ("202410", one_run)]
        assert len(dump(store)["dq_findings"]) == 1 + one_run
