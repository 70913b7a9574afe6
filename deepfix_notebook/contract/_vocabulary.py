"""The words the contract speaks: every closed set of string values (CONTRACT.md §2, §3)."""

from enum import StrEnum


class ProblemCode(StrEnum):
    """What a finding is about (`Finding.code`, CONTRACT.md §3)."""

    NAN_LOSS = "nan_loss"
    EXPLODING_LOSS = "exploding_loss"
    EXPLODING_GRADIENTS = "exploding_gradients"
    VANISHING_GRADIENTS = "vanishing_gradients"
    LOSS_NOT_DECREASING = "loss_not_decreasing"
    SLOW_CONVERGENCE = "slow_convergence"
    UNDERFITTING = "underfitting"
    OVERFITTING = "overfitting"
    UNSTABLE_TRAINING = "unstable_training"
    PLATEAU = "plateau"
    OVERTRAINING = "overtraining"
    SUSPICIOUS_VALIDATION = "suspicious_validation"
    LEARNING_RATE_TOO_HIGH = "learning_rate_too_high"
    LEARNING_RATE_TOO_LOW = "learning_rate_too_low"
    INSUFFICIENT_TRAINING = "insufficient_training"
    CLASS_IMBALANCE = "class_imbalance"
    SMALL_DATASET = "small_dataset"
    SMALL_VALIDATION_SPLIT = "small_validation_split"
    UNNORMALIZED_INPUTS = "unnormalized_inputs"
    TRAIN_TEST_SHIFT = "train_test_shift"
    LABEL_DRIFT = "label_drift"
    DATA_DRIFT = "data_drift"
    NEW_LABELS = "new_labels"
    OUTLIERS = "outliers"
    WEAK_CLASS = "weak_class"
    SHORTCUT_FEATURE = "shortcut_feature"
    LABEL_QUALITY = "label_quality"


class FaultTarget(StrEnum):
    """What a recommendation tells the user to change (`Recommendation.targets`)."""

    LEARNING_RATE = "learning_rate"
    LR_SCHEDULE = "lr_schedule"
    BATCH_SIZE = "batch_size"
    EPOCHS = "epochs"
    EARLY_STOPPING = "early_stopping"
    OPTIMIZER = "optimizer"
    REGULARIZATION = "regularization"
    ARCHITECTURE = "architecture"
    ACTIVATION = "activation"
    LOSS_FUNCTION = "loss_function"
    WEIGHT_INIT = "weight_init"
    NORMALIZATION = "normalization"
    GRADIENT_CLIPPING = "gradient_clipping"
    DATA_PREPROCESSING = "data_preprocessing"
    DATA_AUGMENTATION = "data_augmentation"
    DATA_COLLECTION = "data_collection"
    LABELS = "labels"
    CLASS_BALANCE = "class_balance"
    DATA_SPLIT = "data_split"


class _Ranked(StrEnum):
    """A StrEnum whose members are declared from lowest to highest."""

    @property
    def rank(self) -> int:
        """Position in the scale: 0 for the lowest member."""
        return list(type(self)).index(self)


class Severity(_Ranked):
    """How bad a finding is."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Priority(_Ranked):
    """How urgent a recommendation is."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class AnalysisStatus(StrEnum):
    """Outcome of one analysis (`AnalysisResult.status`)."""

    COMPLETED = "completed"
    PARTIAL = "partial"
    FAILED = "failed"


class JobState(StrEnum):
    """State of an asynchronous analysis job."""

    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    PARTIAL = "partial"
    FAILED = "failed"


class OptimizationFocus(StrEnum):
    """What the user wants the analysis to concentrate on."""

    OVERFITTING = "overfitting"
    UNDERFITTING = "underfitting"
    CONVERGENCE = "convergence"
    STABILITY = "stability"
    DATA_QUALITY = "data_quality"
    CLASS_IMBALANCE = "class_imbalance"
    GENERALIZATION = "generalization"
    EFFICIENCY = "efficiency"


class ModelType(StrEnum):
    """Family of the model that was trained."""

    CNN = "cnn"
    TRANSFORMER = "transformer"
    RNN = "rnn"
    MLP = "mlp"
    GBDT = "gbdt"
    LINEAR = "linear"
    OTHER = "other"


class TaskType(StrEnum):
    """What the model was trained to do."""

    CLASSIFICATION = "classification"
    REGRESSION = "regression"
    DETECTION = "detection"
    SEGMENTATION = "segmentation"
    GENERATION = "generation"
    OTHER = "other"


class KnowledgeDomain(StrEnum):
    """Area of the knowledge base a query searches."""

    TRAINING = "training"
    DATA_QUALITY = "data_quality"
    ARCHITECTURE = "architecture"
    OPTIMIZATION = "optimization"
    GLOBAL = "global"


class QueryType(StrEnum):
    """Kind of answer a knowledge query wants."""

    BEST_PRACTICE = "best_practice"
    DIAGNOSTIC = "diagnostic"
    SOLUTION = "solution"
    VALIDATION = "validation"


class AgentName(StrEnum):
    """The agents of the v1 engine, in the order they run.

    `AgentResult.agent_name` is a plain string, so results of agents not listed here still parse.
    """

    TRAINING = "TrainingArtifactsAnalyzer"
    DATASET = "DatasetArtifactsAnalyzer"
    DEEPCHECKS = "DeepchecksArtifactsAnalyzer"
    CROSS_ARTIFACT = "CrossArtifactIntegrationAgent"
    OPTIMIZATION = "OptimizationAdvisorAgent"


PHASE_ONE_AGENTS: tuple[AgentName, ...] = (
    AgentName.TRAINING,
    AgentName.DATASET,
    AgentName.DEEPCHECKS,
)
"""The analyzers that run first, in parallel; the other agents run after them, in order."""
