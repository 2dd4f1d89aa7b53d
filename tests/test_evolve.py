"""The sample city evolves month after month, with ground truth: every injected incident can be undone exactly
(a branch fixing its errors) and applied again (the error coming back), for every defect kind."""
from __future__ import annotations

import numpy as np
import pandas as pd

from dq.sample.city import clean_draft, seed_words
from dq.sample.inject import inject_all

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
