"""Audit parameters: the policy values rules bind (`:pool_prefixes`, `param_at('avg_wage_month', aae001)` …).

A parameter is a value, a mapping of values (bound as `:name__field`), or a schedule — values dated by the year,
month or age they apply from (上年度职工月平均工资 by year, unit rate 20 % → 16 % from 2019-05, 计发月数 by age).
Rules read a schedule with `param_at('name', key)`, which the planner turns into a CASE over the bound steps, so
every value stays data: never pasted into SQL, cited with its source and basis, and overridable per region.

Files layer: the national file (sample_data/params.yaml) first, then each override file (a province's, a city's)
replaces the entries it names, so a province changes any parameter without touching code or rules.
"""
from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError

from dq.errors import InputFileError

DEFAULT_PARAMS_FILE = Path(__file__).resolve().parents[2] / "sample_data" / "params.yaml"
PERIOD_NAMES = ("ym", "today", "yr")
SCOPE_KEY = "scope"  # reserved top-level entry: which region a file speaks for
SCHEDULE_FUNCTION = "param_at"
SCHEDULE_KEYS = {"year": "年度", "ym": "年月 (YYYYMM)", "date": "日期 (YYYYMMDD)", "age": "年龄 (周岁)"}
BASES = {"S": "有出处", "M": "未经确认 [M] (凭记忆的全国政策, 须核对原文)", "P": "未经确认 [P] (本引擎建议口径, 须按本地确认)"}
_PERIOD = re.compile(r"^(\d{4})(0[1-9]|1[0-2])$")
_FIELDS = {"value", "steps", "by", "label", "source", "basis"}


@dataclass(frozen=True)
class Step:
    start: Any  # the year / YYYYMM / YYYYMMDD / age from which `value` applies
    value: Any
    source: str = ""


@dataclass(frozen=True)
class Param:
    name: str
    value: Any  # scalar, list or mapping; None for a schedule
    label: str
    source: str
    basis: str = "S"  # S sourced, M from memory (unconfirmed), P the engine's proposal (unconfirmed)
    steps: tuple[Step, ...] = ()
    by: str | None = None  # a schedule's key kind (SCHEDULE_KEYS)
    scope: str = "全国"  # the region whose file set it
    origin: str = ""  # file:line of the entry that set it

    @property
    def is_schedule(self) -> bool:
        return self.by is not None

    @property
    def confirmed(self) -> bool:
        return self.basis == "S"

    def bound(self) -> dict[str, Any]:
        """The bind values this parameter contributes (schedules: `name__from_i`, `name__i`; mappings: `name__k`)."""
        if self.is_schedule:
            out: dict[str, Any] = {}
            for i, step in enumerate(self.steps):
                out[schedule_bind(self.name, i, start=True)] = step.start
                out[schedule_bind(self.name, i)] = step.value
            return out
        if isinstance(self.value, dict):
            return {f"{self.name}__{k}": v for k, v in self.value.items()}
        return {self.name: self.value}

    def describe(self) -> str:
        """One line for people: the value or each step, the basis and where it comes from."""
        if self.is_schedule:
            shown = "; ".join(f"{s.start}起 {s.value}" for s in self.steps) or "本参数文件未设值 (相关规则不判)"
            value = f"按{SCHEDULE_KEYS[self.by or 'year']}: {shown}"
        else:
            value = str(self.value)
        return f"{self.name} = {value} — {self.label} [{BASES[self.basis]}] 依据: {self.source} ({self.scope}, {self.origin})"


def schedule_bind(name: str, index: int, *, start: bool = False) -> str:
    return f"{name}__from_{index}" if start else f"{name}__{index}"


@dataclass(frozen=True)
class Params:
    """Named values a suite may bind; the period parameters are added per run by `bind`."""

    values: dict[str, Param]

    def names(self) -> set[str]:
        """Every placeholder a rule may write (`:name`, `:name__field` of a mapping, and the period's)."""
        return {n for p in self.values.values() if not p.is_schedule for n in p.bound()} | set(PERIOD_NAMES)

    def schedules(self) -> dict[str, int]:
        """Schedule name → number of steps (what `param_at` expands over)."""
        return {p.name: len(p.steps) for p in self.values.values() if p.is_schedule}

    def bind(self, period: str) -> dict[str, Any]:
        """The bound values for one audit period (`:ym`, `:today` = its last day, `:yr`)."""
        return {**{k: v for p in self.values.values() for k, v in p.bound().items()}, **period_values(period)}

    def used_by(self, names: Iterable[str]) -> list[Param]:
        """The parameters behind placeholder or schedule names (a mapping's fields lead to the mapping)."""
        found = {n.split("__")[0] for n in names}
        return [p for name, p in sorted(self.values.items()) if name in found]


def period_values(period: str) -> dict[str, Any]:
    match = _PERIOD.match(period)
    if not match:
        raise InputFileError(f"稽核期 {period!r} 格式错误，应为 YYYYMM (e.g. 202410)")
    year, month = int(match.group(1)), int(match.group(2))
    last_day = calendar.monthrange(year, month)[1]
    return {"ym": period, "today": f"{period}{last_day:02d}", "yr": year}


