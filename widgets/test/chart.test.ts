import { describe, expect, it } from 'vitest';

import {
  lineChart,
  logTicks,
  minmaxDownsample,
  nonFiniteStretches,
  niceTicks,
  yScale
} from '../src/chart';
import { formatLogTick } from '../src/format';

describe('minmaxDownsample', () => {
  it('keeps everything finite when short, and marks the non-finite values', () => {
    const down = minmaxDownsample([0, 1, 2, 3, 4], [1, NaN, 2, Infinity, 3], 10);
    expect(down.keep).toEqual([0, 2, 4]);
    expect(down.bad).toEqual([1, 3]);
    expect(down.breaks).toEqual([true, true]);
  });

  it('keeps the min and max of each bucket, so a spike survives', () => {
    const x = Array.from({ length: 10_000 }, (_, i) => i);
    const y = x.map(i => (i === 6_789 ? 100 : Math.sin(i / 50)));
    const down = minmaxDownsample(x, y, 200);
    expect(down.keep.length).toBeLessThanOrEqual(200);
    expect(down.keep).toContain(6_789);
    expect(Math.min(...down.keep.map(i => y[i]))).toBe(Math.min(...y));
    expect(down.keep).toEqual([...down.keep].sort((a, b) => a - b));
  });

  it('refuses fewer than two points', () => {
    expect(() => minmaxDownsample([0], [0], 1)).toThrow('at least 2');
  });
});

describe('scales and ticks', () => {
  it('picks round ticks', () => {
    expect(niceTicks(0, 1200)).toEqual([0, 250, 500, 750, 1000]);
    expect(niceTicks(0.38, 1.02)).toEqual([0.4, 0.6, 0.8, 1]);
    expect(niceTicks(5, 5)).toEqual([5]);
  });

  it('labels a log axis with numbers people read', () => {
    const ticks = logTicks(1e-4, 2e-3);
    expect(ticks.map(formatLogTick)).toEqual(['1e-4', '2e-4', '5e-4', '0.001', '0.002']);
    expect(logTicks(0.003, 3).map(formatLogTick)).toEqual([
      '0.003',
      '0.01',
      '0.03',
      '0.1',
      '0.3',
      '1',
      '3'
    ]);
    expect(logTicks(1e-8, 10).map(formatLogTick)).toEqual(['1e-8', '1e-6', '1e-4', '0.01', '1']);
    expect(formatLogTick(3e5)).toBe('3e5');
    const figure = lineChart([{ label: 'lr', x: [0, 100, 200], y: [1e-4, 5e-4, 0.02] }], {
      title: 'Learning rate'
    });
    const labels = [...figure.querySelectorAll('.jp-DeepFix-axis text')].map(t => t.textContent);
    expect(labels.slice(0, 5)).toEqual(['1e-4', '3e-4', '0.001', '0.003', '0.01']);
    expect(labels.filter(label => label === '5' || label === '2')).toEqual([]);
  });

  it('goes logarithmic for a positive curve spanning more than 100x', () => {
    expect(yScale([[0.01, 10]]).log).toBe(true);
    expect(yScale([[0.5, 10]]).log).toBe(false);
    expect(yScale([[-1, 1000]]).log).toBe(false);
    expect(yScale([[NaN]]).low).toBe(0);
  });
});

