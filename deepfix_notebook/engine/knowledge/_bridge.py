"""`KnowledgeBridge`: knowledge search for the engine and `POST /api/v1/knowledge/query`."""

from __future__ import annotations

import difflib
import threading
from collections.abc import Iterable, MutableMapping
from typing import Any, ClassVar

import numpy as np

from deepfix_notebook.contract._knowledge import KnowledgeItem, KnowledgeQuery, KnowledgeResponse
from deepfix_notebook.contract._vocabulary import (
    FaultTarget,
    KnowledgeDomain,
    ProblemCode,
    QueryType,
)
from deepfix_notebook.engine.knowledge._cache import (
    DEFAULT_SIZE,
    DEFAULT_TTL_SECONDS,
    CacheInfo,
    CacheKey,
    QueryCache,
    Ranking,
    cache_key,
)
from deepfix_notebook.engine.knowledge._corpus import KnowledgeEntry, load_corpus
from deepfix_notebook.engine.knowledge._index import LexicalIndex, entry_text

_RELEVANCE_DIGITS = 6
# The requested query type is a preference, not a partition: an entry made for it has its BM25
# score raised by this share, so it wins ties and near-ties (another type's entry must match
# 25% better to rank above it) but a clearly stronger match of another type is not buried
# below weak matches of the requested one (own choice).
QUERY_TYPE_BOOST = 0.25


