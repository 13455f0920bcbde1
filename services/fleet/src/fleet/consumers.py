"""Inbound iot events (through the platform's inbox consumer) -> use cases."""

from __future__ import annotations

from typing import Any

from contracts.envelope import CloudEvent
from contracts.events.iot import VehicleOffline, VehicleOnline, VehicleTelemetry
from mobility_platform.inbox import Handler
from sqlalchemy.ext.asyncio import AsyncSession

from fleet import usecases
from fleet.domain import VehicleReport
from fleet.uow import FleetUnitOfWork


def iot_handlers(uow: FleetUnitOfWork, policy: usecases.TelemetryPolicy) -> dict[str, Handler]:
    """Handlers by event type; each runs in the consumer's transaction (with the inbox row)."""

    async def offline(session: AsyncSession, event: CloudEvent[Any]) -> None:
        data: VehicleOffline = event.data
        await usecases.mark_vehicle_offline(
            uow.joined(session), vehicle_id=data.vehicle_id, detected_at=data.detected_at
        )

    async def online(session: AsyncSession, event: CloudEvent[Any]) -> None:
        data: VehicleOnline = event.data
        report = None
        if data.position is not None and data.battery_pct is not None:
            report = VehicleReport(data.position, data.battery_pct, None, data.seen_at)
        await usecases.mark_vehicle_online(
            uow.joined(session), vehicle_id=data.vehicle_id, seen_at=data.seen_at, report=report
        )

    async def telemetry(session: AsyncSession, event: CloudEvent[Any]) -> None:
        data: VehicleTelemetry = event.data
        report = VehicleReport(data.position, data.battery_pct, data.odometer_m, data.recorded_at)
        await usecases.record_telemetry(
            uow.joined(session), vehicle_id=data.vehicle_id, report=report, policy=policy
        )

    return {"VehicleOffline": offline, "VehicleOnline": online, "VehicleTelemetry": telemetry}
