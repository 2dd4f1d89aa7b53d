"""Reference tables: the code table aa10, policy parameters aa_param, and the statistics report st_report.

aa_param holds, per year, the average wage that bases of that year are clamped to (domain.md §4.2); the same
function feeds the contribution tables, so bases and parameters agree by construction.
"""
from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from dq.rules.params import load_params
from dq.sample import vocab
from dq.sample.frames import frame
from dq.sample.period import Period

FIRST_PARAM_YEAR = 1990
# The sample city's province parameters (辽宁 / 辽阳), layered over the national file by every audit of the city.
PARAMS_FILE = Path(__file__).resolve().parents[2] / "sample_data" / "params" / "liaoning.yaml"
BASE_FLOOR, BASE_CEILING = 0.6, 3.0


@cache
def _wage_schedule() -> tuple[np.ndarray, np.ndarray]:
    steps = load_params(PARAMS_FILE).values["avg_wage_month"].steps
    return np.array([s.start for s in steps]), np.array([float(s.value) for s in steps])


def average_wage(years: np.ndarray | int) -> np.ndarray:
    """上年度职工月平均工资 applying in `years`, read from the sample city's own parameter file (PARAMS_FILE), the
    one its audits use: the data and the rules' parameter cannot disagree. A year after the last step keeps the last
    value, as `param_at` does."""
    starts, values = _wage_schedule()
    at = np.searchsorted(starts, np.asarray(years), side="right") - 1
    if np.any(at < 0):
        raise ValueError(f"{PARAMS_FILE}: avg_wage_month 没有 {int(np.min(years))} 年及以前的值")
    return values[at]


def unit_rate(months: np.ndarray) -> np.ndarray:
    return np.where(np.asarray(months) >= 2019 * 12 + 4, 0.16, 0.20)


def account_rate(years: np.ndarray) -> np.ndarray:
    return np.where(np.asarray(years) >= 2006, 0.08, 0.11)


def build_aa10() -> pd.DataFrame:
    rows = [(category, code, name) for category, table in vocab.CODE_TABLES.items() for code, name in table.items()]
    return frame("aa10", {"aaa100": [r[0] for r in rows], "aaa102": [r[1] for r in rows],
                          "aaa103": [r[2] for r in rows], "aae100": "1"})


def build_aa_param(period: Period) -> pd.DataFrame:
    years = np.arange(FIRST_PARAM_YEAR, period.year + 1)
    return frame("aa_param", {
        "aab301": vocab.POOL_REGION,
        "aae001": years,
        "avg_wage_month": average_wage(years),
        "base_floor_pct": BASE_FLOOR,
        "base_ceil_pct": BASE_CEILING,
        "flex_floor_pct": BASE_FLOOR,
        "unit_rate": np.where(years >= 2019, 0.16, 0.20),
        "indiv_rate": 0.08,
        "account_rate": account_rate(years),
        "resident_income": np.round(3600 * 1.05 ** (years - 2024), 2),
    })


def build_st_report(period: Period, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """A few cells of the monthly report, equal to what the final production tables hold (no S-rule defects yet)."""
    ac02, ac01, ic10 = tables["ac02"], tables["ac01"], tables["ic10"]
    retired = set(ac01.loc[ac01["aac084"] == "1", "aac001"])
    insured = ac02[(ac02["aae140"] == "110") & (ac02["aac008"] == "1") & ~ac02["aac001"].isin(retired)]
    ac43, ac82 = tables["ac43"], tables["ac82"]
    arrived = ac43["ead131"].str.slice(0, 6) == period.ym
    paid = (ac82["aae117"] == "1") & (ac82["aae002"] == period.ym)
    ac26 = tables["ac26"]
    cells = {
        "参保职工人数": len(insured),
        "离退休人数": int((ic10["aae116"] == "1").sum()),
        "征缴收入": round(float((ac43.loc[arrived, "aae080"] + ac43.loc[arrived, "aae082"]).sum()), 2),
        "基本养老金支出": round(float(ac82.loc[paid, "aae019"].sum()), 2),
        "死亡减少人数": int((ac26["aae138"].str.slice(0, 6) == period.ym).sum()),
    }
    return frame("st_report", {"report_code": "YL-01", "period": period.ym, "region": vocab.POOL_REGION,
                               "item_code": np.array(list(cells), dtype=object),
                               "value": np.array(list(cells.values()), dtype=float)})

