"""The person and active-insured rules (ac01, ac02) as a pandera schema over pandas frames read from PostgreSQL.

Runs in the peers' own environment (benchmarks/peers-requirements.txt), not dq's: it imports nothing of dq's engine.
The rules are written again in pandas, with the SQL three-valued logic of docs/rules.md (a rule whose `when` or
`violation` is NULL does not count the row), from the independent Python checks in tests/reference.py and the
constants and parameters the driver passes (provinces, placeholder words, retirement schedule, period).

    python pandera_run.py URL CONSTANTS.json  → prints {rule id: failing rows} as JSON
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pandas as pd
import pandera.pandas as pa
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests import reference  # noqa: E402  (pure-Python oracles of the ID and date checks)


def present(s: pd.Series) -> pd.Series:
    return s.notna()


def nonblank(s: pd.Series) -> pd.Series:
    return s.notna() & (s.fillna("").str.strip(" ") != "")


def each(s: pd.Series, fn) -> pd.Series:
    """fn over the non-NULL values; NULL stays NULL (pd.NA), as a SQL function of NULL."""
    return s.map(lambda v: pd.NA if v is None or v is pd.NA else fn(v), na_action="ignore").astype("object")


def true(s: pd.Series) -> pd.Series:
    """SQL truth: only TRUE counts (NULL and FALSE do not)."""
    return s.fillna(False).astype(bool)


def matches(s: pd.Series, pattern: str) -> pd.Series:
    return each(s, lambda v: re.search(pattern, v) is not None)


def id_birth(v: str):
    return v[6:14] if len(v) == 18 else "19" + v[6:12] if len(v) == 15 else pd.NA


def id_sex(v: str):
    digit = v[16] if len(v) == 18 else v[14] if len(v) == 15 else None
    return None if digit is None or not digit.isdigit() else "2121212121"[int(digit)]


def ym_months(v: str):
    return int(v[:4]) * 12 + int(v[4:6]) - 1 if re.match(r"^[0-9]{6}", v) else pd.NA


class Checks:
    """Every rule of the benchmark set: a boolean Series per table, True where the row violates the rule."""

    def __init__(self, tables: dict[str, pd.DataFrame], constants: dict):
        self.t, self.c = tables, constants
        self.codes = tables["aa10"].groupby("aaa100")["aaa102"].apply(lambda s: set(s.dropna()))
        ic10 = tables["ic10"]
        self.retired_ids = set(ic10["aac001"].dropna())
        self.special_ids = set(ic10.loc[ic10["aic161"].notna() & (ic10["aic161"] != "2"), "aac001"])

    # -- shared pieces -------------------------------------------------------------------------------------------
    def placeholder(self, s: pd.Series) -> pd.Series:
        words, dates = set(self.c["placeholder_words"]), set(self.c["placeholder_dates"])

        def test(v: str) -> bool:
            t = v.strip(" ")
            return (t == "" or t.lower() in words or (len(t) >= 2 and t.replace(t[0], "") == "")
                    or (len(t) >= 6 and "1234567890".find(t) == 0) or t in dates)
        return each(s, test)

    def code_bad(self, category: str, s: pd.Series) -> pd.Series:
        allowed = self.codes.get(category, set())
        return s.notna() & ~s.isin(allowed)

    def legal_ret_months(self, birth: pd.Series, sex: pd.Series, identity: pd.Series) -> pd.Series:
        cadre = set(self.c["params"]["cadre_identities"])

        def months(b, x, i):
            if not isinstance(b, str) or not re.fullmatch(r"[0-9]{8}", b):
                return pd.NA
            group = "male" if x == "1" else ("female_cadre" if i in cadre else "female_worker") if x == "2" else None
            if group is None:
                return pd.NA
            g = self.c["params"][f"retirement_{group}"]
            bm = ym_months(b)
            k = bm - ym_months(g["delay_from"])
            delay = 0 if k < 0 else min(g["max_delay_months"], k // g["step_months"] + 1)
            return bm + g["base_age_months"] + delay
        return pd.Series([months(b, x, i) for b, x, i in zip(birth, sex, identity)], index=birth.index, dtype="object")

    def person(self) -> pd.DataFrame:
        """ac01 columns each ac02 row reads through its relation p (MIN over the person's rows, as dq's lookup)."""
        ac01 = self.t["ac01"]
        looked = ac01.groupby("aac001")[["aac002", "aac004", "aac006", "aac007", "aac012"]].min()
        return self.t["ac02"][["aac001"]].join(looked, on="aac001")

    @staticmethod
    def duplicated(keys: pd.DataFrame, where: pd.Series, distinct: pd.Series | None = None) -> pd.Series:
        """Rows meeting `where`, key not NULL, whose key group has more than one row (or distinct value)."""
        eligible = where & keys.notna().all(axis=1)
        frame = keys[eligible].copy()
        if distinct is None:
            sizes = frame.groupby(list(frame.columns))[frame.columns[0]].transform("size")
        else:
            frame["_d"] = distinct[eligible]
            sizes = frame.groupby(list(keys.columns))["_d"].transform("nunique")
        out = pd.Series(False, index=keys.index)
        out[frame.index] = (sizes > 1).to_numpy()
        return out

    # -- ac01 ----------------------------------------------------------------------------------------------------
    def ac01(self) -> dict[str, pd.Series]:
        d, today = self.t["ac01"], self.c["today"]
        n, name, sex, birth, work = d["aac002"], d["aac003"], d["aac004"], d["aac006"], d["aac007"]
        citizen = d["aac058"].isin(["01", "1"])
        digit_led = true(matches(n, r"^[0-9]"))
        idok = true(each(n, reference.id_ok))
        in_ic10, special = d["aac001"].isin(self.retired_ids), d["aac001"].isin(self.special_ids)
        pays_110 = d["aac001"].isin(set(self.t["ac02"].loc[self.t["ac02"]["aae140"] == "110", "aac001"]))
        provinces = set(self.c["provinces"])
        retired = d["aac084"] == "1"
        ym_now = ym_months(self.c["ym"])
        return {
            "P01": d["aac001"].isna() | d["aac001"].duplicated(keep=False) & d["aac001"].notna(),
            "P02": citizen & ~nonblank(n),
            "P03": digit_led & ~n.str.len().isin([15, 18]),
            "P04": digit_led & ~true(matches(n, r"^([0-9]{17}[0-9X]|[0-9]{15})$")),
            "P05": (n.str.len() == 18) & ~true(each(n, reference.id18_ok)),
            "P06": digit_led & true(each(each(n, id_birth), lambda b: not reference.ymd_ok(b))),
            "P07": digit_led & ~true(each(n, lambda v: bool(re.fullmatch(r"[0-9]{6}", v[:6])) and v[:2] in provinces)),
            "P08": n.str.len() == 15,
            "P09": self.duplicated(pd.DataFrame({"k": each(n, reference.upper18)}), nonblank(n), d["aac001"]),
            "P10": citizen & true(each(n, lambda v: not reference.id_ok(v))),
            "P11": ~nonblank(name),
            "P12": nonblank(name) & ~true(matches(name, r"^[一-龥·A-Za-z ]{2,30}$")),
            "P13": nonblank(name) & (true(self.placeholder(name)) | true(matches(name, r"(无名|不详|测试|某某|XX)"))),
            "P14": sex.isna(),
            "P15": sex.notna() & ~sex.isin(["0", "1", "2", "9"]),
            "P16": idok & sex.isin(["1", "2"]) & true(pd.Series(
                [s != id_sex(v) if id_sex(v) is not None else pd.NA for s, v in zip(sex, n.fillna(""))],
                index=d.index, dtype="object")),
            "P17": birth.isna(),
            "P18": idok & birth.notna() & true(pd.Series(
                [b != id_birth(v) for b, v in zip(birth.fillna(""), n.fillna(""))], index=d.index)),
            "P19": birth.notna() & true(each(birth, lambda b: not reference.ymd_ok(b) or b < "19000101" or b > today)),
            "P20": work.isna() & pays_110,
            "P21": birth.notna() & work.notna() & (work.fillna("") <= birth.fillna("")),
            "P22": birth.notna() & work.notna() & true(pd.Series(
                [(a := reference.age(b, w)) is not None and a < 16 for b, w in zip(birth.fillna(""), work.fillna(""))],
                index=d.index)),
            "P23": work.notna() & true(each(work, lambda w: not reference.ymd_ok(w) or w > today)),
            "P24": work.isin(self.c["placeholder_dates"]),
            "P25": self.code_bad("AAC005", d["aac005"]) | self.code_bad("AAC009", d["aac009"]) | d["aac012"].isna(),
            "P26": true(self.placeholder(d["aae005"])) | true(self.placeholder(d["aae006"])),
            "W17": retired & ~special & true(self.legal_ret_months(birth, sex, d["aac012"]).map(
                lambda m: pd.NA if m is pd.NA else ym_now < m)),
            "W18": (retired & ~in_ic10) | ((d["aac084"].fillna("0") != "1") & in_ic10),
        }

    # -- ac02 ----------------------------------------------------------------------------------------------------
    def ac02(self) -> dict[str, pd.Series]:
        d, p, ym = self.t["ac02"], self.person(), self.c["ym"]
        scheme, insured, paying = d["aae140"], d["aac008"] == "1", d["aac031"] == "1"
        active = insured & paying
        in_scheme = {s: set(d.loc[active & (scheme == s), "aac001"]) for s in ("110", "120", "170")}
        also = lambda s: d["aac001"].isin(in_scheme[s])  # noqa: E731
        stopped = d["aac031"].isin(["2", "3"])
        units = set(self.t["ab01"]["aab001"].dropna())
        continuing = set(self.c["params"]["continuing_pay_types"])
        legal = self.legal_ret_months(p["aac006"], p["aac004"], p["aac012"])
        ym_now = ym_months(ym)
        return {
            "W01": scheme.notna() & self.code_bad("AAE140", scheme),
            "W02": self.duplicated(d[["aac001", "aae140"]], insured),
            "W03": self.duplicated(pd.DataFrame({"k": each(p["aac002"], reference.upper18), "s": scheme}),
                                   insured & nonblank(p["aac002"]), d["aac001"]),
            "W04": active & (((scheme == "110") & also("120")) | ((scheme == "120") & also("110"))),
            "W05": active & (((scheme == "110") & also("170")) | ((scheme == "170") & also("110"))),
            "W06": d["aac049"].isna(),
            "W07": d["aac049"].notna() & p["aac007"].notna()
                   & (d["aac049"].fillna("") < p["aac007"].fillna("").str.slice(0, 6)),
            "W08": d["aac049"].notna() & true(each(d["aac049"], lambda v: not re.search(
                r"^[0-9]{4}(0[1-9]|1[0-2])$", v) or v > ym)),
            "W09": d["aac030"].notna() & d["aac049"].notna()
                   & (d["aac030"].fillna("").str.slice(0, 6) < d["aac049"].fillna("")),
            "W10": self.code_bad("AAC008", d["aac008"]) | self.code_bad("AAC031", d["aac031"]),
            "W11": paying & d["aae031"].notna(),
            "W12": stopped & d["aae031"].isna(),
            "W13": paying & (d["aae180"].fillna(0) <= 0),
            "W14": stopped & d["aae180"].notna(),
            "W15": d["aab001"].notna() & ~d["aab001"].isin(units),
            "W16": (scheme == "110") & paying & ~d["aac066"].fillna("").isin(continuing)
                   & true(legal.map(lambda m: pd.NA if m is pd.NA else ym_now - m > 6)),
        }


def schema(violations: dict[str, pd.Series]) -> pa.DataFrameSchema:
    """One pandera check per rule: a row passes unless the rule counts it as a violation."""
    return pa.DataFrameSchema(checks=[pa.Check(lambda df, v=v: ~v.loc[df.index].astype(bool), name=rule_id)
                                      for rule_id, v in violations.items()])


def failing_rows(frame: pd.DataFrame, violations: dict[str, pd.Series]) -> dict[str, int]:
    counts = dict.fromkeys(violations, 0)
    try:
        schema(violations).validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        # A frame-wide check reports each failing row once per column: count the distinct rows.
        cases = errors.failure_cases
        for rule_id, rows in cases.groupby("check")["index"].nunique().items():
            counts[str(rule_id)] = int(rows)
    return counts


def main() -> None:
    url, constants = sys.argv[1], json.loads(Path(sys.argv[2]).read_text(encoding="utf-8"))
    engine = sa.create_engine(url)
    columns = {"aa10": "aaa100, aaa102", "ic10": "aac001, aic161", "ab01": "aab001", "ac01": "*", "ac02": "*"}
    with engine.connect() as conn:
        tables = {name: pd.read_sql(sa.text(f"SELECT {cols} FROM {name}"), conn).astype(object).where(lambda f: f.notna(), None)
                  for name, cols in columns.items()}
    tables["ac02"]["aae180"] = pd.to_numeric(tables["ac02"]["aae180"])
    checks = Checks(tables, constants)
    counts = failing_rows(tables["ac01"], checks.ac01()) | failing_rows(tables["ac02"], checks.ac02())
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
