/** The native view of several runs: problems by run, differing parameters, ranking, overlay. */

import { badge, code, diagnoses, isScore, token, versionNote } from './analysis';
import { ChartSeries, lineChart } from './chart';
import { h } from './dom';
import { MISSING, formatG, formatStep } from './format';
import { AnalysisResult, ComparisonPayload, Curves } from './payload';
import { breakable, runLabel, runText } from './runs';

const SEVERITY_RANK: Record<string, number> = { low: 1, medium: 2, high: 3 };

function rank(severity: string): number {
  return SEVERITY_RANK[severity] ?? 0;
}

/** The view as a `div.jp-DeepFix.jp-DeepFix-comparison`. */
export function renderComparison(payload: ComparisonPayload): HTMLElement {
  const root = h(
    'div',
    { class: 'jp-DeepFix jp-DeepFix-comparison', 'data-deepfix-view': 'comparison' },
    versionNote(payload.version),
    h('h3', { class: 'jp-DeepFix-title' }, `DeepFix comparison of ${payload.results.size} run(s)`)
  );
  if (!payload.results.size) {
    root.appendChild(h('p', {}, 'No runs to compare.'));
    return root;
  }
  root.appendChild(matrix(payload.results, payload.names));
  if (payload.params.size) {
    root.appendChild(parameterDiff([...payload.results.keys()], payload.params, payload.names));
  }
  root.appendChild(ranking(payload));
  return root;
}

function matrix(results: Map<string, AnalysisResult>, names: Map<string, string>): HTMLElement {
  const worst = new Map<string, Map<string, { severity: string; count: number }>>();
  const order: string[] = [];
  for (const [run, result] of results) {
    const cells = new Map<string, { severity: string; count: number }>();
    for (const [, item] of diagnoses(result)) {
      const problem = item.findings.code;
      if (problem === null) {
        continue;
      }
      if (!order.includes(problem)) {
        order.push(problem);
      }
      const old = cells.get(problem);
      const severity = item.findings.severity;
      cells.set(problem, {
        severity: old && rank(old.severity) >= rank(severity) ? old.severity : severity,
        count: (old?.count ?? 0) + 1
      });
    }
    worst.set(run, cells);
  }
  const section = h('section', { class: 'jp-DeepFix-matrix' }, h('h4', {}, 'Problems by run'));
  if (!order.length) {
    section.appendChild(h('p', {}, 'No run has a coded finding.'));
  }
  const head = h('tr', {}, h('th', {}, 'run'), h('th', {}, 'status'));
  order.forEach(problem =>
    head.appendChild(
      h('th', { class: 'jp-DeepFix-problem', title: problem }, h('code', {}, ...breakable(problem)))
    )
  );
  const table = h('table', { class: 'jp-DeepFix-table' }, h('thead', {}, head));
  const body = h('tbody', {});
  for (const [run, result] of results) {
    const row = h(
      'tr',
      { 'data-run': run },
      h('td', {}, runLabel(run, names.get(run))),
      h('td', {}, badge(result.status, `status-${token(result.status)}`))
    );
    const incomplete = result.status !== 'completed';
    for (const problem of order) {
      const cell = worst.get(run)?.get(problem);
      if (!cell) {
        row.appendChild(
          incomplete
            ? h(
                'td',
                {
                  class: 'jp-DeepFix-cell-empty jp-DeepFix-cell-unknown',
                  title: `${result.status} analysis: not known`
                },
                '?'
              )
            : h('td', { class: 'jp-DeepFix-cell-empty' }, MISSING)
        );
        continue;
      }
      row.appendChild(
        h(
          'td',
          {
            class: `jp-DeepFix-cell jp-DeepFix-badge-${token(cell.severity)}`,
            // One problem, once per run: several agents reporting it is in the tooltip.
            title: `${names.get(run) ?? run}: ${problem}, worst ${cell.severity} (reported by ${cell.count} finding(s))`
          },
          cell.severity
        )
      );
    }
    body.appendChild(row);
  }
  table.appendChild(body);
  section.appendChild(h('div', { class: 'jp-DeepFix-scroll' }, table));
  return section;
}

/** Nested mappings as dotted keys (`optimizer.lr`), like `_flatten` in `_html.py`. */
export function flatten(mapping: Record<string, unknown>, prefix = ''): Map<string, unknown> {
  const flat = new Map<string, unknown>();
  for (const [key, value] of Object.entries(mapping)) {
    const name = `${prefix}${key}`;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      flatten(value as Record<string, unknown>, `${name}.`).forEach((v, k) => flat.set(k, v));
    } else {
      flat.set(name, value);
    }
  }
  return flat;
}

