"""Composition root: the only place that wires notification together."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
from contracts.clock import Clock, SystemClock
from contracts.types import RiderId
from fastapi import FastAPI
from mobility_platform.app import create_service_app
from mobility_platform.inbox import InboxConsumer
from mobility_platform.runtime import Runtime
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from notification import api, consumers, db
from notification.channels import Sender, SmtpEmailSender
from notification.delivery import DeliveryWorker
from notification.domain import Channel
from notification.fcm import FcmClient
from notification.push import PushSender
from notification.settings import Settings
from notification.sms import TwilioSmsSender
from notification.stream import PushHub
from notification.templates import TemplateRenderer
from notification.uow import NotificationUnitOfWork
from notification.usecases import NotifyOptions


@dataclass(frozen=True)
class UowFactory:
    """A fresh unit of work per use case (a UoW holds one session: never share one)."""

    sessionmaker: async_sessionmaker[AsyncSession]
    settings: Settings
    clock: Clock

    def __call__(self) -> NotificationUnitOfWork:
        return NotificationUnitOfWork(
            self.sessionmaker,
            outbox_table=db.outbox,
            source=self.settings.service_name,
            clock=self.clock,
            topic_prefix=self.settings.kafka.topic_prefix,
        )


@dataclass(frozen=True)
class NotificationRuntime:
    """What the routes (and tests) reach through `app.state.notification`."""

    new_uow: UowFactory
    hub: PushHub
    consumer: InboxConsumer
    worker: DeliveryWorker


class _DeviceTokens:
    """The push channel's view of the device table (its own short transactions)."""

    def __init__(self, new_uow: UowFactory) -> None:
        self._new_uow = new_uow

    async def tokens(self, rider_id: RiderId) -> list[str]:
        async with self._new_uow() as uow:
            return await uow.devices.tokens(rider_id)

    async def forget(self, token: str) -> None:
        async with self._new_uow() as uow:
            await uow.devices.remove_token(token)
            await uow.commit()


def _senders(
    settings: Settings, hub: PushHub, devices: _DeviceTokens, http: httpx.AsyncClient
) -> dict[Channel, Sender]:
    fcm = FcmClient(settings.fcm, http) if settings.fcm.configured else None
    senders: dict[Channel, Sender] = {
        Channel.EMAIL: SmtpEmailSender(settings.smtp),
        Channel.PUSH: PushSender(hub, devices, fcm),
    }
    if settings.sms.configured:
        senders[Channel.SMS] = TwilioSmsSender(settings.sms, http)
    return senders


def _consumer(settings: Settings, runtime: Runtime, new_uow: UowFactory) -> InboxConsumer:
    s = settings
    sms = {Channel.SMS} if s.sms.configured else set()
    options = NotifyOptions(
        configured=frozenset({Channel.EMAIL, Channel.PUSH} | sms),
        message_id_domain=s.smtp.message_id_domain,
    )
    deps = consumers.ConsumerDeps(uow=new_uow(), renderer=TemplateRenderer(), options=options)
    return InboxConsumer(
        consumer=s.consumer.group,
        topics=s.consumer.topics,
        handlers=consumers.handlers(deps),
        sessionmaker=runtime.sessionmaker,
        inbox_table=db.inbox,
        kafka=s.kafka,
        max_attempts=s.consumer.max_attempts,
        backoff_initial_s=s.consumer.backoff_initial_s,
        backoff_max_s=s.consumer.backoff_max_s,
    )


def _stream_redis(settings: Settings) -> Redis:
    """Connections for open SSE streams: a pool of their own, health-checked while idle."""
    return Redis.from_url(
        str(settings.redis_url),
        max_connections=settings.push_stream.max_connections,
        socket_connect_timeout=2,
        socket_timeout=10,
        health_check_interval=30,
    )


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    """Build the app; `uvicorn notification.app:create_app --factory` runs it."""
    settings = settings or Settings()
    clock = clock or SystemClock()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        s = settings
        stream_redis = _stream_redis(s)
        async with Runtime(s, outbox_table=db.outbox) as runtime, httpx.AsyncClient() as http:
            runtime.install(app)
            new_uow = UowFactory(runtime.sessionmaker, s, clock)
            assert runtime.redis is not None  # redis_url is required in Settings
            hub = PushHub(
                publisher=runtime.redis,
                subscriber=stream_redis,
                channel_prefix=s.push_stream.channel_prefix,
            )
            consumer = _consumer(s, runtime, new_uow)
            senders = _senders(s, hub, _DeviceTokens(new_uow), http)
            worker = DeliveryWorker(uow_factory=new_uow, senders=senders, settings=s.delivery)
            app.state.notification = NotificationRuntime(new_uow, hub, consumer, worker)
            runtime.spawn("inbox-consumer", consumer.run)
            runtime.spawn("delivery-worker", worker.run)
            try:
                yield
            finally:
                await stream_redis.aclose()

    app = create_service_app(
        settings,
        title="MobilityCorp Notification",
        description=(
            "Push, e-mail and SMS from the event stream, with preferences and a delivery log."
        ),
        lifespan=lifespan,
        error_status=api.ERROR_STATUS,
    )
    app.include_router(api.router)
    return app