class KnowledgeBridge:
    """Ranked search of the knowledge base, with a query cache.

    Ranking: entries of the requested domain and ``global`` ones (all entries for no domain or
    ``global``), scored by BM25, the score of entries made for the requested query type raised
    by `QUERY_TYPE_BOOST`; ties go to the lower id. ``relevance_score`` is that score over the
    best one of the query, so results come in falling relevance and the first has 1.0. The BM25
    index is built on first use.
    """

    _default: ClassVar[KnowledgeBridge | None] = None
    _default_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(
        self,
        entries: Iterable[KnowledgeEntry] | None = None,
        *,
        cache_size: int = DEFAULT_SIZE,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        cache: MutableMapping[CacheKey, Ranking] | None = None,
    ) -> None:
        self._entries = load_corpus() if entries is None else tuple(entries)
        if not self._entries:
            raise ValueError("a knowledge bridge needs at least one entry")
        self._by_id: dict[str, KnowledgeEntry] = {}
        for entry in self._entries:
            if entry.id in self._by_id:
                raise ValueError(f"duplicate knowledge entry id {entry.id!r}")
            self._by_id[entry.id] = entry
        # Entry positions per problem code: `for_problem` runs for every cited finding.
        self._tagged: dict[ProblemCode, tuple[int, ...]] = {}
        for i, entry in enumerate(self._entries):
            for code in entry.problem_codes:
                self._tagged[code] = (*self._tagged.get(code, ()), i)
        self._cache = QueryCache(cache, maxsize=cache_size, ttl_seconds=ttl_seconds)
        self._index: LexicalIndex | None = None
        self._index_lock = threading.Lock()

    @classmethod
    def default(cls) -> KnowledgeBridge:
        """The process-wide bridge over the packaged corpus, created on first call."""
        if cls._default is None:
            with cls._default_lock:
                if cls._default is None:
                    cls._default = cls()
        return cls._default

    @property
    def entries(self) -> tuple[KnowledgeEntry, ...]:
        """Every entry, in corpus order."""
        return self._entries

    def get(self, entry_id: str) -> KnowledgeEntry:
        """The entry with id ``entry_id``; `KeyError` naming close ids if there is none."""
        try:
            return self._by_id[entry_id]
        except KeyError:
            close = difflib.get_close_matches(entry_id, self._by_id, n=3)
            hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
            raise KeyError(
                f"no knowledge entry with id {entry_id!r} among {len(self._by_id)}{hint}"
            ) from None

    def warm(self) -> None:
        """Build the BM25 index now rather than on the first query."""
        self._lexical()

    def cache_info(self) -> CacheInfo:
        """Hits, misses, size and hit ratio of the query cache."""
        return self._cache.info()

    def cache_clear(self) -> None:
        """Empty the query cache and reset its counters."""
        self._cache.clear()

    def query(self, q: KnowledgeQuery) -> KnowledgeResponse:
        """Answer a contract `KnowledgeQuery`: best match first, at most ``q.max_results``."""
        results: list[KnowledgeItem] = []
        for entry_id, relevance in self._ranking(q.query, q.domain, q.query_type):
            entry = self._by_id[str(entry_id)]
            if entry.confidence < q.min_confidence:
                continue
            results.append(_item(entry, float(relevance)))
            if len(results) == q.max_results:
                break
        return KnowledgeResponse(query=q.query, results=results)

    def search(
        self,
        text: str,
        *,
        domain: KnowledgeDomain | str | None = None,
        query_type: QueryType | str = QueryType.DIAGNOSTIC,
        max_results: int = 5,
        min_confidence: float = 0.7,
    ) -> list[KnowledgeItem]:
        """`query` from plain arguments; raises `ValueError` on an empty text or a bad value."""
        q = KnowledgeQuery.model_validate(
            {
                "query": text,
                "domain": domain,
                "query_type": query_type,
                "max_results": max_results,
                "min_confidence": min_confidence,
            }
        )
        return self.query(q).results

    def for_problem(
        self,
        code: ProblemCode | str,
        *,
        targets: Iterable[FaultTarget | str] = (),
        text: str = "",
        limit: int = 3,
    ) -> list[KnowledgeItem]:
        """Entries to cite for a finding with problem ``code`` and a fix touching ``targets``.

        Entries tagged with ``code`` come first, ranked by BM25 of ``text`` and the code's words
        (normalised to the best score) plus the share of ``targets`` they cover, then by
        confidence and id. Only if fewer than ``limit`` are tagged, other BM25 matches fill up.
        """
        problem = ProblemCode(code)
        wanted = {FaultTarget(t) for t in targets}
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        scores = self._lexical().scores(f"{text} {problem.value}")
        best = float(scores.max())
        lexical = scores / best if best > 0 else np.zeros_like(scores)

        def overlap(entry: KnowledgeEntry) -> float:
            return len(wanted.intersection(entry.targets)) / len(wanted) if wanted else 0.0

        tagged_ids = self._tagged.get(problem, ())
        tagged = [
            (1.0 + float(lexical[i]) + overlap(self._entries[i]), self._entries[i])
            for i in tagged_ids
        ]
        tagged.sort(key=lambda pair: (-pair[0], -pair[1].confidence, pair[1].id))
        chosen = tagged[:limit]
        if len(chosen) < limit:
            matching = set(np.flatnonzero(lexical > 0).tolist()).difference(tagged_ids)
            others = [(float(lexical[i]), self._entries[i]) for i in matching]
            others.sort(key=lambda pair: (-pair[0], pair[1].id))
            chosen += others[: limit - len(chosen)]
        if not chosen:
            return []
        top = chosen[0][0]
        return [_item(entry, round(score / top, _RELEVANCE_DIGITS)) for score, entry in chosen]

    def _lexical(self) -> LexicalIndex:
        if self._index is None:
            with self._index_lock:
                if self._index is None:
                    self._index = LexicalIndex([entry_text(e) for e in self._entries])
        return self._index

    def _ranking(self, text: str, domain: KnowledgeDomain | None, query_type: QueryType) -> Ranking:
        key = cache_key(text, domain, query_type)
        ranking = self._cache.get(key)
        if ranking is None:
            ranking = self._rank(*key)
            self._cache.put(key, ranking)
        return ranking

    def _rank(self, text: str, domain: str, query_type: str) -> Ranking:
        scores = self._lexical().scores(text)
        candidates = [
            (float(scores[i]), e)
            for i, e in enumerate(self._entries)
            if scores[i] > 0 and _in_domain(e, domain)
        ]
        if not candidates:
            return []
        boosted = [
            (score * (1 + QUERY_TYPE_BOOST) if query_type in e.query_types else score, e)
            for score, e in candidates
        ]
        best = max(score for score, _ in boosted)
        boosted.sort(key=lambda pair: (-pair[0], pair[1].id))
        return [[e.id, round(score / best, _RELEVANCE_DIGITS)] for score, e in boosted]


def _in_domain(entry: KnowledgeEntry, domain: str) -> bool:
    return domain == KnowledgeDomain.GLOBAL or entry.domain in (domain, KnowledgeDomain.GLOBAL)


def _item(entry: KnowledgeEntry, relevance: float) -> KnowledgeItem:
    metadata: dict[str, Any] = {
        "title": entry.title,
        "domain": entry.domain.value,
        "query_types": [t.value for t in entry.query_types],
        "problem_codes": [c.value for c in entry.problem_codes],
        "targets": [t.value for t in entry.targets],
    }
    if entry.url is not None:
        metadata["url"] = entry.url
    return KnowledgeItem(
        id=entry.id,
        content=entry.content,
        source=entry.source,
        confidence=entry.confidence,
        relevance_score=relevance,
        metadata=metadata,
    )
