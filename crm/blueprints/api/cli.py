"""`flask --app crm api-key create NAME`: a key for a website, printed once and stored hashed."""
import click
from flask.cli import AppGroup

from crm.extensions import db
from crm.services import api_keys

api_key_group = AppGroup("api-key", help="Manage the events API's keys.")


@api_key_group.command("create")
@click.argument("name")
@click.option("--rate-limit", default=api_keys.DEFAULT_RATE_LIMIT, show_default=True, type=click.IntRange(1),
              help="Requests per minute this key may make.")
def create_command(name: str, rate_limit: int) -> None:
    """Create a key named NAME and print it (it cannot be shown again)."""
    if not name.strip() or len(name.strip()) > 120:
        raise click.BadParameter("give a name of 1 to 120 characters", param_hint="NAME")
    api_key, plain = api_keys.create_key(name, rate_limit)
    db.session.commit()
    click.echo(f"Created API key {api_key.name!r} ({rate_limit} requests per minute). "
               "Store it now, it is not shown again:", err=True)
    click.echo(plain)
