"""Every rule's failing examples fail and its passing examples pass, on SQLite, DuckDB, PostgreSQL and MariaDB.

Both the default suite (checks/) and the draft suites (checks/draft/: proven by examples, not yet by the sample
city's ground truth) are specified here.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from dq.model import Suite
from dq.rules.loader import load_suite
from dq.rules.params import load_params
from dq.sample import PARAMS_FILE
from dq.run.examples import create_example_database, run_rule_examples
from tests.conftest import DIALECTS, ROOT, database_url

PARAMS = load_params(PARAMS_FILE)  # national parameters with the sample city's province file over them
SUITE = load_suite(ROOT / "checks", params=PARAMS)
DRAFT = load_suite(ROOT / "checks" / "draft", params=PARAMS)
ALL_RULES = [(SUITE, r) for r in SUITE.implemented()] + [(DRAFT, r) for r in DRAFT.implemented()]


@pytest.fixture(scope="module", params=DIALECTS)
def example_source(request: pytest.FixtureRequest, session_tmp: Path):
    source = create_example_database(database_url(request.param, "dq_test_examples", session_tmp))
    yield source
    source.engine.dispose()


def test_every_implemented_rule_has_failing_and_passing_examples() -> None:
    lacking = [r.id for _, r in ALL_RULES if not r.fail_examples or not r.pass_examples]
    assert lacking == []


def test_draft_and_default_rule_ids_do_not_collide() -> None:
    assert not {r.id for r in SUITE.rules} & {r.id for r in DRAFT.rules}


@pytest.mark.parametrize(("suite", "rule_id"), [(s, r.id) for s, r in ALL_RULES], ids=[r.id for _, r in ALL_RULES])
def test_rule_examples(example_source, suite: Suite, rule_id: str) -> None:
    outcomes = run_rule_examples(example_source, suite, PARAMS, suite.rule(rule_id))
    wrong = [f"{o.kind} #{o.index} ({o.location}): {o.violations} violations" for o in outcomes if not o.ok]
    assert wrong == [], f"{rule_id} on {example_source.caps.name}"
