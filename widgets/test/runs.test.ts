import { describe, expect, it } from 'vitest';

import { renderAnalysis } from '../src/analysis';
import { renderComparison } from '../src/comparison';
import { readAnalysisPayload, readComparisonPayload } from '../src/payload';
import { renderPayload } from '../src/render';
import {
  MIME_RUNS,
  breakable,
  readRunsPayload,
  renderRuns,
  runLabel,
  runText,
  shortId
} from '../src/runs';
import { analysisPayload, comparisonPayload, result, runsPayload } from './fixtures';

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

describe('the runs table', () => {
  const names = (root: HTMLElement): string[] =>
    [...root.querySelectorAll('tbody tr:not([hidden]) .jp-DeepFix-run')].map(
      e => e.textContent ?? ''
    );
  const sortBy = (root: HTMLElement, key: string): void =>
    root.querySelector<HTMLButtonElement>(`th[data-sort-key="${key}"] .jp-DeepFix-sort`)!.click();

  it('shows name, status, start, duration, health and a column per key parameter', () => {
    const root = renderRuns(readRunsPayload(runsPayload()));
    expect(root.querySelector('.jp-DeepFix-title')!.textContent).toBe('DeepFix: 3 runs');
    const heads = [...root.querySelectorAll('thead th')].map(th => th.textContent);
    expect(heads).toEqual([
      'name',
      'status',
      'start',
      'duration',
      'health',
      'learning_rate',
      'optimizer',
      'analyze'
    ]);
    expect(names(root)).toEqual(['baseline', 'lr-high', 'lr-small']);
    const broken = root.querySelector('tr[data-run-id^="b"] .jp-DeepFix-runs-bad')!;
    expect(broken.textContent).toBe('train_loss is nan');
    // Without a kernel to ask, each row says which magic analyses it.
    expect(root.querySelector('tbody tr code')!.textContent).toBe(
      `%deepfix analyze ${'a'.repeat(32)}`
    );
    expect(root.querySelector('.jp-DeepFix-analyze')).toBeNull();
  });

  it('sorts by a column, the other way round on a second click, missing values last', () => {
    const root = renderRuns(readRunsPayload(runsPayload()));
    sortBy(root, 'param:learning_rate');
    expect(names(root)).toEqual(['lr-small', 'baseline', 'lr-high']); // 5e-5 < 0.001 < 1.0
    const th = root.querySelector('th[data-sort-key="param:learning_rate"]')!;
    expect(th.getAttribute('aria-sort')).toBe('ascending');
    sortBy(root, 'param:learning_rate');
    expect(names(root)).toEqual(['lr-high', 'baseline', 'lr-small']);
    expect(th.getAttribute('aria-sort')).toBe('descending');
    sortBy(root, 'duration');
    expect(names(root)).toEqual(['lr-small', 'baseline', 'lr-high']); // running: no duration
    expect(th.getAttribute('aria-sort')).toBe('none');
    sortBy(root, 'duration');
    expect(names(root)).toEqual(['baseline', 'lr-small', 'lr-high']);
    sortBy(root, 'health');
    expect(names(root)[0]).toBe('lr-high'); // broken runs first
  });

  it('filters by every word typed, in names, ids, status and parameters', () => {
    const root = renderRuns(readRunsPayload(runsPayload()));
    const filter = root.querySelector<HTMLInputElement>('input[name=filter]')!;
    const type = (text: string): void => {
      filter.value = text;
      filter.dispatchEvent(new Event('input'));
    };
    type('adam');
    expect(names(root)).toEqual(['baseline', 'lr-small']);
    expect(root.querySelector('.jp-DeepFix-shown')!.textContent).toBe('2 of 3 shown');
    type('ADAM  lr-');
    expect(names(root)).toEqual(['lr-small']);
    type('bbbbbbbb');
    expect(names(root)).toEqual(['lr-high']);
    type('no-such-run');
    expect(names(root)).toEqual([]);
    expect(root.querySelector<HTMLElement>('.jp-DeepFix-nomatch')!.hidden).toBe(false);
    type('');
    expect(names(root)).toHaveLength(3);
  });

  it('calls onAnalyze with the run id and marks the row', () => {
    const asked: string[] = [];
    const root = renderRuns(readRunsPayload(runsPayload()), { onAnalyze: id => asked.push(id) });
    root.querySelector<HTMLButtonElement>('tr[data-run-id^="c"] .jp-DeepFix-analyze')!.click();
    expect(asked).toEqual(['c'.repeat(32)]);
    expect(root.querySelectorAll('tr.jp-mod-active')).toHaveLength(1);
  });

  it('says so when there are no runs, and names what is wrong in a bad payload', () => {
    const empty = renderRuns(readRunsPayload({ version: 1, key_params: [], runs: [] }));
    expect(empty.textContent).toContain('No runs yet');
    const bad = { ...runsPayload(), runs: [{ run_id: 3 }] };
    expect(() => readRunsPayload(bad)).toThrow('runs.runs[0].run_id: expected a string, got 3');
    expect(renderPayload(MIME_RUNS, runsPayload()).classList).toContain('jp-DeepFix-runs-view');
  });
});
