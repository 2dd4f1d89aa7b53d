"""The sample city: deterministic, valid identifiers where clean, every implemented rule broken, loadable everywhere.

The identifier checks are written here again from domain.md §3, independently of dq.sample.codes.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from dq.sample import City, build_city, write_city
from tests.conftest import DIALECTS, database_url
from tests.test_rule_examples import SUITE

PERSONS, SEED = 1000, 7
USCC = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def id18_valid(s: str) -> bool:
    if len(s) != 18 or not s[:17].isdigit():
        return False
    total = sum(int(c) * w for c, w in zip(s, (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)))
    return s[17] == "10X98765432"[total % 11]


def org_valid(s: str) -> bool:
    s = s.replace("-", "")
    values = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    if len(s) != 9 or any(c not in values for c in s[:8]):
        return False
    c9 = 11 - sum(values.index(c) * w for c, w in zip(s, (3, 7, 9, 10, 5, 8, 4, 2))) % 11
    return s[8] == {10: "X", 11: "0"}.get(c9, str(c9))


def uscc_valid(s: str) -> bool:
    if len(s) != 18 or any(c not in USCC for c in s):
        return False
    total = sum(USCC.index(c) * w for c, w in zip(s, (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)))
    return s[17] == USCC[(31 - total % 31) % 31] and org_valid(s[8:17])


@pytest.fixture(scope="module")
def city() -> City:
    return build_city(PERSONS, SEED)


def _clean(city: City, table: str, column: str) -> pd.Series:
    """Values of rows no defect touched (the manifest names every broken row of ab01, ac01 and ac62)."""
    frame = city.tables[table]
    key = {"ab01": "aab001", "ac62": "aaz257"}.get(table, "aac001")
    broken = {k for r in city.manifest["rules"].values() if r["table"] == table for k in r["keys"]}
    return frame.loc[~frame[key].isin(broken) & frame[column].notna(), column]


def test_same_seed_gives_the_same_city(city: City) -> None:
    again = build_city(PERSONS, SEED)
    assert again.manifest == city.manifest
    for name, frame in city.tables.items():
        pd.testing.assert_frame_equal(frame, again.tables[name])


def test_another_seed_gives_another_city(city: City) -> None:
    other = build_city(PERSONS, SEED + 1)
    assert not other.tables["ac01"]["aac002"].equals(city.tables["ac01"]["aac002"])
    assert other.manifest["rules"]["P05"]["keys"] != city.manifest["rules"]["P05"]["keys"]


def test_clean_identity_numbers_pass_gb11643(city: City) -> None:
    numbers = _clean(city, "ac01", "aac002")
    citizens = numbers[city.tables["ac01"].loc[numbers.index, "aac058"] == "01"]
    assert len(citizens) > 800 and all(id18_valid(n) for n in citizens)
    dependents = _clean(city, "ac62", "aac002_gy")
    assert len(dependents) >= 5 and all(id18_valid(n) for n in dependents)
    assert all(id18_valid(n) for n in _clean(city, "ab01", "aae046"))


def test_clean_credit_and_org_codes_pass_gb32100_and_gb11714(city: City) -> None:
    credit, org = _clean(city, "ab01", "bab010"), _clean(city, "ab01", "aae053")
    assert len(credit) > 50 and all(uscc_valid(c) for c in credit)
    assert all(org_valid(o) for o in org)
    assert org.str.contains("-").any() and not org.str.contains("-").all()


def test_every_catalog_rule_fails_at_least_twice(city: City) -> None:
    rules, catalog = city.manifest["rules"], [r.id for r in SUITE.implemented()]
    assert sorted(rules) == sorted(catalog)
    assert {r: rules[r]["violations"] for r in catalog if rules[r]["violations"] < 2} == {}
    assert {r: rules[r]["table"] for r in catalog} == {r: SUITE.rule(r).table for r in catalog}


def test_manifest_counts_rows_keys_once_and_branches(city: City) -> None:
    p01 = city.manifest["rules"]["P01"]
    assert p01["violations"] > len(p01["keys"])  # duplicated records share one key
    assert "∅" in p01["keys"]
    for rule in city.manifest["rules"].values():
        assert sum(rule["by_branch"].values()) == rule["violations"]
    assert city.manifest["tables"] == {name: len(frame) for name, frame in city.tables.items()}
    assert json.loads(json.dumps(city.manifest)) == city.manifest


def test_traps_are_present(city: City) -> None:
    ac01, ab01 = city.tables["ac01"], city.tables["ab01"]
    assert ac01["aac002"].str.endswith("x", na=False).any()  # lower-case check character
    assert (ac01["aac002"].str.len() == 15).any()
    assert {"abcdefgh"} <= set(ac01["aac006"]) and ac01["aac007"].str.contains("-", na=False).any()
    lowered = ab01["bab010"].dropna()
    assert lowered.str.upper().isin(lowered[lowered != lowered.str.lower()]).sum() > 0


def test_frames_follow_the_schema(city: City) -> None:
    from dq.schema import load_schema

    for name, table in load_schema().tables.items():
        frame = city.tables[name]
        assert list(frame.columns) == list(table.columns)
        for column, spec in table.columns.items():
            values = frame[column]
            if spec.is_text:
                assert values.dtype == object
                assert all(v is None or (isinstance(v, str) and not any(c in v for c in "\t\n\\")) for v in values)
            elif spec.kind == "int":
                assert str(values.dtype) == "Int64"
            else:
                assert values.dtype == "float64"


@pytest.fixture(scope="module", params=DIALECTS)
def loaded(request: pytest.FixtureRequest, city: City, session_tmp: Path) -> sa.Engine:
    url = database_url(request.param, "dq_test_sample", session_tmp)
    write_city(city, url)
    engine = sa.create_engine(url)
    yield engine
    engine.dispose()


def test_write_city_round_trips_row_counts(loaded: sa.Engine, city: City) -> None:
    with loaded.connect() as conn:
        counts = {name: conn.execute(sa.text(f"SELECT COUNT(*) FROM {name}")).scalar_one() for name in city.tables}
    assert counts == city.manifest["tables"]


def test_write_city_keeps_text_exact(loaded: sa.Engine, city: City) -> None:
    with loaded.connect() as conn:
        stored = set(conn.execute(sa.text("SELECT aac002 FROM ac01 WHERE aac002 IS NOT NULL")).scalars())
        empty = conn.execute(sa.text("SELECT COUNT(*) FROM ac01 WHERE aac002 = ''")).scalar_one()
    assert stored == set(city.tables["ac01"]["aac002"].dropna())
    assert empty == (city.tables["ac01"]["aac002"] == "").sum() > 0


@pytest.mark.slow
def test_100k_city_builds_quickly() -> None:
    started = time.perf_counter()
    city = build_city(100_000, 1)
    elapsed = time.perf_counter() - started
    assert len(city.tables["ac01"]) > 100_000
    assert elapsed < 30, f"100k persons took {elapsed:.1f} s"
