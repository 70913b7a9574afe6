"""Which hyperparameter splits go with which problems, and only those that clear a stated bar.

For each problem code and each hyperparameter that varies, every candidate split is tested:
a threshold for a numeric parameter (``≥ v`` and ``≤ v``; at most `MAX_CUTS` cut points, spread
on a log axis when the values span two decades or more), a set of values for a categorical one
(any set of values when there are up to five; with more, each value and all values but one).
A split's p-value is the one-sided Fisher's exact test (the hypergeometric tail: this many
problem runs or more inside the split), multiplied by the number of splits tested in the whole
sweep (Bonferroni). A split is reported when that corrected p-value is below `ALPHA`, it holds
at least `MIN_SUPPORT` runs and `MIN_HITS` problem runs, and the problem is more frequent inside
it than outside; per code and parameter, only the best split.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from deepfix_notebook.contract import ProblemCode, SweepAssociation

ALPHA = 0.01
MIN_RUNS = 10  # analysed runs below which no association is looked for
MIN_SUPPORT = 5  # runs inside a split
MIN_HITS = 3  # problem runs inside a split, and in the whole sweep
MAX_CUTS = 32  # threshold candidates per numeric parameter
MAX_CATEGORIES = 20  # a text parameter with more distinct values is an identifier, not a knob
LOG_SPAN = 100.0  # max/min from which thresholds are spread on a log axis
TINY = 1e-250  # p-values below this are computed in logs

TEST = (
    f"one-sided Fisher's exact test, Bonferroni-corrected over every split tested, p < {ALPHA}; "
    f"at least {MIN_SUPPORT} runs and {MIN_HITS} with the problem inside the split"
)


@dataclass(frozen=True, slots=True)
class Observed:
    """What an association needs of one analysed run."""

    params: Mapping[str, str]
    problems: frozenset[str]


@dataclass(frozen=True, slots=True)
class _Split:
    operator: str
    threshold: float | None
    values: tuple[str, ...] | None
    inside: npt.NDArray[np.bool_]


def associations(runs: Sequence[Observed]) -> tuple[list[SweepAssociation], str | None]:
    """The associations that clear the bar, the widest gap between ``rate_in`` and
    ``rate_out`` first; and a note when none could be looked for."""
    if len(runs) < MIN_RUNS:
        return [], (
            f"Associations need at least {MIN_RUNS} analysed runs; this sweep has {len(runs)}. "
            "Run more configurations, then sweep again."
        )
    params = _varying(runs)
    if not params:
        return [], "No hyperparameter varies across the analysed runs: nothing to associate."
    codes = sorted({code for run in runs for code in run.problems})
    candidates: list[tuple[float, str, str, _Split, npt.NDArray[np.bool_]]] = []  # log p first
    tested = 0
    for param in params:
        has = np.array([param in run.params for run in runs])
        splits, refine = _splits([run.params[param] for run in runs if param in run.params])
        if not splits:
            continue
        for code in codes:
            hit = np.array(
                [code in run.problems for run, kept in zip(runs, has, strict=True) if kept]
            )
            if int(hit.sum()) < MIN_HITS or bool(hit.all()):
                continue
            count, best = _best(splits, hit)
            tested += count
            if best is not None:
                # The coarse grid's best cut, then every cut between its neighbours.
                count, finer = _best(refine(best[1]), hit)
                tested += count
                if finer is not None and finer[0] < best[0]:
                    best = finer
                candidates.append((best[0], code, param, best[1], hit))
    found = []
    for log_p, code, param, split, hit in candidates:
        corrected = log_p + math.log(tested)
        if corrected < math.log(ALPHA):
            found.append(_association(code, param, split, hit, math.exp(corrected)))
    # Strongest first: the widest gap in rates (all clear the bar), then the smallest p.
    found.sort(key=lambda a: (a.rate_out - a.rate_in, a.p_value, a.code.value, a.param))
    return found, None


def _best(
    splits: Sequence[_Split], hit: npt.NDArray[np.bool_]
) -> tuple[int, tuple[float, _Split] | None]:
    """How many of ``splits`` were tested (enough runs on both sides), and the one with the
    smallest p-value (its log) among those where the problem is more frequent inside."""
    if not splits:
        return 0, None
    masks = np.array([split.inside for split in splits])
    support = masks.sum(axis=1)
    total, hits = hit.size, int(hit.sum())
    inside = masks[:, hit].sum(axis=1)
    valid = (support >= MIN_SUPPORT) & (support < total)
    # more frequent inside than outside: inside/support > (hits-inside)/(total-support)
    ok = valid & (inside >= MIN_HITS) & (inside * total > hits * support)
    if not ok.any():
        return int(valid.sum()), None
    tails = _log_fisher_greater(inside[ok], total, hits, support[ok])
    best = int(np.argmin(tails))
    return int(valid.sum()), (float(tails[best]), splits[int(np.flatnonzero(ok)[best])])


def _varying(runs: Sequence[Observed]) -> list[str]:
    """Parameters logged by enough runs with at least two values (identifiers left out)."""
    names = sorted({name for run in runs for name in run.params})
    kept = []
    for name in names:
        values = [run.params[name] for run in runs if name in run.params]
        distinct = set(values)
        if len(values) < MIN_RUNS or len(distinct) < 2:
            continue
        if _numbers(values) is None and len(distinct) > MAX_CATEGORIES:
            continue
        kept.append(name)
    return kept


def _numbers(values: Sequence[str]) -> npt.NDArray[np.float64] | None:
    """The values as finite numbers, or None when any is not one (the parameter is then
    categorical; booleans are)."""
    try:
        numbers = np.array([float(value) for value in values], dtype=np.float64)
    except ValueError:
        return None
    return numbers if bool(np.isfinite(numbers).all()) else None


Refine = Callable[[_Split], list[_Split]]


def _splits(values: Sequence[str]) -> tuple[list[_Split], Refine]:
    """The candidate splits of a parameter, and the finer ones around a coarse split."""
    numbers = _numbers(values)
    if numbers is not None:
        return _thresholds(numbers)
    return _value_sets(values), lambda split: []


def _thresholds(numbers: npt.NDArray[np.float64]) -> tuple[list[_Split], Refine]:
    distinct = np.unique(numbers)
    cuts = np.arange(1, distinct.size)  # cut i: distinct[:i] below, distinct[i:] above
    if cuts.size > MAX_CUTS:
        low, high = distinct[0], distinct[-1]
        if low > 0 and high / low >= LOG_SPAN:
            grid = np.geomspace(low, high, MAX_CUTS + 2)[1:-1]
        else:
            grid = np.linspace(low, high, MAX_CUTS + 2)[1:-1]
        cuts = np.unique(np.clip(np.searchsorted(distinct, grid), 1, distinct.size - 1))

    def split(cut: int, operator: str) -> _Split:
        if operator == ">=":
            upper = float(distinct[cut])
            return _Split(">=", upper, None, numbers >= upper)
        lower = float(distinct[cut - 1])
        return _Split("<=", lower, None, numbers <= lower)

    def refine(coarse: _Split) -> list[_Split]:
        assert coarse.threshold is not None
        cut = int(np.searchsorted(distinct, coarse.threshold)) + (coarse.operator == "<=")
        at = int(np.searchsorted(cuts, cut))
        first = int(cuts[at - 1]) + 1 if at > 0 else 1
        last = int(cuts[at + 1]) if at + 1 < cuts.size else distinct.size
        return [split(k, coarse.operator) for k in range(first, last) if k != cut]

    splits = [split(int(cut), operator) for cut in cuts for operator in (">=", "<=")]
    return splits, refine


def _value_sets(values: Sequence[str]) -> list[_Split]:
    """Every prefix of the categories, in either order of frequency: the rate order is not
    known here (it differs per problem), so each set and its complement are candidates."""
    array = np.array(values, dtype=object)
    categories = sorted(set(values))
    if len(categories) < 2:
        return []
    splits = []
    seen: set[frozenset[str]] = set()
    for size in range(1, len(categories)):
        for chosen in _subsets(categories, size):
            key = frozenset(chosen)
            if key in seen:
                continue
            seen.add(key)
            splits.append(_Split("in", None, tuple(chosen), np.isin(array, list(chosen))))
    return splits


def _subsets(categories: list[str], size: int) -> list[list[str]]:
    """Sets of ``size`` categories: all of them for a few categories, single values and their
    complements otherwise (2^k sets would swamp the correction)."""
    from itertools import combinations

    if len(categories) <= 5:
        return [list(c) for c in combinations(categories, size)]
    if size == 1:
        return [[c] for c in categories]
    if size == len(categories) - 1:
        return [[c for c in categories if c != left] for left in categories]
    return []


def _log_fisher_greater(
    inside: npt.NDArray[np.int64], total: int, hits: int, support: npt.NDArray[np.int64]
) -> npt.NDArray[np.float64]:
    """log P(at least ``inside`` problem runs among ``support`` drawn from ``total`` runs of
    which ``hits`` have the problem): the one-sided Fisher's exact test, for many splits at
    once; in logs, because with thousands of runs the best splits' p-values underflow to 0 and
    could no longer be told apart (below `TINY`, its first term: see below)."""
    from scipy.stats import hypergeom

    tail = np.asarray(hypergeom.sf(inside - 1, total, hits, support), dtype=np.float64)
    tiny = tail < TINY
    with np.errstate(divide="ignore"):
        logs = np.log(tail)
    if tiny.any():
        # Far out in the tail its first term dominates: log P(X = inside) <= log p <= that +
        # log(support). logsf sums every term (1.5 s for 2,500 splits of 10,000 runs), and
        # below 1e-250 every split is significant: the bound only orders them.
        logs[tiny] = hypergeom.logpmf(inside[tiny], total, hits, support[tiny])
    return logs


def _association(
    code: str, param: str, split: _Split, hit: npt.NDArray[np.bool_], p: float
) -> SweepAssociation:
    support = int(split.inside.sum())
    hits_in = int(hit[split.inside].sum())
    runs_out = hit.size - support
    hits_out = int(hit.sum()) - hits_in
    if split.operator == "in":
        assert split.values is not None
        shown = ", ".join(split.values)
        condition = f"{param} in {{{shown}}}" if len(split.values) > 1 else f"{param} = {shown}"
    else:
        assert split.threshold is not None
        sign = "≥" if split.operator == ">=" else "≤"
        condition = f"{param} {sign} {number(split.threshold)}"
    return SweepAssociation(
        code=ProblemCode(code),
        param=param,
        condition=condition,
        operator=split.operator,  # type: ignore[arg-type]
        threshold=split.threshold,
        values=list(split.values) if split.values is not None else None,
        support=support,
        hits_in=hits_in,
        runs_out=runs_out,
        hits_out=hits_out,
        rate_in=round(hits_in / support, 4),
        rate_out=round(hits_out / runs_out, 4) if runs_out else 0.0,
        p_value=float(f"{p:.3g}"),
    )


def number(value: float) -> str:
    """A parameter value as people write it: ``0.31``, ``3e-04``, ``128``."""
    if value == int(value) and abs(value) < 1e6:
        return str(int(value))
    magnitude = abs(value)
    if magnitude != 0 and (magnitude < 1e-3 or magnitude >= 1e6):
        return f"{value:.2g}"
    return f"{value:.3g}" if math.isfinite(value) else str(value)
