"""TrainingArtifactsAnalyzer: rules over the training curves (metrics.csv) and params.

Rules come in families, one module each (divergence, gradients, stability, convergence,
optimisation, generalisation, leakage, stopping; boosting for boosted trees, judged per round);
`_analyzer` runs them in a fixed order. Every
threshold is declared with its unit and source (`engine/_thresholds.py`), and `docs/diagnosis.md`
is generated from those declarations. Rules judge shapes relative to each curve's own scale (see
`_shape`), on the binned, smoothed curve (see `engine/_curves.py`), so that step-level noise is
not a signal.
"""

from deepfix_notebook.engine.training._analyzer import (
    BOOSTING_RULES,
    CONSEQUENCES,
    EARLY_WARNING_CODES,
    EARLY_WARNING_RULES,
    RULES,
    TrainingArtifactsAnalyzer,
    early_warnings,
    missing_metrics,
)
from deepfix_notebook.engine.training._shape import (
    MIN_DELTA_SHARE,
    NOISE_MARGIN,
    STEP_LEVEL_PER_EPOCH,
    STEP_LEVEL_POINTS,
    step_level,
)
from deepfix_notebook.engine.training.convergence import (
    CRAWL_SHARE,
    FLAT_DROP,
    FLAT_MOVE,
    MIN_EPOCHS,
    SHORT_RUN_FALLING,
    SLOW_TOTAL_DROP,
    STILL_IMPROVING_LEVEL,
    STILL_IMPROVING_SHARE,
    insufficient_training,
    loss_not_decreasing,
    slow_convergence,
)
from deepfix_notebook.engine.training.divergence import (
    DIVERGE_END_RISE,
    EXPLODE_RISE,
    exploding_loss,
    nan_loss,
)
from deepfix_notebook.engine.training.generalisation import (
    ACCURACY_GAP,
    ACCURACY_GAP_HIGH,
    OVERFIT_GL,
    OVERFIT_GL_HIGH,
    UNDERFIT_SHARE,
    UNDERFIT_SHARE_HIGH,
    overfitting,
    underfitting,
)
from deepfix_notebook.engine.training.gradients import (
    GRAD_ABSOLUTE,
    GRAD_GROWTH,
    GRAD_VANISH,
    GRAD_VANISH_FALL,
    exploding_gradients,
    vanishing_gradients,
)
from deepfix_notebook.engine.training.leakage import (
    NEAR_PERFECT,
    VAL_LOSS_RATIO,
    VAL_LOSS_RATIO_LARGE,
    VAL_SCORE_MARGIN,
    suspicious_validation,
)
from deepfix_notebook.engine.training.optimisation import (
    learning_rate_too_high,
    learning_rate_too_low,
)
from deepfix_notebook.engine.training.stability import (
    BURST_FALSE_ALARM,
    COARSE_POINTS,
    OSCILLATION_RATIO,
    SPIKE_FACTOR,
    SPIKE_FACTOR_NOISY,
    STEP_CHUNK_POINTS,
    Spikes,
    unstable_training,
)
from deepfix_notebook.engine.training.stopping import (
    OVERTRAIN_SHARE,
    PLATEAU_LONG_SHARE,
    PLATEAU_PATIENCE,
    PLATEAU_SHARE,
    overtraining,
    plateau,
)

__all__ = [
    "ACCURACY_GAP",
    "ACCURACY_GAP_HIGH",
    "BOOSTING_RULES",
    "BURST_FALSE_ALARM",
    "COARSE_POINTS",
    "CONSEQUENCES",
    "CRAWL_SHARE",
    "DIVERGE_END_RISE",
    "EARLY_WARNING_CODES",
    "EARLY_WARNING_RULES",
    "EXPLODE_RISE",
    "FLAT_DROP",
    "FLAT_MOVE",
    "GRAD_ABSOLUTE",
    "GRAD_GROWTH",
    "GRAD_VANISH",
    "GRAD_VANISH_FALL",
    "MIN_DELTA_SHARE",
    "MIN_EPOCHS",
    "NEAR_PERFECT",
    "NOISE_MARGIN",
    "OSCILLATION_RATIO",
    "OVERFIT_GL",
    "OVERFIT_GL_HIGH",
    "OVERTRAIN_SHARE",
    "PLATEAU_LONG_SHARE",
    "PLATEAU_PATIENCE",
    "PLATEAU_SHARE",
    "RULES",
    "SHORT_RUN_FALLING",
    "SLOW_TOTAL_DROP",
    "SPIKE_FACTOR",
    "SPIKE_FACTOR_NOISY",
    "STEP_CHUNK_POINTS",
    "STEP_LEVEL_PER_EPOCH",
    "STEP_LEVEL_POINTS",
    "STILL_IMPROVING_LEVEL",
    "STILL_IMPROVING_SHARE",
    "UNDERFIT_SHARE",
    "UNDERFIT_SHARE_HIGH",
    "VAL_LOSS_RATIO",
    "VAL_LOSS_RATIO_LARGE",
    "VAL_SCORE_MARGIN",
    "Spikes",
    "TrainingArtifactsAnalyzer",
    "early_warnings",
    "exploding_gradients",
    "exploding_loss",
    "insufficient_training",
    "learning_rate_too_high",
    "learning_rate_too_low",
    "loss_not_decreasing",
    "missing_metrics",
    "nan_loss",
    "overfitting",
    "overtraining",
    "plateau",
    "slow_convergence",
    "step_level",
    "suspicious_validation",
    "underfitting",
    "unstable_training",
    "vanishing_gradients",
]
