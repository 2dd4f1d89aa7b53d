"""`dq` command line: Typer commands that wire the packages together, nothing else.

Exit codes: 0 ok; 2 bad input or an unreachable database (a `DqError`, printed in Chinese with where it is);
3 `--fail-under` not met. Data that has errors is not a failure to run.
"""
from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from dq.cli.history import DEFAULT_FILE as DEFAULT_HISTORY_FILE
from dq.cli.history import AuditHistoryOption, diff_command, history_app, print_recorded, record_audit
from dq.errors import DqError
from dq.model import CATEGORIES, DIMENSIONS
from dq.pipeline import DEFAULT_SUITE, AuditOutcome, audit, normalise_period
from dq.plan import build_plan
from dq.render.console import print_summary
from dq.rules.loader import load_suite
from dq.rules.params import PERIOD_NAMES, load_params
from dq.rules.scopes import parameter_names
from dq.schema import load_schema

app = typer.Typer(add_completion=False, no_args_is_help=True, help="dq — 社会保险数据质量稽核引擎")
rules_app = typer.Typer(no_args_is_help=True, help="规则集: 列出、查看、用样例自检")
app.add_typer(rules_app, name="rules")
app.add_typer(history_app, name="history")
app.command("diff")(diff_command)
console = Console()
errors = Console(stderr=True)

SuiteOption = Annotated[Path, typer.Option("--suite", help="规则集目录 (rule suite folder)")]
PeriodOption = Annotated[Optional[str], typer.Option("--period", help="稽核期 YYYY-MM (默认: 上一个完整月)")]
ParamsOption = Annotated[Optional[list[Path]], typer.Option(
    "--params", metavar="FILE", help="省/市参数文件 (可重复), 依次叠加在全国参数 sample_data/params.yaml 之上, 只替换其中列出的参数")]


@contextmanager
def user_errors() -> Iterator[None]:
    """Report a DqError as the user's to fix (exit 2); anything else stays a visible bug."""
    try:
        yield
    except DqError as err:
        errors.print(f"[bold red]错误[/bold red] {err}", markup=True, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None


@contextmanager
def table_progress() -> Iterator[Callable[[str, str], None]]:
    schema = load_schema()
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=errors,
                  transient=False) as progress:
        tasks: dict[str, int] = {}

        def report(table: str, event: str) -> None:
            label = f"稽核 {schema.table(table).label}({table.upper()})"
            if event == "start":
                tasks[table] = progress.add_task(label, total=1)
            else:
                progress.update(tasks[table], completed=1, description=f"{label} ✓")

        yield report


def _show(outcome: AuditOutcome) -> None:
    print_summary(console, outcome.result, outcome.metrics, outcome.branch_names)
    console.print(f"结果已写入: {outcome.results_path}  {outcome.html_path}")


@app.command("audit")
def audit_command(
    db: Annotated[str, typer.Option("--db", help="被稽核数据库 SQLAlchemy URL (只读访问)")],
    out: Annotated[Path, typer.Option("--out", help="结果目录 (results.json, summary.html)")],
    suite: SuiteOption = DEFAULT_SUITE,
    period: PeriodOption = None,
    params: ParamsOption = None,
    timeout: Annotated[int, typer.Option(help="单条语句超时 (秒)")] = 1800,
    fail_under: Annotated[Optional[float], typer.Option("--fail-under", help="任一类别准确率低于此值 (0–1) 时退出码为 3")] = None,
    history: AuditHistoryOption = None,
) -> None:
    """稽核一个数据库 (SQLite / DuckDB / PostgreSQL / MariaDB), 只读; 结果记入历史库。"""
    with user_errors(), table_progress() as report:
        outcome = audit(db, out, suite_dir=suite, period=period, params=load_params(params), timeout_s=timeout,
                        on_table=report)
    with user_errors():
        recorded = record_audit(outcome, db, history, out, timeout)
    _show(outcome)
    print_recorded(console, recorded)
    if fail_under is not None and any(c.accuracy is not None and c.accuracy < fail_under for c in outcome.metrics.categories):
        raise typer.Exit(3)


MonthOption = Annotated[Optional[int], typer.Option(
    "--month", min=0, help="演化中的城市的第几个月 (0 = --period 当月, 1 = 次月 …): 各经办机构整改部分问题, 出现新问题, 部分已整改的复发")]