def _shown(path: Path) -> str:
    """A path as users wrote it, the project's own files relative to the project."""
    try:
        return str(path.resolve().relative_to(DEFAULT_PARAMS_FILE.parents[1]))
    except ValueError:
        return str(path)


def _where(path: Path, node: Any, key: Any = None) -> str:
    """file:line of an entry (ruamel keeps 0-based positions)."""
    try:
        line = node.lc.key(key)[0] if key is not None else node.lc.line
    except (AttributeError, KeyError, TypeError):
        return _shown(path)
    return f"{_shown(path)}:{line + 1}"


def _steps(path: Path, name: str, spec: CommentedMap) -> tuple[Step, ...]:
    by = spec.get("by")
    if by not in SCHEDULE_KEYS:
        raise InputFileError(f"{_where(path, spec, 'steps')}: 参数 {name} 的 by 应为 {' / '.join(SCHEDULE_KEYS)}")
    raw = spec["steps"]
    if not isinstance(raw, list):
        raise InputFileError(f"{_where(path, spec, 'steps')}: 参数 {name} 的 steps 应为列表 [{{from: …, value: …}}]"
                             " (空列表: 本文件不设值)")
    steps = []
    for item in raw:
        if not isinstance(item, dict) or set(item) - {"from", "value", "source"} or not {"from", "value"} <= set(item):
            raise InputFileError(f"{_where(path, item)}: 参数 {name} 的每一步应为 {{from: …, value: …, source: …}}")
        start = item["from"]
        if by in ("ym", "date"):
            start = str(start)
            if not start.isdigit() or len(start) != (6 if by == "ym" else 8):
                raise InputFileError(f"{_where(path, item)}: 参数 {name} 的 from {start!r} 应为 {SCHEDULE_KEYS[by]}")
        elif not isinstance(start, int):
            raise InputFileError(f"{_where(path, item)}: 参数 {name} 的 from {start!r} 应为整数{SCHEDULE_KEYS[by]}")
        steps.append(Step(start, item["value"], str(item.get("source", ""))))
    starts = [s.start for s in steps]
    if starts != sorted(starts) or len(set(starts)) != len(starts):
        raise InputFileError(f"{_where(path, spec, 'steps')}: 参数 {name} 的 steps 须按 from 严格递增")
    return tuple(steps)


def _entry(path: Path, name: str, spec: Any, scope: str, base: Param | None) -> Param:
    where = _where(path, spec)
    if not isinstance(spec, dict) or set(spec) - _FIELDS:
        raise InputFileError(f"{where}: 参数 {name} 应为 {{value | steps+by, label, source, basis}} "
                             f"(未知字段: {', '.join(sorted(set(spec) - _FIELDS)) if isinstance(spec, dict) else spec!r})")
    if "value" in spec and "steps" in spec:
        raise InputFileError(f"{where}: 参数 {name} 不能同时有 value 和 steps")
    if base is None and "value" not in spec and "steps" not in spec:
        raise InputFileError(f"{where}: 参数 {name} 缺少 value (或 steps)")
    basis = str(spec.get("basis", base.basis if base else "S"))
    if basis not in BASES:
        raise InputFileError(f"{where}: 参数 {name} 的 basis 应为 S (有出处) / M (凭记忆) / P (建议口径)")
    param = base or Param(name, None, name, "")
    if "steps" in spec:
        param = replace(param, value=None, steps=_steps(path, name, spec), by=str(spec["by"]))
    elif "value" in spec:
        param = replace(param, value=spec["value"], steps=(), by=None)
    if base is not None and base.is_schedule != param.is_schedule:
        kind = "分段参数(steps)" if base.is_schedule else "单值参数(value)"
        raise InputFileError(f"{where}: 参数 {name} 在基础文件中是{kind}，覆盖时须保持同一形式")
    return replace(param, label=str(spec.get("label", param.label)), source=str(spec.get("source", param.source)),
                   basis=basis, scope=scope, origin=where)


def _read(path: Path) -> CommentedMap:
    try:
        data = YAML().load(path.read_text(encoding="utf-8")) or CommentedMap()
    except (OSError, YAMLError) as err:
        raise InputFileError(f"{path}: 无法读取参数文件: {err}") from err
    if not isinstance(data, dict):
        raise InputFileError(f"{path}: 参数文件应为 参数名: {{…}} 的映射")
    return data


def _layer(values: dict[str, Param], path: Path) -> None:
    data = _read(path)
    scope_spec = data.get(SCOPE_KEY) or {}
    scope = str(scope_spec.get("region", "全国")) if isinstance(scope_spec, dict) else str(scope_spec)
    for name, spec in data.items():
        if name == SCOPE_KEY:
            continue
        if name in PERIOD_NAMES:
            raise InputFileError(f"{_where(path, data, name)}: 参数 {name} 由稽核期决定，不能在参数文件中设置")
        values[str(name)] = _entry(path, str(name), spec, scope, values.get(str(name)))


def load_params(paths: Path | Sequence[Path] | None = None) -> Params:
    """The national file, then each override file in order (a region's file replaces the entries it names)."""
    overrides = [paths] if isinstance(paths, Path) else list(paths or ())
    values: dict[str, Param] = {}
    for path in [DEFAULT_PARAMS_FILE, *(p for p in overrides if p.resolve() != DEFAULT_PARAMS_FILE)]:
        _layer(values, path)
    return Params(values)
