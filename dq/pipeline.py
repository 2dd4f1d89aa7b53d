"""rules → plan → run → metrics → outputs, as one call: what `dq audit` and `dq demo` both do."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from dq.errors import InputFileError
from dq.metrics import Metrics, compute_metrics
from dq.model import Suite
from dq.plan import Plan, build_plan
from dq.render.html import write_summary_html
from dq.render.results_json import write_results
from dq.rules.loader import load_suite
from dq.rules.params import Params, load_params
from dq.run import RunResult, Source, open_source, run_plan
from dq.run.connect import connection

DEFAULT_SUITE = Path(__file__).resolve().parents[1] / "checks"


def normalise_period(text: str | None) -> str:
    """`2024-10` or `202410` → `202410`; default: the last complete month."""
    if text is None:
        today = date.today()
        year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
        return f"{year}{month:02d}"
    match = re.fullmatch(r"(\d{4})-?(\d{2})", text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise InputFileError(f"稽核期 {text!r} 格式错误，应为 YYYY-MM 或 YYYYMM (e.g. 2024-10)")
    return match.group(1) + match.group(2)


@dataclass
class AuditOutcome:
    result: RunResult
    metrics: Metrics
    branch_names: dict[str, str]
    results_path: Path
    html_path: Path


def branch_names(source: Source) -> dict[str, str]:
    """经办机构 names from the audited database's own code table (AA10, category AAB034), when it has one."""
    with connection(source) as conn:
        if "aa10" not in {t.lower() for t in sa.inspect(conn).get_table_names()}:
            return {}
        rows = conn.execute(sa.text("SELECT aaa102, aaa103 FROM aa10 WHERE aaa100 = 'AAB034'"))
        return {str(code): str(name) for code, name in rows}


def audit(
    url: str, out_dir: Path, *, suite_dir: Path = DEFAULT_SUITE, period: str | None = None,
    params: Params | None = None, timeout_s: int = 1800, on_table: Callable[[str, str], None] | None = None,
    suite: Suite | None = None,
) -> AuditOutcome:
    """Audit one database and write results.json and summary.html into `out_dir` (only after the run succeeded)."""
    period = normalise_period(period)
    params = params or load_params()
    suite = suite or load_suite(suite_dir, params=params)
    source = open_source(url, timeout_s=timeout_s)
    try:
        plan: Plan = build_plan(suite, params, period, source.caps.name)
        result = run_plan(source, plan, suite, period, on_table=on_table)
        names = branch_names(source)
    finally:
        source.engine.dispose()
    metrics = compute_metrics(result, suite)
    html_path = write_summary_html(out_dir, result, metrics, names)
    results_path = write_results(out_dir, result, metrics)  # last: its presence means the run is complete
    return AuditOutcome(result, metrics, names, results_path, html_path)
