import { describe, expect, it } from 'vitest';

import {
  formatDuration,
  formatG,
  formatRange,
  formatStep,
  formatTimestamp,
  formatValue
} from '../src/format';

describe('formatG', () => {
  // Expected values are Python's format(value, f'.{p}g').
  it.each([
    [0.0001234, 4, '0.0001234'],
    [0.00001234, 4, '1.234e-05'],
    [12345.6, 4, '1.235e+04'],
    [1234.4, 4, '1234'],
    [9.9996, 4, '10'],
    [0.5, 6, '0.5'],
    [1e-4, 6, '0.0001'],
    [1e16, 6, '1e+16'],
    [-2.5, 2, '-2.5'],
    [0, 4, '0'],
    [100, 2, '1e+02'],
    [Number.NaN, 4, 'nan'],
    [-Infinity, 4, '-inf']
  ])('formatG(%s, %s) is %s', (value, precision, expected) => {
    expect(formatG(value, precision)).toBe(expected);
  });
});

describe('the other formats', () => {
  it('formats steps, values, durations, ranges and timestamps like the Python views', () => {
    expect(formatStep(1200)).toBe('1,200');
    expect(formatStep(2.5)).toBe('2.5');
    expect(formatValue(123456)).toBe('1.2e+05');
    expect(formatValue(0.5)).toBe('0.5');
    expect(formatValue(0.0001)).toBe('0.0001');
    expect(formatDuration(0.176)).toBe('176 ms');
    expect(formatDuration(2.5)).toBe('2.50 s');
    expect(formatRange([48, 1200], true)).toBe('48\u20131,200');
    expect(formatRange([15, 15], false)).toBe('15');
    expect(formatRange(null, true)).toBe('\u2014');
    expect(formatTimestamp('2026-11-24T09:28:01.123456Z')).toBe('2026-11-24 09:28:01Z');
    expect(formatTimestamp('yesterday')).toBe('yesterday');
  });
});
