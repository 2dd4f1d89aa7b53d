"""Real databases for the tests: SQLite and DuckDB files, PostgreSQL and MariaDB servers on this machine.

Nothing is mocked. A server that is down fails the tests with the command that starts it (never a silent skip).
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

PG_ADMIN = os.environ.get("DQ_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
MARIADB_ADMIN = os.environ.get("DQ_TEST_MARIADB", "mysql+pymysql://root@127.0.0.1:3306/")
# Two checkouts testing at once on one machine keep apart by prefixing their server database names.
DB_PREFIX = os.environ.get("DQ_TEST_DB_PREFIX", "")
DIALECTS = ("sqlite", "duckdb", "postgresql", "mysql")
START = {
    "postgresql": "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
    "mysql": "start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd",
}
ROOT = Path(__file__).resolve().parents[1]


def _server_database(dialect: str, name: str) -> str:
    """Create (if missing) and return the URL of a scratch database `name` on the PostgreSQL / MariaDB server."""
    admin = PG_ADMIN if dialect == "postgresql" else MARIADB_ADMIN
    name = DB_PREFIX + name
    try:
        engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            if dialect == "postgresql":
                exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
                if not exists:
                    conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
            else:
                conn.execute(sa.text(f"CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4"))
        engine.dispose()
    except sa.exc.OperationalError as err:
        pytest.fail(f"{dialect} server is not reachable ({err.orig}); start it with: {START[dialect]}")
    base = sa.engine.make_url(admin)
    url = base.set(database=name)
    if dialect == "mysql":
        url = url.update_query_dict({"charset": "utf8mb4"})
    return url.render_as_string(hide_password=False)


def database_url(dialect: str, name: str, tmp_dir: Path) -> str:
    """A fresh, empty-able database of kind `dialect` called `name` (file in tmp_dir for embedded kinds)."""
    if dialect == "sqlite":
        return f"sqlite:///{tmp_dir / (name + '.sqlite')}"
    if dialect == "duckdb":
        return f"duckdb:///{tmp_dir / (name + '.duckdb')}"
    return _server_database(dialect, name)


@pytest.fixture(scope="session")
def session_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("dq")


@pytest.fixture(scope="session", params=DIALECTS)
def dialect(request: pytest.FixtureRequest) -> Iterator[str]:
    yield request.param
