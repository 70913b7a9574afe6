/**
 * The native view of a sweep (`deepfix sweep`): the swept parameters against the validation
 * metric as parallel coordinates, one line per run coloured by its worst problem; the legend
 * filters by problem; then problems × parameters (the associations), the best clean runs and
 * every run grouped by health.
 *
 * Every figure shown (health, problems, rates, p-values, axes' extents and scales) comes from
 * the payload, computed in Python (`views/_sweep.py`); this module only places and draws it.
 */

import { badge, code, token, versionNote } from './analysis';
import { SERIES_COLOURS, logTicks, niceTicks } from './chart';
import { Child, h, s } from './dom';
import { MISSING, SEP, formatDuration, formatG, formatLogTick, formatValue } from './format';
import type * as Contract from './contract.gen';
import { type Open, PayloadError } from './payload';
import { breakable, runLabel, runText } from './runs';

export const MIME_SWEEP = 'application/vnd.deepfix.sweep+json';

/** The contract's sweep types (generated), read with open vocabularies like every payload. */
export type SweepRun = Open<Contract.SweepRun>;
export type SweepAssociation = Open<Contract.SweepAssociation>;
export type SweepBest = Open<Contract.SweepBest>;
export type SweepResult = Open<Contract.SweepResult>;

/** An axis as `views/_sweep.py` lays it out: a parameter's, or the metric's (the last). */
export interface SweepAxis {
  name: string;
  scale: 'log' | 'linear' | 'category';
  low: number;
  high: number;
  /** The categories in axis order (bottom to top), for `category` axes. */
  categories: string[];
}

export interface SweepPayload {
  version: number;
  result: SweepResult;
  axes: SweepAxis[];
  metric: SweepAxis | null;
}

// --------------------------------------------------------------------------- reading

type Json = unknown;

function fail(path: string, expected: string, value: Json): never {
  throw new PayloadError(path, `expected ${expected}, got ${JSON.stringify(value) ?? 'nothing'}`);
}

function obj(value: Json, path: string): Record<string, Json> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    fail(path, 'an object', value);
  }
  return value as Record<string, Json>;
}

function list(value: Json, path: string): Json[] {
  return Array.isArray(value) ? value : fail(path, 'an array', value);
}

function str(value: Json, path: string): string {
  return typeof value === 'string' ? value : fail(path, 'a string', value);
}

function num(value: Json, path: string): number {
  return typeof value === 'number' && Number.isFinite(value)
    ? value
    : fail(path, 'a finite number', value);
}

function optional<T>(value: Json, read: (v: Json) => T): T | null {
  return value === undefined || value === null ? null : read(value);
}

function strings(value: Json, path: string): string[] {
  return optional(value, v => list(v, path).map((x, i) => str(x, `${path}[${i}]`))) ?? [];
}

function counts(value: Json, path: string): Record<string, number> {
  const data = optional(value, v => obj(v, path)) ?? {};
  return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, num(v, `${path}.${k}`)]));
}

function readRun(value: Json, path: string): SweepRun {
  const data = obj(value, path);
  const params = optional(data.params, v => obj(v, `${path}.params`)) ?? {};
  return {
    run_id: str(data.run_id, `${path}.run_id`),
    run_name: optional(data.run_name, v => str(v, `${path}.run_name`)) ?? '',
    status: str(data.status, `${path}.status`),
    problems: strings(data.problems, `${path}.problems`),
    severity: optional(data.severity, v => str(v, `${path}.severity`)),
    params: Object.fromEntries(
      Object.entries(params).map(([k, v]) => [k, str(v, `${path}.params.${k}`)])
    ),
    metric: optional(data.metric, v => num(v, `${path}.metric`)),
    error_code: optional(data.error_code, v => str(v, `${path}.error_code`)),
    error: optional(data.error, v => str(v, `${path}.error`))
  };
}

function readAssociation(value: Json, path: string): SweepAssociation {
  const data = obj(value, path);
  const n = (key: string): number => num(data[key], `${path}.${key}`);
  return {
    code: str(data.code, `${path}.code`),
    param: str(data.param, `${path}.param`),
    condition: str(data.condition, `${path}.condition`),
    operator: str(data.operator, `${path}.operator`),
    threshold: optional(data.threshold, v => num(v, `${path}.threshold`)),
    values: optional(data.values, v => strings(v, `${path}.values`)),
    support: n('support'),
    hits_in: n('hits_in'),
    runs_out: n('runs_out'),
    hits_out: n('hits_out'),
    rate_in: n('rate_in'),
    rate_out: n('rate_out'),
    p_value: n('p_value')
  };
}