describe('lineChart', () => {
  it('draws each series, marks NaN/Inf in red, and shades bands with their titles', () => {
    const figure = lineChart(
      [
        { label: 'train_loss', x: [0, 1, 2, 3, 4], y: [1, 0.8, NaN, NaN, 0.5] },
        { label: 'val_loss', x: [0, 1, 2, 3, 4], y: [1, 0.9, 0.95, 1.0, 1.1] }
      ],
      {
        title: 'Loss',
        bands: [
          {
            first: 2,
            last: 4,
            label: 'nan_loss',
            severity: 'high',
            title: 'NaN at step 2',
            key: 'k'
          }
        ]
      }
    );
    const svg = figure.querySelector('svg')!;
    expect(svg.getAttribute('aria-label')).toBe('Loss');
    // train_loss breaks at the NaNs: a polyline before, a single point after.
    const train = svg.querySelector('[data-series="train_loss"]')!;
    expect(train.querySelectorAll('polyline')).toHaveLength(1);
    expect(train.querySelectorAll('circle')).toHaveLength(1);
    expect(svg.querySelector('.jp-DeepFix-nonfinite title')!.textContent).toBe(
      'train_loss: 2 non-finite value(s), the first at 2'
    );
    const band = svg.querySelector('.jp-DeepFix-band')!;
    expect(band.classList.contains('jp-DeepFix-severity-high')).toBe(true);
    expect(band.querySelector('title')!.textContent).toBe('NaN at step 2');
    expect([...figure.querySelectorAll('.jp-DeepFix-key')].map(k => k.textContent)).toEqual([
      'train_loss',
      'val_loss',
      'NaN / Inf'
    ]);
  });

  it('titles each drawn point with its value, for hovering', () => {
    const figure = lineChart(
      [
        { label: 'val_loss', x: [0, 500, 1000], y: [1.5, 0.123456789, NaN] },
        { label: 'lr', x: [0, 1000], y: [0.001, 1e-5] }
      ],
      { title: 'Loss', xLabel: 'epoch' }
    );
    const titles = [...figure.querySelectorAll('.jp-DeepFix-points')].map(group =>
      [...group.querySelectorAll('circle > title')].map(title => title.textContent)
    );
    expect(titles).toEqual([
      ['val_loss: 1.5 at epoch 0', 'val_loss: 0.123457 at epoch 500'], // the NaN is a red mark
      ['lr: 0.001 at epoch 0', 'lr: 1e-05 at epoch 1,000']
    ]);
    const [first] = figure.querySelectorAll('.jp-DeepFix-points');
    expect(first.getAttribute('fill')).toBe(
      figure.querySelector('polyline')!.parentElement!.getAttribute('stroke')
    );
    // At most maxPoints targets per series, however long the curve.
    const x = Array.from({ length: 5000 }, (_, i) => i);
    const long = lineChart([{ label: 'loss', x, y: x.map(i => Math.cos(i)) }], {
      title: 'Loss',
      maxPoints: 100
    });
    expect(long.querySelectorAll('.jp-DeepFix-points circle').length).toBeLessThanOrEqual(100);
    expect(long.querySelectorAll('.jp-DeepFix-points circle').length).toBeGreaterThan(50);
  });

  it('groups non-finite values into stretches, one mark each with a count', () => {
    expect(nonFiniteStretches([0, 1, 2, 3, 4, 5], [1, NaN, NaN, 2, Infinity, -Infinity])).toEqual([
      { first: 1, last: 2, count: 2, negative: false },
      { first: 4, last: 4, count: 1, negative: false },
      { first: 5, last: 5, count: 1, negative: true }
    ]);
    // A short run (40 steps, NaN from step 10) on a 100,000-step axis: one mark, not a blob.
    const short = Array.from({ length: 40 }, (_, i) => i);
    const figure = lineChart(
      [
        { label: 'short', x: short, y: short.map(i => (i >= 10 && i % 2 ? NaN : 1 / (i + 1))) },
        { label: 'long', x: [0, 100_000], y: [1, 0.5] }
      ],
      { title: 'Loss' }
    );
    const marks = figure.querySelectorAll('.jp-DeepFix-nonfinite-mark');
    expect(marks).toHaveLength(1);
    expect(marks[0].getAttribute('data-count')).toBe('15');
    expect(marks[0].querySelector('text')!.textContent).toBe('\u00d715');
    expect(marks[0].querySelector('title')!.textContent).toBe(
      'short: 15 non-finite value(s), steps 11\u201339'
    );
  });

  it('draws a band as an onset marker plus its segment, labels never overlapping', () => {
    const bands = ['overfitting', 'val_loss_plateau', 'lr_too_high', 'nan_loss'].map(
      (label, i) => ({
        first: 100 + i,
        last: 299,
        label,
        severity: i % 2 ? 'medium' : 'high',
        title: label,
        key: `k${i}`
      })
    );
    const x = Array.from({ length: 300 }, (_, i) => i);
    const figure = lineChart([{ label: 'loss', x, y: x.map(i => 1 / (i + 1)) }], {
      title: 'Loss',
      bands
    });
    const band = figure.querySelector('rect.jp-DeepFix-band[data-deepfix-band="k0"]')!;
    const onset = figure.querySelector('.jp-DeepFix-onset[data-deepfix-band="k0"]')!;
    expect(onset.getAttribute('d')).toMatch(new RegExp(`^M${band.getAttribute('x')} `));
    const labels = [...figure.querySelectorAll<SVGTextElement>('.jp-DeepFix-band-label')];
    expect(labels.length).toBe(3); // three rows; the fourth label has no room (its band has a title)
    const boxes = labels.map(label => ({
      x: Number(label.getAttribute('x')),
      y: Number(label.getAttribute('y')),
      w: label.textContent!.length * 6.2 + 4
    }));
    for (const [i, a] of boxes.entries()) {
      for (const b of boxes.slice(i + 1)) {
        const apart = a.y !== b.y || a.x + a.w <= b.x || b.x + b.w <= a.x;
        expect(apart).toBe(true);
      }
    }
    expect(figure.querySelectorAll('rect.jp-DeepFix-band')).toHaveLength(4);
  });

  it('says so when there is nothing to draw', () => {
    const figure = lineChart([{ label: 'x', x: [], y: [] }], { title: 'Empty' });
    expect(figure.querySelector('.jp-DeepFix-legend')!.textContent).toBe('no values logged');
  });
});
