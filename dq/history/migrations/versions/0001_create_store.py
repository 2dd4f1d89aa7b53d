"""Create the store: runs, their tables, rules, per rule × branch metrics and findings.

Revision ID: 0001
Revises:
Create Date: 2024-11-01
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

PERIOD = sa.String(6)


def upgrade() -> None:
    op.create_table(
        "dq_runs",
        sa.Column("period", PERIOD, primary_key=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("dialect", sa.String(20), nullable=False),
        sa.Column("database", sa.String(), nullable=False),
        sa.Column("suite_path", sa.String(), nullable=False),
        sa.Column("suite_version", sa.String(100), nullable=False),
        sa.Column("started_at", sa.String(19), nullable=False),
        sa.Column("finished_at", sa.String(19), nullable=False),
        sa.Column("recorded_at", sa.String(19), nullable=False),
        sa.Column("finding_count", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "dq_run_tables",
        sa.Column("period", PERIOD, sa.ForeignKey("dq_runs.period"), primary_key=True),
        sa.Column("table_name", sa.String(64), primary_key=True),
        sa.Column("row_count", sa.BigInteger(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("finding_count", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "dq_rules",
        sa.Column("period", PERIOD, sa.ForeignKey("dq_runs.period"), primary_key=True),
        sa.Column("rule_id", sa.String(20), primary_key=True),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("table_name", sa.String(64), nullable=False),
        sa.Column("category", sa.String(2), nullable=False),
        sa.Column("dimension", sa.String(20), nullable=False),
        sa.Column("severity", sa.String(10), nullable=False),
        sa.Column("fields", sa.String(), nullable=False),
    )
    op.create_table(
        "dq_metrics",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("period", PERIOD, sa.ForeignKey("dq_runs.period"), nullable=False),
        sa.Column("rule_id", sa.String(20), nullable=False),
        sa.Column("branch", sa.String(64), nullable=True),
        sa.Column("population", sa.BigInteger(), nullable=False),
        sa.Column("violations", sa.BigInteger(), nullable=False),
        sa.Column("excess", sa.Float(), nullable=False),
    )
    op.create_index("ix_dq_metrics_period_rule", "dq_metrics", ["period", "rule_id"])
    op.create_table(
        "dq_findings",
        sa.Column("period", PERIOD, sa.ForeignKey("dq_runs.period"), primary_key=True),
        sa.Column("rule_id", sa.String(20), primary_key=True),
        sa.Column("record_key", sa.String(), primary_key=True),
        sa.Column("table_name", sa.String(64), nullable=False),
        sa.Column("entity", sa.String(), nullable=True),
        sa.Column("branch", sa.String(64), nullable=True),
        sa.Column("person_category", sa.String(2), nullable=True),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("snapshot", sa.Text(), nullable=True),
        sa.Column("first_seen", PERIOD, nullable=False),
    )
    op.create_index("ix_dq_findings_identity", "dq_findings", ["rule_id", "record_key", "period"])


def downgrade() -> None:
    for table in ("dq_findings", "dq_metrics", "dq_rules", "dq_run_tables", "dq_runs"):
        op.drop_table(table)
