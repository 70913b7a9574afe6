"""The best clean runs by the experiment's validation metric, and the region they share."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from deepfix_notebook.artifacts import canonical_names, higher_is_better
from deepfix_notebook.contract import SweepBest, SweepBestRun
from deepfix_notebook.sweeps._associations import number

# Among the validation metrics runs logged, the most common wins; ties go to this order.
PREFERRED = ("val_accuracy", "val_f1", "val_auc", "val_loss", "val_rmse", "val_mae", "val_mse")
TOP_SHARE = 0.1  # the best tenth of the clean runs ...
TOP_MIN, TOP_MAX = 3, 10  # ... at least 3 and at most 10 of them
REGION_SHARE = 0.6  # a region is shown when at most this share of the runs falls inside it


@dataclass(frozen=True, slots=True)
class Candidate:
    """What ranking needs of one run."""

    run_id: str
    run_name: str
    clean: bool
    metrics: Mapping[str, float]  # last value of each, as logged
    params: Mapping[str, str]


def validation_metric(runs: Sequence[Candidate]) -> tuple[str, dict[str, float]] | None:
    """The experiment's validation metric (canonical name) and each run's last value of it."""
    logged: Counter[str] = Counter()
    for run in runs:
        logged.update({name for name in _canonical(run.metrics) if name.startswith("val_")})
    ranked = [name for name in logged if higher_is_better(name) is not None]
    if not ranked:
        return None
    order = {name: index for index, name in enumerate(PREFERRED)}
    metric = min(ranked, key=lambda name: (-logged[name], order.get(name, len(order)), name))
    values = {}
    for run in runs:
        value = _canonical(run.metrics).get(metric)
        if value is not None and math.isfinite(value):
            values[run.run_id] = value
    return metric, values


def best_runs(
    runs: Sequence[Candidate], metric: str, values: Mapping[str, float], varying: Sequence[str]
) -> SweepBest | None:
    """The best clean runs by ``metric``, best first, and the region of the ``varying``
    parameters they share; None when no clean run logged it."""
    higher = bool(higher_is_better(metric))
    clean = [run for run in runs if run.clean and run.run_id in values]
    if not clean:
        return None
    clean.sort(key=lambda run: -values[run.run_id] if higher else values[run.run_id])
    size = min(len(clean), max(TOP_MIN, min(TOP_MAX, round(len(clean) * TOP_SHARE))))
    top = clean[:size]
    return SweepBest(
        metric=metric,
        higher_is_better=higher,
        runs=[
            SweepBestRun(run_id=r.run_id, run_name=r.run_name, value=values[r.run_id]) for r in top
        ],
        region=_region(top, runs, varying) if len(top) >= 2 else {},
    )


def _region(
    top: Sequence[Candidate], runs: Sequence[Candidate], varying: Sequence[str]
) -> dict[str, str]:
    region = {}
    for param in varying:
        chosen = [run.params.get(param) for run in top]
        everyone = [run.params[param] for run in runs if param in run.params]
        if any(value is None for value in chosen) or not everyone:
            continue
        shown = _numeric_region(param, chosen, everyone)  # type: ignore[arg-type]
        if shown is None:
            values = set(chosen)
            share = sum(value in values for value in everyone) / len(everyone)
            if share <= REGION_SHARE:
                listed = ", ".join(sorted(values))  # type: ignore[arg-type]
                shown = f"{param} = {listed}" if len(values) == 1 else f"{param} in {{{listed}}}"
        if shown:
            region[param] = shown
    return region


def _numeric_region(param: str, chosen: list[str], everyone: list[str]) -> str | None:
    """``a ≤ param ≤ b`` when the top runs' values and all runs' are numbers and few runs fall
    inside; "" when they are numbers but the region is not narrower; None when not numbers."""
    try:
        top = [float(value) for value in chosen]
        every = [float(value) for value in everyone]
    except ValueError:
        return None
    low, high = min(top), max(top)
    share = sum(low <= value <= high for value in every) / len(every)
    if share > REGION_SHARE:
        return ""
    if low == high:
        return f"{param} = {number(low)}"
    return f"{number(low)} ≤ {param} ≤ {number(high)}"


def _canonical(metrics: Mapping[str, float]) -> dict[str, float]:
    named: dict[str, float] = {}
    for key, name in _names(tuple(metrics)):
        if name is not None and name not in named:
            named[name] = metrics[key]
    return named


@lru_cache(maxsize=256)
def _names(keys: tuple[str, ...]) -> tuple[tuple[str, str | None], ...]:
    """`canonical_names` of a run's metric keys; a sweep's runs mostly log the same ones."""
    return tuple(canonical_names(keys).items())
