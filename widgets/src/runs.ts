/**
 * Runs in the views. How a run is named: by its name when the payload carries one, else by its
 * id, shortened in tables and legends when it is an MLflow id (32 hex digits); the full id is
 * always on hover, and a click copies it. And the table of `%deepfix runs` (`renderRuns`).
 */

import { Child, h } from './dom';
import { PayloadError } from './payload';

const MLFLOW_ID = /^[0-9a-f]{32}$/;
const SHORT = 8;

/** `3f2a9c1b…` for an MLflow run id; anything else as it is. */
export function shortId(id: string): string {
  return MLFLOW_ID.test(id) ? `${id.slice(0, SHORT)}\u2026` : id;
}

/** The text a run goes by: its name, else its (short) id. */
export function runText(id: string, name?: string | null): string {
  return name || shortId(id);
}

/** A run's label: its name or short id, the full id on hover and copied on click. */
export function runLabel(id: string, name?: string | null): HTMLElement {
  const label = h(
    'span',
    { class: 'jp-DeepFix-run', title: `run id ${id} (click to copy)`, 'data-run-id': id },
    runText(id, name)
  );
  label.addEventListener('click', () => {
    void navigator.clipboard?.writeText(id).then(
      () => label.setAttribute('title', `run id ${id} (copied)`),
      () => undefined
    );
  });
  return label;
}

/** Break opportunities after `_`, `.`, `-` and `/`, so long identifiers wrap in narrow cells. */
export function breakable(text: string): Child[] {
  const parts = text.split(/(?<=[_./-])/);
  return parts.flatMap((part, i) => (i < parts.length - 1 ? [part, h('wbr')] : [part]));
}

/* ------------------------------------------------------------------ the runs table */

export const MIME_RUNS = 'application/vnd.deepfix.runs+json';

/** One run as `RunsView.payload()` (`notebook/_runs.py`) writes it: shown text and sort values. */
export interface RunRow {
  run_id: string;
  run_name: string;
  experiment: string;
  status: string;
  /** ISO 8601 (sorts as time), or null when MLflow has no start. */
  start: string | null;
  start_text: string;
  duration_s: number | null;
  duration_text: string;
  health: string;
  /** A key metric is NaN/Inf. */
  broken: boolean;
  params: Record<string, string>;
}

export interface RunsPayload {
  version: number;
  /** The parameters worth a column (those that differ between the runs, known ones first). */
  key_params: string[];
  runs: RunRow[];
}

function fail(path: string, message: string): never {
  throw new PayloadError(path, message);
}

function field<T>(row: Record<string, unknown>, key: string, path: string, type: string): T {
  const value = row[key];
  if (typeof value !== type) {
    fail(`${path}.${key}`, `expected a ${type}, got ${JSON.stringify(value) ?? 'nothing'}`);
  }
  return value as T;
}

function nullable<T>(
  row: Record<string, unknown>,
  key: string,
  path: string,
  type: string
): T | null {
  return row[key] === null || row[key] === undefined ? null : field<T>(row, key, path, type);
}

function record(value: unknown, path: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    fail(path, 'expected an object');
  }
  return value as Record<string, unknown>;
}

/** `value` as a `RunsPayload`; a `PayloadError` naming the path when it is not one. */
export function readRunsPayload(value: unknown): RunsPayload {
  const top = record(value, 'runs');
  const keys = top.key_params;
  if (!Array.isArray(keys) || keys.some(k => typeof k !== 'string')) {
    fail('runs.key_params', 'expected an array of strings');
  }
  if (!Array.isArray(top.runs)) {
    fail('runs.runs', 'expected an array');
  }
  const runs = top.runs.map((item, i): RunRow => {
    const path = `runs.runs[${i}]`;
    const row = record(item, path);
    const params = record(row.params ?? {}, `${path}.params`);
    return {
      run_id: field(row, 'run_id', path, 'string'),
      run_name: nullable<string>(row, 'run_name', path, 'string') ?? '',
      experiment: nullable<string>(row, 'experiment', path, 'string') ?? '',
      status: field(row, 'status', path, 'string'),
      start: nullable(row, 'start', path, 'string'),
      start_text: field(row, 'start_text', path, 'string'),
      duration_s: nullable(row, 'duration_s', path, 'number'),
      duration_text: field(row, 'duration_text', path, 'string'),
      health: field(row, 'health', path, 'string'),
      broken: field(row, 'broken', path, 'boolean'),
      params: Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)]))
    };
  });
  return { version: Number(top.version ?? 1), key_params: keys as string[], runs };
}

