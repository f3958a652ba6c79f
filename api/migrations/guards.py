"""Guards for migrations that create tables.

Every engine runs ``create_all`` when it is built (``corpus.db.get_engine``), so a service
started on a database nobody upgraded creates the newer tables itself, already in their
newest shape. ``jnt db upgrade`` must then skip creating them instead of failing with
"table already exists" — the columns added to older tables still need their migrations.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


def absent(table: str) -> bool:
    """True when ``table`` does not exist yet (so this migration must create it)."""
    return table not in sa.inspect(op.get_bind()).get_table_names()
