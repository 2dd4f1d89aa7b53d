"""Pure Expr -> Expr rewrites the planner applies to rule predicates before fusing them."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlglot import exp

from dq.rules.macros import shared_column_is_text
from dq.rules.params import SCHEDULE_FUNCTION, schedule_bind
from dq.schema import Table


def conjuncts(expression: exp.Expression | None) -> list[exp.Expression]:
    """`a AND b AND c` as [a, b, c] (parentheses unwrapped)."""
    if expression is None:
        return []
    expression = expression.unnest()
    if isinstance(expression, exp.And):
        return conjuncts(expression.left) + conjuncts(expression.right)
    return [expression]


def qualify_outer(predicate: exp.Expression, table: Table, alias: str) -> exp.Expression:
    """Point the rule table's columns at the scan alias: bare ones outside subqueries, and `<table>.col` anywhere
    (the correlation side of a subquery), so joins added by the planner cannot shadow them. A subquery over the
    rule's own table must therefore give that table an alias (`FROM ac02 o`)."""

    def rewrite(node: exp.Expression) -> exp.Expression:
        if not isinstance(node, exp.Column):
            return node
        bare_outside = not node.table and node.name in table.columns and node.find_ancestor(exp.Select) is None
        if bare_outside or node.table == table.name:
            return exp.column(node.name, table=alias)
        return node

    return predicate.transform(rewrite)


def rename_table_alias(expression: exp.Expression, old: str, new: str, bare_columns: set[str]) -> exp.Expression:
    """Re-qualify columns of one subquery table under a canonical alias (bare columns of that table included)."""

    def rewrite(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and (node.table == old or (not node.table and node.name in bare_columns)):
            return exp.column(node.name, table=new)
        return node

    return expression.transform(rewrite)


@dataclass(frozen=True)
class BindShapes:
    """How many bound values stand behind a list parameter (`:codes` → `:codes_0` …) and a schedule's steps."""

    lists: dict[str, int] = field(default_factory=dict)
    schedules: dict[str, int] = field(default_factory=dict)


def _schedule_case(name: str, key: exp.Expression, steps: int) -> exp.Expression:
    """`param_at('name', key)` → the value of the latest step starting at or before `key`, NULL before the first
    (a rule then does not judge the record: no parameter, no verdict). A schedule with no steps is NULL."""
    if not steps:
        return exp.null()
    return exp.paren(exp.Case(ifs=[
        exp.If(this=exp.GTE(this=exp.paren(key.copy()), expression=exp.Placeholder(this=schedule_bind(name, i, start=True))),
               true=exp.Placeholder(this=schedule_bind(name, i)))
        for i in reversed(range(steps))
    ]))


def expand_params(expression: exp.Expression, shapes: BindShapes) -> exp.Expression:
    """`x IN (:codes)` with a list parameter → `x IN (:codes_0, :codes_1, …)`, and `param_at('name', key)` → a CASE
    over the schedule's steps: every value still bound, none pasted."""

    def rewrite(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Anonymous) and str(node.this).lower() == SCHEDULE_FUNCTION:
            name = node.expressions[0].name
            return _schedule_case(name, node.expressions[1], shapes.schedules[name])
        if isinstance(node, exp.In) and node.expressions and not node.args.get("query"):
            items: list[exp.Expression] = []
            for item in node.expressions:
                if isinstance(item, exp.Placeholder) and item.name in shapes.lists:
                    items += [exp.Placeholder(this=f"{item.name}_{i}") for i in range(shapes.lists[item.name])]
                else:
                    items.append(item)
            return exp.In(this=node.this, expressions=items) if items else exp.false()
        return node

    return expression.transform(rewrite)


def greatest_least_to_case(node: exp.Expression) -> exp.Expression:
    """GREATEST/LEAST ignore NULLs on PostgreSQL but return NULL on MariaDB: spell out PostgreSQL's meaning."""
    if isinstance(node, (exp.Greatest, exp.Least)) and len(node.expressions) == 1:
        a, b = node.this, node.expressions[0]
        op = exp.GTE if isinstance(node, exp.Greatest) else exp.LTE
        return exp.Case(
            ifs=[
                exp.If(this=exp.Is(this=a.copy(), expression=exp.null()), true=b.copy()),
                exp.If(this=exp.Is(this=b.copy(), expression=exp.null()), true=a.copy()),
                exp.If(this=op(this=a.copy(), expression=b.copy()), true=a.copy()),
            ],
            default=b.copy(),
        )
    return node


TEXT_RESULTS = (exp.Substring, exp.Upper, exp.Lower, exp.Trim, exp.Replace, exp.Concat, exp.DPipe)


def _is_text(node: exp.Expression, text_columns: frozenset[str]) -> bool:
    """Whether an expression yields text, judged from its shape and the national field code it reads."""
    node = node.unnest()
    if isinstance(node, exp.Literal):
        return node.is_string
    if isinstance(node, exp.Column):
        return node.name.removeprefix("c_") in text_columns or shared_column_is_text(node.name)
    if isinstance(node, exp.Min | exp.Max):
        return _is_text(node.this, text_columns)
    if isinstance(node, exp.Case):
        return any(_is_text(branch.args["true"], text_columns) for branch in node.args.get("ifs", []))
    return isinstance(node, TEXT_RESULTS)


def exact_text_comparisons(tree: exp.Expression, collation: str, text_columns: frozenset[str]) -> exp.Expression:
    """On databases whose default collation is case-insensitive (MariaDB), make every text equality, IN list and
    GROUP BY key exact, so 'x' and 'X', 'u1' and 'U1' stay different values as on the other databases."""

    def exact(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Collate) or not _is_text(node, text_columns):
            return node
        return exp.Collate(this=node.copy(), expression=exp.var(collation))

    def rewrite(node: exp.Expression) -> exp.Expression:
        if isinstance(node, (exp.EQ, exp.NEQ)) and (_is_text(node.left, text_columns) or _is_text(node.right, text_columns)):
            if not isinstance(node.left, exp.Collate) and not isinstance(node.right, exp.Collate):
                node.set("this", exp.Collate(this=node.left.copy(), expression=exp.var(collation)))
        elif isinstance(node, exp.In):
            node.set("this", exact(node.this))
        elif isinstance(node, exp.Distinct) and isinstance(node.parent, exp.Count):
            node.set("expressions", [exact(e) for e in node.expressions])
        elif isinstance(node, exp.Select) and node.args.get("group"):
            grouped = node.args["group"].expressions
            keys = {g.sql() for g in grouped}
            node.args["group"].set("expressions", [exact(g) for g in grouped])
            node.set("expressions", [
                exp.alias_(exact(e.unalias()), e.alias) if e.alias and e.unalias().sql() in keys else e
                for e in node.expressions
            ])
        return node

    return tree.transform(rewrite)
