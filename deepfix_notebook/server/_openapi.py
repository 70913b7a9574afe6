"""The app's OpenAPI document as YAML, committed as ``docs/api-spec.yaml``."""

from __future__ import annotations

from pathlib import Path

import yaml

from deepfix_notebook.server._settings import Settings

SPEC_PATH = Path(__file__).resolve().parents[2] / "docs" / "api-spec.yaml"
HEADER = (
    "# Generated from the server's routes: do not edit. Regenerate with\n"
    '#   python -c "from deepfix_notebook.server import write_openapi; write_openapi()"\n'
)


def openapi_yaml() -> str:
    """The OpenAPI document of `create_app` as YAML (independent of the settings in force)."""
    from deepfix_notebook.server._app import create_app

    settings = Settings(allowed_tracking_uris=[], job_store_url="sqlite://", api_key=None)
    document = create_app(settings).openapi()
    return HEADER + yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)


def write_openapi(path: str | Path | None = None) -> Path:
    """Write `openapi_yaml` to ``path`` (default: the repository's ``docs/api-spec.yaml``)."""
    target = Path(path) if path is not None else SPEC_PATH
    target.write_text(openapi_yaml(), encoding="utf-8")
    return target
