"""Every Kafka topic. One per producing service; the key is always the aggregate id."""

from __future__ import annotations

FLEET = "fleet.events.v1"
BOOKING = "booking.events.v1"
PAYMENT = "payment.events.v1"
IOT = "iot.events.v1"
NOTIFICATION = "notification.events.v1"

ALL = (FLEET, BOOKING, PAYMENT, IOT, NOTIFICATION)
DLQ_SUFFIX = ".dlq"


def dlq(topic: str) -> str:
    """The dead-letter topic for a topic."""
    return topic + DLQ_SUFFIX
