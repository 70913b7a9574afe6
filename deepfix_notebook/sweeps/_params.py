"""Which logged params are hyperparameters a sweep can speak of."""

from __future__ import annotations

import re

# Seeds vary in every sweep but choose no setting: an association with one is chance, a "best
# region" of seeds is noise. Matched as a whole word of the param name (``seed``,
# ``random_state``, ``data.seed``, ``torch_seed``), not as a substring (``seedling_count``).
_SEED = re.compile(r"(?:^|[._/-])(?:\w+_)?(?:seed|random_state|rng)$", re.IGNORECASE)


def is_hyperparameter(name: str) -> bool:
    """False for a random seed (``seed``, ``random_seed``, ``random_state``, ``data.seed``)."""
    return _SEED.search(name) is None
