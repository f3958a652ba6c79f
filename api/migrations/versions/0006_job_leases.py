"""Job leases and heartbeats.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Jobs left queued/running by an older version get no lease: the start-up sweep treats
    # them as expired once their ``updated_at`` is older than one lease (api/jobs.py).
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("owner", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("lease_expires_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("workdir", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("cancel_requested", sa.Boolean(),
                                   server_default=sa.false(), nullable=False))
    op.create_index(op.f("ix_jobs_lease_expires_at"), "jobs", ["lease_expires_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_jobs_lease_expires_at"), table_name="jobs")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("cancel_requested")
        batch.drop_column("workdir")
        batch.drop_column("lease_expires_at")
        batch.drop_column("owner")
