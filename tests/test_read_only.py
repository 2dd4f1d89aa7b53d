"""The audited database is only ever read: dq's sessions refuse writes, and a SELECT-only role is enough."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from dq.pipeline import audit
from dq.run.connect import connection, open_source
from tests.conftest import DIALECTS, database_url
from tests.small_city import build_small_city

READER = "dq_reader"


@pytest.fixture(scope="module", params=DIALECTS)
def audited_url(request: pytest.FixtureRequest, session_tmp: Path) -> str:
    url = database_url(request.param, "dq_test_readonly", session_tmp)
    build_small_city(url).engine.dispose()
    return url


def test_dq_sessions_cannot_write(audited_url: str) -> None:
    source = open_source(audited_url)
    try:
        with connection(source) as conn, pytest.raises(sa.exc.DBAPIError) as raised:
            conn.execute(sa.text("UPDATE ab01 SET aab004 = 'x'"))
            conn.commit()
        assert any(word in str(raised.value).lower() for word in ("read-only", "read only", "readonly"))
    finally:
        source.engine.dispose()
    with sa.create_engine(audited_url).connect() as check:
        assert check.execute(sa.text("SELECT COUNT(*) FROM ab01 WHERE aab004 = 'x'")).scalar() == 0


def test_postgresql_role_with_only_select_can_audit(session_tmp: Path, tmp_path: Path) -> None:
    url = database_url("postgresql", "dq_test_readonly", session_tmp)
    build_small_city(url).engine.dispose()
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": READER}).first():
            conn.execute(sa.text(f"CREATE ROLE {READER} LOGIN"))
        conn.execute(sa.text(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {READER}"))
        conn.execute(sa.text(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {READER}"))
        privileges = conn.execute(sa.text(
            "SELECT DISTINCT privilege_type FROM information_schema.role_table_grants WHERE grantee = :r"), {"r": READER})
        assert {p for (p,) in privileges} == {"SELECT"}
    admin.dispose()
    reader_url = sa.engine.make_url(url).set(username=READER).render_as_string(hide_password=False)
    outcome = audit(reader_url, tmp_path, period="2024-10")
    document = json.loads(outcome.results_path.read_text(encoding="utf-8"))
    assert {r["id"]: r["violations"] for r in document["rules"]}["U08"] == 1
