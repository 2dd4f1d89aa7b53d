"""The traps measured in stack-notes.md, each pinned by a test on the databases where it bites."""
from __future__ import annotations

from pathlib import Path

import pytest
import sqlglot

from dq.model import Example
from dq.plan import build_plan
from dq.run.examples import create_example_database, run_rule_examples
from tests.conftest import DIALECTS, database_url
from tests.test_rule_examples import PARAMS, SUITE


@pytest.fixture(scope="module", params=DIALECTS)
def scratch(request: pytest.FixtureRequest, session_tmp: Path):
    source = create_example_database(database_url(request.param, "dq_test_traps", session_tmp))
    yield source
    source.engine.dispose()


def violations(source, rule_id: str, rows: list[dict], other: dict | None = None) -> int:
    rule = SUITE.rule(rule_id)
    probe = type(rule)(**{**rule.__dict__, "fail_examples": (Example(tuple(rows), other or {}),), "pass_examples": ()})
    return run_rule_examples(source, SUITE, PARAMS, probe)[0].violations


def test_sqlglot_passes_filter_and_rollup_through_to_mariadb() -> None:
    """The trap itself: sqlglot emits FILTER / ROLLUP / REGEXP_LIKE for MySQL unchanged, and MariaDB rejects them."""
    sql = sqlglot.transpile("SELECT COUNT(*) FILTER (WHERE a ~ 'x') FROM t GROUP BY ROLLUP (b)", read="postgres", write="mysql")[0]
    assert "FILTER" in sql and "ROLLUP" in sql and "REGEXP_LIKE" in sql


@pytest.mark.parametrize("dialect", DIALECTS)
def test_plans_never_contain_constructs_sqlglot_would_pass_through(dialect: str) -> None:
    plan = build_plan(SUITE, PARAMS, "202410", dialect)
    text = "\n".join(plan.sql(scan) for scan in plan.scans).upper()
    assert "FILTER (" not in text and "FILTER(" not in text and "ROLLUP" not in text
    if dialect == "mysql":
        assert "REGEXP_LIKE" not in text and "(?-I)" in text


def test_regex_runs_on_sqlite_through_the_registered_function(scratch) -> None:
    """SQLite has no REGEXP of its own; P04 (a regex rule) must still find the lower-case x everywhere."""
    assert violations(scratch, "P04", [{"aac002": "11010519491231002x"}]) == 1


def test_case_variants_stay_distinct_where_the_rule_says_so(scratch) -> None:
    """MariaDB's default collation merges 'x' and 'X': credit codes differing only in case are not duplicates (U09)."""
    rows = [{"aab001": "A1", "bab010": "91350100M000100Y4x"}, {"aab001": "A2", "bab010": "91350100M000100Y4X"}]
    assert violations(scratch, "U09", rows) == 0
    assert violations(scratch, "U09", [rows[1], {**rows[1], "aab001": "A3"}]) == 2


def test_case_variants_merge_where_the_rule_normalises(scratch) -> None:
    """P09 compares upper18(): 'x' and 'X' are the same person number on every database."""
    rows = [{"aac001": "1", "aac002": "11010519491231002x"}, {"aac001": "2", "aac002": "11010519491231002X"}]
    assert violations(scratch, "P09", rows) == 2


@pytest.mark.parametrize("bad_date", ["20230230", "2023-01-01", "abcdefgh", "1990", ""])
def test_invalid_date_text_is_a_finding_not_an_aborted_query(scratch, bad_date: str) -> None:
    """PostgreSQL and DuckDB abort a whole query on one invalid date cast: dq never casts unchecked text."""
    assert violations(scratch, "P19", [{"aac006": bad_date}]) == 1
    eight_digits = bad_date.isdigit() and len(bad_date) == 8  # age() reads digits: 2023 birth, 2013 work → < 16
    assert violations(scratch, "P22", [{"aac006": bad_date}]) == (1 if eight_digits else 0)
    assert violations(scratch, "W16", [{"aac001": "1"}], {"ac01": ({"aac001": "1", "aac006": bad_date},)}) == 0


def test_text_comparisons_are_exact_on_every_database(scratch) -> None:
    """MariaDB's utf8mb4_general_ci says 'M000100Y4' = 'm000100y4', 'c34' is code C34 and unit 'u1' is 'U1'."""
    assert violations(scratch, "U10", [{"bab010": "91350100M000100Y43", "aae053": "m000100y-4"}]) == 1
    assert violations(scratch, "U14", [{"aab022": "c34"}]) == 1
    assert violations(scratch, "W15", [{"aab001": "u1"}], {"ab01": ({"aab001": "U1"},)}) == 1
    assert violations(scratch, "W15", [{"aab001": "U1"}], {"ab01": ({"aab001": "U1"},)}) == 0


def test_list_parameter_inside_a_correlated_subquery_is_bound(scratch) -> None:
    """`IN (:list)` inside EXISTS is decorrelated into a grouped join and must still bind every element."""
    rule = SUITE.rule("W04")
    subquery = "EXISTS (SELECT 1 FROM ac02 o WHERE o.aac001 = ac02.aac001 AND o.aac066 IN (:continuing_pay_types))"
    probe = type(rule)(**{**rule.__dict__, "violation": sqlglot.parse_one(subquery, read="postgres"), "when": None,
                          "fail_examples": (Example(({"aac001": "1", "aac066": "104"},)),), "pass_examples": ()})
    assert run_rule_examples(scratch, SUITE, PARAMS, probe)[0].violations == 1
