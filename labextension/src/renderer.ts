/** The mime renderer: a Lumino widget that draws a DeepFix payload with the views above. */

import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Widget } from '@lumino/widgets';

import { renderAnalysis } from './analysis';
import { renderComparison } from './comparison';
import { h } from './dom';
import { renderKnowledge } from './knowledge';
import {
  DeepFixMimeType,
  MIME_ANALYSIS,
  MIME_COMPARISON,
  MIME_KNOWLEDGE,
  readAnalysisPayload,
  readComparisonPayload,
  readKnowledgeResponse
} from './payload';

export const RENDERER_CLASS = 'jp-DeepFixRenderer';

/** The view of `data` for `mimeType`; throws `PayloadError` when the JSON is not DeepFix's. */
export function renderPayload(mimeType: string, data: unknown): HTMLElement {
  switch (mimeType) {
    case MIME_ANALYSIS:
      return renderAnalysis(readAnalysisPayload(data));
    case MIME_COMPARISON:
      return renderComparison(readComparisonPayload(data));
    case MIME_KNOWLEDGE:
      return renderKnowledge(readKnowledgeResponse(data));
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

export class DeepFixRenderer extends Widget implements IRenderMime.IRenderer {
  constructor(private readonly mimeType: DeepFixMimeType | string) {
    super();
    this.addClass(RENDERER_CLASS);
    this.node.dataset.mimeType = mimeType; // as JupyterLab's own renderers mark their output
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    let view: HTMLElement;
    try {
      view = renderPayload(this.mimeType, model.data[this.mimeType]);
    } catch (error) {
      console.warn('DeepFix: cannot render this output:', error);
      view = renderFailure(error, model.data['text/plain']);
    }
    this.node.replaceChildren(view);
  }
}
