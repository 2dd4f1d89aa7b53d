"""The history store's tables, as SQLAlchemy Core metadata (the shape the newest migration produces).

A period is the identity of a run: re-auditing a period replaces its rows, so every table is keyed by `period`.
A finding row is one (rule id, record key) of one period; `first_seen` is the first period of its unbroken run
of recorded periods, kept up to date by the writer so that reading a lifecycle needs no walk through history.
Every name starts with `dq_` so that a shared PostgreSQL database can hold the store beside other tables.
"""
from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

PERIOD = sa.String(6)  # YYYYMM

runs = sa.Table(
    "dq_runs", metadata,
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

run_tables = sa.Table(
    "dq_run_tables", metadata,
    sa.Column("period", PERIOD, sa.ForeignKey("dq_runs.period"), primary_key=True),
    sa.Column("table_name", sa.String(64), primary_key=True),
    sa.Column("row_count", sa.BigInteger(), nullable=False),
    sa.Column("seconds", sa.Float(), nullable=False),
    sa.Column("finding_count", sa.BigInteger(), nullable=False),
)

rules = sa.Table(
    "dq_rules", metadata,
    sa.Column("period", PERIOD, sa.ForeignKey("dq_runs.period"), primary_key=True),
    sa.Column("rule_id", sa.String(20), primary_key=True),
    sa.Column("name", sa.String(), nullable=False),
    sa.Column("table_name", sa.String(64), nullable=False),
    sa.Column("category", sa.String(2), nullable=False),
    sa.Column("dimension", sa.String(20), nullable=False),
    sa.Column("severity", sa.String(10), nullable=False),
    sa.Column("fields", sa.String(), nullable=False),  # comma-separated national field codes
)

metrics = sa.Table(
    "dq_metrics", metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("period", PERIOD, sa.ForeignKey("dq_runs.period"), nullable=False),
    sa.Column("rule_id", sa.String(20), nullable=False),
    sa.Column("branch", sa.String(64), nullable=True),  # NULL: 未知经办机构
    sa.Column("population", sa.BigInteger(), nullable=False),
    sa.Column("violations", sa.BigInteger(), nullable=False),
    sa.Column("excess", sa.Float(), nullable=False),
    sa.Index("ix_dq_metrics_period_rule", "period", "rule_id"),
)

findings = sa.Table(
    "dq_findings", metadata,
    sa.Column("period", PERIOD, sa.ForeignKey("dq_runs.period"), primary_key=True),
    sa.Column("rule_id", sa.String(20), primary_key=True),
    sa.Column("record_key", sa.String(), primary_key=True),
    sa.Column("table_name", sa.String(64), nullable=False),
    sa.Column("entity", sa.String(), nullable=True),
    sa.Column("branch", sa.String(64), nullable=True),  # NULL: 未知经办机构
    sa.Column("person_category", sa.String(2), nullable=True),
    sa.Column("row_count", sa.Integer(), nullable=False),
    sa.Column("snapshot", sa.Text(), nullable=True),  # JSON {field code: value} of the rule's fields; NULL: not read
    sa.Column("first_seen", PERIOD, nullable=False),
    sa.Index("ix_dq_findings_identity", "rule_id", "record_key", "period"),
)
