"""Full-text search over contacts.search_text for the Keyword box (docs/product.md#scale).

SQLite: an FTS5 table kept in step with `contacts` by triggers. PostgreSQL: a GIN index on
to_tsvector('simple', search_text). Both match every word of the keyword as a word prefix.
The objects are made by the initial migration (see migrations/script.py.mako).
"""
import re

from sqlalchemy import Select, column, func, literal_column, select, table, text

SQLITE_INSTALL = (
    "CREATE VIRTUAL TABLE contacts_fts USING fts5(search_text, content='contacts', content_rowid='id')",
    "CREATE TRIGGER contacts_fts_insert AFTER INSERT ON contacts BEGIN "
    "INSERT INTO contacts_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER contacts_fts_delete AFTER DELETE ON contacts BEGIN "
    "INSERT INTO contacts_fts(contacts_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER contacts_fts_update AFTER UPDATE OF search_text ON contacts BEGIN "
    "INSERT INTO contacts_fts(contacts_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO contacts_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
)
SQLITE_UNINSTALL = (
    "DROP TRIGGER IF EXISTS contacts_fts_update", "DROP TRIGGER IF EXISTS contacts_fts_delete",
    "DROP TRIGGER IF EXISTS contacts_fts_insert", "DROP TABLE IF EXISTS contacts_fts",
)
POSTGRESQL_INSTALL = (
    "CREATE INDEX ix_contacts_search_tsv ON contacts USING gin (to_tsvector('simple', search_text))",
)
POSTGRESQL_UNINSTALL = ("DROP INDEX IF EXISTS ix_contacts_search_tsv",)
FTS_OBJECTS = {"contacts_fts", "contacts_fts_data", "contacts_fts_idx", "contacts_fts_docsize",
               "contacts_fts_config", "contacts_fts_content", "ix_contacts_search_tsv"}


def install(op) -> None:
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_INSTALL if dialect == "sqlite" else POSTGRESQL_INSTALL:
        op.execute(statement)


def uninstall(op) -> None:
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_UNINSTALL if dialect == "sqlite" else POSTGRESQL_UNINSTALL:
        op.execute(statement)


def include_object(_object, name, _type, _reflected, _compare_to) -> bool:
    """Alembic autogenerate: the full-text objects are not in the models, and must stay."""
    return name not in FTS_OBJECTS


def words(keyword: str) -> list[str]:
    """The keyword as the tokenizers see it: runs of letters and digits, lower-case."""
    return re.findall(r"\w+", keyword.lower())


def matching_ids(dialect: str, keyword: str) -> Select | None:
    """The ids of contacts whose search_text has every keyword word as a word prefix (None: no words)."""
    tokens = words(keyword)
    if not tokens:
        return None
    if dialect == "sqlite":
        fts = table("contacts_fts", column("rowid"))
        query = " ".join(f'"{token}"*' for token in tokens)
        return select(fts.c.rowid).where(literal_column("contacts_fts").op("MATCH")(query))
    # A plain table clause, not the Contact model, so the subquery never correlates with the outer query.
    contacts = table("contacts", column("id"), column("search_text"))
    query = " & ".join(f"{token}:*" for token in tokens)
    return select(contacts.c.id).where(func.to_tsvector(text("'simple'"), contacts.c.search_text).op("@@")(
        func.to_tsquery(text("'simple'"), query)))
