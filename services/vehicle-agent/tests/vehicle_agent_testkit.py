"""Test helpers for the vehicle agent: a controllable clock, signed commands, a gateway stand-in."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from contracts.mqtt import SignedCommand, VehicleCommand
from contracts.types import CommandAction
from mobility_platform import testing
from mobility_platform.signing import CommandSigner
from vehicle_agent.runner import VehicleRunner

RunnerFactory = Callable[..., VehicleRunner]
"""`runners(vehicle_id, *, behaviour=None, clock=None)`: a started in-process vehicle agent."""

T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


class FakeClock(testing.FakeClock):
    def __init__(self, start: datetime = T0) -> None:
        super().__init__(start)


def signed_command(
    private_key: str,
    vehicle_id: str,
    *,
    action: CommandAction = CommandAction.UNLOCK,
    issued_at: datetime | None = None,
    ttl_s: float = 30.0,
    nonce: str | None = None,
) -> tuple[VehicleCommand, bytes]:
    """A command as the gateway publishes it: SignedCommand JSON bytes."""
    issued = issued_at or datetime.now(UTC)
    command = VehicleCommand(
        command_id=uuid.uuid4(),
        vehicle_id=uuid.UUID(vehicle_id),
        action=action,
        booking_id=uuid.uuid4(),
        issued_at=issued,
        expires_at=issued + timedelta(seconds=ttl_s),
        nonce=nonce or uuid.uuid4().hex,
    )
    signed: SignedCommand = CommandSigner(private_key).sign(command)
    return command, signed.model_dump_json().encode()


class Inbox:
    """Collects (topic, payload) pairs delivered to a callback."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, bytes]] = []

    @property
    def handler(self) -> Callable[[str, bytes], None]:
        return lambda topic, payload: self.messages.append((topic, payload))

    def on(self, topic: str) -> list[bytes]:
        return [payload for t, payload in self.messages if t == topic]
