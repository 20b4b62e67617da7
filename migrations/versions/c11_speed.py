"""speed: a lead alert names its lead, so the worker renders it at send time

Revision ID: c11_speed
Revises: b2_trust
"""
import sqlalchemy as sa
from alembic import op

revision = "c11_speed"
down_revision = "b2_trust"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox_messages") as batch_op:
        batch_op.add_column(sa.Column("lead_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_outbox_messages_lead_id_leads", "leads", ["lead_id"], ["id"],
                                    ondelete="SET NULL")


def downgrade():
    with op.batch_alter_table("outbox_messages") as batch_op:
        batch_op.drop_constraint("fk_outbox_messages_lead_id_leads", type_="foreignkey")
        batch_op.drop_column("lead_id")
