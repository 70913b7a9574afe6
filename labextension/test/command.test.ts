import { describe, expect, it } from 'vitest';

import {
  LOAD_EXT,
  PROBE_EXPRESSION,
  analyzeCode,
  magicsLoaded,
  probeAnswer,
  runArgument
} from '../src/command';

describe('runArgument', () => {
  it('passes run ids, paths and $variables through, trimmed', () => {
    expect(runArgument('  3f2a9c0d1e  ')).toEqual({ ok: true, value: '3f2a9c0d1e' });
    expect(runArgument('runs/overfitting')).toEqual({ ok: true, value: 'runs/overfitting' });
    expect(runArgument('$frame')).toEqual({ ok: true, value: '$frame' });
  });

  it('quotes what has spaces, as the magic splits its line on them', () => {
    expect(runArgument('my runs/first try')).toEqual({ ok: true, value: '"my runs/first try"' });
    expect(runArgument('say "hi" now')).toEqual({ ok: true, value: `'say "hi" now'` });
  });

  it('refuses what cannot be one argument of the magic, saying why', () => {
    const error = (input: string): string => {
      const parsed = runArgument(input);
      if (parsed.ok) {
        throw new Error(`accepted ${input}`);
      }
      return parsed.error;
    };
    expect(error('   ')).toContain('Give an MLflow run id');
    expect(error('abc\n%rm -rf x')).toContain('single line');
    expect(error('--help')).toContain('cannot start with "-"');
    expect(error(`it's "x" y`)).toContain('both kinds of quotes');
  });
});

describe('analyzeCode', () => {
  it('loads the extension first unless the kernel is known to have the magics', () => {
    expect(analyzeCode('abc', true)).toBe('%deepfix analyze abc');
    expect(analyzeCode('abc', false)).toBe(`${LOAD_EXT}\n%deepfix analyze abc`);
    expect(analyzeCode('abc', null)).toBe(`${LOAD_EXT}\n%deepfix analyze abc`);
  });
});

/** The part of a kernel connection the probe uses, answering with `reply` (or never). */
function kernel(reply: Record<string, unknown> | null, requests: unknown[] = []): any {
  return {
    requestExecute(content: unknown) {
      requests.push(content);
      return {
        done: reply === null ? new Promise(() => undefined) : Promise.resolve({ content: reply })
      };
    }
  };
}

const answer = (text: string): Record<string, unknown> => ({
  status: 'ok',
  user_expressions: { deepfix: { status: 'ok', data: { 'text/plain': text } } }
});

describe('magicsLoaded', () => {
  it('asks the kernel silently with a user expression', async () => {
    const requests: unknown[] = [];
    expect(await magicsLoaded(kernel(answer('True'), requests))).toBe(true);
    expect(requests).toEqual([
      {
        code: '',
        silent: true,
        store_history: false,
        user_expressions: { deepfix: PROBE_EXPRESSION }
      }
    ]);
    expect(await magicsLoaded(kernel(answer('False')))).toBe(false);
  });

  it('cannot tell without a kernel, from an error, or when the kernel is busy', async () => {
    expect(await magicsLoaded(null)).toBeNull();
    expect(await magicsLoaded(kernel({ status: 'error', ename: 'NameError' }))).toBeNull();
    expect(
      await magicsLoaded(
        kernel({ status: 'ok', user_expressions: { deepfix: { status: 'error' } } })
      )
    ).toBeNull();
    expect(await magicsLoaded(kernel(null), 20)).toBeNull();
    const failing = {
      requestExecute: () => ({ done: Promise.reject(new Error('Kernel is dead')) })
    };
    expect(await magicsLoaded(failing as any)).toBeNull();
  });

  it('reads only a plain True or False', () => {
    expect(probeAnswer({ content: answer('1') } as any)).toBeNull();
  });
});
