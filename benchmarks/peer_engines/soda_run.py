"""Soda Core 3.x: one `failed rows` check per rule (dq's failing-rows SQL as the fail query), on PostgreSQL.

Runs in the peers' own environment. sqlparse (which Soda uses to read SQL) refuses statements of more than 10 000
tokens by default; the ID check-digit rules are longer, so the limit is lifted for this process.

    python soda_run.py DATABASE QUERIES.json  → prints {rule id: failed rows} as JSON
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import sqlparse.engine.grouping as grouping

grouping.MAX_GROUPING_TOKENS = None
grouping.MAX_GROUPING_DEPTH = None

from soda.scan import Scan  # noqa: E402


def sodacl(queries: dict[str, dict[str, str]]) -> str:
    lines = []
    for table, rules in queries.items():
        lines.append(f"checks for {table}:")
        for rule_id, sql in rules.items():
            lines += ["  - failed rows:", f"      name: {rule_id}", "      fail query: |"]
            lines += ["        " + line for line in sql.splitlines()]
    return "\n".join(lines) + "\n"


def main() -> None:
    database, queries = sys.argv[1], json.loads(Path(sys.argv[2]).read_text(encoding="utf-8"))
    scan = Scan()
    scan.set_data_source_name("city")
    scan.add_configuration_yaml_str(
        f"data_source city:\n  type: postgres\n  host: 127.0.0.1\n  port: 5432\n  username: postgres\n"
        f"  password: ''\n  database: {database}\n")
    scan.add_sodacl_yaml_str(sodacl(queries))
    scan.execute()
    checks = scan.get_scan_results()["checks"]
    print(json.dumps({c["name"]: (c.get("diagnostics") or {}).get("value") for c in checks}))


if __name__ == "__main__":
    main()
