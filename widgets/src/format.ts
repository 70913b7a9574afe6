/** Number and time formatting, matching the Python views (`views/_html.py`, `views/_svg.py`). */

export const MISSING = '\u2014'; // em dash
export const SEP = ' \u00b7 '; // middle dot

/** Python's `format(value, f'.{precision}g')`: significant digits, no trailing zeros. */
export function formatG(value: number, precision = 6): string {
  if (Number.isNaN(value)) {
    return 'nan';
  }
  if (!Number.isFinite(value)) {
    return value > 0 ? 'inf' : '-inf';
  }
  if (value === 0) {
    return Object.is(value, -0) ? '-0' : '0';
  }
  const p = Math.max(precision, 1);
  const exponent = Number(value.toExponential(p - 1).split('e')[1]);
  if (exponent < -4 || exponent >= p) {
    const [mantissa, exp] = value.toExponential(p - 1).split('e');
    const sign = exp.startsWith('-') ? '-' : '+';
    const digits = exp.replace(/^[-+]/, '').padStart(2, '0');
    return `${stripZeros(mantissa)}e${sign}${digits}`;
  }
  return stripZeros(value.toFixed(Math.max(p - 1 - exponent, 0)));
}

function stripZeros(text: string): string {
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

/** `1,234` for integers below 1e9, `%g` otherwise (the x axis, steps). */
// One formatter for every step label: `toLocaleString` builds a new one per call, and a chart
// formats one label per point.
const STEP_FORMAT = new Intl.NumberFormat('en-US');

export function formatStep(value: number): string {
  if (Number.isInteger(value) && Math.abs(value) < 1e9) {
    return STEP_FORMAT.format(value);
  }
  return formatValue(value);
}

/** Axis and table values: 4 significant digits, 2 for very large or small magnitudes. */
export function formatValue(value: number): string {
  if (value !== 0 && (Math.abs(value) >= 1e5 || Math.abs(value) < 1e-3)) {
    return formatG(value, 2);
  }
  return formatG(value, 4);
}

/** A log axis' tick as people write it: `1e-4`, `3e-4`, `0.001`, `0.02`, `5`, `200`, `1e5`. */
export function formatLogTick(value: number): string {
  if (!(value > 0) || !Number.isFinite(value)) {
    return formatValue(value);
  }
  if (value >= 1e-3 && value < 1e4) {
    return formatG(value, 3);
  }
  let exponent = Math.floor(Math.log10(value));
  let mantissa = Number((value / 10 ** exponent).toPrecision(2));
  if (mantissa >= 10) {
    mantissa /= 10;
    exponent += 1;
  }
  return `${mantissa}e${exponent}`;
}

export function formatDuration(seconds: number): string {
  return seconds < 1 ? `${(seconds * 1000).toFixed(0)} ms` : `${seconds.toFixed(2)} s`;
}

/** `48–1,200`, or one number when both ends agree; epochs as `%g`. */
export function formatRange(pair: [number, number] | null, integer: boolean): string {
  if (pair === null) {
    return MISSING;
  }
  const [first, last] = pair.map(v => (integer ? formatStep(v) : formatG(v)));
  return first === last ? first : `${first}\u2013${last}`;
}

/** An ISO timestamp as `YYYY-MM-DD HH:MM:SSZ` (UTC, as DeepFix writes it), or as given. */
export function formatTimestamp(value: string | null): string {
  if (!value) {
    return MISSING;
  }
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.\d+)?Z$/.exec(value);
  return match ? `${match[1]} ${match[2]}Z` : value;
}
