"""Target databases as small data records, and the one place SQL text is rendered.

sqlglot keeps syntax right but passes unsupported constructs through silently (stack-notes.md §2), so each target
declares what it can do and `render` writes the portable form itself. Nothing outside `dq.plan` asks which
database it is on.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from sqlglot import exp
from sqlglot.dialects.mysql import MySQL
from sqlglot.errors import ErrorLevel

from dq.plan.rewrite import exact_text_comparisons
from dq.schema import load_schema


class MariaDB(MySQL):
    """MySQL dialect as MariaDB runs it: MariaDB has REGEXP but no REGEXP_LIKE (error 1305)."""

    class Generator(MySQL.Generator):
        TRANSFORMS = {
            **MySQL.Generator.TRANSFORMS,
            exp.RegexpLike: lambda self, e: f"{self.sql(e, 'this')} REGEXP {self.sql(e, 'expression')}",
        }


@dataclass(frozen=True)
class DialectCaps:
    name: str
    sqlglot_dialect: str | type
    # SQLite has no REGEXP function of its own: dq registers a Python one on every connection.
    regex_udf: bool = False
    # MariaDB compares and groups text case-insensitively by default (utf8mb4_general_ci): 'x' = 'X'.
    case_insensitive_text: bool = False
    # Collation that makes text comparisons exact where the default is case-insensitive.
    binary_collation: str | None = None
    # PostgreSQL flattens a FROM subquery and substitutes its expressions into every reference; OFFSET 0 stops it,
    # so a macro shared by several rules is evaluated once per row.
    subquery_fence: bool = False


DIALECTS: dict[str, DialectCaps] = {
    "sqlite": DialectCaps("sqlite", "sqlite", regex_udf=True),
    "duckdb": DialectCaps("duckdb", "duckdb"),
    "postgresql": DialectCaps("postgresql", "postgres", subquery_fence=True),
    "mysql": DialectCaps("mysql", MariaDB, case_insensitive_text=True, binary_collation="utf8mb4_bin"),
}
ALIASES = {"postgres": "postgresql", "mariadb": "mysql", "pg": "postgresql"}


def dialect_caps(name: str) -> DialectCaps:
    """Capabilities of a target, by SQLAlchemy dialect name (sqlite, duckdb, postgresql, mysql/mariadb)."""
    key = ALIASES.get(name, name)
    try:
        return DIALECTS[key]
    except KeyError:
        supported = ", ".join(sorted(DIALECTS))
        from dq.errors import SourceError

        raise SourceError(f"不支持的数据库类型 {name} (supported: {supported}, mariadb)") from None


def _placeholders_to_binds(node: exp.Expression) -> exp.Expression:
    """`:name` for SQLAlchemy text(), whatever the driver's own paramstyle (sqlglot would emit %(name)s / $name)."""
    if isinstance(node, exp.Placeholder):
        return exp.var(f":{node.name}")
    return node


def _case_sensitive_regex(node: exp.Expression) -> exp.Expression:
    """MariaDB regexes follow the column collation; PCRE's (?-i) restores exact matching and keeps UTF-8 classes."""
    if isinstance(node, exp.RegexpLike) and isinstance(node.expression, exp.Literal):
        return exp.RegexpLike(this=node.this, expression=exp.Literal.string("(?-i)" + node.expression.this))
    return node


def _left_right_to_substr(node: exp.Expression) -> exp.Expression:
    """SQLite has no LEFT/RIGHT; SUBSTR with a computed start runs everywhere."""
    if isinstance(node, exp.Left):
        return exp.Substring(this=node.this, start=exp.Literal.number(1), length=node.expression)
    if isinstance(node, exp.Right):
        start = exp.Add(this=exp.Sub(this=exp.Length(this=node.this.copy()), expression=node.expression.copy()),
                        expression=exp.Literal.number(1))
        return exp.Substring(this=node.this, start=start, length=node.expression)
    return node


@cache
def _text_columns() -> frozenset[str]:
    """National field codes stored as text (a code means the same thing, and has one type, in every table)."""
    return frozenset(c.name for t in load_schema().tables.values() for c in t.columns.values() if c.is_text)


def render(expression: exp.Expression, caps: DialectCaps) -> str:
    """Render a plan tree as SQL text for one target (the only place text is produced)."""
    tree = expression.copy().transform(_left_right_to_substr).transform(_placeholders_to_binds)
    if caps.case_insensitive_text:
        tree = tree.transform(_case_sensitive_regex)
        tree = exact_text_comparisons(tree, caps.binary_collation or "", _text_columns())
    return tree.sql(dialect=caps.sqlglot_dialect, unsupported_level=ErrorLevel.RAISE, pretty=True)
