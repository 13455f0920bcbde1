"""FastAPI dependencies: they only provide what app.py built."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from iot_gateway.ports import AbstractUnitOfWork
from iot_gateway.usecases import CommandPorts


@dataclass(frozen=True)
class Gateway:
    """What the command API needs, built once in the lifespan."""

    new_uow: Callable[[], AbstractUnitOfWork]
    ports: CommandPorts
    default_timeout_ms: int
    expiry_grace_s: float

    def timeout_s(self, requested_ms: int | None) -> float:
        return (requested_ms or self.default_timeout_ms) / 1000


async def get_gateway(request: Request) -> Gateway:
    gateway: Gateway = request.app.state.gateway
    return gateway


GatewayDep = Annotated[Gateway, Depends(get_gateway)]
