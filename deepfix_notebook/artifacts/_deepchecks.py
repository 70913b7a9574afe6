"""``deepchecks/results.yaml``: suites of check results, read defensively."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from deepfix_notebook.artifacts._errors import invalid


class CheckResult(BaseModel):
    """One deepchecks check: its header and whatever ``CheckResult.to_json()`` gave."""

    model_config = ConfigDict(frozen=True)

    header: str
    json_result: Any = None
    display_txt: str | None = None
    display_images: list[Any] | None = None


class DeepchecksResults(BaseModel):
    """Check results by suite (``train_test_validation``, ``data_integrity``, ...)."""

    model_config = ConfigDict(frozen=True)

    dataset_name: str | None = None
    results: dict[str, list[CheckResult]] = Field(default_factory=dict)
    config: dict[str, Any] = Field(default_factory=dict)

    def checks(self) -> list[tuple[str, CheckResult]]:
        """Every ``(suite, check)`` pair, in file order."""
        return [(suite, check) for suite, checks in self.results.items() for check in checks]


def parse_deepchecks(
    mapping: Mapping[str, Any], config: Mapping[str, Any] | None, *, file: str
) -> tuple[DeepchecksResults, list[str]]:
    """Read the results document; a malformed check is skipped with a warning, not fatal."""
    warnings: list[str] = []
    suites = mapping.get("results")
    if suites is None:
        raise invalid(
            "The document needs a `results` mapping of suite -> checks.", file=file, field="results"
        )
    if not isinstance(suites, Mapping):
        raise invalid(
            "`results` must map suite names to lists of checks.", file=file, field="results"
        )
    results: dict[str, list[CheckResult]] = {}
    for suite, checks in suites.items():
        if not isinstance(checks, list):
            warnings.append(f"{file}: suite '{suite}' is not a list of checks; skipped.")
            continue
        parsed: list[CheckResult] = []
        for index, check in enumerate(checks):
            if not isinstance(check, Mapping) or not isinstance(check.get("header"), str):
                warnings.append(f"{file}: check {index} of '{suite}' has no header; skipped.")
                continue
            parsed.append(
                CheckResult(
                    header=check["header"],
                    json_result=_decode(check.get("json_result")),
                    display_txt=_text(check.get("display_txt")),
                    display_images=_list(check.get("display_images")),
                )
            )
        results[str(suite)] = parsed
    name = mapping.get("dataset_name")
    extra_config = mapping.get("config") if isinstance(mapping.get("config"), Mapping) else None
    return (
        DeepchecksResults(
            dataset_name=None if name is None else str(name),
            results=results,
            config=dict(config or extra_config or {}),
        ),
        warnings,
    )


def _decode(value: Any) -> Any:
    """``to_json()`` returns a JSON string; some writers store it parsed. Accept both."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except (json.JSONDecodeError, RecursionError):
            return value
    return value


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        return "\n".join(str(part) for part in value)
    return str(value)


def _list(value: Any) -> list[Any] | None:
    if value is None:
        return None
    return value if isinstance(value, list) else [value]
