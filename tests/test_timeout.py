"""A statement that runs past the timeout is stopped on every database (server-side or by interrupting it)."""
from __future__ import annotations

import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from dq.run.connect import connection, interrupt_after, open_source
from tests.conftest import DIALECTS, database_url

SLOW = {
    "sqlite": "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 1000000000) SELECT COUNT(*) FROM c",
    "duckdb": "SELECT COUNT(*) FROM range(1000000000) a, range(1000) b WHERE a.range + b.range = 7",
    "postgresql": "SELECT COUNT(*) FROM generate_series(1, 1000000000) a, generate_series(1, 1000) b WHERE a + b = 7",
    "mysql": "SELECT COUNT(*) FROM seq_1_to_100000000 a JOIN seq_1_to_1000 b ON a.seq + b.seq = 7",
}


@pytest.mark.parametrize("dialect", DIALECTS)
def test_statement_timeout_stops_a_long_query(dialect: str, tmp_path: Path) -> None:
    url = database_url(dialect, "dq_test_timeout", tmp_path)
    creator = sa.create_engine(url)
    creator.connect().close()
    creator.dispose()
    source = open_source(url, timeout_s=2)
    started = time.perf_counter()
    with pytest.raises(sa.exc.DBAPIError), connection(source) as conn, interrupt_after(conn, source):
        conn.execute(sa.text(SLOW[dialect])).all()
    source.engine.dispose()
    assert time.perf_counter() - started < 15
