"""`dq history list|show`, `dq diff`, and recording an audit: the history store seen from the command line.

Tables are Chinese for people; `--json` prints one JSON document for machines. A finding-by-finding listing
(`--findings`) is streamed from the store line by line (or array item by item), never gathered first.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from dq.history import (DEFAULT_FILE, STATUS_NAMES, STATUSES, FindingChange, HistoryError, HistoryStore, LifecycleCount,
                        finding_row_count, lifecycle_changes, lifecycle_counts, months_between, record_run)
from dq.pipeline import AuditOutcome, normalise_period
from dq.render.files import write_atomically
from dq.render.results_json import branch_label
from dq.run import open_source

history_app = typer.Typer(no_args_is_help=True, help="稽核历史: 已记录的各期, 问题的生命周期 (新增/未整改/已整改/复发)")

HistoryOption = Annotated[Optional[str], typer.Option(
    "--history", envvar="DQ_HISTORY",
    help=f"历史库: SQLite 文件路径或 PostgreSQL URL (默认: 当前目录下的 {DEFAULT_FILE}; 环境变量 DQ_HISTORY)")]
ByBranchOption = Annotated[bool, typer.Option("--by-branch", help="按 规则 × 经办机构 列出 (默认按规则汇总)")]
JsonOption = Annotated[bool, typer.Option("--json", help="输出 JSON (供程序读取)")]
AuditHistoryOption = Annotated[Optional[str], typer.Option(
    "--history", envvar="DQ_HISTORY",
    help=f"记录本次稽核的历史库: SQLite 文件路径或 PostgreSQL URL (默认: --out 目录下的 {DEFAULT_FILE}; 环境变量 DQ_HISTORY)")]
FindingsOption = Annotated[bool, typer.Option("--findings", help="逐条列出问题记录及其状态 (流式输出)")]


def _cli() -> Any:
    """dq.cli.main, which imports this module to register it: resolved when a command runs, not at import."""
    from dq.cli import main

    return main


@contextmanager
def _store(history: str | None) -> Iterator[HistoryStore]:
    with _cli().user_errors(), HistoryStore.open(history or DEFAULT_FILE) as store:
        yield store


# recording an audit ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Recorded:
    """What `dq audit` tells the user after recording: where, and the period's lifecycle."""

    store: str
    period: str
    previous: str | None
    counts: list[LifecycleCount]


