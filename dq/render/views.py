"""The summary as rows of Chinese text: one view shared by the terminal and the HTML page."""
from __future__ import annotations

from dataclasses import dataclass

from dq.metrics import ALL, FORMULAS, Metrics
from dq.model import UNKNOWN_BRANCH
from dq.run.results import RunResult
from dq.schema import load_schema


def pct(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f}%"


@dataclass(frozen=True)
class Section:
    title: str
    headers: tuple[str, ...]
    rows: list[tuple[str, ...]]
    note: str = ""


def branch_name(branch: str | None, names: dict[str, str]) -> str:
    if branch is None:
        return UNKNOWN_BRANCH
    return f"{names[branch]}({branch})" if branch in names else branch


def summary_sections(result: RunResult, metrics: Metrics, names: dict[str, str], worst: int = 10) -> list[Section]:
    met = {True: "达标", False: "未达标", None: "未覆盖"}
    categories = Section(
        "数据质量年 信息准确率 (按类别)",
        ("类别", "实体", "实体数", "有错误", "准确率", "目标", "结论", "规则数"),
        [(c.target.label.removesuffix("信息准确率"), c.target.entity_label, "—" if c.entities is None else f"{c.entities:,}",
          f"{c.error_entities:,}", pct(c.accuracy), pct(c.target.target, 0),
          "无实体" if c.entities == 0 else met[c.met], str(c.rules))
         for c in metrics.categories],
        f"信息准确率 = {FORMULAS['信息准确率']}；「未覆盖」表示该类别没有 error 级规则纳入本规则集(或其实体表未稽核)，"
        "「无实体」表示本期无此类实体",
    )
    ranked = sorted((m for m in metrics.rules if m.total.violations),
                    key=lambda m: (-(m.rate or 0), -m.total.violations))[:worst]
    rules = Section(
        f"问题最突出的规则 (前 {worst} 条, 按违规率)",
        ("编号", "规则", "字段", "违规数", "适用数", "违规率"),
        [(m.rule.id, m.rule.name, ",".join(f.upper() for f in m.rule.fields), f"{m.total.violations:,}",
          f"{m.total.population:,}", pct(m.rate)) for m in ranked],
    )
    ranking = Section(
        "经办机构排名 (综合信息准确率)",
        ("名次", "经办机构", "实体数", "有错误实体", "综合准确率"),
        [(str(r.rank), branch_name(r.branch, names), f"{r.entities:,}", f"{r.error_entities:,}", pct(r.accuracy))
         for r in metrics.ranking],
    )
    schema = load_schema()
    network = Section(
        "联网数据质量指标 (按表, 全部经办机构)",
        ("表", "记录数", "项目齐全率", "记实率", "异常率", "重复率"),
        [(f"{schema.table(t).label}({t.upper()})", f"{per[ALL].rows:,}", pct(per[ALL].completeness),
          pct(per[ALL].reality), pct(per[ALL].anomaly), pct(per[ALL].duplication))
         for t, per in metrics.network.items()],
        "；".join(f"{k} = {v}" for k, v in FORMULAS.items() if k != "信息准确率"),
    )
    return [categories, rules, ranking, network]
