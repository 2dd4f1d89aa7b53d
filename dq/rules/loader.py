"""Rule files → validated `Rule` objects, strictly.

Unknown keys, duplicate ids, unparseable SQL, unknown tables, columns, macros or parameters and missing examples
are all reported with `file:line:col` and the rule id, every problem of the suite at once (like sqlglot's
ErrorLevel.RAISE), so a typo never silently disables a rule.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import sqlglot
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError
from sqlglot import exp
from sqlglot.errors import ParseError

from dq.errors import Location, Problem, RuleError
from dq.model import CATEGORIES, DIMENSIONS, SEVERITIES, Duplicate, Example, Rule, Suite
from dq.rules.params import Params, load_params
from dq.rules.scopes import unresolved_names
from dq.rules.shorthands import SHORTHANDS, Expansion, ShorthandError
from dq.schema import Schema, SchemaError, Table, load_schema

FILE_KEYS = {"table", "rules", "description"}
RULE_KEYS = {
    "id", "name", "category", "dimension", "severity", "fields", "when", "violation", "fix", "source", "note",
    "examples", "unimplemented", *SHORTHANDS,
}
REQUIRED_KEYS = ("id", "name", "category", "dimension", "severity", "fields", "fix", "source")
PREDICATE_KEYS = {"violation", "unimplemented", *SHORTHANDS}


class _FileReader:
    """Reads one rule file, collecting problems with their positions instead of stopping at the first."""

    def __init__(self, path: Path, schema: Schema, params: Params, require_examples: bool):
        self.path, self.schema, self.params = path, schema, params
        self.require_examples = require_examples
        self.problems: list[Problem] = []

    # -- positions ---------------------------------------------------------------------------------------------
    def _loc(self, node: Any, key: Any = None) -> Location:
        """1-based location of `node[key]`'s value (or of the node itself)."""
        line, col = 0, 0
        if isinstance(node, (CommentedMap, CommentedSeq)):
            try:
                line, col = node.lc.value(key) if key is not None else (node.lc.line, node.lc.col)
            except (KeyError, TypeError, IndexError):
                line, col = node.lc.line, node.lc.col
        return Location(str(self.path), line + 1, col + 1)

    def _key_loc(self, node: CommentedMap, key: str) -> Location:
        line, col = node.lc.key(key)
        return Location(str(self.path), line + 1, col + 1)

    def problem(self, location: Location | None, rule_id: str | None, message: str) -> None:
        self.problems.append(Problem(location, rule_id, message))

    # -- SQL ---------------------------------------------------------------------------------------------------
    def _sql_loc(self, node: CommentedMap, key: str, text: str, offset: int | None) -> Location:
        """Map a character offset inside a predicate to its file position (exact for one-line values)."""
        base = self._loc(node, key)
        if offset is None:
            return base
        quote = 1 if getattr(node.get(key), "style", None) in ('"', "'") else 0
        before = text[:offset]
        if "\n" not in text:
            return Location(base.file, base.line, base.col + quote + offset)
        line_in_value = before.count("\n")
        return Location(base.file, base.line + line_in_value + 1, offset - before.rfind("\n"))

    def parse_sql(self, node: CommentedMap, key: str, text: str, table: Table, rule_id: str) -> exp.Expression | None:
        try:
            expression = sqlglot.parse_one(text, read="postgres")
        except ParseError as err:
            first = err.errors[0] if err.errors else {}
            line, col = first.get("line", 1), first.get("col", 1)
            base = self._loc(node, key)
            where = Location(base.file, base.line + line - 1, (base.col if line == 1 else 0) + col)
            self.problem(where, rule_id, f"{key} 不是合法的 SQL: {first.get('description', err)}")
            return None
        for issue in unresolved_names(expression, table, self.schema, self.params.names(), self.params.schedules()):
            self.problem(self._sql_loc(node, key, text, issue.offset), rule_id, issue.message)
        return expression

    # -- examples ----------------------------------------------------------------------------------------------
    def _example_rows(self, rows: Any, table: Table, loc: Location, rule_id: str) -> tuple[dict, ...]:
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            self.problem(loc, rule_id, f"{table.name} 的样例行应为映射列表")
            return ()
        for row in rows:
            for column in row:
                if column not in table.columns:
                    self.problem(loc, rule_id, f"样例中表 {table.name} 没有字段 {column}")
        return tuple({str(k): (None if v is None else str(v)) if not isinstance(v, (int, float)) else v
                      for k, v in row.items()} for row in rows)

    def _example(self, item: Any, table: Table, loc: Location, rule_id: str) -> Example | None:
        if not isinstance(item, dict):
            self.problem(loc, rule_id, "样例应为一行 {字段: 值} 或 {rows: [...], with: {表: [...]}}")
            return None
        if not set(item) <= {"rows", "with"} or "rows" not in item:
            return Example(self._example_rows([item], table, loc, rule_id), {}, loc)
        others: dict[str, tuple[dict, ...]] = {}
        for other_name, rows in (item.get("with") or {}).items():
            if other_name not in self.schema.tables:
                self.problem(loc, rule_id, f"样例引用了未知的表 {other_name}")
                continue
            others[str(other_name)] = self._example_rows(rows, self.schema.table(other_name), loc, rule_id)
        return Example(self._example_rows(item["rows"], table, loc, rule_id), others, loc)

    def examples(self, node: CommentedMap, table: Table, rule_id: str) -> tuple[tuple[Example, ...], ...]:
        spec = node.get("examples")
        if spec is None:
            if self.require_examples and "unimplemented" not in node:
                self.problem(self._loc(node), rule_id, "缺少 examples (每条规则至少一个不通过和一个通过的样例)")
            return (), ()
        result = []
        for kind in ("fail", "pass"):
            items = spec.get(kind) if isinstance(spec, dict) else None
            if not items:
                if self.require_examples:
                    self.problem(self._loc(node, "examples"), rule_id, f"examples 缺少 {kind} 样例")
                result.append(())
                continue
            loc = self._loc(spec, kind)
            result.append(tuple(e for e in (self._example(i, table, loc, rule_id) for i in items) if e))
        return tuple(result)

    # -- rules -------------------------------------------------------------------------------------------------
    def _expansion(self, node: CommentedMap, table: Table, rule_id: str) -> Expansion:
        shorthand = [k for k in SHORTHANDS if k in node]
        if not shorthand:
            return Expansion(violation=str(node["violation"]) if "violation" in node else None)
        try:
            return SHORTHANDS[shorthand[0]](node[shorthand[0]], table)
        except (ShorthandError, SchemaError) as err:
            self.problem(self._loc(node, shorthand[0]), rule_id, str(err))
            return Expansion()

    def _check_fields(self, node: CommentedMap, rule_id: str) -> None:
        for key in node:
            if key not in RULE_KEYS:
                self.problem(self._key_loc(node, key), rule_id, f"未知的键 {key!r} (allowed: {', '.join(sorted(RULE_KEYS))})")
        for key in REQUIRED_KEYS:
            if key not in node:
                self.problem(self._loc(node), rule_id, f"缺少必填键 {key}")
        given = PREDICATE_KEYS & set(node)
        if len(given) != 1:
            self.problem(self._loc(node), rule_id, f"规则需要且只能有一个谓词 (one of {', '.join(sorted(PREDICATE_KEYS))}), 给了 {sorted(given)}")
        for key, allowed in (("category", CATEGORIES), ("dimension", DIMENSIONS), ("severity", SEVERITIES)):
            if key in node and node[key] not in allowed:
                self.problem(self._loc(node, key), rule_id, f"{key} 取值 {node[key]!r} 非法 (allowed: {', '.join(allowed)})")

    def _duplicate(self, spec: dict, node: CommentedMap, table: Table, rule_id: str) -> Duplicate | None:
        key_shorthand = "duplicate"
        keys = [self.parse_sql(node, key_shorthand, k, table, rule_id) for k in spec["key"]]
        distinct = self.parse_sql(node, key_shorthand, str(spec["distinct"]), table, rule_id) if spec.get("distinct") else None
        where = self.parse_sql(node, key_shorthand, str(spec["where"]), table, rule_id) if spec.get("where") else None
        if any(k is None for k in keys):
            return None
        return Duplicate(tuple(keys), distinct, where, spec.get("nulls") == "fail")  # type: ignore[arg-type]

    def rule(self, node: Any, table: Table, index: int, rules_node: CommentedSeq) -> Rule | None:
        if not isinstance(node, CommentedMap):
            self.problem(self._loc(rules_node, index), None, "规则应为映射")
            return None
        rule_id = str(node.get("id", f"#{index + 1}"))
        self._check_fields(node, rule_id)
        location = self._key_loc(node, "id") if "id" in node else self._loc(node)
        expansion = self._expansion(node, table, rule_id)
        when_texts = [t for t in (expansion.when, str(node["when"]) if "when" in node else None) if t]
        when = None
        if when_texts:
            parsed = [self.parse_sql(node, "when" if "when" in node else "violation", t, table, rule_id) for t in when_texts]
            when = exp.and_(*[exp.paren(p, copy=False) for p in parsed]) if all(parsed) else None
        violation_key = next((k for k in ("violation", *SHORTHANDS) if k in node), "violation")
        violation = self.parse_sql(node, violation_key, expansion.violation, table, rule_id) if expansion.violation else None
        duplicate = self._duplicate(expansion.duplicate, node, table, rule_id) if expansion.duplicate else None
        fails, passes = self.examples(node, table, rule_id)
        if any(k not in node for k in REQUIRED_KEYS) or len(PREDICATE_KEYS & set(node)) != 1:
            return None
        return Rule(
            id=rule_id, name=str(node["name"]), table=table.name, category=str(node["category"]),
            dimension=str(node["dimension"]), severity=str(node["severity"]),  # type: ignore[arg-type]
            fields=tuple(str(f) for f in node["fields"]), fix=str(node["fix"]), source=str(node["source"]),
            location=location, when=when, violation=violation, duplicate=duplicate,
            note=str(node["note"]) if "note" in node else None,
            unimplemented=str(node["unimplemented"]) if "unimplemented" in node else None,
            fail_examples=fails, pass_examples=passes,
        )

    def read(self) -> list[Rule]:
        try:
            yaml = YAML()  # round-trip: keeps line/column of every node and rejects duplicate keys
            yaml.preserve_quotes = True
            document = yaml.load(self.path.read_text(encoding="utf-8"))
        except MarkedYAMLError as err:
            mark = err.problem_mark or err.context_mark
            loc = Location(str(self.path), mark.line + 1, mark.column + 1) if mark else None
            self.problem(loc, None, f"YAML 语法错误: {err.problem or err}")
            return []
        if not isinstance(document, CommentedMap):
            self.problem(Location(str(self.path), 1, 1), None, "规则文件应为映射 {table: …, rules: […]}")
            return []
        for key in document:
            if key not in FILE_KEYS:
                self.problem(self._key_loc(document, key), None, f"未知的键 {key!r} (allowed: table, rules, description)")
        if document.get("table") not in self.schema.tables:
            self.problem(self._loc(document, "table"), None, f"未知的表 {document.get('table')!r}")
            return []
        table = self.schema.table(str(document["table"]))
        rules_node = document.get("rules")
        if not isinstance(rules_node, CommentedSeq):
            self.problem(self._loc(document), None, "缺少 rules 列表")
            return []
        return [r for i, n in enumerate(rules_node) if (r := self.rule(n, table, i, rules_node))]


def suite_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return sorted([*path.glob("*.yaml"), *path.glob("*.yml")])


def suite_version(files: list[Path]) -> str:
    """A content hash of the suite: results name the exact rules they were computed with."""
    digest = hashlib.sha256()
    for file in files:
        digest.update(file.name.encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()[:12]


def load_suite(
    path: Path, schema: Schema | None = None, params: Params | None = None, *, require_examples: bool = True
) -> Suite:
    """Load every rule file under `path`; raise one RuleError listing every problem found."""
    schema = schema or load_schema()
    params = params or load_params()
    files = suite_files(path)
    if not files:
        raise RuleError([Problem(Location(str(path), 1, 1), None, "没有找到规则文件 (*.yaml)")])
    problems: list[Problem] = []
    rules: list[Rule] = []
    for file in files:
        reader = _FileReader(file, schema, params, require_examples)
        rules += reader.read()
        problems += reader.problems
    seen: dict[str, Rule] = {}
    for rule in rules:
        if rule.id in seen:
            problems.append(Problem(rule.location, rule.id, f"规则编号重复 (first at {seen[rule.id].location})"))
        seen.setdefault(rule.id, rule)
    if problems:
        raise RuleError(problems)
    return Suite(str(path), suite_version(files), tuple(rules))
