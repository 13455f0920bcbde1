"""CloudEvents 1.0 (JSON) envelope and the event base class.

Every event payload subclasses `Event`; subclasses register themselves by class name, which is
the CloudEvent `type`, so consumers can decode any envelope with `decode_event`.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, ClassVar, Generic, Literal, TypeVar
from uuid import UUID, uuid4

from pydantic import ValidationError

from contracts.base import ContractModel, UtcDatetime

_REGISTRY: dict[str, type[Event]] = {}


class Event(ContractModel):
    """Base of every event payload; `topic` and `key_field` say where it goes and its key."""

    topic: ClassVar[str]
    key_field: ClassVar[str]
    abstract: ClassVar[bool] = False
    """Set on a per-service base class: it is not itself an event type."""

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if cls.__dict__.get("abstract", False):
            return
        if cls.__name__ in _REGISTRY and _REGISTRY[cls.__name__] is not cls:
            raise TypeError(f"event type {cls.__name__} defined twice")
        _REGISTRY[cls.__name__] = cls

    @classmethod
    def type_name(cls) -> str:
        return cls.__name__

    def key(self) -> str:
        """The aggregate id: Kafka message key and CloudEvent subject."""
        return str(getattr(self, self.key_field))


E = TypeVar("E", bound=Event)


class CloudEvent(ContractModel, Generic[E]):
    specversion: Literal["1.0"] = "1.0"
    id: UUID
    source: str
    type: str
    subject: str
    time: UtcDatetime
    datacontenttype: Literal["application/json"] = "application/json"
    data: E
    traceparent: str | None = None

    @classmethod
    def wrap(
        cls,
        event: E,
        *,
        source: str,
        time: datetime,
        id: UUID | None = None,
        traceparent: str | None = None,
    ) -> CloudEvent[E]:
        concrete: type[CloudEvent[E]] = CloudEvent[type(event)]  # type: ignore[misc,assignment]
        return concrete(
            id=id or uuid4(),
            source=source,
            type=event.type_name(),
            subject=event.key(),
            time=time,
            data=event,
            traceparent=traceparent,
        )


class UndecodableEventError(ValueError):
    """The bytes are not a valid CloudEvent of a known shape (a poison message)."""


class UnknownEventTypeError(UndecodableEventError):
    """A well-formed envelope whose type this code does not know (newer producer)."""


class _RawEnvelope(ContractModel):
    specversion: Literal["1.0"]
    id: UUID
    source: str
    type: str
    subject: str
    time: UtcDatetime
    datacontenttype: Literal["application/json"] = "application/json"
    data: dict[str, Any]
    traceparent: str | None = None


def event_types() -> dict[str, type[Event]]:
    """Every registered event type by name (imports all event modules first)."""
    import contracts.events  # noqa: F401  (registers every event class)

    return dict(_REGISTRY)


def decode_event(raw: bytes | str) -> CloudEvent[Event]:
    """Parse and validate an envelope and its payload. Raises UndecodableEventError."""
    try:
        envelope = _RawEnvelope.model_validate(json.loads(raw))
    except (ValueError, ValidationError) as exc:
        raise UndecodableEventError(f"not a CloudEvent: {exc}") from exc
    event_cls = event_types().get(envelope.type)
    if event_cls is None:
        raise UnknownEventTypeError(f"unknown event type {envelope.type!r}")
    try:
        data = event_cls.model_validate(envelope.data)
    except ValidationError as exc:
        raise UndecodableEventError(f"invalid {envelope.type} payload: {exc}") from exc
    fields = envelope.model_dump(exclude={"data"})
    return CloudEvent[event_cls](data=data, **fields)  # type: ignore[valid-type]