export interface RunsOptions {
  /** Analyze buttons call this (a live kernel); without it each row shows the magic to run. */
  onAnalyze?: (runId: string) => void;
}

type SortValue = string | number | null;

interface Column {
  key: string;
  label: string;
  numeric?: boolean;
  cell(row: RunRow): HTMLTableCellElement;
  sortValue(row: RunRow): SortValue;
}

/** Numbers sort as numbers (`1e-3` < `0.01`), anything else as text. */
function paramValue(text: string | undefined): SortValue {
  if (text === undefined) {
    return null;
  }
  const number = Number(text);
  return text.trim() !== '' && Number.isFinite(number) ? number : text.toLowerCase();
}

function columns(keys: string[]): Column[] {
  return [
    {
      key: 'name',
      label: 'name',
      cell: row =>
        h(
          'td',
          { class: 'jp-DeepFix-runs-name' },
          runLabel(row.run_id, row.run_name),
          h('br'),
          h('small', { class: 'jp-DeepFix-meta' }, shortId(row.run_id))
        ),
      sortValue: row => runText(row.run_id, row.run_name).toLowerCase()
    },
    {
      key: 'status',
      label: 'status',
      cell: row => h('td', { 'data-status': row.status }, row.status),
      sortValue: row => row.status
    },
    {
      key: 'start',
      label: 'start',
      cell: row => h('td', { class: 'jp-DeepFix-num', title: row.start ?? '' }, row.start_text),
      sortValue: row => row.start
    },
    {
      key: 'duration',
      label: 'duration',
      numeric: true,
      cell: row => h('td', { class: 'jp-DeepFix-num' }, row.duration_text),
      sortValue: row => row.duration_s
    },
    {
      key: 'health',
      label: 'health',
      cell: row => h('td', { class: row.broken ? 'jp-DeepFix-runs-bad' : null }, row.health),
      // Broken runs first, then by the text (the first key metric's name and value).
      sortValue: row => `${row.broken ? 0 : 1}${row.health}`
    },
    ...keys.map((key): Column => ({
      key: `param:${key}`,
      label: key,
      cell: row =>
        h(
          'td',
          { class: typeof paramValue(row.params[key]) === 'number' ? 'jp-DeepFix-num' : null },
          row.params[key] ?? '-'
        ),
      sortValue: row => paramValue(row.params[key])
    }))
  ];
}

/** Missing values last whatever the direction; numbers before text. */
function compare(a: SortValue, b: SortValue, direction: 1 | -1): number {
  if (a === null || b === null) {
    return a === b ? 0 : a === null ? 1 : -1;
  }
  if (typeof a !== typeof b) {
    return typeof a === 'number' ? -1 : 1;
  }
  return direction * (a < b ? -1 : a > b ? 1 : 0);
}

/** What the filter box matches a row against: every word typed must be in it. */
function haystack(row: RunRow): string {
  const params = Object.entries(row.params).map(([k, v]) => `${k}=${v}`);
  return [row.run_name, row.run_id, row.experiment, row.status, row.health, ...params]
    .join(' ')
    .toLowerCase();
}

/**
 * The view of `%deepfix runs`: a `div.jp-DeepFix.jp-DeepFix-runs-view` with a filter box and a
 * table whose headers sort (again: the other way round), one row per run, newest first.
 */
