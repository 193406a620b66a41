"""The ``workshop`` command: serve, create-user, db upgrade, seed-demo, export."""

from __future__ import annotations

import os
from collections.abc import Callable

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext

from .protocol import MAX_ID

DEFAULT_PORT = 5000
STOP_GRACE_SECONDS = 0.5
"""How long ``workshop serve`` lets requests in flight finish when it is stopped."""


def run(create_app: Callable[[], Flask]) -> None:
    """Run the ``workshop`` command group on the app ``create_app`` builds (handed in by
    :func:`workshop.main`, after it prepared gevent, so this module never imports the
    package that imports it)."""
    FlaskGroup(create_app=create_app, add_default_commands=True, load_dotenv=False)(
        prog_name="workshop"
    )


def register_commands(app: Flask) -> None:
    """Attach the workshop commands to the app's CLI."""
    app.cli.add_command(serve)
    app.cli.add_command(create_user)
    app.cli.add_command(db_group)
    app.cli.add_command(seed_demo)
    app.cli.add_command(export)


@click.command()
@click.option(
    "--host", default=lambda: os.environ.get("HOST", "127.0.0.1"), show_default="127.0.0.1"
)
@click.option(
    "--port",
    default=lambda: int(os.environ.get("PORT", DEFAULT_PORT)),
    type=click.IntRange(1, 65535),
    show_default=str(DEFAULT_PORT),
)
@with_appcontext
def serve(host: str, port: int) -> None:
    """Upgrade the database, then serve the app (gevent, WebSockets) until stopped."""
    import signal

    import gevent

    from .extensions import app_itself
    from .migrate import upgrade_database
    from .server import Limits, make_server, tune_garbage_collection
    from .services import servers
    from .services.accounts import has_any_user

    app = app_itself()
    if app.config["SOCKETIO_ASYNC_MODE"] != "gevent":
        raise click.ClickException("Start the server with the `workshop serve` command.")
    upgrade_database(app)
    servers.start_serving(app)
    url = f"http://{host}:{port}/"
    server = make_server(host, port, app, Limits.from_config(app.config))
    click.echo(f"Mission Workshop is running at {url}")
    click.echo(f"It holds at most {server.max_connections} connections at once.")
    if not has_any_user():
        click.echo(f"First run: open {url}setup to create the facilitator account.")
    tune_garbage_collection()
    # SIGTERM stops as cleanly as Ctrl-C. Requests in flight take milliseconds; WebSockets and
    # long polls never end by themselves, so the grace is short.
    gevent.signal_handler(signal.SIGTERM, server.stop, STOP_GRACE_SECONDS)
    try:
        server.serve_forever()
    finally:
        servers.stop_serving()


@click.command("create-user")
@click.option("--role", type=click.Choice(["facilitator", "leadership"]), required=True)
@click.option("--email", required=True)
@click.option("--name", "display_name", required=True)
@click.option(
    "--password",
    envvar="WORKSHOP_PASSWORD",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Prompted for when not given (or WORKSHOP_PASSWORD).",
)
@with_appcontext
def create_user(role: str, email: str, display_name: str, password: str) -> None:
    """Create a facilitator or leadership account (on a new database, after creating it)."""
    from .errors import DomainError
    from .extensions import app_itself
    from .migrate import upgrade_database
    from .services.accounts import create_user as create

    upgrade_database(app_itself())
    try:
        user = create(email=email, display_name=display_name, password=password, role=role)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Created {user.role} account {user.email}.")


@click.group("db")
def db_group() -> None:
    """Database schema commands."""


@db_group.command("upgrade")
@with_appcontext
def db_upgrade() -> None:
    """Apply every migration the database does not have yet."""
    from .extensions import app_itself
    from .migrate import upgrade_database

    upgrade_database(app_itself())
    click.echo("Database is up to date.")


@db_group.command("revision")
@click.option("-m", "--message", required=True)
@with_appcontext
def db_revision(message: str) -> None:
    """Write a migration for model changes (for developers)."""
    from .extensions import app_itself
    from .migrate import make_revision

    make_revision(app_itself(), message)


@click.command("seed-demo")
@click.option("--email", default="facilitator@example.org", show_default=True)
@with_appcontext
def seed_demo(email: str) -> None:
    """Create a demo workshop (and its facilitator, if needed) to try things out."""
    from .demo import seed

    workshop, password = seed(email)
    click.echo(f"Demo workshop “{workshop.title}” created, join code {workshop.join_code}.")
    if password:
        click.echo(f"Log in as {email} with password {password}")


@click.command("export")
@click.option("--workshop", "workshop_id", type=click.IntRange(1, MAX_ID), required=True)
@click.option(
    "--version", "number", type=click.IntRange(1, MAX_ID), help="Default: the latest version."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["md", "html", "pdf", "docx", "json", "csv"]),
    required=True,
)
@click.option("--as", "email", required=True, help="The staff account the export is made as.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def export(workshop_id: int, number: int | None, fmt: str, email: str, output: str | None) -> None:
    """Export a version of a workshop's mission, as a staff member sees it (for scripts)."""
    from . import exports
    from .errors import DomainError
    from .services import accounts

    actor = accounts.find_user(email)
    if actor is None or not actor.is_active:
        raise click.ClickException(f"There is no active account {email}.")
    try:
        result = exports.export_version(actor, workshop_id, number, fmt)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    path = output or result.filename
    content = result.content.encode() if isinstance(result.content, str) else result.content
    with open(path, "wb") as file:
        file.write(content)
    click.echo(f"Wrote {path}")
