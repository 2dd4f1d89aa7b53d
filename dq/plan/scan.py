"""One fused scan per table: every row-level, duplicate and cross-table rule of the table in ONE statement.

The statement returns, grouped by (branch, person category, failing?, failing row's key), the row count and each
rule's population and violation count. Clean rows collapse into one group per branch, and every failing row keeps
its key with the rules it fails, so one pass yields both the metrics and the error lists (design.md §3).

Set-level rules do not cost separate statements: each correlated subquery shape becomes one grouped LEFT JOIN
shared by every rule that uses it (ten rules reading ab01 join ab01 once), each duplicate key one grouped join.
Every join is on a grouped (unique-key) subquery, so no join can multiply rows, even on the duplicate keys the
audit exists to find.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlglot import exp

from dq.model import Rule
from dq.plan.rewrite import (
    BindShapes, conjuncts, expand_params, greatest_least_to_case, qualify_outer, rename_table_alias,
)
from dq.rules.macros import MACRO_NAMES, expand_macros, shared_column
from dq.schema import Hop, Schema, Table

ROW = "t"  # alias of the audited table inside its scan
AGGREGATES = (exp.Sum, exp.Min, exp.Max, exp.Count, exp.Avg)


@dataclass(frozen=True)
class RuleColumns:
    """Where one rule's figures are in a scan's result."""

    rule_id: str
    population: str
    violations: str
    excess: str | None = None  # duplicates: Σ (group size - 1) / group size → 重复率 numerator


@dataclass(frozen=True)
class TableScan:
    table: str
    rules: tuple[RuleColumns, ...]
    key_columns: tuple[str, ...]
    entity_column: str | None
    has_category: bool
    entity_sets: tuple[tuple[str, str], ...]  # (entity set name, column of its per-group row count)
    select: exp.Select
    rows: exp.Select  # the row-level layer under `select`: one row per audited record with every rule's flags
    joins: tuple[str, ...]  # one line per shared join, for `dq plan`

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return tuple(r.rule_id for r in self.rules)


def _alias(name: str) -> str:
    return name.lower()


@dataclass
class _Group:
    """One decorrelated subquery shape: `table` grouped by correlation expressions, with its aggregates."""

    alias: str
    table: str
    inner: tuple[exp.Expression, ...]
    outer: tuple[exp.Expression, ...]
    aggregates: dict[str, tuple[str, exp.Expression]] = field(default_factory=dict)  # sql -> (alias, expr)

    def add(self, aggregate: exp.Expression) -> exp.Column:
        key = aggregate.sql()
        if key not in self.aggregates:
            self.aggregates[key] = (f"x{len(self.aggregates)}", aggregate)
        return exp.column(self.aggregates[key][0], table=self.alias)

    def subquery(self) -> exp.Select:
        select = exp.select(*[exp.alias_(e.copy(), f"j{i}") for i, e in enumerate(self.inner)])
        select = select.select(*[exp.alias_(a.copy(), name) for name, a in self.aggregates.values()])
        return select.from_(exp.to_table(self.table).as_("g")).group_by(*[e.copy() for e in self.inner])


# What a shared macro argument may contain: it is evaluated for EVERY row (not only where a rule's CASE reaches
# it), so nothing that can raise (casts, division) and nothing but the row's own columns.
SHAREABLE_ARGUMENT = (exp.Column, exp.Literal, exp.Anonymous, exp.Paren, exp.Substring, exp.Trim, exp.Upper,
                      exp.Lower, exp.Length, exp.DPipe, exp.Concat, exp.Replace, exp.Placeholder, exp.Identifier,
                      exp.Var)


class _ScanBuilder:
    def __init__(self, table: Table, schema: Schema, shapes: BindShapes):
        self.table, self.schema, self.shapes = table, schema, shapes
        self.derived: dict[str, tuple[str, exp.Expression]] = {}  # macro call sql -> (column, expansion over ROW)
        self.lookups: dict[str, set[str]] = {}  # relation alias -> columns read
        self.groups: dict[tuple, _Group] = {}
        self.duplicates: dict[str, tuple[str, exp.Select, tuple[exp.Expression, ...]]] = {}

    # -- predicates --------------------------------------------------------------------------------------------
    def prepare(self, predicate: exp.Expression, *, shared: bool = True) -> exp.Expression:
        """Canonical rule SQL → SQL over the scan's FROM clause. With `shared`, each macro call on the row's own
        columns becomes a column of the derived layer, computed once per row whatever the number of rules using
        it (id_ok(aac002) serves P10, P16 and P18); without it (inside a duplicate's grouped subquery, which reads
        the base table) the macro is expanded in place."""
        tree = predicate.copy()
        if shared:
            tree = tree.transform(self._share_macro)
        tree = expand_macros(tree)
        # Before decorrelation, which moves subquery conditions into grouped joins this tree no longer holds.
        tree = expand_params(tree, self.shapes)
        tree = tree.transform(greatest_least_to_case)
        tree = qualify_outer(tree, self.table, ROW)
        tree = tree.transform(self._decorrelate)
        return tree.transform(self._read_relation)

    def _shareable(self, call: exp.Expression) -> bool:
        return call.find_ancestor(exp.Select) is None and all(
            isinstance(n, SHAREABLE_ARGUMENT)
            and (not isinstance(n, exp.Column) or (not n.table and n.name in self.table.columns))
            for arg in (call.expressions if isinstance(call, exp.Anonymous) else [call.this])
            for n in arg.walk()
        )

    def _share_macro(self, node: exp.Expression) -> exp.Expression:
        """A macro call, or a regex match (`aac002 ~ '^[0-9]'` guards four P rules), on the row's own columns →
        a column of the derived layer."""
        if isinstance(node, exp.Anonymous) and str(node.this).lower() in MACRO_NAMES and self._shareable(node):
            name = str(node.this).lower()
        elif isinstance(node, exp.RegexpLike) and isinstance(node.expression, exp.Literal) and self._shareable(node):
            name = "re"
        else:
            return node
        key = node.sql()
        if key not in self.derived:
            expansion = qualify_outer(expand_params(expand_macros(node.copy()), self.shapes), self.table, ROW)
            self.derived[key] = (shared_column(name, len(self.derived)), expansion)
        return exp.column(self.derived[key][0], table=ROW)

    def derived_source(self, fence: bool) -> exp.Expression:
        """The audited table, widened by one column per shared macro call (the table itself when none)."""
        base = exp.to_table(self.table.name).as_(ROW)
        if not self.derived:
            return base
        select = exp.select(exp.Column(this=exp.Star(), table=exp.to_identifier(ROW)))
        select = select.select(*[exp.alias_(e.copy(), name) for name, e in self.derived.values()]).from_(base)
        if fence:  # PostgreSQL would pull the subquery up and substitute each expression into every reference
            select = select.offset(0)
        return exp.Subquery(this=select, alias=exp.TableAlias(this=exp.to_identifier(ROW)))

    def _read_relation(self, node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and node.table in self.table.relations:
            self.lookups.setdefault(node.table, set()).add(node.name)
            return exp.column(f"c_{node.name}", table=f"rel_{node.table}")
        return node

    def _decorrelate(self, node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Exists):
            return self._rewrite_subquery(node.this, exists=True) or node
        if isinstance(node, exp.Subquery) and isinstance(node.this, exp.Select) and not isinstance(node.parent, exp.In):
            return self._rewrite_subquery(node.this, exists=False) or node
        return node

    def _split_correlation(self, select: exp.Select) -> tuple[str, str, list, list] | None:
        """(inner table, its alias, [(inner expr, outer expr)], [local conjuncts]) or None if not decorrelatable."""
        source = select.args.get("from_") or select.args.get("from")
        if select.args.get("joins") or select.args.get("group") or source is None:
            return None
        inner = source.this
        if not isinstance(inner, exp.Table):
            return None
        pairs, local = [], []
        for term in conjuncts(select.args["where"].this if select.args.get("where") else None):
            outer_refs = [c for c in term.find_all(exp.Column) if c.table == ROW]
            if not outer_refs:
                local.append(term)
            elif isinstance(term, exp.EQ) and not any(c.table == ROW for c in term.left.find_all(exp.Column)):
                pairs.append((term.left, term.right))
            elif isinstance(term, exp.EQ) and not any(c.table == ROW for c in term.right.find_all(exp.Column)):
                pairs.append((term.right, term.left))
            else:
                return None
        if not pairs or any(c.table in self.table.relations for p in pairs for c in p[1].find_all(exp.Column)):
            return None
        return inner.name, inner.alias_or_name, pairs, local

    def _rewrite_subquery(self, select: exp.Select, *, exists: bool) -> exp.Expression | None:
        split = self._split_correlation(select)
        if split is None:
            return None
        table_name, alias, pairs, local = split
        bare = set(self.schema.table(table_name).columns)
        canon = lambda e: rename_table_alias(e.copy(), alias, "g", bare)  # noqa: E731
        inner = tuple(canon(i) for i, _ in pairs)
        outer = tuple(o.copy() for _, o in pairs)
        signature = (table_name, tuple(e.sql() for e in inner), tuple(e.sql() for e in outer))
        group = self.groups.setdefault(signature, _Group(f"sq{len(self.groups)}", table_name, inner, outer))
        condition = exp.and_(*[canon(t) for t in local]) if local else None
        if exists:
            flag = exp.Case(ifs=[exp.If(this=condition, true=exp.Literal.number(1))], default=exp.Literal.number(0)) \
                if condition is not None else exp.Literal.number(1)
            column = group.add(exp.Max(this=flag))
            return exp.EQ(this=exp.func("COALESCE", column, exp.Literal.number(0)), expression=exp.Literal.number(1))
        projection = select.expressions[0].unalias() if len(select.expressions) == 1 else None
        if not isinstance(projection, AGGREGATES):
            return None
        aggregate = canon(projection)
        if condition is not None:
            argument = aggregate.this
            distinct = isinstance(argument, exp.Distinct)
            value = argument.expressions[0] if distinct else argument
            value = exp.Literal.number(1) if isinstance(value, exp.Star) else value
            guarded = exp.Case(ifs=[exp.If(this=condition, true=value.copy())])
            aggregate.set("this", exp.Distinct(expressions=[guarded]) if distinct else guarded)
        column = group.add(aggregate)
        return exp.func("COALESCE", column, exp.Literal.number(0)) if isinstance(aggregate, exp.Count) else column

    # -- joins -------------------------------------------------------------------------------------------------
    def _hop_subquery(self, hops: tuple[Hop, ...], target_column: str, out_alias: str) -> tuple[exp.Select, list[str]]:
        """Grouped lookup along a join path: first hop's remote columns → MIN(target column)."""
        first = hops[0]
        select = exp.select(*[exp.alias_(exp.column(r, table="h0"), f"j{i}") for i, (_, r) in enumerate(first.on)])
        select = select.from_(exp.to_table(first.table).as_("h0"))
        for n, hop in enumerate(hops[1:], start=1):
            on = exp.and_(*[exp.EQ(this=exp.column(r, table=f"h{n}"), expression=exp.column(l, table=f"h{n - 1}"))
                            for l, r in hop.on])
            select = select.join(exp.to_table(hop.table).as_(f"h{n}"), on=on)
        last = f"h{len(hops) - 1}"
        select = select.select(exp.alias_(exp.Min(this=exp.column(target_column, table=last)), out_alias))
        return select.group_by(*[exp.column(r, table="h0") for _, r in first.on]), [l for l, _ in first.on]

    def _join(self, query: exp.Select, subquery: exp.Select, alias: str, on: exp.Expression) -> exp.Select:
        return query.join(exp.Subquery(this=subquery, alias=exp.TableAlias(this=exp.to_identifier(alias))),
                          on=on, join_type="LEFT", copy=False)

    def _lookup_joins(self, query: exp.Select) -> tuple[exp.Select, list[str]]:
        described = []
        for alias, columns in sorted(self.lookups.items()):
            hop = self.table.relations[alias]
            select = exp.select(*[exp.alias_(exp.column(r), f"j{i}") for i, (_, r) in enumerate(hop.on)])
            select = select.select(*[exp.alias_(exp.Min(this=exp.column(c)), f"c_{c}") for c in sorted(columns)])
            select = select.from_(hop.table).group_by(*[exp.column(r) for _, r in hop.on])
            on = exp.and_(*[exp.EQ(this=exp.column(f"j{i}", table=f"rel_{alias}"), expression=exp.column(l, table=ROW))
                            for i, (l, _) in enumerate(hop.on)])
            query = self._join(query, select, f"rel_{alias}", on)
            described.append(f"关联查找 rel_{alias}: {hop.table} ON {', '.join(f'{l}={r}' for l, r in hop.on)} → {', '.join(sorted(columns))}")
        return query, described

    def _group_joins(self, query: exp.Select) -> tuple[exp.Select, list[str]]:
        described = []
        for group in self.groups.values():
            on = exp.and_(*[exp.EQ(this=exp.column(f"j{i}", table=group.alias), expression=o.copy())
                            for i, o in enumerate(group.outer)])
            query = self._join(query, group.subquery(), group.alias, on)
            described.append(f"子查询合并 {group.alias}: {group.table} 按 {', '.join(e.sql() for e in group.inner)} 分组, {len(group.aggregates)} 个聚合")
        return query, described

    def _branch(self, query: exp.Select) -> tuple[exp.Select, exp.Expression, list[str]]:
        path = self.table.branch
        if path is None:
            return query, exp.null(), ["经办机构: 无 (全部计入未知经办机构)"]
        if not path.via:
            return query, exp.column(path.column, table=ROW), [f"经办机构: {self.table.name}.{path.column}"]
        subquery, locals_ = self._hop_subquery(path.via, path.column, "branch")
        on = exp.and_(*[exp.EQ(this=exp.column(f"j{i}", table="br"), expression=exp.column(l, table=ROW))
                        for i, l in enumerate(locals_)])
        route = " → ".join(h.table for h in path.via)
        return self._join(query, subquery, "br", on), exp.column("branch", table="br"), [f"经办机构: {route}.{path.column}"]

    # -- duplicates --------------------------------------------------------------------------------------------
    def duplicate_group(self, rule: Rule) -> tuple[str, exp.Expression, exp.Expression]:
        """(join alias, population predicate, violation predicate) of a duplicate rule; registers its join."""
        spec = rule.duplicate

        def filters_of(keys: tuple[exp.Expression, ...], where: exp.Expression | None) -> list[exp.Expression]:
            return [exp.Not(this=exp.Is(this=k.copy(), expression=exp.null())) for k in keys] + \
                ([where] if where is not None else [])

        inner_keys = tuple(self.prepare(k, shared=False) for k in spec.key)
        inner_where = self.prepare(spec.where, shared=False) if spec.where is not None else None
        filters = filters_of(inner_keys, inner_where)
        keys = tuple(self.prepare(k) for k in spec.key)
        where = self.prepare(spec.where) if spec.where is not None else None
        population_filters = ([where] if where is not None else []) if spec.nulls_fail else filters_of(keys, where)
        count = exp.Count(this=exp.Distinct(expressions=[self.prepare(spec.distinct, shared=False)])) \
            if spec.distinct is not None else exp.Count(this=exp.Star())
        select = exp.select(*[exp.alias_(k.copy(), f"d{i}") for i, k in enumerate(inner_keys)])
        select = select.select(exp.alias_(exp.Count(this=exp.Star()), "n"))
        signature = f"{[k.sql() for k in inner_keys]}|{inner_where.sql() if inner_where else ''}|{count.sql()}"
        if signature not in self.duplicates:
            alias = f"dup{len(self.duplicates)}"
            base = select.from_(exp.to_table(self.table.name).as_(ROW)).where(exp.and_(*[f.copy() for f in filters]))
            grouped = base.group_by(*[k.copy() for k in inner_keys]).having(exp.GT(this=count, expression=exp.Literal.number(1)))
            self.duplicates[signature] = (alias, grouped, keys)
        alias = self.duplicates[signature][0]
        population = exp.and_(*[f.copy() for f in population_filters]) if population_filters else None
        grouped = exp.Not(this=exp.Is(this=exp.column("n", table=alias), expression=exp.null()))
        if spec.nulls_fail:  # a record without its key is as unusable as a duplicate one (P01 个人编号为空/重复)
            grouped = exp.or_(*[exp.Is(this=k.copy(), expression=exp.null()) for k in keys], grouped)
        return alias, population, grouped

    def _duplicate_joins(self, query: exp.Select) -> tuple[exp.Select, list[str]]:
        described = []
        for alias, grouped, keys in self.duplicates.values():
            grouped, _ = self._lookup_joins_into(grouped)
            on = exp.and_(*[exp.EQ(this=exp.column(f"d{i}", table=alias), expression=k.copy()) for i, k in enumerate(keys)])
            query = self._join(query, grouped, alias, on)
            described.append(f"重复分组 {alias}: 按 {', '.join(k.sql() for k in keys)}")
        return query, described

    def _lookup_joins_into(self, query: exp.Select) -> tuple[exp.Select, list[str]]:
        """Relation lookups a duplicate key needs inside its own grouped subquery."""
        used = {c.table[len("rel_"):] for c in query.find_all(exp.Column) if c.table.startswith("rel_")}
        saved, self.lookups = self.lookups, {a: cols for a, cols in self.lookups.items() if a in used}
        try:
            return self._lookup_joins(query)
        finally:
            self.lookups = saved

    def from_clause(self, fence: bool) -> tuple[exp.Select, exp.Expression, list[str]]:
        query = exp.select().from_(self.derived_source(fence))
        query, branch, described = self._branch(query)
        for add in (self._lookup_joins, self._group_joins, self._duplicate_joins):
            query, lines = add(query)
            described += lines
        described += [f"共用宏 {name}: {key}" for key, (name, _) in self.derived.items()]
        return query, branch, described


