"""Name resolution for rule predicates: which table every column reference reads.

A predicate runs in the scope of its rule's table, its schema relations (`p.aac007`) and, inside a subquery, the
subquery's own FROM tables, innermost first. The loader uses this to reject unknown tables, columns, functions and
parameters before anything reaches a database.
"""
from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from sqlglot import exp

from dq.rules.macros import MACRO_NAMES, macro_parameters
from dq.rules.params import SCHEDULE_FUNCTION
from dq.schema import Schema, Table


@dataclass(frozen=True)
class Unresolved:
    """A name that does not resolve, with its character offset in the predicate text (or None)."""

    offset: int | None
    message: str


def _offset(node: exp.Expression) -> int | None:
    meta = node.this.meta if isinstance(node, exp.Column) and isinstance(node.this, exp.Expression) else node.meta
    return meta.get("start") if meta else None


def outer_scope(table: Table, schema: Schema) -> dict[str, Table]:
    """Aliases visible at the top of a rule on `table`."""
    scope: dict[str, Table] = {"": table, table.name: table}
    for alias, hop in table.relations.items():
        scope[alias] = schema.table(hop.table)
    return scope


def _select_scope(select: exp.Select, schema: Schema) -> tuple[dict[str, Table], list[Unresolved]]:
    scope: dict[str, Table] = {}
    problems: list[Unresolved] = []
    sources = [select.args.get("from_") or select.args.get("from")] + list(select.args.get("joins") or [])
    for source in filter(None, sources):
        for table_node in source.find_all(exp.Table):
            if table_node.name not in schema.tables:
                problems.append(Unresolved(_offset(table_node.this), f"未知的表 {table_node.name}"))
                continue
            scope[table_node.alias_or_name] = schema.table(table_node.name)
            scope.setdefault("", schema.table(table_node.name))
    return scope, problems


def _scopes_for(node: exp.Expression, top: dict[str, Table], schema: Schema) -> list[dict[str, Table]]:
    scopes = []
    select = node.find_ancestor(exp.Select)
    while select is not None:
        scopes.append(_select_scope(select, schema)[0])
        select = select.find_ancestor(exp.Select)
    return scopes + [top]


def _resolve_column(column: exp.Column, scopes: list[dict[str, Table]]) -> Unresolved | None:
    qualifier, name = column.table, column.name
    if qualifier:
        for scope in scopes:
            if qualifier in scope:
                table = scope[qualifier]
                return None if name in table.columns else Unresolved(
                    _offset(column), f"表 {table.name}({qualifier}) 没有字段 {name}"
                )
        return Unresolved(_offset(column), f"未知的表别名 {qualifier}")
    for scope in scopes:
        if any(name in table.columns for table in scope.values()):
            return None
    return Unresolved(_offset(column), f"表 {scopes[-1][''].name} 没有字段 {name}")


def unresolved_names(predicate: exp.Expression, table: Table, schema: Schema, params: set[str],
                     schedules: Collection[str] = ()) -> list[Unresolved]:
    """Every table, column, function and parameter in `predicate` that does not resolve (a `param_at` call must
    name a dated parameter with a text literal and give one key)."""
    top = outer_scope(table, schema)
    problems: list[Unresolved] = []
    for select in predicate.find_all(exp.Select):
        problems += _select_scope(select, schema)[1]
    for column in predicate.find_all(exp.Column):
        if isinstance(column.this, exp.Star):
            continue
        problem = _resolve_column(column, _scopes_for(column, top, schema))
        if problem:
            problems.append(problem)
    for call in predicate.find_all(exp.Anonymous):
        if str(call.this).lower() == SCHEDULE_FUNCTION:
            problems += _schedule_call_problems(call, schedules)
        elif str(call.this).lower() not in MACRO_NAMES:
            problems.append(Unresolved(_offset(call), f"未知的函数或宏 {call.this}()"))
        else:
            missing = sorted(macro_parameters(str(call.this).lower()) - params)
            if missing:
                problems.append(Unresolved(_offset(call), f"宏 {call.this}() 需要参数文件中的 {', '.join(missing)}"))
    for placeholder in predicate.find_all(exp.Placeholder):
        if placeholder.name not in params:
            problems.append(Unresolved(_offset(placeholder), f"未定义的参数 :{placeholder.name}"))
    return problems


def _schedule_call_problems(call: exp.Anonymous, schedules: Collection[str]) -> list[Unresolved]:
    args = call.expressions
    if len(args) != 2 or not isinstance(args[0], exp.Literal) or not args[0].is_string:
        return [Unresolved(_offset(call), f"{SCHEDULE_FUNCTION}('参数名', 键) 需要一个文字参数名和一个键")]
    if args[0].name not in schedules:
        return [Unresolved(_offset(call), f"未定义的分段参数 {args[0].name} (参数文件中须有 steps 与 by)")]
    return []


def parameter_names(expressions: Iterable[exp.Expression | None]) -> set[str]:
    """Every parameter the expressions read: placeholders, `param_at` schedules and the macros' own parameters."""
    names: set[str] = set()
    for expression in (e for e in expressions if e is not None):
        names |= {p.name for p in expression.find_all(exp.Placeholder)}
        for call in expression.find_all(exp.Anonymous):
            name = str(call.this).lower()
            if name == SCHEDULE_FUNCTION and call.expressions and isinstance(call.expressions[0], exp.Literal):
                names.add(call.expressions[0].name)
            elif name in MACRO_NAMES:
                names |= macro_parameters(name)
    return names
