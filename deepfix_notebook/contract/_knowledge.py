"""Knowledge search: `POST /api/v1/knowledge/query`."""

from typing import Any

from pydantic import Field

from deepfix_notebook.contract._types import Confidence, ContractModel, NonEmptyStr
from deepfix_notebook.contract._vocabulary import KnowledgeDomain, QueryType


class KnowledgeQuery(ContractModel):
    """A search of the knowledge base."""

    query: NonEmptyStr
    domain: KnowledgeDomain | None = None
    query_type: QueryType
    max_results: int = Field(default=5, ge=1, le=20)
    min_confidence: float = Field(default=0.7, ge=0.0, le=1.0, allow_inf_nan=False)


class KnowledgeItem(ContractModel):
    """One entry of the knowledge base that matched a query."""

    id: NonEmptyStr
    content: NonEmptyStr
    source: NonEmptyStr
    confidence: Confidence
    relevance_score: float = Field(ge=0.0, allow_inf_nan=False)
    metadata: dict[str, Any] = Field(default_factory=dict)


class KnowledgeResponse(ContractModel):
    """The answer to a knowledge query, best match first."""

    query: NonEmptyStr
    results: list[KnowledgeItem] = Field(default_factory=list)
