"""Accounts: office and personal time zones, invitation and reset tokens, Unsubscribed backfill

Revision ID: b5_accounts
Revises: a0969579359a
"""
from alembic import op
import sqlalchemy as sa

revision = "b5_accounts"
down_revision = "b1_leads_rows"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("offices") as batch_op:
        batch_op.add_column(sa.Column("time_zone", sa.String(length=64), nullable=False,
                                      server_default="America/New_York"))
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("time_zone", sa.String(length=64), nullable=True))
    op.create_table(
        "account_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_account_tokens_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_account_tokens_token_hash")),
    )
    with op.batch_alter_table("account_tokens") as batch_op:
        batch_op.create_index(batch_op.f("ix_account_tokens_user_id"), ["user_id"], unique=False)
    # docs/product.md#words-and-values: an `Unsubscribed` lead marks its contact (contacts loaded before this rule held).
    op.execute("UPDATE contacts SET unsubscribed = true WHERE unsubscribed = false AND EXISTS "
               "(SELECT 1 FROM leads WHERE leads.contact_id = contacts.id AND leads.inquiry_type = 'Unsubscribed')")


def downgrade():
    with op.batch_alter_table("account_tokens") as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_tokens_user_id"))
    op.drop_table("account_tokens")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("time_zone")
    with op.batch_alter_table("offices") as batch_op:
        batch_op.drop_column("time_zone")
