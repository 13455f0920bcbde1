"""The broker connection: paho-mqtt 2 (MQTT v5, QoS 1) on its own thread, bridged to asyncio.

paho's thread owns the socket, reconnects with exponential backoff and re-subscribes on every
CONNACK (clean start). Every inbound message hops onto the event loop with
`call_soon_threadsafe`, so handlers run on the loop and never block paho. The bridge counts as
connected only once the broker has granted every subscription: a command is never published
while its ack could not be received.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from paho.mqtt.subscribeoptions import SubscribeOptions
from prometheus_client import Counter, Gauge

from iot_gateway.domain import BrokerUnavailableError
from iot_gateway.settings import MqttSettings

logger = logging.getLogger(__name__)

QOS = 1
MQTT_CONNECTED = Gauge("iot_mqtt_connected", "1 while the gateway's broker session is up")
MQTT_RECEIVED = Counter("iot_mqtt_messages_received_total", "Inbound MQTT messages", ["kind"])
MQTT_RECONNECTS = Counter("iot_mqtt_connects_total", "Successful broker (re)connections")

MessageHandler = Callable[[str, bytes], None]
"""Called on the event loop with (topic, payload); must not block."""


@dataclass(frozen=True)
class Subscription:
    topic_filter: str
    handler: MessageHandler
    kind: str
    shared: bool = False
    """Read through `$share/<group>/...`: the broker hands each message to ONE replica."""


class MqttBridge:
    def __init__(self, settings: MqttSettings, *, subscriptions: Sequence[Subscription]) -> None:
        self._settings = settings
        self._subscriptions = list(subscriptions)
        self._client_id = f"{settings.client_id_prefix}-{secrets.token_hex(4)}"
        self._client: paho.Client | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._connected = False
        self._subscribe_mid: int | None = None
        self._up = asyncio.Event()

    @property
    def connected(self) -> bool:
        return self._connected

    async def start(self) -> None:
        """Start connecting in the background; never fails because the broker is down."""
        self._loop = asyncio.get_running_loop()
        s = self._settings
        client = paho.Client(
            CallbackAPIVersion.VERSION2, client_id=self._client_id, protocol=paho.MQTTv5
        )
        client.username_pw_set(s.username, s.password.get_secret_value())
        client.reconnect_delay_set(s.reconnect_min_s, s.reconnect_max_s)  # type: ignore[arg-type]
        client.max_queued_messages_set(1000)
        client.on_socket_open = _no_delay
        client.on_connect = self._on_connect
        client.on_subscribe = self._on_subscribe
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.connect_async(s.host, s.port, keepalive=s.keepalive_s, clean_start=True)
        client.loop_start()
        self._client = client

    async def wait_connected(self, timeout_s: float) -> bool:
        try:
            await asyncio.wait_for(self._up.wait(), timeout_s)
        except TimeoutError:
            return False
        return True

    async def stop(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        self._connected = False  # a deliberate disconnect is not "lost"
        client.disconnect()
        await asyncio.to_thread(client.loop_stop)
        self._set_connected(False)

    def publish(self, topic: str, payload: bytes) -> None:
        """QoS 1 publish; BrokerUnavailableError at once when there is no session."""
        client = self._client
        if client is None or not self._connected:
            raise BrokerUnavailableError("The MQTT broker is unreachable; retry later.")
        info = client.publish(topic, payload, qos=QOS)
        if info.rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
            raise BrokerUnavailableError(f"The MQTT broker refused the message ({info.rc.name}).")

    async def check(self) -> None:
        """Readiness probe."""
        if not self._connected:
            raise ConnectionError("no MQTT session")

    def _filters(self) -> list[tuple[str, SubscribeOptions]]:
        group = self._settings.shared_group
        return [
            (
                f"$share/{group}/{sub.topic_filter}" if sub.shared and group else sub.topic_filter,
                SubscribeOptions(qos=QOS),
            )
            for sub in self._subscriptions
        ]

    # --- paho network thread ------------------------------------------------------------

    def _on_connect(
        self,
        client: paho.Client,
        userdata: Any,
        flags: paho.ConnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if reason_code.is_failure:
            logger.warning("MQTT broker refused the gateway's connection: %s", reason_code)
            return
        result, mid = client.subscribe(self._filters())
        if result == MQTTErrorCode.MQTT_ERR_SUCCESS:
            self._subscribe_mid = mid

    def _on_subscribe(
        self,
        client: paho.Client,
        userdata: Any,
        mid: int,
        reason_codes: list[ReasonCode],
        properties: Properties | None,
    ) -> None:
        if mid != self._subscribe_mid:
            return
        refused = [str(code) for code in reason_codes if code.is_failure]
        if refused:
            logger.error("MQTT broker refused the gateway's subscriptions: %s", refused)
            return
        MQTT_RECONNECTS.inc()
        logger.info("MQTT session up as %s", self._client_id)
        self._set_connected(True)

    def _on_disconnect(
        self,
        client: paho.Client,
        userdata: Any,
        flags: paho.DisconnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if self._connected:
            logger.warning("MQTT session lost: %s; reconnecting", reason_code)
        self._set_connected(False)

    def _on_message(self, client: paho.Client, userdata: Any, message: paho.MQTTMessage) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._dispatch, message.topic, bytes(message.payload))

    def _set_connected(self, value: bool) -> None:
        self._connected = value
        MQTT_CONNECTED.set(1 if value else 0)
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._up.set if value else self._up.clear)

    # --- event loop ---------------------------------------------------------------------

    def _dispatch(self, topic: str, payload: bytes) -> None:
        for sub in self._subscriptions:
            if paho.topic_matches_sub(sub.topic_filter, topic):
                MQTT_RECEIVED.labels(sub.kind).inc()
                try:
                    sub.handler(topic, payload)
                except Exception:
                    logger.exception("MQTT handler for %s failed", topic)
                return


def _no_delay(client: paho.Client, userdata: Any, sock: Any) -> None:
    """Disable Nagle: a command, its PUBACK and the vehicle's ack are tiny packets that would
    otherwise wait for delayed TCP ACKs (~40 ms each on Linux)."""
    if isinstance(sock, socket.socket):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
