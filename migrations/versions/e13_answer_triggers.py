"""Dashboard answer triggers made again: a new immediate lead is updated only when its owner has acted

Revision ID: e13_answer_triggers
Revises: d13_dashboard_daily
"""
from alembic import op

from crm.services import dashboard_rollup

revision = "e13_answer_triggers"
down_revision = "d13_dashboard_daily"
branch_labels = None
depends_on = None


def upgrade():
    dashboard_rollup.reinstall_triggers(op.get_bind())


def downgrade():
    """The earlier trigger text gave the same answers, more slowly: nothing to undo."""
