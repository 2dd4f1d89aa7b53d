"""The HTML summary page, rendered from reports/summary.html.j2."""
from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from dq.metrics import Metrics
from dq.render.files import write_atomically
from dq.render.views import summary_sections
from dq.run.results import RunResult

REPORTS = Path(__file__).resolve().parents[2] / "reports"


def render_summary_html(result: RunResult, metrics: Metrics, names: dict[str, str]) -> str:
    environment = Environment(loader=FileSystemLoader(REPORTS), autoescape=select_autoescape(["html", "j2"]),
                              undefined=StrictUndefined)
    return environment.get_template("summary.html.j2").render(run=result, sections=summary_sections(result, metrics, names))


def write_summary_html(out_dir: Path, result: RunResult, metrics: Metrics, names: dict[str, str]) -> Path:
    path = out_dir / "summary.html"
    write_atomically(path, render_summary_html(result, metrics, names))
    return path
