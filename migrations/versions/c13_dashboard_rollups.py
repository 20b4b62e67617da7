"""Dashboard rollups (docs/product.md#dashboard): speed-to-lead answers on leads, lead counts per hour kept by
triggers, and named import mappings

Revision ID: c13_dashboard_rollups
Revises: c11_speed
"""
import sqlalchemy as sa
from alembic import op

from crm.services import dashboard_rollup

revision = "c13_dashboard_rollups"
down_revision = "c11_speed"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("leads") as batch_op:
        batch_op.add_column(sa.Column("answered_at", sa.DateTime(), nullable=True))
        batch_op.create_index("ix_leads_answered", ["occurred_at", "owner_id", "office_id", "contact_deleted",
                                                    "answered_at"], unique=False,
                              sqlite_where=sa.text("answered_at IS NOT NULL"),
                              postgresql_where=sa.text("answered_at IS NOT NULL"))
    live = "archived_at IS NULL AND deleted_at IS NULL"
    open_plan = "action_plan_id IS NOT NULL AND plan_completed_at IS NULL"
    with op.batch_alter_table("contacts") as batch_op:
        batch_op.create_index("ix_contacts_live_referral_changed", ["referral_status_changed_at", "office_id",
                                                                    "owner_id", "referral_status"], unique=False,
                              sqlite_where=sa.text(live), postgresql_where=sa.text(live))
        batch_op.create_index("ix_contacts_open_plan", ["office_id", "owner_id"], unique=False,
                              sqlite_where=sa.text(open_plan), postgresql_where=sa.text(open_plan))
    op.create_table(
        "dashboard_counts",
        sa.Column("dimension", sa.String(length=16), nullable=False),
        sa.Column("scope_id", sa.Integer(), nullable=False),
        sa.Column("hour", sa.DateTime(), nullable=False),
        sa.Column("value", sa.String(length=60), nullable=False),
        sa.Column("leads", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("dimension", "scope_id", "hour", "value", name=op.f("pk_dashboard_counts")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "dashboard_count_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dimension", sa.String(length=16), nullable=False),
        sa.Column("scope_id", sa.Integer(), nullable=False),
        sa.Column("hour", sa.DateTime(), nullable=False),
        sa.Column("value", sa.String(length=60), nullable=False),
        sa.Column("leads", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboard_count_changes")),
    )
    op.create_table(
        "import_mappings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("mapping", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["office_id"], ["offices.id"], name=op.f("fk_import_mappings_office_id_offices")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_import_mappings_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_mappings")),
        sa.UniqueConstraint("office_id", "name", name=op.f("uq_import_mappings_office_id")),
    )
    dashboard_rollup.install(op.get_bind())


def downgrade():
    dashboard_rollup.uninstall(op.get_bind())
    op.drop_table("import_mappings")
    op.drop_table("dashboard_count_changes")
    op.drop_table("dashboard_counts")
    with op.batch_alter_table("contacts") as batch_op:
        batch_op.drop_index("ix_contacts_open_plan")
        batch_op.drop_index("ix_contacts_live_referral_changed")
    with op.batch_alter_table("leads") as batch_op:
        batch_op.drop_index("ix_leads_answered")
        batch_op.drop_column("answered_at")
