"""Great Expectations 1.x validating the suites `dq export-gx` wrote, against PostgreSQL (SQLAlchemy execution).

Runs in the peers' own environment. GX plans and sends its own metric queries; this prints what it observed.

    python gx_run.py URL SUITES_DIR  → prints {rule id: unexpected rows} as JSON
"""
from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import great_expectations as gx


def main() -> None:
    url, folder = sys.argv[1], Path(sys.argv[2])
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    context = gx.get_context(mode="ephemeral")
    source = context.data_sources.add_postgres("city", connection_string=url)
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
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