@app.command("sample")
def sample_command(
    db: Annotated[str, typer.Option("--db", help="目标数据库 URL (将被重建)")],
    persons: Annotated[int, typer.Option("--persons", min=100, help="人数")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="随机种子 (同一种子, 同一城市)")] = 1,
    period: PeriodOption = "2024-10",
    manifest: Annotated[Optional[Path], typer.Option("--manifest", help="真值清单输出路径 (JSON)")] = None,
    month: MonthOption = None,
) -> None:
    """生成示例城市数据库 (含已知缺陷) 及真值清单; --month 给出逐月演化的城市的某个月 (真值含问题生命周期)。"""
    from dq.sample import build_city, write_city
    from dq.sample.evolve import evolving_city

    with user_errors():
        with console.status(f"生成示例城市: {persons:,} 人, 种子 {seed} …"):
            first = normalise_period(period)
            city = build_city(persons, seed, first) if month is None else evolving_city(persons, seed, first).month(month)
        with console.status(f"写入 {db} …"):
            write_city(city, db)
        if manifest:
            city.write_manifest(manifest)
    console.print(f"示例城市 (稽核期 {city.manifest['period']}) 已写入 {db}: "
                  + ", ".join(f"{t} {len(f):,}" for t, f in city.tables.items()), highlight=False, soft_wrap=True)


@app.command("demo")
def demo_command(
    directory: Annotated[Path, typer.Option("--dir", help="工作目录")] = Path("dq-demo"),
    persons: Annotated[int, typer.Option("--persons", min=100)] = 5000,
    seed: Annotated[int, typer.Option("--seed")] = 1,
) -> None:
    """演示: 在工作目录中生成逐月演化的示例城市 (DuckDB), 连续稽核三个月并记入历史库, 输出中文摘要、各期问题
    生命周期、results.json 与 summary.html。"""
    from dq.sample import PARAMS_FILE, write_city
    from dq.sample.evolve import evolving_city

    directory.mkdir(parents=True, exist_ok=True)
    database = directory / "city.duckdb"
    url = f"duckdb:///{database.resolve()}"
    history = str(directory / DEFAULT_HISTORY_FILE)
    with user_errors():
        with console.status(f"生成逐月演化的示例城市 ({persons:,} 人) …"):
            months = evolving_city(persons, seed, "202410")
        for index, period in enumerate(months.periods):
            with console.status(f"第 {index + 1} 个月 {period}: 写入 {database} …"):
                city = months.month(index)
                write_city(city, url)
                city.write_manifest(directory / f"manifest-{period}.json")
                city.write_manifest(directory / "manifest.json")
            with table_progress() as report:
                outcome = audit(url, directory, period=period, params=load_params(PARAMS_FILE), on_table=report)
            recorded = record_audit(outcome, url, history, directory, 1800)
            print_recorded(console, recorded)
    _show(outcome)
    first, last = months.periods[0], months.periods[-1]
    console.print(f"问题生命周期: dq history list --history {history}  ·  dq diff --from {first} --to {last} "
                  f"--history {history} --by-branch", markup=False, highlight=False, soft_wrap=True)


@app.command("export-gx")
def export_gx_command(
    out: Annotated[Path, typer.Option("--out", help="输出目录: 每张表一个 GX 期望套件 dq.<表>.json")],
    dialect: Annotated[str, typer.Option("--dialect", help="GX 数据源的数据库 postgresql | mariadb | sqlite | duckdb")] = "postgresql",
    suite: SuiteOption = DEFAULT_SUITE,
    period: PeriodOption = "2024-10",
    params: ParamsOption = None,
) -> None:
    """导出为 Great Expectations 1.x 期望套件: 每条规则一个 unexpected_rows_expectation, 违规行数与 dq 相同。"""
    import json

    from dq.interop.gx import gx_suites
    from dq.render.files import write_atomically

    with user_errors():
        values = load_params(params)
        loaded = load_suite(suite, params=values)
        suites = gx_suites(loaded, values, normalise_period(period), dialect)
    for table, document in suites.items():
        path = out / f"dq.{table}.json"
        write_atomically(path, json.dumps(document, ensure_ascii=False, indent=1))
        console.print(f"{path}: {len(document['expectations'])} 条期望 (表 {table})", markup=False, highlight=False)


@app.command("plan")
def plan_command(
    dialect: Annotated[str, typer.Option("--dialect", help="sqlite | duckdb | postgresql | mariadb")] = "duckdb",
    suite: SuiteOption = DEFAULT_SUITE,
    period: PeriodOption = "2024-10",
) -> None:
    """打印执行计划: 每条查询及其服务的规则。"""
    with user_errors():
        params = load_params()
        loaded = load_suite(suite, params=params)
        plan = build_plan(loaded, params, normalise_period(period), dialect)
    for scan in plan.scans:
        console.print(f"-- 表 {scan.table}: 1 条查询, 服务 {len(scan.rules)} 条规则: {', '.join(scan.rule_ids)}", markup=False)
        for line in scan.joins:
            console.print(f"--   {line}", markup=False)
        console.print(plan.sql(scan) + ";\n", markup=False, highlight=False)
    console.print(f"-- 绑定参数: {plan.binds}", markup=False)


