"""`vehicle-agent simulate` as an operator runs it: a separate process, stopped by a signal."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

import pytest
from contracts.mqtt import CommandAck
from mobility_platform.testing import wait_until
from mobility_platform.testing.plugin import Infra
from vehicle_agent.mqtt import MqttConnection
from vehicle_agent_testkit import Inbox, signed_command


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
async def test_simulator_runs_its_fleet_and_shuts_down_cleanly(
    stop_signal: signal.Signals,
    tmp_path: Path,
    vehicle_ids: list[str],
    vehicle_secret_file: Path,
    platform_keys: tuple[str, str],
    gateway_side: tuple[MqttConnection, Inbox],
    mqtt_broker: Infra,
) -> None:
    fleet = vehicle_ids[6:8]
    listing = tmp_path / "vehicles.json"
    listing.write_text(
        json.dumps([{"id": v, "position": {"lat": 52.5, "lon": 13.4}} for v in fleet])
    )
    env = {
        **os.environ,
        "VEHICLE_AGENT_MQTT_HOST": "127.0.0.1",
        "VEHICLE_AGENT_MQTT_PORT": str(mqtt_broker.mqtt_port),
        "VEHICLE_AGENT_COMMAND_PUBLIC_KEY": platform_keys[1],
        "VEHICLE_AGENT_MQTT_SECRET_FILE": str(vehicle_secret_file),
    }
    tool = str(Path(sys.executable).parent / "vehicle-agent")
    args = ["--vehicles-file", str(listing), "--heartbeat-s", "0.2", "--report-s", "0.5"]
    log = tmp_path / "simulator.log"
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            tool, "simulate", *args, env=env, stdout=out, stderr=asyncio.subprocess.STDOUT
        )
    try:
        connection, inbox = gateway_side
        for vid in fleet:
            await wait_until(
                lambda vid=vid: inbox.on(f"vehicles/{vid}/telemetry"),
                timeout=45,  # includes the process start: seconds of imports on a busy box
                message="heartbeats",
            )
        order, payload = signed_command(platform_keys[0], fleet[0])
        assert connection.publish(f"vehicles/{fleet[0]}/commands", payload)
        acks = await wait_until(lambda: inbox.on(f"vehicles/{fleet[0]}/acks"), message="ack")
        ack = CommandAck.model_validate_json(acks[0])
        assert (ack.command_id, ack.status) == (order.command_id, "ok")
        await wait_until(lambda: "connected=2" in log.read_text(), message="a progress report")
    finally:
        process.send_signal(stop_signal)
        code = await asyncio.wait_for(process.wait(), 15)
    assert code == 0, log.read_text()
