"""Leads speed: a stored priority rank, and an index per sort and filter column for each visibility

Revision ID: c8_leads_speed
Revises: c13_dashboard_rollups
"""
from alembic import op
import sqlalchemy as sa

revision = "c8_leads_speed"
down_revision = "c13_dashboard_rollups"
branch_labels = None
depends_on = None

SORT_COLUMNS = {
    "name": ("contact_name_key",), "inquiry": ("inquiry_type",), "city": ("property_city", "property_street"),
    "status": ("contact_status",), "type": ("contact_type",), "source": ("contact_source",),
    "business": ("business_source",), "priority": ("priority_rank",), "stars": ("interest_level",),
    "frame": ("time_frame",), "lstatus": ("lead_status",), "ltype": ("lead_type",),
}
INDEXES = {
    f"ix_leads_{scope}_{key}": [*prefix, "contact_deleted", "contact_archived", *columns, "occurred_at", "id"]
    for scope, prefix in (("own", ["owner_id"]), ("office", ["office_id"]), ("all", []))
    for key, columns in SORT_COLUMNS.items()
} | {"ix_leads_property_street": ["property_street"]}  # Keyword: a street number prefix
PRIORITY_RANK = """CASE priority WHEN 'Hot' THEN 0 WHEN 'Warm' THEN 1 WHEN 'Cold' THEN 2 WHEN 'Dead' THEN 3
                   ELSE 9 END"""


def upgrade():
    op.add_column("leads", sa.Column("priority_rank", sa.Integer(), nullable=False, server_default="9"))
    op.execute(f"UPDATE leads SET priority_rank = {PRIORITY_RANK} WHERE priority IS NOT NULL")
    op.drop_index("ix_leads_owner_name", table_name="leads")
    for name, columns in INDEXES.items():
        op.create_index(name, "leads", columns)
    op.execute("ANALYZE leads")  # the planners choose among these indexes by their statistics


def downgrade():
    for name in INDEXES:
        op.drop_index(name, table_name="leads")
    op.create_index("ix_leads_owner_name", "leads", ["owner_id", "contact_name_key"])
    # SQLite's own DROP COLUMN (3.35+), not batch mode: re-creating `leads` would drop the dashboard's
    # triggers on it and trip over the one on activity_log that names it
    op.drop_column("leads", "priority_rank")
