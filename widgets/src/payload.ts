/**
 * The JSON DeepFix puts in its notebook outputs, and a reader that checks it.
 *
 * Shapes follow `deepfix_notebook/notebook/_views.py` (the bundles), `views/_payload.py` (the
 * curves) and the contract models, whose types are generated from their JSON schemas
 * (`contract.gen.ts`, by `scripts/generate_contract_types.py`). The reader is strict about
 * structure (a wrong type is a `PayloadError` naming the path) and lenient about vocabulary: an
 * unknown severity, status or extra field from a newer DeepFix is shown as it is.
 */

import type * as Contract from './contract.gen';

export type {
  AnalysisStatus,
  ContractModel,
  FaultTarget,
  Priority,
  ProblemCode,
  Severity,
  SweepAssociation,
  SweepBest,
  SweepBestRun,
  SweepResult,
  SweepRun
} from './contract.gen';

export const MIME_ANALYSIS = 'application/vnd.deepfix.analysis+json';
export const MIME_COMPARISON = 'application/vnd.deepfix.comparison+json';
export const MIME_KNOWLEDGE = 'application/vnd.deepfix.knowledge+json';
export const MIME_TYPES = [MIME_ANALYSIS, MIME_COMPARISON, MIME_KNOWLEDGE] as const;
export type DeepFixMimeType = (typeof MIME_TYPES)[number];

/** The payload version this renderer was written for (`PAYLOAD_VERSION` in `_views.py`). */
export const PAYLOAD_VERSION = 1;

/**
 * A contract type as the reader returns it: every vocabulary (a union of words) open to any
 * string, since a newer DeepFix may send a word this one does not know.
 */
export type Open<T> = T extends string
  ? string
  : T extends object
    ? { [K in keyof T]: Open<T[K]> }
    : T;

export type Finding = Open<Contract.Finding>;
export type Recommendation = Open<Contract.Recommendation>;
export type Analysis = Open<Contract.Analysis>;

/** The fields of an agent's result the views show. */
export type AgentResult = Pick<Open<Contract.AgentResult>, 'agent_name' | 'error_message'> & {
  analysis: Analysis[];
};

/** An analysis as read: `timestamp` is null where an older payload has none. */
export type AnalysisResult = Omit<Open<Contract.AnalysisResult>, 'agent_results' | 'timestamp'> & {
  agent_results: AgentResult[];
  timestamp: string | null;
};

export type KnowledgeItem = Open<Contract.KnowledgeItem>;
export type KnowledgeResponse = Open<Contract.KnowledgeResponse>;

export interface Series {
  label: string;
  step: number[];
  value: number[];
  epoch: number[] | null;
}

export interface Curves {
  x: string;
  has_epoch: boolean;
  series: Map<string, Series>;
}

export interface AnalysisPayload {
  version: number;
  result: AnalysisResult;
  curves: Curves | null;
  /** The run's name, when the kernel knows it (an MLflow run's `run_name`). */
  run_name: string | null;
  /** Why this analysis is not the one asked for, e.g. the embedded engine answered for an
   * unreachable server; shown above the view. */
  notice: string | null;
}

export interface ComparisonPayload {
  version: number;
  metric: string;
  align: string;
  results: Map<string, AnalysisResult>;
  params: Map<string, Record<string, unknown>>;
  curves: Map<string, Curves>;
  /** Run names by result key, for the runs whose name the kernel knows. */
  names: Map<string, string>;
}

/** The payload does not have the shape DeepFix writes; `path` says where. */
export class PayloadError extends Error {
  constructor(
    readonly path: string,
    message: string
  ) {
    super(`${path}: ${message}`);
    this.name = 'PayloadError';
  }
}

type Json = unknown;

function describe(value: Json): string {
  if (value === null) {
    return 'null';
  }
  if (Array.isArray(value)) {
    return 'an array';
  }
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

function object(value: Json, path: string): Record<string, Json> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new PayloadError(path, `expected an object, got ${describe(value)}`);
  }
  return value as Record<string, Json>;
}

function array(value: Json, path: string): Json[] {
  if (!Array.isArray(value)) {
    throw new PayloadError(path, `expected an array, got ${describe(value)}`);
  }
  return value;
}

