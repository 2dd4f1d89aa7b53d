"""Opening the history store, and the one lock that makes writers take turns.

The store is an SQLite file by default or a PostgreSQL database for a shared deployment. Writers serialise on a
store-wide lock held for their whole transaction — SQLite's write lock (BEGIN IMMEDIATE, in WAL mode so readers
never wait), PostgreSQL's transaction-scoped advisory lock — and wait for it at most `wait_s` seconds before
refusing with a message that says another run is writing. Readers never take it.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Self
from zlib import crc32

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from dq.errors import DqError
from dq.history import migrate
from dq.history.tables import rules, run_tables, runs

DEFAULT_FILE = "dq-history.sqlite"
DEFAULT_WAIT_S = 600.0
APPLICATION_NAME = "dq-history"  # how a store connection shows in pg_stat_activity
LOCK_KEY = crc32(b"dq.history.writer")  # PostgreSQL advisory lock key, one per database
SUPPORTED = ("sqlite", "postgresql")


class HistoryError(DqError):
    """The history store cannot be opened, is busy, or lost its connection; the store is left as it was."""


def store_url(text: str) -> str:
    """A SQLAlchemy URL as given, or a file path turned into the URL of an SQLite store."""
    if "://" in text:
        return text
    return f"sqlite:///{Path(text).expanduser().resolve()}"


@dataclass(frozen=True)
class StoredTable:
    table: str
    rows: int
    seconds: float
    findings: int


@dataclass(frozen=True)
class StoredRun:
    """One recorded period: where it came from, when it ran and how many (rule, record) findings it holds."""

    period: str
    status: str
    dialect: str
    database: str
    suite_path: str
    suite_version: str
    started_at: str
    finished_at: str
    recorded_at: str
    finding_count: int

    @property
    def seconds(self) -> float:
        return (datetime.fromisoformat(self.finished_at) - datetime.fromisoformat(self.started_at)).total_seconds()


class HistoryStore:
    """A handle on one store: an engine configured for its database, and the writer's lock."""

    def __init__(self, url: str, engine: Engine):
        self.url = url
        self.engine = engine

    @property
    def display_url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @classmethod
    def open(cls, text: str, *, create: bool = False, wait_s: float = DEFAULT_WAIT_S) -> HistoryStore:
        """Open the store at `text` (URL or file path); only a writer may `create` a missing SQLite file."""
        url = store_url(text)
        try:
            parsed = sa.engine.make_url(url)
        except sa.exc.ArgumentError as err:
            raise HistoryError(f"历史库地址无法识别: {text} ({err})") from err
        if parsed.get_backend_name() not in SUPPORTED:
            raise HistoryError(f"历史库只支持 SQLite 文件或 PostgreSQL (得到 {parsed.get_backend_name()}): {text}")
        if parsed.get_backend_name() == "sqlite":
            path = Path(parsed.database or "")
            if not create and not path.is_file():
                raise HistoryError(f"历史库 {path} 不存在: 先运行 dq audit 记录一期, 或用 --history 指定历史库")
            path.parent.mkdir(parents=True, exist_ok=True)
            return cls(url, _sqlite_engine(parsed, wait_s))
        return cls(url, sa.create_engine(parsed, connect_args={"application_name": APPLICATION_NAME}))

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @contextmanager
    def writing(self, wait_s: float = DEFAULT_WAIT_S) -> Iterator[Connection]:
        """One transaction holding the writer's lock, on a store at the newest schema revision; all or nothing."""
        with self._connect() as conn:
            try:
                transaction = conn.execution_options(dq_write=True).begin()
                if conn.dialect.name == "postgresql":
                    conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{int(wait_s * 1000)}ms'")
                    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
                    conn.exec_driver_sql("SET LOCAL lock_timeout TO DEFAULT")
            except sa.exc.OperationalError as err:
                if _is_lock_wait(err):
                    raise HistoryError(
                        f"历史库 {self.display_url} 正由另一次稽核写入, 已等待 {wait_s:g} 秒仍未释放; "
                        "请等该次稽核结束后重试 (本期未记录)") from err
                raise self._lost(err) from err
            try:
                with transaction:
                    migrate.upgrade(conn)
                    yield conn
            except sa.exc.DBAPIError as err:
                conn.invalidate()  # never back to the pool: a reset on a dead connection only adds noise
                raise self._lost(err) from err

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A read transaction on a store that has at least one run (upgraded first if an older dq wrote it)."""
        with self._connect() as conn:
            revision = migrate.current_revision(conn)
            conn.rollback()
        if revision is None:
            raise HistoryError(f"历史库 {self.display_url} 中还没有任何稽核记录: 先运行 dq audit")
        if revision != migrate.head_revision():
            with self.writing():
                pass
        with self._connect() as conn, conn.begin():
            yield conn

    def runs(self) -> list[StoredRun]:
        with self.reading() as conn:
            return [StoredRun(**row._mapping) for row in conn.execute(sa.select(runs).order_by(runs.c.period))]

    def run(self, period: str) -> StoredRun:
        with self.reading() as conn:
            row = conn.execute(sa.select(runs).where(runs.c.period == period)).first()
            if row is None:
                known = [r for (r,) in conn.execute(sa.select(runs.c.period).order_by(runs.c.period))]
                raise HistoryError(f"历史库中没有稽核期 {period} (已记录: {', '.join(known) or '无'})")
            return StoredRun(**row._mapping)

    def tables(self, period: str) -> list[StoredTable]:
        with self.reading() as conn:
            rows = conn.execute(sa.select(run_tables).where(run_tables.c.period == period)
                                .order_by(run_tables.c.table_name))
            return [StoredTable(r.table_name, r.row_count, r.seconds, r.finding_count) for r in rows]

    def rule_names(self, period: str) -> dict[str, str]:
        """Rule id → name as the rule suite of that run named it (suites change between runs)."""
        with self.reading() as conn:
            return dict(conn.execute(sa.select(rules.c.rule_id, rules.c.name).where(rules.c.period == period)).all())

    def previous_period(self, period: str) -> str | None:
        """The latest recorded period before `period`: what its lifecycle is measured against."""
        with self.reading() as conn:
            return conn.execute(sa.select(sa.func.max(runs.c.period)).where(runs.c.period < period)).scalar()

    @contextmanager
    def _connect(self) -> Iterator[Connection]:
        try:
            conn = self.engine.connect()
        except sa.exc.DBAPIError as err:
            raise HistoryError(f"无法连接历史库 {self.display_url}: {_first_line(err)}") from err
        with conn:
            yield conn

    def _lost(self, err: sa.exc.DBAPIError) -> HistoryError:
        return HistoryError(f"写入历史库 {self.display_url} 失败, 本期未记录, 历史库保持原样: {_first_line(err)}")


def _sqlite_engine(url: sa.URL, wait_s: float) -> Engine:
    """SQLite with explicit transactions: BEGIN IMMEDIATE for writers (the lock, waiting up to `wait_s` through
    the busy timeout), plain BEGIN for readers, and WAL so that readers do not wait for a writer."""
    engine = sa.create_engine(url, connect_args={"timeout": wait_s})

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: object, _record: object) -> None:
        dbapi_connection.isolation_level = None  # type: ignore[attr-defined]  # we emit BEGIN ourselves
        dbapi_connection.execute("PRAGMA journal_mode = WAL")  # type: ignore[attr-defined]

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("dq_write") else "BEGIN")

    return engine


def _is_lock_wait(err: sa.exc.OperationalError) -> bool:
    orig = err.orig
    return getattr(orig, "sqlstate", None) == "55P03" or getattr(orig, "sqlite_errorname", None) == "SQLITE_BUSY"


def _first_line(err: Exception) -> str:
    text = str(getattr(err, "orig", None) or err).strip()
    return text.splitlines()[0] if text else type(err).__name__