/** A parameter value as the Python view prints it (`True`, `None`, `%g` floats). */
export function paramText(value: unknown): string {
  if (value === null || value === undefined) {
    return 'None';
  }
  if (typeof value === 'boolean') {
    return value ? 'True' : 'False';
  }
  if (typeof value === 'number') {
    return Number.isInteger(value) ? String(value) : formatG(value);
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function parameterDiff(
  runs: string[],
  params: Map<string, Record<string, unknown>>,
  names: Map<string, string>
): HTMLElement {
  const flat = new Map(
    runs.map(run => {
      const values = new Map<string, string>();
      flatten(params.get(run) ?? {}).forEach((v, k) => values.set(k, paramText(v)));
      return [run, values];
    })
  );
  const keys = [...new Set([...flat.values()].flatMap(values => [...values.keys()]))].sort();
  const differing = keys.filter(
    key => new Set(runs.map(run => flat.get(run)?.get(key) ?? MISSING)).size > 1
  );
  const section = h(
    'section',
    { class: 'jp-DeepFix-params' },
    h('h4', {}, 'Parameters that differ')
  );
  if (!differing.length) {
    section.appendChild(
      h('p', {}, `All ${runs.length} run(s) share the same ${keys.length} parameter(s).`)
    );
    return section;
  }
  const head = h(
    'tr',
    {},
    h('th', {}, 'parameter'),
    ...runs.map(run => h('th', {}, runLabel(run, names.get(run))))
  );
  const body = h('tbody', {});
  for (const key of differing) {
    body.appendChild(
      h(
        'tr',
        {},
        h('td', { title: key }, h('code', {}, ...breakable(key))),
        ...runs.map(run => h('td', {}, flat.get(run)?.get(key) ?? MISSING))
      )
    );
  }
  const table = h('table', { class: 'jp-DeepFix-table' }, h('thead', {}, head), body);
  section.appendChild(h('div', { class: 'jp-DeepFix-scroll' }, table));
  if (differing.length < keys.length) {
    section.appendChild(
      h(
        'p',
        { class: 'jp-DeepFix-meta' },
        `${keys.length - differing.length} shared parameter(s) hidden.`
      )
    );
  }
  return section;
}

/** The best finite value of `metric` in `curves` and its step (lowest, or highest for scores). */
export function best(
  curves: Curves | undefined,
  metric: string,
  higher: boolean
): { value: number; step: number } | null {
  const series = curves?.series.get(metric);
  if (!series) {
    return null;
  }
  let found: { value: number; step: number } | null = null;
  series.value.forEach((value, i) => {
    if (!Number.isFinite(value)) {
      return;
    }
    if (found === null || (higher ? value > found.value : value < found.value)) {
      found = { value, step: series.step[i] };
    }
  });
  return found;
}

function ranking(payload: ComparisonPayload): HTMLElement {
  const { metric, align, results, curves, names } = payload;
  const section = h('section', { class: 'jp-DeepFix-ranking' }, h('h4', {}, 'Ranking'));
  if (!curves.size) {
    section.appendChild(h('p', {}, `No curves were saved with the runs: they are not ranked.`));
    return section;
  }
  if (![...curves.values()].some(c => c.series.has(metric))) {
    section.appendChild(h('p', {}, 'No run logged ', code(metric), ': runs are not ranked.'));
    return section;
  }
  const higher = isScore(metric);
  section.appendChild(
    h('p', {}, `Ranked by the ${higher ? 'highest' : 'lowest'} `, code(metric), ' of each run.')
  );
  const scored = [...results.keys()].map(run => ({
    run,
    best: best(curves.get(run), metric, higher)
  }));
  // Stable sort: ties keep the given order; runs without the metric go last.
  const ranked = [...scored].sort((a, b) => {
    if (a.best === null || b.best === null) {
      return (a.best === null ? 1 : 0) - (b.best === null ? 1 : 0);
    }
    return higher ? b.best.value - a.best.value : a.best.value - b.best.value;
  });
  const body = h('tbody', {});
  let position = 0;
  for (const { run, best: found } of ranked) {
    body.appendChild(
      h(
        'tr',
        { class: 'jp-DeepFix-rank', 'data-run': run },
        h('td', { class: 'jp-DeepFix-num' }, found ? String(++position) : MISSING),
        h('td', {}, runLabel(run, names.get(run))),
        h('td', { class: 'jp-DeepFix-num' }, found ? formatG(found.value, 4) : MISSING),
        h('td', { class: 'jp-DeepFix-num' }, found ? formatStep(found.step) : MISSING)
      )
    );
  }
  const head = h(
    'tr',
    {},
    h('th', {}, '#'),
    h('th', {}, 'run'),
    h('th', {}, `best ${metric}`),
    h('th', {}, 'at step')
  );
  section.appendChild(
    h(
      'div',
      { class: 'jp-DeepFix-scroll' },
      h('table', { class: 'jp-DeepFix-table' }, h('thead', {}, head), body)
    )
  );
  const series: ChartSeries[] = [];
  for (const run of results.keys()) {
    const entry = curves.get(run)?.series.get(metric);
    if (!entry) {
      continue;
    }
    const byEpoch = align === 'epoch' && entry.epoch !== null && entry.epoch.every(Number.isFinite);
    series.push({
      label: runText(run, names.get(run)),
      x: byEpoch ? entry.epoch! : entry.step,
      y: entry.value
    });
  }
  if (series.length) {
    section.appendChild(
      lineChart(series, { title: `${metric} by run`, xLabel: align === 'epoch' ? 'epoch' : 'step' })
    );
  }
  return section;
}
