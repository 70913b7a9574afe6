"""The sweep in a few sentences, the most important pattern first."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from deepfix_notebook.contract import SweepAssociation, SweepBest
from deepfix_notebook.sweeps._associations import number

SHOWN_ASSOCIATIONS = 3
SHOWN_PROBLEMS = 3


def association_sentence(found: SweepAssociation) -> str:
    """``exploding_loss: 9/9 runs with learning_rate ≥ 0.31, 0/291 otherwise``."""
    return (
        f"{found.code.value}: {found.hits_in}/{found.support} runs with {found.condition}, "
        f"{found.hits_out}/{found.runs_out} otherwise"
    )


def summarize(
    experiment: str,
    counts: Mapping[str, int],
    problem_counts: Mapping[str, int],
    associations: Sequence[SweepAssociation],
    note: str | None,
    best: SweepBest | None,
) -> str:
    total = sum(counts.values())
    if total == 0:
        return f"Experiment {experiment!r} has no runs to triage."
    health = (
        f"{total} runs in {experiment!r}: {counts['high']} with high-severity problems, "
        f"{counts['medium']} medium, {counts['clean']} clean"
    )
    if counts["failed"]:
        health += f", {counts['failed']} could not be analysed"
    sentences = [association_sentence(a) + "." for a in associations[:SHOWN_ASSOCIATIONS]]
    sentences.insert(min(1, len(sentences)), health + ".")
    if problem_counts:
        common = sorted(problem_counts.items(), key=lambda item: (-item[1], item[0]))
        shown = ", ".join(f"{code} ({n})" for code, n in common[:SHOWN_PROBLEMS])
        sentences.append(f"Most frequent problems: {shown}.")
    if not associations:
        sentences.append(note or "No hyperparameter split goes with a problem clearly enough.")
    if best is not None and best.runs:
        first = best.runs[0]
        text = f"Best clean run by {best.metric}: {first.run_name} ({number(first.value)})"
        if best.region:
            text += f"; the best {len(best.runs)} share " + ", ".join(best.region.values())
        sentences.append(text + ".")
    return " ".join(sentences)