function string(value: Json, path: string): string {
  if (typeof value !== 'string') {
    throw new PayloadError(path, `expected a string, got ${describe(value)}`);
  }
  return value;
}

function optionalString(value: Json, path: string): string | null {
  return value === undefined || value === null ? null : string(value, path);
}

function number(value: Json, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new PayloadError(path, `expected a finite number, got ${describe(value)}`);
  }
  return value;
}

function strings(value: Json, path: string): string[] {
  if (value === undefined || value === null) {
    return [];
  }
  return array(value, path).map((item, i) => string(item, `${path}[${i}]`));
}

function range(value: Json, path: string): [number, number] | null {
  if (value === undefined || value === null) {
    return null;
  }
  const items = array(value, path);
  if (items.length !== 2) {
    throw new PayloadError(path, `expected [first, last], got ${items.length} item(s)`);
  }
  return [number(items[0], `${path}[0]`), number(items[1], `${path}[1]`)];
}

/** A curve value: a number, or one of the strings JSON-safe payloads use for NaN and ±Inf. */
function curveNumber(value: Json, path: string): number {
  if (typeof value === 'number') {
    return value;
  }
  switch (value) {
    case 'NaN':
      return Number.NaN;
    case 'Infinity':
      return Number.POSITIVE_INFINITY;
    case '-Infinity':
      return Number.NEGATIVE_INFINITY;
    default:
      throw new PayloadError(
        path,
        `expected a number, "NaN" or "±Infinity", got ${describe(value)}`
      );
  }
}

function version(data: Record<string, Json>, path: string): number {
  const value = number(data.version, `${path}.version`);
  if (!Number.isInteger(value) || value < 1) {
    throw new PayloadError(`${path}.version`, `expected a positive integer, got ${value}`);
  }
  return value;
}

export function readFinding(value: Json, path: string): Finding {
  const data = object(value, path);
  return {
    description: string(data.description, `${path}.description`),
    evidence: string(data.evidence, `${path}.evidence`),
    severity: string(data.severity, `${path}.severity`),
    confidence: number(data.confidence, `${path}.confidence`),
    code: optionalString(data.code, `${path}.code`),
    metric: optionalString(data.metric, `${path}.metric`),
    step_range: range(data.step_range, `${path}.step_range`),
    epoch_range: range(data.epoch_range, `${path}.epoch_range`)
  };
}

export function readRecommendation(value: Json, path: string): Recommendation {
  const data = object(value, path);
  return {
    action: string(data.action, `${path}.action`),
    rationale: string(data.rationale, `${path}.rationale`),
    priority: string(data.priority, `${path}.priority`),
    confidence: number(data.confidence, `${path}.confidence`),
    targets: strings(data.targets, `${path}.targets`),
    knowledge_refs: strings(data.knowledge_refs, `${path}.knowledge_refs`)
  };
}

export function readResult(value: Json, path: string): AnalysisResult {
  const data = object(value, path);
  const agents = array(data.agent_results ?? [], `${path}.agent_results`).map((item, i) => {
    const where = `${path}.agent_results[${i}]`;
    const agent = object(item, where);
    return {
      agent_name: string(agent.agent_name, `${where}.agent_name`),
      analysis: array(agent.analysis ?? [], `${where}.analysis`).map((entry, j) => {
        const at = `${where}.analysis[${j}]`;
        const pair = object(entry, at);
        return {
          findings: readFinding(pair.findings, `${at}.findings`),
          recommendations: readRecommendation(pair.recommendations, `${at}.recommendations`)
        };
      }),
      error_message: optionalString(agent.error_message, `${where}.error_message`)
    };
  });
  return {
    request_id: string(data.request_id, `${path}.request_id`),
    run_id: string(data.run_id, `${path}.run_id`),
    status: string(data.status, `${path}.status`),
    summary: string(data.summary ?? '', `${path}.summary`),
    agent_results: agents,
    execution_time: number(data.execution_time ?? 0, `${path}.execution_time`),
    timestamp: optionalString(data.timestamp, `${path}.timestamp`),
    warnings: strings(data.warnings, `${path}.warnings`),
    backend: optionalString(data.backend, `${path}.backend`)
  };
}

