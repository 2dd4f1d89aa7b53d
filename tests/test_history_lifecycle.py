"""Every error has a life: exact 新增 / 未整改 / 已整改 / 复发 counts per rule × branch over four recorded periods
(with a month not audited), on SQLite and PostgreSQL, from hand-built runs whose answers are written by hand."""
from __future__ import annotations

import pytest

from dq.history import HistoryStore, lifecycle_changes, lifecycle_counts, months_between, record_run
from dq.model import Suite
from tests.test_history_store import person_run, store, suite  # noqa: F401  (fixtures)

P05, P11, BOTH = ("P05",), ("P11",), ("P05", "P11")
# record key → (branch, rules failed); 202410 was not audited.
PERIODS = {
    "202407": {"a": ("B1", P05), "b": ("B1", P05), "c": ("B2", P05), "d": ("B2", P05), "x": ("B1", P11)},
    "202408": {"a": ("B1", P05), "c": ("B2", P05), "e": ("B2", P05)},
    "202409": {"a": ("B1", P05), "b": ("B1", P05), "f": (None, P05), "x": ("B1", P11)},
    "202411": {"a": ("B1", P05), "f": (None, P05), "g": ("B2", P05), "x": ("B1", P11), "y": ("B2", P11)},
}
# (rule, branch) → (新增, 未整改, 已整改, 复发)
EXPECTED = {
    "202407": {("P05", "B1"): (2, 0, 0, 0), ("P05", "B2"): (2, 0, 0, 0), ("P11", "B1"): (1, 0, 0, 0)},
    "202408": {("P05", "B1"): (0, 1, 1, 0), ("P05", "B2"): (1, 1, 1, 0), ("P11", "B1"): (0, 0, 1, 0)},
    "202409": {("P05", "B1"): (0, 1, 0, 1), ("P05", "B2"): (0, 0, 2, 0), ("P05", None): (1, 0, 0, 0),
               ("P11", "B1"): (0, 0, 0, 1)},
    "202411": {("P05", "B1"): (0, 1, 1, 0), ("P05", "B2"): (1, 0, 0, 0), ("P05", None): (0, 1, 0, 0),
               ("P11", "B1"): (0, 1, 0, 0), ("P11", "B2"): (1, 0, 0, 0)},
}


@pytest.fixture
def history(store: HistoryStore, suite: Suite) -> HistoryStore:  # noqa: F811
    for period, failing in PERIODS.items():
        record_run(store, person_run(period, failing), suite.implemented())
    return store


def counts(history: HistoryStore, before: str | None, after: str) -> dict:
    return {(c.rule_id, c.branch): (c.new, c.open, c.fixed, c.recurring) for c in lifecycle_counts(history, before, after)}


@pytest.mark.parametrize("period", list(PERIODS))
def test_each_period_against_the_previous_recorded_one(history: HistoryStore, period: str) -> None:
    assert counts(history, history.previous_period(period), period) == EXPECTED[period]


def test_a_month_not_audited_is_skipped(history: HistoryStore) -> None:
    assert history.previous_period("202411") == "202409" and history.previous_period("202407") is None


def test_open_findings_carry_first_seen_and_months_open(history: HistoryStore) -> None:
    open_ = {(c.rule_id, c.record_key): (c.first_seen, c.months_open)
             for c in lifecycle_changes(history, "202409", "202411") if c.status == "open"}
    assert open_ == {("P05", "a"): ("202407", 4), ("P05", "f"): ("202409", 2), ("P11", "x"): ("202409", 2)}
    (oldest,) = [c.oldest_first_seen for c in lifecycle_counts(history, "202409", "202411") if c.branch == "B1"
                 and c.rule_id == "P05"]
    assert oldest == "202407"


def test_fixed_findings_keep_their_branch_and_are_listed_once(history: HistoryStore) -> None:
    fixed = [(c.rule_id, c.record_key, c.branch) for c in lifecycle_changes(history, "202408", "202409")
             if c.status == "fixed"]
    assert fixed == [("P05", "c", "B2"), ("P05", "e", "B2")]


def test_diff_across_several_periods_calls_fixed_and_found_again_recurring(history: HistoryStore) -> None:
    assert counts(history, "202407", "202411") == {
        ("P05", "B1"): (0, 1, 1, 0), ("P05", "B2"): (1, 0, 2, 0), ("P05", None): (1, 0, 0, 0),
        ("P11", "B1"): (0, 0, 0, 1), ("P11", "B2"): (1, 0, 0, 0)}


def test_rerunning_an_old_period_carries_its_streaks_into_later_periods(history: HistoryStore, suite: Suite) -> None:  # noqa: F811
    record_run(history, person_run("202408", {**PERIODS["202408"], "b": ("B1", P05)}), suite.implemented())
    assert counts(history, "202408", "202409")[("P05", "B1")] == (0, 2, 0, 0)
    streaks = {c.record_key: c.first_seen for c in lifecycle_changes(history, "202408", "202409") if c.status == "open"}
    assert streaks == {"a": "202407", "b": "202407"}
    assert counts(history, "202409", "202411")[("P05", "B1")] == (0, 1, 1, 0)


def test_a_finding_failing_two_rules_has_a_life_per_rule(store: HistoryStore, suite: Suite) -> None:  # noqa: F811
    record_run(store, person_run("202409", {"k": ("B1", BOTH)}), suite.implemented())
    record_run(store, person_run("202410", {"k": ("B1", P11)}), suite.implemented())
    assert counts(store, "202409", "202410") == {("P05", "B1"): (0, 0, 1, 0), ("P11", "B1"): (0, 1, 0, 0)}


def test_months_between_counts_across_years() -> None:
    assert months_between("202311", "202402") == 3 and months_between("202410", "202410") == 0
