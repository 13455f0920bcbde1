"""Start the whole platform on one machine: what `make run` and the e2e tests use.

Reads deploy/local/stack.toml, fills its placeholders, prepares each service (databases,
topics, `alembic upgrade head`, seed commands), starts every service under uvicorn and the
extra processes (vehicle simulator), and waits until every /readyz answers 200. Infra itself
(PostgreSQL, Kafka, ...) is started beforehand by deploy/local/infra.sh.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx

from mobility_platform.kafka import delete_topics_with_prefix, ensure_topics
from mobility_platform.settings import KafkaSettings

_PLACEHOLDER = re.compile(r"\{([a-z_]+)(?::([a-z0-9_-]+))?\}")


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    package: str
    port: int
    env_prefix: str
    database: str
    env: dict[str, str]
    seed: list[list[str]]


@dataclass(frozen=True)
class ProcessSpec:
    name: str
    command: list[str]
    env: dict[str, str]


@dataclass
class StackOptions:
    """What differs between `make run` and an e2e run."""

    repo: Path
    database_prefix: str = ""
    topic_prefix: str = ""
    port_offset: int = 0
    demo_fleet_size: int = 2000
    log_dir: Path | None = None
    with_processes: bool = True
    overrides: dict[str, dict[str, str]] = field(default_factory=dict)
    """Extra env per service or process name (e2e: short holds, fast sweepers)."""

    def infra(self, name: str, default: str) -> str:
        return os.environ.get(name, default)


class Stack:
    def __init__(self, options: StackOptions) -> None:
        self.opts = options
        config = tomllib.loads((options.repo / "deploy" / "local" / "stack.toml").read_text())
        self._defaults: dict[str, str] = config.get("defaults", {}).get("env", {})
        self.services = {
            name: ServiceSpec(
                name=name,
                package=spec["package"],
                port=int(spec["port"]) + options.port_offset,
                env_prefix=spec["env_prefix"],
                database=options.database_prefix + spec["database"],
                env=dict(spec.get("env", {})),
                seed=[list(cmd) for cmd in spec.get("seed", [])],
            )
            for name, spec in config.get("services", {}).items()
        }
        self.processes = {
            name: ProcessSpec(
                name=name, command=list(spec["command"]), env=dict(spec.get("env", {}))
            )
            for name, spec in config.get("processes", {}).items()
        }
        self.log_dir = options.log_dir or options.repo / ".cache" / "stack"
        self._procs: dict[str, subprocess.Popen[bytes]] = {}

    # --- configuration ----------------------------------------------------------------------

    @property
    def secrets_dir(self) -> Path:
        return self.opts.repo / ".cache" / "secrets"

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.services[service].port}"

    def pg_url(self, database: str, driver: str = "postgresql+asyncpg") -> str:
        o = self.opts
        user, password = o.infra("MC_PG_USER", "postgres"), o.infra("MC_PG_PASSWORD", "postgres")
        port = o.infra("MC_PG_PORT", "55432")
        return f"{driver}://{user}:{password}@127.0.0.1:{port}/{database}"

    def _values(self, service: ServiceSpec | None) -> dict[str, str]:
        o = self.opts
        return {
            "pg_url": self.pg_url(service.database) if service else "",
            "redis_url": f"redis://127.0.0.1:{o.infra('MC_REDIS_PORT', '56379')}/0",
            "kafka": f"127.0.0.1:{o.infra('MC_KAFKA_PORT', '19092')}",
            "topic_prefix": o.topic_prefix,
            "secrets": str(self.secrets_dir),
            "mqtt_host": "127.0.0.1",
            "mqtt_port": o.infra("MC_MQTT_PORT", "51883"),
            "mqtt_gateway_user": o.infra("MC_MQTT_GATEWAY_USER", "iot-gateway"),
            "mqtt_gateway_password": o.infra("MC_MQTT_GATEWAY_PASSWORD", "gateway-dev-password"),
            "stripe_mock_url": f"http://127.0.0.1:{o.infra('MC_STRIPE_MOCK_PORT', '12111')}",
            "smtp_host": "127.0.0.1",
            "smtp_port": o.infra("MC_SMTP_PORT", "51025"),
            "state_dir": o.infra("MC_STATE_DIR", str(o.repo / ".cache" / "infra")),
            "repo": str(o.repo),
            "demo_fleet_size": str(o.demo_fleet_size),
        }

    def render(self, text: str, service: ServiceSpec | None = None) -> str:
        values = self._values(service)

        def one(match: re.Match[str]) -> str:
            key, arg = match.group(1), match.group(2)
            if key == "url" and arg:
                return self.url(arg)
            if key == "secret" and arg:
                return (self.secrets_dir / arg).read_text().strip()
            if key not in values:
                raise KeyError(f"unknown placeholder {match.group(0)} in stack.toml")
            return values[key]

        return _PLACEHOLDER.sub(one, text)

    def service_env(self, name: str) -> dict[str, str]:
        spec = self.services[name]
        env = {**self._defaults, **spec.env, **self.opts.overrides.get(name, {})}
        rendered = {spec.env_prefix + key: self.render(value, spec) for key, value in env.items()}
        return {**os.environ, **rendered}

    def process_env(self, name: str) -> dict[str, str]:
        spec = self.processes[name]
        env = {**spec.env, **self.opts.overrides.get(name, {})}
        return {**os.environ, **{key: self.render(value) for key, value in env.items()}}

    # --- preparation ------------------------------------------------------------------------

    async def prepare(self) -> None:
        """Databases, topics, migrations and seeds: idempotent, safe to run every time."""
        _run(self._bin("mobility-platform"), "keygen", "--out", str(self.secrets_dir))
        await self._ensure_databases(spec.database for spec in self.services.values())
        kafka = KafkaSettings(
            bootstrap_servers=self._values(None)["kafka"], topic_prefix=self.opts.topic_prefix
        )
        from contracts import topics

        await ensure_topics(kafka, topics.ALL)
        for spec in self.services.values():
            cwd = self.opts.repo / "services" / spec.name
            _run(self._bin("alembic"), "upgrade", "head", cwd=cwd, env=self.service_env(spec.name))

    def seed(self) -> None:
        for spec in self.services.values():
            for command in spec.seed:
                argv = [self.render(part, spec) for part in command]
                _run(self._bin(argv[0]), *argv[1:], cwd=self.opts.repo / "services" / spec.name,
                     env=self.service_env(spec.name))  # fmt: skip

    async def _ensure_databases(self, names: Iterable[str]) -> None:
        conn = await asyncpg.connect(self.pg_url("postgres", driver="postgresql"))
        try:
            existing = {r["datname"] for r in await conn.fetch("SELECT datname FROM pg_database")}
            for name in names:
                if name not in existing:
                    await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    async def drop_topics(self) -> None:
        """Delete this stack's topics (only for a stack with its own topic prefix)."""
        if self.opts.topic_prefix:
            await delete_topics_with_prefix(self._values(None)["kafka"], self.opts.topic_prefix)

    async def drop_databases(self) -> None:
        conn = await asyncpg.connect(self.pg_url("postgres", driver="postgresql"))
        try:
            for spec in self.services.values():
                await conn.execute(f'DROP DATABASE IF EXISTS "{spec.database}" WITH (FORCE)')
        finally:
            await conn.close()

    def _bin(self, name: str) -> str:
        candidate = Path(sys.executable).parent / name
        return str(candidate) if candidate.exists() else name

    # --- processes --------------------------------------------------------------------------

    def start_service(self, name: str) -> None:
        spec = self.services[name]
        argv = [
            sys.executable, "-m", "uvicorn", f"{spec.package}.app:create_app", "--factory",
            "--host", "127.0.0.1", "--port", str(spec.port), "--no-access-log",
            "--log-level", "warning",
        ]  # fmt: skip
        self._spawn(name, argv, self.service_env(name), self.opts.repo / "services" / name)

    def start_process(self, name: str) -> None:
        argv = [self.render(part) for part in self.processes[name].command]
        argv[0] = self._bin(argv[0])
        self._spawn(name, argv, self.process_env(name), self.opts.repo)

    def _spawn(self, name: str, argv: list[str], env: dict[str, str], cwd: Path) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = (self.log_dir / f"{name}.log").open("ab")
        self._procs[name] = subprocess.Popen(
            argv, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def stop(self, name: str, timeout: float = 10) -> None:
        proc = self._procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)

    def stop_all(self) -> None:
        for name in reversed(list(self._procs)):
            self.stop(name)

    def dead(self) -> list[str]:
        return [name for name, proc in self._procs.items() if proc.poll() is not None]

    def log_tail(self, name: str, lines: int = 40) -> str:
        path = self.log_dir / f"{name}.log"
        return (
            "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
            if path.exists()
            else ""
        )

    async def wait_ready(self, names: Iterable[str] | None = None, timeout: float = 60) -> None:
        pending = set(names or self.services)
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=2) as client:
            while pending:
                for name in sorted(pending):
                    if name in self.dead():
                        raise RuntimeError(f"{name} exited:\n{self.log_tail(name)}")
                    with contextlib.suppress(httpx.HTTPError):
                        if (await client.get(self.url(name) + "/readyz")).status_code == 200:
                            pending.discard(name)
                if pending and time.monotonic() > deadline:
                    tails = "\n".join(f"--- {n}\n{self.log_tail(n)}" for n in sorted(pending))
                    raise TimeoutError(f"not ready after {timeout}s: {sorted(pending)}\n{tails}")
                await asyncio.sleep(0.2)

    async def up(self) -> None:
        await self.prepare()
        self.seed()
        for name in self.services:
            self.start_service(name)
        await self.wait_ready()
        if self.opts.with_processes:
            for name in self.processes:
                self.start_process(name)


def _run(*argv: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> None:
    result = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed in {cwd}:\n{result.stdout}\n{result.stderr}")
