/**
 * Payloads made by the Python package itself, from real runs: the renderer must read what
 * DeepFix writes today. `tests/labextension/test_labextension.py` writes them to the directory
 * in DEEPFIX_PAYLOADS, with what each view must show, and runs `npm test`; checks that each
 * case ran. Without DEEPFIX_PAYLOADS (a plain `npm test`) this suite is skipped.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { renderPayload } from '../src/render';

interface Case {
  name: string;
  mime: string;
  data: unknown;
  expect: {
    title: string;
    findingCodes?: string[];
    planActions?: string[];
    warnings?: string[];
    charts?: number;
    nonFinite?: boolean;
    matrix?: Record<string, Record<string, string>>;
    ranking?: string[];
    entries?: string[];
  };
}

const directory = process.env.DEEPFIX_PAYLOADS;
const cases: Case[] = directory
  ? JSON.parse(readFileSync(join(directory, 'cases.json'), 'utf8'))
  : [];

const texts = (root: Element, selector: string): string[] =>
  [...root.querySelectorAll(selector)].map(e => e.textContent ?? '');

describe.skipIf(!directory)('payloads written by deepfix_notebook', () => {
  it('were given', () => {
    expect(cases.length).toBeGreaterThan(0);
  });

  it.each(cases.map(c => [c.name, c] as const))('%s', (_, item) => {
    const root = renderPayload(item.mime, item.data);
    document.body.replaceChildren(root);
    const want = item.expect;
    expect(root.querySelector('.jp-DeepFix-failure')).toBeNull();
    expect(root.querySelector('.jp-DeepFix-note')).toBeNull(); // the payload version is known
    expect(root.querySelector('.jp-DeepFix-title')!.textContent).toBe(want.title);
    if (want.findingCodes) {
      expect(
        [...root.querySelectorAll<HTMLElement>('.jp-DeepFix-finding')].map(f => f.dataset.code)
      ).toEqual(want.findingCodes);
    }
    if (want.planActions) {
      expect(texts(root, '.jp-DeepFix-step .jp-DeepFix-action')).toEqual(want.planActions);
    }
    if (want.warnings) {
      expect(texts(root, '.jp-DeepFix-warnings li')).toEqual(want.warnings);
    }
    if (want.charts !== undefined) {
      expect(root.querySelectorAll('.jp-DeepFix-chart')).toHaveLength(want.charts);
      expect(root.querySelectorAll('.jp-DeepFix-chart polyline').length > 0).toBe(want.charts > 0);
    }
    if (want.nonFinite !== undefined) {
      expect(root.querySelector('.jp-DeepFix-nonfinite') !== null).toBe(want.nonFinite);
    }
    if (want.matrix) {
      const table = root.querySelector('.jp-DeepFix-matrix table')!;
      const codes = texts(table, 'thead th').slice(2);
      const shown: Record<string, Record<string, string>> = {};
      for (const row of table.querySelectorAll('tbody tr')) {
        const cells = texts(row, 'td');
        shown[cells[0]] = Object.fromEntries(
          codes
            .map((code, i) => [code, cells[i + 2]] as const)
            .filter(([, text]) => text !== '\u2014')
        );
      }
      expect(shown).toEqual(want.matrix);
    }
    if (want.ranking) {
      expect(texts(root, '.jp-DeepFix-ranking tbody tr td:nth-child(2)')).toEqual(want.ranking);
    }
    if (want.entries) {
      expect(texts(root, '.jp-DeepFix-entry .jp-DeepFix-meta code')).toEqual(want.entries);
    }
  });
});
