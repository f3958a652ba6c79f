"""Documents say how far they can be trusted: ``source_kind`` (official, reprint, news,
unknown) and a short Chinese ``source_note`` that citations show (issue 12).

Existing rows become ``unknown``: nothing recorded says otherwise, and ``jnt setup`` /
re-ingesting the shipped corpus fills in what the sidecars now state.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# The shipped seeds as their sidecars now describe them (corpus/texts/seeds/*.meta.yaml),
# so a home made before this revision cites them honestly at once.
SHIPPED_SOURCES = [
    ("jx-2022-training-plan", "reprint",
     "百科网页转载文本（繁体、台湾用语），以江西省人社厅等发布的原文为准"),
    ("hb-2020-1x-report", "news", "新闻报道，不是政策原文，以有关部门发布的文件为准"),
    ("mohrss-2020-internet-plus-qa", "reprint", "转载文本，以人社部发布的原文为准"),
    ("nm-2022-training-brand-plan", "official", None),
    ("gf-2018-11-lifelong-training", "reprint",
     "转载全文，未与官方原文核对，以国务院发布的原文为准"),
    ("rsbf-2018-77-public-employment-services", "reprint",
     "转载全文，未与官方原文核对，以人社部等发布的原文为准"),
]


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("source_kind", sa.String(length=20), server_default="unknown",
                                   nullable=False))
        batch.add_column(sa.Column("source_note", sa.String(length=200), nullable=True))
    documents = sa.table("documents", sa.column("id", sa.String),
                         sa.column("source_kind", sa.String), sa.column("source_note", sa.String))
    for doc_id, kind, note in SHIPPED_SOURCES:
        op.execute(documents.update().where(documents.c.id == doc_id)
                   .values(source_kind=kind, source_note=note))


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("source_note")
        batch.drop_column("source_kind")
