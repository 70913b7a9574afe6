import { describe, expect, it } from 'vitest';

import widget, { Model } from '../src/anywidget';
import { MIME_ANALYSIS, MIME_KNOWLEDGE } from '../src/payload';
import { MIME_RUNS } from '../src/runs';
import { analysisPayload, knowledgePayload, runsPayload } from './fixtures';

/** anywidget's model, as far as the view uses it. */
function fakeModel(state: Record<string, unknown>): Model & {
  set(name: string, value: unknown): void;
  listeners: number;
  sent: unknown[];
} {
  const callbacks = new Map<string, Set<() => void>>();
  const sent: unknown[] = [];
  return {
    sent,
    send: content => void sent.push(content),
    get: name => state[name],
    set(name, value) {
      state[name] = value;
      callbacks.get(`change:${name}`)?.forEach(callback => callback());
    },
    on: (event, callback) => {
      callbacks.set(event, (callbacks.get(event) ?? new Set()).add(callback));
    },
    off: (event, callback) => {
      callbacks.get(event)?.delete(callback);
    },
    get listeners() {
      return [...callbacks.values()].reduce((n, set) => n + set.size, 0);
    }
  };
}

describe('the anywidget front end', () => {
  it('draws the payload as the extension does, and again when the kernel changes it', () => {
    const model = fakeModel({ mime: MIME_ANALYSIS, payload: analysisPayload(), text: 'plain' });
    const el = document.createElement('div');
    const stop = widget.render({ model, el });
    expect(el.classList.contains('deepfix-anywidget')).toBe(true);
    expect(el.querySelectorAll('.jp-DeepFix-analysis')).toHaveLength(1);
    expect(el.querySelector('.jp-DeepFix-title')!.textContent).toBe(
      'DeepFix analysis of overfitting'
    );
    model.set('mime', MIME_KNOWLEDGE);
    model.set('payload', knowledgePayload());
    expect(el.querySelectorAll('.jp-DeepFix-analysis')).toHaveLength(0);
    expect(el.querySelectorAll('.jp-DeepFix-knowledge')).toHaveLength(1);
    stop();
    expect(model.listeners).toBe(0);
  });

  it('says why it cannot draw a payload, and shows the text', () => {
    const model = fakeModel({ mime: MIME_ANALYSIS, payload: { version: 1 }, text: 'the text' });
    const el = document.createElement('div');
    widget.render({ model, el });
    expect(el.querySelector('.jp-DeepFix-error')!.textContent).toContain('analysis.result');
    expect(el.querySelector('pre')!.textContent).toBe('the text');
  });

  it("sends the runs table's Analyze to the kernel", () => {
    const model = fakeModel({ mime: MIME_RUNS, payload: runsPayload(), text: 'runs' });
    const el = document.createElement('div');
    widget.render({ model, el });
    const buttons = el.querySelectorAll<HTMLButtonElement>('.jp-DeepFix-analyze');
    expect(buttons).toHaveLength(3);
    buttons[1].click();
    expect(model.sent).toEqual([{ event: 'analyze', run_id: 'b'.repeat(32) }]);
    expect(el.querySelector('tr.jp-mod-active')!.getAttribute('data-run-id')).toBe('b'.repeat(32));
  });
});
