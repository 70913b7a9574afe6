"""Lexical retrieval: a BM25 index (the `bm25s` library) over the knowledge entries.

`bm25s` and `Stemmer` are imported when an index is built, not when this module is, so that
importing the knowledge package stays cheap. Nothing here touches the network: the English
stopwords ship with `bm25s` and the Snowball stemmer is compiled into `PyStemmer`.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from deepfix_notebook.engine.knowledge._corpus import KnowledgeEntry

STOPWORDS = "en"
STEMMER_LANGUAGE = "english"

_MOVE = (
    r"(?:go|goes|going|gone|went|move|moves|moving|moved"
    r"|shoot|shoots|shot|creep|creeps|crept|creeping)"
)
_REWRITES: tuple[tuple[re.Pattern[str], str], ...] = (
    # Underscores join words in bm25s's pattern (\w): `val_loss` is two words.
    (re.compile(r"_"), " "),
    # 'goes up' shares no word with 'rises' or 'climbs': say it in the words the corpus uses.
    (re.compile(rf"\b{_MOVE}\s+up(?:wards?)?\b", re.IGNORECASE), "rises"),
    (re.compile(rf"\b{_MOVE}\s+down(?:wards?)?\b", re.IGNORECASE), "falls"),
    # Abbreviations of metric names and hyper-parameters in logs and questions.
    (re.compile(r"\bval\b", re.IGNORECASE), "validation"),
    (re.compile(r"\bacc\b", re.IGNORECASE), "accuracy"),
    (re.compile(r"\blr\b", re.IGNORECASE), "learning rate"),
)


def rewrite(text: str) -> str:
    """``text`` with the rewrites applied to documents and queries alike before tokenising."""
    for pattern, replacement in _REWRITES:
        text = pattern.sub(replacement, text)
    return text


def entry_text(entry: KnowledgeEntry) -> str:
    """What the index sees of an entry: title, keywords, content, problem codes and targets."""
    return "\n".join(
        [
            entry.title,
            " ".join(entry.keywords),
            entry.content,
            " ".join(entry.problem_codes),
            " ".join(entry.targets),
        ]
    )


class LexicalIndex:
    """BM25 scores of a query against a fixed list of documents (safe to share across threads)."""

    def __init__(self, documents: Sequence[str]) -> None:
        if not documents:
            raise ValueError("a lexical index needs at least one document")
        import bm25s  # type: ignore[import-untyped]
        import Stemmer  # type: ignore[import-not-found]

        # bm25s sets its own logger to DEBUG, which bypasses the level of the root logger.
        log = logging.getLogger("bm25s")
        if log.level == logging.DEBUG:
            log.setLevel(logging.WARNING)
        self._bm25s: Any = bm25s
        self._stemmer: Any = Stemmer.Stemmer(STEMMER_LANGUAGE)
        # A PyStemmer object is not thread-safe: tokenisation goes through this lock.
        self._lock = threading.Lock()
        self._retriever: Any = bm25s.BM25()
        self._retriever.index(self._tokenize(list(documents)), show_progress=False)
        self._size = len(documents)

    def __len__(self) -> int:
        return self._size

    def _tokenize(self, texts: list[str]) -> list[list[str]]:
        texts = [rewrite(text) for text in texts]
        with self._lock:
            tokens: list[list[str]] = self._bm25s.tokenize(
                texts,
                stopwords=STOPWORDS,
                stemmer=self._stemmer,
                return_ids=False,
                show_progress=False,
            )
        return tokens

    def tokens(self, text: str) -> list[str]:
        """The stemmed, stopword-free terms of ``text`` that the index knows."""
        vocabulary = self._retriever.vocab_dict
        return [t for t in self._tokenize([text])[0] if t and t in vocabulary]

    def scores(self, text: str) -> npt.NDArray[np.float64]:
        """One BM25 score per document, in document order; all zero if no term matches."""
        import numpy as np

        terms = self.tokens(text)
        if not terms:
            return np.zeros(self._size, dtype=np.float64)
        return np.asarray(self._retriever.get_scores(terms), dtype=np.float64)
