/** The mime renderer: a Lumino widget that draws a DeepFix payload with the shared views. */

import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Widget } from '@lumino/widgets';

import { DeepFixMimeType, renderOrExplain } from './views';

export const RENDERER_CLASS = 'jp-DeepFixRenderer';

export class DeepFixRenderer extends Widget implements IRenderMime.IRenderer {
  constructor(private readonly mimeType: DeepFixMimeType | string) {
    super();
    this.addClass(RENDERER_CLASS);
    this.node.dataset.mimeType = mimeType; // as JupyterLab's own renderers mark their output
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const data = model.data;
    this.node.replaceChildren(
      renderOrExplain(this.mimeType, data[this.mimeType], data['text/plain'])
    );
  }
}
