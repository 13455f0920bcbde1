"""paho-mqtt 2 clients driven by the asyncio loop itself: no thread per vehicle.

paho's external-loop hooks register each socket with `loop.add_reader/add_writer`, so a few
thousand connections share one thread; one `MiscTicker` task runs paho's keepalive
bookkeeping for all of them. A connection reconnects on its own (exponential backoff) and
re-subscribes on every CONNACK (clean start).

The TCP connect itself is paho's blocking `socket.create_connection`: instant against a local
or LAN broker (what the simulator targets); a vehicle on a slow network would run one agent
per process anyway.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

logger = logging.getLogger(__name__)

QOS = 1
MessageHandler = Callable[[str, bytes], None]


@dataclass(frozen=True)
class BrokerAccount:
    host: str
    port: int
    username: str
    password: str
    keepalive_s: int = 30
    reconnect_min_s: float = 0.5
    reconnect_max_s: float = 10.0


class MqttConnection:
    def __init__(
        self,
        account: BrokerAccount,
        *,
        client_id: str,
        subscriptions: list[str],
        on_message: MessageHandler,
    ) -> None:
        self._account = account
        self._subscriptions = subscriptions
        self._on_message_cb = on_message
        self._loop = asyncio.get_running_loop()
        self._stopping = True
        self._retry: asyncio.TimerHandle | None = None
        self._delay = account.reconnect_min_s
        self.connected = False
        self.subscribed = False
        """Connected and the broker granted the subscriptions."""
        self.connects = 0
        self._refusals = 0
        client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=paho.MQTTv5)
        client.username_pw_set(account.username, account.password)
        client.on_socket_open = self._socket_open
        client.on_socket_close = self._socket_close
        client.on_socket_register_write = self._register_write
        client.on_socket_unregister_write = self._unregister_write
        client.on_connect = self._on_connect
        client.on_subscribe = self._on_subscribe
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        self._client = client

    # --- lifecycle ----------------------------------------------------------------------

    def start(self) -> None:
        """Connect now (and keep reconnecting until stop())."""
        self._stopping = False
        self._connect()

    def stop(self) -> None:
        """Disconnect cleanly and stay disconnected."""
        self._stopping = True
        self.connected = self.subscribed = False
        if self._retry is not None:
            self._retry.cancel()
            self._retry = None
        self._client.disconnect()

    def misc(self) -> None:
        """Keepalive bookkeeping (MiscTicker calls it about once a second)."""
        self._client.loop_misc()

    def publish(self, topic: str, payload: bytes) -> bool:
        """QoS 1 publish; False when there is no session (the message is not queued)."""
        if not self.connected:
            return False
        info = self._client.publish(topic, payload, qos=QOS)
        return info.rc == MQTTErrorCode.MQTT_ERR_SUCCESS

    def _connect(self) -> None:
        self._retry = None
        if self._stopping:
            return
        a = self._account
        try:
            self._client.connect(a.host, a.port, keepalive=a.keepalive_s, clean_start=True)
        except OSError as exc:
            logger.debug("%s: connect failed: %s", a.username, exc)
            self._schedule_reconnect()

    def _schedule_reconnect(self) -> None:
        if self._stopping or self._retry is not None:
            return
        self._retry = self._loop.call_later(self._delay, self._connect)
        self._delay = min(self._delay * 2, self._account.reconnect_max_s)

    # --- paho callbacks (all on the event loop thread) ------------------------------------

    def _socket_open(self, client: paho.Client, userdata: Any, sock: Any) -> None:
        if isinstance(sock, socket.socket):  # acks are tiny: never hold them back (Nagle)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._loop.add_reader(sock, self._read)

    def _socket_close(self, client: paho.Client, userdata: Any, sock: Any) -> None:
        self._loop.remove_reader(sock)
        self._loop.remove_writer(sock)

    def _register_write(self, client: paho.Client, userdata: Any, sock: Any) -> None:
        self._loop.add_writer(sock, self._write)

    def _unregister_write(self, client: paho.Client, userdata: Any, sock: Any) -> None:
        self._loop.remove_writer(sock)

    def _read(self) -> None:
        self._client.loop_read()

    def _write(self) -> None:
        self._client.loop_write()

    def _on_connect(
        self,
        client: paho.Client,
        userdata: Any,
        flags: paho.ConnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if reason_code.is_failure:
            self._refusals += 1  # say it once per streak: a fleet without credentials is loud
            level = logging.WARNING if self._refusals == 1 else logging.DEBUG
            logger.log(
                level, "%s: broker refused connection: %s", self._account.username, reason_code
            )
            return
        self._refusals = 0
        self._delay = self._account.reconnect_min_s
        self.connects += 1
        self.connected = True
        if self._subscriptions:
            client.subscribe([(topic, QOS) for topic in self._subscriptions])
        else:
            self.subscribed = True

    def _on_subscribe(
        self,
        client: paho.Client,
        userdata: Any,
        mid: int,
        reason_codes: list[ReasonCode],
        properties: Properties | None,
    ) -> None:
        refused = [str(code) for code in reason_codes if code.is_failure]
        if refused:
            logger.warning("%s: subscriptions refused: %s", self._account.username, refused)
            return
        self.subscribed = True

    def _on_disconnect(
        self,
        client: paho.Client,
        userdata: Any,
        flags: paho.DisconnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        self.connected = self.subscribed = False
        self._schedule_reconnect()

    def _on_message(self, client: paho.Client, userdata: Any, message: paho.MQTTMessage) -> None:
        try:
            self._on_message_cb(message.topic, bytes(message.payload))
        except Exception:
            logger.exception("%s: message handler failed", self._account.username)


class MiscTicker:
    """One task doing paho's periodic work for every connection."""

    def __init__(self, interval_s: float = 1.0) -> None:
        self._interval = interval_s
        self.connections: list[MqttConnection] = []

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            for connection in self.connections:
                connection.misc()
