/** The native view of one analysis: header, plan, curves, findings, warnings. */

import { Band, ChartSeries, lineChart } from './chart';
import { Child, h, joined } from './dom';
import { applyFilters, filterBar } from './filters';
import { MISSING, SEP, formatDuration, formatRange, formatTimestamp } from './format';
import {
  Analysis,
  AnalysisPayload,
  AnalysisResult,
  Curves,
  PAYLOAD_VERSION,
  Recommendation
} from './payload';
import { runLabel } from './runs';

/** The advisor restates the other agents' findings as an ordered plan (`AgentName.OPTIMIZATION`). */
export const ADVISOR = 'OptimizationAdvisorAgent';
export const SEVERITIES = ['high', 'medium', 'low'];
const SCORE_WORDS = ['accuracy', 'acc', 'f1', 'auc', 'precision', 'recall', 'score', 'iou', 'dice'];
const MAX_PANEL_SERIES = 6;

/** A class-safe token of a vocabulary value (`high` -> `high`; anything odd -> `unknown`). */
export function token(value: string): string {
  return /^[a-z][a-z0-9_-]*$/.test(value) ? value : 'unknown';
}

export function badge(text: string, kind: string): HTMLElement {
  return h('span', { class: `jp-DeepFix-badge jp-DeepFix-badge-${token(kind)}` }, text);
}

export function code(text: string): HTMLElement {
  return h('code', {}, text);
}

export function codes(values: string[]): Child[] {
  return values.length ? joined(values.map(code), ', ') : [MISSING];
}

/** Whether the analysis ran to the end: every agent answered, none failed. */
export function complete(result: AnalysisResult): boolean {
  return (
    result.status === 'completed' &&
    result.agent_results.length > 0 &&
    !result.agent_results.some(agent => agent.error_message)
  );
}

/**
 * What failed and what to do, for a failed or partial analysis (null when it completed): an
 * absence of findings then says nothing about the run's health.
 */
export function statusNote(result: AnalysisResult): HTMLElement | null {
  if (complete(result)) {
    return null;
  }
  const failed = result.agent_results.filter(agent => agent.error_message);
  const note = h('div', {
    class: `jp-DeepFix-status-note jp-DeepFix-status-note-${token(result.status)}`,
    role: 'alert'
  });
  const ran = result.agent_results.length > 0 && result.status !== 'failed';
  note.appendChild(
    h(
      'p',
      {},
      h(
        'b',
        {},
        ran
          ? 'Partial analysis: not every check ran, so this is not a clean bill of health.'
          : 'The analysis failed: nothing was checked, so this says nothing about the run.'
      )
    )
  );
  if (failed.length) {
    note.appendChild(
      h(
        'ul',
        {},
        ...failed.map(agent => h('li', {}, code(agent.agent_name), `: ${agent.error_message}`))
      )
    );
  } else if (!result.agent_results.length && result.warnings.length) {
    note.appendChild(h('ul', {}, ...result.warnings.map(warning => h('li', {}, warning))));
  }
  note.appendChild(
    h(
      'p',
      {},
      'What to do: ',
      ran
        ? 'the findings below come from the checks that finished. Fix what the failed check says it needed and run the analysis again.'
        : 'fix the cause above and run the analysis again. If a DeepFix server is unreachable, ',
      ran ? null : code('%deepfix connect local'),
      ran ? null : ' analyses in this kernel.'
    )
  );
  return note;
}

/** Every finding but the advisor's, as `[agent, analysis]`. */
export function diagnoses(result: AnalysisResult): Array<[string, Analysis]> {
  return result.agent_results
    .filter(agent => agent.agent_name !== ADVISOR)
    .flatMap(agent => agent.analysis.map((item): [string, Analysis] => [agent.agent_name, item]));
}

/** Problems per severity: a code reported by several agents counts once, at its worst. */
export function severityCounts(result: AnalysisResult): Map<string, number> {
  const counts = new Map(SEVERITIES.map(severity => [severity, 0]));
  const worst = new Map<string, string>();
  const rank = (severity: string): number => SEVERITIES.length - SEVERITIES.indexOf(severity);
  for (const [, item] of diagnoses(result)) {
    const { code, severity } = item.findings;
    if (!code) {
      counts.set(severity, (counts.get(severity) ?? 0) + 1);
    } else if (!worst.has(code) || rank(severity) > rank(worst.get(code)!)) {
      worst.set(code, severity);
    }
  }
  for (const severity of worst.values()) {
    counts.set(severity, (counts.get(severity) ?? 0) + 1);
  }
  return counts;
}

