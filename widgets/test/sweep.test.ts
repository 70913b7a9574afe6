import { describe, expect, it } from 'vitest';

import { SERIES_COLOURS } from '../src/chart';
import { renderPayload } from '../src/render';
import {
  CLEAN_COLOUR,
  FAILED_COLOUR,
  MIME_SWEEP,
  SweepAxis,
  axisPosition,
  axisTicks,
  problemColours,
  readSweepPayload,
  renderSweep,
  runColour
} from '../src/sweep';

const ID = (n: number): string => n.toString(16).padStart(32, '0');

function run(n: number, lr: number, opt: string, problems: string[], metric: number | null) {
  const severity = problems.length ? 'high' : 'clean';
  return {
    run_id: ID(n),
    run_name: `run-${n}`,
    status: 'analysed',
    problems,
    severity,
    params: { learning_rate: String(lr), optimizer: opt },
    metric,
    error_code: null,
    error: null
  };
}

function payload(): Record<string, unknown> {
  return {
    version: 1,
    result: {
      experiment: 'lr-sweep',
      tracking_uri: 'sqlite:///x.db',
      runs: [
        run(1, 1e-4, 'adam', [], 0.2),
        run(2, 1e-2, 'sgd', [], 0.15),
        run(3, 0.5, 'adam', ['exploding_loss', 'overfitting'], 9.5),
        run(4, 1.0, 'sgd', ['exploding_loss'], 12),
        run(5, 1e-3, 'sgd', ['overfitting'], 0.4),
        {
          ...run(6, 0.1, 'adam', [], null),
          status: 'failed',
          severity: null,
          error_code: 'ARTIFACT_UNREADABLE',
          error: 'no metrics'
        }
      ],
      counts: { high: 3, medium: 0, clean: 2, failed: 1 },
      problem_counts: { overfitting: 2, exploding_loss: 2 },
      associations: [
        {
          code: 'exploding_loss',
          param: 'learning_rate',
          condition: 'learning_rate \u2265 0.5',
          operator: '>=',
          threshold: 0.5,
          values: null,
          support: 2,
          hits_in: 2,
          runs_out: 3,
          hits_out: 0,
          rate_in: 1,
          rate_out: 0,
          p_value: 0.004
        }
      ],
      association_test: 'Fisher',
      associations_note: null,
      best: {
        metric: 'val_loss',
        higher_is_better: false,
        runs: [{ run_id: ID(2), run_name: 'run-2', value: 0.15 }],
        region: { optimizer: 'optimizer in {sgd}' }
      },
      summary: 'exploding_loss goes with learning_rate \u2265 0.5.',
      execution_time: 0.5,
      timestamp: '2026-01-01T00:00:00Z',
      warnings: []
    },
    axes: [
      { name: 'learning_rate', scale: 'log', low: 1e-4, high: 1, categories: [] },
      { name: 'optimizer', scale: 'category', low: 0, high: 0, categories: ['adam', 'sgd'] }
    ],
    metric: { name: 'val_loss', scale: 'log', low: 0.15, high: 12, categories: [] }
  };
}

function render(): HTMLElement {
  const root = renderSweep(readSweepPayload(payload()));
  document.body.replaceChildren(root);
  return root;
}

const visible = (root: Element, selector: string): Element[] =>
  [...root.querySelectorAll(selector)].filter(el => !el.hasAttribute('hidden'));

describe('sweep axes', () => {
  const log: SweepAxis = { name: 'lr', scale: 'log', low: 1e-4, high: 1, categories: [] };
  const linear: SweepAxis = { name: 'b', scale: 'linear', low: 16, high: 64, categories: [] };
  const category: SweepAxis = {
    name: 'o',
    scale: 'category',
    low: 0,
    high: 0,
    categories: ['adam', 'rmsprop', 'sgd']
  };

  it('place values by decade on log axes, linearly on numeric ones', () => {
    expect(axisPosition(log, 1e-4)).toBe(0);
    expect(axisPosition(log, '0.01')).toBeCloseTo(0.5);
    expect(axisPosition(log, 1)).toBe(1);
    expect(axisPosition(linear, 40)).toBeCloseTo(0.5);
  });

  it('place categories evenly in their given order, and leave out what is not on the axis', () => {
    expect(['adam', 'rmsprop', 'sgd'].map(c => axisPosition(category, c))).toEqual([0, 0.5, 1]);
    expect(axisPosition(category, 'lion')).toBeNull();
    expect(axisPosition(log, 0)).toBeNull();
    expect(axisPosition(log, 'fast')).toBeNull();
    expect(axisPosition(linear, null)).toBeNull();
  });

  it('label log axes per decade and categories by name', () => {
    expect(axisTicks(log).map(t => t.label)).toEqual(['1e-4', '0.001', '0.01', '0.1', '1']);
    expect(axisTicks(category)).toEqual([
      { at: 0, label: 'adam' },
      { at: 0.5, label: 'rmsprop' },
      { at: 1, label: 'sgd' }
    ]);
    expect(axisTicks(linear).every(t => t.at >= 0 && t.at <= 1)).toBe(true);
  });
});

