"""Rows <-> domain objects, and the read queries behind the rider API. Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from contracts.api.notification import (
    ChannelPreferences,
    DeviceRead,
    NotificationPage,
    NotificationRead,
    NotificationSettingsRead,
)
from contracts.types import BookingId, NotificationId, RiderContact, RiderId
from sqlalchemy import Row, and_, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from notification import db, domain
from notification.domain import Channel, DeliveryStatus, NotificationKind, Recipient

_rc = db.recipient.c
_dc = db.delivery.c
_vc = db.device.c
_KINDS = frozenset(k.value for k in NotificationKind)


class RecipientRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def get(self, rider_id: RiderId) -> Recipient | None:
        row = (await self._s.execute(select(db.recipient).where(_rc.rider_id == rider_id))).first()
        return None if row is None else _recipient(row)

    async def merge_contact(self, rider_id: RiderId, contact: RiderContact, now: datetime) -> None:
        """Latest known contact data, unless the rider saved their own settings here."""
        values = {
            "rider_id": rider_id,
            "email": contact.email,
            "name": contact.name,
            "phone": contact.phone,
            "locale": contact.locale,
            "created_at": now,
            "updated_at": now,
        }
        stmt = insert(db.recipient).values(values)
        ex = stmt.excluded
        await self._s.execute(
            stmt.on_conflict_do_update(
                index_elements=[_rc.rider_id],
                set_={
                    "email": func.coalesce(ex.email, _rc.email),
                    "name": func.coalesce(ex.name, _rc.name),
                    "phone": func.coalesce(ex.phone, _rc.phone),
                    "locale": ex.locale,
                    "updated_at": ex.updated_at,
                },
                where=_rc.rider_managed.is_(False),
            )
        )

    async def save(self, recipient: Recipient, now: datetime) -> None:
        """The rider's own settings: they win over token claims and event contact from now on."""
        values: dict[str, Any] = {
            "email": recipient.email,
            "name": recipient.name,
            "phone": recipient.phone,
            "locale": recipient.locale,
            "disabled_channels": sorted(c.value for c in recipient.disabled_channels),
            "muted_kinds": sorted(k.value for k in recipient.muted_kinds),
            "rider_managed": True,
            "updated_at": now,
        }
        stmt = insert(db.recipient).values(rider_id=recipient.rider_id, created_at=now, **values)
        await self._s.execute(
            stmt.on_conflict_do_update(index_elements=[_rc.rider_id], set_=values)
        )

    async def read(self, rider_id: RiderId) -> NotificationSettingsRead | None:
        row = (await self._s.execute(select(db.recipient).where(_rc.rider_id == rider_id))).first()
        if row is None:
            return None
        disabled = set(row.disabled_channels)
        return NotificationSettingsRead(
            rider_id=row.rider_id,
            email=row.email,
            name=row.name,
            phone=row.phone,
            locale=row.locale,
            channels=ChannelPreferences(**{c.value: c.value not in disabled for c in Channel}),
            muted_kinds=sorted(k for k in row.muted_kinds if k in _KINDS),
            updated_at=row.updated_at,
        )


def _recipient(row: Row[Any]) -> Recipient:
    return Recipient(
        rider_id=row.rider_id,
        email=row.email,
        name=row.name,
        phone=row.phone,
        locale=row.locale,
        disabled_channels=frozenset(Channel(c) for c in row.disabled_channels),
        muted_kinds=frozenset(NotificationKind(k) for k in row.muted_kinds if k in _KINDS),
    )


class DeviceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(
        self, *, device_id: UUID, rider_id: RiderId, token: str, platform: str, now: datetime
    ) -> DeviceRead:
        """Idempotent per token; a token that moves to another rider (new login) moves along."""
        insert_ = insert(db.device).values(
            id=device_id,
            rider_id=rider_id,
            token=token,
            platform=platform,
            created_at=now,
            updated_at=now,
        )
        stmt = insert_.on_conflict_do_update(
            index_elements=[_vc.token],
            set_={"rider_id": rider_id, "platform": platform, "updated_at": now},
        ).returning(_vc.id, _vc.platform, _vc.created_at)
        return _device((await self._s.execute(stmt)).one())

    async def list_for_rider(self, rider_id: RiderId) -> list[DeviceRead]:
        rows = await self._s.execute(
            select(_vc.id, _vc.platform, _vc.created_at)
            .where(_vc.rider_id == rider_id)
            .order_by(_vc.created_at)
        )
        return [_device(row) for row in rows]

    async def tokens(self, rider_id: RiderId) -> list[str]:
        rows = await self._s.execute(select(_vc.token).where(_vc.rider_id == rider_id))
        return list(rows.scalars())

    async def remove(self, rider_id: RiderId, device_id: UUID) -> bool:
        result = await self._s.execute(
            delete(db.device)
            .where(and_(_vc.id == device_id, _vc.rider_id == rider_id))
            .returning(_vc.id)
        )
        return result.first() is not None

    async def remove_token(self, token: str) -> None:
        await self._s.execute(delete(db.device).where(_vc.token == token))


