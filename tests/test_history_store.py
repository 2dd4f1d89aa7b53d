"""The history store: migrations build exactly the models, a run reads back as written, re-running a period
replaces it, and a writer that finds the store locked waits, then refuses in Chinese — on SQLite and PostgreSQL."""
from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from dq.history import HistoryError, HistoryStore, lifecycle_changes, record_run
from dq.history.migrate import VERSION_TABLE
from dq.history.tables import findings, metadata, metrics
from dq.model import Suite
from dq.pipeline import DEFAULT_SUITE
from dq.rules.loader import load_suite
from dq.run.results import Finding, RunResult, TableRun
from tests.conftest import database_url
from tests.small_city import build_small_city

STORE_KINDS = ("sqlite", "postgresql")


def empty_store_url(kind: str, name: str, tmp_dir: Path) -> str:
    """A store location with no store in it: a new SQLite file, or a PostgreSQL database emptied of dq tables."""
    url = database_url(kind, name, tmp_dir)
    if kind == "postgresql":
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            metadata.drop_all(conn)
            conn.exec_driver_sql("DROP TABLE IF EXISTS dq_alembic_version")
        engine.dispose()
    return url


@pytest.fixture(params=STORE_KINDS)
def store(request: pytest.FixtureRequest, tmp_path: Path):
    with HistoryStore.open(empty_store_url(request.param, "dq_test_history", tmp_path), create=True) as opened:
        yield opened


@pytest.fixture(scope="session")
def suite() -> Suite:
    return load_suite(DEFAULT_SUITE)


def person_run(period: str, failing: dict[str, tuple[str | None, tuple[str, ...]]]) -> RunResult:
    """A hand-built run of ac01: record key → (branch, rule ids failed); each rule counted per branch."""
    run = TableRun("ac01", seconds=1.5)
    for key, (branch, rule_ids) in failing.items():
        run.findings.append(Finding("ac01", key, key, branch, "W", rule_ids, 1))
        run.rows_by_branch[branch] += 1
        for rule_id in rule_ids:
            run.counts[rule_id][branch].add(10, 1, 0.0)
    return RunResult(period, "sqlite", "sqlite:///city.sqlite", "checks", "v1", f"{period[:4]}-{period[4:]}-28T09:00:00",
                     f"{period[:4]}-{period[4:]}-28T09:05:00", {"ac01": run})


def dump(store: HistoryStore) -> dict[str, list[tuple]]:
    """Every row of every store table, in key order: what 'the store is unchanged' compares."""
    with store.engine.connect() as conn:
        present = set(sa.inspect(conn).get_table_names())
        return {t.name: sorted(map(tuple, conn.execute(sa.select(t))), key=repr)
                for t in metadata.sorted_tables if t.name in present}


def test_migrations_build_exactly_the_models(store: HistoryStore) -> None:
    with store.writing():
        pass
    with store.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE}), metadata)
    assert differences == []


def test_a_recorded_run_reads_back(store: HistoryStore, suite: Suite) -> None:
    result = person_run("202410", {"2110000000002": ("211001", ("P05", "P11")), "2110000000003": (None, ("P05",))})
    record_run(store, result, suite.implemented())
    (run,) = store.runs()
    assert (run.period, run.status, run.suite_version, run.finding_count, run.seconds) == ("202410", "complete", "v1", 3, 300)
    assert store.tables("202410")[0].table == "ac01" and store.tables("202410")[0].findings == 2
    with store.reading() as conn:
        counts = sorted(conn.execute(sa.select(metrics.c.rule_id, metrics.c.branch, metrics.c.violations)
                                     .where(metrics.c.period == "202410")), key=repr)
        keys = sorted(conn.execute(sa.select(findings.c.rule_id, findings.c.record_key, findings.c.branch)))
    assert counts == sorted([("P05", "211001", 1), ("P05", None, 1), ("P11", "211001", 1)], key=repr)
    assert keys == [("P05", "2110000000002", "211001"), ("P05", "2110000000003", None), ("P11", "2110000000002", "211001")]


def test_rerunning_a_period_replaces_it_without_duplicates(store: HistoryStore, suite: Suite) -> None:
    record_run(store, person_run("202410", {"k1": ("B1", ("P05",)), "k2": ("B1", ("P05",))}), suite.implemented())
    record_run(store, person_run("202410", {"k2": ("B2", ("P05", "P11"))}), suite.implemented())
    rows = dump(store)
    assert len(rows["dq_runs"]) == 1 and rows["dq_runs"][0][-1] == 2
    assert [(c.record_key, c.branch) for c in lifecycle_changes(store, None, "202410")] == [("k2", "B2"), ("k2", "B2")]
    assert len(rows["dq_metrics"]) == 2


