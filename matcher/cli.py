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
    register_matching(app)
    register_transfer(app)

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

    @app.cli.command("jobs")
    @click.option("--no-mail", is_flag=True, help="Do everything but mail the outbox.")
    def jobs(no_mail: bool) -> None:
        """Run the periodic jobs once (expire holds, reminders, freshness, stalled cases, mail); for cron."""
        from matcher.services import jobs as periodic

        report = periodic.run(send_mail=not no_mail)
        click.echo(report.summary())
        if report.errors:
            raise SystemExit(1)

    @app.cli.command("demo-data")
    @click.option("--offers", type=click.IntRange(0, 1_000_000), default=1000, show_default=True)
    @click.option("--requests", type=click.IntRange(0, 1_000_000), default=300, show_default=True)
    @click.option("--seed", type=int, default=1, show_default=True, help="The same seed gives the same data.")
    def demo_data(offers: int, requests: int, seed: int) -> None:
        """Create realistic synthetic hosts, offers and requests across Europe."""
        from matcher.services.demo import create_demo_data

        summary = create_demo_data(offers=offers, requests=requests, seed=seed)
        click.echo(
            f"created {summary.offers} offers (with their hosts) and {summary.requests} requests "
            f"in {summary.seconds:.1f} s"
        )


def register_matching(app: Flask) -> None:
    """Matching commands."""

    @app.cli.command("match-batch")
    @click.option("--dry-run", is_flag=True, help="Compute and print, but store nothing.")
    @click.option("--time-limit", type=click.FloatRange(0.1, 3600), default=None, help="Seconds per MILP polish.")
    @click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
    def match_batch(dry_run: bool, time_limit: float | None, as_json: bool) -> None:
        """Propose placements for every open request at once, optimally or within a stated gap."""
        import json

        from matcher.services import batches

        run, result = batches.propose(None, time_limit_s=time_limit, dry_run=dry_run)
        summary = result.summary()
        if as_json:
            click.echo(json.dumps(summary | {"batch_id": run.id if run else None}))
            return
        gap = "n/a" if result.gap is None else f"{100 * result.gap:.3f}%"
        click.echo(
            f"placed {result.households_placed} of {result.households_open} households "
            f"({result.people_placed} of {result.people_open} people); total score {result.total_score:.1f}; "
            f"{'optimal' if result.optimal else 'gap ' + gap}; {result.seconds:.2f} s"
            + (f"; stored as batch {run.id}" if run else " (dry run, nothing stored)")
        )


def register_transfer(app: Flask) -> None:
    """CSV import and API token commands."""

    def run(kind: str, path: str, dry_run: bool) -> None:
        from matcher.services.transfer.imports import run_import

        with open(path, "rb") as binary:
            report = run_import(kind, binary, dry_run=dry_run)
        for label, problems in (("warning", report.warnings), ("error", report.errors)):
            for p in problems:
                click.echo(f"{label}: row {p.row}, column {p.column or '-'}: {p.message}", err=label == "error")
        for label, total, shown in (
            ("warnings", report.warnings_total, report.warnings),
            ("errors", report.errors_total, report.errors),
        ):
            if total > len(shown):
                click.echo(f"... and {total - len(shown)} more {label}", err=True)
        click.echo(report.summary())
        if not report.ok:
            raise SystemExit(1)

    @app.cli.command("import-offers")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    @click.option("--dry-run", is_flag=True, help="Check every row and report, but import nothing.")
    def import_offers(path: str, dry_run: bool) -> None:
        """Import offers from a CSV file: all or nothing; rows with a known external_id are updated."""
        run("offers", path, dry_run)

    @app.cli.command("import-requests")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    @click.option("--dry-run", is_flag=True, help="Check every row and report, but import nothing.")
    def import_requests(path: str, dry_run: bool) -> None:
        """Import housing requests from a CSV file: all or nothing; rows with a known external_id are updated."""
        run("requests", path, dry_run)

    @app.cli.command("create-token")
    @click.option("--email", required=True, help="The user's log-in email.")
    @click.option("--label", default="command line", show_default=True, help="What the token is for.")
    def create_token(email: str, label: str) -> None:
        """Create an API token for a user and print it (it is shown only this once)."""
        from matcher.services import tokens

        user = accounts.find_by_login(email)
        if user is None or "@" not in email:
            raise click.ClickException(f"no user with the email {email!r}")
        try:
            _, token = tokens.create_token(user, label)
        except ServiceError as error:
            raise click.ClickException(str(error.message)) from None
        click.echo(token)
