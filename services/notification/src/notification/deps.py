"""FastAPI dependencies: they only provide (a unit of work per request, the push hub)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from notification.stream import PushHub
from notification.uow import AbstractUnitOfWork, NotificationUnitOfWork


async def get_uow(request: Request) -> AbstractUnitOfWork:
    uow: NotificationUnitOfWork = request.app.state.notification.new_uow()
    return uow


async def get_live_hub(request: Request) -> PushHub:
    """The push hub, checked first: a stream that cannot subscribe answers 503, not 200."""
    hub: PushHub = request.app.state.notification.hub
    await hub.check()
    return hub


UowDep = Annotated[AbstractUnitOfWork, Depends(get_uow)]
LiveHubDep = Annotated[PushHub, Depends(get_live_hub)]