@rules_app.command("list")
def rules_list(suite: SuiteOption = DEFAULT_SUITE) -> None:
    """列出规则。"""
    with user_errors():
        loaded = load_suite(suite)
    table = Table("编号", "名称", "表", "类别", "维度", "级别", "状态")
    for rule in loaded.rules:
        status = "已实现" if rule.implemented else f"未实现: {rule.unimplemented}"
        table.add_row(rule.id, rule.name, rule.table, CATEGORIES[rule.category], DIMENSIONS[rule.dimension],
                      rule.severity, status)
    console.print(table)
    console.print(f"共 {len(loaded.rules)} 条规则 (已实现 {len(loaded.implemented())}), 规则集版本 {loaded.version}")


@rules_app.command("show")
def rules_show(rule_id: str, suite: SuiteOption = DEFAULT_SUITE, params: ParamsOption = None) -> None:
    """查看一条规则: 含义、谓词、整改建议、样例, 以及它使用的政策参数 (未经确认的参数标明)。"""
    with user_errors():
        values = load_params(params)
        loaded = load_suite(suite, params=values)
        try:
            rule = loaded.rule(rule_id.upper())
        except KeyError:
            errors.print(f"[red]错误[/red] 没有规则 {rule_id}")
            raise typer.Exit(2) from None
    console.print(f"[bold]{rule.id} {rule.name}[/bold]  ({rule.location})")
    for label, value in (("表", rule.table), ("类别", CATEGORIES[rule.category]), ("维度", DIMENSIONS[rule.dimension]),
                         ("级别", rule.severity), ("字段", ", ".join(f.upper() for f in rule.fields)),
                         ("适用范围", rule.when.sql(dialect="postgres") if rule.when else "全部记录"),
                         ("违规条件", rule.violation.sql(dialect="postgres") if rule.violation else
                          f"重复: {', '.join(k.sql() for k in rule.duplicate.key)}" if rule.duplicate else "—"),
                         ("整改建议", rule.fix), ("依据", rule.source), ("说明", rule.note or "—"),
                         ("未实现原因", rule.unimplemented or "—"),
                         ("样例", f"{len(rule.fail_examples)} 个不通过, {len(rule.pass_examples)} 个通过")):
        console.print(f"  {label}: {value}", markup=False, highlight=False)
    expressions = [rule.when, rule.violation, *(rule.duplicate.key if rule.duplicate else ()),
                   *((rule.duplicate.distinct, rule.duplicate.where) if rule.duplicate else ())]
    used = values.used_by(parameter_names(expressions) - set(PERIOD_NAMES))
    console.print(f"  参数: {'无' if not used else f'{len(used)} 个, 其中 {sum(not p.confirmed for p in used)} 个未经确认'}",
                  markup=False, highlight=False)
    for param in used:
        console.print(f"    - {param.describe()}", markup=False, highlight=False)


@rules_app.command("test")
def rules_test(
    db: Annotated[str, typer.Option("--db", help="临时数据库 URL (其中的表将被重建，切勿指向生产库)")],
    suite: SuiteOption = DEFAULT_SUITE,
    params: ParamsOption = None,
) -> None:
    """在指定数据库上运行每条规则的样例 (不通过样例须报错, 通过样例须无错)。样例按示例城市的参数编写, 默认叠加
    sample_data/params/liaoning.yaml。"""
    from dq.run.examples import create_example_database, run_rule_examples

    with user_errors():
        from dq.sample import PARAMS_FILE

        params = load_params(params if params is not None else [PARAMS_FILE])
        loaded = load_suite(suite, params=params)
        source = create_example_database(db)
        wrong = [o for rule in loaded.implemented() for o in run_rule_examples(source, loaded, params, rule) if not o.ok]
    for outcome in wrong:
        console.print(f"[red]✗[/red] {outcome.rule_id} {outcome.kind} #{outcome.index} ({outcome.location}): "
                      f"{outcome.violations} 条违规")
    console.print(f"{len(loaded.implemented())} 条规则的样例在 {source.caps.name} 上运行: {len(wrong)} 个不符")
    if wrong:
        raise typer.Exit(1)


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