def record_audit(outcome: AuditOutcome, db: str, history: str | None, out: Path, timeout_s: int) -> Recorded:
    """Record a finished audit in `history` (default: inside `out`, so that auditing into the same folder month
    after month builds up the history), with its findings' field values read back from `db`; then add the
    period's lifecycle to its results.json."""
    result = outcome.result
    source = open_source(db, timeout_s=timeout_s)
    try:
        with HistoryStore.open(history or str(out / DEFAULT_FILE), create=True) as store:
            _cli().errors.print(f"写入历史库 {store.display_url} …", markup=False, highlight=False)
            with Progress(TextColumn("写入历史库"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                          console=_cli().errors) as progress:
                task = progress.add_task("", total=finding_row_count(result))
                record_run(store, result, [m.rule for m in outcome.metrics.rules], source=source,
                           on_progress=lambda written, _total: progress.update(task, completed=written))
            previous = store.previous_period(result.period)
            recorded = Recorded(store.display_url, result.period, previous,
                                lifecycle_counts(store, previous, result.period))
    finally:
        source.engine.dispose()
    document = json.loads(outcome.results_path.read_text(encoding="utf-8"))
    document["lifecycle"] = lifecycle_document(recorded.previous, recorded.period, recorded.counts,
                                               history=recorded.store)
    write_atomically(outcome.results_path, json.dumps(document, ensure_ascii=False, indent=1, default=str))
    return recorded


def print_recorded(console: Console, recorded: Recorded) -> None:
    totals = _total(recorded.counts)
    against = f"与 {recorded.previous} 相比" if recorded.previous else "首次记录, 全部为新增"
    console.print(f"[bold]历史库[/bold] {recorded.store} 已记录稽核期 {recorded.period} ({against}): "
                  + ", ".join(f"{STATUS_NAMES[s]} {getattr(totals, s):,}" for s in STATUSES), highlight=False, soft_wrap=True)


# lifecycle as documents and tables ----------------------------------------------------------------------------------
def _total(counts: Iterable[LifecycleCount], rule_id: str = "", branch: str | None = None) -> LifecycleCount:
    cells = list(counts)
    opened = [c.oldest_first_seen for c in cells if c.oldest_first_seen]
    sums = {status: sum(getattr(c, status) for c in cells) for status in STATUSES}
    return LifecycleCount(rule_id, branch, **sums, oldest_first_seen=min(opened) if opened else None)


def _by_rule(counts: list[LifecycleCount]) -> list[LifecycleCount]:
    rule_ids = sorted({c.rule_id for c in counts})
    return [_total((c for c in counts if c.rule_id == rule_id), rule_id) for rule_id in rule_ids]


def _count_json(count: LifecycleCount) -> dict[str, Any]:
    return {"current": count.current, **{s: getattr(count, s) for s in STATUSES},
            "oldest_first_seen": count.oldest_first_seen}


def lifecycle_document(before: str | None, after: str, counts: list[LifecycleCount], **extra: Any) -> dict[str, Any]:
    return {**extra, "from": before, "to": after, "statuses": STATUS_NAMES, "totals": _count_json(_total(counts)),
            "by_rule_branch": [{"rule_id": c.rule_id, "branch": branch_label(c.branch), **_count_json(c)}
                               for c in counts]}


def _lifecycle_table(title: str, after: str, counts: list[LifecycleCount], names: dict[str, str],
                     by_branch: bool) -> Table:
    table = Table(title=title, title_justify="left",
                  caption="未整改: 自首次发现期起连续各期均存在; 复发: 曾整改后再次出现; 最久未整改: 其首次发现期 (已持续月数)",
                  caption_justify="left")
    for header in ("编号", "规则", *(["经办机构"] if by_branch else []), "本期问题", *STATUS_NAMES.values(), "最久未整改"):
        table.add_column(header, overflow="fold")
    rows = counts if by_branch else _by_rule(counts)
    for c in [*rows, _total(counts, "合计")]:
        oldest = f"{c.oldest_first_seen} ({months_between(c.oldest_first_seen, after)} 个月)" if c.oldest_first_seen else "—"
        table.add_row(c.rule_id, names.get(c.rule_id, ""), *([branch_label(c.branch)] if by_branch else []),
                      f"{c.current:,}", *(f"{getattr(c, s):,}" for s in STATUSES), oldest,
                      style="bold" if c.rule_id == "合计" else None)
    return table


def _change_line(change: FindingChange) -> str:
    since = (f"  首次发现 {change.first_seen} (已 {change.months_open} 个月)" if change.status == "open" else "")
    values = "  " + ", ".join(f"{k.upper()}={v}" for k, v in change.snapshot.items()) if change.snapshot else ""
    return (f"{change.rule_id}  {change.table}:{change.record_key}  {branch_label(change.branch)}  "
            f"{STATUS_NAMES[change.status]}{since}{values}")


def _change_json(change: FindingChange) -> dict[str, Any]:
    return {"rule_id": change.rule_id, "table": change.table, "key": change.record_key, "entity": change.entity,
            "branch": branch_label(change.branch), "status": change.status, "first_seen": change.first_seen,
            "months_open": change.months_open, "values": change.snapshot}


def _print_lifecycle(store: HistoryStore, before: str | None, after: str, *, by_branch: bool, as_json: bool,
                     findings: bool, title: str, **extra: Any) -> None:
    counts = lifecycle_counts(store, before, after)
    if as_json:
        document = json.dumps(lifecycle_document(before, after, counts, **extra), ensure_ascii=False, indent=1)
        if not findings:
            typer.echo(document)
            return
        typer.echo(document[:-2] + ',\n "findings": [')  # streamed: the array is written item by item
        for index, change in enumerate(lifecycle_changes(store, before, after)):
            typer.echo(("  " if index == 0 else ", ") + json.dumps(_change_json(change), ensure_ascii=False))
        typer.echo(" ]\n}")
        return
    console = _cli().console
    console.print(_lifecycle_table(title, after, counts, store.rule_names(after), by_branch))
    if findings:
        for change in lifecycle_changes(store, before, after):
            console.print(_change_line(change), markup=False, highlight=False, soft_wrap=True)


# commands ----------------------------------------------------------------------------------------------------------
@history_app.command("list")
def history_list(history: HistoryOption = None) -> None:
    """列出历史库中已记录的各期。"""
    with _store(history) as store:
        runs = store.runs()
    table = Table("稽核期", "状态", "数据库", "规则集版本", "稽核开始", "耗时(秒)", "问题记录(规则×记录)", "记录时间",
                  title=f"历史库 {store.display_url}: {len(runs)} 期", title_justify="left")
    for run in runs:
        table.add_row(run.period, "完成" if run.status == "complete" else run.status, run.database, run.suite_version,
                      run.started_at, f"{run.seconds:,.0f}", f"{run.finding_count:,}", run.recorded_at)
    _cli().console.print(table)


@history_app.command("show")
def history_show(
    period: Annotated[str, typer.Argument(help="稽核期 YYYY-MM")],
    history: HistoryOption = None, by_branch: ByBranchOption = False, as_json: JsonOption = False,
    findings: FindingsOption = False,
) -> None:
    """查看一期: 运行信息, 以及与上一期相比各规则问题的新增/未整改/已整改/复发。"""
    with _store(history) as store:
        run = store.run(normalise_period(period))
        previous = store.previous_period(run.period)
        if not as_json:
            console = _cli().console
            console.print(f"[bold]稽核期[/bold] {run.period}  [bold]数据库[/bold] {run.dialect} {run.database}  "
                          f"[bold]规则集[/bold] {run.suite_path} (版本 {run.suite_version})  "
                          f"[bold]起止[/bold] {run.started_at} → {run.finished_at}  [bold]记录于[/bold] {run.recorded_at}",
                          highlight=False, soft_wrap=True)
            console.print("各表: " + "; ".join(f"{t.table} {t.rows:,} 行 {t.seconds:.1f} 秒 {t.findings:,} 条问题记录"
                                             for t in store.tables(run.period)), highlight=False, soft_wrap=True)
        title = f"{run.period} 与上一期 {previous} 相比" if previous else f"{run.period} (历史库中的第一期, 全部为新增)"
        _print_lifecycle(store, previous, run.period, by_branch=by_branch, as_json=as_json, findings=findings,
                         title=title, run={"period": run.period, "database": run.database,
                                           "suite_version": run.suite_version, "started_at": run.started_at,
                                           "finished_at": run.finished_at, "finding_count": run.finding_count})


def diff_command(
    before: Annotated[str, typer.Option("--from", help="较早的稽核期 YYYY-MM")],
    after: Annotated[str, typer.Option("--to", help="较晚的稽核期 YYYY-MM")],
    history: HistoryOption = None, by_branch: ByBranchOption = False, as_json: JsonOption = False,
    findings: FindingsOption = False,
) -> None:
    """比较两期: 各规则 (可按经办机构) 问题的新增/未整改/已整改/复发。"""
    with _store(history) as store:
        first, second = store.run(normalise_period(before)).period, store.run(normalise_period(after)).period
        if first >= second:
            raise HistoryError(f"--from {first} 须早于 --to {second}")
        _print_lifecycle(store, first, second, by_branch=by_branch, as_json=as_json, findings=findings,
                         title=f"{first} → {second}")
