"""The real shared Mosquitto; vehicles provisioned through `iot-gateway-provision`."""

from __future__ import annotations

import shutil
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from mobility_platform.auth import generate_keypair
from mobility_platform.signing import CommandVerifier, vehicle_mqtt_password
from mobility_platform.testing import wait_until
from mobility_platform.testing.plugin import Infra
from vehicle_agent.agent import VehicleAgent
from vehicle_agent.domain import Motion, VehicleState
from vehicle_agent.mqtt import BrokerAccount, MqttConnection
from vehicle_agent.runner import Behaviour, VehicleRunner
from vehicle_agent_testkit import FakeClock, Inbox, RunnerFactory


def _provision_tool() -> str:
    tool = Path(sys.executable).parent / "iot-gateway-provision"
    return str(tool) if tool.exists() else shutil.which("iot-gateway-provision") or "missing"


@pytest.fixture(scope="session")
def platform_keys() -> tuple[str, str]:
    """The command-signing key pair the simulated vehicles trust (private, public)."""
    return generate_keypair()


@pytest.fixture(scope="session")
def vehicle_secret_file(infra: Infra) -> Path:
    path = infra.repo_root / ".cache" / "secrets" / "vehicle_mqtt_secret"
    if not path.is_file():
        pytest.fail(f"{path} is missing: run `uv run mobility-platform keygen`", pytrace=False)
    return path


@pytest.fixture(scope="session")
def vehicle_secret(vehicle_secret_file: Path) -> str:
    return vehicle_secret_file.read_text().strip()


@pytest.fixture(scope="session")
def vehicle_ids(mqtt_broker: Infra) -> Iterator[list[str]]:
    """Vehicles whose credentials the gateway's provisioning command wrote (and removes)."""
    ids = [str(uuid.uuid4()) for _ in range(8)]
    run = [_provision_tool(), *ids]
    subprocess.run(run, check=True, cwd=mqtt_broker.repo_root, capture_output=True, timeout=120)
    yield ids
    subprocess.run([*run, "--remove"], check=True, cwd=mqtt_broker.repo_root, timeout=120)


@pytest.fixture
async def gateway_side(mqtt_broker: Infra) -> AsyncIterator[tuple[MqttConnection, Inbox]]:
    """The gateway's account, seeing every vehicle's acks and heartbeats."""
    inbox = Inbox()
    account = BrokerAccount(
        "127.0.0.1",
        mqtt_broker.mqtt_port,
        mqtt_broker.mqtt_gateway_user,
        mqtt_broker.mqtt_gateway_password,
    )
    connection = MqttConnection(
        account,
        client_id=f"agent-test-gw-{uuid.uuid4().hex[:8]}",
        subscriptions=["vehicles/+/acks", "vehicles/+/telemetry"],
        on_message=inbox.handler,
    )
    connection.start()
    await wait_until(lambda: connection.subscribed, message="gateway side subscribed")
    yield connection, inbox
    connection.stop()


@pytest.fixture
async def runners(
    mqtt_broker: Infra, vehicle_secret: str, platform_keys: tuple[str, str]
) -> AsyncIterator[RunnerFactory]:
    """Start in-process vehicle agents with their own credentials; stopped afterwards."""
    started: list[VehicleRunner] = []

    def start(
        vehicle_id: str, *, behaviour: Behaviour | None = None, clock: FakeClock | None = None
    ) -> VehicleRunner:
        clock = clock or FakeClock(datetime.now(UTC))
        state = VehicleState(uuid.UUID(vehicle_id), lat=50.1, lon=8.6, battery=90.0)  # type: ignore[arg-type]
        agent = VehicleAgent(
            state,
            verifier=CommandVerifier(platform_keys[1], vehicle_id=vehicle_id),
            clock=clock,
            motion=Motion(trip_speed_kmh=36.0, drain_pct_per_km=1.0),
        )
        account = BrokerAccount(
            "127.0.0.1",
            mqtt_broker.mqtt_port,
            vehicle_id,
            vehicle_mqtt_password(vehicle_secret, vehicle_id),
            reconnect_min_s=0.05,
            reconnect_max_s=0.2,
        )
        runner = VehicleRunner(agent, account, behaviour=behaviour)
        runner.start()
        started.append(runner)
        return runner

    yield start
    for runner in started:
        runner.stop()