function readBest(value: Json, path: string): SweepBest {
  const data = obj(value, path);
  const region = optional(data.region, v => obj(v, `${path}.region`)) ?? {};
  return {
    metric: str(data.metric, `${path}.metric`),
    higher_is_better: data.higher_is_better === true,
    runs: list(data.runs ?? [], `${path}.runs`).map((item, i) => {
      const run = obj(item, `${path}.runs[${i}]`);
      return {
        run_id: str(run.run_id, `${path}.runs[${i}].run_id`),
        run_name: optional(run.run_name, v => str(v, `${path}.runs[${i}].run_name`)) ?? '',
        value: num(run.value, `${path}.runs[${i}].value`)
      };
    }),
    region: Object.fromEntries(
      Object.entries(region).map(([k, v]) => [k, str(v, `${path}.region.${k}`)])
    )
  };
}

function readAxis(value: Json, path: string): SweepAxis {
  const data = obj(value, path);
  const scale = str(data.scale, `${path}.scale`);
  if (scale !== 'log' && scale !== 'linear' && scale !== 'category') {
    fail(`${path}.scale`, '"log", "linear" or "category"', scale);
  }
  return {
    name: str(data.name, `${path}.name`),
    scale,
    low: scale === 'category' ? 0 : num(data.low, `${path}.low`),
    high: scale === 'category' ? 0 : num(data.high, `${path}.high`),
    categories: strings(data.categories, `${path}.categories`)
  };
}

/** The sweep payload (`sweep_payload` in `views/_sweep.py`), checked. */
export function readSweepPayload(value: Json): SweepPayload {
  const data = obj(value, '$');
  const version = num(data.version, '$.version');
  const r = obj(data.result, '$.result');
  const result: SweepResult = {
    experiment: str(r.experiment, '$.result.experiment'),
    tracking_uri: optional(r.tracking_uri, v => str(v, '$.result.tracking_uri')) ?? '',
    timestamp: optional(r.timestamp, v => str(v, '$.result.timestamp')) ?? '',
    runs: list(r.runs ?? [], '$.result.runs').map((x, i) => readRun(x, `$.result.runs[${i}]`)),
    counts: counts(r.counts, '$.result.counts'),
    problem_counts: counts(r.problem_counts, '$.result.problem_counts'),
    associations: list(r.associations ?? [], '$.result.associations').map((x, i) =>
      readAssociation(x, `$.result.associations[${i}]`)
    ),
    association_test: optional(r.association_test, v => str(v, '$.result.association_test')) ?? '',
    associations_note: optional(r.associations_note, v => str(v, '$.result.associations_note')),
    best: optional(r.best, v => readBest(v, '$.result.best')),
    summary: str(r.summary, '$.result.summary'),
    execution_time: num(r.execution_time ?? 0, '$.result.execution_time'),
    warnings: strings(r.warnings, '$.result.warnings')
  };
  return {
    version,
    result,
    axes: list(data.axes ?? [], '$.axes').map((x, i) => readAxis(x, `$.axes[${i}]`)),
    metric: optional(data.metric, v => readAxis(v, '$.metric'))
  };
}

// --------------------------------------------------------------------------- logic

/** A run's health group: its severity, or `failed` when it could not be analysed. */
export function health(run: SweepRun): string {
  return run.status === 'failed' || run.severity === null ? 'failed' : run.severity;
}

export const HEALTH_ORDER = ['high', 'medium', 'clean', 'failed'];
export const CLEAN_COLOUR = '#8c959f';
export const FAILED_COLOUR = '#6e7781';

/** The problems by how many runs have them (most first, then by name), as the payload counts. */
export function problemOrder(result: SweepResult): string[] {
  return Object.entries(result.problem_counts)
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .map(([problem]) => problem);
}

/** A colour per problem, in `problemOrder`; the palette repeats past its length. */
export function problemColours(result: SweepResult): Map<string, string> {
  return new Map(
    problemOrder(result).map((p, i) => [p, SERIES_COLOURS[i % SERIES_COLOURS.length]])
  );
}

/** The colour of a run's line: its worst problem's (the first), neutral when clean or failed. */
export function runColour(run: SweepRun, colours: Map<string, string>): string {
  if (health(run) === 'failed') {
    return FAILED_COLOUR;
  }
  return (run.problems.length && colours.get(run.problems[0])) || CLEAN_COLOUR;
}

