"""Reusable types: UTC timestamps with Z, non-empty strings, confidences, tolerant parsing."""

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import TypeAdapter, ValidationError

from deepfix_notebook.contract import (
    Confidence,
    ContractModel,
    ErrorCode,
    ErrorResponse,
    Finding,
    NonEmptyStr,
    UtcDateTime,
    utc_now,
)

UTC_TIME: TypeAdapter[datetime] = TypeAdapter(UtcDateTime)
NON_EMPTY: TypeAdapter[str] = TypeAdapter(NonEmptyStr)
CONFIDENCE: TypeAdapter[float] = TypeAdapter(Confidence)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("2025-10-15T10:30:00Z", "2025-10-15T10:30:00Z"),
        ("2025-10-15T10:30:00+00:00", "2025-10-15T10:30:00Z"),
        ("2025-10-15T12:30:00+02:00", "2025-10-15T10:30:00Z"),
        ("2025-10-15T05:30:00-05:00", "2025-10-15T10:30:00Z"),
        ("2025-10-15T10:30:00", "2025-10-15T10:30:00Z"),  # naive: taken as UTC
        ("2025-10-15T10:30:00.123456Z", "2025-10-15T10:30:00.123456Z"),
        ("2025-10-15T10:30:00.5+01:00", "2025-10-15T09:30:00.500000Z"),
    ],
)
def test_iso_strings_become_utc_and_serialise_with_z(given: str, expected: str) -> None:
    value = UTC_TIME.validate_python(given)
    assert value.tzinfo is UTC
    assert UTC_TIME.dump_python(value, mode="json") == expected
    assert json.loads(UTC_TIME.dump_json(value)) == expected


def test_datetime_objects_are_converted_to_utc() -> None:
    paris_summer = timezone(timedelta(hours=2))
    aware = UTC_TIME.validate_python(datetime(2025, 10, 15, 12, 30, tzinfo=paris_summer))
    naive = UTC_TIME.validate_python(datetime(2025, 10, 15, 10, 30))
    assert aware == naive == datetime(2025, 10, 15, 10, 30, tzinfo=UTC)
    assert naive.tzinfo is UTC


def test_python_mode_keeps_datetime_objects() -> None:
    value = UTC_TIME.validate_python("2025-10-15T10:30:00Z")
    assert UTC_TIME.dump_python(value) == datetime(2025, 10, 15, 10, 30, tzinfo=UTC)


def test_unvalidated_assignment_still_serialises_as_utc() -> None:
    response = ErrorResponse(error=ErrorCode.INTERNAL_SERVER_ERROR, message="Boom.")
    response.timestamp = datetime(2025, 10, 15, 12, 30, tzinfo=timezone(timedelta(hours=2)))
    assert response.model_dump(mode="json")["timestamp"] == "2025-10-15T10:30:00Z"


@pytest.mark.parametrize("bad", ["yesterday", "2025-13-01T00:00:00Z", "", None])
def test_invalid_timestamps_are_rejected(bad: object) -> None:
    with pytest.raises(ValidationError):
        UTC_TIME.validate_python(bad)


def test_utc_now_is_aware_utc() -> None:
    before = datetime.now(UTC)
    now = utc_now()
    assert now.tzinfo is UTC
    assert before <= now <= datetime.now(UTC)


def test_default_timestamps_are_now_in_utc() -> None:
    before = datetime.now(UTC)
    response = ErrorResponse(error=ErrorCode.INTERNAL_SERVER_ERROR, message="Boom.")
    assert response.timestamp.tzinfo is UTC
    assert before <= response.timestamp <= datetime.now(UTC)
    assert response.model_dump(mode="json")["timestamp"].endswith("Z")


def test_non_empty_str_is_stripped() -> None:
    assert NON_EMPTY.validate_python("  run-1 \n") == "run-1"


@pytest.mark.parametrize("bad", ["", "   ", "\n\t", None, 3])
def test_non_empty_str_rejects_blank_and_non_strings(bad: object) -> None:
    with pytest.raises(ValidationError):
        NON_EMPTY.validate_python(bad)


@pytest.mark.parametrize("good", [0, 0.0, 0.5, 1, 1.0])
def test_confidence_accepts_zero_to_one(good: float) -> None:
    assert CONFIDENCE.validate_python(good) == good


@pytest.mark.parametrize("bad", [-0.01, 1.01, float("nan"), float("inf"), "high"])
def test_confidence_rejects_everything_else(bad: object) -> None:
    with pytest.raises(ValidationError):
        CONFIDENCE.validate_python(bad)


def test_unknown_fields_from_newer_peers_are_ignored() -> None:
    finding = Finding.model_validate(
        {
            "description": "d",
            "evidence": "e",
            "severity": "low",
            "confidence": 0.5,
            "added_in_v1_7": {"anything": True},
        }
    )
    assert "added_in_v1_7" not in finding.model_dump()


def test_every_model_shares_the_contract_config() -> None:
    assert ContractModel.model_config["extra"] == "ignore"
    assert issubclass(Finding, ContractModel)
