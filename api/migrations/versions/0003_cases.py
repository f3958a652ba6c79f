"""Counselors' cases: a pseudonymous worker reference, the profile, notes, follow-up,
outcome and shortlist, owned by a counselor, optionally handed over from a chat.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from api.migrations.guards import absent

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if absent("cases"):  # made by create_all on a database that was not upgraded
        op.create_table(
            "cases",
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("worker_ref", sa.String(length=40), nullable=False),
            sa.Column("counselor_id", sa.Integer(), nullable=False),
            sa.Column("profile", sa.JSON(), nullable=False),
            sa.Column("notes", sa.Text(), nullable=False),
            sa.Column("follow_up", sa.Date(), nullable=True),
            sa.Column("outcome", sa.String(length=20), nullable=False),
            sa.Column("program_ids", sa.JSON(), nullable=False),
            sa.Column("chat_session_id", sa.String(length=32), nullable=True),
            sa.Column("created_at", sa.DateTime(), nullable=False),
            sa.Column("updated_at", sa.DateTime(), nullable=False),
            sa.ForeignKeyConstraint(["chat_session_id"], ["chat_sessions.id"], ondelete="SET NULL"),
            sa.ForeignKeyConstraint(["counselor_id"], ["users.id"]),
            sa.PrimaryKeyConstraint("id"),
        )
        op.create_index("ix_cases_worker_ref", "cases", ["worker_ref"], unique=True)
        op.create_index("ix_cases_counselor_id", "cases", ["counselor_id"], unique=False)
        op.create_index("ix_cases_chat_session_id", "cases", ["chat_session_id"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_cases_chat_session_id", table_name="cases")
    op.drop_index("ix_cases_counselor_id", table_name="cases")
    op.drop_index("ix_cases_worker_ref", table_name="cases")
    op.drop_table("cases")
