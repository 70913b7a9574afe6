/** The mime renderer: a Lumino widget that draws a DeepFix payload with the shared views. */

import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Widget } from '@lumino/widgets';

import { DeepFixMimeType, renderOrExplain } from './views';

export const RENDERER_CLASS = 'jp-DeepFixRenderer';
/**
 * What the runs table's Analyze button dispatches (bubbling, cancelable; `detail.runId`): the
 * plugin (`index.ts`) runs `%deepfix analyze` in a cell below the table's and cancels the event.
 * A mime renderer has no kernel of its own to ask.
 */
export const ANALYZE_EVENT = 'deepfix-analyze-run';

export class DeepFixRenderer extends Widget implements IRenderMime.IRenderer {
  constructor(private readonly mimeType: DeepFixMimeType | string) {
    super();
    this.addClass(RENDERER_CLASS);
    this.node.dataset.mimeType = mimeType; // as JupyterLab's own renderers mark their output
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const data = model.data;
    this.node.replaceChildren(
      renderOrExplain(this.mimeType, data[this.mimeType], data['text/plain'], {
        onAnalyze: runId => this.analyze(runId)
      })
    );
  }

  /** Ask the plugin to analyse `runId`; with no one to ask, copy the magic that does. */
  private analyze(runId: string): void {
    const event = new CustomEvent(ANALYZE_EVENT, {
      bubbles: true,
      cancelable: true,
      detail: { runId }
    });
    if (this.node.dispatchEvent(event)) {
      void navigator.clipboard?.writeText(`%deepfix analyze ${runId}`);
    }
  }
}
