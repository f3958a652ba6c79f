"""WeChat mini-program logins: an HMAC of the openid → the worker's chat session.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from api.migrations.guards import absent

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if absent("wechat_bindings"):  # made by create_all on a database that was not upgraded
        op.create_table(
            "wechat_bindings",
            sa.Column("openid_hash", sa.String(length=64), nullable=False),
            sa.Column("session_id", sa.String(length=32), nullable=False),
            sa.Column("created_at", sa.DateTime(), nullable=False),
            sa.PrimaryKeyConstraint("openid_hash"),
        )


def downgrade() -> None:
    op.drop_table("wechat_bindings")