/**
 * Where `value` sits on `axis`, from 0 (bottom) to 1 (top); null when it is not on it (not a
 * number on a numeric axis, not positive on a log axis, an unknown category).
 */
export function axisPosition(axis: SweepAxis, value: string | number | null): number | null {
  if (value === null) {
    return null;
  }
  if (axis.scale === 'category') {
    const index = axis.categories.indexOf(String(value));
    if (index < 0) {
      return null;
    }
    return axis.categories.length === 1 ? 0.5 : index / (axis.categories.length - 1);
  }
  const v = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(v) || (axis.scale === 'log' && v <= 0)) {
    return null;
  }
  const [lo, hi, x] =
    axis.scale === 'log'
      ? [Math.log10(axis.low), Math.log10(axis.high), Math.log10(v)]
      : [axis.low, axis.high, v];
  return hi > lo ? Math.min(Math.max((x - lo) / (hi - lo), 0), 1) : 0.5;
}

/** The labelled values of an axis: categories, 1-2-5 per decade on log axes, round numbers. */
export function axisTicks(axis: SweepAxis): Array<{ at: number; label: string }> {
  if (axis.scale === 'category') {
    const every = Math.ceil(axis.categories.length / MAX_CATEGORY_LABELS);
    return axis.categories
      .map((c, i) => ({ at: axisPosition(axis, c)!, label: c, i }))
      .filter(t => t.i % every === 0)
      .map(({ at, label }) => ({ at, label }));
  }
  const values =
    axis.scale === 'log' ? logTicks(axis.low, axis.high, 5) : niceTicks(axis.low, axis.high, 5);
  // Whole numbers as they are (`1000`, not `1e+03`): seeds, sizes, steps.
  const format = (v: number): string =>
    Number.isInteger(v) && Math.abs(v) < 1e5
      ? String(v)
      : axis.scale === 'log'
        ? formatLogTick(v)
        : formatValue(v);
  return values
    .map(v => ({ at: axisPosition(axis, v), label: format(v) }))
    .filter((t): t is { at: number; label: string } => t.at !== null);
}

// --------------------------------------------------------------------------- drawing

const AXIS_GAP = 150;
const MARGIN_X = 70;
const PLOT_TOP = 44;
const PLOT_HEIGHT = 260;
const HEIGHT = PLOT_TOP + PLOT_HEIGHT + 26;
const MAX_CATEGORY_LABELS = 12;
const MAX_AXIS_LABEL = 18;

