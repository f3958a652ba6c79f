"""Jobs as data any node claims: parameters, attempts, deadline; upload payloads; shared
rate-limit buckets.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from api.migrations.guards import absent

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Jobs queued by an older version have no params: a node claiming one fails it as
    # ``job_lost`` (its work was a closure in the old process), see api/jobs.py.
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("params", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("attempts", sa.Integer(), server_default="0",
                                   nullable=False))
        batch.add_column(sa.Column("max_attempts", sa.Integer(), server_default="2",
                                   nullable=False))
        batch.add_column(sa.Column("deadline_at", sa.DateTime(), nullable=True))
    if absent("job_payloads"):  # made by create_all on a database that was not upgraded
        op.create_table(
            "job_payloads",
            sa.Column("job_id", sa.String(length=32), nullable=False),
            sa.Column("data", sa.LargeBinary(), nullable=False),
            sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], ondelete="CASCADE"),
            sa.PrimaryKeyConstraint("job_id"),
        )
    if absent("rate_buckets"):  # made by create_all on a database that was not upgraded
        op.create_table(
            "rate_buckets",
            sa.Column("key", sa.String(length=200), nullable=False),
            sa.Column("tokens", sa.Float(), nullable=False),
            sa.Column("allowed", sa.Boolean(), nullable=False),
            sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("key"),
        )
        op.create_index(op.f("ix_rate_buckets_updated_at"), "rate_buckets", ["updated_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_rate_buckets_updated_at"), table_name="rate_buckets")
    op.drop_table("rate_buckets")
    op.drop_table("job_payloads")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("deadline_at")
        batch.drop_column("max_attempts")
        batch.drop_column("attempts")
        batch.drop_column("params")
