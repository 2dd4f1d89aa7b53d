"""The logical schema: tables, their keys, how each row finds its branch office, and column types.

Rules are written against this schema, the planner reads keys and branch paths from it, and the sample city is
created from it, so one file (`logical.yaml`) is the single source of truth.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from ruamel.yaml import YAML

from dq.errors import SchemaError

SCHEMA_FILE = Path(__file__).with_name("logical.yaml")

_TEXT = re.compile(r"^text\((\d+)\)$")
KINDS = ("text", "d8", "ym", "int", "num", "rate")


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # one of KINDS
    length: int | None
    label: str
    required: bool

    @property
    def is_text(self) -> bool:
        """Text-stored columns (codes, names, and dates kept as YYYYMMDD strings)."""
        return self.kind in ("text", "d8", "ym")

    def sqlalchemy_type(self) -> sa.types.TypeEngine:
        return {
            "text": lambda: sa.String(self.length),
            "d8": lambda: sa.String(10),  # text dates arrive as 2023-01-01 too
            "ym": lambda: sa.String(10),
            "int": lambda: sa.BigInteger(),
            "num": lambda: sa.Numeric(16, 2),
            "rate": lambda: sa.Numeric(10, 4),
        }[self.kind]()


@dataclass(frozen=True)
class Hop:
    """One join step: from the previous table to `table`, matching local columns to remote ones."""

    table: str
    on: tuple[tuple[str, str], ...]  # (local column, remote column)


@dataclass(frozen=True)
class BranchPath:
    """How a row finds its 经办机构: a column of its own, or the column at the end of a chain of joins."""

    column: str
    via: tuple[Hop, ...] = ()


@dataclass(frozen=True)
class Table:
    name: str
    label: str
    columns: dict[str, Column]
    key: tuple[str, ...]
    entity: str | None
    branch: BranchPath | None
    relations: dict[str, Hop] = field(default_factory=dict)
    person_category: str | None = None
    # Named subsets of the rows, counted per branch by the table's scan: the entities of a 信息准确率 category
    # that is a part of a table (死亡人员 = ac01 rows whose 生存状态 says dead), as predicates in rule SQL.
    entity_sets: dict[str, str] = field(default_factory=dict)

    def column(self, name: str) -> Column:
        try:
            return self.columns[name]
        except KeyError:
            raise SchemaError(f"表 {self.name} 没有字段 {name}") from None


@dataclass(frozen=True)
class Schema:
    tables: dict[str, Table]

    def table(self, name: str) -> Table:
        try:
            return self.tables[name]
        except KeyError:
            known = ", ".join(sorted(self.tables))
            raise SchemaError(f"未知的表 {name} (known tables: {known})") from None


def _column(name: str, spec: dict) -> Column:
    kind_text = str(spec["type"])
    match = _TEXT.match(kind_text)
    kind, length = ("text", int(match.group(1))) if match else (kind_text, None)
    if kind not in KINDS:
        raise SchemaError(f"字段 {name} 的类型 {kind_text} 不可识别 (one of text(n), {', '.join(KINDS[1:])})")
    return Column(name, kind, length, str(spec.get("label", name)), bool(spec.get("required", False)))


def _hop(spec: dict) -> Hop:
    return Hop(str(spec["table"]), tuple((str(k), str(v)) for k, v in spec["on"].items()))


def _table(name: str, spec: dict) -> Table:
    columns = {c: _column(c, s) for c, s in spec["columns"].items()}
    branch_spec = spec.get("branch")
    branch = (
        BranchPath(str(branch_spec["column"]), tuple(_hop(h) for h in branch_spec.get("via", ())))
        if branch_spec
        else None
    )
    return Table(
        name=name,
        label=str(spec.get("label", name)),
        columns=columns,
        key=tuple(spec["key"]),
        entity=spec.get("entity"),
        branch=branch,
        relations={alias: _hop(h) for alias, h in (spec.get("relations") or {}).items()},
        person_category=spec.get("person_category"),
        entity_sets={str(k): str(v) for k, v in (spec.get("entity_sets") or {}).items()},
    )


def _check_references(schema: Schema) -> None:
    """Every key, hop and relation must name real tables and columns, or the planner would fail later."""
    for table in schema.tables.values():
        for col in table.key + ((table.entity,) if table.entity else ()):
            table.column(col)
        hops = list(table.relations.values()) + list(table.branch.via if table.branch else ())
        previous = table
        for hop in table.branch.via if table.branch else ():
            target = schema.table(hop.table)
            for local, remote in hop.on:
                previous.column(local)
                target.column(remote)
            previous = target
        if table.branch:
            previous.column(table.branch.column)
        for hop in hops:
            schema.table(hop.table)


@cache
def load_schema(path: Path = SCHEMA_FILE) -> Schema:
    """Load and check the logical schema (cached: it is immutable)."""
    data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    schema = Schema({name: _table(name, spec) for name, spec in data["tables"].items()})
    _check_references(schema)
    return schema


def sqlalchemy_metadata(schema: Schema | None = None, tables: list[str] | None = None) -> sa.MetaData:
    """SQLAlchemy Core tables for the logical schema (used to create sample and test databases)."""
    schema = schema or load_schema()
    metadata = sa.MetaData()
    for table in schema.tables.values():
        if tables is None or table.name in tables:
            sa.Table(table.name, metadata, *(sa.Column(c.name, c.sqlalchemy_type()) for c in table.columns.values()))
    return metadata
