"""Vehicle agent entry point (Typer CLI): `run` one vehicle, or `simulate` a fleet of them."""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import signal
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated

import typer
from contracts.clock import SystemClock
from contracts.types import VehicleId
from mobility_platform.signing import CommandVerifier, vehicle_mqtt_password

from vehicle_agent.agent import VehicleAgent
from vehicle_agent.domain import Motion, VehicleState
from vehicle_agent.mqtt import BrokerAccount, MiscTicker
from vehicle_agent.runner import HeartbeatScheduler, VehicleRunner
from vehicle_agent.settings import Settings
from vehicle_agent.simulator import FailureKnobs, FleetConfig, Simulator, report_forever
from vehicle_agent.vehicles import VehicleSeed, load_vehicles

logger = logging.getLogger("vehicle_agent")
cli = typer.Typer(help="MobilityCorp vehicle agent and simulator", no_args_is_help=True)
FLEET_WAIT_S = 60.0


@cli.command()
def version() -> None:
    """Print the agent version."""
    typer.echo("vehicle-agent 0.1.0")


def _logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s")


async def _until_signalled(start: Callable[[], Awaitable[None]]) -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await start()
    return stop


@cli.command()
def run(
    vehicle_id: Annotated[str, typer.Option(envvar="VEHICLE_AGENT_VEHICLE_ID")],
    lat: float = 50.1109,
    lon: float = 8.6821,
    battery_pct: int = 90,
    log_level: str = "INFO",
) -> None:
    """Run the agent of ONE vehicle until SIGINT/SIGTERM."""
    _logging(log_level)
    settings = Settings()
    vid = str(uuid.UUID(vehicle_id))
    password = (
        settings.mqtt_password.get_secret_value()
        if settings.mqtt_password is not None
        else vehicle_mqtt_password(settings.mqtt_secret() or "", vid)
    )
    asyncio.run(
        _run_one(
            settings, vid, password, VehicleSeed(VehicleId(uuid.UUID(vid)), lat, lon, battery_pct)
        )
    )


async def _run_one(settings: Settings, vid: str, password: str, seed: VehicleSeed) -> None:
    state = VehicleState(seed.vehicle_id, seed.lat, seed.lon, float(seed.battery_pct))
    agent = VehicleAgent(
        state,
        verifier=CommandVerifier(settings.command_public_key, vehicle_id=vid),
        clock=SystemClock(),
        motion=Motion(settings.trip_speed_kmh, settings.battery_drain_pct_per_km),
    )
    account = BrokerAccount(
        host=settings.mqtt_host,
        port=settings.mqtt_port,
        username=vid,
        password=password,
        keepalive_s=settings.mqtt_keepalive_s,
        reconnect_min_s=settings.reconnect_min_s,
        reconnect_max_s=settings.reconnect_max_s,
    )
    runner = VehicleRunner(agent, account)
    ticker, beats = MiscTicker(), HeartbeatScheduler(settings.heartbeat_interval_s)
    ticker.connections.append(runner.connection)

    async def start() -> None:
        runner.start()
        beats.add(runner, phase_s=1.0)

    stop = await _until_signalled(start)
    tasks = [asyncio.create_task(ticker.run()), asyncio.create_task(beats.run())]
    logger.info("vehicle %s running against %s:%s", vid, settings.mqtt_host, settings.mqtt_port)
    await stop.wait()
    runner.stop()
    await asyncio.sleep(0.2)  # let DISCONNECT go out
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


