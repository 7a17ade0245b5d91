"""Web customers are stored under a digest of their bearer token, not the token.

Revision ID: 0006_web_token_digest
Revises: 0005_change_notify
Create Date: 2026-12-06

Upgrade data: add this revision's Seed to tests/handoff/migration_seeds.py.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_web_token_digest"
down_revision: str | Sequence[str] | None = "0005_change_notify"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_customer = sa.table(
    "customer",
    sa.column("id", sa.Integer),
    sa.column("channel", sa.String),
    sa.column("external_id", sa.String),
)


# As handoff.bearer computes it, copied so that this revision does not change with it.
DIGEST_PREFIX = "sha256:"


def token_digest(token: str) -> str:
    """The digest the service looks a web customer up by."""
    data = token.encode("utf-8", errors="surrogatepass")
    return DIGEST_PREFIX + hashlib.sha256(data).hexdigest()


def upgrade() -> None:
    """Replace each stored web token by its digest: pages that kept the token go on
    working, since the service now looks customers up by the digest of what they send."""
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(_customer.c.id, _customer.c.external_id).where(
            _customer.c.channel == "web",
            sa.not_(_customer.c.external_id.startswith(DIGEST_PREFIX)),
        )
    ).all()
    for customer_id, token in rows:
        connection.execute(
            sa.update(_customer)
            .where(_customer.c.id == customer_id)
            .values(external_id=token_digest(token))
        )


def downgrade() -> None:
    """Nothing to undo: a digest cannot be turned back into the token (the customers
    whose page still has the token start a new conversation)."""
