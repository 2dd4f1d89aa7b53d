"""Policy parameters as data: dated schedules, region files layered over the national one, and their errors.

The schedule and the retirement age are evaluated on all four databases exactly as the planner binds them.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
import sqlglot
from typer.testing import CliRunner

from dq.cli.main import app
from dq.errors import InputFileError, RuleError
from dq.plan import bind_values
from dq.plan.dialects import render
from dq.plan.rewrite import expand_params
from dq.rules.loader import load_suite
from dq.rules.macros import expand_macros
from dq.rules.params import load_params
from dq.run.connect import Source, open_source
from tests.conftest import DIALECTS, ROOT, database_url

LIAONING = ROOT / "sample_data" / "params" / "liaoning.yaml"


@pytest.fixture(scope="module", params=DIALECTS)
def source(request: pytest.FixtureRequest, session_tmp: Path) -> Source:
    src = open_source(database_url(request.param, "dq_test_params", session_tmp), read_only=False)
    yield src
    src.engine.dispose()


def evaluate(source: Source, params_files: list[Path], expression: str, rows: list[dict]) -> list:
    """One expression of rule SQL, planned and bound as an audit would, evaluated once per row of arguments."""
    binds, shapes = bind_values(load_params(params_files), "202410")
    tree = expand_params(expand_macros(sqlglot.parse_one(expression, read="postgres")), shapes)
    sql = sa.text(f"SELECT {render(tree, source.caps)}")
    with source.engine.connect() as conn:
        return [conn.execute(sql, {**binds, **row}).scalar() for row in rows]


def test_schedule_gives_the_step_in_force_and_null_before_the_first(source: Source) -> None:
    """辽宁 flexible-employment floor: 2006 60 % … 2010 100 %, national 60 % again from 2019; none before 2006."""
    years = [2005, 2006, 2007, 2009, 2010, 2018, 2019, 2024]
    got = evaluate(source, [LIAONING], "param_at('flex_floor_pct', :y)", [{"y": y} for y in years])
    assert [None if v is None else round(float(v), 2) for v in got] == [None, 0.6, 0.7, 0.9, 1.0, 1.0, 0.6, 0.6]


def test_national_file_alone_leaves_regional_schedules_unset(source: Source) -> None:
    assert evaluate(source, [], "param_at('avg_wage_month', :y)", [{"y": 2024}]) == [None]
    assert [int(v) for v in evaluate(source, [LIAONING], "param_at('avg_wage_month', :y)", [{"y": 2024}])] == [7000]


def test_province_file_changes_the_retirement_age_without_code(source: Source, tmp_path: Path) -> None:
    """A province that kept men at 60 (no delay) only writes its own file; the macro reads the parameters."""
    override = tmp_path / "province.yaml"
    override.write_text("scope: {region: 测试省}\nretirement_male:\n"
                        "  value: {base_age_months: 720, delay_from: '209901', step_months: 4, max_delay_months: 36}\n",
                        encoding="utf-8")
    row = [{"b": "19700115", "s": "1", "i": "1"}]
    national = evaluate(source, [], "legal_ret_months(:b, :s, :i)", row)
    province = evaluate(source, [override], "legal_ret_months(:b, :s, :i)", row)
    assert [int(v) for v in national] == [1970 * 12 + 720 + 16]  # born 1970-01: 60 months after 1965-01 → 60 // 4 + 1
    assert [int(v) for v in province] == [1970 * 12 + 720]


def test_override_keeps_what_it_does_not_name() -> None:
    national, liaoning = load_params(), load_params(LIAONING)
    assert liaoning.values["flex_floor_pct"].scope.startswith("辽宁省")
    assert liaoning.values["base_floor_pct"] == national.values["base_floor_pct"]
    assert [s.value for s in liaoning.values["flex_floor_pct"].steps][:5] == [0.6, 0.7, 0.8, 0.9, 1.0]


@pytest.mark.parametrize(("text", "message"), [
    ("flex_floor_pct:\n  by: year\n  steps:\n    - {from: 2010, value: 1}\n    - {from: 2009, value: 0.9}\n",
     "province.yaml:3: 参数 flex_floor_pct 的 steps 须按 from 严格递增"),
    ("flex_floor_pct:\n  value: 0.6\n", "province.yaml:2: 参数 flex_floor_pct 在基础文件中是分段参数(steps)"),
    ("base_floor_pct:\n  value: 0.6\n  colour: red\n", "province.yaml:2: 参数 base_floor_pct 应为"),
    ("brand_new:\n  label: x\n", "province.yaml:2: 参数 brand_new 缺少 value"),
    ("unit_x:\n  by: ym\n  steps:\n    - {from: 2019, value: 0.16}\n", "province.yaml:4: 参数 unit_x 的 from '2019' 应为 年月"),
    ("dead:\n  value: '2'\n  basis: Q\n", "province.yaml:2: 参数 dead 的 basis 应为"),
])
def test_bad_parameter_file_names_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "province.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputFileError) as raised:
        load_params(path)
    assert message in str(raised.value)


@pytest.mark.parametrize(("call", "message"), [
    ("param_at('no_such', aae001)", "未定义的分段参数 no_such"),
    ("param_at('base_floor_pct', aae001)", "未定义的分段参数 base_floor_pct"),
    ("param_at(aae001)", "需要一个文字参数名和一个键"),
])
def test_rule_reading_an_unknown_schedule_is_rejected_at_its_position(tmp_path: Path, call: str, message: str) -> None:
    (tmp_path / "ab07.yaml").write_text(
        "table: ab07\nrules:\n  - id: B99\n    name: x\n    category: U\n    dimension: validity\n    severity: error\n"
        f"    fields: [aab120]\n    violation: aab120 > {call}\n    fix: x\n    source: x\n", encoding="utf-8")
    with pytest.raises(RuleError) as raised:
        load_suite(tmp_path, require_examples=False)
    assert "ab07.yaml:9:" in str(raised.value) and message in str(raised.value)


def test_rules_show_lists_parameters_and_marks_the_unconfirmed() -> None:
    result = CliRunner().invoke(app, ["rules", "show", "W17", "--suite", str(ROOT / "checks")])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "参数: 4 个, 其中 1 个未经确认" in text
    assert "cadre_identities" in text and "未经确认 [M]" in text and "retirement_male" in text
