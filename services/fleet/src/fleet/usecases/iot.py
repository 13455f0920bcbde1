"""What the iot-gateway tells us: a vehicle went offline, came back, or reported telemetry."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from contracts.events.fleet import VehicleStatusChanged
from contracts.types import VehicleId

from fleet import cells
from fleet.domain import Vehicle, VehicleReport, great_circle_m
from fleet.ports import AbstractUnitOfWork

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TelemetryPolicy:
    min_battery_pct: int = 15
    precision: int = 6
    move_threshold_m: float = 10.0
    last_seen_every_s: float = 60.0


async def mark_vehicle_offline(
    uow: AbstractUnitOfWork, *, vehicle_id: VehicleId, detected_at: datetime
) -> None:
    """Hide it from search. A live reservation or trip keeps its status (see README)."""
    async with uow:
        vehicle = await uow.vehicles.get_for_update(vehicle_id)
        if vehicle is None:
            logger.info("offline event for unknown vehicle %s ignored", vehicle_id)
            return
        if not vehicle.online:
            return
        offline = await uow.vehicles.save(vehicle.went_offline())
        _status_changed(uow, vehicle, offline, "heartbeat_lost", detected_at)
        await uow.commit()


async def mark_vehicle_online(
    uow: AbstractUnitOfWork,
    *,
    vehicle_id: VehicleId,
    seen_at: datetime,
    report: VehicleReport | None,
) -> None:
    """Back in search if it was only offline (maintenance stays until ops clear it)."""
    async with uow:
        vehicle = await uow.vehicles.get_for_update(vehicle_id)
        if vehicle is None:
            logger.info("online event for unknown vehicle %s ignored", vehicle_id)
            return
        back = vehicle.came_online(report)
        if back == vehicle:
            return
        moved = back.position != vehicle.position
        back = await uow.vehicles.save(back, moved=moved)
        _status_changed(uow, vehicle, back, "heartbeat_resumed", seen_at)
        if moved:
            uow.invalidate(vehicle, back)
        await uow.commit()


async def record_telemetry(
    uow: AbstractUnitOfWork,
    *,
    vehicle_id: VehicleId,
    report: VehicleReport,
    policy: TelemetryPolicy,
) -> bool:
    """Position, battery, odometer, last seen. Writes only when something worth it changed."""
    async with uow:
        seen = await uow.vehicles.get(vehicle_id)
        if seen is None or not _worth_writing(seen, report, policy):
            return False
        vehicle = await uow.vehicles.get_for_update(vehicle_id)  # now lock, and decide again
        if vehicle is None or not _worth_writing(vehicle, report, policy):
            return False
        moved = great_circle_m(vehicle.position, report.position) > 0
        updated = await uow.vehicles.save(vehicle.reported(report), moved=moved)
        if _search_sees_a_difference(vehicle, updated, policy):
            uow.invalidate(vehicle, updated)
        await uow.commit()
    return True


def _worth_writing(vehicle: Vehicle, report: VehicleReport, policy: TelemetryPolicy) -> bool:
    return vehicle.telemetry_worth_writing(
        report,
        move_threshold_m=policy.move_threshold_m,
        last_seen_every_s=policy.last_seen_every_s,
    )


def _search_sees_a_difference(before: Vehicle, after: Vehicle, policy: TelemetryPolicy) -> bool:
    """In or out of search (battery threshold, operating area), or a searchable vehicle in
    another cell. A vehicle on a trip crossing cells changes nothing riders see."""
    was, now = before.searchable(policy.min_battery_pct), after.searchable(policy.min_battery_pct)
    if was != now:
        return True
    p = policy.precision
    old_cell = cells.cell_of(before.position.lat, before.position.lon, p)
    return now and old_cell != cells.cell_of(after.position.lat, after.position.lon, p)


def _status_changed(
    uow: AbstractUnitOfWork, before: Vehicle, after: Vehicle, reason: str, at: datetime
) -> None:
    if before.status is after.status:
        return
    uow.outbox.add(
        VehicleStatusChanged(
            vehicle_id=after.id,
            status=after.status.value,
            previous_status=before.status.value,
            reason=reason,
            changed_at=at,
        )
    )
    uow.invalidate(before, after)
