"""User-facing error hierarchy.

The CLI catches only `DqError`: anything else is a bug and shows as one. Every user error says what is wrong
and where (file:line:col, table, record), in Chinese first.
"""
from __future__ import annotations

from dataclasses import dataclass


class DqError(Exception):
    """Base of every error caused by input the user can fix."""


@dataclass(frozen=True)
class Location:
    """A 1-based position in a user file."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True)
class Problem:
    """One problem found while loading user input."""

    location: Location | None
    rule_id: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.location} " if self.location else ""
        rule = f"{self.rule_id}: " if self.rule_id else ""
        return f"{where}{rule}{self.message}"


class RuleError(DqError):
    """A rule suite failed to load; carries every problem found, not only the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"规则文件有 {len(problems)} 处错误 (rule suite errors):\n{lines}")


class SchemaError(DqError):
    """The logical schema or the audited database's tables do not fit together."""


class SourceError(DqError):
    """The audited database cannot be reached or queried."""


class UnsupportedOnDialect(DqError):
    """A construct has no portable rendering on the target database."""

    def __init__(self, rule_id: str, dialect: str, reason: str):
        self.rule_id, self.dialect, self.reason = rule_id, dialect, reason
        super().__init__(f"{rule_id}: 在 {dialect} 上无法执行 ({reason})")


class InputFileError(DqError):
    """An imported file (parameters, lists) is malformed."""