def _flag(condition: exp.Expression | None) -> exp.Expression:
    if condition is None:
        return exp.Literal.number(1)
    return exp.Case(ifs=[exp.If(this=condition, true=exp.Literal.number(1))], default=exp.Literal.number(0))


def build_table_scan(
    table: Table, rules: list[Rule], schema: Schema, shapes: BindShapes, *, fence: bool = False
) -> TableScan:
    """Fuse every implemented rule of one table into one statement (a dialect-neutral tree but for `fence`, the
    target's optimisation fence that keeps shared macro columns evaluated once; see dialects.render)."""
    builder = _ScanBuilder(table, schema, shapes)
    measures: list[tuple[RuleColumns, exp.Expression, exp.Expression, exp.Expression | None]] = []
    for rule in rules:
        when = builder.prepare(rule.when) if rule.when is not None else None
        if rule.duplicate is not None:
            alias, population, violation = builder.duplicate_group(rule)
            when = exp.and_(*[p for p in (population, when) if p is not None]) if population or when else None
            size = exp.column("n", table=alias)
            excess = exp.Div(this=exp.Sub(this=size, expression=exp.Literal.number(1)),
                             expression=exp.Mul(this=size.copy(), expression=exp.Literal.number("1.0")))
        else:
            violation, excess = builder.prepare(rule.violation), None
        fails = exp.and_(exp.paren(when.copy()), exp.paren(violation)) if when is not None else violation
        name = _alias(rule.id)
        columns = RuleColumns(rule.id, f"n_{name}", f"v_{name}", f"e_{name}" if excess is not None else None)
        excess_expr = exp.Case(ifs=[exp.If(this=fails.copy(), true=excess)], default=exp.Literal.number(0)) \
            if excess is not None else None
        measures.append((columns, _flag(when), _flag(fails), excess_expr))

    entity_sets = tuple((name, f"es_{_alias(name)}") for name in table.entity_sets)
    set_flags = [_flag(builder.prepare(exp.maybe_parse(table.entity_sets[name], dialect="postgres")))
                 for name, _ in entity_sets]
    query, branch, described = builder.from_clause(fence)
    keys = [f"k{i}" for i in range(len(table.key))]
    entity = table.entity if table.entity and (table.entity,) != table.key else None
    projections: list[exp.Expression] = [exp.alias_(exp.column(k, table=ROW), a) for k, a in zip(table.key, keys)]
    projections.append(exp.alias_(branch, "branch"))
    if entity:
        projections.append(exp.alias_(exp.column(entity, table=ROW), "ent"))
    if table.person_category:
        category = qualify_outer(exp.maybe_parse(table.person_category, dialect="postgres"), table, ROW)
        projections.append(exp.alias_(category, "cat"))
    projections += [exp.alias_(flag, column) for flag, (_, column) in zip(set_flags, entity_sets)]
    for columns, population, fails, excess in measures:
        projections += [exp.alias_(population, columns.population), exp.alias_(fails, columns.violations)]
        if excess is not None:
            projections.append(exp.alias_(excess, columns.excess))
    inner = query.select(*projections, copy=False)

    failing = exp.GT(this=_sum_of([c.violations for c, *_ in measures]), expression=exp.Literal.number(0))
    group_columns = ["branch"] + (["cat"] if table.person_category else [])
    carried = keys + (["ent"] if entity else [])
    figures = [c for _, c in entity_sets] + [c for m in measures for c in (m[0].population, m[0].violations, m[0].excess) if c]
    middle = exp.select(
        *group_columns, exp.alias_(_flag(failing), "failing"),
        *[exp.alias_(exp.Case(ifs=[exp.If(this=failing.copy(), true=exp.column(c))]), f"f{c}") for c in carried],
        *figures, copy=False,
    ).from_(exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier("r"))), copy=False)

    grouping = group_columns + ["failing"] + [f"f{c}" for c in carried]
    outer = exp.select(
        *grouping, exp.alias_(exp.Count(this=exp.Star()), "row_count"),
        *[exp.alias_(exp.Sum(this=exp.column(c)), c) for c in figures], copy=False,
    ).from_(exp.Subquery(this=middle, alias=exp.TableAlias(this=exp.to_identifier("m"))), copy=False)
    outer = outer.group_by(*grouping, copy=False)
    return TableScan(
        table=table.name,
        rules=tuple(m[0] for m in measures),
        key_columns=tuple(f"f{k}" for k in keys),
        entity_column="fent" if entity else None,
        has_category=bool(table.person_category),
        entity_sets=entity_sets,
        select=outer,
        rows=inner,
        joins=tuple(described),
    )


def _sum_of(columns: list[str]) -> exp.Expression:
    total: exp.Expression = exp.column(columns[0])
    for column in columns[1:]:
        total = exp.Add(this=total, expression=exp.column(column))
    return total
