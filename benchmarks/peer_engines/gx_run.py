"""Great Expectations 1.x validating the suites `dq export-gx` wrote, through its SQLAlchemy execution engine.

Runs in the peers' own environment for the benchmark, and in dq's test environment for tests/test_gx_export.py
(the same function: GX plans and sends its own metric queries; this returns what it observed).

    python gx_run.py URL SUITES_DIR  → prints {rule id: unexpected rows} as JSON
"""
from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import great_expectations as gx


def gx_counts(url: str, folder: Path) -> dict[str, object]:
    """Validate every exported suite in `folder` against `url`; rule id → GX's observed unexpected-row count (or
    the error GX met)."""
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
            failed = outcome.exception_info.get("raised_exception")
            counts[outcome.expectation_config.meta["dq_rule_id"]] = (
                outcome.exception_info.get("exception_message") if failed else outcome.result.get("observed_value"))
    return counts


if __name__ == "__main__":
    print(json.dumps(gx_counts(sys.argv[1], Path(sys.argv[2]))))