def _device(row: Any) -> DeviceRead:
    return DeviceRead(device_id=row.id, platform=row.platform, created_at=row.created_at)


class DeliveryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add_many(self, deliveries: Sequence[domain.Delivery]) -> None:
        if not deliveries:
            return
        rows = [
            {
                "id": d.id,
                "notification_id": d.notification_id,
                "rider_id": d.rider_id,
                "kind": d.kind.value,
                "channel": d.channel.value,
                "status": d.status.value,
                "reason": d.reason,
                "address": d.address,
                "content": dict(d.content),
                "message_id": d.message_id,
                "source_event_id": d.source_event_id,
                "booking_id": d.booking_id,
                "next_attempt_at": d.next_attempt_at,
                "created_at": d.created_at,
                "updated_at": d.created_at,
            }
            for d in deliveries
        ]
        await self._s.execute(insert(db.delivery).on_conflict_do_nothing(), rows)

    async def claim_due(
        self, *, now: datetime, lease_until: datetime, limit: int
    ) -> list[domain.OutgoingMessage]:
        """Lease due rows to this worker: other replicas skip them until `lease_until`."""
        due = (
            select(_dc.id)
            .where(and_(_dc.status == DeliveryStatus.PENDING.value, _dc.next_attempt_at <= now))
            .order_by(_dc.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        rows = await self._s.execute(
            update(db.delivery)
            .where(_dc.id.in_(due))
            .values(attempts=_dc.attempts + 1, next_attempt_at=lease_until, updated_at=now)
            .returning(db.delivery)
        )
        return [_outgoing(row) for row in rows]

    async def finish(
        self, delivery_id: UUID, transition: domain.Transition, *, attempts: int, now: datetime
    ) -> bool:
        """Apply the attempt's outcome; False if another attempt took the row over meanwhile."""
        values: dict[str, Any] = {
            "status": transition.status.value,
            "next_attempt_at": transition.next_attempt_at,
            "last_error": transition.last_error,
            "updated_at": now,
        }
        if transition.final:
            values |= {"provider_id": transition.provider_id, "reason": transition.reason}
        if transition.status is DeliveryStatus.SENT:
            values["sent_at"] = now
        owner = _dc.attempts == attempts
        if transition.status is DeliveryStatus.SENT:
            owner = _dc.attempts >= attempts  # a success counts even after the lease ran out
        result = await self._s.execute(
            update(db.delivery)
            .where(and_(_dc.id == delivery_id, _dc.status == DeliveryStatus.PENDING.value, owner))
            .values(values)
            .returning(_dc.id)
        )
        return result.first() is not None

    async def rider_for_booking(self, booking_id: BookingId) -> RiderId | None:
        rows = await self._s.execute(
            select(_dc.rider_id).where(_dc.booking_id == booking_id).limit(1)
        )
        rider = rows.scalar_one_or_none()
        return None if rider is None else RiderId(rider)

    async def page_for_rider(
        self, rider_id: RiderId, *, limit: int, offset: int
    ) -> NotificationPage:
        total = await self._s.scalar(
            select(func.count()).select_from(db.delivery).where(_dc.rider_id == rider_id)
        )
        rows = await self._s.execute(
            select(db.delivery)
            .where(_dc.rider_id == rider_id)
            .order_by(_dc.created_at.desc(), _dc.channel)
            .limit(limit)
            .offset(offset)
        )
        items = [_read(row) for row in rows]
        return NotificationPage(items=items, total=total or 0, limit=limit, offset=offset)


def _outgoing(row: Row[Any]) -> domain.OutgoingMessage:
    return domain.OutgoingMessage(
        delivery_id=row.id,
        notification_id=NotificationId(row.notification_id),
        rider_id=RiderId(row.rider_id),
        kind=NotificationKind(row.kind),
        channel=Channel(row.channel),
        address=row.address,
        content=row.content,
        message_id=row.message_id,
        booking_id=row.booking_id,
        source_event_id=row.source_event_id,
        attempts=row.attempts,
        created_at=row.created_at,
    )


def _read(row: Row[Any]) -> NotificationRead:
    content = row.content or {}
    return NotificationRead(
        delivery_id=row.id,
        notification_id=row.notification_id,
        kind=row.kind,
        channel=row.channel,
        status=row.status,
        reason=row.reason,
        title=content.get("subject") or content.get("title"),
        booking_id=row.booking_id,
        attempts=row.attempts,
        created_at=row.created_at,
        sent_at=row.sent_at,
    )
