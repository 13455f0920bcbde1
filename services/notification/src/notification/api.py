"""Notification HTTP API (rider-facing, all under /me): contracts models in and out."""

from __future__ import annotations

from collections.abc import AsyncIterable
from typing import Annotated
from uuid import UUID

from contracts.api.notification import (
    DeviceCreate,
    DevicePage,
    DeviceRead,
    NotificationPage,
    NotificationSettingsRead,
    NotificationSettingsUpdate,
)
from contracts.errors import DomainError
from contracts.types import RiderId
from fastapi import APIRouter, Query, Response
from fastapi.sse import EventSourceResponse, ServerSentEvent
from mobility_platform.auth import RiderDep

from notification import domain, usecases
from notification.deps import LiveHubDep, UowDep

router = APIRouter(prefix="/me", tags=["notifications"])

ERROR_STATUS: dict[type[DomainError], int] = {
    domain.DeviceNotFoundError: 404,
}


@router.get("/notification-settings")
async def get_notification_settings(rider: RiderDep, uow: UowDep) -> NotificationSettingsRead:
    """Your contact data and preferences; the first call seeds them from your token."""
    return await usecases.get_settings(uow, rider_id=rider.id, contact=rider.contact)


@router.put("/notification-settings")
async def put_notification_settings(
    body: NotificationSettingsUpdate, rider: RiderDep, uow: UowDep
) -> NotificationSettingsRead:
    """Replace your contact data and preferences (opt out per channel and per kind)."""
    return await usecases.update_settings(uow, recipient=to_recipient(rider.id, body))


@router.post("/devices", status_code=201)
async def register_device(body: DeviceCreate, rider: RiderDep, uow: UowDep) -> DeviceRead:
    """Register this app install's push token (idempotent per token)."""
    return await usecases.register_device(
        uow, rider_id=rider.id, contact=rider.contact, token=body.token, platform=body.platform
    )


@router.get("/devices")
async def list_devices(rider: RiderDep, uow: UowDep) -> DevicePage:
    """Your registered devices."""
    return DevicePage(items=await usecases.list_devices(uow, rider_id=rider.id))


@router.delete("/devices/{device_id}", status_code=204)
async def remove_device(device_id: UUID, rider: RiderDep, uow: UowDep) -> Response:
    """Stop push to one of your devices."""
    await usecases.remove_device(uow, rider_id=rider.id, device_id=device_id)
    return Response(status_code=204)


@router.get("/notifications")
async def list_notifications(
    rider: RiderDep,
    uow: UowDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> NotificationPage:
    """Your notifications, one entry per channel, newest first."""
    return await usecases.list_notifications(uow, rider_id=rider.id, limit=limit, offset=offset)


@router.get("/notifications/stream", response_class=EventSourceResponse)
async def stream_notifications(rider: RiderDep, hub: LiveHubDep) -> AsyncIterable[ServerSentEvent]:
    """Live push notifications as server-sent events (`event: notification`, data PushMessage)."""
    async with hub.subscribe(rider.id) as messages:
        yield ServerSentEvent(comment="subscribed", retry=3000)
        async for message in messages:
            yield ServerSentEvent(data=message, event="notification", id=str(message.delivery_id))


def to_recipient(rider_id: RiderId, body: NotificationSettingsUpdate) -> domain.Recipient:
    channels = body.channels.model_dump()
    return domain.Recipient(
        rider_id=rider_id,
        email=body.email,
        name=body.name,
        phone=body.phone,
        locale=body.locale,
        disabled_channels=frozenset(domain.Channel(c) for c, on in channels.items() if not on),
        muted_kinds=frozenset(domain.NotificationKind(k.value) for k in body.muted_kinds),
    )