export function isScore(name: string): boolean {
  const lowered = name.toLowerCase();
  return !lowered.includes('loss') && SCORE_WORDS.some(word => lowered.includes(word));
}

export function versionNote(version: number): HTMLElement | null {
  if (version <= PAYLOAD_VERSION) {
    return null;
  }
  return h(
    'p',
    { class: 'jp-DeepFix-note' },
    `This output was written by a newer DeepFix (payload version ${version}; this extension ` +
      `reads version ${PAYLOAD_VERSION}): parts of it may be missing. Update deepfix-notebook.`
  );
}

/** The analysis as a `div.jp-DeepFix.jp-DeepFix-analysis`. */
export function renderAnalysis(payload: AnalysisPayload): HTMLElement {
  const { result, curves } = payload;
  const bands = findingBands(result);
  const root = h(
    'div',
    { class: 'jp-DeepFix jp-DeepFix-analysis', 'data-deepfix-view': 'analysis' },
    versionNote(payload.version),
    payload.notice
      ? h(
          'p',
          { class: 'jp-DeepFix-notice', role: 'status' },
          h('b', {}, 'DeepFix'),
          `: ${payload.notice}`
        )
      : null,
    header(result, payload.run_name),
    statusNote(result),
    plan(result),
    curves ? curvesSection(curves, bands) : null,
    findings(result, curves),
    warnings(result.warnings)
  );
  wire(root);
  return root;
}

function header(result: AnalysisResult, name: string | null): HTMLElement {
  const counts = severityCounts(result);
  const badges = h(
    'div',
    { class: 'jp-DeepFix-badges' },
    badge(result.status, `status-${token(result.status)}`)
  );
  // A failed analysis checked nothing: zero counts would read as a clean run.
  for (const [severity, count] of result.status === 'failed' ? [] : counts) {
    badges.appendChild(badge(`${count} ${severity}`, count ? severity : 'plain'));
  }
  const meta = joined(
    [
      `backend ${result.backend ?? 'local'}`,
      formatDuration(result.execution_time),
      formatTimestamp(result.timestamp),
      name ? h('span', {}, 'run ', code(result.run_id)) : null,
      h('span', {}, 'request ', code(result.request_id))
    ],
    SEP
  );
  return h(
    'header',
    { class: 'jp-DeepFix-header' },
    h(
      'h3',
      { class: 'jp-DeepFix-title' },
      'DeepFix analysis of ',
      name ? runLabel(result.run_id, name) : code(result.run_id)
    ),
    badges,
    h('p', { class: 'jp-DeepFix-meta' }, ...meta),
    result.summary ? h('p', { class: 'jp-DeepFix-summary' }, result.summary) : null
  );
}

function recommendationMeta(rec: Recommendation): Child[] {
  return [
    `confidence ${rec.confidence.toFixed(2)}`,
    SEP,
    'targets: ',
    ...codes(rec.targets),
    SEP,
    'knowledge: ',
    ...codes(rec.knowledge_refs)
  ];
}

function plan(result: AnalysisResult): HTMLElement | null {
  const advisor = result.agent_results.find(agent => agent.agent_name === ADVISOR);
  if (!advisor) {
    return null;
  }
  const section = h('section', { class: 'jp-DeepFix-plan' }, h('h4', {}, 'Plan'));
  if (advisor.error_message) {
    section.appendChild(
      h('p', { class: 'jp-DeepFix-error' }, `Advisor failed: ${advisor.error_message}`)
    );
  }
  if (!advisor.analysis.length) {
    if (!advisor.error_message) {
      section.appendChild(
        h(
          'p',
          {},
          complete(result)
            ? 'Nothing to change.'
            : 'No plan from the checks that finished (the analysis did not complete).'
        )
      );
    }
    return section;
  }
  const list = h('ol', { class: 'jp-DeepFix-steps' });
  for (const item of advisor.analysis) {
    const rec = item.recommendations;
    const finding = item.findings;
    list.appendChild(
      h(
        'li',
        { class: 'jp-DeepFix-step' },
        badge(rec.priority, rec.priority),
        ' ',
        h('span', { class: 'jp-DeepFix-action' }, rec.action),
        h(
          'div',
          { class: 'jp-DeepFix-meta' },
          'for ',
          finding.code ? code(finding.code) : finding.description,
          SEP,
          ...recommendationMeta(rec)
        )
      )
    );
  }
  section.appendChild(list);
  return section;
}

