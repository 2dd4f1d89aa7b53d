"""Versioned schema of the store: Alembic revisions in dq/history/migrations/versions, run from code.

Users never see Alembic (no alembic.ini, no env.py): every writer brings the store to the newest revision inside
its own transaction, under the store lock, so a schema change lands together with a run or not at all. The
environment that `alembic upgrade` would build from env.py is built here with Alembic's EnvironmentContext, on
the writer's connection. Developers add a revision with `alembic.command.revision(alembic_config(), "message")`
and write its upgrade by hand; tables.py shows the target and tests/test_history_store.py checks that the
migrated store matches it.
"""
from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext, RevisionStep
from alembic.script import ScriptDirectory

from dq.history.tables import metadata

MIGRATIONS = Path(__file__).with_name("migrations")
VERSION_TABLE = "dq_alembic_version"


def alembic_config() -> Config:
    """An in-memory Alembic configuration pointing at the packaged migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "dq/history/migrations has no revision"
    return head


def current_revision(conn: sa.Connection) -> str | None:
    return MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE}).get_current_revision()


def upgrade(conn: sa.Connection) -> None:
    """Bring the store on `conn` to the newest revision, inside the caller's transaction (Alembic sees an
    external transaction and adds none of its own)."""
    config = alembic_config()
    script = ScriptDirectory.from_config(config)

    def steps(current: tuple[str, ...], _context: MigrationContext) -> list[RevisionStep]:
        # what alembic.command.upgrade passes as fn; Alembic hands it the current heads as a tuple
        return script._upgrade_revs("head", current)  # type: ignore[arg-type]

    with EnvironmentContext(config, script, fn=steps, destination_rev="head") as environment:
        environment.configure(connection=conn, target_metadata=metadata, version_table=VERSION_TABLE)
        with environment.begin_transaction():
            environment.run_migrations()