def test_a_key_found_in_two_branches_is_one_finding(store: HistoryStore, suite: Suite) -> None:
    """Duplicate records of one person registered by two offices: the scan reports the key once per branch; the
    store keeps one finding per (rule, key), with both rows and the lowest branch code."""
    result = person_run("202410", {"k1": ("211002", ("P01",))})
    result.tables["ac01"].findings.append(Finding("ac01", "k1", "k1", "211001", "W", ("P01", "P05"), 1))
    record_run(store, result, suite.implemented())
    with store.reading() as conn:
        rows = sorted(conn.execute(sa.select(findings.c.rule_id, findings.c.record_key, findings.c.branch,
                                             findings.c.row_count)))
    assert rows == [("P01", "k1", "211001", 2), ("P05", "k1", "211001", 1)]


def test_findings_keep_the_offending_values_read_from_the_audited_database(tmp_path: Path, suite: Suite) -> None:
    audited = build_small_city(database_url("sqlite", "audited", tmp_path))
    result = person_run("202410", {"2110000000002": ("211001", ("P05", "P19")), "gone": ("211001", ("P05",))})
    with HistoryStore.open(str(tmp_path / "history.sqlite"), create=True) as store:
        record_run(store, result, suite.implemented(), source=audited)
        snapshots = {(c.rule_id, c.record_key): c.snapshot for c in lifecycle_changes(store, None, "202410")}
    assert snapshots == {("P05", "2110000000002"): {"aac002": "11010519491231002x"},
                         ("P19", "2110000000002"): {"aac006": "20230230"},
                         ("P05", "gone"): None}


def test_a_writer_waits_for_the_lock_then_refuses_in_chinese(store: HistoryStore, suite: Suite) -> None:
    record_run(store, person_run("202409", {"k1": ("B1", ("P05",))}), suite.implemented())
    before = dump(store)
    with store.writing():
        started = time.perf_counter()
        with pytest.raises(HistoryError, match="正由另一次稽核写入, 已等待 1 秒仍未释放"), \
                HistoryStore.open(store.url, wait_s=1) as other:
            record_run(other, person_run("202410", {"k1": ("B1", ("P05",))}), suite.implemented(), wait_s=1)
        assert 0.9 < time.perf_counter() - started < 10
    assert dump(store) == before


def test_a_waiting_writer_proceeds_when_the_lock_is_released(store: HistoryStore, suite: Suite) -> None:
    released = threading.Event()

    def hold() -> None:
        with store.writing():
            released.wait(10)
            time.sleep(1)

    holder = threading.Thread(target=hold)
    holder.start()
    time.sleep(0.5)
    released.set()
    with HistoryStore.open(store.url) as other:
        record_run(other, person_run("202410", {"k1": ("B1", ("P05",))}), suite.implemented(), wait_s=30)
    holder.join()
    assert [r.period for r in store.runs()] == ["202410"]


def test_a_reader_of_a_missing_store_is_told_to_audit_first(tmp_path: Path) -> None:
    with pytest.raises(HistoryError, match="历史库 .*none.sqlite 不存在: 先运行 dq audit"):
        HistoryStore.open(str(tmp_path / "none.sqlite"))
    assert not (tmp_path / "none.sqlite").exists()


def test_an_unsupported_store_database_is_refused() -> None:
    with pytest.raises(HistoryError, match="历史库只支持 SQLite 文件或 PostgreSQL"):
        HistoryStore.open("mysql+pymysql://root@127.0.0.1/x")


def test_snapshot_json_is_chinese_readable(tmp_path: Path, suite: Suite) -> None:
    audited = build_small_city(database_url("sqlite", "audited", tmp_path))
    result = person_run("202410", {"2110000000002": ("211001", ("P11",))})
    with HistoryStore.open(str(tmp_path / "history.sqlite"), create=True) as store:
        record_run(store, result, suite.implemented(), source=audited)
        with store.reading() as conn:
            (text,) = conn.execute(sa.select(findings.c.snapshot)).one()
    assert json.loads(text) == {"aac003": "李明"} and "李明" in text
