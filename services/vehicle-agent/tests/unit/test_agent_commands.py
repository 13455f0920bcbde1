"""The agent's command checks: signature, expiry, replay, target; actuation and acks."""

from __future__ import annotations

import json
import uuid

import pytest
from contracts.mqtt import SignedCommand
from contracts.types import CommandAction, VehicleId
from mobility_platform.auth import generate_keypair
from mobility_platform.signing import CommandVerifier
from vehicle_agent.agent import VehicleAgent
from vehicle_agent.domain import VehicleState
from vehicle_agent_testkit import FakeClock, signed_command

PLATFORM_PRIVATE, PLATFORM_PUBLIC = generate_keypair()
ATTACKER_PRIVATE, _ = generate_keypair()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def agent(clock: FakeClock) -> VehicleAgent:
    vid = VehicleId(uuid.uuid4())
    state = VehicleState(vehicle_id=vid, lat=50.1, lon=8.6, battery=80.0)
    verifier = CommandVerifier(PLATFORM_PUBLIC, vehicle_id=str(vid))
    return VehicleAgent(state, verifier=verifier, clock=clock)


def test_platform_signed_unlock_unlocks_and_acks_ok(agent: VehicleAgent, clock: FakeClock) -> None:
    command, payload = signed_command(PLATFORM_PRIVATE, agent.vehicle_id, issued_at=clock.now())
    ack = agent.handle_command(payload)
    assert ack is not None
    assert (ack.status, ack.reason, ack.command_id, ack.locked) == (
        "ok",
        None,
        command.command_id,
        False,
    )
    assert (ack.battery_pct, ack.acked_at, ack.action) == (80, clock.now(), CommandAction.UNLOCK)
    assert not agent.state.locked


def test_forged_signature_is_rejected_and_nothing_moves(
    agent: VehicleAgent, clock: FakeClock
) -> None:
    command, payload = signed_command(ATTACKER_PRIVATE, agent.vehicle_id, issued_at=clock.now())
    ack = agent.handle_command(payload)
    assert ack is not None
    assert (ack.status, ack.reason, ack.command_id) == (
        "rejected",
        "bad_signature",
        command.command_id,
    )
    assert agent.state.locked


def test_tampered_payload_is_rejected(agent: VehicleAgent, clock: FakeClock) -> None:
    _, payload = signed_command(
        PLATFORM_PRIVATE, agent.vehicle_id, action=CommandAction.LOCATE, issued_at=clock.now()
    )
    header, claims, signature = json.loads(payload)["token"].split(".")
    tampered = SignedCommand(token=f"{header}.{claims[:-2]}fQ.{signature}")
    ack = agent.handle_command(tampered.model_dump_json().encode())
    assert ack is None or (ack.status, ack.reason) == ("rejected", "bad_signature")
    assert agent.state.locked


def test_expired_command_is_rejected(agent: VehicleAgent, clock: FakeClock) -> None:
    _, payload = signed_command(PLATFORM_PRIVATE, agent.vehicle_id, issued_at=clock.now(), ttl_s=10)
    clock.advance(10)
    ack = agent.handle_command(payload)
    assert ack is not None
    assert (ack.status, ack.reason) == ("rejected", "expired")
    assert agent.state.locked


def test_command_from_the_future_is_rejected(agent: VehicleAgent, clock: FakeClock) -> None:
    clock.advance(-120)  # the vehicle's clock is two minutes behind the platform's
    _, payload = signed_command(PLATFORM_PRIVATE, agent.vehicle_id, issued_at=clock.now())
    clock.advance(-120)
    ack = agent.handle_command(payload)
    assert ack is not None
    assert ack.reason == "not_yet_valid"


def test_replayed_nonce_is_rejected_until_the_command_expires(
    agent: VehicleAgent, clock: FakeClock
) -> None:
    _, unlock = signed_command(PLATFORM_PRIVATE, agent.vehicle_id, issued_at=clock.now(), ttl_s=30)
    _, lock = signed_command(
        PLATFORM_PRIVATE, agent.vehicle_id, action=CommandAction.LOCK, issued_at=clock.now()
    )
    assert agent.handle_command(unlock).status == "ok"  # type: ignore[union-attr]
    assert agent.handle_command(lock).status == "ok"  # type: ignore[union-attr]
    replay = agent.handle_command(unlock)  # the captured unlock, sent again
    assert replay is not None
    assert (replay.status, replay.reason) == ("rejected", "replayed")
    assert agent.state.locked  # the replay did not unlock the vehicle
    clock.advance(31)
    later = agent.handle_command(unlock)
    assert later is not None
    assert later.reason == "expired"


def test_same_nonce_in_a_new_command_is_a_replay(agent: VehicleAgent, clock: FakeClock) -> None:
    nonce = uuid.uuid4().hex
    _, first = signed_command(
        PLATFORM_PRIVATE, agent.vehicle_id, issued_at=clock.now(), nonce=nonce
    )
    _, second = signed_command(
        PLATFORM_PRIVATE, agent.vehicle_id, issued_at=clock.now(), nonce=nonce
    )
    assert agent.handle_command(first).status == "ok"  # type: ignore[union-attr]
    assert agent.handle_command(second).reason == "replayed"  # type: ignore[union-attr]


def test_command_for_another_vehicle_is_rejected(agent: VehicleAgent, clock: FakeClock) -> None:
    _, payload = signed_command(PLATFORM_PRIVATE, str(uuid.uuid4()), issued_at=clock.now())
    ack = agent.handle_command(payload)
    assert ack is not None
    assert (ack.status, ack.reason, ack.vehicle_id) == (
        "rejected",
        "wrong_vehicle",
        agent.state.vehicle_id,
    )
    assert agent.state.locked


@pytest.mark.parametrize("payload", [b"", b"{}", b"not json", b'{"token": "garbage"}'])
def test_unidentifiable_payloads_get_no_ack(agent: VehicleAgent, payload: bytes) -> None:
    assert agent.handle_command(payload) is None
    assert agent.state.locked


def test_nonce_memory_is_bounded_by_command_lifetime(agent: VehicleAgent, clock: FakeClock) -> None:
    for _ in range(100):
        beep = {"action": CommandAction.BEEP, "issued_at": clock.now(), "ttl_s": 5}
        _, payload = signed_command(PLATFORM_PRIVATE, agent.vehicle_id, **beep)  # type: ignore[arg-type]
        agent.handle_command(payload)
        clock.advance(1)
    assert len(agent._replays) <= 6
