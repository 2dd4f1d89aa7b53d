"""The SQL macro library: domain checks written once as portable SQL templates.

Rules call `id18_ok(aac002)`, `ymd_ok(aac006)` … in canonical (PostgreSQL-dialect) SQL; `expand_macros` replaces
each call by plain SUBSTR / POSITION / CASE arithmetic that every target database runs, so nothing is installed in
the audited database. Two constraints shape every template:

* No casts of unchecked text: an invalid date string aborts a whole query on PostgreSQL and DuckDB
  (stack-notes.md), so digits are read with `POSITION(ch IN '0123456789') - 1` (never fails) or cast only inside a
  `CASE` whose condition proved the text numeric (CASE is evaluated lazily on all four databases).
* Dates are validated by string comparison, never by a date parser, which also behaves differently per database.

>>> from sqlglot import parse_one
>>> expand_macros(parse_one("ym(aac007)", read="postgres")).sql()
'SUBSTRING((aac007), 1, 6)'
"""
from __future__ import annotations

from collections.abc import Callable
from functools import cache

import sqlglot
from sqlglot import exp

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
ORG_CHECK_CHARS = "123456789X0"  # index = 11 - (sum mod 11), 1-based
PROVINCES = (
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82"
).split()
PLACEHOLDER_WORDS = ("无", "不详", "未知", "暂无", "测试", "test", "xxx", "某某", "-", "/", ".", "0", "null", "none")
PLACEHOLDER_DATES = ("19000101", "19700101", "20000101")
MULTIPLES_OF_4 = tuple(f"{n:02d}" for n in range(0, 100, 4))
LONG_MONTHS = ("01", "03", "05", "07", "08", "10", "12")

# Statutory retirement (domain.md §4.1) is data: parameters `retirement_<group>` (sample_data/params.yaml) give each
# group's base age, first delayed birth month, cohort step and maximum delay; `cadre_identities` lists the AAC012
# codes whose women retire at the cadre age. A province overrides them in its own parameter file.
RETIREMENT_GROUPS = ("male", "female_cadre", "female_worker")
RETIREMENT_FIELDS = ("base_age_months", "delay_from", "step_months", "max_delay_months")