describe('sweep colours', () => {
  it('give each problem a colour, most frequent first, and runs their worst problem', () => {
    const { result } = readSweepPayload(payload());
    const colours = problemColours(result);
    // Equal counts: by name.
    expect([...colours]).toEqual([
      ['exploding_loss', SERIES_COLOURS[0]],
      ['overfitting', SERIES_COLOURS[1]]
    ]);
    const [clean, , both, , overfit, failed] = result.runs;
    expect(runColour(both, colours)).toBe(SERIES_COLOURS[0]);
    expect(runColour(overfit, colours)).toBe(SERIES_COLOURS[1]);
    expect(runColour(clean, colours)).toBe(CLEAN_COLOUR);
    expect(runColour(failed, colours)).toBe(FAILED_COLOUR);
  });
});

describe('renderSweep', () => {
  it('draws a line per run, named, with its problems and values on hover', () => {
    const root = render();
    expect(root.querySelector('.jp-DeepFix-title')!.textContent).toBe('DeepFix sweep of lr-sweep');
    const lines = [...root.querySelectorAll('path.jp-DeepFix-sweep-run')];
    expect(lines).toHaveLength(6);
    const hover = root.querySelector(`path[data-run-id="${ID(3)}"] title`)!.textContent!;
    expect(hover.split('\n')).toEqual([
      `run-3 (run id ${ID(3)})`,
      'high: exploding_loss, overfitting',
      'learning_rate = 0.5',
      'optimizer = adam',
      'val_loss = 9.5'
    ]);
    const failed = root.querySelector(`path[data-run-id="${ID(6)}"]`)!;
    expect(failed.classList.contains('jp-DeepFix-sweep-failed')).toBe(true);
    expect(failed.querySelector('title')!.textContent).toContain('ARTIFACT_UNREADABLE no metrics');
    // No metric: the line stops at the last parameter axis.
    expect(failed.getAttribute('d')!.match(/[ML]/g)).toEqual(['M', 'L']);
    const names = [...root.querySelectorAll('.jp-DeepFix-sweep-axis-name')].map(
      t => t.lastChild!.textContent
    );
    expect(names).toEqual(['learning_rate', 'optimizer', 'val_loss']);
  });

  it('filters runs, table rows and groups by the problem clicked in the legend', () => {
    const root = render();
    const key = root.querySelector<HTMLButtonElement>('button[data-filter="overfitting"]')!;
    key.click();
    const ids = (sel: string): string[] =>
      visible(root, sel).map(e => e.getAttribute('data-run-id')!);
    expect(ids('path.jp-DeepFix-sweep-run').sort()).toEqual([ID(3), ID(5)]);
    expect(key.getAttribute('aria-pressed')).toBe('true');
    expect(root.querySelector('.jp-DeepFix-shown')!.textContent).toContain(
      '2 run(s) with overfitting'
    );
    expect(visible(root, '.jp-DeepFix-sweep-health tr[data-run]')).toHaveLength(2);
    expect(visible(root, '.jp-DeepFix-sweep-matrix tbody tr')).toHaveLength(1);
    key.click();
    expect(ids('path.jp-DeepFix-sweep-run')).toHaveLength(6);
    root.querySelector<HTMLButtonElement>('button[data-filter="failed"]')!.click();
    expect(ids('path.jp-DeepFix-sweep-run')).toEqual([ID(6)]);
  });

  it('tabulates problems by parameters from the payload, with rates and p', () => {
    const root = render();
    const rows = [...root.querySelectorAll('.jp-DeepFix-sweep-matrix tr')].map(tr =>
      [...tr.querySelectorAll('th, td')].map(c => c.textContent)
    );
    expect(rows[0]).toEqual(['problem', 'runs', 'learning_rate', 'optimizer']);
    expect(rows[1]).toEqual([
      'exploding_loss',
      '2',
      'learning_rate \u2265 0.52/2 (100%) vs 0/3 (0%)p = 0.004',
      '\u2014'
    ]);
    expect(rows[2]).toEqual(['overfitting', '2', '\u2014', '\u2014']);
  });

  it('groups runs by health, names them, and keeps the id on hover', () => {
    const root = render();
    const groups = [...root.querySelectorAll('details.jp-DeepFix-sweep-group')].map(d => [
      d.getAttribute('data-health'),
      d.querySelectorAll('tr[data-run]').length
    ]);
    expect(groups).toEqual([
      ['high', 3],
      ['clean', 2],
      ['failed', 1]
    ]);
    const label = root.querySelector(`.jp-DeepFix-sweep-best [data-run-id="${ID(2)}"]`)!;
    expect(label.textContent).toBe('run-2');
    expect(label.getAttribute('title')).toContain(ID(2));
    expect(root.querySelector('.jp-DeepFix-sweep-best')!.textContent).toContain(
      'optimizer in {sgd}'
    );
  });

  it('is drawn by the shared entry point, and refuses a payload that is not a sweep', () => {
    expect(renderPayload(MIME_SWEEP, payload()).dataset.deepfixView).toBe('sweep');
    expect(() => readSweepPayload({ version: 1, result: { runs: 3 } })).toThrow(
      '$.result.experiment: expected a string'
    );
  });

  it('shows run names and problem codes as text, never as markup', () => {
    const data = payload();
    const runs = (data.result as { runs: Array<Record<string, unknown>> }).runs;
    runs[0].run_name = '<img src=x onerror=alert(1)>';
    const root = renderSweep(readSweepPayload(data));
    expect(root.querySelector('img')).toBeNull();
    expect(root.textContent).toContain('<img src=x onerror=alert(1)>');
  });
});
