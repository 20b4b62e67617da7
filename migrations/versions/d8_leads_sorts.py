"""Leads sorts: the owner's name and the action plan's state copied onto leads, with their indexes

Revision ID: d8_leads_sorts
Revises: c8_leads_speed
"""
from alembic import op
import sqlalchemy as sa

from crm.services import lead_rows

revision = "d8_leads_sorts"
down_revision = "c8_leads_speed"
branch_labels = None
depends_on = None

COPIES = ("owner_name", "plan_rank", "plan_next_due")
INDEXES = {
    "ix_leads_office_owner": ["office_id", "contact_deleted", "contact_archived", "owner_name", "occurred_at", "id"],
    "ix_leads_all_owner": ["contact_deleted", "contact_archived", "owner_name", "occurred_at", "id"],
    **{f"ix_leads_{scope}_plan": [*prefix, "contact_deleted", "contact_archived", "plan_rank", "plan_next_due",
                                  "occurred_at", "id"]
       for scope, prefix in (("own", ["owner_id"]), ("office", ["office_id"]), ("all", []))},
}


def upgrade():
    op.add_column("leads", sa.Column("owner_name", sa.String(length=120), nullable=True))
    op.add_column("leads", sa.Column("plan_rank", sa.Integer(), nullable=False, server_default="3"))
    op.add_column("leads", sa.Column("plan_next_due", sa.DateTime(), nullable=True))
    lead_rows.sync(op.get_bind(), columns=COPIES)
    for name, columns in INDEXES.items():
        op.create_index(name, "leads", columns)
    if op.get_bind().dialect.name == "sqlite":
        op.execute("PRAGMA analysis_limit = 2000")  # sample each index, as the demo loader does
    op.execute("ANALYZE leads")


def downgrade():
    for name in INDEXES:
        op.drop_index(name, table_name="leads")
    # SQLite's own DROP COLUMN (see c8_leads_speed)
    for column in reversed(COPIES):
        op.drop_column("leads", column)
