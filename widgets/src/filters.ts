/**
 * Filtering an analysis' findings by severity, agent and problem code (`AnalysisWidget`'s
 * filters). The findings are `details.jp-DeepFix-finding` carrying `data-severity`, `data-agent`
 * and `data-code`, grouped per agent in `.jp-DeepFix-agent-group`; filtering hides them.
 */

import { h } from './dom';

export const FILTERS = ['severity', 'agent', 'code'] as const;
export type FilterName = (typeof FILTERS)[number];
export type FindingKeys = Record<FilterName, string>;

/** The value of "all" (never a vocabulary word, agent name or code). */
export const ALL = '*';
const FINDING = 'details.jp-DeepFix-finding';

function counted(values: string[], order: string[] = []): Array<[string, number]> {
  const counts = new Map(order.map((value): [string, number] => [value, 0]));
  for (const value of values) {
    counts.set(value, (counts.get(value) ?? 0) + 1);
  }
  return [...counts];
}

function choice(name: FilterName, options: Array<[string, number]>, total: number): HTMLElement {
  const select = h(
    'select',
    { name, class: 'jp-DeepFix-select', 'aria-label': `Show the findings of this ${name}` },
    h('option', { value: ALL }, `all (${total})`)
  );
  for (const [value, count] of options) {
    select.appendChild(h('option', { value }, `${value || '(no code)'} (${count})`));
  }
  return h('label', { class: 'jp-DeepFix-filter' }, `${name} `, select);
}

/**
 * The filter bar for findings with these keys: a select per filter listing the values present
 * (every severity of `severities`, present or not) with their counts, and the "shown" count.
 */
export function filterBar(findings: FindingKeys[], severities: string[]): HTMLElement {
  const total = findings.length;
  const values = (name: FilterName): string[] => findings.map(keys => keys[name]);
  const agents = counted(values('agent'));
  const codes = counted(values('code')).sort(([a], [b]) => a.localeCompare(b));
  return h(
    'div',
    { class: 'jp-DeepFix-filters', role: 'group', 'aria-label': 'Filter the findings' },
    choice('severity', counted(values('severity'), severities), total),
    choice('agent', agents, total),
    choice('code', codes, total),
    h('span', { class: 'jp-DeepFix-shown', 'aria-live': 'polite' }, `${total} of ${total} shown`)
  );
}

/** The values chosen in `section`'s filter bar (all, where it has none). */
export function chosen(section: ParentNode): FindingKeys {
  const value = (name: FilterName): string =>
    section.querySelector<HTMLSelectElement>(`.jp-DeepFix-filters select[name="${name}"]`)?.value ??
    ALL;
  return { severity: value('severity'), agent: value('agent'), code: value('code') };
}

export function matches(keys: FindingKeys, filters: FindingKeys): boolean {
  return FILTERS.every(name => filters[name] === ALL || filters[name] === keys[name]);
}

/** The keys a finding element carries. */
export function keysOf(item: HTMLElement): FindingKeys {
  const { severity = '', agent = '', code = '' } = item.dataset;
  return { severity, agent, code };
}

/**
 * Hide the findings of `section` that the filter bar leaves out, and the agents left with
 * nothing to show (an agent's error stays while the agent is chosen); update the counts.
 */
export function applyFilters(section: HTMLElement): void {
  const filters = chosen(section);
  const items = [...section.querySelectorAll<HTMLElement>(FINDING)];
  let shown = 0;
  for (const item of items) {
    item.hidden = !matches(keysOf(item), filters);
    shown += item.hidden ? 0 : 1;
  }
  section.querySelectorAll<HTMLElement>('.jp-DeepFix-agent-group').forEach(group => {
    const agentChosen = filters.agent === ALL || filters.agent === group.dataset.agent;
    const visible = [...group.querySelectorAll<HTMLElement>(FINDING)].some(item => !item.hidden);
    group.hidden = !(visible || (agentChosen && group.querySelector('.jp-DeepFix-error')));
  });
  const count = section.querySelector('.jp-DeepFix-shown');
  if (count) {
    count.textContent = `${shown} of ${items.length} shown`;
  }
  const none = section.querySelector<HTMLElement>('.jp-DeepFix-nomatch');
  if (none) {
    none.hidden = shown > 0;
  }
}