/** The findings per agent; with more than one, a filter bar above them. */
function findings(result: AnalysisResult, curves: Curves | null): HTMLElement {
  const section = h('section', { class: 'jp-DeepFix-findings' }, h('h4', {}, 'Findings'));
  const all = diagnoses(result);
  if (all.length > 1) {
    const keys = all.map(([agent, item]) => ({
      severity: item.findings.severity,
      agent,
      code: item.findings.code ?? ''
    }));
    section.appendChild(filterBar(keys, SEVERITIES));
  }
  for (const agent of result.agent_results) {
    if (agent.agent_name === ADVISOR || !(agent.analysis.length || agent.error_message)) {
      continue;
    }
    const group = h(
      'div',
      { class: 'jp-DeepFix-agent-group', 'data-agent': agent.agent_name },
      h('h5', { class: 'jp-DeepFix-agent' }, agent.agent_name)
    );
    if (agent.error_message) {
      group.appendChild(h('p', { class: 'jp-DeepFix-error' }, `Error: ${agent.error_message}`));
    }
    for (const item of agent.analysis) {
      group.appendChild(finding(agent.agent_name, item, curves));
    }
    section.appendChild(group);
  }
  if (!all.length) {
    section.appendChild(
      complete(result)
        ? h('p', { class: 'jp-DeepFix-empty' }, 'No problems found.')
        : h(
            'p',
            { class: 'jp-DeepFix-empty jp-DeepFix-incomplete' },
            'No findings: the analysis did not complete (see above), so the run may still have problems.'
          )
    );
  } else if (all.length > 1) {
    section.appendChild(
      h('p', { class: 'jp-DeepFix-nomatch', hidden: true }, 'No finding matches the filters.')
    );
  }
  return section;
}

function definitions(rows: Array<[string, Child[]]>): HTMLElement {
  const list = h('dl', { class: 'jp-DeepFix-facts' });
  for (const [term, value] of rows) {
    list.appendChild(h('dt', {}, term));
    list.appendChild(h('dd', {}, ...value));
  }
  return list;
}

function finding(agent: string, item: Analysis, curves: Curves | null): HTMLElement {
  const f = item.findings;
  const rec = item.recommendations;
  const facts: Array<[string, Child[]]> = [['Evidence', [f.evidence]]];
  if (f.metric) {
    const metric: Child[] = [code(f.metric)];
    const logged = curves?.series.get(f.metric)?.label;
    if (logged && logged !== f.metric) {
      metric.push(' (logged as ', code(logged), ')');
    }
    facts.push(['Metric', metric]);
  }
  if (f.step_range) {
    let steps = formatRange(f.step_range, true);
    if (f.epoch_range) {
      steps += ` (epochs ${formatRange(f.epoch_range, false)})`;
    }
    facts.push(['Steps', [steps]]);
  }
  facts.push(['Confidence', [f.confidence.toFixed(2)]]);
  const advice: Array<[string, Child[]]> = [
    ['Action', [h('span', { class: 'jp-DeepFix-action' }, rec.action)]],
    ['Rationale', [rec.rationale]],
    ['Priority', [badge(rec.priority, rec.priority)]],
    ['Confidence', [rec.confidence.toFixed(2)]],
    ['Targets', codes(rec.targets)],
    ['Knowledge', codes(rec.knowledge_refs)]
  ];
  return h(
    'details',
    {
      class: `jp-DeepFix-finding jp-DeepFix-severity-${token(f.severity)}`,
      'data-severity': f.severity,
      'data-agent': agent,
      'data-code': f.code ?? '',
      'data-deepfix-band': f.step_range ? bandKey(f.code, f.step_range) : null
    },
    h(
      'summary',
      {},
      badge(f.severity, f.severity),
      ' ',
      code(f.code ?? MISSING),
      ' ',
      h('span', { class: 'jp-DeepFix-description' }, f.description)
    ),
    definitions(facts),
    h(
      'div',
      { class: 'jp-DeepFix-recommendation' },
      h('p', { class: 'jp-DeepFix-subtitle' }, 'Recommendation'),
      definitions(advice)
    )
  );
}

