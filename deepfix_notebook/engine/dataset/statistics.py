"""Rules over input statistics: inputs far from normalised, and splits that differ."""

from __future__ import annotations

import math
from collections.abc import Mapping

from deepfix_notebook.artifacts import DatasetInfo
from deepfix_notebook.contract import Analysis, FaultTarget, ProblemCode, Severity
from deepfix_notebook.engine._agent import issue
from deepfix_notebook.engine._curves import fmt
from deepfix_notebook.engine._thresholds import declare, document
from deepfix_notebook.engine.dataset._facts import FAMILY, DatasetFacts

T = FaultTarget
P = ProblemCode

# Unnormalised inputs, after the standardisation advice of LeCun et al., "Efficient BackProp"
# (1998): inputs should have mean ~0 and similar, ~unit variances.
RAW_SCALE = declare(
    "raw_scale",
    10.0,
    unit="|mean| or std",
    family=FAMILY,
    source="own: not a standardised or [0, 1] scale (raw 0-255 pixels have means ~100-130)",
    doc="a training mean or std beyond this is a raw scale (medium)",
)
OFFSET_STDS = declare(
    "offset_stds",
    3.0,
    unit="standard deviations",
    family=FAMILY,
    source="own choice",
    doc="a mean beyond this many stds (and beyond offset_min) is off-centre (low)",
)
OFFSET_MIN = declare(
    "offset_min",
    1.0,
    unit="|mean|",
    family=FAMILY,
    source="own: lets [0, 1] pixels (mean ~0.45, std ~0.25) pass",
    doc="an off-centre mean must also be beyond this",
)
TINY_STD = declare(
    "tiny_std",
    0.01,
    unit="std",
    family=FAMILY,
    source="own choice",
    doc="a feature or channel with a std below this is near-constant (low)",
)
# Train/test shift: the standardised mean difference d = |m_test - m_train| / s_train.
SHIFT_D = declare(
    "shift_d",
    0.25,
    unit="standardised mean difference d",
    family=FAMILY,
    source="Cohen 1988: d = 0.2 is small, 0.5 medium; 0.25 is small-to-medium",
    doc="a train/test or train/val d above this (and above the noise) is a medium shift",
)
SHIFT_D_HIGH = declare(
    "shift_d_high",
    0.8,
    unit="standardised mean difference d",
    family=FAMILY,
    source="Cohen 1988: a large effect",
    doc="a shift with d above this is high",
)
SHIFT_NOISE_Z = declare(
    "shift_noise_z",
    3.0,
    unit="standard errors of d",
    family=FAMILY,
    source=(
        "Hedges & Olkin 1985: d has a standard error of about sqrt(1/n1 + 1/n2); 3 of them "
        "since many features are compared at once"
    ),
    doc="a d must also exceed this many standard errors to count as a shift",
)
STD_RATIO_LOW = declare(
    "std_ratio_low",
    0.5,
    unit="std ratio (other split / train)",
    family=FAMILY,
    source="own: a two-fold difference in spread",
    doc="a std ratio below this is a shift in spread (medium)",
)
STD_RATIO_HIGH = declare(
    "std_ratio_high",
    2.0,
    unit="std ratio (other split / train)",
    family=FAMILY,
    source="own: a two-fold difference in spread",
    doc="a std ratio above this is a shift in spread (medium)",
)


def _listing(values: Mapping[str, float], limit: int = 6) -> str:
    shown = [fmt(v) for v in list(values.values())[:limit]]
    return "[" + ", ".join(shown) + (", ..." if len(values) > limit else "") + "]"


document(
    "unnormalized_inputs",
    family=FAMILY,
    condition="training |mean| > 10 or std > 10 per channel/feature",
    severity="medium",
    source='LeCun et al., "Efficient BackProp", 1998; own',
)
document(
    "unnormalized_inputs",
    family=FAMILY,
    condition="|mean| > 3 std and > 1, or std < 0.01",
    severity="low",
    source="own",
)


