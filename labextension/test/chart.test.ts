import { describe, expect, it } from 'vitest';

import { lineChart, minmaxDownsample, niceTicks, yScale } from '../src/chart';

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

  it('says so when there is nothing to draw', () => {
    const figure = lineChart([{ label: 'x', x: [], y: [] }], { title: 'Empty' });
    expect(figure.querySelector('.jp-DeepFix-legend')!.textContent).toBe('no values logged');
  });
});
