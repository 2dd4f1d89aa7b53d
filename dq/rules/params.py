"""Audit parameters: the audit period's dates and the policy values rules bind (`:ym`, `:pool_prefixes` …)."""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from dq.errors import InputFileError

DEFAULT_PARAMS_FILE = Path(__file__).resolve().parents[2] / "sample_data" / "params.yaml"
PERIOD_NAMES = ("ym", "today", "yr")
_PERIOD = re.compile(r"^(\d{4})(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class Param:
    name: str
    value: Any
    label: str
    source: str


@dataclass(frozen=True)
class Params:
    """Named values a suite may bind; the period parameters are added per run by `bind`."""

    values: dict[str, Param]

    def names(self) -> set[str]:
        return set(self.values) | set(PERIOD_NAMES)

    def bind(self, period: str) -> dict[str, Any]:
        """The bound values for one audit period (`:ym`, `:today` = its last day, `:yr`)."""
        return {**{p.name: p.value for p in self.values.values()}, **period_values(period)}


def period_values(period: str) -> dict[str, Any]:
    match = _PERIOD.match(period)
    if not match:
        raise InputFileError(f"稽核期 {period!r} 格式错误，应为 YYYYMM (e.g. 202410)")
    year, month = int(match.group(1)), int(match.group(2))
    last_day = calendar.monthrange(year, month)[1]
    return {"ym": period, "today": f"{period}{last_day:02d}", "yr": year}


def load_params(path: Path | None = None) -> Params:
    """Read a parameter file: `name: {value: …, label: …, source: …}` per entry."""
    path = path or DEFAULT_PARAMS_FILE
    try:
        data = YAML(typ="safe").load(path.read_text(encoding="utf-8")) or {}
    except (OSError, YAMLError) as err:
        raise InputFileError(f"{path}: 无法读取参数文件: {err}") from err
    values: dict[str, Param] = {}
    for name, spec in data.items():
        if name in PERIOD_NAMES:
            raise InputFileError(f"{path}: 参数 {name} 由稽核期决定，不能在参数文件中设置")
        if not isinstance(spec, dict) or "value" not in spec:
            raise InputFileError(f"{path}: 参数 {name} 缺少 value")
        values[name] = Param(name, spec["value"], str(spec.get("label", name)), str(spec.get("source", "")))
    return Params(values)
