"""The runs a ``deepfix analyze``/``validate`` command line names, in the order it names them.

Paths are run directories; ``--run-id ID [ID ...]`` are MLflow run ids (never paths);
``--run-name NAME [NAME ...]`` are run names, each unique in the store (or in ``--experiment``);
``--experiment NAME`` alone is every run of that experiment, newest first.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from deepfix_notebook.artifacts import ArtifactBundle, ArtifactError, RunRef

Kind = Literal["path", "run_id", "run_name"]


@dataclass(frozen=True)
class Target:
    """One run to read (``ref``), or why it cannot be (``error``): ``label`` is what the command
    line said. The argument's flag already says what it is, so the `RunRef` is built directly;
    reading it is `load_run`'s, as for every other caller."""

    label: str
    ref: RunRef | None = None
    error: ArtifactError | None = None

    def load(self) -> ArtifactBundle:
        from deepfix_notebook.artifacts import load_run

        if self.error is not None:
            raise self.error
        return load_run(self.ref)


class _InOrder(argparse.Action):
    """Appends ``(kind, value)`` to ``namespace.given``, so mixed sources keep their order."""

    def __init__(self, *args: Any, kind: Kind, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        items = [values] if isinstance(values, str) else list(values or [])
        namespace.given = [*getattr(namespace, "given", []), *((self.kind, v) for v in items)]


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """PATH..., ``--run-id``, ``--run-name``, ``--experiment`` and ``--tracking-uri``."""
    parser.set_defaults(given=())
    parser.add_argument(
        "paths", nargs="*", metavar="PATH", action=_InOrder, kind="path", help="run directories"
    )
    parser.add_argument(
        "--run-id",
        nargs="+",
        metavar="ID",
        action=_InOrder,
        kind="run_id",
        help="MLflow run ids (32 hexadecimal characters each)",
    )
    parser.add_argument(
        "--run-name",
        nargs="+",
        metavar="NAME",
        action=_InOrder,
        kind="run_name",
        help="MLflow run names, each unique in the store or in --experiment",
    )
    parser.add_argument(
        "--experiment",
        metavar="NAME",
        help="alone: every run of this MLflow experiment (newest first); with --run-name: "
        "look for the names in it",
    )
    parser.add_argument(
        "--tracking-uri",
        metavar="URI",
        help="the MLflow store to read runs from (default: MLFLOW_TRACKING_URI, ./mlflow.db, "
        "then DeepFix's local store; a run id is looked for in each)",
    )


def targets(args: argparse.Namespace, parser: argparse.ArgumentParser) -> list[Target]:
    """The runs ``args`` name, in command-line order; a usage error exits with status 2."""
    given: list[tuple[Kind, str]] = list(args.given)
    command = parser.prog
    if not given and not args.experiment:
        parser.error(f"{command} needs a PATH, --run-id ID, --run-name NAME or --experiment NAME")
    if args.experiment is not None and not args.experiment.strip():
        parser.error("--experiment needs a name")
    if args.experiment and any(kind != "run_name" for kind, _ in given):
        parser.error(
            "--experiment NAME stands for every run of the experiment, or scopes --run-name; "
            "give run ids and paths without it"
        )
    if not given:
        return _experiment_runs(args.experiment, args.tracking_uri)
    return [_target(kind, value, args) for kind, value in given]


def _target(kind: Kind, value: str, args: argparse.Namespace) -> Target:
    from pathlib import Path

    from deepfix_notebook.artifacts import ArtifactError, RunRef, parse_run_id, run_by_name

    if kind == "path":
        return Target(value, RunRef(path=Path(value).expanduser()))
    try:
        if kind == "run_id":
            return Target(value, RunRef(run_id=parse_run_id(value), tracking_uri=args.tracking_uri))
        run_id, uri = run_by_name(value, experiment=args.experiment, tracking_uri=args.tracking_uri)
    except ArtifactError as error:
        return Target(value, error=error)
    return Target(value, RunRef(run_id=run_id, tracking_uri=uri))


def _experiment_runs(experiment: str, tracking_uri: str | None) -> list[Target]:
    from deepfix_notebook.artifacts import ArtifactError, RunRef, find_runs

    try:
        uri, runs = find_runs(experiment=experiment, tracking_uri=tracking_uri)
    except ArtifactError as error:
        return [Target(experiment, error=error)]
    return [Target(run.run_id, RunRef(run_id=run.run_id, tracking_uri=uri)) for run in runs]
