"""The audit of the sample city equals the generator's ground truth, exactly, on all four databases.

The manifest records what the generator injected, in Python, as it injected it: never by running dq's SQL.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from dq.metrics import compute_metrics
from dq.plan import build_plan
from dq.run import open_source, run_plan
from dq.run.results import RunResult
from dq.sample import build_city, write_city
from tests.conftest import DIALECTS, database_url
from tests.test_rule_examples import PARAMS, SUITE

PERSONS, SEED, PERIOD = 1500, 11, "202410"


@pytest.fixture(scope="session")
def city():
    return build_city(PERSONS, SEED, PERIOD)


@pytest.fixture(scope="module", params=DIALECTS)
def audited(request: pytest.FixtureRequest, city, session_tmp: Path) -> RunResult:
    url = database_url(request.param, "dq_test_city", session_tmp)
    write_city(city, url)
    source = open_source(url)
    try:
        return run_plan(source, build_plan(SUITE, PARAMS, PERIOD, source.caps.name), SUITE, PERIOD)
    finally:
        source.engine.dispose()


def _keys(result: RunResult, rule_id: str) -> list[str]:
    return sorted({f.key for f in result.findings() if rule_id in f.rule_ids})


def test_manifest_covers_every_implemented_rule(city) -> None:
    missing = [r.id for r in SUITE.implemented() if r.id not in city.manifest["rules"]]
    assert missing == []
    thin = [r.id for r in SUITE.implemented() if city.manifest["rules"][r.id]["violations"] < 2]
    assert thin == [], "every rule needs injected defects"


def test_violation_counts_equal_ground_truth(audited: RunResult, city) -> None:
    got = {r.id: sum(c.violations for c in audited.rule_counts(r.id).values()) for r in SUITE.implemented()}
    expected = {r.id: city.manifest["rules"][r.id]["violations"] for r in SUITE.implemented()}
    assert got == expected


def test_failing_keys_equal_ground_truth(audited: RunResult, city) -> None:
    wrong = {}
    for rule in SUITE.implemented():
        got, expected = _keys(audited, rule.id), sorted(city.manifest["rules"][rule.id]["keys"])
        if got != expected:
            wrong[rule.id] = {"unexpected": sorted(set(got) - set(expected))[:5], "missed": sorted(set(expected) - set(got))[:5]}
    assert wrong == {}


def test_branch_counts_equal_ground_truth(audited: RunResult, city) -> None:
    wrong = {}
    for rule in SUITE.implemented():
        got = {b: c.violations for b, c in audited.rule_counts(rule.id).items() if c.violations}
        expected = {(None if b in (None, "null", "") else b): n for b, n in city.manifest["rules"][rule.id]["by_branch"].items() if n}
        if got != expected:
            wrong[rule.id] = (got, expected)
    assert wrong == {}


def test_table_row_counts_equal_the_city(audited: RunResult, city) -> None:
    assert {t: r.row_count for t, r in audited.tables.items()} == {t: city.manifest["tables"][t] for t in audited.tables}


def test_entity_counts_of_every_category_equal_the_city(audited: RunResult, city) -> None:
    """信息准确率 denominators: units, active and retired persons, deceased persons, dependents, benefit recipients
    and transfers, counted by the scans on each database exactly as the city holds them."""
    ac01 = city.tables["ac01"]
    held = {"U": len(city.tables["ab01"]), "W": int((ac01["aac084"] != "1").sum()), "R": int((ac01["aac084"] == "1").sum()),
            "X": int((ac01["aac060"] == "2").sum()), "F": len(city.tables["ac62"]), "M": len(city.tables["ic10"]),
            "Z": len(city.tables["ic90"])}
    assert sum(audited.tables["ac01"].entity_sets["deceased"].values()) == held["X"]
    categories = compute_metrics(audited, SUITE).categories
    assert [c.target.category for c in categories] == list(held)
    assert {c.target.category: c.entities for c in categories} == {
        c.target.category: held[c.target.category] if c.rules else None for c in categories}
