"""DatasetArtifactsAnalyzer: runs the dataset rules in order; derived numbers and notes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from deepfix_notebook.contract import AgentName, AgentResult, Analysis
from deepfix_notebook.engine._agent import AgentInput
from deepfix_notebook.engine._curves import fmt
from deepfix_notebook.engine.dataset._facts import DatasetFacts
from deepfix_notebook.engine.dataset.counts import (
    GOODFELLOW_PER_CLASS,
    class_imbalance,
    small_dataset,
)
from deepfix_notebook.engine.dataset.splits import small_validation_split, standard_error
from deepfix_notebook.engine.dataset.statistics import train_test_shift, unnormalized_inputs


class DatasetArtifactsAnalyzer:
    """Finds class imbalance, too little data, a small validation split, raw inputs, shift."""

    name = AgentName.DATASET.value

    def skip_reason(self, given: AgentInput) -> str | None:
        if not given.options.enable_dataset_analysis:
            return "Dataset analysis was disabled in the request options."
        if given.bundle.dataset is None:
            return "Dataset metadata not found - skipping dataset analysis"
        return None

    def run(self, given: AgentInput) -> AgentResult:
        artifacts = [f for f in given.bundle.files if f.startswith("dataset/")]
        info = given.bundle.dataset
        if info is None:
            return AgentResult(agent_name=self.name, analyzed_artifacts=artifacts)
        facts = DatasetFacts.of(info, given.context.model_type)
        analyses: list[Analysis] = []
        for rule in RULES:
            try:
                analyses.extend(rule(facts))
            except Exception as exc:  # odd metadata must never fail the whole agent
                facts.unreadable.append(f"{rule.__name__}: {type(exc).__name__}: {exc}")
        outputs = soft_checks(facts)
        if facts.unreadable:
            outputs["unreadable"] = facts.unreadable
        return AgentResult(
            agent_name=self.name,
            analysis=analyses,
            analyzed_artifacts=artifacts or ["dataset"],
            additional_outputs=outputs,
        )


def soft_checks(facts: DatasetFacts) -> dict[str, Any]:
    """Derived numbers and notes that are not findings."""
    info = facts.info
    out: dict[str, Any] = {}
    notes: list[str] = []
    counts = facts.counts
    if info.imbalance_ratio is not None:
        out["imbalance_ratio"] = round(info.imbalance_ratio, 4)
    n, k = info.num_train_samples, info.num_classes or len(counts) or None
    if n is not None and k and facts.is_classification:
        per_class = n / k
        out["samples_per_class"] = round(per_class, 2)
        out["share_of_goodfellow_5000_per_class"] = round(per_class / GOODFELLOW_PER_CLASS, 4)
        if per_class < GOODFELLOW_PER_CLASS:
            notes.append(
                f"{fmt(per_class)} samples per class is below the ~{GOODFELLOW_PER_CLASS} per "
                "class that Goodfellow et al. (2016) give as a rule of thumb for training from "
                "scratch; pretrained models need far fewer."
            )
    if counts:
        out["smallest_class"] = min(counts.values())
        out["largest_class"] = max(counts.values())
    if n is not None and info.num_val_samples:
        out["val_share_of_train"] = round(info.num_val_samples / n, 4)
        out["val_accuracy_standard_error_at_0.8"] = round(standard_error(info.num_val_samples), 4)
    elif info.num_val_samples is None:
        notes.append("num_val_samples is not given: the validation split was not checked.")
    if not facts.stats.get("train", {}).get("mean"):
        notes.append("No training mean/std in the statistics: normalisation was not checked.")
    elif not any(facts.stats.get(split) for split in ("test", "val")):
        notes.append("No test/validation statistics: train/test shift was not checked.")
    out["statistics_read"] = {
        split: {stat: len(values) for stat, values in by_stat.items()}
        for split, by_stat in facts.stats.items()
    }
    out["notes"] = notes
    return out


RULES: tuple[Callable[[DatasetFacts], list[Analysis]], ...] = (
    class_imbalance,
    small_dataset,
    small_validation_split,
    unnormalized_inputs,
    train_test_shift,
)
