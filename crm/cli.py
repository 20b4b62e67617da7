"""Flask commands (docs/product.md#commands): `demo`, `create-user`, `backup`, `restore`.

Other areas add theirs to `register_commands`.
"""
from pathlib import Path

import click
from flask import Flask

from crm.extensions import db
from crm.models import Office, User
from crm.models.values import ROLES


@click.command("demo")
@click.option("--contacts", "contact_count", default=2000, show_default=True, help="Contacts to generate.")
@click.option("--leads", "lead_count", default=10000, show_default=True, help="Leads to spread over them.")
@click.option("--seed", default=1, show_default=True, help="Random seed, for repeatable data.")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has users.")
def demo_command(contact_count: int, lead_count: int, seed: int, if_empty: bool) -> None:
    """Load demo offices, users (password demo1234), contacts and leads."""
    from crm import demo

    if if_empty and db.session.scalar(db.select(User.id).limit(1)) is not None:
        click.echo("The database has data already; demo data not loaded.")
        return
    if lead_count < contact_count:
        raise click.BadParameter("needs at least one lead per contact", param_hint="--leads")
    summary = demo.load(contact_count=contact_count, lead_count=lead_count, seed=seed)
    click.echo(summary)


@click.command("create-user")
@click.argument("email")
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--office", "office_name", default=None, help="Office name; created when new.")
@click.password_option(prompt="Password")
def create_user_command(email: str, name: str, role: str, office_name: str | None, password: str) -> None:
    """Create a user who signs in with EMAIL."""
    email = email.strip().lower()
    if db.session.scalar(db.select(User).where(User.email == email)):
        raise click.ClickException(f"A user with the email {email} exists already.")
    if len(password) < 8:
        raise click.ClickException("The password needs at least 8 characters.")
    office = None
    if office_name:
        office = db.session.scalar(db.select(Office).where(Office.name == office_name)) or Office(name=office_name)
    user = User(email=email, name=name, role=role, office=office)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    click.echo(f"Created {role} {name} <{email}>.")


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(path: Path) -> None:
    """Write a consistent copy of the database to PATH (safe while the app serves)."""
    from crm import backup

    try:
        backup.backup(path)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Backup written to {path}.")


@click.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.confirmation_option(prompt="Replace every table of the database with the backup?")
def restore_command(path: Path) -> None:
    """Replace the database's contents with the backup at PATH."""
    from crm import backup

    try:
        backup.restore(path)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Database restored from {path}.")


def register_commands(app: Flask) -> None:
    from crm.blueprints.api.cli import api_key_group
    from crm.worker import worker_command

    app.cli.add_command(demo_command)
    app.cli.add_command(create_user_command)
    app.cli.add_command(worker_command)
    app.cli.add_command(api_key_group)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
