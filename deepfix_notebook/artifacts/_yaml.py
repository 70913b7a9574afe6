"""Safe, bounded YAML and JSON loading for artifact files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from deepfix_notebook.artifacts._errors import invalid

MAX_DOCUMENT_BYTES = 64 << 20  # a deepchecks results.yaml with inline images stays well below
# Anchors and aliases are shared on load, but anything walking the result expands them:
# ten nested aliases of ten make 10^10 nodes ("billion laughs"). Refuse past this many.
MAX_EXPANDED_NODES = 1_000_000


def load_yaml(path: Path, *, file: str) -> Any:
    """Parse ``path`` with the safe loader; reject bombs, recursion and oversized files."""
    text = _read_text(path, file)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load(text, Loader=loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise invalid(f"Not valid YAML{where}: {problem}.", file=file) from exc
    except RecursionError as exc:
        raise invalid("The YAML is nested too deeply to be a run artifact.", file=file) from exc
    check_expansion(data, file=file)
    return data


def load_json(path: Path, *, file: str) -> Any:
    """Parse ``path`` as JSON (NaN and Infinity allowed, as Python writes them)."""
    text = _read_text(path, file)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise invalid(f"Not valid JSON at line {exc.lineno}: {exc.msg}.", file=file) from exc
    except RecursionError as exc:
        raise invalid("The JSON is nested too deeply to be a run artifact.", file=file) from exc


def load_mapping(path: Path, *, file: str) -> dict[str, Any]:
    """A YAML file whose top level must be a mapping (an empty file is an empty mapping)."""
    data = load_yaml(path, file=file)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise invalid(
            f"The top level must be a mapping of keys to values, not a {type(data).__name__}.",
            file=file,
        )
    return {str(key): value for key, value in data.items()}


def check_expansion(data: Any, *, file: str) -> None:
    """Count nodes as a walk would see them, sharing work per object; refuse bombs and cycles."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: Any) -> int:
        if not isinstance(node, dict | list):
            return 1
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise invalid("The YAML refers to itself through an alias (a cycle).", file=file)
        active.add(key)
        children = node.values() if isinstance(node, dict) else node
        total = 1
        for child in children:
            total += size(child)
            if total > MAX_EXPANDED_NODES:
                raise invalid(
                    f"The YAML expands to more than {MAX_EXPANDED_NODES:,} values through "
                    "anchors and aliases; write the values out instead of nesting aliases.",
                    file=file,
                )
        active.discard(key)
        sizes[key] = total
        return total

    try:
        size(data)
    except RecursionError as exc:
        raise invalid("The YAML is nested too deeply to be a run artifact.", file=file) from exc


def _read_text(path: Path, file: str) -> str:
    if path.stat().st_size > MAX_DOCUMENT_BYTES:
        raise invalid(
            f"The file is {path.stat().st_size:,} bytes; artifact documents are limited to "
            f"{MAX_DOCUMENT_BYTES:,}.",
            file=file,
        )
    raw = path.read_bytes()
    if b"\x00" in raw:
        raise invalid("The file is binary, not text.", file=file)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise invalid(f"The file is not UTF-8 text (byte {exc.start}).", file=file) from exc
