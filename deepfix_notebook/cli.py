"""The ``deepfix`` command."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from deepfix_notebook._version import __version__


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "handler"):
        parser.print_help()
        return 2
    return int(args.handler(args, parser))


def _parser() -> argparse.ArgumentParser:
    from deepfix_notebook._cli_runs import add_run_arguments
    from deepfix_notebook.contract import KnowledgeDomain, OptimizationFocus, QueryType

    focus_areas = [f.value for f in OptimizationFocus]
    parser = argparse.ArgumentParser(
        prog="deepfix",
        description="Diagnose ML training runs from what they logged.",
    )
    parser.add_argument("--version", action="version", version=f"deepfix {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    validate = commands.add_parser(
        "validate",
        help="check runs against the artifact contract",
        description="Check runs (directories, MLflow run ids or names, an experiment's runs) "
        "against the artifact contract and print what was found, in the order given. Exit 0 "
        "when every run is valid, 1 otherwise.",
    )
    add_run_arguments(validate)
    validate.add_argument("--format", choices=("text", "json"), default="text")
    validate.set_defaults(handler=_validate)

    analyze = commands.add_parser(
        "analyze",
        help="diagnose runs with the embedded engine",
        description="Diagnose runs (directories, MLflow run ids or names, an experiment's runs) "
        "with the embedded engine. With --format json, one AnalysisResult per line (JSON "
        "Lines), in input order; a run that cannot be read gets the contract's error envelope "
        "on its line. Exit 1 if any run failed.",
    )
    add_run_arguments(analyze)
    analyze.add_argument("--format", choices=("text", "json"), default="text")
    analyze.add_argument(
        "--focus",
        nargs="+",
        default=[],
        metavar="AREA",
        choices=focus_areas,
        help=f"put these areas first in the plan ({', '.join(focus_areas)})",
    )
    analyze.set_defaults(handler=_analyze)

    from deepfix_notebook._cli_sweep import add_sweep_command

    add_sweep_command(commands)

    ask = commands.add_parser(
        "ask",
        help="search the knowledge base",
        description="Search DeepFix's knowledge base (offline).",
    )
    ask.add_argument("question", help='e.g. "validation loss rises while training loss falls"')
    ask.add_argument("--domain", choices=[d.value for d in KnowledgeDomain])
    ask.add_argument(
        "--type", dest="query_type", choices=[q.value for q in QueryType], default="best_practice"
    )
    ask.add_argument("--max-results", type=int, default=5, metavar="N")
    ask.add_argument("--format", choices=("text", "json"), default="text")
    ask.set_defaults(handler=_ask)

    demo = commands.add_parser(
        "demo",
        help="train a few small models, log them to MLflow and diagnose them",
        description="Train five small numpy models in a few seconds (healthy, overfitting, "
        "diverging, learning rate too low, imbalanced classes; fixed seeds), log each to MLflow "
        "with deepfix_notebook.track and print DeepFix's diagnosis. With --format json, one "
        "line per run: its name, run id and AnalysisResult.",
    )
    demo.add_argument(
        "--tracking-uri",
        metavar="URI",
        help="MLflow tracking URI (default: $MLFLOW_TRACKING_URI, else the local store)",
    )
    demo.add_argument(
        "--experiment", default="deepfix-demo", metavar="NAME", help="MLflow experiment"
    )
    demo.add_argument("--format", choices=("text", "json"), default="text")
    demo.set_defaults(handler=_demo)

    serve = commands.add_parser(
        "serve",
        help="run the DeepFix REST server",
        description="Run the DeepFix analysis server (JSON logs on stderr). Settings come from "
        "DEEPFIX_* environment variables (allowed tracking URIs, API key, job store, ...).",
    )
    serve.add_argument("--host", default="127.0.0.1", help="interface (default: loopback only)")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(handler=_serve)

    worker = commands.add_parser(
        "worker",
        help="run a Celery worker for the server's jobs",
        description="Run a worker that takes analysis jobs from the broker (DEEPFIX_BROKER_URL, "
        "e.g. redis://127.0.0.1:6379/0) and writes results to the servers' job store "
        "(DEEPFIX_JOB_STORE_URL). JSON logs on stderr; Ctrl-C finishes the jobs at hand.",
    )
    worker.add_argument(
        "--concurrency",
        type=int,
        metavar="N",
        help="analyses at once (default: $DEEPFIX_WORKER_CONCURRENCY, else 2)",
    )
    worker.add_argument("--log-level", default="info", choices=("debug", "info", "warning"))
    worker.set_defaults(handler=_worker)

    report = commands.add_parser(
        "report",
        help="serve the web report of an MLflow store, or export it to one HTML file",
        description="Serve the DeepFix web report (runs with health badges, findings, annotated "
        "curves, comparisons, knowledge search) on the loopback interface; with --export, write "
        "it to one self-contained HTML file that works offline.",
    )
    report.add_argument("--tracking-uri", metavar="URI", help="MLflow tracking URI")
    report.add_argument("--experiment", metavar="NAME", help="only this experiment's runs")
    report.add_argument(
        "--backend",
        default="local",
        metavar="URL|local",
        help="what analyses runs: 'local' (embedded engine, default) or a DeepFix server URL",
    )
    report.add_argument("--host", default="127.0.0.1", help="interface (default: loopback only)")
    report.add_argument("--port", type=int, default=5006)
    report.add_argument("--show", action="store_true", help="open it in a browser")
    report.add_argument("--export", metavar="FILE", help="write an offline HTML file instead")
    report.add_argument(
        "--run",
        dest="run_ids",
        nargs="+",
        action="extend",
        default=[],
        metavar="ID",
        help="with --export: these runs (default: the newest 20)",
    )
    report.set_defaults(handler=_report)

    schema = commands.add_parser(
        "schema",
        help="print the JSON schema of a contract model",
        description="Print the JSON schema of a contract model, or list the models.",
    )
    schema.add_argument("name", nargs="?", help="model name, e.g. AnalysisResult")
    schema.set_defaults(handler=_schema)
    return parser


def _validate(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from deepfix_notebook._cli_runs import targets

    all_valid = True
    for target in targets(args, parser):
        try:
            bundle = target.load()
        except Exception as error:  # one line per run that cannot be read, never a traceback
            all_valid = False
            _emit_error(target.label, _as_artifact_error(error), args.format, sys.stdout)
            continue
        _emit_valid(bundle.summary(), args.format, sys.stdout)
    return 0 if all_valid else 1


def _analyze(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from deepfix_notebook._api import analyze
    from deepfix_notebook._cli_runs import targets
    from deepfix_notebook.artifacts import ArtifactError
    from deepfix_notebook.contract import AnalysisStatus, ErrorCode, ErrorResponse
    from deepfix_notebook.views import render_analysis

    ok = True
    for number, target in enumerate(targets(args, parser)):
        source = target.label
        try:
            result = analyze(target.load(), focus=args.focus)
        except ArtifactError as error:
            ok = False
            envelope = error.to_response()
        except Exception as error:  # one broken run must not stop the others
            ok = False
            envelope = ErrorResponse(
                error=ErrorCode.INTERNAL_SERVER_ERROR, message=f"{type(error).__name__}: {error}"
            )
        else:
            ok = ok and result.status is not AnalysisStatus.FAILED
            if args.format == "json":
                sys.stdout.write(result.model_dump_json() + "\n")
            else:
                sys.stdout.write(("\n" if number else "") + render_analysis(result) + "\n")
            continue
        envelope.details.setdefault("source", source)
        if args.format == "json":
            sys.stdout.write(envelope.model_dump_json() + "\n")
        else:
            sys.stdout.write(
                ("\n" if number else "") + f"{source}: {envelope.error.value}: {envelope.message}\n"
            )
    return 0 if ok else 1


def _ask(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from pydantic import ValidationError

    from deepfix_notebook._api import ask
    from deepfix_notebook.views import render_knowledge

    try:
        response = ask(
            args.question,
            domain=args.domain,
            query_type=args.query_type,
            max_results=args.max_results,
        )
    except ValidationError as error:
        parser.exit(2, f"deepfix ask: {error.errors()[0]['msg']}\n")
    if args.format == "json":
        print(response.model_dump_json())
    else:
        print(render_knowledge(response))
    return 0


def _demo(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from deepfix_notebook._demo import SCENARIOS, render, seed_runs
    from deepfix_notebook.artifacts import ArtifactError, resolve_tracking_uri

    if not args.experiment.strip():
        parser.error("demo: --experiment needs a name, e.g. --experiment deepfix-demo")
    uri = resolve_tracking_uri(args.tracking_uri)
    if args.format == "text":
        print(f"Training and diagnosing {len(SCENARIOS)} small numpy models; runs go to {uri}\n")
    try:
        for run in seed_runs(uri, experiment=args.experiment):
            if args.format == "json":
                line = {"run_name": run.scenario.name, "run_id": run.run_id}
                print(json.dumps({**line, "result": run.result.model_dump(mode="json")}))
            else:
                print(render(run) + "\n", flush=True)
    except ArtifactError as error:
        parser.exit(1, f"deepfix demo: {error.message}\n")
    if args.format == "text":
        where = f" --tracking-uri {args.tracking_uri}" if args.tracking_uri else ""
        print(
            f"A full report: deepfix analyze --run-id RUN_ID{where}\n"
            f"In Jupyter:    %deepfix runs --experiment {args.experiment}"
        )
    return 0


def _emit_valid(summary: dict[str, Any], fmt: str, out: TextIO) -> None:
    if fmt == "json":
        out.write(json.dumps({"valid": True, **summary}, default=str) + "\n")
        return
    metrics, dataset = summary["metrics"], summary["dataset"]
    lines = [f"valid    {summary['source']}  ({summary['layout']} layout)"]
    lines.append(f"  artifacts  {', '.join(summary['files'])}")
    if metrics["format"]:
        axis = "step and epoch" if metrics["has_epoch"] else "step"
        lines.append(f"  metrics    {metrics['format']}, {metrics['steps']} steps by {axis}")
        width = max(len(name) for name in metrics["recognised"])
        for name, info in metrics["recognised"].items():
            source = "" if info["source"] == name else f"  (logged as {info['source']})"
            lines.append(f"             {name:<{width}}  {info['rows']:>8} rows{source}")
        lines.extend(f"             note: {note}" for note in metrics["notes"])
    if summary["params"]:
        pairs = ", ".join(f"{k}={v}" for k, v in summary["params"].items())
        lines.append(f"  params     {pairs}")
    if dataset:
        lines.append("  dataset    " + ", ".join(f"{k}={v}" for k, v in dataset.items()))
    if summary["deepchecks"]:
        suites = ", ".join(f"{s} ({n} checks)" for s, n in summary["deepchecks"].items())
        lines.append(f"  deepchecks {suites}")
    lines.extend(f"  warning    {warning}" for warning in summary["warnings"])
    out.write("\n".join(lines) + "\n")


def _as_artifact_error(error: Exception) -> Any:
    """``error`` as an `ArtifactError`: an unexpected one is an internal error, by its text."""
    from deepfix_notebook.artifacts import ArtifactError
    from deepfix_notebook.contract import ErrorCode

    if isinstance(error, ArtifactError):
        return error
    return ArtifactError(ErrorCode.INTERNAL_SERVER_ERROR, f"{type(error).__name__}: {error}")


def _emit_error(source: str, error: Any, fmt: str, out: TextIO) -> None:
    envelope = error.to_response().model_dump(mode="json")
    if fmt == "json":
        out.write(json.dumps({"valid": False, "source": source, **envelope}) + "\n")
        return
    where = ":".join(part for part in (error.file, error.field) if part)
    lines = [f"INVALID  {source}", f"  error      {error.code.value}"]
    if where:
        lines.append(f"  where      {where}")
    lines.append(f"  message    {error.message}")
    out.write("\n".join(lines) + "\n")


def _serve(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    try:
        from deepfix_notebook.server import serve
    except ImportError as exc:
        parser.error(
            f"the server needs: pip install 'deepfix-notebook[server]' ({exc.name} missing)"
        )
    serve(args.host, args.port, args.workers)
    return 0


def _worker(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    try:
        import celery  # noqa: F401

        from deepfix_notebook.server import Settings, run_worker
    except ImportError as exc:
        parser.error(
            f"the worker needs: pip install 'deepfix-notebook[worker]' ({exc.name} missing)"
        )
    settings = Settings()
    if not settings.broker_url:
        parser.error(
            "set DEEPFIX_BROKER_URL to the broker jobs are queued in, e.g. "
            "DEEPFIX_BROKER_URL=redis://127.0.0.1:6379/0 deepfix worker"
        )
    if args.concurrency is not None and args.concurrency < 1:
        parser.error(f"--concurrency must be at least 1, got {args.concurrency}")
    run_worker(settings, concurrency=args.concurrency, log_level=args.log_level)
    return 0


def _report(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from deepfix_notebook.artifacts import ArtifactError
    from deepfix_notebook.report import ReportError, report_command

    try:
        return report_command(
            tracking_uri=args.tracking_uri,
            experiment=args.experiment,
            backend=args.backend,
            host=args.host,
            port=args.port,
            show=args.show,
            export=args.export,
            run_ids=args.run_ids,
        )
    except ReportError as error:
        parser.exit(2, f"deepfix report: {error}\n")
    except ArtifactError as error:
        parser.exit(1, f"deepfix report: {error.message}\n")


def _schema(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from deepfix_notebook.contract import json_schema, json_schemas

    if args.name is None:
        print("\n".join(sorted(json_schemas())))
        return 0
    try:
        print(json.dumps(json_schema(args.name), indent=2))
    except KeyError as exc:
        parser.exit(2, f"deepfix schema: {exc.args[0]}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
