"""Alembic plumbing shared by every service's `migrations/env.py`.

env.py stays three lines: import the service's metadata and call `run_migrations(metadata,
env_prefix="BOOKING_")`. The URL comes from `config.attributes["database_url"]` (tests) or the
service's `<PREFIX>DATABASE_URL` setting, never from alembic.ini.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from alembic import context
from pydantic import PostgresDsn
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine


class _DatabaseSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")
    database_url: PostgresDsn


def database_url(env_prefix: str) -> str:
    configured = context.config.attributes.get("database_url")
    if configured:
        return str(configured)
    settings = _DatabaseSettings(_env_prefix=env_prefix)
    return settings.database_url.unicode_string()


def run_migrations(
    metadata: MetaData,
    *,
    env_prefix: str,
    include_object: Callable[..., bool] | None = None,
) -> None:
    url = database_url(env_prefix)
    options: dict[str, Any] = {
        "target_metadata": metadata,
        "include_object": include_object,
        "compare_type": True,
        "transaction_per_migration": True,
    }
    if context.is_offline_mode():
        context.configure(url=url, literal_binds=True, **options)
        with context.begin_transaction():
            context.run_migrations()
        return

    def do_run(connection: Connection) -> None:
        context.configure(connection=connection, **options)
        with context.begin_transaction():
            context.run_migrations()

    async def run_async() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(do_run)
        await engine.dispose()

    asyncio.run(run_async())


def create_messaging_tables() -> None:
    """The outbox and inbox tables as of their first version (call from a service's 0001).

    Frozen here on purpose: later changes to the tables get their own helper and revision.
    """
    import sqlalchemy as sa
    from alembic import op
    from sqlalchemy.dialects import postgresql

    op.create_table(
        "outbox_message",
        sa.Column("id", sa.Uuid(), nullable=False, comment="CloudEvent id"),
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("payload", postgresql.JSONB(), nullable=False, comment="the whole CloudEvent"),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_outbox_message"),
        sa.UniqueConstraint("seq", name="uq_outbox_message_seq"),
    )
    op.create_index(
        "ix_outbox_message_unpublished",
        "outbox_message",
        ["seq"],
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.create_table(
        "processed_message",
        sa.Column("consumer", sa.Text(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column(
            "processed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("consumer", "event_id", name="pk_processed_message"),
    )


def drop_messaging_tables() -> None:
    from alembic import op

    op.drop_table("processed_message")
    op.drop_index("ix_outbox_message_unpublished", table_name="outbox_message")
    op.drop_table("outbox_message")
