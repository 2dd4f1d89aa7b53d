"""Counts → rates. Every formula of domain.md §2.3 is written once, here, and named as the campaign names it.

- 信息准确率 (per 数据质量年 category) = 1 − 有错误实体数 / 实体数, from error-severity rules only.
- 项目齐全率 = 1 − Σ 完整性规则违规数 / Σ 完整性规则适用数 (completeness rules).
- 记实率 = 1 − Σ 真实性规则违规数 / Σ 真实性规则适用数 (placeholder / default-value rules).
- 异常率 = 至少违反一条有效性或一致性规则的记录数 / 记录数.
- 重复率 = Σ (重复组记录数 − 1) / Σ 重复规则适用数 (duplicate rules; each group keeps one record).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ruamel.yaml import YAML

from dq.model import UNKNOWN_BRANCH, Rule, Suite
from dq.run.results import Counts, RunResult, TableRun

TARGETS_FILE = Path(__file__).resolve().parents[2] / "sample_data" / "targets.yaml"
FORMULAS = {
    "信息准确率": "1 − 有错误实体数 ÷ 实体数 (仅计 error 级规则)",
    "项目齐全率": "1 − Σ完整性违规数 ÷ Σ完整性适用数",
    "记实率": "1 − Σ真实性违规数 ÷ Σ真实性适用数",
    "异常率": "违反任一有效性/一致性规则的记录数 ÷ 记录数",
    "重复率": "Σ(重复组记录数 − 1) ÷ Σ重复规则适用数",
}
PERSON_CATEGORY = "P"
ALL = "全部"


def rate(part: float, whole: float) -> float | None:
    """part / whole, or None when nothing was checked (a rate of nothing is not 0 % nor 100 %)."""
    return part / whole if whole else None


@dataclass(frozen=True)
class Target:
    category: str
    label: str
    target: float
    table: str | None
    person_category: str | None = None
    entity_set: str | None = None  # a named row subset of `table` (schema entity_sets), counted by its scan
    entity_label: str = "实体"


def load_targets(path: Path = TARGETS_FILE) -> list[Target]:
    data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    targets = []
    for category, spec in data.items():
        entities = spec.get("entities") or {}
        targets.append(Target(category, spec["label"], float(spec["target"]), entities.get("table"),
                              entities.get("person_category"), entities.get("set"),
                              str(entities.get("label", "实体"))))
    return targets


@dataclass
class RuleMetric:
    rule: Rule
    total: Counts
    by_branch: dict[str | None, Counts]

    @property
    def rate(self) -> float | None:
        return rate(self.total.violations, self.total.population)


@dataclass
class CategoryAccuracy:
    target: Target
    entities: int | None  # None: not covered (no error rule of the category, or its entity table not audited)
    error_entities: int
    by_branch: dict[str | None, tuple[int, int]] = field(default_factory=dict)  # branch -> (entities, with errors)
    rules: int = 0  # error-severity rules of the category that ran: an accuracy needs at least one

    @property
    def accuracy(self) -> float | None:
        return None if self.entities is None else (1 - rate(self.error_entities, self.entities)
                                                   if self.entities else None)

    @property
    def met(self) -> bool | None:
        return None if self.accuracy is None else self.accuracy >= self.target.target - 1e-12


@dataclass
class NetworkMeasures:
    """联网数据 measures of one table and branch (None where the table has no rule of that dimension)."""

    rows: int
    completeness: float | None  # 项目齐全率
    reality: float | None  # 记实率
    anomaly: float | None  # 异常率
    duplication: float | None  # 重复率


@dataclass
class BranchRank:
    branch: str | None
    entities: int
    error_entities: int
    rank: int = 0

    @property
    def accuracy(self) -> float | None:
        return 1 - rate(self.error_entities, self.entities) if self.entities else None


@dataclass
class Metrics:
    rules: list[RuleMetric]
    categories: list[CategoryAccuracy]
    network: dict[str, dict[str, NetworkMeasures]]  # table -> branch label (or ALL) -> measures
    ranking: list[BranchRank]


def _rule_metrics(result: RunResult, suite: Suite) -> list[RuleMetric]:
    metrics = []
    for rule in suite.implemented():
        by_branch = result.rule_counts(rule.id)
        total = Counts()
        for counts in by_branch.values():
            total.add(counts.population, counts.violations, counts.excess)
        metrics.append(RuleMetric(rule, total, dict(by_branch)))
    return metrics


def _error_entities(result: RunResult, suite: Suite) -> dict[str, dict[str | None, set[str]]]:
    """Per category and branch, the entities with at least one error-severity finding (one pass over findings)."""
    rules = {r.id: r for r in suite.implemented() if r.severity == "error"}
    out: dict[str, dict[str | None, set[str]]] = defaultdict(lambda: defaultdict(set))
    for finding in result.findings():
        categories = {finding.category if rules[r].category == PERSON_CATEGORY else rules[r].category
                      for r in finding.rule_ids if r in rules}
        for category in categories - {None}:
            out[category][finding.branch].add(finding.entity or finding.key)
    return out


def _category_rules(result: RunResult, suite: Suite) -> dict[str, int]:
    """How many error-severity rules of each category ran (P rules count for both person categories)."""
    ran = {rule_id for run in result.tables.values() for rule_id in run.counts}
    out: dict[str, int] = defaultdict(int)
    for rule in suite.implemented():
        if rule.severity == "error" and rule.id in ran:
            for category in ("W", "R") if rule.category == PERSON_CATEGORY else (rule.category,):
                out[category] += 1
    return out


def _entities(run: TableRun, target: Target) -> dict[str | None, int]:
    """The category's entities per branch: a named row subset, one person category, or the whole table."""
    if target.entity_set:
        return dict(run.entity_sets.get(target.entity_set, {}))
    entities: dict[str | None, int] = defaultdict(int)
    for (branch, category), rows in run.rows_by_branch_category.items():
        if target.person_category is None or category == target.person_category:
            entities[branch] += rows
    return entities


