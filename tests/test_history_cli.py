"""`dq audit` records each period; `dq history list|show` and `dq diff` show what was fixed, what is new and what
stays open, in Chinese, or as JSON; results.json carries the period's lifecycle."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from dq.cli.main import app
from tests.conftest import database_url
from tests.small_city import build_small_city

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


@dataclass(frozen=True)
class Audited:
    city: str
    store: Path
    first: int  # (rule, record) findings of 2024-09; the suite grows, so this is read, not written down


@pytest.fixture
def audited_twice(tmp_path: Path) -> Audited:
    """The small city audited for 2024-09, then a clerk corrects one birth date (P19, P21, P22 fixed) and another
    blanks a name (P11 new), then audited for 2024-10 into the same --out folder."""
    url = database_url("sqlite", "city", tmp_path)
    build_small_city(url).engine.dispose()
    out = tmp_path / "out"
    assert invoke("audit", "--db", url, "--out", str(out), "--period", "2024-09").exit_code == 0
    first = json.loads((out / "results.json").read_text(encoding="utf-8"))["lifecycle"]["totals"]["new"]
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE ac01 SET aac006 = '19491231' WHERE aac001 = '2110000000002'"))
        conn.execute(sa.text("UPDATE ac01 SET aac003 = NULL WHERE aac001 = '2110000000001'"))
    engine.dispose()
    result = invoke("audit", "--db", url, "--out", str(out), "--period", "2024-10")
    assert result.exit_code == 0, result.output
    assert f"已记录稽核期 202410 (与 202409 相比): 新增 1, 未整改 {first - 3}, 已整改 3, 复发 0" in result.output
    return Audited(url, out / "dq-history.sqlite", first)


def test_audit_records_into_the_out_folder_and_results_json_gains_the_lifecycle(audited_twice: Audited) -> None:
    document = json.loads((audited_twice.store.parent / "results.json").read_text(encoding="utf-8"))
    lifecycle = document["lifecycle"]
    assert (lifecycle["from"], lifecycle["to"]) == ("202409", "202410")
    first = audited_twice.first
    assert lifecycle["totals"] == {"current": first - 2, "new": 1, "open": first - 3, "fixed": 3, "recurring": 0,
                                   "oldest_first_seen": "202409"}
    assert {(c["rule_id"], c["branch"]): c["fixed"] for c in lifecycle["by_rule_branch"] if c["fixed"]} == {
        ("P19", "未知经办机构"): 1, ("P21", "未知经办机构"): 1, ("P22", "未知经办机构"): 1}


def test_history_list_shows_every_recorded_period(audited_twice: Audited) -> None:
    result = invoke("history", "list", "--history", str(audited_twice.store))
    assert result.exit_code == 0 and "2 期" in result.stdout
    assert "202409" in result.stdout and "202410" in result.stdout and "完成" in result.stdout


def test_history_show_tells_the_lifecycle_against_the_previous_period(audited_twice: Audited) -> None:
    result = invoke("history", "show", "2024-10", "--history", str(audited_twice.store), "--findings")
    assert result.exit_code == 0
    assert "202410 与上一期 202409 相比" in result.stdout and "新增" in result.stdout and "已整改" in result.stdout
    assert "P11  ac01:2110000000001  211002  新增  AAC003=None" in result.stdout
    assert "P19  ac01:2110000000002  未知经办机构  已整改  AAC006=20230230" in result.stdout


def test_diff_as_json_streams_every_finding_with_its_status(audited_twice: Audited) -> None:
    result = invoke("diff", "--from", "2024-09", "--to", "2024-10", "--history", str(audited_twice.store), "--json",
                    "--findings", "--by-branch")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    statuses = {(f["rule_id"], f["key"]): f["status"] for f in document["findings"]}
    assert statuses[("P11", "2110000000001")] == "new" and statuses[("P19", "2110000000002")] == "fixed"
    assert list(statuses.values()).count("open") == audited_twice.first - 3 and len(statuses) == audited_twice.first + 1


def test_the_history_option_takes_an_environment_variable(audited_twice: Audited,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DQ_HISTORY", str(audited_twice.store))
    assert "202410" in invoke("history", "list").stdout


def test_a_failed_audit_records_nothing(tmp_path: Path) -> None:
    empty = database_url("sqlite", "empty", tmp_path)
    sa.create_engine(empty).connect().close()
    result = runner.invoke(app, ["audit", "--db", empty, "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and not (tmp_path / "out" / "dq-history.sqlite").exists()


def test_diff_needs_an_earlier_from_period(audited_twice: Audited) -> None:
    result = runner.invoke(app, ["diff", "--from", "2024-10", "--to", "2024-09", "--history", str(audited_twice.store)])
    assert result.exit_code == 2 and "--from 202410 须早于 --to 202409" in result.stderr


def test_an_unknown_period_names_the_recorded_ones(audited_twice: Audited) -> None:
    result = runner.invoke(app, ["history", "show", "2024-08", "--history", str(audited_twice.store)])
    assert result.exit_code == 2 and "历史库中没有稽核期 202408 (已记录: 202409, 202410)" in result.stderr
