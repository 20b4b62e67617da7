"""`flask --app crm backup PATH` and `restore PATH` (docs/product.md#trust): a consistent copy while the app
serves. SQLite: the online backup API (pages copied under a read snapshot, writers keep going).
PostgreSQL: pg_dump's custom format (one snapshot) and pg_restore, which replaces every table."""
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from crm.extensions import db

POSTGRES_BIN_DIRS = [Path("/usr/lib/postgresql/15/bin"), Path("/usr/lib/postgresql/16/bin")]


class BackupError(Exception):
    pass


def _sqlite_file() -> str:
    return make_url(str(db.engine.url)).database


def _postgres_tool(name: str) -> str:
    for directory in POSTGRES_BIN_DIRS:
        if (directory / name).exists():
            return str(directory / name)
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} was not found: install the PostgreSQL client tools.")
    return found


def _libpq_url() -> str:
    """The database URL as pg_dump reads it (no SQLAlchemy driver name)."""
    return db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def _run(command: list[str]) -> None:
    finished = subprocess.run(command, capture_output=True, text=True)
    if finished.returncode != 0:
        raise BackupError(finished.stderr.strip() or f"{command[0]} failed ({finished.returncode})")


def _release_connections() -> None:
    """Our own pooled connections must not hold locks the restore needs."""
    db.session.remove()
    db.engine.dispose()


def backup(path: Path) -> None:
    if db.engine.dialect.name == "sqlite":
        with sqlite3.connect(_sqlite_file()) as source, sqlite3.connect(path) as target:
            source.backup(target)
        return
    _run([_postgres_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={path}", _libpq_url()])


def restore(path: Path) -> None:
    if not path.is_file():
        raise BackupError(f"{path} is not a backup file.")
    _release_connections()
    if db.engine.dialect.name == "sqlite":
        with sqlite3.connect(path) as source, sqlite3.connect(_sqlite_file()) as target:
            source.backup(target)
        return
    _run([_postgres_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
          f"--dbname={_libpq_url()}", str(path)])
