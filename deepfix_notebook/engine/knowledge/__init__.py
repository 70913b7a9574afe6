"""The curated knowledge base the engine cites, and its search (CONTRACT.md §2).

``KnowledgeBridge.default().search("validation loss rising")`` ranks entries by BM25; the
engine cites ``for_problem(code, targets=...)`` for each recommendation.
"""

from deepfix_notebook.engine.knowledge._bridge import KnowledgeBridge
from deepfix_notebook.engine.knowledge._corpus import KnowledgeEntry, load_corpus

__all__ = ["KnowledgeBridge", "KnowledgeEntry", "load_corpus"]
