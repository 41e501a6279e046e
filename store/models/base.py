"""Declarative base shared by every table, with the constraint naming convention migrations rely on."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, MetaData, func, text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        dict[str, Any]: JSONB,
        list[Any]: JSONB,
        datetime: DateTime(timezone=True),
    }


def uuid_pk() -> Mapped[uuid.UUID]:
    return mapped_column(
        UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")
    )


def created_at() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())


def updated_at() -> Mapped[datetime]:
    return mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now(), onupdate=func.now()
    )


def jsonb(default: str) -> Any:
    """A non-null JSONB column with a server default such as ``'{}'`` or ``'[]'``."""
    return mapped_column(JSONB, nullable=False, server_default=text(f"'{default}'::jsonb"))


def one_of(column: str, values: tuple[str, ...], *, nullable: bool = False) -> str:
    """SQL for a CHECK constraint limiting ``column`` to ``values`` (the enum's lowercase values)."""
    listed = ", ".join(f"'{v}'" for v in values)
    check = f"{column} IN ({listed})"
    return f"{column} IS NULL OR {check}" if nullable else check


def enum_values(enum: Any) -> tuple[str, ...]:
    """The stored values of an enum's members, for ``one_of``."""
    return tuple(member.value for member in enum)


def agent_fk(*, primary_key: bool = False) -> Mapped[uuid.UUID]:
    """The column pointing at the agent a row belongs to (deleted with it)."""
    return mapped_column(
        ForeignKey("agents.id", ondelete="CASCADE"), nullable=False, primary_key=primary_key
    )
