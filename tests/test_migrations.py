"""The migrations and the models describe exactly the same schema."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from crm import fulltext
from crm.extensions import db


def test_migrations_match_the_models(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": fulltext.include_object})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_the_keyword_index_is_installed(app):
    names = {"sqlite": "SELECT name FROM sqlite_master WHERE name = 'contacts_fts'",
             "postgresql": "SELECT indexname FROM pg_indexes WHERE indexname = 'ix_contacts_search_tsv'"}
    with db.engine.connect() as connection:
        assert connection.execute(text(names[db.engine.dialect.name])).scalar() is not None
