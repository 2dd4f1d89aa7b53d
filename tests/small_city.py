"""A tiny audited database: one clean row per table (the example defaults) plus a few known defects."""
from __future__ import annotations

from dq.run.examples import create_example_database, example_defaults, insert_rows
from dq.run.connect import Source
from dq.schema import load_schema, sqlalchemy_metadata

DEFECTS = {
    "ab01": ({"aab001": "21100000002", "bab010": "91110000600037341X"},),  # U08
    "ac01": ({"aac001": "2110000000002", "aac002": "11010519491231002x", "aac006": "20230230"},),  # P04 P05 P10 P19 …
}


def build_small_city(url: str) -> Source:
    """Create the tables on `url` and load them; returns a writable source (callers audit it read-only)."""
    source = create_example_database(url)
    schema, metadata = load_schema(), sqlalchemy_metadata()
    with source.engine.begin() as conn:
        for table in schema.tables:
            if table != "aa10":
                insert_rows(conn, metadata, schema, table, ({},) + DEFECTS.get(table, ()))
    return source


__all__ = ["build_small_city", "example_defaults"]
