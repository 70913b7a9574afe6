/** One entry point for every host: the view of a DeepFix payload, by its mime type. */

import { renderAnalysis } from './analysis';
import { renderComparison } from './comparison';
import { h } from './dom';
import { renderKnowledge } from './knowledge';
import {
  MIME_ANALYSIS,
  MIME_COMPARISON,
  MIME_KNOWLEDGE,
  readAnalysisPayload,
  readComparisonPayload,
  readKnowledgeResponse
} from './payload';
import { MIME_SWEEP, readSweepPayload, renderSweep } from './sweep';
import { MIME_RUNS, RunsOptions, readRunsPayload, renderRuns } from './runs';

/** The view of `data` for `mimeType`; throws `PayloadError` when the JSON is not DeepFix's. */
export function renderPayload(
  mimeType: string,
  data: unknown,
  runs: RunsOptions = {}
): HTMLElement {
  switch (mimeType) {
    case MIME_ANALYSIS:
      return renderAnalysis(readAnalysisPayload(data));
    case MIME_COMPARISON:
      return renderComparison(readComparisonPayload(data));
    case MIME_KNOWLEDGE:
      return renderKnowledge(readKnowledgeResponse(data));
    case MIME_SWEEP:
      return renderSweep(readSweepPayload(data));
    case MIME_RUNS:
      return renderRuns(readRunsPayload(data), runs);
    default:
      throw new Error(`Not a DeepFix mime type: ${mimeType}`);
  }
}

/**
 * What is shown when the payload cannot be read: the reason, and the output's own plain text
 * (which every DeepFix output carries), so nothing is lost.
 */
export function renderFailure(error: unknown, plain: unknown): HTMLElement {
  const reason = error instanceof Error ? error.message : String(error);
  return h(
    'div',
    { class: 'jp-DeepFix jp-DeepFix-failure' },
    h(
      'p',
      { class: 'jp-DeepFix-error' },
      'DeepFix could not draw this output (',
      reason,
      '). Its text version follows.'
    ),
    typeof plain === 'string' ? h('pre', {}, plain) : null
  );
}

/** The view of `data`, or the failure view: what a host shows, whatever it was given. */
export function renderOrExplain(
  mimeType: string,
  data: unknown,
  plain?: unknown,
  runs: RunsOptions = {}
): HTMLElement {
  try {
    return renderPayload(mimeType, data, runs);
  } catch (error) {
    console.warn('DeepFix: cannot render this output:', error);
    return renderFailure(error, plain);
  }
}
