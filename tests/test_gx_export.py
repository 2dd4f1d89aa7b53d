"""`dq export-gx`: Great Expectations 1.x, running the exported suites itself, counts what dq counts.

GX is an independent executor here: it reads the exported JSON, plans and runs its own metric queries through its
own SQLAlchemy engine, and its unexpected-row counts must equal the sample city's ground truth for every rule.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from benchmarks.peer_engines.gx_run import gx_counts
from dq.cli.main import app
from dq.sample import PARAMS_FILE, build_city, write_city
from tests.conftest import ROOT, database_url
from tests.test_rule_examples import SUITE

PERSONS, SEED = 1500, 11


@pytest.mark.parametrize("dialect", ["postgresql", "sqlite"])
def test_gx_counts_every_exported_rule_as_the_ground_truth(dialect: str, session_tmp: Path, tmp_path: Path) -> None:
    city = build_city(PERSONS, SEED, "202410")
    url = database_url(dialect, "dq_test_gx", session_tmp)
    write_city(city, url)
    out = tmp_path / "gx"
    result = CliRunner().invoke(app, ["export-gx", "--out", str(out), "--dialect", dialect,
                                      "--suite", str(ROOT / "checks"), "--period", "2024-10",
                                      "--params", str(PARAMS_FILE)])
    assert result.exit_code == 0, result.output
    documents = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in out.glob("dq.*.json")}
    assert sum(len(d["expectations"]) for d in documents.values()) == len(SUITE.implemented())
    expected = {r.id: city.manifest["rules"][r.id]["violations"] for r in SUITE.implemented()}
    assert gx_counts(url, out) == expected
