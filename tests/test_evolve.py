"""The sample city evolves month after month, with ground truth: every injected incident can be undone exactly
(a branch fixing its errors) and applied again (the error coming back), for every defect kind."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dq.errors import InputFileError
from dq.history import HistoryStore, record_run
from dq.history.lifecycle import STATUSES, lifecycle_counts
from dq.pipeline import DEFAULT_SUITE, audit
from dq.rules.loader import load_suite
from dq.rules.params import load_params
from dq.sample import PARAMS_FILE, write_city
from dq.sample.city import clean_draft, seed_words
from dq.sample.evolve import EvolvingCity, evolving_city
from dq.sample.inject import inject_all
from tests.conftest import database_url
from tests.test_history_store import STORE_KINDS, empty_store_url

PERSONS, SEED, PERIOD = 1000, 5, "202410"


def test_undoing_every_incident_gives_back_the_clean_city() -> None:
    draft = clean_draft(PERSONS, SEED, PERIOD)
    clean = {name: frame.copy() for name, frame in draft.tables.items()}
    inject_all(draft, seed_words(PERSONS, SEED, PERIOD))
    assert len(draft.incidents) > 1 and all(hit.incident > 0 for hit in draft.hits)
    undone = draft.frames(active=set())
    for name, frame in clean.items():
        pd.testing.assert_frame_equal(undone[name], frame, check_dtype=False, obj=name)
    broken = draft.frames()
    assert any(not broken[name].equals(frame) for name, frame in clean.items())


def test_an_incident_alone_changes_only_its_own_rows() -> None:
    draft = clean_draft(PERSONS, SEED, PERIOD)
    inject_all(draft, seed_words(PERSONS, SEED, PERIOD))
    alone = draft.frames(active={1})
    nothing = draft.frames(active=set())
    own = {(c.table, int(label)) for c in draft.changes if c.incident == 1 for label in c.labels}
    for name, frame in alone.items():
        other = nothing[name]
        shared = frame.index.intersection(other.index)
        differs = ~(frame.loc[shared].astype(object).fillna("∅") == other.loc[shared].astype(object).fillna("∅")).all(axis=1)
        changed = {(name, int(label)) for label in shared[differs.to_numpy()]}
        added = {(name, int(label)) for label in frame.index.difference(other.index)}
        removed = {(name, int(label)) for label in other.index.difference(frame.index)}
        assert changed | added | removed <= own, name
    assert own
    assert np.isin([h.incident for h in draft.hits], np.arange(1, len(draft.incidents))).all()


# three evolved months, audited in a row, recorded in the history store ---------------------------------------------
@pytest.fixture(scope="module")
def evolving() -> EvolvingCity:
    return evolving_city(PERSONS, SEED, PERIOD)


def test_months_fix_errors_bring_new_ones_and_old_ones_back(evolving: EvolvingCity) -> None:
    assert evolving.periods == ("202410", "202411", "202412")
    totals = [Counter() for _ in evolving.periods]
    for index, total in enumerate(totals):
        for by_branch in evolving.month(index).manifest["lifecycle"]["rules"].values():
            for cell in by_branch.values():
                total.update(cell)
    assert set(totals[0]) == {"new"}
    assert all(totals[k][s] > 0 for k in (1, 2) for s in ("new", "open", "fixed"))
    assert totals[2]["recurring"] > 0


def test_a_year_boundary_inside_the_months_is_refused() -> None:
    with pytest.raises(InputFileError, match="同一年内"):
        evolving_city(PERSONS, SEED, "202411")


@pytest.mark.parametrize("kind", STORE_KINDS)
def test_three_evolved_months_give_exactly_the_lifecycle_of_the_ground_truth(
        kind: str, evolving: EvolvingCity, tmp_path: Path) -> None:
    """The city of each month is written to a real database, audited and recorded; every rule × branch lifecycle
    the store computes equals the generator's."""
    url = database_url(kind, "dq_test_evolve", tmp_path)
    params = load_params(PARAMS_FILE)
    suite = load_suite(DEFAULT_SUITE, params=params)
    with HistoryStore.open(empty_store_url(kind, "dq_test_evolve_history", tmp_path), create=True) as store:
        for index, period in enumerate(evolving.periods):
            city = evolving.month(index)
            write_city(city, url)
            outcome = audit(url, tmp_path / period, suite=suite, period=period, params=params)
            violations = {r.id: sum(c.violations for c in outcome.result.rule_counts(r.id).values())
                          for r in suite.implemented()}
            assert {r: n for r, n in violations.items() if n} == \
                {r: v["violations"] for r, v in city.manifest["rules"].items()}, period
            record_run(store, outcome.result, suite.implemented())
            counts = lifecycle_counts(store, store.previous_period(period), period)
            found = {}
            for count in counts:
                cells = {s: getattr(count, s) for s in STATUSES if getattr(count, s)}
                found.setdefault(count.rule_id, {})[count.branch or "null"] = dict(sorted(cells.items()))
            assert found == city.manifest["lifecycle"]["rules"], period
