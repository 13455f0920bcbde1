"""Unlock round trip at the iot-gateway: POST /internal/commands -> signed MQTT -> simulated
vehicle -> ack -> 200. By hand, not CI: `uv run python loadtests/bench_unlock.py`.

Self-contained on the running native infra (deploy/local/infra.sh up): a throw-away database,
a gateway under uvicorn on 127.0.0.1:18606, a `vehicle-agent simulate` process with fresh
vehicles whose credentials go through `iot-gateway-provision` (removed again at the end), then
`--unlocks` commands (unlock/lock alternating per vehicle, one in flight per vehicle) from
`--concurrency` workers. Prints P50/P95/P99 and the CPU each process used. `--private-broker`
runs its own mosquitto (same ACL, `set_tcp_nodelay true`) on --port+1 instead of the shared one.
The outbox relay is off: the unlock path emits no events, and the run needs no Kafka topics.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from mobility_platform.auth import mint_service_token
from mobility_platform.signing import vehicle_mqtt_password
from mobility_platform.testing import wait_until

REPO = Path(__file__).resolve().parents[1]
SECRETS = REPO / ".cache" / "secrets"
BIN = Path(sys.executable).parent
PG = "postgres:{}@127.0.0.1:{}".format(
    os.environ.get("MC_PG_PASSWORD", "postgres"), os.environ.get("MC_PG_PORT", "55432")
)
MQTT = {
    "port": os.environ.get("MC_MQTT_PORT", "51883"),
    "user": os.environ.get("MC_MQTT_GATEWAY_USER", "iot-gateway"),
    "password": os.environ.get("MC_MQTT_GATEWAY_PASSWORD", "gateway-dev-password"),
}
Process = asyncio.subprocess.Process


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


async def admin(sql: str) -> None:
    conn = await asyncpg.connect(f"postgresql://{PG}/postgres")
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def vehicles_seen(db_url: str) -> int:
    conn = await asyncpg.connect(db_url.replace("+asyncpg", ""))
    try:
        return int(await conn.fetchval("SELECT count(*) FROM vehicle_state"))
    finally:
        await conn.close()


async def run(*argv: str, env: dict[str, str] | None = None, cwd: Path = REPO) -> None:
    proc = await asyncio.create_subprocess_exec(
        *argv, env=env, cwd=cwd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    output, _ = await proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"{argv[0]} failed:\n{output.decode(errors='replace')}")


async def spawn(log: Path, *argv: str, env: dict[str, str]) -> Process:
    with log.open("wb") as out:
        return await asyncio.create_subprocess_exec(*argv, env=env, stdout=out, stderr=out)


def gateway_env(db_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "IOT_GATEWAY_DATABASE_URL": db_url,
        "IOT_GATEWAY_KAFKA__BOOTSTRAP_SERVERS": "127.0.0.1:19092",
        "IOT_GATEWAY_OUTBOX__ENABLED": "false",
        "IOT_GATEWAY_READINESS_REQUIRES": '["db"]',
        "IOT_GATEWAY_AUTH__RIDER_PUBLIC_KEY": str(SECRETS / "rider_jwt_public.pem"),
        "IOT_GATEWAY_AUTH__SERVICE_PUBLIC_KEY": str(SECRETS / "service_jwt_public.pem"),
        "IOT_GATEWAY_MQTT__HOST": "127.0.0.1",
        "IOT_GATEWAY_MQTT__PORT": MQTT["port"],
        "IOT_GATEWAY_MQTT__USERNAME": MQTT["user"],
        "IOT_GATEWAY_MQTT__PASSWORD": MQTT["password"],
        "IOT_GATEWAY_COMMAND_SIGNING_KEY": str(SECRETS / "command_signing_private.pem"),
        "IOT_GATEWAY_LOG_JSON": "false",
        "IOT_GATEWAY_LOG_LEVEL": "WARNING",
    }


def simulator_env() -> dict[str, str]:
    return {
        **os.environ,
        "VEHICLE_AGENT_MQTT_HOST": "127.0.0.1",
        "VEHICLE_AGENT_MQTT_PORT": MQTT["port"],
        "VEHICLE_AGENT_COMMAND_PUBLIC_KEY": str(SECRETS / "command_signing_public.pem"),
        "VEHICLE_AGENT_MQTT_SECRET_FILE": str(SECRETS / "vehicle_mqtt_secret"),
    }


async def private_broker(workdir: Path, vehicles: list[str], *, port: int) -> Process:
    """A mosquitto of our own: the shared ACL, these vehicles, TCP_NODELAY on its sockets."""
    secret = (SECRETS / "vehicle_mqtt_secret").read_text().strip()
    passwd, acl, conf = workdir / "passwd", workdir / "acl", workdir / "mosquitto.conf"
    lines = [f"{MQTT['user']}:{MQTT['password']}"]
    lines += [f"{v}:{vehicle_mqtt_password(secret, v)}" for v in vehicles]
    passwd.write_text("\n".join(lines) + "\n")
    await run("mosquitto_passwd", "-U", str(passwd))
    acl.write_text((REPO / "deploy" / "local" / "mosquitto" / "acl").read_text())
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous false\npassword_file {passwd}\n"
        f"acl_file {acl}\npersistence false\nset_tcp_nodelay true\n"
        + ("user root\n" if os.geteuid() == 0 else "")
    )
    MQTT["port"] = str(port)
    return await spawn(workdir / "mosquitto.log", "mosquitto", "-c", str(conf), env={**os.environ})


async def unlocks(
    url: str, vehicles: list[str], *, total: int, concurrency: int
) -> tuple[list[float], Counter[int]]:
    """Each worker owns its vehicles (one command in flight per vehicle) and alternates."""
    token = mint_service_token((SECRETS / "service_jwt_private.pem").read_text(), service="bench")
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    budget = iter(range(total))

    async def worker(mine: list[str], client: httpx.AsyncClient) -> None:
        actions = dict.fromkeys(mine, "unlock")
        for n in budget:
            vid = mine[n % len(mine)]
            body = {"vehicle_id": vid, "action": actions[vid], "booking_id": str(uuid.uuid4())}
            started = time.perf_counter()
            response = await client.post("/internal/commands", json=body)
            latencies.append((time.perf_counter() - started) * 1000)
            statuses[response.status_code] += 1
            actions[vid] = "lock" if actions[vid] == "unlock" else "unlock"

    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as client:
        await asyncio.gather(
            *(worker(vehicles[i::concurrency], client) for i in range(concurrency))
        )
    return latencies, statuses


async def wait_ready(url: str, db_url: str, vehicles: int, *, timeout: float) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=2) as client:

        async def ready() -> bool:
            try:
                if (await client.get("/readyz")).status_code != 200:
                    return False
            except httpx.HTTPError:
                return False
            return await vehicles_seen(db_url) >= vehicles

        await wait_until(
            ready, timeout=timeout, interval=0.5, message="gateway ready, vehicles heartbeating"
        )


async def measure(
    args: argparse.Namespace, url: str, vehicles: list[str], procs: dict[str, Process]
) -> dict[str, Any]:
    await unlocks(url, vehicles, total=min(50, args.unlocks), concurrency=args.concurrency)
    before = {name: cpu_seconds(p.pid) for name, p in procs.items()}
    started = time.perf_counter()
    ms, statuses = await unlocks(url, vehicles, total=args.unlocks, concurrency=args.concurrency)
    wall = time.perf_counter() - started
    return {
        "commands": len(ms),
        "statuses": dict(statuses),
        "per_s": round(len(ms) / wall, 1),
        "p50_ms": round(percentile(ms, 50), 1),
        "p95_ms": round(percentile(ms, 95), 1),
        "p99_ms": round(percentile(ms, 99), 1),
        "max_ms": round(max(ms), 1),
        "mean_ms": round(statistics.fmean(ms), 1),
        "cpu_pct_of_a_core": {
            name: round(100 * (cpu_seconds(p.pid) - before[name]) / wall)
            for name, p in procs.items()
        },
        "vehicles": args.vehicles,
        "concurrency": args.concurrency,
        "broker": "private (set_tcp_nodelay)" if args.private_broker else "shared",
    }


async def main(args: argparse.Namespace) -> None:
    db_name = f"bench_unlock_{secrets.token_hex(3)}"
    await admin(f'CREATE DATABASE "{db_name}"')
    db_url = f"postgresql+asyncpg://{PG}/{db_name}"
    vehicles = [str(uuid.uuid4()) for _ in range(args.vehicles)]
    workdir = Path(tempfile.mkdtemp(prefix="bench-unlock-"))
    listing = workdir / "vehicles.json"
    listing.write_text(json.dumps(vehicles))
    provision = [str(BIN / "iot-gateway-provision"), "--file", str(listing)]
    procs: dict[str, Process] = {}
    try:
        if args.private_broker:
            procs["mosquitto"] = await private_broker(workdir, vehicles, port=args.port + 1)
        else:
            await run(*provision)
        gw_dir, env = REPO / "services" / "iot-gateway", gateway_env(db_url)
        await run(str(BIN / "alembic"), "upgrade", "head", env=env, cwd=gw_dir)
        simulate = ["simulate", "--vehicles-file", str(listing), "--heartbeat-s"]
        procs["simulator"] = await spawn(
            workdir / "simulator.log",
            str(BIN / "vehicle-agent"),
            *simulate,
            str(args.heartbeat_s),
            env=simulator_env(),
        )
        uvicorn = ["-m", "uvicorn", "iot_gateway.app:create_app", "--factory", "--no-access-log"]
        procs["gateway"] = await spawn(
            workdir / "gateway.log", sys.executable, *uvicorn, "--port", str(args.port), env=env
        )
        url = f"http://127.0.0.1:{args.port}"
        await wait_ready(url, db_url, len(vehicles), timeout=120)
        summary = await measure(args, url, vehicles, procs)
        print(json.dumps({"bench": "unlock round trip at the gateway", **summary}, indent=2))  # noqa: T201
    finally:
        for proc in procs.values():
            if proc.returncode is None:
                proc.terminate()
                await asyncio.wait_for(proc.wait(), 15)
        if not args.private_broker:
            await run(*provision, "--remove")
        await admin(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--unlocks", type=int, default=500)
    parser.add_argument("--vehicles", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--heartbeat-s", type=float, default=5.0)
    parser.add_argument("--port", type=int, default=18606, help="gateway; +1: private broker")
    parser.add_argument("--private-broker", action="store_true")
    asyncio.run(main(parser.parse_args()))
