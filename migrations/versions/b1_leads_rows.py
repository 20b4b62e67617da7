"""Lead rows: the contact's fields copied onto its leads, their indexes, and Smart Lists

Revision ID: b1_leads_rows
Revises: a0969579359a
Create Date: 2026-11-23 04:10:00

"""
from alembic import op
import sqlalchemy as sa

from crm.services import lead_rows

# revision identifiers, used by Alembic.
revision = 'b1_leads_rows'
down_revision = 'a0969579359a'
branch_labels = None
depends_on = None

COPIES = ('owner_id', 'office_id', 'contact_name_key', 'contact_status', 'contact_type', 'contact_source',
          'business_source', 'priority', 'interest_level', 'time_frame', 'lead_status', 'lead_type',
          'contact_archived', 'contact_deleted')
LEAD_INDEXES = {
    'ix_leads_owner_occurred': ['owner_id', 'contact_deleted', 'contact_archived', 'occurred_at', 'id'],
    'ix_leads_office_occurred': ['office_id', 'contact_deleted', 'contact_archived', 'occurred_at', 'id'],
    'ix_leads_live_occurred': ['contact_deleted', 'contact_archived', 'occurred_at', 'id'],
    'ix_leads_occurred_id': ['occurred_at', 'id'],
    'ix_leads_owner_inquiry_occurred': ['owner_id', 'inquiry_type', 'occurred_at'],
    'ix_leads_inquiry_occurred': ['inquiry_type', 'occurred_at'],
    'ix_leads_owner_name': ['owner_id', 'contact_name_key'],
    'ix_leads_name': ['contact_name_key'],
    'ix_leads_property_zip': ['property_zip'],
}


def upgrade():
    op.create_table('smart_lists',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('shared_office_id', sa.Integer(), nullable=True),
    sa.Column('query', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_smart_lists_owner_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shared_office_id'], ['offices.id'], name=op.f('fk_smart_lists_shared_office_id_offices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_smart_lists')),
    sa.UniqueConstraint('owner_id', 'name', name=op.f('uq_smart_lists_owner_id'))
    )
    with op.batch_alter_table('smart_lists', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_smart_lists_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_smart_lists_shared_office_id'), ['shared_office_id'], unique=False)

    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('office_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('contact_name_key', sa.String(length=161), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('contact_status', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('contact_type', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('contact_source', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('business_source', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('priority', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('interest_level', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('time_frame', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('lead_status', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('lead_type', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('contact_archived', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('contact_deleted', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_foreign_key(batch_op.f('fk_leads_owner_id_users'), 'users', ['owner_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_leads_office_id_offices'), 'offices', ['office_id'], ['id'])
        batch_op.drop_index('ix_leads_occurred_at')

    lead_rows.sync(op.get_bind(), columns=COPIES)

    with op.batch_alter_table('leads', schema=None) as batch_op:
        for column in ('contact_name_key', 'interest_level', 'contact_archived', 'contact_deleted'):
            batch_op.alter_column(column, server_default=None)
        for name, columns in LEAD_INDEXES.items():
            batch_op.create_index(name, columns, unique=False)


def downgrade():
    with op.batch_alter_table('leads', schema=None) as batch_op:
        for name in LEAD_INDEXES:
            batch_op.drop_index(name)
        batch_op.create_index('ix_leads_occurred_at', ['occurred_at'], unique=False)
        batch_op.drop_constraint(batch_op.f('fk_leads_office_id_offices'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_leads_owner_id_users'), type_='foreignkey')
        for column in ('contact_deleted', 'contact_archived', 'lead_type', 'lead_status', 'time_frame',
                       'interest_level', 'priority', 'business_source', 'contact_source', 'contact_type',
                       'contact_status', 'contact_name_key', 'office_id', 'owner_id'):
            batch_op.drop_column(column)

    with op.batch_alter_table('smart_lists', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_smart_lists_shared_office_id'))
        batch_op.drop_index(batch_op.f('ix_smart_lists_owner_id'))
    op.drop_table('smart_lists')
