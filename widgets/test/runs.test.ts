import { describe, expect, it } from 'vitest';

import { renderAnalysis } from '../src/analysis';
import { renderComparison } from '../src/comparison';
import { readAnalysisPayload, readComparisonPayload } from '../src/payload';
import { breakable, runLabel, runText, shortId } from '../src/runs';
import { analysisPayload, comparisonPayload, result } from './fixtures';

const ID = '3f2a9c1b8e7d4c6a9b0f1e2d3c4b5a69';

describe('run labels', () => {
  it('shorten MLflow ids only, and prefer names', () => {
    expect(shortId(ID)).toBe('3f2a9c1b\u2026');
    expect(shortId('runs/overfitting')).toBe('runs/overfitting');
    expect(runText(ID, 'lr-3e-4')).toBe('lr-3e-4');
    expect(runText(ID, null)).toBe('3f2a9c1b\u2026');
  });

  it('carry the full id on hover and copy it on click', async () => {
    const written: string[] = [];
    Object.defineProperty(navigator, 'clipboard', {
      value: { writeText: async (text: string) => void written.push(text) },
      configurable: true
    });
    const label = runLabel(ID, 'lr-3e-4');
    expect(label.textContent).toBe('lr-3e-4');
    expect(label.title).toBe(`run id ${ID} (click to copy)`);
    label.click();
    await Promise.resolve();
    expect(written).toEqual([ID]);
  });

  it('let long identifiers break after _ . - /', () => {
    const span = document.createElement('span');
    span.append(...(breakable('learning_rate.init') as Node[]).map(n => n));
    expect(span.innerHTML).toBe('learning_<wbr>rate.<wbr>init');
  });
});

describe('views with run names', () => {
  it('title an analysis by the run name, with the id in the meta line', () => {
    const root = renderAnalysis(
      readAnalysisPayload(analysisPayload({ result: result({ run_id: ID }), run_name: 'lr-3e-4' }))
    );
    expect(root.querySelector('.jp-DeepFix-title')!.textContent).toBe(
      'DeepFix analysis of lr-3e-4'
    );
    expect(
      root.querySelector('.jp-DeepFix-title .jp-DeepFix-run')!.getAttribute('title')
    ).toContain(ID);
    expect(root.querySelector('.jp-DeepFix-header .jp-DeepFix-meta')!.textContent).toContain(
      `run ${ID}`
    );
  });

  it('name the runs of a comparison in the matrix, parameters, ranking and legend', () => {
    const names = { overfitting: 'overfit-sgd', diverging: 'diverge-lr0.8' };
    const root = renderComparison(readComparisonPayload(comparisonPayload({ names })));
    const firstColumn = (selector: string): string[] =>
      [...root.querySelectorAll(`${selector} tbody tr`)].map(
        tr => tr.querySelector('.jp-DeepFix-run')!.textContent ?? ''
      );
    expect(firstColumn('.jp-DeepFix-matrix')).toEqual([
      'overfit-sgd',
      'diverge-lr0.8',
      'quickstart'
    ]);
    expect(firstColumn('.jp-DeepFix-ranking')).toEqual([
      'quickstart',
      'overfit-sgd',
      'diverge-lr0.8'
    ]);
    const heads = [...root.querySelectorAll('.jp-DeepFix-params th')].map(th => th.textContent);
    expect(heads).toEqual(['parameter', 'overfit-sgd', 'diverge-lr0.8', 'quickstart']);
    const keys = [...root.querySelectorAll('.jp-DeepFix-ranking .jp-DeepFix-key')].map(
      k => k.textContent
    );
    expect(keys.slice(0, 3)).toEqual(['overfit-sgd', 'diverge-lr0.8', 'quickstart']);
    expect(root.querySelector('.jp-DeepFix-matrix th.jp-DeepFix-problem wbr')).not.toBeNull();
  });

  it('refuses names that are not text', () => {
    expect(() => readComparisonPayload(comparisonPayload({ names: { overfitting: 3 } }))).toThrow(
      'comparison.names["overfitting"]: expected a string'
    );
  });
});