export function renderRuns(payload: RunsPayload, options: RunsOptions = {}): HTMLElement {
  const total = payload.runs.length;
  const root = h(
    'div',
    { class: 'jp-DeepFix jp-DeepFix-runs-view', 'data-deepfix-view': 'runs' },
    h('h3', { class: 'jp-DeepFix-title' }, `DeepFix: ${total} run${total === 1 ? '' : 's'}`)
  );
  if (!total) {
    root.appendChild(
      h('p', {}, 'No runs yet: train with the DeepFix callback or tracker, or log to MLflow.')
    );
    return root;
  }
  const cols = columns(payload.key_params);
  const filter = h('input', {
    type: 'search',
    name: 'filter',
    class: 'jp-DeepFix-select jp-DeepFix-runs-filter',
    placeholder: 'name, status, id, parameter=value',
    'aria-label': 'Filter runs'
  });
  const shown = h('span', { class: 'jp-DeepFix-shown' }, `${total} of ${total} shown`);
  const nomatch = h('p', { class: 'jp-DeepFix-nomatch', hidden: true }, 'No run matches.');
  root.appendChild(
    h(
      'div',
      { class: 'jp-DeepFix-filters' },
      h('label', { class: 'jp-DeepFix-filter' }, 'Filter ', filter),
      shown
    )
  );

  const rows = payload.runs.map(run => {
    const tr = h('tr', { 'data-run-id': run.run_id }, ...cols.map(col => col.cell(run)));
    if (options.onAnalyze) {
      const onAnalyze = options.onAnalyze;
      const button = h(
        'button',
        {
          type: 'button',
          class: 'jp-DeepFix-analyze',
          title: `%deepfix analyze ${run.run_id}`
        },
        'Analyze'
      );
      button.addEventListener('click', () => {
        for (const other of tbody.querySelectorAll('tr.jp-mod-active')) {
          other.classList.remove('jp-mod-active');
        }
        tr.classList.add('jp-mod-active');
        onAnalyze(run.run_id);
      });
      tr.appendChild(h('td', {}, button));
    } else {
      tr.appendChild(h('td', {}, h('code', {}, `%deepfix analyze ${run.run_id}`)));
    }
    return { run, tr, text: haystack(run) };
  });
  const tbody = h('tbody', {}, ...rows.map(r => r.tr));

  let sortKey: string | null = null;
  let direction: 1 | -1 = 1;
  const heads = cols.map(col => {
    const button = h(
      'button',
      { type: 'button', class: 'jp-DeepFix-sort' },
      ...breakable(col.label)
    );
    const th = h(
      'th',
      {
        'data-sort-key': col.key,
        'aria-sort': 'none',
        class: col.numeric ? 'jp-DeepFix-num' : null
      },
      button
    );
    button.addEventListener('click', () => {
      direction = sortKey === col.key ? (direction === 1 ? -1 : 1) : 1;
      sortKey = col.key;
      for (const other of heads) {
        other.setAttribute('aria-sort', 'none');
      }
      th.setAttribute('aria-sort', direction === 1 ? 'ascending' : 'descending');
      const sorted = [...rows].sort((a, b) =>
        compare(col.sortValue(a.run), col.sortValue(b.run), direction)
      );
      tbody.replaceChildren(...sorted.map(r => r.tr));
    });
    return th;
  });
  heads.push(h('th', {}, 'analyze'));

  filter.addEventListener('input', () => {
    const words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    let count = 0;
    for (const row of rows) {
      const match = words.every(word => row.text.includes(word));
      row.tr.hidden = !match;
      count += match ? 1 : 0;
    }
    shown.textContent = `${count} of ${total} shown`;
    nomatch.hidden = count > 0;
  });

  root.append(
    h(
      'div',
      { class: 'jp-DeepFix-scroll' },
      h(
        'table',
        { class: 'jp-DeepFix-table jp-DeepFix-runs' },
        h('thead', {}, h('tr', {}, ...heads)),
        tbody
      )
    ),
    nomatch
  );
  return root;
}
