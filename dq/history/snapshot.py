"""The offending values of each finding, read back from the audited database after the run.

A finding names a record by its key; the clerk who fixes it, and whoever checks the fix next month, want the
values that failed. The run keeps only keys, so the values of the failing rules' fields are read here: ONE
streamed, read-only projection scan per audited table with findings (key columns + those fields), matched in
Python against the failing keys. One scan costs at most what the audit's own scan of the table cost and needs
no index on the audited database, where keyed lookups in batches would each scan an unindexed table again.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa

from dq.run import FETCH_BATCH, Source, record_key
from dq.run.connect import connection, interrupt_after
from dq.run.results import Finding

Values = dict[str, Any]


def with_values(source: Source, table: str, key: Sequence[str], fields: Sequence[str],
                findings: Sequence[Finding]) -> Iterator[tuple[Finding, Values | None]]:
    """Each finding of `table` with its record's values of `fields` (the first row, for a key held by several
    rows), or None when no row has the key any more (changed since the audit)."""
    pending = {finding.key: finding for finding in findings}
    columns = list(dict.fromkeys([*key, *fields]))
    select: sa.Select = sa.select(*[sa.column(c) for c in columns]).select_from(sa.table(table))
    with connection(source) as conn, interrupt_after(conn, source):
        result = conn.execution_options(stream_results=True).execute(select)
        for batch in result.partitions(FETCH_BATCH):
            for row in batch:
                finding = pending.pop(record_key(list(row[:len(key)])), None)
                if finding is not None:
                    yield finding, dict(zip(columns, row))
                    if not pending:
                        return
    for finding in pending.values():
        yield finding, None
