"""Every rule's failing examples fail and its passing examples pass, on SQLite, DuckDB, PostgreSQL and MariaDB."""
from __future__ import annotations

from pathlib import Path

import pytest

from dq.rules.loader import load_suite
from dq.rules.params import load_params
from dq.run.examples import create_example_database, run_rule_examples
from tests.conftest import DIALECTS, ROOT, database_url

SUITE = load_suite(ROOT / "checks")
PARAMS = load_params()


@pytest.fixture(scope="module", params=DIALECTS)
def example_source(request: pytest.FixtureRequest, session_tmp: Path):
    source = create_example_database(database_url(request.param, "dq_test_examples", session_tmp))
    yield source
    source.engine.dispose()


def test_every_implemented_rule_has_failing_and_passing_examples() -> None:
    lacking = [r.id for r in SUITE.implemented() if not r.fail_examples or not r.pass_examples]
    assert lacking == []


@pytest.mark.parametrize("rule_id", [r.id for r in SUITE.implemented()])
def test_rule_examples(example_source, rule_id: str) -> None:
    outcomes = run_rule_examples(example_source, SUITE, PARAMS, SUITE.rule(rule_id))
    wrong = [f"{o.kind} #{o.index} ({o.location}): {o.violations} violations" for o in outcomes if not o.ok]
    assert wrong == [], f"{rule_id} on {example_source.caps.name}"
