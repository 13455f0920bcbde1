"""Composition root: the only place that wires iot-gateway together."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from contracts.clock import Clock, SystemClock
from contracts.mqtt import CommandAck
from fastapi import FastAPI
from mobility_platform.app import create_service_app
from mobility_platform.runtime import Runtime
from mobility_platform.signing import CommandSigner

from iot_gateway import api, background, db, usecases
from iot_gateway.deps import Gateway
from iot_gateway.inbound import InboundRouter, TelemetryBuffer
from iot_gateway.mqtt import MqttBridge, Subscription
from iot_gateway.pending import PendingAcks
from iot_gateway.settings import Settings
from iot_gateway.uow import IotUnitOfWork

INITIAL_CONNECT_WAIT_S = 3.0
"""Startup waits this long for the broker, then serves anyway (commands answer 503)."""


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    """Build the app; `uvicorn iot_gateway.app:create_app --factory` runs it."""
    settings = settings or Settings()
    clock = clock or SystemClock()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with Runtime(settings, outbox_table=db.outbox) as runtime:
            wiring = _wire(settings, runtime, clock)
            await wiring.bridge.start()
            app.state.gateway = wiring.gateway
            _spawn_loops(runtime, settings, wiring)
            runtime.install(app)
            app.state.readiness_checks["mqtt"] = wiring.bridge.check
            await wiring.bridge.wait_connected(INITIAL_CONNECT_WAIT_S)
            try:
                yield
            finally:
                await wiring.bridge.stop()
                await wiring.inbound.tasks.drain()
                await background.flush_heartbeats(
                    wiring.buffer,
                    wiring.gateway.new_uow,
                    event_interval_s=settings.telemetry_event_interval_s,
                )

    app = create_service_app(
        settings,
        title="MobilityCorp IoT gateway",
        description="MQTT bridge: signed vehicle commands and acks, telemetry, offline detection.",
        lifespan=lifespan,
        error_status=api.ERROR_STATUS,
    )
    app.include_router(api.router)
    return app


@dataclass(frozen=True)
class _Wiring:
    gateway: Gateway
    bridge: MqttBridge
    inbound: InboundRouter
    buffer: TelemetryBuffer


def _wire(settings: Settings, runtime: Runtime, clock: Clock) -> _Wiring:
    def new_uow() -> IotUnitOfWork:
        return IotUnitOfWork(
            runtime.sessionmaker,
            outbox_table=db.outbox,
            source=settings.service_name,
            clock=clock,
            topic_prefix=settings.kafka.topic_prefix,
        )

    async def record_ack(ack: CommandAck) -> None:
        await usecases.record_ack(new_uow(), ack)

    pending, buffer = PendingAcks(), TelemetryBuffer()
    inbound = InboundRouter(pending=pending, buffer=buffer, clock=clock, record_ack=record_ack)
    bridge = MqttBridge(
        settings.mqtt,
        subscriptions=[
            Subscription("vehicles/+/acks", inbound.on_ack, kind="ack"),
            Subscription(
                "vehicles/+/telemetry", inbound.on_telemetry, kind="telemetry", shared=True
            ),
        ],
    )
    signer = CommandSigner(
        settings.command_signing_key.get_secret_value(), key_id=settings.command_signing_key_id
    )
    gateway = Gateway(
        new_uow=new_uow,
        ports=usecases.CommandPorts(publisher=bridge, pending=pending, signer=signer),
        default_timeout_ms=settings.command_timeout_ms,
        expiry_grace_s=settings.command_expiry_grace_s,
    )
    return _Wiring(gateway=gateway, bridge=bridge, inbound=inbound, buffer=buffer)


def _spawn_loops(runtime: Runtime, settings: Settings, wiring: _Wiring) -> None:
    s, new_uow = settings, wiring.gateway.new_uow

    async def flush() -> None:
        await background.flush_heartbeats_forever(
            wiring.buffer,
            new_uow,
            interval_s=s.telemetry_flush_interval_s,
            event_interval_s=s.telemetry_event_interval_s,
        )

    async def detect() -> None:
        await background.detect_offline_forever(
            new_uow,
            interval_s=s.offline_check_interval_s,
            offline_after_s=s.offline_after_s,
            batch=s.offline_batch_size,
        )

    runtime.spawn("telemetry-flush", flush)
    runtime.spawn("offline-detector", detect)
