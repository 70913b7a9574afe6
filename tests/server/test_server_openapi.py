"""docs/api-spec.yaml is the app's own OpenAPI document, and that document matches §2 and §4."""

from __future__ import annotations

from pathlib import Path

import httpx
import yaml

from deepfix_notebook.server import openapi_yaml

SPEC = Path(__file__).resolve().parents[2] / "docs" / "api-spec.yaml"
REGENERATE = 'python -c "from deepfix_notebook.server import write_openapi; write_openapi()"'


def test_committed_spec_is_the_apps() -> None:
    committed = SPEC.read_text(encoding="utf-8") if SPEC.exists() else ""
    assert committed == openapi_yaml(), f"docs/api-spec.yaml is stale: regenerate with {REGENERATE}"


def test_spec_has_the_contract_routes_and_envelopes() -> None:
    document = yaml.safe_load(openapi_yaml())
    assert set(document["paths"]) == {
        "/api/v1/analyze",
        "/api/v1/status/{request_id}",
        "/api/v1/result/{request_id}",
        "/api/v1/knowledge/query",
        "/api/v1/health",
        "/metrics",
    }
    envelope = {"$ref": "#/components/schemas/ErrorResponse"}
    analyze = document["paths"]["/api/v1/analyze"]["post"]["responses"]
    for status in ("400", "401", "404", "413", "422", "429", "500", "503", "504"):
        assert analyze[status]["content"]["application/json"]["schema"] == envelope, status
    assert "HTTPValidationError" not in document["components"]["schemas"]
    assert "ARTIFACT_INVALID" in analyze["422"]["description"]
    assert "Retry-After" in analyze["503"]["headers"]


def test_the_served_document_is_the_committed_one(client: httpx.Client) -> None:
    served = client.get("/openapi.json")
    assert served.status_code == 200
    assert served.json() == yaml.safe_load(SPEC.read_text(encoding="utf-8"))
