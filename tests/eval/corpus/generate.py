"""Generate the corpus of REAL training runs under tests/eval/corpus/runs/, split by program.

    python tests/eval/corpus/generate.py                      # everything (rewrites runs/)
    python tests/eval/corpus/generate.py mlp_digits lr_high   # programs, faults, prog__fault
    python tests/eval/corpus/generate.py mlp_digits__lr_high__s0   # one case
    python tests/eval/corpus/generate.py --dry-run --jobs 2   # train and check, write nothing

A case is one (program, fault, seed index). For every (program, fault) pair the generator
trains seed indices 0, 1, 2, ... until TARGET cases show their fault (at most MAX_ATTEMPTS);
a case whose curve misses its fault's bar is dropped and listed in dropped.yaml with the
figure that decided it. A pair that ends with fewer than TARGET kept cases is dropped whole.
Everything is seeded and single-threaded, so the output is the same for any --jobs.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import contextlib  # noqa: E402
import copy  # noqa: E402
import csv  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
import zlib  # noqa: E402
from collections import Counter, defaultdict  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

import checks as ck  # noqa: E402
import faults as F  # noqa: E402
import logstyles as LS  # noqa: E402
import make_cases as mc  # noqa: E402
import numpy as np  # noqa: E402
import programs as P  # noqa: E402
import torch  # noqa: E402
import train as T  # noqa: E402
import yaml  # noqa: E402
from measure import Measures, measure  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

RUNS_DIR = HERE / "runs"
DROPPED = HERE / "dropped.yaml"
SPLIT_FILE = HERE / "split.yaml"
TARGET = {"healthy": 7}  # kept cases per pair; default 3
DEFAULT_TARGET = 3
MAX_ATTEMPTS = {"healthy": 10}
DEFAULT_ATTEMPTS = 5
LOOSENABLE_HEALTHY = {"suspicious_validation", "vanishing_gradients"}


def load_split() -> dict[str, str]:
    data = yaml.safe_load(SPLIT_FILE.read_text(encoding="utf-8"))
    split = dict(data["programs"])
    missing = set(P.PROGRAMS) - set(split)
    if missing:
        raise SystemExit(f"split.yaml does not assign: {sorted(missing)}")
    return split


def pairs() -> list[tuple[str, str]]:
    out = []
    for prog in P.PROGRAMS:
        out.append((prog, "healthy"))
    for name, fault in F.FAULTS.items():
        for prog in fault.programs:
            if prog not in P.PROGRAMS:
                raise SystemExit(f"fault {name}: unknown program {prog}")
            out.append((prog, name))
    return out


def case_name(prog: str, fault: str, idx: int) -> str:
    return f"{prog}__{fault}__s{idx}"


# --------------------------------------------------------------------------------------------
# one case
# --------------------------------------------------------------------------------------------


@dataclass
class Result:
    case: str
    program: str
    fault: str
    split: str
    family: str
    dataset: str
    kept: bool
    figure: str
    bar: str
    reason: str = ""
    expect: list[str] = field(default_factory=list)
    expect_any: list[str] = field(default_factory=list)
    forbid: list[str] = field(default_factory=list)
    rows: int = 0
    seconds: float = 0.0
    style: str = ""
    files: dict[str, str] = field(default_factory=dict)


def _prepare(ctx: F.Ctx) -> None:
    """Split, data faults, normalisation (the arrays the model sees)."""
    raw = ctx.raw
    x, y = raw.x, raw.y
    stratify = None
    if ctx.task == "clf":
        counts = np.bincount(y)
        if counts[counts > 0].min() >= 2 and ctx.val_fraction * len(y) >= len(counts):
            stratify = y
    xtr, xva, ytr, yva = train_test_split(
        x, y, test_size=ctx.val_fraction, random_state=ctx.seed % (2**31), stratify=stratify
    )
    ctx.xtr, ctx.xva, ctx.ytr, ctx.yva = xtr, xva, ytr, yva
    F.FAULTS[ctx.fault].after_split(ctx)
    assert ctx.xtr is not None and ctx.xva is not None
    assert ctx.ytr is not None and ctx.yva is not None
    ctx.xtr_raw, ctx.xva_raw = ctx.xtr.copy(), ctx.xva.copy()
    xtr, xva = ctx.xtr.astype(float), ctx.xva.astype(float)
    if ctx.facts.get("log_inputs"):
        with np.errstate(divide="ignore", invalid="ignore"):
            xtr, xva = np.log(xtr), np.log(xva)
    if ctx.facts.get("unit_scale"):
        hi = xtr.max()
        xtr, xva = xtr / hi, xva / hi
    elif ctx.facts.get("per_pixel_std"):
        with np.errstate(all="ignore"):
            mean, std = xtr.mean(0), xtr.std(0)
            xtr, xva = (xtr - mean) / std, (xva - mean) / std
    elif ctx.normalize and raw.name != "tokens":
        if raw.kind == "tabular":
            with np.errstate(invalid="ignore"):
                mean, std = xtr.mean(0), xtr.std(0)
            std = np.where(std > 1e-8, std, 1.0)
        else:
            mean, std = xtr.mean(), xtr.std()
        with np.errstate(invalid="ignore"):
            xtr, xva = (xtr - mean) / std, (xva - mean) / std
    ctx.xtr, ctx.xva = xtr, xva
    if ctx.task == "reg":
        ytr, yva = ctx.ytr.astype(float), ctx.yva.astype(float)
        if ctx.std_targets:
            m, s = ytr.mean(), ytr.std()
            ytr, yva = (ytr - m) / s, (yva - m) / s
        else:  # raw positive targets (MSLE)
            low = min(ytr.min(), yva.min())
            if low < 0:
                ytr, yva = ytr - low, yva - low
        ctx.ytr, ctx.yva = ytr, yva
    if ctx.task == "recon":
        ctx.n_out = int(np.prod(xtr.shape[1:]))
        with np.errstate(all="ignore"):
            ctx.facts["baseline"] = float(np.nanmean(xtr.reshape(len(xtr), -1).var(0)))
    elif ctx.task == "reg":
        ctx.n_out = ctx.n_out or 1
        ctx.facts["baseline"] = float(np.var(ctx.ytr))
    else:
        ctx.n_out = ctx.n_out or ctx.n_classes
        p = np.bincount(ctx.ytr) / len(ctx.ytr)
        p = p[p > 0]
        ctx.facts["baseline"] = float(-(p * np.log(p)).sum())


def _new_ctx(prog_name: str, fault_name: str, idx: int) -> F.Ctx:
    prog = P.PROGRAMS[prog_name]
    case = case_name(prog_name, fault_name, idx)
    seed = zlib.crc32(case.encode()) % (2**31)
    raw = P.dataset(prog.dataset)
    task = "recon" if prog.family == "autoencoder" else raw.task
    ctx = F.Ctx(
        case=case,
        program=prog,
        fault=fault_name,
        idx=idx,
        seed=seed,
        rng=np.random.default_rng(seed),
        raw=raw,
        task=task,
        spec=copy.deepcopy(prog.model),
        cfg=T.Config(**prog.base),
        val_fraction=prog.val_fraction,
        class_names=list(raw.class_names),
        loss_name={"clf": "cross_entropy", "reg": "mse", "recon": "mse_reconstruction"}[task],
        dataset_name=raw.name,
    )
    ctx.n_out = 0  # set in _prepare (1 for one-logit binary losses)
    return ctx


def _build_deepchecks(ctx: F.Ctx) -> dict[str, list[dict[str, Any]]]:
    assert ctx.xtr_raw is not None and ctx.xva_raw is not None
    assert ctx.ytr is not None and ctx.yva is not None
    kind, task = ctx.raw.kind, ctx.task
    xs, xv = ctx.xtr_raw, ctx.xva_raw
    ytr = ctx.ytr if task == "clf" else None
    yva = ctx.yva if task == "clf" else None
    ttv: list[dict[str, Any]] = []
    integ: list[dict[str, Any]] = []
    evals: list[dict[str, Any]] = []
    c = ctx.checks
    if "label_drift" in c:
        if task == "clf":
            ttv.append(mc.check_label_drift(ytr, yva))
        elif task == "reg":
            ttv.append(ck.check_regression_label_drift(ctx.ytr, ctx.yva))
    if "drift" in c:
        if kind == "image":
            ttv.append(mc.check_property_drift(xs, xv))
        elif kind == "tabular":
            target = ctx.ytr if task != "recon" else xs[:, 0]
            imp = mc.importance_of(xs, np.asarray(target, float))
            ttv.append(mc.check_feature_drift(xs, xv, ctx.raw.feature_names, imp))
    if "new_labels" in c and task == "clf":
        ttv.append(mc.check_new_labels(ytr, yva))
    if "outliers" in c:
        if kind == "image":
            integ.append(mc.check_property_outliers(xs))
        elif kind == "tabular":
            integ.append(ck.check_outlier_samples(xs))
    if "shortcut" in c and task == "clf":
        if kind == "image":
            integ.append(mc.check_property_label_correlation(mc.image_properties(xs), ytr))
        elif kind == "tabular":
            integ.append(ck.check_feature_label_correlation(xs, ytr, ctx.raw.feature_names))
    if "duplicates" in c and kind == "tabular":
        integ.append(mc.check_duplicates(xs))
        if task == "clf":
            integ.append(mc.check_conflicting_labels(xs, ytr))
    if "class_perf" in c and task == "clf" and ctx.model is not None:
        assert ctx.xtr is not None and ctx.xva is not None
        with np.errstate(all="ignore"):
            ptr = T.predict(ctx.model, np.nan_to_num(ctx.xtr))
            pva = T.predict(ctx.model, np.nan_to_num(ctx.xva))
        evals.append(mc.check_class_performance(ptr, ytr, pva, yva, ctx.class_names))
    suites = {"train_test_validation": ttv, "data_integrity": integ, "model_evaluation": evals}
    return {k: v for k, v in suites.items() if v}


def _metadata(ctx: F.Ctx) -> dict[str, Any]:
    assert ctx.ytr is not None and ctx.yva is not None and ctx.xtr_raw is not None
    raw = ctx.raw
    extra: dict[str, Any] = {}
    if raw.kind == "image":
        extra["image_size"] = list(raw.x.shape[1:3])
        extra["color_mode"] = "grayscale"
    elif raw.kind == "sequence":
        extra["sequence_length"] = int(raw.x.shape[1])
        extra["num_channels"] = int(raw.x.shape[2])
    else:
        extra["num_features"] = int(ctx.xtr_raw.shape[1])
    if "num_test_samples" in ctx.meta_extra:
        extra["num_test_samples"] = len(ctx.yva)
    if ctx.task == "clf":
        names = ctx.meta_extra.get("seen_classes", ctx.class_names)
        md = mc.metadata(ctx.dataset_name, ctx.ytr, ctx.yva, names, **extra)
        return md
    md = {
        "dataset_name": ctx.dataset_name,
        "task_type": "regression",
        "num_train_samples": len(ctx.ytr),
        "num_val_samples": len(ctx.yva),
        **extra,
    }
    if ctx.task == "recon":
        md["objective"] = "reconstruction of the inputs (autoencoder)"
    return md


def _statistics(ctx: F.Ctx) -> dict[str, Any]:
    """Train/test statistics of the inputs as fed to the model (raw units when unnormalised)."""
    assert ctx.xtr is not None and ctx.xva is not None
    if ctx.raw.kind == "tabular":
        return mc.feature_statistics(ctx.xtr, ctx.xva, ctx.raw.feature_names)
    return mc.channel_statistics(ctx.xtr, ctx.xva)


def _data_forbids(
    ctx: F.Ctx, md: dict[str, Any] | None, stats: dict[str, Any] | None, taken: set[str]
) -> tuple[list[str], list[str]]:
    """Data and deepchecks codes the artifacts clearly contradict; notes on codes left open."""
    healthy = ctx.fault == "healthy"
    forbid, notes = [], []
    n_train = len(ctx.ytr) if ctx.ytr is not None else 0
    n_val = len(ctx.yva) if ctx.yva is not None else 0

    def add(code: str, clean: bool, why: str) -> None:
        if code in taken:
            return
        if clean:
            forbid.append(code)
        elif healthy and why:
            notes.append(why)

    # data codes
    ratio = 1.0
    if ctx.task == "clf" and ctx.ytr is not None:
        counts = np.bincount(ctx.ytr)
        counts = counts[counts > 0]
        ratio = counts.max() / counts.min()
    if healthy:
        add(
            "class_imbalance",
            md is None or ratio <= 2,
            f"class_imbalance left open: ratio {ratio:.1f}",
        )
        add(
            "small_dataset",
            md is None or n_train >= 500,
            f"small_dataset left open: metadata shows {n_train} training samples (< 500)",
        )
        add("small_validation_split", True, "")
        add("unnormalized_inputs", True, "")
        add("train_test_shift", True, "")
    else:
        if md is not None:
            add("class_imbalance", ctx.task != "clf" or ratio <= 1.5, "")
            add("small_validation_split", n_val >= 0.15 * n_train, "")
            add("small_dataset", n_train >= 1000, "")
        if stats is not None:
            a, b = ctx.xtr, ctx.xva
            assert a is not None and b is not None
            flat_a = a.reshape(len(a), -1) if ctx.raw.kind == "tabular" else a.reshape(-1, 1)
            flat_b = b.reshape(len(b), -1) if ctx.raw.kind == "tabular" else b.reshape(-1, 1)
            with np.errstate(all="ignore"):
                small = np.abs(flat_a.mean(0)).max() <= 1 and flat_a.std(0).max() <= 3
                std = np.where(flat_a.std(0) > 1e-12, flat_a.std(0), 1.0)
                shift = (np.abs(flat_b.mean(0) - flat_a.mean(0)) / std).max()
                ratio_sd = flat_b.std(0) / std
            add("unnormalized_inputs", bool(small), "")
            add(
                "train_test_shift",
                bool(shift <= 0.3 and ratio_sd.min() >= 0.7 and ratio_sd.max() <= 1.4),
                "",
            )
    # deepchecks codes
    status: dict[str, bool] = {}
    for suite in ctx.deepchecks_suites.values():
        for check in suite:
            code = F.CHECK_CODES.get(check["header"])
            if code is None:
                continue
            if check["header"] == "Image Property Outliers":
                ids = F._outlier_ids(check)
                ok = len(ids) <= 0.01 * max(1, n_train)
            else:
                ok = not ck.failed(check)
            status[code] = status.get(code, True) and ok
    for code in F.DEEPCHECKS_CODES:
        if code in status:
            add(code, status[code], f"{code} left open: its deepchecks check does not pass")
        elif healthy:
            add(code, True, "")
    return forbid, notes


def _audit_figure(code: str, m: Measures) -> str:
    return f"{code}: {F.AUDIT_TEXT.get(code, '')}"


def run_case(prog_name: str, fault_name: str, idx: int, split: str) -> Result:
    tic = time.perf_counter()
    fault = F.FAULTS[fault_name]
    ctx = _new_ctx(prog_name, fault_name, idx)
    prog = ctx.program
    fault.setup(ctx)
    if fault.kind == "training":  # some training-fault runs also carry clean data artifacts
        r = np.random.default_rng(zlib.crc32((ctx.case + "|extra").encode()))
        ctx.want_metadata = ctx.want_metadata or bool(r.random() < 0.2)
        if ctx.task == "clf" and ctx.raw.kind in ("tabular", "image") and r.random() < 0.15:
            ctx.checks.update({"label_drift", "drift", "new_labels"})
    _prepare(ctx)
    assert ctx.xtr is not None and ctx.xva is not None
    assert ctx.ytr is not None and ctx.yva is not None
    per_epoch = math.ceil(len(ctx.xtr) / ctx.cfg.batch_size)
    style = LS.choose_style(
        ctx.case, ctx.needs, ctx.cfg.epochs, per_epoch, ctx.task, ctx.cfg.optimizer
    )
    LS.apply_style(ctx.cfg, style)
    torch.manual_seed(ctx.seed)
    in_shape = tuple(ctx.xtr.shape[1:])
    model = P.build_model(ctx.spec, in_shape, ctx.n_out)
    ytr = ctx.ytr if ctx.task != "recon" else np.zeros(len(ctx.xtr))
    yva = ctx.yva if ctx.task != "recon" else np.zeros(len(ctx.xva))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rec = T.fit(model, ctx.cfg, ctx.task, ctx.xtr, ytr, ctx.xva, yva, ctx.seed)
    ctx.model = model
    if ctx.checks:
        ctx.deepchecks_suites = _build_deepchecks(ctx)
    md = _metadata(ctx) if ctx.want_metadata else None
    stats = _statistics(ctx) if ctx.want_statistics else None
    rendered = LS.render(rec, style, ctx.cfg.optimizer)
    chance = 0.0
    if ctx.task == "clf":
        chance = float(np.bincount(ctx.yva).max() / len(ctx.yva))
    m = measure(rendered.view, ctx.task, chance)
    v = fault.verdict(ctx, m)
    res = Result(
        ctx.case,
        prog_name,
        fault_name,
        split,
        prog.family,
        prog.dataset,
        False,
        v.figure,
        v.bar,
        rows=len(rendered.columns["step"]),
        style=style.describe(),
    )
    if not v.ok:
        res.reason = "fault not visible"
        res.seconds = time.perf_counter() - tic
        return res
    expect = list(dict.fromkeys(v.expect))
    expect_any = [c for c in dict.fromkeys(v.expect_any) if c not in expect]
    open_codes = set(fault.open) | set(v.open)
    taken = set(expect) | set(expect_any) | open_codes
    forbid: list[str] = []
    loosened: list[str] = []
    for code in F.TRAINING_CODES:
        if code in taken:
            continue
        if fault.kind == "healthy" and code not in F.HEALTHY_FORBID:
            continue
        if F.can_forbid(code, m, ctx):
            forbid.append(code)
        elif fault.kind == "healthy":
            if code in LOOSENABLE_HEALTHY:
                loosened.append(f"{code} left open ({_audit_figure(code, m)} does not hold)")
            else:
                res.reason = "healthy run fails an audit rule"
                res.figure = v.figure + f"; fails {_audit_figure(code, m)}"
                res.bar = "every forbidden training code passes its audit rule"
                res.seconds = time.perf_counter() - tic
                return res
    data_forbid, data_notes = _data_forbids(ctx, md, stats, taken | set(forbid))
    forbid += data_forbid
    loosened += data_notes
    targets = [] if fault.kind == "healthy" else list(ctx.targets or fault.targets)
    note = _note(ctx, fault, v, style, rec, loosened)
    expected = {
        "source": f"python tests/eval/corpus/generate.py {ctx.case}",
        "program": prog_name,
        "split": split,
        "family": prog.family,
        "dataset": prog.dataset,
        "fault": fault_name,
        "seed": ctx.seed,
        "symptom": v.symptom,
        "expect": expect,
        "expect_any": expect_any,
        "forbid": forbid,
        "targets": targets,
        "note": note,
    }
    _check_label(ctx.case, expected)
    model_name = P.describe_model(ctx.spec, in_shape, ctx.n_out)
    files = {"training_artifacts/metrics.csv": _csv(rendered.columns)}
    if style.params:
        params = LS.params_for(style, ctx.cfg, model_name, ctx.loss_name, ctx.params_extra)
        files["training_artifacts/params.yaml"] = _yaml(params)
    if md is not None:
        files["dataset/metadata.yaml"] = _yaml(md)
    if stats is not None:
        files["dataset/statistics.json"] = json.dumps(stats, indent=1) + "\n"
    if ctx.deepchecks_suites:
        files["deepchecks/results.yaml"] = _yaml(
            mc.deepchecks(ctx.dataset_name, ctx.deepchecks_suites)
        )
    files["expected.yaml"] = yaml.safe_dump(
        expected, sort_keys=False, width=100, allow_unicode=True
    )
    res.kept = True
    res.expect, res.expect_any, res.forbid = expect, expect_any, forbid
    res.files = files
    res.seconds = time.perf_counter() - tic
    return res


def _note(
    ctx: F.Ctx, fault: F.Fault, v: F.Verdict, style: LS.Style, rec: T.Records, loosened: list[str]
) -> str:
    prog = ctx.program
    parts = [
        f"{prog.family} on {ctx.raw.name} ({ctx.raw.description}).",
        f"Fault '{fault.name}': {fault.mechanism}." if fault.kind != "healthy" else "",
        "This run: " + "; ".join(ctx.mech) + "." if ctx.mech else "",
        f"Training: {ctx.cfg.optimizer}, lr {ctx.cfg.lr:g}, batch {ctx.cfg.batch_size}, "
        f"{rec.epochs_done}/{ctx.cfg.epochs} epochs"
        + (" (early stopping ended it)" if rec.stopped_early else "")
        + ".",
        f"Logged: {style.describe()}.",
        f"Deciding figure: {v.figure} (bar: {v.bar}).",
    ]
    if loosened:
        parts.append("Left open: " + "; ".join(loosened) + ".")
    return " ".join(p for p in parts if p)


def _check_label(case: str, e: dict[str, Any]) -> None:
    codes = {*e["expect"], *e["expect_any"], *e["forbid"]}
    if unknown := codes - set(F.ALL_CODES):
        raise ValueError(f"{case}: unknown codes {sorted(unknown)}")
    if unknown := set(e["targets"]) - mc.TARGETS:
        raise ValueError(f"{case}: unknown targets {sorted(unknown)}")
    if set(e["expect"]) & set(e["expect_any"]):
        raise ValueError(f"{case}: expect and expect_any overlap")
    if {*e["expect"], *e["expect_any"]} & set(e["forbid"]):
        raise ValueError(f"{case}: expected and forbidden")
    if e["fault"] != "healthy" and not (e["expect"] or e["expect_any"]):
        raise ValueError(f"{case}: buggy case expects nothing")


def _fmt_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, int | np.integer):
        return str(int(value))
    v = float(value)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return f"{v:.6g}"


def _csv(columns: dict[str, list[Any]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    names = list(columns)
    w.writerow(names)
    for i in range(len(columns["step"])):
        w.writerow([_fmt_cell(columns[n][i]) for n in names])
    return buf.getvalue()


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _yaml(data: dict[str, Any]) -> str:
    return yaml.safe_dump(_plain(data), sort_keys=False, allow_unicode=True, width=100)


# --------------------------------------------------------------------------------------------
# pairs, workers, output
# --------------------------------------------------------------------------------------------


def _init_worker() -> None:
    torch.set_num_threads(1)
    with contextlib.suppress(RuntimeError):
        torch.set_num_interop_threads(1)
    torch.use_deterministic_algorithms(True, warn_only=True)


def run_pair(prog: str, fault: str, split: str, only: int | None = None) -> list[Result]:
    _init_worker()
    out: list[Result] = []
    with threadpool_limits(1), np.errstate(all="ignore"):
        if only is not None:
            return [run_case(prog, fault, only, split)]
        target = TARGET.get(fault, DEFAULT_TARGET)
        for idx in range(MAX_ATTEMPTS.get(fault, DEFAULT_ATTEMPTS)):
            res = run_case(prog, fault, idx, split)
            out.append(res)
            if sum(r.kept for r in out) >= target:
                break
    kept = [r for r in out if r.kept]
    if len(kept) < target:
        for r in kept:
            r.kept = False
            r.reason = f"pair kept only {len(kept)} of {target} seeds"
    return out


def _write(res: Result) -> None:
    root = RUNS_DIR / res.case
    shutil.rmtree(root, ignore_errors=True)
    for rel, text in res.files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def _select(names: list[str]) -> list[tuple[str, str, int | None]]:
    """(program, fault, only-this-seed-index) work units from the command line."""
    all_pairs = pairs()
    if not names:
        return [(p, f, None) for p, f in all_pairs]
    units: list[tuple[str, str, int | None]] = []
    for name in names:
        parts = name.split("__")
        if len(parts) == 3 and parts[2].startswith("s"):
            if (parts[0], parts[1]) not in all_pairs:
                raise SystemExit(f"unknown case {name}")
            units.append((parts[0], parts[1], int(parts[2][1:])))
        elif len(parts) == 2:
            if (parts[0], parts[1]) not in all_pairs:
                raise SystemExit(f"unknown pair {name}")
            units.append((parts[0], parts[1], None))
        elif name in P.PROGRAMS:
            units += [(p, f, None) for p, f in all_pairs if p == name]
        elif name in F.FAULTS:
            units += [(p, f, None) for p, f in all_pairs if f == name]
        else:
            raise SystemExit(f"unknown program, fault, pair or case: {name}")
    return list(dict.fromkeys(units))


def markdown() -> str:
    """README tables (programs, faults, counts) from the code and the written runs/."""
    split = load_split()
    out = [
        "| program | family | dataset | split | model | tuned configuration |",
        "|---|---|---|---|---|---|",
    ]
    for name, prog in P.PROGRAMS.items():
        base = ", ".join(f"{k} {v}" for k, v in prog.base.items())
        raw = P.dataset(prog.dataset)
        if prog.family == "autoencoder":
            n_out = int(np.prod(raw.x.shape[1:]))
        else:
            n_out = len(raw.class_names) if raw.task == "clf" else 1
        model = P.describe_model(prog.model, tuple(raw.x.shape[1:]), n_out)
        out.append(
            f"| {name} | {prog.family} | {prog.dataset} | {split[name]} | {model} | {base} |"
        )
    out += [
        "",
        "| fault | kind | mechanism | bar (case kept only if met) | dev programs | "
        "heldout programs |",
        "|---|---|---|---|---|---|",
    ]
    for name, fault in F.FAULTS.items():
        progs = fault.programs or tuple(P.PROGRAMS)
        dev = ", ".join(p for p in progs if split[p] == "dev")
        held = ", ".join(p for p in progs if split[p] == "heldout")
        if name == "healthy":
            dev, held = "all", "all"
        out.append(f"| {name} | {fault.kind} | {fault.mechanism} | {fault.bar} | {dev} | {held} |")
    out += ["", "| code | forbidden only when (audit rule on the logged curves) |", "|---|---|"]
    out += [f"| {code} | {text} |" for code, text in F.AUDIT_TEXT.items()]
    labels = []
    for path in sorted(RUNS_DIR.glob("*/expected.yaml")):
        labels.append(yaml.safe_load(path.read_text(encoding="utf-8")))
    if not labels:
        return "\n".join(out)
    count: dict[str, Counter[tuple[str, str]]] = defaultdict(Counter)
    for e in labels:
        count["fault"][(e["fault"], e["split"])] += 1
        count["family"][(e["family"], e["split"])] += 1
        for c in e["expect"]:
            count["expect"][(c, e["split"])] += 1
        for c in e["expect_any"]:
            count["any"][(c, e["split"])] += 1
        for c in e["forbid"]:
            count["forbid"][(c, e["split"])] += 1
    totals = Counter(e["split"] for e in labels)
    out += ["", f"{len(labels)} cases: dev {totals['dev']}, heldout {totals['heldout']}.", ""]
    for title in ("fault", "family"):
        out += [f"| {title} | dev | heldout |", "|---|---|---|"]
        for key in sorted({k for k, _ in count[title]}):
            out.append(
                f"| {key} | {count[title][(key, 'dev')]} | {count[title][(key, 'heldout')]} |"
            )
        out.append("")
    out += [
        "| code | expect dev | expect heldout | expect_any dev | expect_any heldout | "
        "forbid dev | forbid heldout |",
        "|---|---|---|---|---|---|---|",
    ]
    for code in F.ALL_CODES:
        row = [
            count[t][(code, sp)] for t in ("expect", "any", "forbid") for sp in ("dev", "heldout")
        ]
        out.append(f"| {code} | " + " | ".join(str(v) for v in row) + " |")
    return "\n".join(out)


README = HERE / "README.md"
START, END = "<!-- generated tables: start -->", "<!-- generated tables: end -->"


def _update_readme() -> None:
    """Rewrite the generated part of README.md (between the markers) from the code and runs/."""
    if not README.exists():
        return
    text = README.read_text(encoding="utf-8")
    if START not in text or END not in text:
        return
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    README.write_text(f"{head}{START}\n{markdown()}\n{END}{tail}", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="programs, faults, prog__fault or cases")
    parser.add_argument("--dry-run", action="store_true", help="train and check, write nothing")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes")
    parser.add_argument("--verbose", action="store_true", help="print every case's figure")
    parser.add_argument(
        "--markdown", action="store_true", help="print the README tables from runs/ and exit"
    )
    args = parser.parse_args(argv)
    if args.markdown:
        print(markdown())
        return 0
    split = load_split()
    units = _select(args.names)
    full = not args.names
    started = time.perf_counter()
    results: list[Result] = []
    if args.jobs > 1:
        import multiprocessing as mp

        with ProcessPoolExecutor(
            args.jobs, mp_context=mp.get_context("fork"), initializer=_init_worker
        ) as pool:
            futures = [pool.submit(run_pair, p, f, split[p], only) for p, f, only in units]
            for fut in futures:
                batch = fut.result()
                results += batch
                _progress(batch, args.verbose)
    else:
        for p, f, only in units:
            batch = run_pair(p, f, split[p], only)
            results += batch
            _progress(batch, args.verbose)
    elapsed = time.perf_counter() - started
    if not args.dry_run:
        if full:
            shutil.rmtree(RUNS_DIR, ignore_errors=True)
        RUNS_DIR.mkdir(parents=True, exist_ok=True)
        for r in results:
            if r.kept:
                _write(r)
            else:
                shutil.rmtree(RUNS_DIR / r.case, ignore_errors=True)
        _write_dropped(results, full)
        _update_readme()
    _table(results, elapsed)
    return 0


def _progress(batch: list[Result], verbose: bool) -> None:
    for r in batch:
        mark = "keep" if r.kept else "DROP"
        if verbose or not r.kept:
            print(f"{mark} {r.case:45s} {r.seconds:5.1f}s {r.figure}", flush=True)
    kept = sum(r.kept for r in batch)
    if batch and not verbose:
        b = batch[0]
        secs = sum(r.seconds for r in batch)
        print(f"     {b.program}__{b.fault}: {kept}/{len(batch)} kept, {secs:.1f}s", flush=True)


def _write_dropped(results: list[Result], full: bool) -> None:
    entries: dict[str, dict[str, Any]] = {}
    if not full and DROPPED.exists():
        old = yaml.safe_load(DROPPED.read_text(encoding="utf-8")) or {}
        entries = {e["case"]: e for e in old.get("dropped", [])}
    for r in results:
        entries.pop(r.case, None)
        if not r.kept:
            entries[r.case] = {
                "case": r.case,
                "program": r.program,
                "split": r.split,
                "fault": r.fault,
                "reason": r.reason,
                "figure": r.figure,
                "bar": r.bar,
            }
    doc = {
        "note": "Cases trained but not written: the curve did not show the fault (figure vs "
        "bar), a healthy run failed an audit rule, or the (program, fault) pair kept fewer "
        "than the target number of seeds. Regenerate with generate.py.",
        "dropped": [entries[k] for k in sorted(entries)],
    }
    DROPPED.write_text(
        yaml.safe_dump(doc, sort_keys=False, width=100, allow_unicode=True), encoding="utf-8"
    )


def _table(results: list[Result], elapsed: float) -> None:
    kept = [r for r in results if r.kept]
    print(f"\n{len(kept)} kept, {len(results) - len(kept)} dropped, {elapsed:.0f}s")
    splits = Counter(r.split for r in kept)
    print("per split:", ", ".join(f"{k}={v}" for k, v in sorted(splits.items())))
    per = defaultdict(Counter)
    for r in kept:
        per["fault"][(r.fault, r.split)] += 1
        per["family"][(r.family, r.split)] += 1
        for c in r.expect:
            per["expect"][(c, r.split)] += 1
        for c in r.expect_any:
            per["expect_any"][(c, r.split)] += 1
    for title in ("fault", "family"):
        keys = sorted({k for k, _ in per[title]})
        print(f"\n{title:24s} {'dev':>5s} {'heldout':>8s} {'dropped':>8s}")
        for k in keys:
            dropped = sum(1 for r in results if not r.kept and getattr(r, title) == k)
            print(
                f"{k:24s} {per[title][(k, 'dev')]:5d} {per[title][(k, 'heldout')]:8d} {dropped:8d}"
            )
    print(f"\n{'code':24s} {'expect dev':>10s} {'heldout':>8s} {'any dev':>8s} {'heldout':>8s}")
    for code in F.ALL_CODES:
        e, a = per["expect"], per["expect_any"]
        flag = ""
        if not (e[(code, "dev")] + a[(code, "dev")]) or not (
            e[(code, "heldout")] + a[(code, "heldout")]
        ):
            flag = "  <-- missing in a split"
        print(
            f"{code:24s} {e[(code, 'dev')]:10d} {e[(code, 'heldout')]:8d} "
            f"{a[(code, 'dev')]:8d} {a[(code, 'heldout')]:8d}{flag}"
        )
    healthy = sum(1 for r in kept if r.fault == "healthy")
    if kept:
        print(f"\nhealthy share: {healthy}/{len(kept)} = {healthy / len(kept):.1%}")
    if RUNS_DIR.exists():
        size = sum(p.stat().st_size for p in RUNS_DIR.rglob("*") if p.is_file())
        print(f"{size / 1e6:.2f} MB under {RUNS_DIR}")


if __name__ == "__main__":
    sys.exit(main())
