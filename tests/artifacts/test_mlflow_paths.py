"""Path safety of the MLflow download: a listing that tries to leave the temp root.

MLflow refuses to log artifacts with ``..``, so a real store cannot produce these listings: a
stand-in client (listing + download) is used here, and only here.
"""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass
from pathlib import Path

import pytest

from deepfix_notebook.artifacts import ArtifactError
from deepfix_notebook.artifacts import _mlflow as mlflow_module
from deepfix_notebook.contract import ErrorCode

RUN = "0123456789abcdef0123456789abcdef"
URI = "sqlite:///unused.db"
METRICS_CSV = "step,epoch,train_loss\n0,0,1.0\n1,1,0.8\n2,2,0.6\n"
PARAMS_YAML = "learning_rate: 0.01\n"
EVIL = ("training_artifacts/../../evil.csv", "/etc/passwd", "deepfix/../../x")


@dataclass(frozen=True)
class Entry:
    path: str
    is_dir: bool


class FakeClient:
    """``list_artifacts`` answers from ``listing``; ``download_artifacts`` writes the file where it
    is told: like MLflow, a single file lands at ``<dst>/<basename>`` (``naive=True``: at
    ``<dst>/<path>``, as a careless store would), but never outside ``sandbox``: such a write is
    recorded in ``escapes`` and refused, so a failing guard cannot touch the real filesystem."""

    def __init__(
        self, listing: dict[str | None, list[Entry]], sandbox: Path, *, naive: bool = False
    ) -> None:
        self.listing = listing
        self.sandbox = sandbox.resolve()
        self.naive = naive
        self.listed: list[str | None] = []
        self.downloads: list[tuple[str, str]] = []
        self.escapes: list[str] = []

    def list_artifacts(self, run_id: str, path: str | None = None) -> list[Entry]:
        assert run_id == RUN
        self.listed.append(path)
        return self.listing.get(path, [])

    def download_artifacts(self, run_id: str, path: str, dst: str) -> str:
        assert run_id == RUN
        self.downloads.append((path, dst))
        relative = path if self.naive else posixpath.basename(path)
        target = Path(os.path.normpath(Path(dst) / relative))
        if not target.is_relative_to(self.sandbox):
            self.escapes.append(str(target))
            raise AssertionError(f"the guard let a download escape to {target}")
        target.parent.mkdir(parents=True, exist_ok=True)
        content = {"metrics.csv": METRICS_CSV, "params.yaml": PARAMS_YAML}.get(
            posixpath.basename(path), "evil"
        )
        target.write_text(content, encoding="utf-8")
        return str(target)


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def sandbox(tmp_path: Path) -> tuple[Path, Path]:
    """``(sandbox, root)``: the temp root sits three levels inside the sandbox, so ``../..``
    escapes stay observable inside it."""
    root = tmp_path / "sandbox" / "a" / "b" / "root"
    root.mkdir(parents=True)
    return tmp_path / "sandbox", root


GOOD = ("training_artifacts/metrics.csv", "training_artifacts/params.yaml")


def _listing(evil: str | None = None) -> dict[str | None, list[Entry]]:
    """The layout folders with two good files; ``evil`` is listed before them wherever a path
    can appear: at the top (as a file and as a folder) and inside each layout folder."""
    bad = [] if evil is None else [Entry(evil, False), Entry(evil, True)]
    return {
        None: [*bad, Entry("training_artifacts", True), Entry("deepfix", True)],
        "training_artifacts": [*bad, *(Entry(path, False) for path in GOOD)],
        "deepfix": list(bad),
        **({} if evil is None else {evil: [Entry(evil, False), Entry(f"{evil}/y", False)]}),
    }


