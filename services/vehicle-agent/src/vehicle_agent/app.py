"""Vehicle agent entry point (Typer CLI)."""

from __future__ import annotations

import typer

cli = typer.Typer(help="MobilityCorp vehicle agent and simulator", no_args_is_help=True)


@cli.command()
def version() -> None:
    """Print the agent version."""
    typer.echo("vehicle-agent 0.1.0")
