/* Generated from the contract's JSON schemas (`deepfix schema`) by
 * scripts/generate_contract_types.py: edit the pydantic models, then rerun it. */

/**
 * Any model of the DeepFix contract (CONTRACT.md), as serialised to JSON.
 */
export type ContractModel =
  | AnalysisOptions
  | AnalysisContext
  | AnalysisRequest
  | Finding
  | Recommendation
  | Analysis
  | AgentResult
  | AnalysisResult
  | AcceptedJob
  | JobStatus
  | KnowledgeQuery
  | KnowledgeItem
  | KnowledgeResponse
  | HealthResponse
  | ErrorResponse
  | SweepRun
  | SweepAssociation
  | SweepBestRun
  | SweepBest
  | SweepResult;
/**
 * What the user wants the analysis to concentrate on.
 */
export type OptimizationFocus =
  | 'overfitting'
  | 'underfitting'
  | 'convergence'
  | 'stability'
  | 'data_quality'
  | 'class_imbalance'
  | 'generalization'
  | 'efficiency';
/**
 * Family of the model that was trained.
 */
export type ModelType = 'cnn' | 'transformer' | 'rnn' | 'mlp' | 'gbdt' | 'linear' | 'other';
/**
 * What the model was trained to do.
 */
export type TaskType =
  'classification' | 'regression' | 'detection' | 'segmentation' | 'generation' | 'other';
/**
 * How bad a finding is.
 */
export type Severity = 'low' | 'medium' | 'high';
/**
 * What a finding is about (`Finding.code`, CONTRACT.md §3).
 */
export type ProblemCode =
  | 'nan_loss'
  | 'exploding_loss'
  | 'exploding_gradients'
  | 'vanishing_gradients'
  | 'loss_not_decreasing'
  | 'slow_convergence'
  | 'underfitting'
  | 'overfitting'
  | 'unstable_training'
  | 'plateau'
  | 'overtraining'
  | 'suspicious_validation'
  | 'learning_rate_too_high'
  | 'learning_rate_too_low'
  | 'insufficient_training'
  | 'class_imbalance'
  | 'small_dataset'
  | 'small_validation_split'
  | 'unnormalized_inputs'
  | 'train_test_shift'
  | 'label_drift'
  | 'data_drift'
  | 'new_labels'
  | 'outliers'
  | 'weak_class'
  | 'shortcut_feature'
  | 'label_quality';
/**
 * How urgent a recommendation is.
 */
export type Priority = 'low' | 'medium' | 'high';
/**
 * What a recommendation tells the user to change (`Recommendation.targets`).
 */
export type FaultTarget =
  | 'learning_rate'
  | 'lr_schedule'
  | 'batch_size'
  | 'epochs'
  | 'early_stopping'
  | 'optimizer'
  | 'regularization'
  | 'architecture'
  | 'activation'
  | 'loss_function'
  | 'weight_init'
  | 'normalization'
  | 'gradient_clipping'
  | 'data_preprocessing'
  | 'data_augmentation'
  | 'data_collection'
  | 'labels'
  | 'class_balance'
  | 'data_split';
/**
 * Outcome of one analysis (`AnalysisResult.status`).
 */
export type AnalysisStatus = 'completed' | 'partial' | 'failed';
/**
 * State of an asynchronous analysis job.
 */
export type JobState = 'queued' | 'running' | 'completed' | 'partial' | 'failed';
/**
 * Area of the knowledge base a query searches.
 */
export type KnowledgeDomain =
  'training' | 'data_quality' | 'architecture' | 'optimization' | 'global';
/**
 * Kind of answer a knowledge query wants.
 */
export type QueryType = 'best_practice' | 'diagnostic' | 'solution' | 'validation';
/**
 * What went wrong, in a word a program can branch on.
 */
export type ErrorCode =
  | 'VALIDATION_ERROR'
  | 'UNAUTHORIZED'
  | 'RUN_NOT_FOUND'
  | 'ARTIFACT_NOT_FOUND'
  | 'REQUEST_NOT_FOUND'
  | 'ARTIFACT_INVALID'
  | 'PAYLOAD_TOO_LARGE'
  | 'RATE_LIMIT_EXCEEDED'
  | 'INTERNAL_SERVER_ERROR'
  | 'MLFLOW_CONNECTION_ERROR'
  | 'ANALYSIS_TIMEOUT';

/**
 * What to analyse and for how long.
 */
export interface AnalysisOptions {
  enable_training_analysis: boolean;
  enable_dataset_analysis: boolean;
  enable_deepchecks_analysis: boolean;
  optimization_focus: OptimizationFocus[];
  max_analysis_time: number;
}
/**
 * What the user says about the run, when the artifacts do not say it.
 */
export interface AnalysisContext {
  dataset_name: string | null;
  model_type: ModelType | null;
  task_type: TaskType | null;
}
/**
 * Body of `POST /api/v1/analyze`.
 */
export interface AnalysisRequest {
  run_id: string;
  mlflow_tracking_uri: string;
  analysis_options: AnalysisOptions;
  context: AnalysisContext;
}
/**
 * One thing an agent noticed, with the evidence for it.
 */
export interface Finding {
  description: string;
  evidence: string;
  severity: Severity;
  confidence: number;
  code: ProblemCode | null;
  metric: string | null;
  step_range: [number, number] | null;
  epoch_range: [number, number] | null;
}
/**
 * One thing the user should do, and why.
 */
export interface Recommendation {
  action: string;
  rationale: string;
  priority: Priority;
  confidence: number;
  targets: FaultTarget[];
  knowledge_refs: string[];
}
/**
 * A finding and the recommendation answering it.
 *
 * Both fields are single objects despite their plural names, exactly as on the wire.
 */
