"""The ground truth: for every implemented rule, the rows the generator broke, their keys and branch offices.

It is assembled from the hits recorded while injecting, never by evaluating a rule. Keys and branches are read
off the final frames the way the schema defines them (`key` columns; `branch` column or join path, MIN over
several matches), because they are properties of rows, not verdicts.
"""
from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

from dq.sample.draft import Hit
from dq.sample.frames import member
from dq.schema import load_schema

NULL_KEY = "∅"
NO_BRANCH = "null"


def record_keys(tables: dict[str, pd.DataFrame], table: str, labels: np.ndarray) -> list[str]:
    """The schema key of each row as text, columns joined with '|', NULL as '∅'."""
    key = load_schema().table(table).key
    rows = tables[table].loc[labels, list(key)].astype(object)
    text = rows.where(rows.notna(), NULL_KEY).map(str)
    return text.agg("|".join, axis=1).tolist()


def branches(tables: dict[str, pd.DataFrame], table: str, labels: np.ndarray) -> list[str | None]:
    """The branch each row resolves to through the schema's branch path (MIN over matches, None if none)."""
    path = load_schema().table(table).branch
    if path is None:
        return [None] * len(labels)
    rows = tables[table].loc[labels]
    if not path.via:
        return [v if isinstance(v, str) else None for v in rows[path.column]]
    left = rows[[local for local, _ in path.via[0].on]].reset_index(drop=True)
    left["_row"] = np.arange(len(labels))
    for i, hop in enumerate(path.via):
        following = [local for local, _ in path.via[i + 1].on] if i + 1 < len(path.via) else [path.column]
        remote = list(dict.fromkeys([r for _, r in hop.on] + following))
        left = left.dropna(subset=[local for local, _ in hop.on])
        target = tables[hop.table]
        near = member(target[hop.on[0][1]].to_numpy(), left[hop.on[0][0]].to_numpy())
        right = target.loc[near, remote].dropna(subset=[r for _, r in hop.on]).add_prefix("r_")
        merged = left.merge(right, left_on=[local for local, _ in hop.on], right_on=[f"r_{r}" for _, r in hop.on])
        left = pd.DataFrame({"_row": merged["_row"], **{c: merged[f"r_{c}"] for c in following}})
    found = left.dropna(subset=[path.column]).groupby("_row")[path.column].min()
    return [found.get(i) for i in range(len(labels))]


def _row_facts(tables: dict[str, pd.DataFrame], table: str, labels: set[int]) -> dict[int, tuple[str, str]]:
    """Key and branch of each broken row of one table, resolved in one pass."""
    ordered = np.array(sorted(labels), dtype=np.int64)
    found = branches(tables, table, ordered)
    return {int(label): (key, branch if branch is not None else NO_BRANCH)
            for label, key, branch in zip(ordered, record_keys(tables, table, ordered), found)}


def _rule_tables(hits: list[Hit]) -> dict[str, str]:
    """The table each broken rule's rows belong to, read off the hits; a rule hit on two tables is a generator
    bug (a rule evaluates one table), so it stops the build instead of producing a manifest no audit can match."""
    tables: dict[str, str] = {}
    for hit in hits:
        for rule in hit.rules:
            if tables.setdefault(rule, hit.table) != hit.table:
                raise ValueError(f"{rule} 的缺陷记在 {tables[rule]} 和 {hit.table} 两张表上, 规则只检查一张表")
    return dict(sorted(tables.items()))


def _broken_rows(tables: dict[str, pd.DataFrame], hits: list[Hit]) -> dict[str, list[tuple[str, str]]]:
    """Per broken rule, the (key, branch) of each broken row, in label order."""
    rule_tables = _rule_tables(hits)
    broken: dict[str, set[int]] = {rule: set() for rule in rule_tables}
    for hit in hits:
        for rule in hit.rules:
            broken[rule].update(int(label) for label in hit.labels)
    row_facts = {}
    for table in sorted(set(rule_tables.values())):
        labels = set().union(*(broken[r] for r, t in rule_tables.items() if t == table))
        row_facts[table] = _row_facts(tables, table, labels)
    return {rule: [row_facts[rule_tables[rule]][label] for label in sorted(labels)]
            for rule, labels in broken.items() if labels}  # a defect may find no row of a kind (e.g. no retiree)


def finding_branches(tables: dict[str, pd.DataFrame], hits: list[Hit]) -> dict[str, dict[str, str | None]]:
    """Per broken rule, each failing record key with its branch: the lowest branch code of the key's rows (None
    when none has one), as the history store names a key found in several branches."""
    findings: dict[str, dict[str, str | None]] = {}
    for rule, facts in _broken_rows(tables, hits).items():
        keys: dict[str, set[str]] = {}
        for key, branch in facts:
            keys.setdefault(key, set()).update({branch} - {NO_BRANCH})
        findings[rule] = {key: min(found, default=None) for key, found in sorted(keys.items())}
    return findings


def build_manifest(persons: int, seed: int, period: str, tables: dict[str, pd.DataFrame], hits: list[Hit]) -> dict:
    rule_tables = _rule_tables(hits)
    rules = {}
    for rule, facts in _broken_rows(tables, hits).items():
        rules[rule] = {
            "table": rule_tables[rule],
            "violations": len(facts),
            "keys": sorted({key for key, _ in facts}),
            "by_branch": dict(sorted(Counter(branch for _, branch in facts).items())),
        }
    return {"persons": persons, "seed": seed, "period": period, "rules": rules,
            "tables": {name: len(frame) for name, frame in tables.items()}}
