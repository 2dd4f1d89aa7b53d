"""The terminal summary (rich tables, Chinese first)."""
from __future__ import annotations

from rich.console import Console
from rich.table import Table

from dq.metrics import Metrics
from dq.render.views import summary_sections
from dq.run.results import RunResult


def print_summary(console: Console, result: RunResult, metrics: Metrics, names: dict[str, str]) -> None:
    console.print(f"[bold]稽核期[/bold] {result.period}  [bold]数据库[/bold] {result.dialect} {result.database}  "
                  f"[bold]规则集[/bold] {result.suite_path} (版本 {result.suite_version})  "
                  f"[bold]起止[/bold] {result.started_at} → {result.finished_at}")
    for section in summary_sections(result, metrics, names):
        table = Table(title=section.title, title_justify="left", caption=section.note or None, caption_justify="left")
        for header in section.headers:
            table.add_column(header, overflow="fold")
        for row in section.rows:
            style = "red" if "未达标" in row else None
            table.add_row(*row, style=style)
        console.print(table)
