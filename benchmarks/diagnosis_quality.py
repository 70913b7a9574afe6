"""Diagnosis quality of the embedded engine on directories of labelled runs, per split.

    python benchmarks/diagnosis_quality.py                       # every split below
    python benchmarks/diagnosis_quality.py --split dev           # only the corpus' dev split
    python benchmarks/diagnosis_quality.py ../shared/eval/howreal tests/eval/cases

A case is a run directory with an ``expected.yaml`` (keys: expect, expect_any, forbid, targets;
see ../shared/eval/howreal/README.md). Cases whose label has a ``split`` key (the generated
corpus, tests/eval/corpus/) are scored per split: rules are tuned on ``dev`` only and
``heldout`` is scored, never looked at while rules change (docs/decisions.md). A code counts as
reported when a finding with that code has severity medium or high. Printed per split:

- symptom recall: buggy cases (with expect/expect_any) whose expectations are all met;
- forbidden-code rate: cases with ``forbid`` where a forbidden code was reported;
- target hit rate: cases with ``targets`` where one of them is among the targets of the top-3
  recommendations of the plan (the advisor's steps, in priority order);
- recall per expected code, and a confusion list: for each missed code, what was reported instead;
- calibration: for medium/high codes the label speaks about (expected = right, forbidden =
  wrong; codes it is silent on are left out, so "right" is an upper bound), mean confidence
  against the share right per confidence band, and the expected calibration error;
- with ``--cases``, every case it gets wrong, with what was reported;
- at the end, the targets table and the dev-to-heldout gap.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from deepfix_notebook.artifacts import ArtifactError, load_directory
from deepfix_notebook.contract import AgentName, AnalysisResult
from deepfix_notebook.engine import Engine

TOP_K = 3
ROOT = Path(__file__).resolve().parents[1]
DEFAULT_ROOTS = [
    ROOT / "tests" / "eval" / "corpus" / "runs",
    ROOT.parent / "shared" / "eval" / "howreal",
    ROOT / "tests" / "eval" / "cases",
]
# Targets of issue "Diagnosis that generalises", on the held-out split.
TARGETS = {"recall": 0.90, "forbidden": 0.05, "target_hit": 0.80, "gap": 0.05}


@dataclass
class Outcome:
    name: str
    reported: set[str]
    top_targets: set[str]
    expected: dict[str, Any]
    problems: list[str] = field(default_factory=list)
    confidences: dict[str, float] = field(default_factory=dict)  # code -> highest, medium/high

    def judged(self) -> list[tuple[float, bool]]:
        """(confidence, right) of each medium/high code the label speaks about."""
        right = set(self.expected.get("expect") or []) | set(self.expected.get("expect_any") or [])
        wrong = set(self.expected.get("forbid") or [])
        return [(c, code in right) for code, c in self.confidences.items() if code in right | wrong]

    @property
    def buggy(self) -> bool:
        return bool(self.expected.get("expect") or self.expected.get("expect_any"))

    @property
    def recalled(self) -> bool:
        return not any(p.startswith("missed") for p in self.problems)

    @property
    def violated(self) -> bool:
        return any(p.startswith("forbidden") for p in self.problems)

    @property
    def hit(self) -> bool:
        return not any(p.startswith("top-") for p in self.problems)


@dataclass
class Score:
    """The rates of one split."""

    title: str
    outcomes: list[Outcome]

    def _rate(self, pool: list[Outcome], good: list[Outcome]) -> tuple[int, int]:
        return len(good), len(pool)

    @property
    def recall(self) -> tuple[int, int]:
        buggy = [o for o in self.outcomes if o.buggy]
        return self._rate(buggy, [o for o in buggy if o.recalled])

    @property
    def forbidden(self) -> tuple[int, int]:
        guarded = [o for o in self.outcomes if o.expected.get("forbid")]
        return self._rate(guarded, [o for o in guarded if o.violated])

    def calibration(self) -> tuple[float, list[tuple[str, int, float, float]]] | None:
        """Expected calibration error and (bin, findings, mean confidence, share right)."""
        pairs = [p for o in self.outcomes for p in o.judged()]
        if not pairs:
            return None
        rows, ece = [], 0.0
        for low in (0.0, 0.5, 0.6, 0.7, 0.8, 0.9):
            high = {0.0: 0.5, 0.5: 0.6, 0.6: 0.7, 0.7: 0.8, 0.8: 0.9, 0.9: 1.01}[low]
            inside = [(c, r) for c, r in pairs if low <= c < high]
            if not inside:
                continue
            mean = sum(c for c, _ in inside) / len(inside)
            right = sum(r for _, r in inside) / len(inside)
            ece += len(inside) / len(pairs) * abs(mean - right)
            rows.append((f"{low:.1f}-{min(high, 1.0):.1f}", len(inside), mean, right))
        return ece, rows

    @property
    def target_hit(self) -> tuple[int, int]:
        targeted = [o for o in self.outcomes if o.expected.get("targets")]
        return self._rate(targeted, [o for o in targeted if o.hit])


def value(pair: tuple[int, int]) -> float | None:
    return pair[0] / pair[1] if pair[1] else None


def ratio(pair: tuple[int, int]) -> str:
    a, b = pair
    return f"{a / b:.2f} ({a}/{b})" if b else "n/a (0 cases)"


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


def label(case: Path) -> dict[str, Any]:
    return yaml.safe_load((case / "expected.yaml").read_text()) or {}


def judge(case: Path, engine: Engine, expected: dict[str, Any] | None = None) -> Outcome:
    expected = label(case) if expected is None else expected
    try:
        result = engine.analyze(load_directory(case))
    except ArtifactError as error:
        return Outcome(case.name, set(), set(), expected, [f"missed: could not load: {error}"])
    outcome = Outcome(case.name, reported_codes(result), top_targets(result), expected)
    for agent in result.agent_results:
        for a in agent.analysis:
            code, found = a.findings.code, a.findings
            if code is not None and found.severity.rank >= 1:
                seen = outcome.confidences.get(code.value, 0.0)
                outcome.confidences[code.value] = max(seen, found.confidence)
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


def confusion(outcomes: list[Outcome]) -> dict[str, Counter[str]]:
    """For each expected code that was missed, the codes reported instead (``-``: nothing)."""
    instead: dict[str, Counter[str]] = defaultdict(Counter)
    for o in outcomes:
        wanted = list(o.expected.get("expect") or [])
        any_of = o.expected.get("expect_any") or []
        if any_of and not set(any_of) & o.reported:
            wanted.append(" | ".join(any_of))
        for code in wanted:
            if code in o.reported:
                continue
            others = sorted(o.reported - set(wanted)) or ["-"]
            instead[code].update(others)
    return instead


def report(score: Score, *, show_cases: bool) -> None:
    outcomes = score.outcomes
    print(f"\n== {score.title}: {len(outcomes)} cases")
    print(f"symptom recall on buggy runs       {ratio(score.recall)}")
    print(f"forbidden-code rate on guarded     {ratio(score.forbidden)}")
    print(f"target hit rate (top-{TOP_K})            {ratio(score.target_hit)}")
    per_code: Counter[str] = Counter()
    per_code_hit: Counter[str] = Counter()
    for o in outcomes:
        for code in o.expected.get("expect") or []:
            per_code[code] += 1
            per_code_hit[code] += code in o.reported
    if per_code:
        print("\nrecall per expected code")
        for code in sorted(per_code):
            print(f"  {code:<24} {ratio((per_code_hit[code], per_code[code]))}")
    missed = confusion(outcomes)
    if missed:
        print("\nconfusion: missed code -> reported instead (count)")
        for code in sorted(missed):
            instead = ", ".join(f"{c} {n}" for c, n in missed[code].most_common(4))
            print(f"  {code:<24} {instead}")
    forbidden = Counter(
        p.split(" ", 1)[1] for o in outcomes for p in o.problems if p.startswith("forbidden")
    )
    if forbidden:
        print("\nforbidden codes reported: " + ", ".join(f"{c} {n}" for c, n in forbidden.items()))
    calibration = score.calibration()
    if calibration is not None:
        ece, rows = calibration
        print(f"\ncalibration of medium/high findings the labels judge (ECE {ece:.2f})")
        print(f"  {'confidence':<12} {'findings':>8} {'mean conf':>10} {'right':>7}")
        for band, count, mean, right in rows:
            print(f"  {band:<12} {count:>8} {mean:>10.2f} {right:>7.2f}")
    wrong = [o for o in outcomes if o.problems]
    print(f"\ncases it gets wrong: {len(wrong)}")
    if show_cases:
        for o in wrong:
            print(f"  {o.name}: {'; '.join(o.problems)}")
            print(f"      reported: {sorted(o.reported) or '-'}")


def summary(scores: list[Score]) -> None:
    print("\n== summary")
    print(f"{'split':<34} {'recall':>16} {'forbidden':>16} {'top-3 target':>16}")
    for s in scores:
        print(
            f"{s.title:<34} {ratio(s.recall):>16} {ratio(s.forbidden):>16} "
            f"{ratio(s.target_hit):>16}"
        )
    by_title = {s.title.split(" ")[0]: s for s in scores}
    dev, held = by_title.get("corpus:dev"), by_title.get("corpus:heldout")
    if dev is None or held is None:
        return
    print("\ndev-to-heldout gap (dev minus heldout; targets on heldout in brackets)")
    for name, better in (("recall", 1), ("forbidden", -1), ("target_hit", 1)):
        d, h = value(getattr(dev, name)), value(getattr(held, name))
        if d is None or h is None:
            continue
        bar = TARGETS[name]
        met = h >= bar if better > 0 else h <= bar
        gap = (d - h) * better
        print(
            f"  {name:<12} dev {d:.2f}  heldout {h:.2f} [{'≥' if better > 0 else '≤'} {bar:.2f}"
            f" {'met' if met else 'NOT met'}]  gap {gap:+.2f} "
            f"[≤ {TARGETS['gap']:.2f} {'met' if gap <= TARGETS['gap'] else 'NOT met'}]"
        )


def score_roots(roots: list[Path], engine: Engine, splits: set[str] | None = None) -> list[Score]:
    """One `Score` per root, or per split for roots whose labels name one."""
    scores = []
    for root in roots:
        groups: dict[str, list[tuple[Path, dict[str, Any]]]] = defaultdict(list)
        for case in cases([root]):
            expected = label(case)
            groups[str(expected.get("split", ""))].append((case, expected))
        for split in sorted(groups):
            if splits is not None and split not in splits:
                continue
            start = time.perf_counter()
            outcomes = [judge(case, engine, expected) for case, expected in groups[split]]
            name = f"corpus:{split}" if split else _short(root)
            scores.append(Score(f"{name} ({time.perf_counter() - start:.1f} s)", outcomes))
    return scores


def _short(root: Path) -> str:
    try:
        return str(root.resolve().relative_to(ROOT.parent))
    except ValueError:
        return str(root)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("roots", nargs="*", type=Path, help="directories of labelled cases")
    parser.add_argument(
        "--split",
        action="append",
        help="score only these corpus splits (dev, heldout); cases without a split always run",
    )
    parser.add_argument("--cases", action="store_true", help="list every case it gets wrong")
    args = parser.parse_args(argv)
    roots = args.roots or [r for r in DEFAULT_ROOTS if r.is_dir()]
    missing = [r for r in roots if not cases([r])]
    if missing:
        print(f"no cases (expected.yaml) under {', '.join(map(str, missing))}", file=sys.stderr)
        return 2
    splits = None if args.split is None else {*args.split, ""}
    scores = score_roots(roots, Engine(), splits)
    for score in scores:
        report(score, show_cases=args.cases)
    summary(scores)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
