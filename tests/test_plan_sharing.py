"""A macro call several rules use is computed once per row (issue 6): the fused scan's derived layer holds one
column per distinct call and the rules read that column. Results are proven elsewhere (rule examples, ground
truth on four databases); this pins the cost shape."""
from __future__ import annotations

import pytest

from dq.plan import build_plan
from tests.conftest import DIALECTS
from tests.test_rule_examples import PARAMS, SUITE

CHECKSUM_TABLE = "10X98765432"  # appears once per expanded GB 11643 check digit


def _ac01_sql(dialect: str) -> str:
    plan = build_plan(SUITE, PARAMS, "202410", dialect)
    return plan.sql(next(s for s in plan.scans if s.table == "ac01"))


@pytest.mark.parametrize("dialect", DIALECTS)
def test_id_checks_are_expanded_once_however_many_rules_use_them(dialect: str) -> None:
    sql = _ac01_sql(dialect)
    # In the derived layer: id18_ok (P05), id_ok (P10, P16, P18: once, not three times), upper18 (P09's and the
    # death list's join key); P09's own grouped subquery reads the base table and spells upper18 out in its WHERE,
    # SELECT and GROUP BY, and so does the one grouped lookup of the death list that M01 and M02 share.
    derived = sql[sql.index("t.*"):]
    derived = derived[:derived.index("FROM ac01 AS t")]
    assert derived.count(CHECKSUM_TABLE) == 3
    assert sql.count(CHECKSUM_TABLE) == 3 + 3 + 3 and sql.count("FROM ext_death") == 1
    assert sql.count("AS m_id_ok_") == 1 and sql.count("m_id_ok_") >= 4


def test_only_postgresql_gets_the_optimisation_fence() -> None:
    fenced = {d: "OFFSET 0" in _ac01_sql(d) for d in DIALECTS}
    assert fenced == {d: d == "postgresql" for d in DIALECTS}


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_regex_several_rules_use_is_matched_once(dialect: str) -> None:
    """`aac002 ~ '^[0-9]'` guards P03, P04, P06 and P07: one match per row, in the derived layer."""
    assert _ac01_sql(dialect).count("^[0-9]'") == 1