def _quoted(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _char_value(arg: str, position: int, alphabet: str) -> str:
    """Value of one character: its 0-based index in `alphabet`, -1 when absent; never raises."""
    return f"(POSITION(SUBSTR({arg}, {position}, 1) IN '{alphabet}') - 1)"


def _weighted_sum(arg: str, weights: tuple[int, ...], alphabet: str) -> str:
    return " + ".join(f"{_char_value(arg, i, alphabet)} * {w}" for i, w in enumerate(weights, start=1))


def _id18_check_char(body: str) -> str:
    """GB 11643 MOD 11-2 check character of a 17-digit body expression."""
    return f"SUBSTR('{ID_CHECK_CHARS}', ({_weighted_sum(body, ID_WEIGHTS, '0123456789')}) % 11 + 1, 1)"


def _upgraded_check_char(s: str) -> str:
    """Check character of a 15-digit legacy number upgraded to 18 (insert '19' after the address code)."""
    head = " + ".join(f"{_char_value(s, i, '0123456789')} * {ID_WEIGHTS[i - 1]}" for i in range(1, 7))
    tail = " + ".join(f"{_char_value(s, i - 2, '0123456789')} * {ID_WEIGHTS[i - 1]}" for i in range(9, 18))
    century = 1 * ID_WEIGHTS[6] + 9 * ID_WEIGHTS[7]
    return f"SUBSTR('{ID_CHECK_CHARS}', ({head} + {century} + {tail}) % 11 + 1, 1)"


def _leap_year(year: str) -> str:
    """A 4-digit year string is a leap year (Gregorian), decided on its digits."""
    yy, cc = f"SUBSTR({year}, 3, 2)", f"SUBSTR({year}, 1, 2)"
    return f"(({yy} IN ({_quoted(MULTIPLES_OF_4[1:])})) OR ({yy} = '00' AND {cc} IN ({_quoted(MULTIPLES_OF_4)})))"


def _ymd_ok(s: str) -> str:
    month, day = f"SUBSTR({s}, 5, 2)", f"SUBSTR({s}, 7, 2)"
    return (
        f"({s} ~ '^[0-9]{{8}}$' AND {month} BETWEEN '01' AND '12' AND {day} >= '01' AND ("
        f"{day} <= '28'"
        f" OR ({day} <= '30' AND {month} <> '02')"
        f" OR ({day} = '31' AND {month} IN ({_quoted(LONG_MONTHS)}))"
        f" OR ({day} = '29' AND {month} = '02' AND {_leap_year(s)})))"
    )


def _ym_months(s: str) -> str:
    return (
        f"(CASE WHEN {s} ~ '^[0-9]{{6}}' "
        f"THEN CAST(SUBSTR({s}, 1, 4) AS INT) * 12 + CAST(SUBSTR({s}, 5, 2) AS INT) - 1 END)"
    )


def _age(birth: str, ref: str) -> str:
    return (
        f"(CASE WHEN {birth} ~ '^[0-9]{{8}}$' AND {ref} ~ '^[0-9]{{8}}$' "
        f"THEN CAST(SUBSTR({ref}, 1, 4) AS INT) - CAST(SUBSTR({birth}, 1, 4) AS INT)"
        f" - CASE WHEN SUBSTR({ref}, 5, 4) < SUBSTR({birth}, 5, 4) THEN 1 ELSE 0 END END)"
    )


def _retirement_months(birth_months: str, group: str) -> str:
    base, start, step, cap = (f":retirement_{group}__{field}" for field in RETIREMENT_FIELDS)
    k = f"({birth_months} - {_ym_months(start)})"
    # Whole steps as exact integer arithmetic: SQLAlchemy's SQLite FLOOR is a Python function that fails on NULL.
    steps = f"(({k} - {k} % {step}) / {step})"
    delay = f"CASE WHEN {k} < 0 THEN 0 WHEN {steps} + 1 > {cap} THEN {cap} ELSE {steps} + 1 END"
    return f"({birth_months} + {base} + {delay})"


def _legal_ret_months(birth: str, sex: str, identity: str) -> str:
    months = f"(CASE WHEN {birth} ~ '^[0-9]{{8}}$' THEN {_ym_months(birth)} END)"
    return (
        f"(CASE WHEN {sex} = '1' THEN {_retirement_months(months, 'male')}"
        f" WHEN {sex} = '2' AND {identity} IN (:cadre_identities) THEN {_retirement_months(months, 'female_cadre')}"
        f" WHEN {sex} = '2' THEN {_retirement_months(months, 'female_worker')} END)"
    )


def _is_placeholder(s: str) -> str:
    t = f"TRIM({s})"
    return (
        f"({t} = '' OR LOWER({t}) IN ({_quoted(PLACEHOLDER_WORDS)})"
        f" OR (LENGTH({t}) >= 2 AND REPLACE({t}, SUBSTR({t}, 1, 1), '') = '')"
        f" OR (LENGTH({t}) >= 6 AND POSITION({t} IN '1234567890') = 1)"
        f" OR {t} IN ({_quoted(PLACEHOLDER_DATES)}))"
    )


def _org_ok(s: str) -> str:
    t = f"REPLACE({s}, '-', '')"
    check = f"SUBSTR('{ORG_CHECK_CHARS}', 11 - ({_weighted_sum(t, ORG_WEIGHTS, ORG_ALPHABET)}) % 11, 1)"
    return f"({s} ~ '^[0-9A-Z]{{8}}-?[0-9X]$' AND {check} = SUBSTR({t}, 9, 1))"


def _uscc_ok(s: str) -> str:
    chars = "0-9A-HJ-NPQRTUWXY"
    sum_ = _weighted_sum(s, USCC_WEIGHTS, USCC_ALPHABET)
    check = f"SUBSTR('{USCC_ALPHABET}', (31 - ({sum_}) % 31) % 31 + 1, 1)"
    return f"({s} ~ '^[{chars}]{{2}}[0-9]{{6}}[{chars}]{{10}}$' AND {check} = SUBSTR({s}, 18, 1))"


# Each template receives its arguments as SQL text (already rendered, parenthesised) and returns canonical SQL.
TEMPLATES: dict[str, tuple[int, Callable[..., str]]] = {
    "id18_ok": (1, lambda s: f"({s} ~ '^[0-9]{{17}}[0-9X]$' AND {_id18_check_char(s)} = SUBSTR({s}, 18, 1))"),
    "id_ok": (1, lambda s: f"(id18_ok({s}) OR {s} ~ '^[0-9]{{15}}$')"),
    "id_birth": (1, lambda s: (
        f"(CASE WHEN LENGTH({s}) = 18 THEN SUBSTR({s}, 7, 8) WHEN LENGTH({s}) = 15 THEN '19' || SUBSTR({s}, 7, 6) END)"
    )),
    "id_sex": (1, lambda s: (
        f"(CASE WHEN LENGTH({s}) = 18 THEN SUBSTR('2121212121', POSITION(SUBSTR({s}, 17, 1) IN '0123456789'), 1)"
        f" WHEN LENGTH({s}) = 15 THEN SUBSTR('2121212121', POSITION(SUBSTR({s}, 15, 1) IN '0123456789'), 1) END)"
    )),
    "upper18": (1, lambda s: (
        f"(CASE WHEN {s} ~ '^[0-9]{{15}}$' THEN SUBSTR({s}, 1, 6) || '19' || SUBSTR({s}, 7, 9) || "
        f"{_upgraded_check_char(s)} ELSE UPPER(TRIM({s})) END)"
    )),
    "uscc_ok": (1, _uscc_ok),
    "org_ok": (1, _org_ok),
    "region_ok": (1, lambda c: f"({c} ~ '^[0-9]{{6}}$' AND SUBSTR({c}, 1, 2) IN ({_quoted(PROVINCES)}))"),
    "ymd_ok": (1, _ymd_ok),
    "ym_ok": (1, lambda s: f"({s} ~ '^[0-9]{{4}}(0[1-9]|1[0-2])$')"),
    "ym": (1, lambda d: f"SUBSTR({d}, 1, 6)"),
    "ym_months": (1, _ym_months),
    "mdiff": (2, lambda a, b: f"({_ym_months(b)} - {_ym_months(a)})"),
    "age": (2, _age),
    "is_placeholder": (1, _is_placeholder),
    "name_ok": (1, lambda s: f"({s} ~ '^[一-龥·A-Za-z ]{{2,30}}$')"),
    "norm": (1, lambda s: f"UPPER(REPLACE(TRIM({s}), ' ', ''))"),
    "code_bad": (2, lambda category, c: (
        f"({c} IS NOT NULL AND {c} NOT IN "
        f"(SELECT aa10.aaa102 FROM aa10 WHERE aa10.aaa100 = {category} AND aa10.aaa102 IS NOT NULL))"
    )),
    "legal_ret_months": (3, _legal_ret_months),
}

MACRO_NAMES = frozenset(TEMPLATES)
TEXT_MACROS = frozenset({"id_birth", "id_sex", "upper18", "ym", "norm"})  # the macros whose value is text
SHARED_PREFIX = "m_"


def shared_column(name: str, index: int) -> str:
    """Column name of a macro call computed once per row by the planner; the name tells its macro."""
    return f"{SHARED_PREFIX}{name}_{index}"


def shared_column_is_text(column: str) -> bool:
    """Whether a planner column named by `shared_column` holds text (MariaDB must then compare it exactly)."""
    return column.startswith(SHARED_PREFIX) and column[len(SHARED_PREFIX):].rsplit("_", 1)[0] in TEXT_MACROS


@cache
def _template_tree(name: str) -> exp.Expression:
    """A macro's template parsed once, its arguments standing as columns `__arg0`, `__arg1`, … (macros inside
    the template already expanded)."""
    arity, template = TEMPLATES[name]
    parsed = sqlglot.parse_one(template(*[f"__arg{i}" for i in range(arity)]), read="postgres")
    return expand_macros(parsed)


@cache
def macro_parameters(name: str) -> frozenset[str]:
    """The parameters a macro binds itself (legal_ret_months reads the retirement schedule), so the loader can
    require them and `dq rules show` can list them with the rule's own."""
    return frozenset(p.name for p in _template_tree(name).find_all(exp.Placeholder))


class MacroArityError(ValueError):
    """A macro was called with the wrong number of arguments."""


def expand_call(name: str, args: list[exp.Expression]) -> exp.Expression:
    """Expand one macro call into canonical SQL.

    >>> expand_call("ym_ok", [exp.column("aab050")]).sql()
    "(REGEXP_LIKE((aab050), '^[0-9]{4}(0[1-9]|1[0-2])$'))"
    """
    arity, _ = TEMPLATES[name]
    if len(args) != arity:
        raise MacroArityError(f"{name}() 需要 {arity} 个参数，给了 {len(args)} 个")
    expanded = [expand_macros(a) for a in args]

    def substitute(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and not node.table and node.name.startswith("__arg"):
            return exp.paren(expanded[int(node.name[5:])].copy())
        return node

    return _template_tree(name).transform(substitute)


def expand_macros(expression: exp.Expression) -> exp.Expression:
    """Replace every macro call in `expression` by its portable SQL (a pure Expr -> Expr rewrite)."""

    def rewrite(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Anonymous) and str(node.this).lower() in MACRO_NAMES:
            return expand_call(str(node.this).lower(), list(node.expressions))
        return node

    return expression.transform(rewrite)
