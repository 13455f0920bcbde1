"""IoT gateway HTTP API: contracts models in, use cases, contracts models out."""

from __future__ import annotations

from typing import Any

from contracts.api.iot import CommandCreate, CommandResultRead
from contracts.base import Problem
from contracts.errors import DomainError
from mobility_platform.auth import ServiceDep, internal_router

from iot_gateway import usecases
from iot_gateway.deps import GatewayDep
from iot_gateway.domain import BrokerUnavailableError, CommandRejectedError, VehicleTimeoutError

router = internal_router(tags=["commands"])

ERROR_STATUS: dict[type[DomainError], int] = {
    CommandRejectedError: 409,
    BrokerUnavailableError: 503,
    VehicleTimeoutError: 504,
}

_PROBLEMS: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "description": cls.title} for cls, status in ERROR_STATUS.items()
}


@router.post("/commands", response_model=CommandResultRead, responses=_PROBLEMS)
async def create_command(
    body: CommandCreate, gateway: GatewayDep, caller: ServiceDep
) -> CommandResultRead:
    """Send a signed command to a vehicle over MQTT (QoS 1) and wait for its ack."""
    request = usecases.CommandRequest(
        vehicle_id=body.vehicle_id,
        action=body.action,
        booking_id=body.booking_id,
        timeout_s=gateway.timeout_s(body.timeout_ms),
        requested_by=caller.name,
    )
    ack = await usecases.send_command(
        gateway.new_uow(), gateway.ports, request, expiry_grace_s=gateway.expiry_grace_s
    )
    fields = ack.model_dump(exclude={"status", "reason", "action"})
    return CommandResultRead(**fields, action=body.action)
