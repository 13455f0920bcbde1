"""Rows <-> domain objects for commands, acks and vehicle state. Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from contracts.mqtt import CommandAck
from contracts.types import BookingId, CommandAction, CommandId, VehicleId
from sqlalchemy import case, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from iot_gateway.db import VehicleAckRow, VehicleCommandRow, VehicleStateRow
from iot_gateway.domain import Command, Outcome, Sighting, StaleVehicle
from iot_gateway.ports import CommandInfo, Heartbeat


class CommandRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, command: Command, *, requested_by: str | None) -> None:
        await self._session.execute(
            insert(VehicleCommandRow).values(
                command_id=command.command_id,
                vehicle_id=command.vehicle_id,
                action=command.action.value,
                booking_id=command.booking_id,
                nonce=command.nonce,
                requested_by=requested_by,
                issued_at=command.issued_at,
                expires_at=command.expires_at,
                outcome=Outcome.PENDING.value,
            )
        )

    async def complete(self, command_id: CommandId, *, outcome: Outcome, at: datetime) -> None:
        await self._session.execute(
            update(VehicleCommandRow)
            .where(VehicleCommandRow.command_id == command_id)
            .values(outcome=outcome.value, completed_at=at)
        )

    async def note_ack(
        self, ack: CommandAck, *, outcome: Outcome | None = None, at: datetime | None = None
    ) -> CommandInfo | None:
        """Keep the first ack on the command (only the addressed vehicle may ack it); with
        `outcome`, also record what the API answered, in the same statement."""
        row = VehicleCommandRow
        first = row.ack_status.is_(None)
        values: dict[str, Any] = {
            "ack_status": _first(first, ack.status, row.ack_status),
            "ack_reason": _first(first, ack.reason, row.ack_reason),
            "acked_at": _first(first, ack.acked_at, row.acked_at),
        }
        if outcome is not None:
            values |= {"outcome": outcome.value, "completed_at": at}
        result = await self._session.execute(
            update(row)
            .where(row.command_id == ack.command_id, row.vehicle_id == ack.vehicle_id)
            .values(**values)
            .returning(row.command_id, row.vehicle_id, row.action, row.booking_id)
        )
        found = result.one_or_none()
        if found is None:
            return None
        return CommandInfo(
            command_id=CommandId(found.command_id),
            vehicle_id=VehicleId(found.vehicle_id),
            action=CommandAction(found.action),
            booking_id=None if found.booking_id is None else BookingId(found.booking_id),
        )

    async def get(self, command_id: CommandId) -> VehicleCommandRow | None:
        return await self._session.get(VehicleCommandRow, command_id)


def _first(is_first: Any, new: Any, old: Any) -> Any:
    """`new` if this is the first ack, else keep `old` (SQL CASE)."""
    return case((is_first, new), else_=old)


class AckRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, ack: CommandAck, *, received_at: datetime) -> bool:
        """Record an ack; False when this very ack was already recorded (duplicate delivery)."""
        result = await self._session.execute(
            insert(VehicleAckRow)
            .values(
                command_id=ack.command_id,
                status=ack.status,
                acked_at=ack.acked_at,
                vehicle_id=ack.vehicle_id,
                reason=ack.reason,
                received_at=received_at,
            )
            .on_conflict_do_nothing()
            .returning(VehicleAckRow.command_id)
        )
        return result.first() is not None


_UPSERT_HEARTBEATS = text(
    """
    INSERT INTO vehicle_state AS v (vehicle_id, online, last_seen_at, recorded_at, lat, lon,
                                    battery_pct, locked, speed_kmh, odometer_m)
    SELECT b.vehicle_id, true, b.seen_at, b.recorded_at, b.lat, b.lon, b.battery_pct, b.locked,
           b.speed_kmh, b.odometer_m
    FROM unnest(CAST(:vehicle_id AS uuid[]), CAST(:seen_at AS timestamptz[]),
                CAST(:recorded_at AS timestamptz[]), CAST(:lat AS float8[]),
                CAST(:lon AS float8[]), CAST(:battery_pct AS int2[]), CAST(:locked AS bool[]),
                CAST(:speed_kmh AS float8[]), CAST(:odometer_m AS int8[]))
         AS b(vehicle_id, seen_at, recorded_at, lat, lon, battery_pct, locked, speed_kmh,
              odometer_m)
    ORDER BY b.vehicle_id
    ON CONFLICT (vehicle_id) DO UPDATE SET
        last_seen_at = excluded.last_seen_at, recorded_at = excluded.recorded_at,
        lat = excluded.lat, lon = excluded.lon, battery_pct = excluded.battery_pct,
        locked = excluded.locked, speed_kmh = excluded.speed_kmh,
        odometer_m = excluded.odometer_m
    WHERE v.last_seen_at <= excluded.last_seen_at
    RETURNING v.vehicle_id, v.last_seen_at, v.online, v.telemetry_emitted_at,
              (v.xmax = 0) AS first_seen
    """
)


class VehicleStateRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def upsert_heartbeats(self, beats: Sequence[Heartbeat]) -> list[Sighting]:
        """Store the latest heartbeat per vehicle in one statement (older ones are ignored)."""
        if not beats:
            return []
        t = [b.telemetry for b in beats]
        result = await self._session.execute(
            _UPSERT_HEARTBEATS,
            {
                "vehicle_id": [x.vehicle_id for x in t],
                "seen_at": [b.seen_at for b in beats],
                "recorded_at": [x.recorded_at for x in t],
                "lat": [x.position.lat for x in t],
                "lon": [x.position.lon for x in t],
                "battery_pct": [x.battery_pct for x in t],
                "locked": [x.locked for x in t],
                "speed_kmh": [x.speed_kmh for x in t],
                "odometer_m": [x.odometer_m for x in t],
            },
        )
        return [
            Sighting(
                vehicle_id=VehicleId(r.vehicle_id),
                seen_at=r.last_seen_at,
                was_online=r.online,
                first_seen=r.first_seen,
                telemetry_emitted_at=r.telemetry_emitted_at,
            )
            for r in result
        ]

    async def mark_reported(
        self, *, online: Sequence[VehicleId], emitted: Sequence[VehicleId], at: datetime
    ) -> None:
        row = VehicleStateRow
        if online:
            await self._session.execute(
                update(row)
                .where(row.vehicle_id.in_(online))
                .values(online=True, offline_since=None)
            )
        if emitted:
            await self._session.execute(
                update(row).where(row.vehicle_id.in_(emitted)).values(telemetry_emitted_at=at)
            )

    async def lock_stale(self, *, cutoff: datetime, limit: int) -> list[StaleVehicle]:
        """Online vehicles silent since `cutoff`, row-locked (rows other replicas hold: skipped)."""
        row = VehicleStateRow
        result = await self._session.execute(
            select(row.vehicle_id, row.last_seen_at)
            .where(row.online, row.last_seen_at < cutoff)
            .order_by(row.last_seen_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [StaleVehicle(VehicleId(r.vehicle_id), r.last_seen_at) for r in result]

    async def mark_offline(self, ids: Sequence[VehicleId], *, at: datetime) -> None:
        row = VehicleStateRow
        await self._session.execute(
            update(row).where(row.vehicle_id.in_(ids)).values(online=False, offline_since=at)
        )