@cli.command()
def simulate(
    count: Annotated[int | None, typer.Option(help="At most this many vehicles")] = None,
    fleet_url: Annotated[str | None, typer.Option(envvar="VEHICLE_AGENT_FLEET_URL")] = None,
    vehicles_file: Annotated[Path | None, typer.Option(help="JSON instead of fleet")] = None,
    city: str | None = None,
    heartbeat_s: Annotated[float | None, typer.Option(help="Heartbeat interval")] = None,
    drop_acks: Annotated[float, typer.Option(help="Fraction that never ack")] = 0.0,
    slow_acks: Annotated[float, typer.Option(help="Fraction that ack late")] = 0.0,
    slow_ack_s: Annotated[float, typer.Option(help="How late")] = 3.0,
    offline: Annotated[float, typer.Option(help="Fraction that go offline")] = 0.0,
    offline_after_s: float = 30.0,
    offline_for_s: Annotated[float | None, typer.Option(help="Back after (default never)")] = None,
    drop_acks_id: Annotated[list[str] | None, typer.Option(help="This vehicle never acks")] = None,
    slow_acks_id: Annotated[list[str] | None, typer.Option(help="This vehicle acks late")] = None,
    offline_id: Annotated[list[str] | None, typer.Option(help="This vehicle goes offline")] = None,
    seed: int = 1,
    provision: Annotated[bool, typer.Option(help="Dev: iot-gateway-provision first")] = False,
    report_s: float = 10.0,
    log_level: str = "INFO",
) -> None:
    """Run many vehicle agents in this process until SIGINT/SIGTERM."""
    _logging(log_level)
    settings = Settings()
    knobs = FailureKnobs(
        drop_acks=drop_acks,
        slow_acks=slow_acks,
        slow_ack_s=slow_ack_s,
        offline=offline,
        offline_after_s=offline_after_s,
        offline_for_s=offline_for_s,
        drop_ack_ids=set(drop_acks_id or ()),
        slow_ack_ids=set(slow_acks_id or ()),
        offline_ids=set(offline_id or ()),
    )
    source = fleet_url or settings.fleet_url
    seeds = asyncio.run(_vehicles(settings, vehicles_file, source, city=city, count=count))
    seeds = seeds[:count] if count is not None else seeds
    if not seeds:
        raise typer.BadParameter("no vehicles to simulate")
    if provision:
        _provision([str(s.vehicle_id) for s in seeds])
    config = _fleet_config(settings, heartbeat_s)
    asyncio.run(_simulate(Simulator(seeds, config, knobs=knobs, seed=seed), report_s))


def _fleet_config(settings: Settings, heartbeat_s: float | None) -> FleetConfig:
    secret = settings.mqtt_secret()
    if secret is None:
        raise typer.BadParameter("the simulator needs VEHICLE_AGENT_MQTT_SECRET_FILE")
    return FleetConfig(
        host=settings.mqtt_host,
        port=settings.mqtt_port,
        secret=secret,
        command_public_key=settings.command_public_key,
        heartbeat_interval_s=heartbeat_s or settings.heartbeat_interval_s,
        keepalive_s=settings.mqtt_keepalive_s,
        reconnect_min_s=settings.reconnect_min_s,
        reconnect_max_s=settings.reconnect_max_s,
        connect_rate_per_s=settings.connect_rate_per_s,
        motion=Motion(settings.trip_speed_kmh, settings.battery_drain_pct_per_km),
    )


async def _simulate(sim: Simulator, report_s: float) -> None:
    stop = await _until_signalled(sim.start)
    reporter = asyncio.create_task(report_forever(sim, every_s=report_s))
    logger.info("simulating %d vehicles", len(sim.runners))
    await stop.wait()
    reporter.cancel()
    await sim.stop()
    logger.info("stopped %d vehicles", len(sim.runners))


async def _vehicles(
    settings: Settings,
    path: Path | None,
    fleet_url: str | None,
    *,
    city: str | None,
    count: int | None,
) -> list[VehicleSeed]:
    if path is not None:
        return load_vehicles(path)
    if fleet_url is None or settings.service_private_key is None:
        raise typer.BadParameter(
            "pass --vehicles-file, or --fleet-url with VEHICLE_AGENT_SERVICE_PRIVATE_KEY"
        )
    # imported here: the HTTP stack costs ~1 s of startup that a file-fed simulator skips
    from vehicle_agent.fleet_client import fetch_vehicles

    key = settings.service_private_key.get_secret_value()
    deadline = asyncio.get_running_loop().time() + FLEET_WAIT_S
    while True:  # fleet may still be starting or seeding
        error: Exception | None = None
        try:
            seeds = await fetch_vehicles(fleet_url, service_private_key=key, city=city, limit=count)
        except Exception as exc:  # noqa: BLE001 - retried until the deadline, then reported
            seeds, error = [], exc
        if seeds or asyncio.get_running_loop().time() > deadline:
            if not seeds and error is not None:
                raise error
            return seeds
        logger.info("waiting for fleet's vehicles at %s (%s)", fleet_url, error or "none yet")
        await asyncio.sleep(2.0)


def _provision(vehicle_ids: list[str]) -> None:
    """Dev convenience: give these vehicles broker credentials via the gateway's tool."""
    tool = Path(sys.executable).parent / "iot-gateway-provision"
    command = str(tool) if tool.exists() else shutil.which("iot-gateway-provision")
    if command is None:
        raise typer.BadParameter("iot-gateway-provision not found (uv sync --all-packages)")
    with tempfile.NamedTemporaryFile("w", suffix=".json") as listing:
        json.dump(vehicle_ids, listing)
        listing.flush()
        subprocess.run([command, "--file", listing.name], check=True, timeout=300)
