"""Index builds shared through the database (corpus/index_sync.py).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from api.migrations.guards import absent

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if absent("index_builds"):  # made by create_all on a database that was not upgraded
        op.create_table(
            "index_builds",
            sa.Column("name", sa.String(length=64), nullable=False),
            sa.Column("seq", sa.Integer(), nullable=False),
            sa.Column("manifest_sha256", sa.String(length=64), nullable=False),
            sa.Column("archive", sa.LargeBinary(), nullable=False),
            sa.Column("created_at", sa.DateTime(), nullable=False),
            sa.PrimaryKeyConstraint("name"),
            sa.UniqueConstraint("seq"),
        )


def downgrade() -> None:
    op.drop_table("index_builds")