function warnings(items: string[]): HTMLElement | null {
  if (!items.length) {
    return null;
  }
  return h(
    'section',
    { class: 'jp-DeepFix-warnings' },
    h('h4', {}, 'Warnings'),
    h('ul', {}, ...items.map(text => h('li', {}, text)))
  );
}

function bandKey(findingCode: string | null, range: [number, number]): string {
  return `${findingCode ?? 'finding'}:${range[0]}-${range[1]}`;
}

/** One shaded band per distinct (code, step range) among the findings (the plan left out). */
export function findingBands(result: AnalysisResult): Band[] {
  const bands: Band[] = [];
  const seen = new Set<string>();
  for (const [, item] of diagnoses(result)) {
    const f = item.findings;
    if (!f.step_range) {
      continue;
    }
    const key = bandKey(f.code, f.step_range);
    if (seen.has(key)) {
      continue;
    }
    seen.add(key);
    const label = f.code ?? 'finding';
    const [first, last] = f.step_range;
    bands.push({
      first,
      last,
      label,
      severity: f.severity,
      title: `${label} (${f.severity}), steps ${formatRange(f.step_range, true)}: ${f.description}`,
      key
    });
  }
  return bands;
}

function curvesSection(curves: Curves, bands: Band[]): HTMLElement {
  const names = [...curves.series.keys()];
  const panels: Array<[string, string[]]> = [
    ['Loss', names.filter(name => name.toLowerCase().includes('loss'))],
    ['Accuracy and scores', names.filter(isScore)]
  ];
  const section = h('section', { class: 'jp-DeepFix-curves' }, h('h4', {}, 'Curves'));
  for (const [title, chosen] of panels) {
    if (!chosen.length) {
      continue;
    }
    const series: ChartSeries[] = chosen.slice(0, MAX_PANEL_SERIES).map(name => {
      const entry = curves.series.get(name)!;
      return { label: entry.label, x: entry.step, y: entry.value };
    });
    section.appendChild(lineChart(series, { title, bands }));
  }
  const logged = [...curves.series.values()].map(entry => {
    const bad = entry.value.filter(v => !Number.isFinite(v)).length;
    return h(
      'span',
      {},
      code(entry.label),
      ` (${entry.value.length.toLocaleString('en-US')} points shown${bad ? `, ${bad.toLocaleString('en-US')} non-finite` : ''})`
    );
  });
  section.appendChild(
    h(
      'p',
      { class: 'jp-DeepFix-meta' },
      'Metrics logged: ',
      ...(logged.length ? joined(logged, ', ') : ['none'])
    )
  );
  return section;
}

/**
 * The charts follow the findings list: an open finding's band is highlighted (`jp-mod-active`),
 * and the bands of findings the filters hide are hidden too.
 */
export function updateBands(root: HTMLElement): void {
  const shown = [...root.querySelectorAll<HTMLDetailsElement>('details.jp-DeepFix-finding')].filter(
    item => !item.hidden
  );
  const keys = (items: HTMLDetailsElement[]): Set<string | null> =>
    new Set(items.map(item => item.getAttribute('data-deepfix-band')));
  const visible = keys(shown);
  const open = keys(shown.filter(item => item.open));
  root.querySelectorAll('[data-deepfix-band]:not(details)').forEach(band => {
    const key = band.getAttribute('data-deepfix-band');
    band.classList.toggle('jp-mod-active', open.has(key));
    band.classList.toggle('jp-mod-hidden', !visible.has(key));
  });
}

function wire(root: HTMLElement): void {
  const section = root.querySelector<HTMLElement>('.jp-DeepFix-findings')!;
  section.querySelectorAll('.jp-DeepFix-filters select').forEach(select => {
    select.addEventListener('change', () => {
      applyFilters(section);
      updateBands(root);
    });
  });
  section.querySelectorAll('details.jp-DeepFix-finding').forEach(item => {
    item.addEventListener('toggle', () => updateBands(root));
  });
}