export interface Analysis {
  findings: Finding;
  recommendations: Recommendation;
}
/**
 * What one agent produced; `error_message` is set when it failed or timed out.
 */
export interface AgentResult {
  agent_name: string;
  analysis: Analysis[];
  analyzed_artifacts: string[];
  retrieved_knowledge: string[];
  additional_outputs: {
    [k: string]: unknown;
  };
  error_message: string | null;
}
/**
 * Answer to an analysis request: every agent's findings and a summary.
 */
export interface AnalysisResult {
  request_id: string;
  run_id: string;
  status: AnalysisStatus;
  summary: string;
  agent_results: AgentResult[];
  execution_time: number;
  timestamp: string;
  warnings: string[];
  backend: string | null;
}
/**
 * Body of the 202 answer to `POST /api/v1/analyze` with `Prefer: respond-async`.
 */
export interface AcceptedJob {
  request_id: string;
  status: JobState;
  status_url: string;
  result_url: string;
}
/**
 * Where an asynchronous analysis job stands.
 */
export interface JobStatus {
  request_id: string;
  run_id: string;
  status: JobState;
  progress: number;
  agents_done: number;
  submitted_at: string;
  started_at: string | null;
  finished_at: string | null;
  error: string | null;
}
/**
 * A search of the knowledge base.
 */
export interface KnowledgeQuery {
  query: string;
  domain: KnowledgeDomain | null;
  query_type: QueryType;
  max_results: number;
  min_confidence: number;
}
/**
 * One entry of the knowledge base that matched a query.
 */
export interface KnowledgeItem {
  id: string;
  content: string;
  source: string;
  confidence: number;
  relevance_score: number;
  metadata: {
    [k: string]: unknown;
  };
}
/**
 * The answer to a knowledge query, best match first.
 */
export interface KnowledgeResponse {
  query: string;
  results: KnowledgeItem[];
}
/**
 * The server's state and that of the parts it depends on.
 */
export interface HealthResponse {
  status: 'ok' | 'degraded' | 'down';
  version: string;
  engine: string;
  job_store: string;
  queue: string;
}
/**
 * Body of every non-2xx answer.
 */
export interface ErrorResponse {
  error: ErrorCode;
  message: string;
  details: {
    [k: string]: unknown;
  };
  timestamp: string;
}
/**
 * One run of the experiment and its health.
 *
 * ``status``: ``analysed`` now, ``reused`` (its logged ``deepfix/analysis.json`` is newer than
 * its last metric), or ``failed`` (``error_code`` and ``error`` say why). ``problems``: the
 * problem codes found at medium or high severity, the worst first. ``severity``: ``high``,
 * ``medium``, ``clean`` (nothing above low), or null when it failed. ``params``: its values of
 * the hyperparameters that vary across the experiment (random seeds are not hyperparameters);
 * ``metric``: its last value of the experiment's validation metric (`SweepBest.metric`).
 */
export interface SweepRun {
  run_id: string;
  run_name: string;
  status: 'analysed' | 'reused' | 'failed';
  problems: ProblemCode[];
  severity: ('high' | 'medium' | 'clean') | null;
  params: {
    [k: string]: string;
  };
  metric: number | null;
  error_code: ErrorCode | null;
  error: string | null;
}
/**
 * A hyperparameter split that separates runs with a problem from runs without it.
 *
 * ``condition`` in words, e.g. ``learning_rate ≥ 0.31`` (``operator`` ``>=`` with
 * ``threshold``) or ``optimizer in {sgd}`` (``in`` with ``values``). Of the runs that logged
 * ``param``, ``support`` meet the condition and ``hits_in`` of them have the problem; of the
 * ``runs_out`` others, ``hits_out`` do. ``p_value``: one-sided Fisher's exact test,
 * Bonferroni-corrected over every split tested in the sweep (`SweepResult.association_test`);
 * 0 when below the smallest float.
 */
export interface SweepAssociation {
  code: ProblemCode;
  param: string;
  condition: string;
  operator: '>=' | '<=' | 'in';
  threshold: number | null;
  values: string[] | null;
  support: number;
  hits_in: number;
  runs_out: number;
  hits_out: number;
  rate_in: number;
  rate_out: number;
  p_value: number;
}
/**
 * A clean run ranked by the experiment's validation metric.
 */
export interface SweepBestRun {
  run_id: string;
  run_name: string;
  value: number;
}
/**
 * The best clean runs by ``metric`` (last logged value), best first, and the region of
 * hyperparameters they share (param -> condition), where it is narrower than the sweep's.
 */
export interface SweepBest {
  metric: string;
  higher_is_better: boolean;
  runs: SweepBestRun[];
  region: {
    [k: string]: string;
  };
}
/**
 * Every run of ``experiment`` accounted for, grouped by health, with the problems the
 * sweep's hyperparameters go with.
 *
 * ``counts``: runs per health (``high``, ``medium``, ``clean``, ``failed``);
 * ``problem_counts``: runs per problem code (medium or high). ``associations`` are only those
 * clearing ``association_test``, the widest gap between ``rate_in`` and ``rate_out`` first;
 * ``associations_note`` says why there are none when there could not be (too few runs, no
 * varying hyperparameter). ``best`` is null when no clean run logged a validation metric.
 */
export interface SweepResult {
  experiment: string;
  tracking_uri: string;
  runs: SweepRun[];
  counts: {
    [k: string]: number;
  };
  problem_counts: {
    [k: string]: number;
  };
  associations: SweepAssociation[];
  association_test: string;
  associations_note: string | null;
  best: SweepBest | null;
  summary: string;
  execution_time: number;
  timestamp: string;
  warnings: string[];
}
