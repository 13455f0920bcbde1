"""Real agents on the real broker, each with its own credentials; the test plays the gateway."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from contracts.mqtt import CommandAck, Telemetry
from contracts.types import CommandAction
from mobility_platform.auth import generate_keypair
from mobility_platform.testing import wait_until
from vehicle_agent.mqtt import MqttConnection
from vehicle_agent.runner import Behaviour
from vehicle_agent_testkit import FakeClock, Inbox, RunnerFactory, signed_command

Gateway = tuple[MqttConnection, Inbox]


async def command_and_ack(
    gateway: Gateway, vehicle_id: str, payload: bytes, command_id: uuid.UUID
) -> CommandAck:
    connection, inbox = gateway
    assert connection.publish(f"vehicles/{vehicle_id}/commands", payload)
    found = await wait_until(
        lambda: [
            a
            for a in map(CommandAck.model_validate_json, inbox.on(f"vehicles/{vehicle_id}/acks"))
            if a.command_id == command_id
        ],
        message=f"ack for {command_id}",
    )
    return found[-1]


async def heartbeat(gateway: Gateway, send: Callable[[], bool], vehicle_id: str) -> Telemetry:
    """Make the vehicle send a heartbeat now and return it as the gateway received it."""
    _, inbox = gateway
    seen = len(inbox.on(f"vehicles/{vehicle_id}/telemetry"))
    assert send()
    beats = await wait_until(
        lambda: inbox.on(f"vehicles/{vehicle_id}/telemetry")[seen:], message="a heartbeat"
    )
    return Telemetry.model_validate_json(beats[0])


async def test_signed_unlock_is_executed_acked_and_the_trip_shows_in_heartbeats(
    runners: RunnerFactory,
    gateway_side: Gateway,
    vehicle_ids: list[str],
    platform_keys: tuple[str, str],
) -> None:
    vid, clock = vehicle_ids[0], FakeClock(datetime.now(UTC))
    runner = runners(vid, clock=clock)
    await wait_until(lambda: runner.connection.subscribed, message="vehicle subscribed")
    parked = await heartbeat(gateway_side, runner.send_heartbeat, vid)
    assert parked.locked

    command, payload = signed_command(platform_keys[0], vid, issued_at=clock.now())
    ack = await command_and_ack(gateway_side, vid, payload, command.command_id)
    assert (ack.status, ack.locked, ack.vehicle_id) == ("ok", False, uuid.UUID(vid))

    clock.advance(60)  # a minute of riding at 36 km/h
    riding = await heartbeat(gateway_side, runner.send_heartbeat, vid)
    assert riding.odometer_m - parked.odometer_m == 600
    assert riding.position != parked.position
    assert (riding.locked, riding.speed_kmh) == (False, 36.0)


async def test_forged_expired_and_replayed_commands_are_refused_with_a_reason(
    runners: RunnerFactory,
    gateway_side: Gateway,
    vehicle_ids: list[str],
    platform_keys: tuple[str, str],
) -> None:
    vid = vehicle_ids[1]
    runner = runners(vid)
    await wait_until(lambda: runner.connection.subscribed, message="vehicle subscribed")
    now = datetime.now(UTC)

    attacker_key, _ = generate_keypair()
    forged, payload = signed_command(attacker_key, vid, issued_at=now)
    ack = await command_and_ack(gateway_side, vid, payload, forged.command_id)
    assert (ack.status, ack.reason, ack.action) == ("rejected", "bad_signature", "unlock")

    stale, payload = signed_command(platform_keys[0], vid, issued_at=now - timedelta(hours=1))
    ack = await command_and_ack(gateway_side, vid, payload, stale.command_id)
    assert (ack.status, ack.reason) == ("rejected", "expired")
    assert runner.agent.state.locked

    good, payload = signed_command(platform_keys[0], vid, issued_at=now)
    assert (await command_and_ack(gateway_side, vid, payload, good.command_id)).status == "ok"
    lock, lock_payload = signed_command(
        platform_keys[0], vid, action=CommandAction.LOCK, issued_at=now
    )
    assert (await command_and_ack(gateway_side, vid, lock_payload, lock.command_id)).locked
    gateway_side[1].messages.clear()
    replay = await command_and_ack(gateway_side, vid, payload, good.command_id)  # same bytes
    assert (replay.status, replay.reason, replay.locked) == ("rejected", "replayed", True)


async def test_vehicle_that_drops_acks_still_executes(
    runners: RunnerFactory,
    gateway_side: Gateway,
    vehicle_ids: list[str],
    platform_keys: tuple[str, str],
) -> None:
    vid = vehicle_ids[2]
    runner = runners(vid, behaviour=Behaviour(drop_acks=True))
    await wait_until(lambda: runner.connection.subscribed, message="vehicle subscribed")
    _, payload = signed_command(platform_keys[0], vid)
    connection, inbox = gateway_side
    assert connection.publish(f"vehicles/{vid}/commands", payload)
    await wait_until(lambda: not runner.agent.state.locked, message="unlocked")
    await heartbeat(gateway_side, runner.send_heartbeat, vid)
    # an ack would have been published before that heartbeat, on the same connection
    assert inbox.on(f"vehicles/{vid}/acks") == []
    assert runner.counters.dropped_acks == 1


async def test_slow_vehicle_acks_late(
    runners: RunnerFactory,
    gateway_side: Gateway,
    vehicle_ids: list[str],
    platform_keys: tuple[str, str],
) -> None:
    vid = vehicle_ids[3]
    runner = runners(vid, behaviour=Behaviour(ack_delay_s=0.5))
    await wait_until(lambda: runner.connection.subscribed, message="vehicle subscribed")
    command, payload = signed_command(platform_keys[0], vid)
    started = time.monotonic()
    ack = await command_and_ack(gateway_side, vid, payload, command.command_id)
    assert ack.status == "ok"
    assert time.monotonic() - started >= 0.5


async def test_vehicle_that_went_offline_comes_back_and_obeys_again(
    runners: RunnerFactory,
    gateway_side: Gateway,
    vehicle_ids: list[str],
    platform_keys: tuple[str, str],
) -> None:
    vid = vehicle_ids[4]
    runner = runners(vid)
    await wait_until(lambda: runner.connection.subscribed, message="vehicle subscribed")
    runner.go_offline(back_after_s=0.2)
    assert not runner.send_heartbeat()  # silent while away
    await wait_until(lambda: runner.connection.subscribed, message="back online")
    assert runner.connection.connects == 2
    command, payload = signed_command(platform_keys[0], vid)
    assert (await command_and_ack(gateway_side, vid, payload, command.command_id)).status == "ok"
