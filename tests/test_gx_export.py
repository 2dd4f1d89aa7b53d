"""`dq export-gx`: Great Expectations 1.x, running the exported suites itself, counts what dq counts.

GX is an independent executor here: it reads the exported JSON, plans and runs its own metric queries through its
own SQLAlchemy engine, and its unexpected-row counts must equal the sample city's ground truth for every rule.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path

import great_expectations as gx
import pytest
from typer.testing import CliRunner

from dq.cli.main import app
from dq.sample import build_city, write_city
from tests.conftest import ROOT, database_url
from tests.test_rule_examples import SUITE

PERSONS, SEED = 1500, 11


def _gx_counts(url: str, folder: Path) -> dict[str, object]:
    """Validate every exported suite with GX against `url`; rule id → GX's observed unexpected-row count."""
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    context = gx.get_context(mode="ephemeral")
    source = context.data_sources.add_sql("city", connection_string=url)
    counts: dict[str, object] = {}
    for path in sorted(folder.glob("dq.*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        table = document["meta"]["table"]
        batch = source.add_table_asset(table, table_name=table).add_batch_definition_whole_table("whole")
        suite = context.suites.add(gx.ExpectationSuite(**document))
        result = context.validation_definitions.add(gx.ValidationDefinition(name=table, data=batch, suite=suite)).run()
        for outcome in result.results:
            rule_id = outcome.expectation_config.meta["dq_rule_id"]
            counts[rule_id] = outcome.result.get("observed_value") if not outcome.exception_info.get(
                "raised_exception") else outcome.exception_info.get("exception_message")
    return counts


@pytest.mark.parametrize("dialect", ["postgresql", "sqlite"])
def test_gx_counts_every_exported_rule_as_the_ground_truth(dialect: str, session_tmp: Path, tmp_path: Path) -> None:
    city = build_city(PERSONS, SEED, "202410")
    url = database_url(dialect, "dq_test_gx", session_tmp)
    write_city(city, url)
    out = tmp_path / "gx"
    result = CliRunner().invoke(app, ["export-gx", "--out", str(out), "--dialect", dialect,
                                      "--suite", str(ROOT / "checks"), "--period", "2024-10"])
    assert result.exit_code == 0, result.output
    documents = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in out.glob("dq.*.json")}
    assert sum(len(d["expectations"]) for d in documents.values()) == len(SUITE.implemented())
    expected = {r.id: city.manifest["rules"][r.id]["violations"] for r in SUITE.implemented()}
    assert _gx_counts(url, out) == expected
