/**
 * The mime extension: DeepFix's JSON output types (and its sweeps'), drawn natively.
 *
 * `safe: true` because the views build DOM from text only (see `dom.ts`), so they also draw
 * outputs of untrusted notebooks. The rank puts them before ipywidgets' widget view (-10) and
 * `text/html` (50): `%deepfix analyze` shows this view, live and when the saved notebook is
 * reopened, rather than an `AnalysisWidget` whose model dies with the kernel ("Error displaying
 * widget: model not found"). Frontends without the extension still get the widget or the HTML.
 */

import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';

import { MIME_RUNS, MIME_SWEEP, MIME_TYPES } from './views';
import { DeepFixRenderer } from './renderer';

export const RANK = -20;

export const rendererFactory: IRenderMime.IRendererFactory = {
  safe: true,
  mimeTypes: [...MIME_TYPES, MIME_SWEEP, MIME_RUNS],
  defaultRank: RANK,
  createRenderer: options => new DeepFixRenderer(options.mimeType)
};

const extension: IRenderMime.IExtension = {
  id: 'deepfix-notebook:renderer',
  description:
    'Draws DeepFix analyses, comparisons, knowledge searches and sweeps from their JSON.',
  rendererFactory,
  rank: RANK
};

export default extension;
