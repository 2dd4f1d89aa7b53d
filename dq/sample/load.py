"""write_city: create the logical tables on a database and bulk-load the city, with each database's fast path.

DuckDB reads the frames directly (INSERT … SELECT from a registered frame), PostgreSQL takes COPY in text
format, SQLite and MariaDB take batched executemany. Tables get no keys or constraints: duplicates and NULL keys
are among the defects. MariaDB keeps the server's default (case-insensitive) collation on purpose.
"""
from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import sqlalchemy as sa

from dq.sample.city import City
from dq.schema import sqlalchemy_metadata

BATCH = 20_000
COPY_CHUNK = 200_000


def write_city(city: City, url: str, *, replace: bool = True) -> None:
    """Create every table of the city on `url` (dropping existing ones when `replace`) and load its rows."""
    engine = sa.create_engine(url)
    metadata = sqlalchemy_metadata(tables=list(city.tables))
    try:
        if replace:
            metadata.drop_all(engine)
        for table in metadata.sorted_tables:
            if engine.dialect.name == "mysql":
                table.kwargs["mysql_charset"] = "utf8mb4"
        metadata.create_all(engine)
        load = {"duckdb": _load_duckdb, "postgresql": _load_postgresql}.get(engine.dialect.name, _load_rows)
        with engine.begin() as conn:
            for name, frame in city.tables.items():
                if len(frame):
                    load(conn, metadata.tables[name], frame)
    finally:
        engine.dispose()


def _load_duckdb(conn: sa.Connection, table: sa.Table, frame: pd.DataFrame) -> None:
    raw = conn.connection.driver_connection
    raw.register("city_frame", frame)
    try:
        raw.execute(f'INSERT INTO "{table.name}" SELECT * FROM city_frame')
    finally:
        raw.unregister("city_frame")


def _text_chunks(frame: pd.DataFrame) -> Iterator[str]:
    """PostgreSQL COPY text format: tab-separated, \\N for NULL (generated text holds no tab, newline or
    backslash)."""
    for start in range(0, len(frame), COPY_CHUNK):
        yield frame.iloc[start:start + COPY_CHUNK].to_csv(sep="\t", na_rep="\\N", header=False, index=False,
                                                           quoting=3, lineterminator="\n")


def _load_postgresql(conn: sa.Connection, table: sa.Table, frame: pd.DataFrame) -> None:
    columns = ", ".join(f'"{c}"' for c in frame.columns)
    with conn.connection.driver_connection.cursor() as cursor:
        with cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
            for chunk in _text_chunks(frame):
                copy.write(chunk)


def _load_rows(conn: sa.Connection, table: sa.Table, frame: pd.DataFrame) -> None:
    columns = list(frame.columns)
    for start in range(0, len(frame), BATCH):
        part = frame.iloc[start:start + BATCH].astype(object)
        part = part.where(part.notna(), None)
        conn.execute(table.insert(), [dict(zip(columns, row)) for row in part.itertuples(index=False, name=None)])