def unnormalized_inputs(facts: DatasetFacts) -> list[Analysis]:
    train = facts.stats.get("train", {})
    means, stds = train.get("mean", {}), train.get("std", {})
    if not means:
        return []
    raw_scale, off_centre, constant = [], [], []
    for name, m in means.items():
        s = stds.get(name)
        if abs(m) > RAW_SCALE or (s is not None and s > RAW_SCALE):
            raw_scale.append(name)
        elif s is not None and s > 0 and abs(m) > OFFSET_STDS * s and abs(m) > OFFSET_MIN:
            off_centre.append(name)
        elif s is not None and 0 <= s < TINY_STD:
            constant.append(name)
    if not (raw_scale or off_centre or constant):
        return []
    shown = (raw_scale + off_centre + constant)[:3]
    parts = [
        f"{name}: mean {fmt(means[name])}" + (f", std {fmt(stds[name])}" if name in stds else "")
        for name in shown
    ]
    flagged = len(raw_scale) + len(off_centre) + len(constant)
    kinds = []
    if raw_scale:
        kinds.append(f"{len(raw_scale)} on a raw scale (|mean| or std above {fmt(RAW_SCALE)})")
    if off_centre:
        kinds.append(f"{len(off_centre)} off-centre (|mean| above {fmt(OFFSET_STDS)} stds)")
    if constant:
        kinds.append(f"{len(constant)} near-constant (std below {fmt(TINY_STD)})")
    evidence = (
        f"Training statistics of {flagged} of {len(means)} features/channels are far from "
        f"normalised — {'; '.join(kinds)}: {'; '.join(parts)}."
    )
    subtract = {k: means[k] for k in means if k in stds}
    action = "Standardise each feature/channel with the training statistics"
    if subtract:
        action += (
            f": subtract mean {_listing(subtract)} and divide by std "
            f"{_listing({k: stds[k] for k in subtract})}"
        )
    action += (
        " (torchvision transforms.Normalize or sklearn StandardScaler fitted on the training "
        "split only, applied unchanged to validation and test)"
    )
    if facts.is_image and any(abs(means[n]) > RAW_SCALE for n in raw_scale):
        action += "; for 0-255 pixels divide by 255 first"
    if constant:
        action += f"; drop or inspect the near-constant {', '.join(constant[:3])}"
    return [
        issue(
            P.UNNORMALIZED_INPUTS,
            description="Input statistics are far from normalised.",
            evidence=evidence,
            severity=Severity.MEDIUM if raw_scale else Severity.LOW,
            confidence=0.6 if raw_scale else 0.5,
            action=action + ".",
            rationale=(
                "Inputs with large or very different scales make the loss surface ill-conditioned: "
                "gradients are dominated by the largest features, activations saturate, and the "
                "usable learning rate shrinks. These statistics may predate a normalisation in "
                "the input pipeline; if so, this is already handled."
            ),
            targets=[T.NORMALIZATION, T.DATA_PREPROCESSING],
        )
    ]


document(
    "train_test_shift",
    family=FAMILY,
    condition=(
        "standardised mean difference d = |m_test − m_train| / s_train above max(0.25, 3 "
        "standard errors of d), or std ratio outside [0.5, 2]"
    ),
    severity="medium",
    source="Cohen 1988; standard error sqrt(1/n1 + 1/n2) (Hedges & Olkin 1985)",
)
document(
    "train_test_shift",
    family=FAMILY,
    condition="d > 0.8",
    severity="high",
    source="Cohen 1988 (large effect)",
)


def _standard_error(info: DatasetInfo, split: str) -> float:
    """Standard error of d between the training split and ``split``, when sizes are known."""
    other = info.num_val_samples if split == "val" else info.num_test_samples
    if not info.num_train_samples or not other:
        return 0.0
    return math.sqrt(1 / info.num_train_samples + 1 / other)


def _shift(facts: DatasetFacts, split: str) -> Analysis | None:
    train, other = facts.stats.get("train", {}), facts.stats.get(split, {})
    t_mean, t_std = train.get("mean", {}), train.get("std", {})
    o_mean, o_std = other.get("mean", {}), other.get("std", {})
    rows: list[tuple[float, str]] = []
    worst_d, spread_off = 0.0, False
    threshold = max(SHIFT_D, SHIFT_NOISE_Z * _standard_error(facts.info, split))
    for name, m_train in t_mean.items():
        s_train = t_std.get(name)
        if name not in o_mean or s_train is None or s_train <= 0:
            continue
        d = abs(o_mean[name] - m_train) / s_train
        ratio = o_std[name] / s_train if name in o_std else None
        off_ratio = ratio is not None and not STD_RATIO_LOW <= ratio <= STD_RATIO_HIGH
        if d <= threshold and not off_ratio:
            continue
        worst_d = max(worst_d, d)
        spread_off = spread_off or off_ratio
        text = f"{name}: mean {fmt(m_train)} -> {fmt(o_mean[name])} (d = {d:.2f})"
        if ratio is not None:
            text += f", std {fmt(s_train)} -> {fmt(o_std[name])} (x{ratio:.2f})"
        rows.append((max(d, abs(math.log(ratio)) if ratio and ratio > 0 else 0.0), text))
    if not rows:
        return None
    rows.sort(key=lambda row: -row[0])
    label = "validation" if split == "val" else "test"
    severity = Severity.HIGH if worst_d > SHIFT_D_HIGH else Severity.MEDIUM
    stratified = " stratified by class" if facts.is_classification else ""
    return issue(
        P.TRAIN_TEST_SHIFT,
        description=f"Training and {label} inputs have different statistics.",
        evidence=(
            f"{len(rows)} of {len(t_mean)} features/channels differ between train and {label} "
            f"(standardised mean difference d above {fmt(threshold)} or std ratio outside "
            f"[{fmt(STD_RATIO_LOW)}, {fmt(STD_RATIO_HIGH)}]): "
            + "; ".join(text for _, text in rows[:3])
            + "."
        ),
        severity=severity,
        confidence=0.75,
        action=(
            f"Check that the {label} data goes through exactly the preprocessing of training "
            "(same resizing, colour conversion, scaling and normalisation constants); if it "
            f"does and the data really differs, re-split randomly{stratified} "
            f"or add {label}-like data to training so both splits come from one distribution."
        ),
        rationale=(
            "A model is only evaluated fairly on data from the distribution it was trained on; "
            "a shifted split turns good training into poor test results (or hides problems)."
        ),
        targets=[T.DATA_SPLIT, T.DATA_COLLECTION, T.DATA_PREPROCESSING],
    )


def train_test_shift(facts: DatasetFacts) -> list[Analysis]:
    found = (_shift(facts, split) for split in ("test", "val"))
    return [item for item in found if item is not None]
