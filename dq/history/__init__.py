"""The run store: runs, per rule × branch metrics and findings by period, and each finding's month-to-month life.

    store = HistoryStore.open("dq-history.sqlite", create=True)        # or a PostgreSQL URL
    record_run(store, result, rules, source=source)                     # atomic; replaces the period
    lifecycle_counts(store, store.previous_period("202410"), "202410")  # 新增 / 未整改 / 已整改 / 复发

History never renders: dq.cli and dq.render print what these return.
"""
from dq.history.lifecycle import (STATUS_NAMES, STATUSES, FindingChange, LifecycleCount, lifecycle_changes,
                                  lifecycle_counts, months_between)
from dq.history.record import finding_row_count, record_run
from dq.history.store import DEFAULT_FILE, HistoryError, HistoryStore, StoredRun, StoredTable, store_url

__all__ = [
    "DEFAULT_FILE", "STATUSES", "STATUS_NAMES", "FindingChange", "HistoryError", "HistoryStore", "LifecycleCount",
    "StoredRun", "StoredTable", "finding_row_count", "lifecycle_changes", "lifecycle_counts", "months_between",
    "record_run", "store_url",
]
