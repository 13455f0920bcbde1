"""Operator/dev commands: `mobility-platform keygen|ensure-topics` and `mobility-token rider`."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import time
import uuid
from pathlib import Path
from typing import Annotated

import typer
from contracts import topics as contract_topics

from mobility_platform.auth import generate_keypair, mint_rider_token, mint_service_token
from mobility_platform.devstack import Stack, StackOptions
from mobility_platform.kafka import ensure_topics
from mobility_platform.settings import KafkaSettings

app = typer.Typer(help="MobilityCorp platform tools", no_args_is_help=True)
token_app = typer.Typer(help="Mint development tokens", no_args_is_help=True)

KEY_PAIRS = ("rider_jwt", "service_jwt", "command_signing", "receipt_signing")


def _secrets_dir() -> Path:
    return Path(os.environ.get("MC_SECRETS_DIR", ".cache/secrets"))


@app.command()
def keygen(
    out: Annotated[Path, typer.Option(help="Directory for the PEM files")] = Path(".cache/secrets"),
) -> None:
    """Create missing dev key pairs and shared secrets (never overwrites)."""
    out.mkdir(parents=True, exist_ok=True, mode=0o700)
    for name in KEY_PAIRS:
        private, public = out / f"{name}_private.pem", out / f"{name}_public.pem"
        if private.exists() and public.exists():
            continue
        private_pem, public_pem = generate_keypair()
        private.write_text(private_pem)
        private.chmod(0o600)
        public.write_text(public_pem)
        typer.echo(f"created {private} and {public}")
    for name, prefix in (("vehicle_mqtt_secret", ""), ("stripe_webhook_secret", "whsec_")):
        secret = out / name
        if not secret.exists():
            secret.write_text(prefix + secrets.token_urlsafe(32))
            secret.chmod(0o600)
            typer.echo(f"created {secret}")


@app.command("ensure-topics")
def ensure_topics_cmd(
    bootstrap: Annotated[str, typer.Option(envvar="MC_KAFKA_BOOTSTRAP")] = "127.0.0.1:19092",
    prefix: Annotated[str, typer.Option(help="Topic prefix")] = "",
    partitions: int = 3,
) -> None:
    """Create every contracts topic and its dead-letter topic (idempotent)."""
    settings = KafkaSettings(bootstrap_servers=bootstrap, topic_prefix=prefix)
    names = asyncio.run(ensure_topics(settings, contract_topics.ALL, partitions=partitions))
    typer.echo("\n".join(names))


@token_app.command("rider")
def rider_token(
    rider_id: Annotated[str | None, typer.Option(help="Rider UUID (random if omitted)")] = None,
    email: str | None = None,
    name: str | None = None,
    ttl_s: int = 3600,
    key_file: Annotated[Path | None, typer.Option(help="Rider signing key PEM")] = None,
) -> None:
    """Print a rider JWT signed with the dev rider key."""
    key = (key_file or _secrets_dir() / "rider_jwt_private.pem").read_text()
    rid = uuid.UUID(rider_id) if rider_id else uuid.uuid4()
    typer.echo(mint_rider_token(key, rider_id=rid, email=email, name=name, ttl_s=ttl_s))


@token_app.command("service")
def service_token(
    service: str,
    ttl_s: int = 300,
    key_file: Annotated[Path | None, typer.Option(help="Service signing key PEM")] = None,
) -> None:
    """Print a service JWT (for calling /internal routes by hand)."""
    key = (key_file or _secrets_dir() / "service_jwt_private.pem").read_text()
    typer.echo(mint_service_token(key, service=service, ttl_s=ttl_s))


def _repo_root() -> Path:
    for candidate in (Path.cwd(), *Path.cwd().parents):
        if (candidate / "deploy" / "local" / "stack.toml").exists():
            return candidate
    raise typer.BadParameter("run this from inside the repository")


@app.command()
def up(
    fleet_size: Annotated[int, typer.Option(envvar="MC_DEMO_FLEET_SIZE")] = 2000,
    simulator: Annotated[bool, typer.Option(help="Start the vehicle simulator")] = True,
) -> None:
    """Prepare and start every service (infra must be up) and keep them running until Ctrl-C."""
    repo = _repo_root()
    stack = Stack(StackOptions(repo=repo, demo_fleet_size=fleet_size, with_processes=simulator))
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    try:
        typer.echo("preparing databases, topics, migrations and demo data ...")
        asyncio.run(stack.prepare())
        stack.seed()
        for name in stack.services:
            stack.start_service(name)
        asyncio.run(stack.wait_ready(timeout=120))
        if simulator:
            for name in stack.processes:
                stack.start_process(name)
        _welcome(stack)
        reported: set[str] = set()
        while not stopping:
            for name in set(stack.dead()) - reported:
                typer.echo(f"!! {name} exited; log tail:\n{stack.log_tail(name)}", err=True)
                reported.add(name)
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        typer.echo("stopping services ...")
        stack.stop_all()


def _welcome(stack: Stack) -> None:
    rider = uuid.uuid4()
    token = mint_rider_token(
        (stack.secrets_dir / "rider_jwt_private.pem").read_text(),
        rider_id=rider,
        email="rider@example.com",
        name="Demo Rider",
        ttl_s=8 * 3600,
    )
    urls = {name: stack.url(name) for name in stack.services}
    lines = [f"  {name:<13} {url}  (docs: {url}/docs)" for name, url in urls.items()]
    typer.echo("\nMobilityCorp is up:\n" + "\n".join(lines))
    typer.echo(f"\nlogs: {stack.log_dir}/<service>.log   mail: deploy/local/infra.sh mail")
    typer.echo(f"demo rider {rider} token (8 h):\nexport TOKEN={token}")
    typer.echo(
        'try: curl -H "Authorization: Bearer $TOKEN" '
        f'"{stack.url("fleet")}/vehicles/search?lat=50.11&lon=8.68&radius_m=1000"'
    )
    typer.echo("Ctrl-C stops the services (infra keeps running: make infra-down).")


if __name__ == "__main__":
    app()
