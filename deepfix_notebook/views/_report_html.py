"""HTML fragments of the web report: health badges and their legend, notices, a run's header,
what a run lacks for a diagnosis. Pure strings, built with `_markup`; the Panel panes that show
them are in `report/`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal

from deepfix_notebook.views._markup import Markup, html, join
from deepfix_notebook.views._theme import SEVERITY_COLOURS

if TYPE_CHECKING:
    from deepfix_notebook.artifacts import ArtifactBundle

NoticeKind = Literal["info", "warning", "error"]
HealthBadge = Literal[
    "logged", "computed", "reading", "analysing", "not-analysed", "no-artifacts", "error"
]
_HEALTH_WORDS: dict[str, tuple[str, str]] = {
    "reading": ("…", "Reading the run."),
    "analysing": (
        "analysing…",
        "No analysis logged with the run: the local engine is analysing it for display "
        "(nothing is written to the run).",
    ),
    "not-analysed": (
        "not analysed",
        "No analysis logged with the run. Open it and press Analyze on the Run page: the "
        "backend analyses it and the result is saved to the run.",
    ),
    "no-artifacts": ("no artifacts", "Nothing DeepFix can analyse was logged with this run."),
    "error": ("error", "No health: the run could not be read or analysed."),
}

_NOTICE_COLOURS = {"info": "#0969da", "warning": SEVERITY_COLOURS["medium"], "error": "#cf222e"}
_GREY = "#6e7781"

BADGE_CSS = (
    ".df-badge{display:inline-block;color:#fff;border-radius:9px;padding:0 7px;margin-right:4px;"
    "font-size:0.85em;font-weight:600;line-height:1.6;white-space:nowrap;"
    "border:1.5px solid var(--df-colour);background:var(--df-colour)}"
    f".df-high{{--df-colour:{SEVERITY_COLOURS['high']}}}"
    f".df-medium{{--df-colour:{SEVERITY_COLOURS['medium']}}}"
    f".df-zero{{--df-colour:{_GREY}}}"
    # Computed for display, not logged: outlined, so the two never look alike.
    ".df-computed .df-badge{background:#fff;color:var(--df-colour);border-style:dashed}"
    ".df-none{color:#6e7781;white-space:nowrap}"
    ".df-legend{font-family:system-ui,sans-serif;font-size:13px;color:#59636e;line-height:1.9}"
)
"""Styles of the health badges: given to the runs table (its cells live in its shadow root)."""

NOTICE_CSS = (
    ".df-notice{border-left:4px solid var(--df-colour);background:#f6f8fa;color:#1f2328;"
    "padding:8px 12px;border-radius:4px;font-family:system-ui,sans-serif;font-size:14px;"
    "overflow-wrap:anywhere}"
    ".df-notice code,.df-help code{font-family:ui-monospace,monospace;background:#eaeef2;"
    "border-radius:3px;padding:0 3px}"
    ".df-help{font-family:system-ui,sans-serif;font-size:14px;color:#1f2328;overflow-wrap:anywhere}"
    ".df-help pre{background:#f6f8fa;border:1px solid #d1d9e0;border-radius:4px;padding:6px 8px;"
    "white-space:pre-wrap}"
    ".df-help dt{font-weight:600;margin-top:6px}.df-help dd{margin:2px 0 6px 16px}"
    ".df-muted{color:#59636e}"
)


def health_html(
    state: HealthBadge, counts: Mapping[str, int] | None = None, *, note: str | None = None
) -> str:
    """The health cell of a run: badges counting its high and medium findings, solid for an
    analysis logged with the run, outlined for one computed for display only; otherwise a word
    saying why there are none. ``note`` (escaped) is added to the tooltip."""
    if state in {"logged", "computed"}:
        if counts is None:
            raise ValueError(f"a {state!r} health cell needs the counts of findings")
        origin = (
            "from the analysis logged with the run (deepfix/analysis.json)"
            if state == "logged"
            else "computed for display, not saved to the run"
        )
        title = f"{_counts_text(counts)}, {origin}" + (f". {note}" if note else "")
        badges = []
        for severity in ("high", "medium"):
            count = int(counts.get(severity, 0))
            badges.append(
                html(
                    '<span class="df-badge df-{}">{} {}</span>',
                    severity if count else "zero",
                    count,
                    severity,
                )
            )
        return str(html('<span class="df-{}" title="{}">{}</span>', state, title, join(badges)))
    word, tip = _HEALTH_WORDS[state]
    if note:
        tip = f"{tip} {note}"
    return str(html('<span class="df-none df-{0}" title="{1}">{2}</span>', state, tip, word))


def health_legend_html(*, backend: str, computed: bool, exported: bool = False) -> str:
    """What the health column shows: which badges come from an analysis logged with the run and
    which from one computed for display (``computed``: by ``backend``, the local engine of a
    served report, or whatever analysed an ``exported`` file's runs), and what the words mean."""
    logged = Markup(health_html("logged", {"high": 1, "medium": 2}))
    display = Markup(health_html("computed", {"high": 0, "medium": 1}))
    parts = [html("Health: findings of high and medium severity. {} logged with the run", logged)]
    if computed and exported:
        parts.append(
            html(
                "{} analysed by <code>{}</code> for this file, not saved to the run",
                display,
                backend,
            )
        )
    elif computed:
        parts.append(
            html(
                "{} computed for display by the local engine, not saved: Analyze on the Run page "
                "saves it. <i>analysing…</i>: being computed",
                display,
            )
        )
    elif not exported:
        parts.append(
            html(
                "<i>not analysed</i>: no analysis logged; open the run and press Analyze (it "
                "runs on <code>{}</code> and is saved to the run)",
                backend,
            )
        )
    return str(html("<div class='df-legend'>{}.</div>", join(parts, " · ")))


def _counts_text(counts: Mapping[str, int]) -> str:
    return ", ".join(
        f"{int(counts.get(severity, 0))} {severity}-severity finding(s)"
        for severity in ("high", "medium", "low")
    )


def notice_html(text: str, kind: NoticeKind = "info", *, title: str | None = None) -> str:
    """A one-paragraph message; ``text`` and ``title`` are escaped."""
    return _str_html(
        '<div class="df-notice df-{}" role="{}" style="--df-colour:{}">{}{}</div>',
        kind,
        "alert" if kind == "error" else "status",
        _NOTICE_COLOURS[kind],
        html("<b>{}</b> ", title) if title else "",
        text,
    )


def run_header_html(
    name: str,
    run_id: str,
    *,
    experiment: str | None = None,
    status: str | None = None,
    started: str | None = None,
    params: Mapping[str, object] | None = None,
    source: str | None = None,
) -> str:
    """A run's name, id, experiment, status, parameters, and where its analysis came from."""
    facts = [html("<code>{}</code>", run_id), *(v for v in (experiment, status, started) if v)]
    out = [html("<h2 style='margin:0'>{}</h2><p class='df-muted'>{}</p>", name, join(facts, " · "))]
    if params:
        shown = [html("<code>{}={}</code>", k, v) for k, v in params.items()]
        out.append(html("<p>Parameters: {}</p>", join(shown, " ")))
    if source:
        out.append(html("<p class='df-muted'>{}</p>", source))
    return str(html("<div class='df-help'>{}</div>", join(out)))


def artifacts_html(
    run_id: str, bundle: ArtifactBundle | None, error: str | None = None
) -> str | None:
    """What a run lacks for a diagnosis and how to log it; None when nothing important is missing.

    ``error`` is the message of a run that could not be read at all.
    """
    missing: list[tuple[str, str]] = []
    if bundle is None or bundle.metrics is None:
        missing.append(
            (
                "Metrics per step or epoch (training_artifacts/metrics.csv or MLflow metric "
                "history): needed for any training diagnosis.",
                "import deepfix_notebook as dfx\n"
                f'dfx.log_run(metrics={{"step": [...], "train_loss": [...], "val_loss": [...]}},'
                f' run_id="{run_id}")\n'
                '# or, during training: mlflow.log_metric("train_loss", value, step=step)',
            )
        )
    if bundle is None or bundle.params is None:
        missing.append(
            (
                "Hyperparameters (training_artifacts/params.yaml or MLflow params): they turn "
                "advice into numbers (e.g. a learning rate to try).",
                'mlflow.log_params({"learning_rate": 1e-3, "batch_size": 32, "optimizer": "adam"})',
            )
        )
    if bundle is None or bundle.dataset is None:
        missing.append(
            (
                "Dataset metadata (dataset/metadata.yaml): sizes and class counts, for the "
                "dataset checks.",
                'dfx.log_run(metrics=..., run_id="' + run_id + '", dataset={"dataset_name": '
                '"my-data", "num_train_samples": 1000, "num_classes": 3})\n'
                '# or, in a tracked run: run.log_dataset(y_train, name="my-data")',
            )
        )
    if not missing and error is None:
        return None
    out = []
    if error is not None:
        out.append(html("<p><b>This run cannot be read:</b> {}</p>", error))
    if missing:
        rows = join(html("<dt>{}</dt><dd><pre>{}</pre></dd>", what, how) for what, how in missing)
        out.append(html("<p><b>Missing for a full diagnosis:</b></p><dl>{}</dl>", rows))
    return str(html("<div class='df-help deepfix-missing'>{}</div>", join(out)))


def report_header_html(
    where: str,
    tracking_uri: str,
    backend: str | None,
    *,
    runs: int | None = None,
    exported: str | None = None,
) -> str:
    """The report's title line: whose runs (``runs`` of them), which store, which backend, and
    when the file was ``exported``."""
    counted = (
        html("{} run(s) of {}", runs, where) if runs is not None else html("runs of {}", where)
    )
    line = [html("{} in <code>{}</code>", counted, tracking_uri)]
    if backend is not None:
        line.append(html("analyses by <code>{}</code>", backend))
    if exported is not None:
        line.append(html("exported {}", exported))
    return _str_html(
        "<div class='df-help' style='display:flex;gap:16px;align-items:baseline;flex-wrap:wrap'>"
        "<h1 style='margin:8px 0;font-size:1.5em'>DeepFix report</h1>"
        "<span class='df-muted'>{}</span></div>",
        join(line, " · "),
    )


def muted_html(text: str) -> str:
    """A short status line in muted type (``text`` is escaped)."""
    return _str_html("<span class='df-muted'>{}</span>", text)


def _str_html(template: str, *args: object) -> str:
    return str(html(template, *args))
