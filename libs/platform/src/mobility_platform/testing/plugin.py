"""pytest plugin (auto-loaded): fixtures that hand tests REAL infrastructure.

Nothing here starts or fakes a component: `make test` brings the native infra up first
(deploy/local/infra.sh). A component a test needs that does not answer fails the test with a
message naming it and how to start it; it is never skipped.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import secrets
import socket
import subprocess
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from alembic import command
from alembic.config import Config

from mobility_platform.auth import generate_keypair, mint_rider_token, mint_service_token
from mobility_platform.kafka import delete_topics_with_prefix
from mobility_platform.settings import AuthSettings, KafkaSettings


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


@dataclass(frozen=True)
class Infra:
    """Where the native (or compose) infrastructure listens. Same env vars as infra.sh."""

    repo_root: Path
    pg_host: str = field(default_factory=lambda: _env("MC_PG_HOST", "127.0.0.1"))
    pg_port: int = field(default_factory=lambda: int(_env("MC_PG_PORT", "55432")))
    pg_user: str = field(default_factory=lambda: _env("MC_PG_USER", "postgres"))
    pg_password: str = field(default_factory=lambda: _env("MC_PG_PASSWORD", "postgres"))
    redis_port: int = field(default_factory=lambda: int(_env("MC_REDIS_PORT", "56379")))
    kafka_port: int = field(default_factory=lambda: int(_env("MC_KAFKA_PORT", "19092")))
    mqtt_port: int = field(default_factory=lambda: int(_env("MC_MQTT_PORT", "51883")))
    mqtt_gateway_user: str = field(
        default_factory=lambda: _env("MC_MQTT_GATEWAY_USER", "iot-gateway")
    )
    mqtt_gateway_password: str = field(
        default_factory=lambda: _env("MC_MQTT_GATEWAY_PASSWORD", "gateway-dev-password")
    )
    stripe_mock_port: int = field(default_factory=lambda: int(_env("MC_STRIPE_MOCK_PORT", "12111")))
    smtp_port: int = field(default_factory=lambda: int(_env("MC_SMTP_PORT", "51025")))

    @property
    def state_dir(self) -> Path:
        return Path(_env("MC_STATE_DIR", str(self.repo_root / ".cache" / "infra")))

    @property
    def smtp_maildir(self) -> Path:
        return self.state_dir / "smtp" / "maildir"

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    @property
    def kafka_bootstrap(self) -> str:
        return f"127.0.0.1:{self.kafka_port}"

    @property
    def stripe_mock_url(self) -> str:
        return f"http://127.0.0.1:{self.stripe_mock_port}"

    def pg_url(self, database: str, *, driver: str = "postgresql+asyncpg") -> str:
        return (
            f"{driver}://{self.pg_user}:{self.pg_password}@{self.pg_host}:{self.pg_port}/{database}"
        )

    def infra_sh(self, *args: str, timeout: float = 180) -> None:
        """Drive a component through the project's own script (chaos tests stop/start things)."""
        script = self.repo_root / "deploy" / "local" / "infra.sh"
        result = subprocess.run(
            [str(script), *args], capture_output=True, text=True, timeout=timeout, check=False
        )
        if result.returncode != 0:
            raise AssertionError(
                f"infra.sh {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
            )


def _port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((host, port)) == 0


def require(component: str, port: int) -> None:
    if not _port_open(port):
        pytest.fail(
            f"{component} is not reachable on 127.0.0.1:{port}. Start it with "
            f"`make infra-up` (deploy/local/infra.sh up). Tests never skip a missing component.",
            pytrace=False,
        )


def _repo_root(start: Path) -> Path:
    for candidate in (start, *start.parents):
        if (candidate / "deploy" / "local" / "infra.sh").exists():
            return candidate
    return start


@pytest.fixture(scope="session")
def infra(pytestconfig: pytest.Config) -> Infra:
    return Infra(repo_root=_repo_root(Path(pytestconfig.rootpath)))


@pytest.fixture(scope="session")
def run_id() -> str:
    """Distinguishes this run's databases and topics from any other run's."""
    return secrets.token_hex(3)


