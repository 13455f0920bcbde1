"""Async SQLAlchemy plumbing: engine, sessions, naming convention, DB error classification."""

from __future__ import annotations

from sqlalchemy import MetaData
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from mobility_platform.settings import PlatformSettings

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_metadata() -> MetaData:
    """A MetaData with our constraint naming convention (Alembic diffs stay stable)."""
    return MetaData(naming_convention=NAMING_CONVENTION)


def make_engine(settings: PlatformSettings) -> AsyncEngine:
    return create_async_engine(
        str(settings.database_url),
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_pre_ping=settings.db_pool_pre_ping,
        pool_recycle=settings.db_pool_recycle_s,
        pool_timeout=5,
        hide_parameters=True,  # errors end up in logs and DLQ headers: no rider data in them
        connect_args={
            "timeout": 5,
            "command_timeout": 30,
            "server_settings": {"application_name": settings.service_name},
        },
    )


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def asyncpg_dsn(sqlalchemy_url: str) -> str:
    """The plain libpq DSN asyncpg.connect() wants, from our SQLAlchemy URL."""
    return sqlalchemy_url.replace("postgresql+asyncpg://", "postgresql://", 1)


def is_db_unavailable(exc: BaseException) -> bool:
    """True when the error means 'database unreachable or restarting', not 'bad query'."""
    if isinstance(exc, PoolTimeoutError | InterfaceError):
        return True
    if isinstance(exc, OperationalError):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        # SQLSTATE class 08 = connection exception, 57P = server shutting down / starting up
        sqlstate = str(getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", "") or "")
        return sqlstate.startswith(("08", "57P"))
    return isinstance(exc, ConnectionError | OSError) and not isinstance(exc, FileNotFoundError)
