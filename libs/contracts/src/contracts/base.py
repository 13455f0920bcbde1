"""Base classes every wire model builds on."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]
"""A timezone-aware datetime, normalised to UTC. Naive datetimes are rejected."""


class ContractModel(BaseModel):
    """Immutable wire model. Unknown fields are ignored so producers can add fields."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)


class RequestModel(ContractModel):
    """A REST request body: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Problem(BaseModel):
    """RFC 9457 problem details, plus our stable machine-readable `code`."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int = Field(ge=400, le=599)
    detail: str | None = None
    instance: str | None = None
    code: str
    trace_id: str | None = None
    errors: list[dict[str, Any]] | None = None
