"""Diagnosis quality of the embedded engine on directories of labelled runs.

    python benchmarks/diagnosis_quality.py ../shared/eval/howreal tests/eval/cases

A case is a run directory with an ``expected.yaml`` (keys: expect, expect_any, forbid, targets;
see ../shared/eval/howreal/README.md). A code counts as reported when a finding with that code
has severity medium or high. Printed:

- symptom recall: buggy cases (with expect/expect_any) whose expectations are all met;
- recall per code: for each code listed in ``expect``, how often it was reported;
- forbidden-code rate: cases with ``forbid`` where a forbidden code was reported;
- target hit rate: cases with ``targets`` where one of them is among the targets of the top-3
  recommendations of the plan (the advisor's steps, in priority order);
- every case it gets wrong, with what was reported.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from deepfix_notebook.artifacts import ArtifactError, load_directory
from deepfix_notebook.contract import AgentName, AnalysisResult
from deepfix_notebook.engine import Engine

TOP_K = 3


@dataclass
class Outcome:
    name: str
    reported: set[str]
    top_targets: set[str]
    expected: dict[str, Any]
    problems: list[str] = field(default_factory=list)


def cases(roots: list[Path]) -> list[Path]:
    found = []
    for root in roots:
        if (root / "expected.yaml").is_file():
            found.append(root)
        else:
            found += sorted(p.parent for p in root.glob("*/expected.yaml"))
    return found


def reported_codes(result: AnalysisResult) -> set[str]:
    return {
        a.findings.code.value
        for agent in result.agent_results
        for a in agent.analysis
        if a.findings.code is not None and a.findings.severity.rank >= 1
    }


def top_targets(result: AnalysisResult) -> set[str]:
    plan = next(
        (r for r in result.agent_results if r.agent_name == AgentName.OPTIMIZATION.value), None
    )
    items = (
        plan.analysis
        if plan is not None
        else sorted(
            (a for r in result.agent_results for a in r.analysis),
            key=lambda a: -a.recommendations.priority.rank,
        )
    )
    return {t.value for a in items[:TOP_K] for t in a.recommendations.targets}


def judge(case: Path, engine: Engine) -> Outcome:
    expected = yaml.safe_load((case / "expected.yaml").read_text()) or {}
    try:
        result = engine.analyze(load_directory(case))
    except ArtifactError as error:
        outcome = Outcome(case.name, set(), set(), expected, [f"could not load: {error}"])
        return outcome
    outcome = Outcome(case.name, reported_codes(result), top_targets(result), expected)
    for code in expected.get("expect") or []:
        if code not in outcome.reported:
            outcome.problems.append(f"missed {code}")
    any_of = expected.get("expect_any") or []
    if any_of and not set(any_of) & outcome.reported:
        outcome.problems.append(f"missed all of {any_of}")
    for code in expected.get("forbid") or []:
        if code in outcome.reported:
            outcome.problems.append(f"forbidden {code}")
    targets = expected.get("targets") or []
    if targets and not set(targets) & outcome.top_targets:
        outcome.problems.append(f"top-{TOP_K} targets {sorted(outcome.top_targets)} miss {targets}")
    return outcome


def report(outcomes: list[Outcome], title: str) -> None:
    buggy = [o for o in outcomes if o.expected.get("expect") or o.expected.get("expect_any")]
    recalled = [o for o in buggy if not any(p.startswith("missed") for p in o.problems)]
    guarded = [o for o in outcomes if o.expected.get("forbid")]
    violated = [o for o in guarded if any(p.startswith("forbidden") for p in o.problems)]
    targeted = [o for o in outcomes if o.expected.get("targets")]
    hit = [o for o in targeted if not any(p.startswith("top-") for p in o.problems)]
    per_code: Counter[str] = Counter()
    per_code_hit: Counter[str] = Counter()
    for o in outcomes:
        for code in o.expected.get("expect") or []:
            per_code[code] += 1
            per_code_hit[code] += code in o.reported

    def ratio(a: int, b: int) -> str:
        return f"{a / b:.2f} ({a}/{b})" if b else "n/a (0 cases)"

    print(f"\n== {title}: {len(outcomes)} cases")
    print(f"symptom recall on buggy runs      {ratio(len(recalled), len(buggy))}")
    print(f"forbidden-code rate on guarded     {ratio(len(violated), len(guarded))}")
    print(f"target hit rate (top-{TOP_K})            {ratio(len(hit), len(targeted))}")
    if per_code:
        print("\nrecall per expected code")
        for code in sorted(per_code):
            print(f"  {code:<24} {ratio(per_code_hit[code], per_code[code])}")
    wrong = [o for o in outcomes if o.problems]
    print(f"\ncases it gets wrong: {len(wrong)}")
    for o in wrong:
        print(f"  {o.name}: {'; '.join(o.problems)}")
        print(f"      reported: {sorted(o.reported) or '-'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("roots", nargs="+", type=Path, help="directories of labelled cases")
    args = parser.parse_args(argv)
    engine = Engine()
    for root in args.roots:
        found = cases([root])
        if not found:
            print(f"no cases (expected.yaml) under {root}", file=sys.stderr)
            return 2
        start = time.perf_counter()
        outcomes = [judge(case, engine) for case in found]
        report(outcomes, f"{root} ({time.perf_counter() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
