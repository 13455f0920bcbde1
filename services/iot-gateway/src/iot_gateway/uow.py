"""Unit of work: one transaction over the gateway's repositories and the outbox."""

from __future__ import annotations

from mobility_platform.uow import SqlUnitOfWork
from sqlalchemy.ext.asyncio import AsyncSession

from iot_gateway.repository import AckRepository, CommandRepository, VehicleStateRepository


class IotUnitOfWork(SqlUnitOfWork):
    commands: CommandRepository
    acks: AckRepository
    vehicles: VehicleStateRepository

    def _bind(self, session: AsyncSession) -> None:
        self.commands = CommandRepository(session)
        self.acks = AckRepository(session)
        self.vehicles = VehicleStateRepository(session)
