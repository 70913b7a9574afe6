"""DatasetArtifactsAnalyzer: rules over ``dataset/metadata.yaml`` and ``statistics.json``.

One module per kind of input the rules read: `counts` (class imbalance, small dataset),
`splits` (small validation split), `statistics` (unnormalised inputs, train/test shift). Every
threshold is declared with its unit and source (`engine._thresholds`), every rule's row of
`docs/diagnosis.md` beside the rule.
"""

from deepfix_notebook.engine.dataset._analyzer import RULES, DatasetArtifactsAnalyzer, soft_checks
from deepfix_notebook.engine.dataset._facts import (
    DatasetFacts,
    channel_names,
    percent,
    read_statistics,
)
from deepfix_notebook.engine.dataset.counts import MIN_PER_CLASS, class_imbalance, small_dataset
from deepfix_notebook.engine.dataset.splits import small_validation_split, standard_error
from deepfix_notebook.engine.dataset.statistics import train_test_shift, unnormalized_inputs

__all__ = [
    "MIN_PER_CLASS",
    "RULES",
    "DatasetArtifactsAnalyzer",
    "DatasetFacts",
    "channel_names",
    "class_imbalance",
    "percent",
    "read_statistics",
    "small_dataset",
    "small_validation_split",
    "soft_checks",
    "standard_error",
    "train_test_shift",
    "unnormalized_inputs",
]