function shorten(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}\u2026` : text;
}

function percent(rate: number): string {
  return `${Math.round(rate * 100)}%`;
}

function pValue(p: number): string {
  return p === 0 ? '< 1e-300' : formatG(p, 2);
}

/** The view as a `div.jp-DeepFix.jp-DeepFix-sweep`. */
export function renderSweep(payload: SweepPayload): HTMLElement {
  const { result } = payload;
  const root = h(
    'div',
    { class: 'jp-DeepFix jp-DeepFix-sweep', 'data-deepfix-view': 'sweep' },
    versionNote(payload.version),
    h('h3', { class: 'jp-DeepFix-title' }, `DeepFix sweep of ${result.experiment}`),
    h('p', { class: 'jp-DeepFix-summary' }, result.summary),
    h(
      'div',
      { class: 'jp-DeepFix-badges' },
      ...HEALTH_ORDER.map(key =>
        badge(`${key} ${result.counts[key] ?? 0}`, key === 'failed' ? 'status-failed' : key)
      ),
      h(
        'span',
        { class: 'jp-DeepFix-meta' },
        `${result.runs.length} run(s)${SEP}${formatDuration(result.execution_time)}`
      )
    )
  );
  if (!result.runs.length) {
    root.appendChild(h('p', {}, 'The experiment has no runs to triage.'));
    return root;
  }
  const colours = problemColours(result);
  const plot = parallelCoordinates(payload, colours);
  const matrix = problemsByParams(result, payload.axes, colours);
  const groups = healthGroups(result);
  const shown = h('span', { class: 'jp-DeepFix-shown' });
  const legend = h('div', { class: 'jp-DeepFix-legend jp-DeepFix-sweep-legend' });
  let active: string | null = null;
  const apply = (): void => {
    let count = 0;
    root.querySelectorAll<Element>('[data-problems]').forEach(el => {
      const codes = (el.getAttribute('data-problems') ?? '').split(' ');
      const keep = active === null || codes.includes(active);
      el.toggleAttribute('hidden', !keep);
      if (keep && el.tagName.toLowerCase() === 'path') {
        count += 1;
      }
    });
    legend.querySelectorAll('button').forEach(button => {
      const pressed = button.dataset.filter === active;
      button.setAttribute('aria-pressed', String(pressed));
      button.classList.toggle('jp-mod-active', pressed);
    });
    shown.textContent =
      active === null
        ? `${count} run(s); click a problem to show only its runs.`
        : `${count} run(s) with ${active}; click it again to show every run.`;
  };
  const key = (filter: string, label: string, colour: string, n: number): HTMLElement => {
    const button = h(
      'button',
      { type: 'button', class: 'jp-DeepFix-sweep-key', 'data-filter': filter },
      h('span', { class: 'jp-DeepFix-swatch', style: `background:${colour}` }),
      h('code', {}, label),
      ` ${n}`
    );
    button.addEventListener('click', () => {
      active = active === filter ? null : filter;
      apply();
    });
    return button;
  };
  for (const [problem, colour] of colours) {
    legend.appendChild(key(problem, problem, colour, result.problem_counts[problem] ?? 0));
  }
  legend.appendChild(key('clean', 'clean', CLEAN_COLOUR, result.counts.clean ?? 0));
  if (result.counts.failed) {
    legend.appendChild(key('failed', 'failed', FAILED_COLOUR, result.counts.failed));
  }
  const sections: Array<HTMLElement | null> = [
    h(
      'section',
      { class: 'jp-DeepFix-sweep-plot' },
      h('h4', {}, 'Parameters against ', code(payload.metric?.name ?? 'the validation metric')),
      legend,
      plot,
      shown
    ),
    matrix,
    best(result),
    groups,
    result.warnings.length
      ? h(
          'section',
          {},
          h('h4', {}, 'Warnings'),
          h('ul', {}, ...result.warnings.map(w => h('li', {}, w)))
        )
      : null
  ];
  root.append(...sections.filter((el): el is HTMLElement => el !== null));
  apply();
  return root;
}

/** The words on a run's line: name, id, health, problems and every value. */
function hoverText(run: SweepRun, axes: SweepAxis[], metric: SweepAxis | null): string {
  const lines = [
    `${runText(run.run_id, run.run_name)} (run id ${run.run_id})`,
    health(run) === 'failed'
      ? `could not be analysed: ${run.error_code ?? ''} ${run.error ?? ''}`.trim()
      : `${health(run)}: ${run.problems.join(', ') || 'no problem at medium or high'}`,
    ...axes.map(axis => `${axis.name} = ${run.params[axis.name] ?? MISSING}`)
  ];
  if (metric) {
    lines.push(`${metric.name} = ${run.metric === null ? MISSING : formatG(run.metric, 4)}`);
  }
  return lines.join('\n');
}

function filterTokens(run: SweepRun): string {
  const group = health(run);
  return group === 'failed' ? 'failed' : run.problems.length ? run.problems.join(' ') : 'clean';
}

function parallelCoordinates(payload: SweepPayload, colours: Map<string, string>): HTMLElement {
  const { result, metric } = payload;
  const axes = metric ? [...payload.axes, metric] : payload.axes;
  if (!axes.length) {
    return h('p', {}, 'No parameter varies across the runs and no metric was logged: no plot.');
  }
  const width = MARGIN_X * 2 + AXIS_GAP * Math.max(axes.length - 1, 1);
  const xAt = (i: number): number => (axes.length === 1 ? width / 2 : MARGIN_X + i * AXIS_GAP);
  const yAt = (frac: number): number => PLOT_TOP + (1 - frac) * PLOT_HEIGHT;
  const svg = s('svg', {
    class: 'jp-DeepFix-svg jp-DeepFix-sweep-svg',
    viewBox: `0 0 ${width} ${HEIGHT}`,
    width,
    height: HEIGHT,
    role: 'img',
    'aria-label': `${result.runs.length} runs across ${axes.map(a => a.name).join(', ')}`
  });
  const axisGroup = s('g', { class: 'jp-DeepFix-sweep-axes' });
  axes.forEach((axis, i) => {
    const x = xAt(i);
    const isMetric = metric !== null && i === axes.length - 1;
    axisGroup.appendChild(
      s('line', {
        x1: x,
        x2: x,
        y1: PLOT_TOP,
        y2: PLOT_TOP + PLOT_HEIGHT,
        class: 'jp-DeepFix-axis'
      })
    );
    axisGroup.appendChild(
      s(
        'text',
        {
          x,
          y: PLOT_TOP - 24,
          'text-anchor': 'middle',
          class: `jp-DeepFix-sweep-axis-name${isMetric ? ' jp-DeepFix-sweep-metric' : ''}`
        },
        s('title', {}, `${axis.name} (${axis.scale})`),
        shorten(axis.name, MAX_AXIS_LABEL)
      )
    );
    if (axis.scale === 'log') {
      axisGroup.appendChild(
        s(
          'text',
          { x, y: PLOT_TOP - 10, 'text-anchor': 'middle', class: 'jp-DeepFix-sweep-axis-scale' },
          'log scale'
        )
      );
    }
    for (const tick of axisTicks(axis)) {
      const y = yAt(tick.at);
      axisGroup.appendChild(
        s('line', { x1: x - 4, x2: x, y1: y, y2: y, class: 'jp-DeepFix-axis' })
      );
      axisGroup.appendChild(
        s(
          'text',
          { x: x - 7, y: y + 4, 'text-anchor': 'end', class: 'jp-DeepFix-sweep-tick' },
          s('title', {}, tick.label),
          shorten(tick.label, 10)
        )
      );
    }
  });
  // Clean and failed runs first, so the runs with problems are drawn over them.
  const rank = (run: SweepRun): number =>
    run.problems.length ? 2 : health(run) === 'failed' ? 1 : 0;
  const lines = s('g', { class: 'jp-DeepFix-sweep-runs' });
  for (const run of [...result.runs].sort((a, b) => rank(a) - rank(b))) {
    const points = axes.map((axis, i) => {
      const isMetric = metric !== null && i === axes.length - 1;
      const frac = axisPosition(axis, isMetric ? run.metric : (run.params[axis.name] ?? null));
      return frac === null ? null : [xAt(i), yAt(frac)];
    });
    let d = '';
    let pen = false;
    for (const point of points) {
      if (point === null) {
        pen = false;
        continue;
      }
      d += `${pen ? 'L' : 'M'}${point[0].toFixed(1)},${point[1].toFixed(1)}`;
      pen = true;
    }
    if (!d) {
      continue;
    }
    const failed = health(run) === 'failed';
    lines.appendChild(
      s(
        'path',
        {
          d: d.includes('L') ? d : `${d}h0.01`, // a lone point still shows (round caps)
          class: `jp-DeepFix-sweep-run jp-DeepFix-sweep-${token(health(run))}${failed ? ' jp-DeepFix-sweep-failed' : ''}`,
          stroke: runColour(run, colours),
          'data-run-id': run.run_id,
          'data-problems': filterTokens(run)
        },
        s('title', {}, hoverText(run, payload.axes, metric))
      )
    );
  }
  // The axes over the lines: their labels stay legible (on a halo of the page's colour).
  svg.append(lines, axisGroup);
  return h('div', { class: 'jp-DeepFix-scroll jp-DeepFix-chart' }, svg);
}

function problemsByParams(
  result: SweepResult,
  axes: SweepAxis[],
  colours: Map<string, string>
): HTMLElement {
  const section = h(
    'section',
    { class: 'jp-DeepFix-sweep-associations' },
    h('h4', {}, 'Problems \u00d7 parameters')
  );
  const problems = [...colours.keys()];
  if (!problems.length) {
    section.appendChild(h('p', {}, 'No run has a problem at medium or high severity.'));
    return section;
  }
  if (!result.associations.length) {
    section.appendChild(
      h('p', {}, 'No association clears the bar. ', result.associations_note ?? '')
    );
  }
  const found = new Map(result.associations.map(a => [`${a.code}\u0000${a.param}`, a]));
  const params = [...new Set([...axes.map(a => a.name), ...result.associations.map(a => a.param)])];
  const head = h(
    'tr',
    {},
    h('th', {}, 'problem'),
    h('th', {}, 'runs'),
    ...params.map(p => h('th', { title: p }, h('code', {}, ...breakable(p))))
  );
  const body = h('tbody', {});
  for (const problem of problems) {
    const row = h(
      'tr',
      { 'data-problems': problem },
      h(
        'td',
        { title: problem },
        h('span', { class: 'jp-DeepFix-swatch', style: `background:${colours.get(problem)}` }),
        h('code', {}, problem)
      ),
      h('td', { class: 'jp-DeepFix-num' }, String(result.problem_counts[problem] ?? 0))
    );
    for (const param of params) {
      const a = found.get(`${problem}\u0000${param}`);
      row.appendChild(
        a
          ? h(
              'td',
              {
                class: 'jp-DeepFix-association',
                title:
                  `${problem} when ${a.condition}: ${a.hits_in} of ${a.support} runs ` +
                  `(${percent(a.rate_in)}); otherwise ${a.hits_out} of ${a.runs_out} ` +
                  `(${percent(a.rate_out)}); p = ${pValue(a.p_value)}`
              },
              h('code', {}, a.condition),
              h(
                'div',
                { class: 'jp-DeepFix-meta' },
                `${a.hits_in}/${a.support} (${percent(a.rate_in)}) vs ` +
                  `${a.hits_out}/${a.runs_out} (${percent(a.rate_out)})`
              ),
              h('div', { class: 'jp-DeepFix-meta' }, `p = ${pValue(a.p_value)}`)
            )
          : h('td', { class: 'jp-DeepFix-cell-empty' }, MISSING)
      );
    }
    body.appendChild(row);
  }
  section.appendChild(
    h(
      'div',
      { class: 'jp-DeepFix-scroll' },
      h('table', { class: 'jp-DeepFix-table jp-DeepFix-sweep-matrix' }, h('thead', {}, head), body)
    )
  );
  if (result.association_test) {
    section.appendChild(
      h('p', { class: 'jp-DeepFix-meta' }, `Reported when: ${result.association_test}.`)
    );
  }
  return section;
}

function best(result: SweepResult): HTMLElement | null {
  const found = result.best;
  if (!found || !found.runs.length) {
    return null;
  }
  const body = h('tbody', {});
  found.runs.forEach((run, i) =>
    body.appendChild(
      h(
        'tr',
        { 'data-run': run.run_id },
        h('td', { class: 'jp-DeepFix-num' }, String(i + 1)),
        h('td', {}, runLabel(run.run_id, run.run_name)),
        h('td', { class: 'jp-DeepFix-num' }, formatG(run.value, 4))
      )
    )
  );
  const region = Object.values(found.region);
  return h(
    'section',
    { class: 'jp-DeepFix-sweep-best' },
    h(
      'h4',
      {},
      `Best clean runs by ${found.higher_is_better ? 'highest' : 'lowest'} `,
      code(found.metric)
    ),
    h(
      'div',
      { class: 'jp-DeepFix-scroll' },
      h(
        'table',
        { class: 'jp-DeepFix-table' },
        h(
          'thead',
          {},
          h('tr', {}, h('th', {}, '#'), h('th', {}, 'run'), h('th', {}, found.metric))
        ),
        body
      )
    ),
    region.length ? h('p', {}, 'They share ', ...joinedCodes(region), '.') : null
  );
}

function joinedCodes(values: string[]): Child[] {
  return values.flatMap((v, i) => (i ? [', ', code(v)] : [code(v)]));
}

function healthGroups(result: SweepResult): HTMLElement {
  const section = h('section', { class: 'jp-DeepFix-sweep-health' }, h('h4', {}, 'Runs by health'));
  for (const group of HEALTH_ORDER) {
    const runs = result.runs.filter(run => health(run) === group);
    if (!runs.length) {
      continue;
    }
    const body = h('tbody', {});
    for (const run of runs) {
      body.appendChild(
        h(
          'tr',
          { 'data-run': run.run_id, 'data-problems': filterTokens(run) },
          h('td', {}, runLabel(run.run_id, run.run_name)),
          h(
            'td',
            {},
            ...(group === 'failed'
              ? [`${run.error_code ?? 'failed'}: ${run.error ?? ''}`]
              : run.problems.length
                ? joinedCodes(run.problems)
                : [MISSING])
          ),
          h(
            'td',
            { class: 'jp-DeepFix-num' },
            run.metric === null ? MISSING : formatG(run.metric, 4)
          )
        )
      );
    }
    const metric = result.best?.metric ?? 'metric';
    section.appendChild(
      h(
        'details',
        { class: `jp-DeepFix-sweep-group`, 'data-health': group, open: group !== 'clean' },
        h(
          'summary',
          {},
          badge(group, group === 'failed' ? 'status-failed' : group),
          ` ${runs.length} run(s)`
        ),
        h(
          'div',
          { class: 'jp-DeepFix-scroll' },
          h(
            'table',
            { class: 'jp-DeepFix-table' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                h('th', {}, 'run'),
                h('th', {}, group === 'failed' ? 'why' : 'problems'),
                h('th', {}, metric)
              )
            ),
            body
          )
        )
      )
    );
  }
  return section;
}
