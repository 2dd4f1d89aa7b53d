"""Shorthands for common rule shapes; each expands into the canonical predicate form.

A new shape costs one entry in SHORTHANDS (design.md §2). The expansions are SQL text so that the loader parses and
checks them exactly like a hand-written predicate.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dq.schema import Table


class ShorthandError(ValueError):
    """A shorthand's value has the wrong shape."""


@dataclass(frozen=True)
class Expansion:
    """SQL text for the rule's clauses; `duplicate` holds the raw mapping for the duplicate shape."""

    when: str | None = None
    violation: str | None = None
    duplicate: dict[str, Any] | None = None


def _not_null(value: Any, table: Table) -> Expansion:
    column = table.column(str(value))
    empty = f"{column.name} IS NULL OR TRIM({column.name}) = ''" if column.is_text else f"{column.name} IS NULL"
    return Expansion(violation=empty)


def _in_codes(value: Any, table: Table) -> Expansion:
    if not isinstance(value, dict) or set(value) != {"column", "codes"}:
        raise ShorthandError("in_codes 需要 {column: 字段, codes: 代码类别}")
    column = table.column(str(value["column"])).name
    return Expansion(when=f"{column} IS NOT NULL", violation=f"code_bad('{value['codes']}', {column})")


def _references(value: Any, table: Table) -> Expansion:
    if not isinstance(value, dict) or set(value) != {"table", "on"} or not isinstance(value["on"], dict):
        raise ShorthandError("references 需要 {table: 表, on: {本表字段: 对方字段}}")
    other = str(value["table"])
    pairs = [(table.column(str(local)).name, str(remote)) for local, remote in value["on"].items()]
    match = " AND ".join(f"x.{remote} = {table.name}.{local}" for local, remote in pairs)
    present = " AND ".join(f"{local} IS NOT NULL" for local, _ in pairs)
    return Expansion(when=present, violation=f"NOT EXISTS (SELECT 1 FROM {other} x WHERE {match})")


def _duplicate(value: Any, table: Table) -> Expansion:
    if not isinstance(value, dict) or "key" not in value or not set(value) <= {"key", "distinct", "where", "nulls"}:
        raise ShorthandError("duplicate 需要 {key: [表达式…], distinct: 表达式?, where: 条件?, nulls: fail?}")
    if value.get("nulls", "skip") not in ("skip", "fail"):
        raise ShorthandError("duplicate.nulls 取值为 skip (默认, 空键不参与) 或 fail (空键即违规)")
    keys = value["key"] if isinstance(value["key"], list) else [value["key"]]
    return Expansion(duplicate={**value, "key": [str(k) for k in keys]})


SHORTHANDS: dict[str, Callable[[Any, Table], Expansion]] = {
    "not_null": _not_null,
    "in_codes": _in_codes,
    "references": _references,
    "duplicate": _duplicate,
}
