import { describe, expect, it } from 'vitest';

import extension, { RANK, rendererFactory } from '../src/mime';
import {
  MIME_ANALYSIS,
  MIME_COMPARISON,
  MIME_KNOWLEDGE,
  MIME_RUNS,
  MIME_SWEEP
} from '../src/views';
import { ANALYZE_EVENT, DeepFixRenderer, RENDERER_CLASS } from '../src/renderer';
import { analysisPayload, knowledgePayload, runsPayload } from '../../widgets/test/fixtures';

function model(data: Record<string, unknown>): any {
  return { data, metadata: {}, trusted: false, setData: () => undefined };
}

describe('the mime extension', () => {
  it('claims the three DeepFix types, is safe, and ranks before ipywidgets and HTML', () => {
    expect(rendererFactory.mimeTypes).toEqual([
      MIME_ANALYSIS,
      MIME_COMPARISON,
      MIME_KNOWLEDGE,
      MIME_SWEEP,
      MIME_RUNS
    ]);
    expect(rendererFactory.safe).toBe(true);
    expect(extension.rank).toBe(RANK);
    expect(rendererFactory.defaultRank).toBe(RANK);
    // @jupyter-widgets/jupyterlab-manager's widget view: AnalysisWidget's model is gone once the
    // notebook is reopened, the JSON is not, so the native view wins live and saved alike.
    expect(RANK).toBeLessThan(-10);
    expect(RANK).toBeLessThan(50); // text/html, the fallback
  });
});

describe('DeepFixRenderer', () => {
  it('draws the payload of its mime type, replacing what it drew before', async () => {
    const renderer = rendererFactory.createRenderer({
      mimeType: MIME_ANALYSIS,
      sanitizer: {} as any,
      resolver: null,
      linkHandler: null,
      latexTypesetter: null
    }) as DeepFixRenderer;
    expect(renderer.node.classList.contains(RENDERER_CLASS)).toBe(true);
    expect(renderer.node.dataset.mimeType).toBe(MIME_ANALYSIS);
    await renderer.renderModel(
      model({ [MIME_ANALYSIS]: analysisPayload(), 'text/html': '<b>fallback</b>' })
    );
    await renderer.renderModel(model({ [MIME_ANALYSIS]: analysisPayload() }));
    expect(renderer.node.querySelectorAll('.jp-DeepFix-analysis')).toHaveLength(1);
    expect(renderer.node.querySelector('b')).toBeNull();
  });

  it('shows the reason and the plain text when the payload is not readable', async () => {
    const renderer = new DeepFixRenderer(MIME_KNOWLEDGE);
    const broken = knowledgePayload({ results: 'none' });
    await renderer.renderModel(
      model({ [MIME_KNOWLEDGE]: broken, 'text/plain': 'Knowledge for <q>' })
    );
    const failure = renderer.node.querySelector('.jp-DeepFix-failure')!;
    expect(failure.querySelector('.jp-DeepFix-error')!.textContent).toBe(
      'DeepFix could not draw this output (knowledge.results: expected an array, got string "none"). ' +
        'Its text version follows.'
    );
    expect(failure.querySelector('pre')!.textContent).toBe('Knowledge for <q>');
  });

  it("asks the plugin to analyse a run from the runs table's Analyze", async () => {
    const renderer = new DeepFixRenderer(MIME_RUNS);
    await renderer.renderModel(model({ [MIME_RUNS]: runsPayload() }));
    document.body.appendChild(renderer.node);
    const asked: unknown[] = [];
    const listener = (event: Event): void => {
      asked.push((event as CustomEvent).detail.runId);
      event.preventDefault(); // handled: nothing copied
    };
    document.addEventListener(ANALYZE_EVENT, listener);
    try {
      renderer.node.querySelector<HTMLButtonElement>('.jp-DeepFix-analyze')!.click();
    } finally {
      document.removeEventListener(ANALYZE_EVENT, listener);
      renderer.node.remove();
    }
    expect(asked).toEqual(['a'.repeat(32)]);
  });
});
