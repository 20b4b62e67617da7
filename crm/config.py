"""Configuration from the environment (docs/product.md#commands)."""
import os
import secrets
from pathlib import Path


def secret_key(instance_path: str) -> str:
    """CRM_SECRET_KEY, else a key generated once into instance/ and reused."""
    if os.environ.get("CRM_SECRET_KEY"):
        return os.environ["CRM_SECRET_KEY"]
    key_file = Path(instance_path) / "secret_key"
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def from_environment(instance_path: str) -> dict:
    default_db = "sqlite:///" + str(Path(instance_path) / "crm.sqlite3")
    return {
        "SECRET_KEY": secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": os.environ.get("CRM_DATABASE_URL", default_db),
        "BASE_URL": os.environ.get("CRM_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        "SMTP_URL": os.environ.get("CRM_SMTP_URL"),
        "MAIL_FROM": os.environ.get("CRM_MAIL_FROM", "CRM <crm@localhost>"),
        "SMS_URL": os.environ.get("CRM_SMS_URL"),
        # A CRM tab stays open all day: the CSRF token lives as long as the session.
        "WTF_CSRF_TIME_LIMIT": None,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_HTTPONLY": True,
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
        "PAGE_SIZE": 25,
        "LOG_LEVEL": os.environ.get("CRM_LOG_LEVEL", "INFO").upper(),
    }