export function readCurves(value: Json, path: string): Curves | null {
  if (value === undefined || value === null) {
    return null;
  }
  const data = object(value, path);
  const series = new Map<string, Series>();
  for (const [name, item] of Object.entries(object(data.series, `${path}.series`))) {
    const where = `${path}.series[${JSON.stringify(name)}]`;
    const entry = object(item, where);
    const step = array(entry.step, `${where}.step`).map((v, i) => number(v, `${where}.step[${i}]`));
    const values = array(entry.value, `${where}.value`).map((v, i) =>
      curveNumber(v, `${where}.value[${i}]`)
    );
    if (values.length !== step.length) {
      throw new PayloadError(
        where,
        `step and value differ in length (${step.length} != ${values.length})`
      );
    }
    let epoch: number[] | null = null;
    if (entry.epoch !== undefined && entry.epoch !== null) {
      epoch = array(entry.epoch, `${where}.epoch`).map((v, i) =>
        curveNumber(v, `${where}.epoch[${i}]`)
      );
      if (epoch.length !== step.length) {
        throw new PayloadError(
          where,
          `step and epoch differ in length (${step.length} != ${epoch.length})`
        );
      }
    }
    series.set(name, {
      label: entry.label === undefined ? name : string(entry.label, `${where}.label`),
      step,
      value: values,
      epoch
    });
  }
  return {
    x: data.x === undefined ? 'step' : string(data.x, `${path}.x`),
    has_epoch: data.has_epoch === true,
    series
  };
}

/** `application/vnd.deepfix.analysis+json`: `{version, result, curves, run_name?, notice?}`. */
export function readAnalysisPayload(value: Json): AnalysisPayload {
  const data = object(value, 'analysis');
  return {
    version: version(data, 'analysis'),
    result: readResult(data.result, 'analysis.result'),
    curves: readCurves(data.curves, 'analysis.curves'),
    run_name: optionalString(data.run_name, 'analysis.run_name'),
    notice: optionalString(data.notice, 'analysis.notice')
  };
}

/**
 * `application/vnd.deepfix.comparison+json`: `{version, metric, align, results, params, curves,
 * names?}`.
 */
export function readComparisonPayload(value: Json): ComparisonPayload {
  const data = object(value, 'comparison');
  const results = new Map<string, AnalysisResult>();
  for (const [run, item] of Object.entries(object(data.results, 'comparison.results'))) {
    results.set(run, readResult(item, `comparison.results[${JSON.stringify(run)}]`));
  }
  const params = new Map<string, Record<string, unknown>>();
  for (const [run, item] of Object.entries(object(data.params ?? {}, 'comparison.params'))) {
    params.set(run, object(item, `comparison.params[${JSON.stringify(run)}]`));
  }
  const curves = new Map<string, Curves>();
  for (const [run, item] of Object.entries(object(data.curves ?? {}, 'comparison.curves'))) {
    const read = readCurves(item, `comparison.curves[${JSON.stringify(run)}]`);
    if (read !== null) {
      curves.set(run, read);
    }
  }
  const names = new Map<string, string>();
  for (const [run, item] of Object.entries(object(data.names ?? {}, 'comparison.names'))) {
    names.set(run, string(item, `comparison.names[${JSON.stringify(run)}]`));
  }
  return {
    version: version(data, 'comparison'),
    metric: string(data.metric ?? 'val_loss', 'comparison.metric'),
    align: string(data.align ?? 'step', 'comparison.align'),
    results,
    params,
    curves,
    names
  };
}

/** `application/vnd.deepfix.knowledge+json`: the contract's `KnowledgeResponse` as it is. */
export function readKnowledgeResponse(value: Json): KnowledgeResponse {
  const data = object(value, 'knowledge');
  return {
    query: string(data.query, 'knowledge.query'),
    results: array(data.results ?? [], 'knowledge.results').map((item, i) => {
      const where = `knowledge.results[${i}]`;
      const entry = object(item, where);
      return {
        id: string(entry.id, `${where}.id`),
        content: string(entry.content, `${where}.content`),
        source: string(entry.source, `${where}.source`),
        confidence: number(entry.confidence, `${where}.confidence`),
        relevance_score: number(entry.relevance_score, `${where}.relevance_score`),
        metadata: entry.metadata === undefined ? {} : object(entry.metadata, `${where}.metadata`)
      };
    })
  };
}