@pytest.mark.parametrize("naive", [False, True], ids=["mlflow-like", "naive-store"])
@pytest.mark.parametrize("evil", EVIL)
def test_escaping_paths_never_write_outside_the_root(
    sandbox: tuple[Path, Path], evil: str, naive: bool
) -> None:
    box, root = sandbox
    client = FakeClient(_listing(evil), box, naive=naive)

    try:
        files = mlflow_module._download_layout(client, RUN, root, URI)
    except ArtifactError as exc:  # refusing the whole run is fine too
        assert exc.code is ErrorCode.ARTIFACT_INVALID
    else:
        assert not naive, "a store that writes <dst>/<path> misplaces good files: refuse it"
        assert files == GOOD  # the bad entry was skipped, the good ones kept
        assert _files(root) == set(GOOD)

    assert client.escapes == []
    assert all(path in GOOD for path, _ in client.downloads), client.downloads
    for _, dst in client.downloads:
        assert Path(dst).resolve().is_relative_to(root.resolve())
    # Nothing at all was written outside the temp root (the sandbox holds any ../.. escape).
    outside = {p for p in _files(box) if not (box / p).resolve().is_relative_to(root.resolve())}
    assert outside == set()
    assert not Path("/etc/passwd").read_text(encoding="utf-8", errors="replace").startswith("evil")


def test_good_listing_downloads_and_parses(sandbox: tuple[Path, Path]) -> None:
    """Positive control: the stand-in and the guard let a clean layout through, and it parses."""
    from deepfix_notebook.artifacts import ArtifactBundle
    from deepfix_notebook.artifacts._directory import read_root

    box, root = sandbox
    client = FakeClient(_listing(), box)
    files = mlflow_module._download_layout(client, RUN, root, URI)
    assert files == GOOD
    bundle = ArtifactBundle(source=f"runs:/{RUN}", run_id=RUN, files=files)
    read_root(root, bundle)
    assert bundle.metrics is not None
    assert bundle.metrics.series("train_loss")[2].tolist() == [1.0, 0.8, 0.6]
    assert bundle.params is not None and bundle.params.learning_rate == 0.01


def test_symlinked_layout_folder_out_of_root_is_refused(sandbox: tuple[Path, Path]) -> None:
    box, root = sandbox
    outside = box / "outside"
    outside.mkdir()
    (root / "training_artifacts").symlink_to(outside, target_is_directory=True)
    client = FakeClient(_listing(), box)

    with pytest.raises(ArtifactError) as info:
        mlflow_module._download_layout(client, RUN, root, URI)

    assert info.value.code is ErrorCode.ARTIFACT_INVALID
    assert list(outside.iterdir()) == []
    assert client.downloads == []


def test_store_that_writes_elsewhere_is_artifact_invalid(sandbox: tuple[Path, Path]) -> None:
    box, root = sandbox

    class Misplacing(FakeClient):
        def download_artifacts(self, run_id: str, path: str, dst: str) -> str:
            target = root / "misplaced.csv"
            target.write_text(METRICS_CSV, encoding="utf-8")
            return str(target)

    listing = {
        None: [Entry("training_artifacts", True)],
        "training_artifacts": [Entry("training_artifacts/metrics.csv", False)],
    }

    with pytest.raises(ArtifactError) as info:
        mlflow_module._download_layout(Misplacing(listing, box), RUN, root, URI)

    assert info.value.code is ErrorCode.ARTIFACT_INVALID
    assert info.value.file == "training_artifacts/metrics.csv"


def test_cyclic_listing_terminates(sandbox: tuple[Path, Path]) -> None:
    """A folder that lists itself forever must end (depth and file budget), not recurse away."""
    box, root = sandbox

    class Cyclic(FakeClient):
        def list_artifacts(self, run_id: str, path: str | None = None) -> list[Entry]:
            self.listed.append(path)
            if path is None:
                return [Entry("deepfix", True)]
            return [Entry(f"{path}/again", True), Entry(f"{path}/file.txt", False)]

    client = Cyclic({}, box)
    assert mlflow_module._download_layout(client, RUN, root, URI) == ()
    assert 1 < len(client.listed) <= mlflow_module.MAX_ARTIFACT_FILES
    assert client.downloads == []
