"""Connections to the audited database: read-only wherever the database can enforce it, with a statement timeout.

The audited database is production: dq only ever reads it. Each dialect gets the strongest guard it has —
a read-only session on PostgreSQL and MariaDB, `query_only` on SQLite, a read-only file handle on DuckDB.
"""
from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from dq.errors import SourceError
from dq.plan.dialects import DialectCaps, dialect_caps


def _regexp(pattern: str | None, value: str | None) -> bool | None:
    """SQLite's `x REGEXP p` calls regexp(p, x); NULL in, NULL out, as on the other databases."""
    if pattern is None or value is None:
        return None
    # SQLite's dynamic typing can hand a number to a text column's expression (e.g. '1990' stored as INTEGER).
    return _compiled(pattern).search(value if isinstance(value, str) else str(value)) is not None


_PATTERNS: dict[str, re.Pattern] = {}


def _compiled(pattern: str) -> re.Pattern:
    if pattern not in _PATTERNS:
        _PATTERNS[pattern] = re.compile(pattern)
    return _PATTERNS[pattern]


@dataclass(frozen=True)
class Source:
    """An audited database: its engine and capabilities."""

    url: str
    engine: Engine
    caps: DialectCaps
    timeout_s: int

    @property
    def display_url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)


def _install_sqlite_functions(engine: Engine, read_only: bool) -> None:
    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        dbapi_connection.create_function("regexp", 2, _regexp, deterministic=True)
        if read_only:
            dbapi_connection.execute("PRAGMA query_only = ON")


def _session_guards(caps: DialectCaps, timeout_s: int, read_only: bool) -> list[str]:
    """Statements every new session runs: the timeout always, the read-only guard unless a writer asked."""
    if caps.name == "postgresql":
        guards = [f"SET statement_timeout = {timeout_s * 1000}"]
        return (["SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY"] if read_only else []) + guards
    if caps.name == "mysql":
        guards = [f"SET SESSION max_statement_time = {timeout_s}", "SET NAMES utf8mb4"]
        return (["SET SESSION TRANSACTION READ ONLY"] if read_only else []) + guards
    return []


def open_source(url: str, *, timeout_s: int = 1800, read_only: bool = True) -> Source:
    """An engine for `url` whose every connection is read-only (unless a writer such as `dq sample` asks)."""
    try:
        engine = sa.create_engine(url, **_engine_options(url, read_only))
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError) as err:
        raise SourceError(f"数据库地址无法识别: {url} ({err})") from err
    caps = dialect_caps(engine.dialect.name)
    if caps.regex_udf:
        _install_sqlite_functions(engine, read_only)
    guards = _session_guards(caps, timeout_s, read_only)

    @sa.event.listens_for(engine, "connect")
    def _guard(dbapi_connection: object, _record: object) -> None:
        if not guards:
            return
        cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
        for statement in guards:
            cursor.execute(statement)
        cursor.close()
        dbapi_connection.commit()  # type: ignore[attr-defined]  # PostgreSQL undoes a SET that is rolled back

    return Source(url, engine, caps, timeout_s)


def _engine_options(url: str, read_only: bool) -> dict:
    if url.startswith("duckdb"):
        return {"connect_args": {"read_only": read_only}, "poolclass": sa.pool.NullPool}
    if url.startswith("mysql"):
        return {"pool_pre_ping": True}
    return {}


@contextmanager
def connection(source: Source) -> Iterator[Connection]:
    """A connection that cannot write, whose failure to connect names the database and says what to check."""
    try:
        conn = source.engine.connect()
    except sa.exc.OperationalError as err:
        raise SourceError(f"无法连接数据库 {source.display_url}: {_first_line(err)}") from err
    except sa.exc.DBAPIError as err:
        raise SourceError(f"无法连接数据库 {source.display_url}: {_first_line(err)}") from err
    except Exception as err:  # duckdb raises its own IOException for a missing or locked file
        if type(err).__module__.startswith("duckdb"):
            raise SourceError(f"无法打开数据库 {source.display_url}: {_first_line(err)}") from err
        raise
    try:
        yield conn
    finally:
        conn.close()


@contextmanager
def interrupt_after(conn: Connection, source: Source) -> Iterator[None]:
    """DuckDB and SQLite have no server-side statement timeout: interrupt the statement from a timer."""
    if source.caps.name not in ("duckdb", "sqlite"):
        yield
        return
    raw = conn.connection.dbapi_connection
    timer = threading.Timer(source.timeout_s, raw.interrupt)  # type: ignore[union-attr]
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


def _first_line(err: Exception) -> str:
    text = str(getattr(err, "orig", None) or err)
    return text.strip().splitlines()[0] if text.strip() else type(err).__name__
