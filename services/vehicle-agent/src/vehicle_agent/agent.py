"""One vehicle's behaviour on the wire: verify commands, actuate, ack, report heartbeats.

Every command must carry the platform's signature, be addressed to this vehicle, be unexpired
and carry a nonce this vehicle has not accepted before; anything else is refused with a
`rejected` ack naming the reason (`bad_signature`, `expired`, `not_yet_valid`,
`wrong_vehicle`, `replayed`, `malformed`) and changes nothing.
"""

from __future__ import annotations

import base64
import json
import logging
import random
import uuid
from datetime import datetime
from typing import Any, Literal, Protocol

from contracts.clock import Clock
from contracts.mqtt import CommandAck, SignedCommand, Telemetry, VehicleCommand
from contracts.types import CommandAction, CommandId, GeoPoint
from mobility_platform.signing import CommandRejectedError
from pydantic import ValidationError

from vehicle_agent import domain
from vehicle_agent.domain import Motion, ReplayGuard, VehicleState

logger = logging.getLogger(__name__)


class Verifier(Protocol):
    def verify(self, signed: SignedCommand, *, now: datetime) -> VehicleCommand: ...


class VehicleAgent:
    def __init__(
        self,
        state: VehicleState,
        *,
        verifier: Verifier,
        clock: Clock,
        motion: Motion | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.state = state
        self._verifier = verifier
        self._clock = clock
        self._motion = motion or Motion()
        self._rng = rng or random.Random()
        self._replays = ReplayGuard()
        self._last_tick = clock.now()

    @property
    def vehicle_id(self) -> str:
        return str(self.state.vehicle_id)

    def handle_command(self, payload: bytes) -> CommandAck | None:
        """Verify and execute a command; the ack to send (None: nothing identifiable to ack)."""
        now = self._clock.now()
        try:
            signed = SignedCommand.model_validate_json(payload)
        except ValidationError:
            logger.warning("vehicle %s: unreadable command payload", self.vehicle_id)
            return None
        try:
            command = self._verifier.verify(signed, now=now)
        except CommandRejectedError as exc:
            return self._refuse(signed, exc.reason, now)
        except ValidationError:
            return self._refuse(signed, "malformed", now)
        if self._replays.seen(command.nonce, now=now):
            return self._ack(command.command_id, command.action, now, "rejected", "replayed")
        self._replays.remember(command.nonce, until=command.expires_at)
        self.tick()
        domain.actuate(self.state, command.action)
        return self._ack(command.command_id, command.action, now, "ok")

    def heartbeat(self) -> Telemetry:
        self.tick()
        s = self.state
        return Telemetry(
            vehicle_id=s.vehicle_id,
            position=GeoPoint(lat=s.lat, lon=s.lon),
            battery_pct=s.battery_pct,
            locked=s.locked,
            speed_kmh=s.speed_kmh,
            odometer_m=int(s.odometer_m),
            recorded_at=self._last_tick,
        )

    def tick(self) -> None:
        """Bring movement and battery up to now."""
        now = self._clock.now()
        dt_s = (now - self._last_tick).total_seconds()
        self._last_tick = now
        turn = self._rng.uniform(-30.0, 30.0)
        domain.advance(self.state, dt_s=dt_s, motion=self._motion, turn_deg=turn)

    def _refuse(self, signed: SignedCommand, reason: str, now: datetime) -> CommandAck | None:
        claims = unverified_claims(signed.token)
        try:
            command_id = CommandId(uuid.UUID(str(claims.get("command_id"))))
        except ValueError:
            logger.warning(
                "vehicle %s refused an unidentifiable command: %s", self.vehicle_id, reason
            )
            return None
        try:
            action: CommandAction | None = CommandAction(str(claims.get("action")))
        except ValueError:
            action = None
        logger.warning("vehicle %s refused command %s: %s", self.vehicle_id, command_id, reason)
        return self._ack(command_id, action, now, "rejected", reason)

    def _ack(
        self,
        command_id: CommandId,
        action: CommandAction | None,
        now: datetime,
        status: Literal["ok", "rejected", "failed"],
        reason: str | None = None,
    ) -> CommandAck:
        s = self.state
        return CommandAck(
            command_id=command_id,
            vehicle_id=s.vehicle_id,
            status=status,
            reason=reason,
            locked=s.locked,
            position=GeoPoint(lat=s.lat, lon=s.lon),
            battery_pct=s.battery_pct,
            odometer_m=int(s.odometer_m),
            acked_at=now,
            action=action,
        )


def unverified_claims(token: str) -> dict[str, Any]:
    """The JWS payload WITHOUT checking it: only to say which command a refusal is about."""
    try:
        segment = token.split(".")[1]
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        claims = json.loads(raw)
    except (IndexError, ValueError):
        return {}
    return claims if isinstance(claims, dict) else {}
