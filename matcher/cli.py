"""The `flask --app wsgi ...` commands."""

from __future__ import annotations

import click
from flask import Flask

from matcher.models import Role
from matcher.services import accounts
from matcher.services.errors import ServiceError

ROLE_NAMES = [role.value for role in Role]


def register(app: Flask) -> None:
    """Add the commands to the app's CLI."""

    @app.cli.command("create-user")
    @click.option("--email", required=True, help="Log-in email (unique, case-insensitive).")
    @click.option("--password", required=True, help="Initial password.")
    @click.option("--role", required=True, help="One of: " + ", ".join(ROLE_NAMES))
    @click.option("--name", default=None, help="Display name (defaults to the part of the email before @).")
    def create_user(email: str, password: str, role: str, name: str | None) -> None:
        """Create an account of any role, for example the first admin."""
        if role not in ROLE_NAMES:
            raise click.ClickException(f"unknown role {role!r}: use one of {', '.join(ROLE_NAMES)}")
        try:
            user = accounts.create_account(
                name=name or email.split("@")[0], email=email, password=password, role=Role(role)
            )
        except ServiceError as error:
            raise click.ClickException(str(error.message)) from None
        click.echo(f"created {user.role.value} {user.email} (id {user.id})")
