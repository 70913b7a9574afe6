"""A sweep as terminal text: health groups, problem counts, associations, best runs."""

from __future__ import annotations

from deepfix_notebook.contract import SweepResult, SweepRun
from deepfix_notebook.sweeps._associations import number
from deepfix_notebook.sweeps._summary import association_sentence

SHOWN_PER_GROUP = 10
_GROUPS = (
    ("high", "High-severity problems"),
    ("medium", "Medium-severity problems"),
    ("clean", "Clean"),
)


def render_sweep(result: SweepResult) -> str:
    """The sweep as plain text (every group counted; at most `SHOWN_PER_GROUP` runs listed
    per group, every run that could not be analysed listed with its reason)."""
    lines = [f"Sweep of {result.experiment!r} ({result.tracking_uri})", "", result.summary, ""]
    for key, title in _GROUPS:
        group = [run for run in result.runs if run.severity == key]
        lines.append(f"{title}: {len(group)}")
        lines += [f"  {_run(run)}" for run in group[:SHOWN_PER_GROUP]]
        if len(group) > SHOWN_PER_GROUP:
            lines.append(f"  ... and {len(group) - SHOWN_PER_GROUP} more (--format json lists all)")
    failed = [run for run in result.runs if run.status == "failed"]
    lines.append(f"Could not be analysed: {len(failed)}")
    lines += [f"  {run.run_name} ({run.run_id}): {run.error_code}: {run.error}" for run in failed]
    if result.problem_counts:
        lines += ["", "Problems (runs):"]
        lines += [f"  {code:<24} {n}" for code, n in result.problem_counts.items()]
    lines += ["", "Associations:"]
    if result.associations:
        lines += [f"  {association_sentence(a)} (p = {a.p_value:.2g})" for a in result.associations]
    else:
        lines.append(f"  none. {result.associations_note or ''}".rstrip())
    lines.append(f"  (test: {result.association_test})")
    if result.best is not None:
        best = result.best
        direction = "higher" if best.higher_is_better else "lower"
        lines += ["", f"Best clean runs by {best.metric} ({direction} is better):"]
        lines += [f"  {run.run_name:<24} {number(run.value)}" for run in best.runs]
        if best.region:
            lines.append("  sharing " + ", ".join(best.region.values()))
    lines += [f"warning: {warning}" for warning in result.warnings]
    counted = sum(1 for run in result.runs if run.status == "reused")
    lines += ["", f"{len(result.runs)} runs in {result.execution_time:.2f} s ({counted} reused)."]
    return "\n".join(lines)


def _run(run: SweepRun) -> str:
    problems = ", ".join(code.value for code in run.problems) or "-"
    params = " ".join(f"{k}={_value(v)}" for k, v in run.params.items())
    return f"{run.run_name:<24} {problems:<40} {params}".rstrip()


def _value(text: str) -> str:
    try:
        return number(float(text))
    except ValueError:
        return text
