import { describe, expect, it } from 'vitest';

import { renderKnowledge } from '../src/knowledge';
import { readKnowledgeResponse } from '../src/payload';
import { knowledgePayload } from './fixtures';

function render(data = knowledgePayload()): HTMLElement {
  const root = renderKnowledge(readKnowledgeResponse(data));
  document.body.replaceChildren(root);
  return root;
}

describe('renderKnowledge', () => {
  it('lists the entries best first with title, scores, content and source', () => {
    const root = render();
    expect(root.querySelector('.jp-DeepFix-title')!.textContent).toBe(
      'Knowledge for validation loss goes up'
    );
    const entries = [...root.querySelectorAll('.jp-DeepFix-entry')];
    expect(entries.map(e => e.querySelector('.jp-DeepFix-entry-title')!.textContent)).toEqual([
      'Recognising overfitting',
      'prechelt-stopping-criteria' // no title: the id
    ]);
    expect([...entries[0].querySelectorAll('.jp-DeepFix-badge')].map(b => b.textContent)).toEqual([
      'relevance 1.00',
      'confidence 0.90'
    ]);
    expect(entries[0].querySelector('.jp-DeepFix-meta')!.textContent).toBe(
      'Source: Goodfellow et al., Deep Learning, 2016 \u00b7 overfitting-reading-the-curves \u00b7 training \u00b7 link'
    );
    const link = entries[0].querySelector('a')!;
    expect(link.getAttribute('href')).toBe('https://www.deeplearningbook.org/');
    expect(link.getAttribute('rel')).toBe('noopener noreferrer nofollow');
    expect(entries[1].querySelector('a')).toBeNull();
  });

  it('says when nothing matches', () => {
    expect(
      render(knowledgePayload({ results: [] })).querySelector('.jp-DeepFix-empty')!.textContent
    ).toBe('No knowledge entries match.');
  });
});