class Databases:
    """Creates fresh databases for this run and drops them at the end."""

    def __init__(self, infra: Infra, run_id: str) -> None:
        self._infra = infra
        self._run_id = run_id
        self._created: list[str] = []
        self._counter = itertools.count()

    async def _admin(self) -> asyncpg.Connection:
        return await asyncpg.connect(self._infra.pg_url("postgres", driver="postgresql"))

    async def create(self, label: str, *, postgis: bool = False) -> str:
        """A new empty database; returns its SQLAlchemy (asyncpg) URL."""
        name = f"t_{self._run_id}_{label}_{next(self._counter)}".lower().replace("-", "_")
        conn = await self._admin()
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        self._created.append(name)
        if postgis:
            db = await asyncpg.connect(self._infra.pg_url(name, driver="postgresql"))
            try:
                await db.execute("CREATE EXTENSION IF NOT EXISTS postgis")
            finally:
                await db.close()
        return self._infra.pg_url(name)

    async def migrated(self, label: str, alembic_ini: Path) -> str:
        """A new database at `alembic upgrade head` of a service (exercises its migrations)."""
        url = await self.create(label)
        await asyncio.to_thread(migrate, alembic_ini, url)
        return url

    async def drop_all(self) -> None:
        if not self._created:
            return
        conn = await self._admin()
        try:
            for name in self._created:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


def migrate(alembic_ini: Path, url: str, revision: str = "head") -> None:
    config = Config(str(alembic_ini))
    config.set_main_option("script_location", str(alembic_ini.parent / "migrations"))
    config.attributes["database_url"] = url
    command.upgrade(config, revision)


@pytest.fixture(scope="session")
async def databases(infra: Infra, run_id: str) -> AsyncIterator[Databases]:
    require("PostgreSQL", infra.pg_port)
    dbs = Databases(infra, run_id)
    yield dbs
    await dbs.drop_all()


@pytest.fixture(scope="session")
def redis_url(infra: Infra) -> str:
    require("Redis", infra.redis_port)
    return infra.redis_url


@pytest.fixture(scope="session")
async def kafka_bootstrap(infra: Infra, run_id: str) -> AsyncIterator[str]:
    require("Kafka", infra.kafka_port)
    yield infra.kafka_bootstrap
    await delete_topics_with_prefix(infra.kafka_bootstrap, f"t{run_id}.")


@pytest.fixture(scope="session")
def mqtt_broker(infra: Infra) -> Infra:
    require("Mosquitto", infra.mqtt_port)
    return infra


@pytest.fixture(scope="session")
def stripe_mock_url(infra: Infra) -> str:
    require("stripe-mock", infra.stripe_mock_port)
    return infra.stripe_mock_url


@pytest.fixture(scope="session")
def smtp_server(infra: Infra) -> Infra:
    require("SMTP server", infra.smtp_port)
    return infra


_prefix_counter = itertools.count()


@pytest.fixture
def kafka_settings(kafka_bootstrap: str, run_id: str) -> KafkaSettings:
    """Kafka settings with a topic prefix unique to this test."""
    prefix = f"t{run_id}.{next(_prefix_counter)}."
    return KafkaSettings(bootstrap_servers=kafka_bootstrap, topic_prefix=prefix)


@dataclass(frozen=True)
class AuthKeys:
    rider_private: str
    rider_public: str
    service_private: str
    service_public: str
    command_private: str
    command_public: str
    receipt_private: str
    receipt_public: str

    def settings(self, *, with_service_key: bool = True) -> AuthSettings:
        return AuthSettings(
            rider_public_key=self.rider_public,
            service_public_key=self.service_public,
            service_private_key=self.service_private if with_service_key else None,
        )

    def rider_token(self, rider_id: uuid.UUID | None = None, **claims: Any) -> str:
        return mint_rider_token(self.rider_private, rider_id=rider_id or uuid.uuid4(), **claims)

    def service_token(self, service: str = "test") -> str:
        return mint_service_token(self.service_private, service=service)


@pytest.fixture(scope="session")
def auth_keys() -> AuthKeys:
    pairs = [generate_keypair() for _ in range(4)]
    return AuthKeys(*(pem for pair in pairs for pem in pair))
