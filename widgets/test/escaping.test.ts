/**
 * Everything in a payload may come from a run's artifacts: no string may become markup,
 * an attribute that runs code, or a link other than http(s).
 */
import { describe, expect, it } from 'vitest';

import { h, s, webLink } from '../src/dom';
import { renderPayload } from '../src/render';
import { MIME_ANALYSIS, MIME_COMPARISON, MIME_KNOWLEDGE } from '../src/payload';
import { analysisPayload, comparisonPayload, knowledgePayload } from './fixtures';

const EVIL = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script>"\'&';

/** Every string in `value` (keys included) replaced by EVIL plus its old text. */
function poison(value: unknown): unknown {
  if (typeof value === 'string') {
    return `${EVIL}${value}`;
  }
  if (Array.isArray(value)) {
    return value.map(poison);
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [`${EVIL}${k}`, poison(v)]));
  }
  return value;
}

function renameKeys(mapping: Record<string, unknown>): Record<string, any> {
  return Object.fromEntries(Object.entries(mapping).map(([k, v]) => [`${EVIL}${k}`, v]));
}

/** Poisons the free-text fields of a payload, keeping the few strings that are vocabulary. */
function poisonStrings(data: Record<string, any>, keep: string[]): Record<string, any> {
  const walk = (value: any, key = ''): any => {
    if (typeof value === 'string') {
      return keep.includes(key) ? value : `${EVIL}${value}`;
    }
    if (Array.isArray(value)) {
      return value.map(v => walk(v, key));
    }
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, k)]));
    }
    return value;
  };
  return walk(data);
}

function expectInert(root: HTMLElement): void {
  document.body.replaceChildren(root);
  expect(root.querySelectorAll('img, script, iframe, object, embed, style')).toHaveLength(0);
  for (const element of root.querySelectorAll('*')) {
    for (const attribute of element.getAttributeNames()) {
      expect(attribute.startsWith('on')).toBe(false);
    }
    const href = element.getAttribute('href');
    if (href !== null) {
      expect(href).toMatch(/^https?:\/\//);
    }
  }
  expect((window as any).__pwned).toBeUndefined();
  expect(root.textContent).toContain(EVIL);
}

describe('hostile payloads render as text', () => {
  it('analysis: every free-text field, metric names and curve labels', () => {
    const data = poisonStrings(analysisPayload(), ['severity', 'priority', 'status', 'x']);
    data.curves.series = renameKeys(data.curves.series);
    expectInert(renderPayload(MIME_ANALYSIS, data));
  });

  it('comparison: run names, problem codes, parameter names and values', () => {
    const base = comparisonPayload();
    const data = poisonStrings(base, [
      'severity',
      'priority',
      'status',
      'x',
      'metric',
      'align',
      'value'
    ]);
    data.params = poison(base.params);
    data.results = renameKeys(data.results);
    data.curves = renameKeys(data.curves);
    expectInert(renderPayload(MIME_COMPARISON, data));
  });

  it('knowledge: content, source, title and a javascript: URL', () => {
    const data = poisonStrings(knowledgePayload(), []);
    data.results[0].metadata.url = 'javascript:window.__pwned=1';
    data.results[1].metadata.url = ' data:text/html,<script>1</script>';
    const root = renderPayload(MIME_KNOWLEDGE, data);
    expectInert(root);
    expect(root.querySelectorAll('a')).toHaveLength(0);
  });

  it('severity and status values never become arbitrary class names', () => {
    const data = analysisPayload();
    data.result.status = 'x" onclick="alert(1)';
    data.result.agent_results[0].analysis[0].findings.severity = 'high jp-mod-hidden';
    const root = renderPayload(MIME_ANALYSIS, data);
    document.body.replaceChildren(root);
    expect(root.querySelector('.jp-DeepFix-badge-status-unknown')!.textContent).toBe(
      'x" onclick="alert(1)'
    );
    expect(root.querySelector('.jp-mod-hidden')).toBeNull();
    expect(root.querySelector('.jp-DeepFix-finding.jp-DeepFix-severity-unknown')).not.toBeNull();
  });
});

describe('dom helpers', () => {
  it('refuse event handlers and non-web links, whatever the caller passes', () => {
    expect(() => h('div', { onclick: 'alert(1)' })).toThrow('event-handler');
    expect(() => s('a', { OnMouseOver: 'x' })).toThrow('event-handler');
    expect(() => h('a', { href: 'javascript:alert(1)' })).toThrow('only http(s)');
    expect(() => h('img', { src: 'data:image/png;base64,' })).toThrow('only http(s)');
    expect(webLink('https://example.org/a?b=<c>', 'x')!.getAttribute('href')).toBe(
      'https://example.org/a?b=<c>'
    );
    expect(webLink('ftp://example.org', 'x')).toBeNull();
    expect(webLink(42, 'x')).toBeNull();
  });

  it('put strings in as text nodes', () => {
    const element = h('p', {}, EVIL, 3, null, false, undefined);
    expect(element.childNodes).toHaveLength(2);
    expect(element.textContent).toBe(`${EVIL}3`);
    expect(element.children).toHaveLength(0);
  });
});
