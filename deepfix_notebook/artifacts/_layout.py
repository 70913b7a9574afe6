"""Where each artifact lives under a run's root (CONTRACT.md §1), including older layouts."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from deepfix_notebook.artifacts._errors import invalid

METRICS = "training_artifacts/metrics.csv"
PARAMS = "training_artifacts/params.yaml"
DATASET = "dataset/metadata.yaml"
STATISTICS = "dataset/statistics.json"
DEEPCHECKS = "deepchecks/results.yaml"
DEEPCHECKS_CONFIG = "deepchecks/config.yaml"
ANALYSIS = "deepfix/analysis.json"
# Older layouts, read but never written.
LEGACY_METRICS = "metrics.csv"
LEGACY_PARAMS = "params.yaml"
LEGACY_TRAINING_YAML = "training_artifacts/training_artifacts.yaml"
LEGACY_DATASET = "dataset/dataset.yaml"
LEGACY_DEEPCHECKS = "deepchecks/deepchecks.yaml"

KNOWN_FILES = (
    METRICS,
    PARAMS,
    DATASET,
    STATISTICS,
    DEEPCHECKS,
    DEEPCHECKS_CONFIG,
    ANALYSIS,
    LEGACY_METRICS,
    LEGACY_PARAMS,
    LEGACY_TRAINING_YAML,
    LEGACY_DATASET,
    LEGACY_DEEPCHECKS,
)
# Folders of the layout; what an MLflow download fetches (best_checkpoint/ is never fetched).
KNOWN_DIRS = ("training_artifacts", "dataset", "deepchecks", "deepfix")


def safe_relative(path: str, *, file: str) -> PurePosixPath:
    """``path`` as a relative path that cannot leave its root (no ``..``, not absolute)."""
    candidate = PurePosixPath(path.replace("\\", "/"))
    drive = bool(candidate.parts) and ":" in candidate.parts[0]  # C:\\ on Windows
    if candidate.is_absolute() or ".." in candidate.parts or drive or not candidate.parts:
        raise invalid(
            f"The path {path!r} leaves the run's artifact root; use a path relative to it.",
            file=file,
            field="path",
            value=path,
        )
    return candidate


def inside(root: Path, relative: PurePosixPath, *, file: str) -> Path:
    """``root / relative``, resolved, refused when a symlink takes it outside ``root``."""
    target = (root / relative).resolve()
    if not target.is_relative_to(root.resolve()):
        raise invalid(
            f"{relative} points outside the run's artifact root.", file=file, value=str(relative)
        )
    return target
