"""The error envelope (CONTRACT.md §4) and how validation errors become one."""

import json
from typing import Any

import pytest
from pydantic import ValidationError

from deepfix_notebook.contract import (
    HTTP_STATUS,
    RETRYABLE,
    AnalysisRequest,
    AnalysisResult,
    ErrorCode,
    ErrorResponse,
    KnowledgeQuery,
)

CONTRACT_TABLE = {
    "VALIDATION_ERROR": (400, "no"),
    "UNAUTHORIZED": (401, "no"),
    "RUN_NOT_FOUND": (404, "no"),
    "ARTIFACT_NOT_FOUND": (404, "no"),
    "REQUEST_NOT_FOUND": (404, "no"),
    "ARTIFACT_INVALID": (422, "no"),
    "PAYLOAD_TOO_LARGE": (413, "no"),
    "RATE_LIMIT_EXCEEDED": (429, "yes"),
    "INTERNAL_SERVER_ERROR": (500, "yes"),
    "MLFLOW_CONNECTION_ERROR": (503, "yes"),
    "ANALYSIS_TIMEOUT": (504, "maybe"),
}


def test_http_status_follows_the_contract_table() -> None:
    assert {code.value: status for code, status in HTTP_STATUS.items()} == {
        code: status for code, (status, _) in CONTRACT_TABLE.items()
    }


def test_retryable_is_yes_plus_maybe() -> None:
    assert {code.value for code in RETRYABLE} == {
        code for code, (_, retry) in CONTRACT_TABLE.items() if retry in {"yes", "maybe"}
    }
    assert isinstance(RETRYABLE, frozenset)


def _caught(model: Any, data: Any) -> ValidationError:
    with pytest.raises(ValidationError) as exc:
        model.model_validate(data)
    return exc.value


def test_message_names_field_constraint_and_value() -> None:
    exc = _caught(
        AnalysisRequest,
        {
            "run_id": "abc",
            "mlflow_tracking_uri": "http://localhost:5000",
            "analysis_options": {"max_analysis_time": 500},
        },
    )
    response = ErrorResponse.from_validation_error(exc)
    assert response.error is ErrorCode.VALIDATION_ERROR
    assert response.message == (
        "analysis_options.max_analysis_time: Input should be less than or equal to 300 (got 500)."
    )
    assert response.details == {
        "field": "analysis_options.max_analysis_time",
        "provided": 500,
        "constraint": "Input should be less than or equal to 300",
        "errors": [
            {
                "loc": ["analysis_options", "max_analysis_time"],
                "msg": "Input should be less than or equal to 300",
                "type": "less_than_equal",
            }
        ],
    }


def test_missing_field_matches_the_seed_example() -> None:
    exc = _caught(AnalysisRequest, {"run_id": "abc"})
    response = ErrorResponse.from_validation_error(exc)
    assert response.message == "mlflow_tracking_uri: Field required."
    assert response.details["field"] == "mlflow_tracking_uri"
    assert response.details["constraint"] == "required"
    assert response.details["provided"] is None


def test_bad_uri_message_lists_the_allowed_schemes() -> None:
    exc = _caught(AnalysisRequest, {"run_id": "abc", "mlflow_tracking_uri": "ftp://x"})
    response = ErrorResponse.from_validation_error(exc)
    assert response.message == (
        "mlflow_tracking_uri: Scheme 'ftp' is not allowed; use a URI with one of the schemes "
        'http, https, file, sqlite, postgresql, mysql, mssql, databricks (got "ftp://x").'
    )
    assert response.details["provided"] == "ftp://x"


def test_several_errors_are_counted_in_the_message_and_all_listed() -> None:
    exc = _caught(KnowledgeQuery, {"query": " ", "query_type": "howto", "max_results": 99})
    response = ErrorResponse.from_validation_error(exc)
    assert response.message == (
        'query: String should have at least 1 character (got " "); '
        "2 more problems in details.errors."
    )
    assert [error["loc"] for error in response.details["errors"]] == [
        ["query"],
        ["query_type"],
        ["max_results"],
    ]
    assert all(set(error) == {"loc", "msg", "type"} for error in response.details["errors"])


def test_nested_list_locations_are_dotted() -> None:
    exc = _caught(
        AnalysisResult,
        {
            "request_id": "r",
            "run_id": "run",
            "status": "completed",
            "summary": "",
            "execution_time": 1,
            "agent_results": [{"agent_name": "A"}, {"agent_name": ""}],
        },
    )
    response = ErrorResponse.from_validation_error(exc)
    assert response.details["field"] == "agent_results.1.agent_name"
    assert response.details["errors"][0]["loc"] == ["agent_results", 1, "agent_name"]


def test_invalid_json_has_no_field() -> None:
    with pytest.raises(ValidationError) as exc:
        AnalysisRequest.model_validate_json("{not json")
    response = ErrorResponse.from_validation_error(exc.value)
    assert response.details["field"] is None
    assert response.message.startswith("Invalid JSON")
    assert response.message.endswith(".")


def test_long_and_odd_inputs_are_previewed_not_copied() -> None:
    exc = _caught(AnalysisRequest, {"run_id": "r", "mlflow_tracking_uri": "x" * 5000})
    response = ErrorResponse.from_validation_error(exc)
    assert len(response.details["provided"]) == 200
    assert response.details["provided"].endswith("…")
    assert len(response.message) < 400

    exc = _caught(KnowledgeQuery, {"query": "q", "query_type": object()})
    provided = ErrorResponse.from_validation_error(exc).details["provided"]
    assert isinstance(provided, str)
    assert provided.startswith("<object object")


def test_result_is_a_valid_json_error_envelope() -> None:
    exc = _caught(AnalysisRequest, {"run_id": "", "mlflow_tracking_uri": b"http://h\xff"})
    response = ErrorResponse.from_validation_error(exc)
    document = json.loads(response.model_dump_json())
    assert set(document) == {"error", "message", "details", "timestamp"}
    assert document["error"] == "VALIDATION_ERROR"
    assert document["timestamp"].endswith("Z")
    assert ErrorResponse.model_validate(document) == response


def test_message_is_one_sentence() -> None:
    exc = _caught(AnalysisRequest, {"run_id": "r", "mlflow_tracking_uri": "http://"})
    message = ErrorResponse.from_validation_error(exc).message
    assert message.count(". ") == 0
    assert message.endswith(").")
