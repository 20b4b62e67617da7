"""Dashboard daily rollups: the folded hourly counts summed per local day of each zone in use

Revision ID: d13_dashboard_daily
Revises: d8_leads_sorts
"""
import sqlalchemy as sa
from alembic import op

revision = "d13_dashboard_daily"
down_revision = "d8_leads_sorts"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "dashboard_days",
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("dimension", sa.String(length=16), nullable=False),
        sa.Column("scope_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("value", sa.String(length=60), nullable=False),
        sa.Column("leads", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("zone", "dimension", "scope_id", "day", "value", name=op.f("pk_dashboard_days")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "dashboard_zones",
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("zone", name=op.f("pk_dashboard_zones")),
    )


def downgrade():
    op.drop_table("dashboard_zones")
    op.drop_table("dashboard_days")
