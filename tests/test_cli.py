"""`dq` as a user runs it: results on success; on bad input a clear message, exit code 2 and nothing written."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dq.cli.main import app
from dq.sample import PARAMS_FILE
from tests.conftest import database_url
from tests.small_city import build_small_city

runner = CliRunner()


@pytest.fixture(scope="module")
def small_sqlite(session_tmp: Path) -> str:
    url = database_url("sqlite", "dq_test_cli", session_tmp)
    build_small_city(url).engine.dispose()
    return url


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_audit_writes_results_and_summary(small_sqlite: str, tmp_path: Path) -> None:
    result = invoke("audit", "--db", small_sqlite, "--out", str(tmp_path), "--period", "2024-10")
    assert result.exit_code == 0, result.output
    document = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert document["run"]["period"] == "202410" and document["run"]["dialect"] == "sqlite"
    rules = {r["id"]: r for r in document["rules"]}
    assert rules["U08"]["violations"] == 1 and rules["U08"]["failing_keys"] == ["21100000002"]
    assert rules["P04"]["failing_keys"] == ["2110000000002"] and rules["P05"]["violations"] == 1
    assert {c["category"] for c in document["categories"]} >= {"U", "W", "R"}
    assert "信息准确率" in result.output and "在职职工" in result.output and (tmp_path / "summary.html").exists()


def test_malformed_rule_file_names_file_line_and_column(small_sqlite: str, tmp_path: Path) -> None:
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "ab01.yaml").write_text(
        "table: ab01\nrules:\n  - id: U01\n    name: x\n    category: U\n    dimension: validity\n"
        "    severity: error\n    fields: [aab001]\n    violation: aab00l IS NULL\n    fix: x\n    source: x\n"
        "    examples: {fail: [{aab001: null}], pass: [{aab001: '1'}]}\n", encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(app, ["audit", "--db", small_sqlite, "--out", str(out), "--suite", str(suite)])
    assert result.exit_code == 2
    assert f"{suite / 'ab01.yaml'}:9:16 U01: 表 ab01 没有字段 aab00l" in result.output
    assert not out.exists()


def test_unreachable_database_is_named(tmp_path: Path) -> None:
    result = runner.invoke(app, ["audit", "--db", "postgresql+psycopg://postgres@127.0.0.1:1/none",
                                 "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "无法连接数据库 postgresql+psycopg://postgres@127.0.0.1:1/none" in result.output
    assert not (tmp_path / "out").exists()


def test_missing_table_is_named(tmp_path: Path) -> None:
    empty = database_url("sqlite", "dq_test_empty", tmp_path)
    import sqlalchemy as sa

    sa.create_engine(empty).connect().close()
    result = runner.invoke(app, ["audit", "--db", empty, "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "缺少表: aa10, aa_param, ab01, ab07" in result.output
    assert not (tmp_path / "out").exists()


def test_bad_period_is_rejected(small_sqlite: str, tmp_path: Path) -> None:
    result = runner.invoke(app, ["audit", "--db", small_sqlite, "--out", str(tmp_path), "--period", "2024-13"])
    assert result.exit_code == 2 and "稽核期 '2024-13' 格式错误" in result.output


def test_plan_prints_every_query_with_its_rules() -> None:
    result = invoke("plan", "--dialect", "mariadb")
    assert result.exit_code == 0
    assert "-- 表 ac01: 1 条查询, 服务 39 条规则" in result.output and "COLLATE utf8mb4_bin" in result.output


def test_rules_show_gives_predicate_and_fix() -> None:
    result = invoke("rules", "show", "P05")
    assert result.exit_code == 0 and "18位" in result.output and "整改建议" in result.output


def test_missing_column_is_named(tmp_path: Path) -> None:
    import sqlalchemy as sa

    url = database_url("sqlite", "dq_test_missing_column", tmp_path)
    build_small_city(url).engine.dispose()
    with sa.create_engine(url).begin() as conn:
        conn.execute(sa.text("ALTER TABLE ab01 DROP COLUMN bab010"))
    result = runner.invoke(app, ["audit", "--db", url, "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "缺少字段" in result.output and "ab01: bab010" in result.output
    assert not (tmp_path / "out").exists()


def test_sample_builds_a_city_and_its_manifest(tmp_path: Path) -> None:
    url = database_url("sqlite", "dq_test_sample_cli", tmp_path)
    result = invoke("sample", "--persons", "1000", "--seed", "3", "--db", url, "--manifest", str(tmp_path / "m.json"))
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "m.json").read_text(encoding="utf-8"))
    assert manifest["persons"] == 1000 and manifest["seed"] == 3 and "P05" in manifest["rules"]
    audited = invoke("audit", "--db", url, "--out", str(tmp_path / "out"), "--period", "2024-10",
                     "--params", str(PARAMS_FILE))  # the city's province parameters (its wages)
    document = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    assert audited.exit_code == 0
    assert {r["id"]: r["violations"] for r in document["rules"]} == {k: v["violations"] for k, v in manifest["rules"].items()}


def test_sample_month_gives_that_month_of_the_evolving_city(tmp_path: Path) -> None:
    url = database_url("sqlite", "dq_test_sample_month", tmp_path)
    result = invoke("sample", "--persons", "1000", "--seed", "3", "--db", url, "--month", "2",
                    "--manifest", str(tmp_path / "m.json"))
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "m.json").read_text(encoding="utf-8"))
    assert (manifest["period"], manifest["month"], manifest["lifecycle"]["from"]) == ("202412", 2, "202411")
    assert invoke("sample", "--db", url, "--month", "3").exit_code == 2  # past the city's horizon
    late = invoke("sample", "--db", url, "--month", "1", "--period", "2024-12")
    assert late.exit_code == 2 and "同一年内" in late.output


def test_demo_audits_three_evolved_months_into_the_history(tmp_path: Path) -> None:
    """A newcomer's `dq demo`: three months recorded, the last month's lifecycle equal to its ground truth."""
    result = invoke("demo", "--dir", str(tmp_path), "--persons", "1000")
    assert result.exit_code == 0, result.output
    assert "复发" in result.output and "dq diff --from 202410 --to 202412" in result.output
    listed = invoke("history", "list", "--history", str(tmp_path / "dq-history.sqlite"))
    assert all(period in listed.output for period in ("202410", "202411", "202412"))
    truth = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))["lifecycle"]
    lifecycle = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))["lifecycle"]
    assert lifecycle["from"] == truth["from"] == "202411"
    expected = {s: sum(cell.get(s, 0) for by in truth["rules"].values() for cell in by.values())
                for s in ("new", "open", "fixed", "recurring")}
    assert {s: lifecycle["totals"][s] for s in expected} == expected and expected["recurring"] > 0
