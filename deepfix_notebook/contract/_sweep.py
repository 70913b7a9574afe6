"""Sweep triage: every run of an experiment diagnosed, and which hyperparameters go with which
problems (``deepfix sweep --format json``, ``deepfix_notebook.sweep``)."""

from typing import Literal

from pydantic import Field

from deepfix_notebook.contract._errors import ErrorCode
from deepfix_notebook.contract._types import ContractModel, NonEmptyStr, UtcDateTime, utc_now
from deepfix_notebook.contract._vocabulary import ProblemCode

_Rate = Field(ge=0.0, le=1.0, allow_inf_nan=False)


class SweepRun(ContractModel):
    """One run of the experiment and its health.

    ``status``: ``analysed`` now, ``reused`` (its logged ``deepfix/analysis.json`` is newer than
    its last metric), or ``failed`` (``error_code`` and ``error`` say why). ``problems``: the
    problem codes found at medium or high severity, the worst first. ``severity``: ``high``,
    ``medium``, ``clean`` (nothing above low), or null when it failed. ``params``: its values of
    the hyperparameters that vary across the experiment (random seeds are not hyperparameters);
    ``metric``: its last value of the experiment's validation metric (`SweepBest.metric`).
    """

    run_id: NonEmptyStr
    run_name: str
    status: Literal["analysed", "reused", "failed"]
    problems: list[ProblemCode] = Field(default_factory=list)
    severity: Literal["high", "medium", "clean"] | None = None
    params: dict[str, str] = Field(default_factory=dict)
    metric: float | None = Field(default=None, allow_inf_nan=False)
    error_code: ErrorCode | None = None
    error: str | None = None


class SweepAssociation(ContractModel):
    """A hyperparameter split that separates runs with a problem from runs without it.

    ``condition`` in words, e.g. ``learning_rate ≥ 0.31`` (``operator`` ``>=`` with
    ``threshold``) or ``optimizer in {sgd}`` (``in`` with ``values``). Of the runs that logged
    ``param``, ``support`` meet the condition and ``hits_in`` of them have the problem; of the
    ``runs_out`` others, ``hits_out`` do. ``p_value``: one-sided Fisher's exact test,
    Bonferroni-corrected over every split tested in the sweep (`SweepResult.association_test`);
    0 when below the smallest float.
    """

    code: ProblemCode
    param: NonEmptyStr
    condition: NonEmptyStr
    operator: Literal[">=", "<=", "in"]
    threshold: float | None = Field(default=None, allow_inf_nan=False)
    values: list[str] | None = None
    support: int = Field(ge=1)
    hits_in: int = Field(ge=0)
    runs_out: int = Field(ge=0)
    hits_out: int = Field(ge=0)
    rate_in: float = _Rate
    rate_out: float = _Rate
    p_value: float = _Rate


class SweepBestRun(ContractModel):
    """A clean run ranked by the experiment's validation metric."""

    run_id: NonEmptyStr
    run_name: str
    value: float = Field(allow_inf_nan=False)


class SweepBest(ContractModel):
    """The best clean runs by ``metric`` (last logged value), best first, and the region of
    hyperparameters they share (param -> condition), where it is narrower than the sweep's."""

    metric: NonEmptyStr
    higher_is_better: bool
    runs: list[SweepBestRun] = Field(default_factory=list)
    region: dict[str, str] = Field(default_factory=dict)


class SweepResult(ContractModel):
    """Every run of ``experiment`` accounted for, grouped by health, with the problems the
    sweep's hyperparameters go with.

    ``counts``: runs per health (``high``, ``medium``, ``clean``, ``failed``);
    ``problem_counts``: runs per problem code (medium or high). ``associations`` are only those
    clearing ``association_test``, the widest gap between ``rate_in`` and ``rate_out`` first;
    ``associations_note`` says why there are none when there could not be (too few runs, no
    varying hyperparameter). ``best`` is null when no clean run logged a validation metric.
    """

    experiment: NonEmptyStr
    tracking_uri: str
    runs: list[SweepRun] = Field(default_factory=list)
    counts: dict[str, int] = Field(default_factory=dict)
    problem_counts: dict[str, int] = Field(default_factory=dict)
    associations: list[SweepAssociation] = Field(default_factory=list)
    association_test: str = ""
    associations_note: str | None = None
    best: SweepBest | None = None
    summary: str
    execution_time: float = Field(ge=0.0, allow_inf_nan=False)
    timestamp: UtcDateTime = Field(default_factory=utc_now)
    warnings: list[str] = Field(default_factory=list)
