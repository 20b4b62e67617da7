"""trust: arrival zip for masking, session versions, sign-in failures, failed-mail reports

Revision ID: b2_trust
Revises: a0969579359a
"""
from alembic import op
import sqlalchemy as sa

revision = "b2_trust"
down_revision = "b6_beyond"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("contacts") as batch_op:
        batch_op.add_column(sa.Column("arrival_zip", sa.String(length=10), nullable=True))
    # The zip of the contact's earliest lead with a property zip, else the contact's own zip.
    op.execute("""
        UPDATE contacts SET arrival_zip = COALESCE(
            (SELECT leads.property_zip FROM leads
              WHERE leads.contact_id = contacts.id AND leads.property_zip IS NOT NULL
              ORDER BY leads.occurred_at, leads.id LIMIT 1),
            contacts.zip)
    """)
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("session_version", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("outbox_messages") as batch_op:
        batch_op.add_column(sa.Column("failure_reported_at", sa.DateTime(), nullable=True))
    op.create_table(
        "sign_in_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("failed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_failures")),
    )
    with op.batch_alter_table("sign_in_failures") as batch_op:
        batch_op.create_index(batch_op.f("ix_sign_in_failures_email"), ["email"], unique=False)
        batch_op.create_index(batch_op.f("ix_sign_in_failures_address"), ["address"], unique=False)
        batch_op.create_index(batch_op.f("ix_sign_in_failures_failed_at"), ["failed_at"], unique=False)


def downgrade():
    op.drop_table("sign_in_failures")
    with op.batch_alter_table("outbox_messages") as batch_op:
        batch_op.drop_column("failure_reported_at")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("session_version")
    with op.batch_alter_table("contacts") as batch_op:
        batch_op.drop_column("arrival_zip")
