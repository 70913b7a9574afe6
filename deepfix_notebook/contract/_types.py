"""Reusable field types and the base class of every contract model."""

from datetime import UTC, datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
)


def utc_now() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def _to_utc(value: datetime) -> datetime:
    # The wire format is UTC only, so a naive time can only have meant UTC.
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _to_iso_z(value: datetime) -> str:
    # Converted again because assignment after construction is not validated.
    return _to_utc(value).replace(tzinfo=None).isoformat() + "Z"


UtcDateTime = Annotated[
    datetime,
    AfterValidator(_to_utc),
    PlainSerializer(_to_iso_z, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
"""An aware UTC datetime; accepts any offset (naive = UTC), serialises as `...Z` in JSON."""

NonEmptyStr = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
"""A string stripped of surrounding whitespace, with at least one character left."""

Confidence = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
"""A probability-like score in [0, 1]."""


class ContractModel(BaseModel):
    """Base of every model that crosses a boundary.

    Unknown fields are ignored rather than rejected: CONTRACT.md makes adding optional
    fields non-breaking, so a payload from a newer peer must still parse here.
    """

    model_config = ConfigDict(
        extra="ignore",
        populate_by_name=True,
        frozen=False,
        str_strip_whitespace=False,
    )
