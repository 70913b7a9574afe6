/** The native view of a knowledge search: entries best first, with source and scores. */

import { badge, code } from './analysis';
import { h, webLink } from './dom';
import { SEP } from './format';
import { KnowledgeResponse } from './payload';

/** The response as a `div.jp-DeepFix.jp-DeepFix-knowledge`. */
export function renderKnowledge(response: KnowledgeResponse): HTMLElement {
  const root = h(
    'div',
    { class: 'jp-DeepFix jp-DeepFix-knowledge', 'data-deepfix-view': 'knowledge' },
    h('h3', { class: 'jp-DeepFix-title' }, 'Knowledge for ', h('q', {}, response.query))
  );
  if (!response.results.length) {
    root.appendChild(h('p', { class: 'jp-DeepFix-empty' }, 'No knowledge entries match.'));
    return root;
  }
  root.appendChild(
    h('p', { class: 'jp-DeepFix-meta' }, `${response.results.length} result(s), best first`)
  );
  const list = h('ol', { class: 'jp-DeepFix-entries' });
  for (const item of response.results) {
    const title =
      typeof item.metadata.title === 'string' && item.metadata.title
        ? item.metadata.title
        : item.id;
    const domain = item.metadata.domain;
    const link = webLink(item.metadata.url, 'link');
    list.appendChild(
      h(
        'li',
        { class: 'jp-DeepFix-entry' },
        h('b', { class: 'jp-DeepFix-entry-title' }, title),
        ' ',
        badge(`relevance ${item.relevance_score.toFixed(2)}`, 'plain'),
        ' ',
        badge(`confidence ${item.confidence.toFixed(2)}`, 'plain'),
        h('p', {}, item.content),
        h(
          'p',
          { class: 'jp-DeepFix-meta' },
          `Source: ${item.source}`,
          SEP,
          code(item.id),
          typeof domain === 'string' ? `${SEP}${domain}` : null,
          link ? SEP : null,
          link
        )
      )
    );
  }
  root.appendChild(list);
  return root;
}
