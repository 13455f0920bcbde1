"""Commands to vehicles through the iot-gateway (`POST /internal/commands`).

The gateway answers 200 with the vehicle's ack, 504 `vehicle_timeout` when the vehicle stays
silent (expected: it must not open the breaker on a healthy gateway), 409 `command_rejected`,
or 503 when it or the MQTT broker is down. Each becomes a domain outcome for the use cases.
"""

from __future__ import annotations

import logging

from contracts.api.iot import CommandCreate, CommandResultRead
from contracts.types import BookingId, CommandAction, VehicleId
from mobility_platform.errors import DependencyUnavailableError, PeerTimeoutError
from mobility_platform.http import ServiceClient, problem_of
from pydantic import ValidationError

from fleet.domain import (
    CommandFailedError,
    CommandRejectedError,
    GatewayUnavailableError,
    VehicleReport,
    VehicleTimeoutError,
)

logger = logging.getLogger(__name__)
_HTTP_SLACK_S = 2.0
"""The HTTP call waits this much longer than the gateway waits for the vehicle."""


class GatewayCommands:
    def __init__(self, client: ServiceClient, *, timeout_ms: int) -> None:
        self._client = client
        self._timeout_ms = timeout_ms

    async def unlock(self, vehicle_id: VehicleId, booking_id: BookingId) -> VehicleReport:
        return await self._send(vehicle_id, booking_id, CommandAction.UNLOCK)

    async def lock(self, vehicle_id: VehicleId, booking_id: BookingId) -> VehicleReport:
        return await self._send(vehicle_id, booking_id, CommandAction.LOCK)

    async def _send(
        self, vehicle_id: VehicleId, booking_id: BookingId, action: CommandAction
    ) -> VehicleReport:
        body = CommandCreate(
            vehicle_id=vehicle_id, action=action, booking_id=booking_id, timeout_ms=self._timeout_ms
        )
        try:
            response = await self._client.request(
                "POST",
                "/internal/commands",
                json=body.model_dump(mode="json"),
                timeout_s=self._timeout_ms / 1000 + _HTTP_SLACK_S,
                expected_status=frozenset({504}),
            )
        except PeerTimeoutError as exc:
            raise VehicleTimeoutError("Neither the gateway nor the vehicle answered.") from exc
        except DependencyUnavailableError as exc:
            raise GatewayUnavailableError(
                "The vehicle gateway is unavailable; retry shortly.",
                retry_after_s=exc.retry_after_s,
            ) from exc
        if response.status_code == 200:
            return _report(response.content)
        raise _failure(response.status_code, problem_of(response))


def _report(content: bytes) -> VehicleReport:
    try:
        ack = CommandResultRead.model_validate_json(content)
    except ValidationError as exc:
        raise CommandFailedError("The gateway sent an unreadable acknowledgement.") from exc
    return VehicleReport(
        position=ack.position,
        battery_pct=ack.battery_pct,
        odometer_m=ack.odometer_m,
        at=ack.acked_at,
    )


def _failure(status: int, problem: object) -> CommandFailedError:
    code = getattr(problem, "code", "")
    detail = getattr(problem, "detail", None)
    if status == 504:
        return VehicleTimeoutError(detail or "The vehicle did not acknowledge in time.")
    if status == 409 and code == "command_rejected":
        reason = (getattr(problem, "model_extra", None) or {}).get("reason")
        return CommandRejectedError(detail, extensions={"reason": reason} if reason else None)
    logger.error("iot-gateway answered %s %s to a command", status, code)
    return CommandFailedError(f"The vehicle gateway refused the command ({code or status}).")
