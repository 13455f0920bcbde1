"""Real PostgreSQL, Kafka and Mosquitto for the gateway; vehicles are simulator processes."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from contracts import topics
from contracts.clock import Clock
from fastapi import FastAPI
from iot_gateway.app import create_app
from iot_gateway.provision import provision
from iot_gateway_testkit import GatewayFactory, MqttProbe, SimulatorProcess, gateway_settings
from mobility_platform.kafka import ensure_topics
from mobility_platform.settings import KafkaSettings
from mobility_platform.testing import app_client
from mobility_platform.testing.plugin import AuthKeys, Databases, Infra

ALEMBIC_INI = Path(__file__).resolve().parents[2] / "alembic.ini"


@pytest.fixture(scope="session")
async def iot_db(databases: Databases) -> str:
    return await databases.migrated("iot", ALEMBIC_INI)


@pytest.fixture(scope="session")
async def iot_kafka(kafka_bootstrap: str, run_id: str) -> KafkaSettings:
    settings = KafkaSettings(bootstrap_servers=kafka_bootstrap, topic_prefix=f"t{run_id}.iot.")
    await ensure_topics(settings, [topics.IOT], partitions=1)
    return settings


@pytest.fixture(scope="session")
def vehicle_secret_file(infra: Infra) -> Path:
    path = infra.repo_root / ".cache" / "secrets" / "vehicle_mqtt_secret"
    if not path.is_file():
        pytest.fail(f"{path} is missing: run `uv run mobility-platform keygen`", pytrace=False)
    return path


@pytest.fixture(scope="session")
def vehicle_secret(vehicle_secret_file: Path) -> str:
    """The dev secret vehicle MQTT passwords derive from."""
    return vehicle_secret_file.read_text().strip()


@pytest.fixture(scope="session")
def shared_vehicles(mqtt_broker: Infra, vehicle_secret_file: Path) -> Iterator[list[str]]:
    """Vehicles with credentials on the SHARED broker, provisioned through our own tool."""
    ids = [str(uuid.uuid4()) for _ in range(8)]
    secret = vehicle_secret_file.read_text().strip()
    state, infra_sh = mqtt_broker.state_dir, mqtt_broker.repo_root / "deploy/local/infra.sh"
    provision(ids, secret=secret, state_dir=state, reload_with=infra_sh)
    yield ids
    provision(ids, secret=secret, state_dir=state, remove=True, reload_with=infra_sh)


@pytest.fixture
def make_gateway(
    iot_db: str, iot_kafka: KafkaSettings, auth_keys: AuthKeys, mqtt_broker: Infra
) -> GatewayFactory:
    """Start a gateway app (own lifespan) on the shared broker unless told otherwise."""

    @asynccontextmanager
    async def start(
        *, clock: Clock | None = None, **overrides: Any
    ) -> AsyncIterator[httpx.AsyncClient]:
        options: dict[str, Any] = {
            "mqtt_port": mqtt_broker.mqtt_port,
            "mqtt_user": mqtt_broker.mqtt_gateway_user,
            "mqtt_password": mqtt_broker.mqtt_gateway_password,
        }
        options.update({k: overrides.pop(k) for k in list(options) if k in overrides})
        settings = gateway_settings(
            db_url=iot_db, kafka=iot_kafka, auth_keys=auth_keys, **options, **overrides
        )
        app: FastAPI = create_app(settings, clock=clock)
        async with app_client(app) as client:
            client.headers["Authorization"] = f"Bearer {auth_keys.service_token('fleet')}"
            client.app = app  # type: ignore[attr-defined]
            yield client

    return start


@pytest.fixture
def simulators(
    tmp_path: Path, auth_keys: AuthKeys, vehicle_secret_file: Path, mqtt_broker: Infra
) -> Iterator[Callable[..., SimulatorProcess]]:
    """Start `vehicle-agent simulate` processes; all are stopped at the end of the test."""
    started: list[SimulatorProcess] = []

    def start(
        vehicles: list[dict[str, Any]], *args: str, mqtt_port: int | None = None
    ) -> SimulatorProcess:
        process = SimulatorProcess(
            vehicles,
            workdir=tmp_path,
            mqtt_port=mqtt_port or mqtt_broker.mqtt_port,
            command_public_key=auth_keys.command_public,
            secret_file=vehicle_secret_file,
            args=args,
        )
        process.start()
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


@pytest.fixture
async def gateway_probe(mqtt_broker: Infra) -> AsyncIterator[MqttProbe]:
    """A raw client with the gateway's account (sees every vehicle topic)."""
    probe = MqttProbe(
        "127.0.0.1",
        mqtt_broker.mqtt_port,
        mqtt_broker.mqtt_gateway_user,
        mqtt_broker.mqtt_gateway_password,
    )
    await probe.connect()
    yield probe
    probe.close()
