import { describe, expect, it } from 'vitest';

import { best, flatten, paramText, renderComparison } from '../src/comparison';
import { readComparisonPayload, readCurves } from '../src/payload';
import { comparisonPayload } from './fixtures';

function render(data = comparisonPayload()): HTMLElement {
  const root = renderComparison(readComparisonPayload(data));
  document.body.replaceChildren(root);
  return root;
}

const rows = (root: Element, selector: string): string[][] =>
  [...root.querySelectorAll(`${selector} tr`)].map(tr =>
    [...tr.querySelectorAll('th, td')].map(cell => cell.textContent ?? '')
  );

describe('renderComparison', () => {
  it('shows the worst severity of each problem by run, each problem once per run', () => {
    const root = render();
    expect(root.querySelector('.jp-DeepFix-title')!.textContent).toBe(
      'DeepFix comparison of 3 run(s)'
    );
    expect(rows(root, '.jp-DeepFix-matrix')).toEqual([
      ['run', 'status', 'overfitting', 'overtraining', 'small_dataset', 'nan_loss'],
      ['overfitting', 'completed', 'medium', 'low', 'high', '\u2014'],
      ['diverging', 'completed', 'high', '\u2014', '\u2014', 'high'],
      ['quickstart', 'failed', '?', '?', '?', '?'] // not analysed: unknown, not absent
    ]);
    const cell = root.querySelector('.jp-DeepFix-matrix td[title^="diverging: overfitting"]')!;
    expect(cell.getAttribute('title')).toBe(
      'diverging: overfitting, worst high (reported by 2 finding(s))'
    );
    expect(cell.classList.contains('jp-DeepFix-badge-high')).toBe(true);
  });

  it('lists only the parameters that differ, flattened, and counts the shared ones', () => {
    const root = render();
    expect(rows(root, '.jp-DeepFix-params')).toEqual([
      ['parameter', 'overfitting', 'diverging', 'quickstart'],
      ['batch_size', '20', '32', '32'],
      ['optimizer.lr', '0.001', '0.8', '0.02']
    ]);
    expect(root.querySelector('.jp-DeepFix-params .jp-DeepFix-meta')!.textContent).toBe(
      '2 shared parameter(s) hidden.'
    );
  });

  it('ranks by the lowest loss (NaN and Inf ignored) and overlays the runs', () => {
    const root = render();
    expect(rows(root, '.jp-DeepFix-ranking')).toEqual([
      ['#', 'run', 'best val_loss', 'at step'],
      ['1', 'quickstart', '0.4', '20'],
      ['2', 'overfitting', '0.7', '10'],
      ['3', 'diverging', '1.1', '0']
    ]);
    const chart = root.querySelector('.jp-DeepFix-ranking .jp-DeepFix-chart')!;
    expect([...chart.querySelectorAll('.jp-DeepFix-key')].map(k => k.textContent)).toEqual([
      'overfitting',
      'diverging',
      'quickstart',
      'NaN / Inf'
    ]);
  });

  it('ranks scores by the highest value and aligns by epoch when asked', () => {
    const data = comparisonPayload({ metric: 'val_accuracy', align: 'epoch' });
    for (const [run, values] of Object.entries({
      overfitting: [0.5, 0.9],
      diverging: [0.2, 0.3],
      quickstart: [0.6, 0.7]
    })) {
      data.curves[run].series = {
        val_accuracy: { label: 'val_accuracy', step: [0, 10], epoch: [0, 1], value: values }
      };
    }
    const root = render(data);
    expect(
      rows(root, '.jp-DeepFix-ranking')
        .slice(1)
        .map(r => r[1])
    ).toEqual(['overfitting', 'quickstart', 'diverging']);
    expect(root.querySelector('.jp-DeepFix-ranking')!.textContent).toContain(
      'Ranked by the highest val_accuracy'
    );
    expect(root.querySelector('.jp-DeepFix-ranking .jp-DeepFix-axis')!.textContent).toContain(
      'epoch'
    );
  });

  it('says why runs are not ranked', () => {
    expect(
      render(comparisonPayload({ metric: 'f1' })).querySelector('.jp-DeepFix-ranking')!.textContent
    ).toBe('RankingNo run logged f1: runs are not ranked.');
    expect(
      render(comparisonPayload({ curves: {} })).querySelector('.jp-DeepFix-ranking p')!.textContent
    ).toBe('No curves were saved with the runs: they are not ranked.');
    expect(render(comparisonPayload({ results: {} })).textContent).toContain('No runs to compare.');
  });
});

describe('helpers', () => {
  it('flattens nested parameters and prints values as Python does', () => {
    expect([...flatten({ a: { b: { c: 1 } }, d: [1, 2] })]).toEqual([
      ['a.b.c', 1],
      ['d', [1, 2]]
    ]);
    expect([true, null, 0.1, 3, 'adam', [1, 2]].map(paramText)).toEqual([
      'True',
      'None',
      '0.1',
      '3',
      'adam',
      '[1,2]'
    ]);
  });

  it('finds the best finite value and its step', () => {
    const curves = readCurves(
      { x: 'step', series: { m: { label: 'm', step: [0, 5, 9], value: ['NaN', 2, 1] } } },
      'c'
    )!;
    expect(best(curves, 'm', false)).toEqual({ value: 1, step: 9 });
    expect(best(curves, 'm', true)).toEqual({ value: 2, step: 5 });
    expect(best(curves, 'absent', true)).toBeNull();
  });
});
