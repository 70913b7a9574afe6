"""Malformed Deepchecks results shared by the reader's tests and the engine's: none may raise."""

from __future__ import annotations

import math
from typing import Any

MALFORMED: list[Any] = [
    "not json {",
    [1, 2, 3],
    42,
    None,
    {},
    {"value": "garbage"},
    {"value": [None, "x", {"a": []}]},
    {"value": {"Drift score": math.nan, "new_labels": 5, "percent": "lots"}},
    {"value": {"a": {"Drift score": None}, "b": [1, {"c": math.inf}]}},
    {"value": {"train": "x", "test": 3, "domain_classifier_auc": "high"}},
    {"value": [{"Dataset": "Test", "Class": [1], "Value": "nan"}]},
    {"header": "x", "check": {}, "exception": "ValueError: boom"},
    {"value": {"new_labels": [{"a": 1}, [2]], "n_samples_per_new_label": {"[2]": 1}}},
    {"value": -3, "conditions_results": "FAIL"},
    {"value": 7.5, "conditions_results": ["FAIL", {"Status": None}, {"Status": ["x"]}]},
]