def _category_accuracy(result: RunResult, target: Target, errors: dict[str | None, set[str]],
                       rules: int) -> CategoryAccuracy:
    run = result.tables.get(target.table) if target.table else None
    if run is None or not rules:
        return CategoryAccuracy(target, None, sum(len(v) for v in errors.values()), rules=rules)
    entities = _entities(run, target)
    by_branch = {b: (n, len(errors.get(b, ()))) for b, n in entities.items()}
    return CategoryAccuracy(target, sum(entities.values()), sum(e for _, e in by_branch.values()), by_branch, rules)


def _pooled(rule_metrics: list[RuleMetric], dimension: str, branch: str | None | object) -> float | None:
    population = violations = 0
    for metric in rule_metrics:
        if metric.rule.dimension != dimension:
            continue
        counts = metric.total if branch is ALL else metric.by_branch.get(branch, Counts())  # type: ignore[arg-type]
        population += counts.population
        violations += counts.violations
    return None if not population else 1 - violations / population


def _duplication(rule_metrics: list[RuleMetric], branch: str | None | object) -> float | None:
    population, excess = 0, 0.0
    for metric in rule_metrics:
        if metric.rule.dimension == "duplicate":
            counts = metric.total if branch is ALL else metric.by_branch.get(branch, Counts())  # type: ignore[arg-type]
            population += counts.population
            excess += counts.excess
    return rate(excess, population)


def _network(result: RunResult, suite: Suite, rule_metrics: list[RuleMetric]) -> dict[str, dict[str, NetworkMeasures]]:
    anomalous_dims = {"validity", "consistency"}
    rules = {r.id: r for r in suite.implemented()}
    out: dict[str, dict[str, NetworkMeasures]] = {}
    for table, run in result.tables.items():
        table_metrics = [m for m in rule_metrics if m.rule.table == table]
        anomalous: dict[str | None, int] = defaultdict(int)
        for finding in run.findings:
            if any(rules[r].dimension in anomalous_dims for r in finding.rule_ids):
                anomalous[finding.branch] += finding.rows
        per_branch: dict[str, NetworkMeasures] = {}
        for branch in [ALL, *run.rows_by_branch]:
            rows = run.row_count if branch is ALL else run.rows_by_branch[branch]
            bad = sum(anomalous.values()) if branch is ALL else anomalous.get(branch, 0)
            label = ALL if branch is ALL else (branch or UNKNOWN_BRANCH)
            per_branch[label] = NetworkMeasures(
                rows, _pooled(table_metrics, "completeness", branch), _pooled(table_metrics, "reality", branch),
                rate(bad, rows), _duplication(table_metrics, branch),
            )
        out[table] = per_branch
    return out


def _ranking(categories: list[CategoryAccuracy]) -> list[BranchRank]:
    """Branches ranked by 综合信息准确率: all audited categories' entities pooled."""
    totals: dict[str | None, BranchRank] = {}
    for category in categories:
        for branch, (entities, errors) in category.by_branch.items():
            rank = totals.setdefault(branch, BranchRank(branch, 0, 0))
            rank.entities += entities
            rank.error_entities += errors
    ordered = sorted(totals.values(), key=lambda r: (-(r.accuracy or 0), r.branch is None, r.branch or ""))
    for position, rank in enumerate(ordered, start=1):
        rank.rank = position
    return ordered


def compute_metrics(result: RunResult, suite: Suite, targets: list[Target] | None = None) -> Metrics:
    rule_metrics = _rule_metrics(result, suite)
    errors, rules = _error_entities(result, suite), _category_rules(result, suite)
    categories = [_category_accuracy(result, t, errors.get(t.category, {}), rules.get(t.category, 0))
                  for t in (targets or load_targets())]
    return Metrics(rule_metrics, categories, _network(result, suite, rule_metrics), _ranking(categories))
