"""results.json: everything a scheduler or another program needs from one run."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from dq.metrics import ALL, Metrics, NetworkMeasures
from dq.model import CATEGORIES, DIMENSIONS, UNKNOWN_BRANCH
from dq.render.files import write_atomically
from dq.run.results import Counts, RunResult

INLINE_FINDINGS_LIMIT = 20_000
FINDINGS_FILE = "findings.csv"


def branch_label(branch: str | None) -> str:
    return branch if branch is not None else UNKNOWN_BRANCH


def _counts(counts: Counts) -> dict[str, Any]:
    return {"population": counts.population, "violations": counts.violations,
            "rate": round(counts.violations / counts.population, 6) if counts.population else None}


def _measures(m: NetworkMeasures) -> dict[str, Any]:
    return {"rows": m.rows, "项目齐全率": m.completeness, "记实率": m.reality, "异常率": m.anomaly, "重复率": m.duplication}


def results_document(result: RunResult, metrics: Metrics, findings_inline: bool) -> dict[str, Any]:
    keys_by_rule: dict[str, list[str]] = {}
    for finding in result.findings():
        for rule_id in finding.rule_ids:
            keys_by_rule.setdefault(rule_id, []).append(finding.key)
    rules = []
    for metric in metrics.rules:
        rule = metric.rule
        entry: dict[str, Any] = {
            "id": rule.id, "name": rule.name, "table": rule.table, "category": rule.category,
            "category_name": CATEGORIES[rule.category], "dimension": rule.dimension,
            "dimension_name": DIMENSIONS[rule.dimension], "severity": rule.severity, "fields": list(rule.fields),
            **_counts(metric.total),
            "by_branch": {branch_label(b): _counts(c) for b, c in sorted(metric.by_branch.items(), key=lambda i: branch_label(i[0]))},
        }
        if findings_inline:
            entry["failing_keys"] = sorted(set(keys_by_rule.get(rule.id, [])))
        else:
            entry["failing_keys_file"] = FINDINGS_FILE
        rules.append(entry)
    return {
        "run": {"period": result.period, "dialect": result.dialect, "database": result.database,
                "suite": result.suite_path, "suite_version": result.suite_version,
                "started_at": result.started_at, "finished_at": result.finished_at,
                "tables": {t: {"rows": r.row_count, "seconds": round(r.seconds, 3), "findings": len(r.findings)}
                           for t, r in result.tables.items()}},
        "categories": [{"category": c.target.category, "name": c.target.label, "target": c.target.target,
                        "entity_label": c.target.entity_label, "rules": c.rules,
                        "entities": c.entities, "error_entities": c.error_entities, "accuracy": c.accuracy, "met": c.met,
                        "by_branch": {branch_label(b): {"entities": n, "error_entities": e}
                                      for b, (n, e) in c.by_branch.items()}}
                       for c in metrics.categories],
        "network_measures": {t: {b: _measures(m) for b, m in per.items()} for t, per in metrics.network.items()},
        "branch_ranking": [{"rank": r.rank, "branch": branch_label(r.branch), "entities": r.entities,
                            "error_entities": r.error_entities, "accuracy": r.accuracy} for r in metrics.ranking],
        "rules": rules,
        "findings": None if findings_inline else {"path": FINDINGS_FILE, "count": len(result.findings())},
    }


def findings_csv(result: RunResult) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["rule_id", "table", "key", "entity", "branch", "rows"])
    for finding in result.findings():
        for rule_id in finding.rule_ids:
            writer.writerow([rule_id, finding.table, finding.key, finding.entity or "", branch_label(finding.branch), finding.rows])
    return out.getvalue()


def write_results(out_dir: Path, result: RunResult, metrics: Metrics) -> Path:
    """Write results.json (and findings.csv when findings are many); returns the results.json path."""
    inline = len(result.findings()) <= INLINE_FINDINGS_LIMIT
    if not inline:
        write_atomically(out_dir / FINDINGS_FILE, findings_csv(result))
    path = out_dir / "results.json"
    write_atomically(path, json.dumps(results_document(result, metrics, inline), ensure_ascii=False, indent=1, default=str))
    return path
