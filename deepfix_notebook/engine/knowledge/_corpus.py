"""The curated knowledge base: `KnowledgeEntry` and the YAML files under ``corpus/``."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from importlib.resources import files
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from deepfix_notebook.contract._types import Confidence, NonEmptyStr
from deepfix_notebook.contract._vocabulary import (
    FaultTarget,
    KnowledgeDomain,
    ProblemCode,
    QueryType,
)

# libyaml's loader when PyYAML was built with it, the pure-Python one otherwise; both are safe.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

CORPUS_PACKAGE = "deepfix_notebook.engine.knowledge"
CORPUS_DIR = "corpus"

EntryId = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z0-9]+(?:[-_.][a-z0-9]+)*$")
]
"""A lowercase slug such as ``overfitting-reading-the-curves``; cited in `knowledge_refs`."""


class CorpusError(ValueError):
    """A corpus file or entry that breaks the rules; the message names the file and entry."""


class KnowledgeEntry(BaseModel):
    """One curated piece of advice, with the work it rests on."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: EntryId
    title: NonEmptyStr
    content: NonEmptyStr
    source: NonEmptyStr
    domain: KnowledgeDomain
    query_types: tuple[QueryType, ...] = Field(min_length=1)
    problem_codes: tuple[ProblemCode, ...] = ()
    targets: tuple[FaultTarget, ...] = ()
    confidence: Confidence
    keywords: tuple[NonEmptyStr, ...] = ()
    url: NonEmptyStr | None = None


def _entries_of(name: str, text: str) -> list[KnowledgeEntry]:
    try:
        data: Any = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise CorpusError(f"{name}: not valid YAML: {exc}") from exc
    if not isinstance(data, list):
        raise CorpusError(f"{name}: expected a list of entries, got {type(data).__name__}")
    entries = []
    for number, raw in enumerate(data, start=1):
        label = f"{name}, entry #{number}"
        if isinstance(raw, dict) and isinstance(raw.get("id"), str):
            label += f" (id {raw['id']!r})"
        if not isinstance(raw, dict):
            raise CorpusError(f"{label}: expected a mapping, got {type(raw).__name__}")
        try:
            entries.append(KnowledgeEntry.model_validate(raw))
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, err['loc'])) or '<entry>'}: {err['msg']}"
                for err in exc.errors()
            )
            raise CorpusError(f"{label}: {problems}") from exc
    return entries


def read_corpus(sources: Iterable[tuple[str, str]]) -> tuple[KnowledgeEntry, ...]:
    """Entries of ``(file name, YAML text)`` pairs, in order; raises `CorpusError` on any fault."""
    entries: list[KnowledgeEntry] = []
    seen: dict[str, str] = {}
    for name, text in sources:
        for entry in _entries_of(name, text):
            if entry.id in seen:
                raise CorpusError(
                    f"{name}: duplicate id {entry.id!r} (already defined in {seen[entry.id]})"
                )
            seen[entry.id] = name
            entries.append(entry)
    if not entries:
        raise CorpusError("the knowledge corpus is empty")
    return tuple(entries)


@functools.cache
def load_corpus() -> tuple[KnowledgeEntry, ...]:
    """Every entry of the packaged ``corpus/*.yaml`` files, files in name order; read once."""
    folder = files(CORPUS_PACKAGE).joinpath(CORPUS_DIR)
    paths = sorted(
        (p for p in folder.iterdir() if p.is_file() and p.name.endswith(".yaml")),
        key=lambda p: p.name,
    )
    return read_corpus((f"{CORPUS_DIR}/{p.name}", p.read_text(encoding="utf-8")) for p in paths)
