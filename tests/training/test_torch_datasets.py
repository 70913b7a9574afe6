"""`describe_dataset` on torch datasets and data loaders: bounded seeded samples, labels from
items or from the dataset, per-channel statistics of N x C x H x W images."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch.utils.data import DataLoader, Dataset, IterableDataset, Subset, TensorDataset  # noqa: E402

from deepfix_notebook.artifacts import bundle_from_memory  # noqa: E402
from deepfix_notebook.training import TrackedRun, describe_dataset  # noqa: E402


class Images(Dataset[dict[str, Any]]):
    """Dict items ``{"image": 3 x 8 x 8 tensor, "label": int}``; channel c holds about 10 * c.
    Counts how many items were read."""

    def __init__(self, n: int, labels: list[int]) -> None:
        self.n, self.labels, self.reads = n, labels, 0

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, index: int) -> dict[str, Any]:
        self.reads += 1
        g = torch.Generator().manual_seed(index)
        image = torch.randn(3, 8, 8, generator=g) + torch.tensor([0.0, 10.0, 20.0])[:, None, None]
        return {"image": image, "label": self.labels[index % len(self.labels)]}


def test_tensor_dataset_images_per_channel_and_all_labels() -> None:
    images = torch.zeros(60, 3, 4, 4)
    for channel in range(3):
        images[:, channel] = channel * 10.0
    images[:, 2, 0, 0] = 40.0  # one pixel per image in channel 2: std > 0
    labels = torch.tensor([0] * 40 + [1] * 15 + [2] * 5)
    metadata, statistics = describe_dataset(features=TensorDataset(images, labels), name="t")
    assert metadata["num_train_samples"] == 60
    assert metadata["class_counts"] == {"0": 40, "1": 15, "2": 5}
    assert metadata["imbalance_ratio"] == 8.0 and metadata["num_classes"] == 3
    assert statistics["train_mean"] == pytest.approx([0.0, 10.0, 21.25])
    assert statistics["train_std"][:2] == [0.0, 0.0] and statistics["train_std"][2] > 0


def test_large_dataset_is_sampled_and_counts_are_scaled_to_its_size() -> None:
    labels = [0] * 9 + [1]  # 90% / 10%
    dataset = Images(5000, labels)
    metadata, statistics = describe_dataset(features=dataset, max_items=400)
    assert dataset.reads == 400  # bounded
    assert metadata["num_train_samples"] == 5000
    assert metadata["class_counts_estimated_from"] == 400
    counts = metadata["class_counts"]
    assert sum(counts.values()) == 5000 and counts["0"] == pytest.approx(4500, rel=0.05)
    assert statistics["train_mean"] == pytest.approx([0.0, 10.0, 20.0], abs=0.05)
    assert statistics["train_std"] == pytest.approx([1.0, 1.0, 1.0], abs=0.05)
    again, _ = describe_dataset(features=Images(5000, labels), max_items=400)
    assert again == metadata  # a fixed seed: the same sample every time


def test_a_data_loader_is_read_through_its_dataset_whatever_its_shuffling() -> None:
    dataset = Images(300, [0, 1, 1])
    expected = describe_dataset(features=dataset, max_items=100)
    loader = DataLoader(Images(300, [0, 1, 1]), batch_size=16, shuffle=True)
    assert describe_dataset(features=loader, max_items=100) == expected
    meta, stats = describe_dataset(
        features=loader, val_features=DataLoader(Images(50, [0, 1])), max_items=100
    )
    assert meta["num_val_samples"] == 50 and len(stats["val_mean"]) == 3


def test_subset_labels_come_from_the_parent_dataset() -> None:
    x, y = torch.randn(100, 5), torch.arange(100) % 4
    subset = Subset(TensorDataset(x, y), list(range(0, 100, 2)))  # labels 0 and 2 only
    metadata, statistics = describe_dataset(features=subset, max_items=10)
    assert metadata["class_counts"] == {"0": 25, "2": 25}
    assert "class_counts_estimated_from" not in metadata  # exact, from the parent's tensors
    assert len(statistics["train_mean"]) == 5  # per feature


def test_iterable_dataset_gives_its_first_items() -> None:
    class Stream(IterableDataset[tuple[Any, int]]):
        def __iter__(self) -> Any:
            for i in range(10_000):
                yield torch.full((2,), float(i % 2)), i % 2

    metadata, statistics = describe_dataset(features=Stream(), max_items=200)
    assert metadata["class_counts"] == {"0": 100, "1": 100}
    assert statistics["train_mean"] == pytest.approx([0.5, 0.5])


def test_explicit_labels_and_class_names_win() -> None:
    data = TensorDataset(torch.randn(6, 2), torch.tensor([0, 0, 1, 1, 1, 1]))
    metadata, _ = describe_dataset(["a", "b", "b"], features=data)
    assert metadata["class_counts"] == {"a": 1, "b": 2} and metadata["num_train_samples"] == 3
    metadata, _ = describe_dataset(features=data, class_names=["cat", "dog"])
    assert metadata["class_counts"] == {"cat": 2, "dog": 4}


def test_items_that_are_not_numbers_are_a_clear_error() -> None:
    class Texts(Dataset[tuple[str, int]]):
        def __len__(self) -> int:
            return 3

        def __getitem__(self, index: int) -> tuple[str, int]:
            return "some text", 1

    with pytest.raises(TypeError, match="dataset inputs must be numeric"):
        describe_dataset(features=Texts())
    with pytest.raises(ValueError, match="max_items"):
        describe_dataset(features=TensorDataset(torch.zeros(3, 1)), max_items=0)


def test_metadata_from_a_torch_dataset_is_what_the_engine_reads() -> None:
    run = TrackedRun()
    run.log_dataset(features=Images(2000, [0] * 19 + [1]), name="imbalanced")
    assert run.dataset is not None and run.statistics is not None
    bundle = bundle_from_memory(
        {"train_loss": [1.0, 0.8, 0.6]}, dataset=run.dataset, statistics=run.statistics
    )
    assert bundle.dataset is not None
    assert bundle.dataset.imbalance_ratio == pytest.approx(19, rel=0.3)
    assert bundle.dataset.statistics["train_mean"] == pytest.approx([0, 10, 20], abs=0.1)
    assert not any("add up to" in w for w in bundle.warnings)
    assert np.isfinite(bundle.dataset.statistics["train_std"]).all()
