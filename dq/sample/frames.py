"""Frames shaped like the logical schema (dq/schema/logical.yaml) and small vectorised text helpers.

Text, d8 and ym columns are object arrays of `str` or `None` (never numbers, never pandas' NaN-backed string
dtype), int columns are nullable `Int64`, num and rate columns `float64` rounded to 2 and 4 decimals.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from dq.schema import Table, load_schema

DECIMALS = {"num": 2, "rate": 4}


def table_spec(name: str) -> Table:
    return load_schema().table(name)


def typed_column(kind: str, values: object, length: int) -> pd.Series:
    if isinstance(values, str) or values is None:
        values = np.full(length, values, dtype=object)
    if kind in ("text", "d8", "ym"):
        text = np.array(values, dtype=object)
        text[pd.isna(text)] = None  # a pandas-made NaN is a missing value too
        return pd.Series(text, dtype=object)
    if kind == "int":
        return pd.Series(values, dtype="Int64")
    return pd.Series(np.round(np.asarray(values, dtype=np.float64), DECIMALS[kind]), dtype=np.float64)


def frame(table: str, columns: Mapping[str, object]) -> pd.DataFrame:
    """A frame with exactly the table's columns in schema order; a column not given is all NULL; a scalar is
    broadcast. Giving a column the schema does not have is an error (a typo would otherwise vanish)."""
    spec = table_spec(table)
    unknown = set(columns) - set(spec.columns)
    if unknown:
        raise KeyError(f"{table} has no columns {sorted(unknown)}")
    length = next(len(v) for v in columns.values() if not (isinstance(v, str) or v is None or np.isscalar(v)))
    data = {}
    for name, column in spec.columns.items():
        value = columns.get(name)
        if np.isscalar(value) and not isinstance(value, str):
            value = np.full(length, value)
        data[name] = typed_column(column.kind, value, length)
    return pd.DataFrame(data)


def join_text(*parts: np.ndarray | str) -> np.ndarray:
    """Element-wise concatenation of string arrays / constants → object array."""
    result = None
    for part in parts:
        piece = np.asarray(part).astype(str)
        result = piece if result is None else np.strings.add(result, piece)
    return np.asarray(result).astype(object)


def pick(rng: np.random.Generator, choices: tuple | list | str, size: int,
         weights: tuple[float, ...] | None = None) -> np.ndarray:
    values = np.array(list(choices), dtype=object)
    p = None if weights is None else np.asarray(weights) / np.sum(weights)
    return values[rng.choice(len(values), size=size, p=p)]


def digits_text(rng: np.random.Generator, size: int, width: int, first: str = "123456789") -> np.ndarray:
    """Random digit strings of `width` characters whose first digit is drawn from `first`."""
    head = pick(rng, first, size)
    tail = rng.integers(0, 10 ** (width - 1), size=size)
    return join_text(head, np.char.zfill(tail.astype(str), width - 1))


def member(values: np.ndarray, pool: np.ndarray) -> np.ndarray:
    """Element-wise `values IN pool` by hashing (np.isin sorts object arrays, slow on millions of strings)."""
    return pd.Series(values, dtype=object).isin(pd.Series(pool, dtype=object)).to_numpy()
