/**
 * DeepFix's views, written once: plain DOM (no framework, no JupyterLab), drawn from the JSON
 * payloads the Python package writes. The JupyterLab extension's mime renderer and the anywidget
 * front end (`anywidget.ts`) both draw with these.
 */

export { renderAnalysis } from './analysis';
export { renderComparison } from './comparison';
export { renderKnowledge } from './knowledge';
export { MIME_SWEEP, readSweepPayload, renderSweep } from './sweep';
export { MIME_RUNS, readRunsPayload, renderRuns } from './runs';
export type { RunsOptions, RunsPayload } from './runs';
export { renderFailure, renderOrExplain, renderPayload } from './render';
export {
  MIME_ANALYSIS,
  MIME_COMPARISON,
  MIME_KNOWLEDGE,
  MIME_TYPES,
  PAYLOAD_VERSION,
  PayloadError
} from './payload';
export type { DeepFixMimeType } from './payload';
