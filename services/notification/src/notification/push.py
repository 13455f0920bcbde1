"""The push channel: the rider's live SSE streams plus FCM for each registered device."""

from __future__ import annotations

import logging
from typing import Protocol

from contracts.api.notification import NotificationKind as WireKind
from contracts.api.notification import PushMessage
from contracts.types import RiderId
from redis.exceptions import RedisError

from notification.domain import (
    Channel,
    OutgoingMessage,
    SendOutcome,
    Sent,
    Suppressed,
    SuppressionReason,
    TransientFailure,
)
from notification.fcm import FcmClient

logger = logging.getLogger(__name__)


class LiveStreams(Protocol):
    async def publish(self, rider_id: RiderId, message: PushMessage) -> int: ...


class DeviceTokens(Protocol):
    async def tokens(self, rider_id: RiderId) -> list[str]: ...
    async def forget(self, token: str) -> None: ...


class PushSender:
    """Sent when at least one stream or device took it; suppressed when there was no target."""

    channel = Channel.PUSH

    def __init__(self, hub: LiveStreams, devices: DeviceTokens, fcm: FcmClient | None) -> None:
        self._hub = hub
        self._devices = devices
        self._fcm = fcm

    async def send(self, message: OutgoingMessage) -> SendOutcome:
        push = _push_message(message)
        reached: list[str] = []
        problems: list[str] = []
        retry = False
        try:
            live = await self._hub.publish(message.rider_id, push)
            if live:
                reached.append(f"sse:{live}")
        except (RedisError, OSError) as exc:
            problems.append(f"live stream: {type(exc).__name__}: {exc}")
            retry = True
        if self._fcm is not None:
            retry |= await self._to_devices(message.rider_id, push, reached, problems)
        if reached:
            return Sent(provider_id=",".join(reached)[:1000], note="; ".join(problems) or None)
        if retry:
            return TransientFailure("; ".join(problems))
        return Suppressed(SuppressionReason.NO_PUSH_TARGET, self._no_target(problems))

    async def _to_devices(
        self, rider_id: RiderId, push: PushMessage, reached: list[str], problems: list[str]
    ) -> bool:
        """FCM to each device; True if a failure is worth retrying."""
        assert self._fcm is not None
        retry = False
        for token in await self._devices.tokens(rider_id):
            result = await self._fcm.send(token, title=push.title, body=push.body, data=push.data)
            if result.ok:
                reached.append(result.name or "fcm")
                continue
            problems.append(result.error or "FCM error")
            retry |= result.retryable
            if result.unregistered:
                logger.info("forgetting an unregistered FCM token of rider %s", rider_id)
                await self._devices.forget(token)
        return retry

    def _no_target(self, problems: list[str]) -> str:
        parts = ["no live stream"]
        parts.append("FCM not configured" if self._fcm is None else "no reachable device")
        return "; ".join(parts + problems)


def _push_message(message: OutgoingMessage) -> PushMessage:
    data = {
        "kind": message.kind.value,
        "notification_id": str(message.notification_id),
        "delivery_id": str(message.delivery_id),
    }
    if message.booking_id is not None:
        data["booking_id"] = str(message.booking_id)
    return PushMessage(
        delivery_id=message.delivery_id,
        notification_id=message.notification_id,
        kind=WireKind(message.kind.value),
        title=message.content["title"],
        body=message.content["body"],
        booking_id=message.booking_id,
        data=data,
        created_at=message.created_at,
    )
