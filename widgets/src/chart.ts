/**
 * Static SVG line charts of a run's curves, drawn from the JSON payload (no plotting library).
 *
 * A port of `views/_svg.py`, so the native view and the HTML fallback draw the same chart:
 * min/max bucketing keeps spikes, NaN/Inf values are red marks (never dropped), a positive curve
 * spanning more than 100x goes on a log scale, and findings' step ranges are shaded bands.
 * Hovering a drawn point shows its value (an SVG `<title>` per point, which the bucketing keeps
 * to at most `maxPoints` per series).
 */

import { h, s } from './dom';
import { formatG, formatLogTick, formatStep, formatValue } from './format';

export const WIDTH = 680;
export const HEIGHT = 230;
const LEFT = 58;
const RIGHT = 12;
const TOP = 30;
const BOTTOM = 34;
const LOG_RATIO = 100;
const MAX_BANDS = 12;
const LABEL_ROWS = 3;
const LABEL_ROW_HEIGHT = 12;
/** Non-finite marks closer than this (px) are drawn as one mark with a count. */
const MARK_GAP = 10;

/** Line colours at least 3:1 against both a white and a near-black background (`_theme.py`). */
export const SERIES_COLOURS = [
  '#1f6feb',
  '#c2410c',
  '#1a7f37',
  '#8250df',
  '#db2777',
  '#0e7490',
  '#64748b',
  '#9467bd'
];
export const BAD_COLOUR = '#e11d48';

export interface ChartSeries {
  label: string;
  x: number[];
  y: number[];
}

export interface Band {
  first: number;
  last: number;
  label: string;
  severity: string;
  title: string;
  /** Joins a band to the finding it shades (`data-deepfix-band`). */
  key: string;
}

export interface Downsampled {
  /** Indices of finite points to draw, in order. */
  keep: number[];
  /** Indices of non-finite points to mark. */
  bad: number[];
  /** `breaks[i]`: a non-finite value lies between `keep[i]` and `keep[i + 1]`. */
  breaks: boolean[];
}

/**
 * At most `maxPoints` finite points: the min and the max of each of `maxPoints / 2` x buckets;
 * of the non-finite values, the first of each bucket. `x` must be non-decreasing.
 */
export function minmaxDownsample(x: number[], y: number[], maxPoints: number): Downsampled {
  if (maxPoints < 2) {
    throw new Error(`maxPoints must be at least 2, got ${maxPoints}`);
  }
  const n = y.length;
  const finite = y.map(Number.isFinite);
  let keep: number[] = [];
  let bad: number[] = [];
  if (n <= maxPoints) {
    finite.forEach((ok, i) => (ok ? keep : bad).push(i));
  } else {
    const buckets = Math.floor(maxPoints / 2);
    const span = x[n - 1] - x[0];
    const bucketOf = (i: number): number =>
      span > 0 && Number.isFinite(span)
        ? Math.min(Math.floor((x[i] - x[0]) * (buckets / span)), buckets - 1)
        : 0;
    let start = 0;
    while (start < n) {
      const bucket = bucketOf(start);
      let stop = start;
      let low = -1;
      let high = -1;
      let firstBad = -1;
      while (stop < n && bucketOf(stop) === bucket) {
        if (finite[stop]) {
          if (low < 0 || y[stop] < y[low]) {
            low = stop;
          }
          if (high < 0 || y[stop] > y[high]) {
            high = stop;
          }
        } else if (firstBad < 0) {
          firstBad = stop;
        }
        stop++;
      }
      if (low >= 0) {
        keep.push(...[...new Set([low, high])].sort((a, b) => a - b));
      }
      if (firstBad >= 0) {
        bad.push(firstBad);
      }
      start = stop;
    }
  }
  const badBefore = [0];
  for (let i = 0; i < n; i++) {
    badBefore.push(badBefore[i] + (finite[i] ? 0 : 1));
  }
  const breaks = keep.slice(1).map((next, i) => badBefore[next] - badBefore[keep[i] + 1] > 0);
  return { keep, bad, breaks };
}

/** About `count` round tick values covering [low, high]. */
export function niceTicks(low: number, high: number, count = 6): number[] {
  if (!(high > low)) {
    return [low];
  }
  const raw = (high - low) / Math.max(count - 1, 1);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map(m => m * power).find(v => v >= raw) ?? 10 * power;
  const ticks: number[] = [];
  for (let value = Math.ceil(low / step) * step; value <= high + step * 1e-9; value += step) {
    ticks.push(Math.abs(value) < step * 1e-9 ? 0 : Number(value.toPrecision(12)));
  }
  return ticks;
}

export class Scale {
  constructor(
    readonly low: number,
    readonly high: number,
    readonly start: number,
    readonly length: number,
    readonly log = false,
    readonly flip = false
  ) {}

  at(value: number): number {
    const v = this.log ? Math.log10(value) : value;
    const low = this.log ? Math.log10(this.low) : this.low;
    const high = this.log ? Math.log10(this.high) : this.high;
    let frac = high > low ? (v - low) / (high - low) : 0.5;
    if (this.flip) {
      frac = 1 - frac;
    }
    return this.start + frac * this.length;
  }
}

/** The y scale over the finite values drawn: log when positive and spanning more than 100x. */
export function yScale(values: number[][]): Scale {
  const top = TOP;
  const height = HEIGHT - TOP - BOTTOM;
  let low = Infinity;
  let high = -Infinity;
  for (const list of values) {
    for (const v of list) {
      if (Number.isFinite(v)) {
        low = Math.min(low, v);
        high = Math.max(high, v);
      }
    }
  }
  if (low > high) {
    return new Scale(0, 1, top, height, false, true);
  }
  if (low > 0 && high / low > LOG_RATIO) {
    return new Scale(low, high, top, height, true, true);
  }
  const pad = (high - low) * 0.05 || Math.abs(high) * 0.05 || 1;
  return new Scale(low - pad, high + pad, top, height, false, true);
}

const fixed = (v: number): string => v.toFixed(1);

/** A `<figure class="jp-DeepFix-chart">`: the SVG chart and an HTML legend. */
export function lineChart(
  series: ChartSeries[],
  options: { title: string; bands?: Band[]; maxPoints?: number; xLabel?: string }
): HTMLElement {
  const { title, bands = [], maxPoints = 400, xLabel = 'step' } = options;
  const prepared = series
    .filter(item => item.x.length > 0)
    .map(item => ({ ...item, down: minmaxDownsample(item.x, item.y, maxPoints) }));
  const plotBottom = HEIGHT - BOTTOM;
  const xLow = prepared.length ? Math.min(...prepared.map(p => p.x[0])) : 0;
  const xHigh = prepared.length ? Math.max(...prepared.map(p => p.x[p.x.length - 1])) : 1;
  const xscale = new Scale(xLow, xHigh, LEFT, WIDTH - LEFT - RIGHT);
  const yscale = yScale(prepared.map(p => p.down.keep.map(i => p.y[i])));

  const svg = s(
    'svg',
    {
      viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
      role: 'img',
      'aria-label': title,
      class: 'jp-DeepFix-svg',
      'font-size': 11
    },
    s('title', {}, title),
    s('text', { x: LEFT, y: 14, 'font-weight': 600, fill: 'currentColor' }, title)
  );
  svg.appendChild(drawBands(bands, xscale, xLow, xHigh));
  svg.appendChild(drawAxes(xscale, yscale, xLow, xHigh, xLabel));

  const legend = h('figcaption', { class: 'jp-DeepFix-legend' });
  prepared.forEach((item, index) => {
    const colour = SERIES_COLOURS[index % SERIES_COLOURS.length];
    const group = s(
      'g',
      {
        fill: 'none',
        stroke: colour,
        'stroke-width': 1.5,
        class: 'jp-DeepFix-series',
        'data-series': item.label
      },
      s('title', {}, item.label)
    );
    const { keep, breaks } = item.down;
    const px = keep.map(i => xscale.at(item.x[i]));
    const py = keep.map(i => yscale.at(item.y[i]));
    const cuts = [...breaks.flatMap((b, i) => (b ? [i + 1] : [])), keep.length];
    let start = 0;
    for (const stop of cuts) {
      if (stop - start === 1) {
        group.appendChild(s('circle', { cx: fixed(px[start]), cy: fixed(py[start]), r: 1.5 }));
      } else if (stop > start) {
        const points = px
          .slice(start, stop)
          .map((x, i) => `${fixed(x)},${fixed(py[start + i])}`)
          .join(' ');
        group.appendChild(s('polyline', { points }));
      }
      start = stop;
    }
    svg.appendChild(group);
    svg.appendChild(drawPoints(item, colour, px, py, xLabel));
    if (item.down.bad.length) {
      svg.appendChild(drawMarks(item, xscale, plotBottom));
    }
    legend.appendChild(
      h(
        'span',
        { class: 'jp-DeepFix-key' },
        h('i', { class: 'jp-DeepFix-swatch', style: `background:${colour}` }),
        item.label
      )
    );
  });
  if (prepared.some(p => p.down.bad.length)) {
    legend.appendChild(
      h(
        'span',
        { class: 'jp-DeepFix-key' },
        h('i', { class: 'jp-DeepFix-swatch', style: `background:${BAD_COLOUR}` }),
        'NaN / Inf'
      )
    );
  }
  if (yscale.log) {
    legend.appendChild(h('span', { class: 'jp-DeepFix-key' }, 'log scale'));
  }
  if (!prepared.length) {
    legend.appendChild(h('span', { class: 'jp-DeepFix-key' }, 'no values logged'));
  }
  return h('figure', { class: 'jp-DeepFix-chart' }, svg, legend);
}

/** Invisible hover targets on the drawn points, each titled with its series, x and value. */
function drawPoints(
  item: ChartSeries & { down: Downsampled },
  colour: string,
  px: number[],
  py: number[],
  xLabel: string
): SVGElement {
  const group = s('g', {
    fill: colour,
    class: 'jp-DeepFix-points',
    'aria-hidden': 'true'
  });
  item.down.keep.forEach((index, i) => {
    const text = `${item.label}: ${formatG(item.y[index])} at ${xLabel} ${formatStep(item.x[index])}`;
    group.appendChild(
      s('circle', { cx: fixed(px[i]), cy: fixed(py[i]), r: 3.5 }, s('title', {}, text))
    );
  });
  return group;
}

/** A stretch of consecutive non-finite values of a series, or several close together. */
export interface NonFiniteStretch {
  first: number;
  last: number;
  count: number;
  /** `+Infinity` marks go at the top, `-Infinity` at the bottom, NaN at the top. */
  negative: boolean;
}

/**
 * The non-finite values of `y` grouped into stretches of consecutive points, and stretches
 * closer than `gap` (in x units) merged, so a short run's NaNs on a long axis stay one mark.
 */
export function nonFiniteStretches(x: number[], y: number[], gap = 0): NonFiniteStretch[] {
  const out: NonFiniteStretch[] = [];
  let previous = false;
  y.forEach((value, i) => {
    if (Number.isFinite(value)) {
      previous = false;
      return;
    }
    const negative = value === -Infinity;
    const last = out[out.length - 1];
    if (last && last.negative === negative && (previous || x[i] - last.last <= gap)) {
      last.last = x[i];
      last.count++;
    } else {
      out.push({ first: x[i], last: x[i], count: 1, negative });
    }
    previous = true;
  });
  return out;
}

function drawMarks(
  item: ChartSeries & { down: Downsampled },
  xscale: Scale,
  bottom: number
): SVGElement {
  const pixel = xscale.length / Math.max(Math.abs(xscale.high - xscale.low), 1e-300);
  const stretches = nonFiniteStretches(item.x, item.y, MARK_GAP / pixel);
  const total = stretches.reduce((sum, stretch) => sum + stretch.count, 0);
  const group = s('g', { class: 'jp-DeepFix-nonfinite', stroke: BAD_COLOUR, fill: BAD_COLOUR });
  group.appendChild(
    s(
      'title',
      {},
      `${item.label}: ${total.toLocaleString('en-US')} non-finite value(s), the first at ${formatStep(stretches[0].first)}`
    )
  );
  for (const stretch of stretches) {
    const x0 = xscale.at(stretch.first);
    const x1 = xscale.at(stretch.last);
    const cy = stretch.negative ? bottom - 4 : TOP - 6;
    const steps =
      stretch.first === stretch.last
        ? `step ${formatStep(stretch.first)}`
        : `steps ${formatStep(stretch.first)}\u2013${formatStep(stretch.last)}`;
    const mark = s(
      'g',
      { class: 'jp-DeepFix-nonfinite-mark', 'data-count': stretch.count },
      s(
        'title',
        {},
        `${item.label}: ${stretch.count.toLocaleString('en-US')} non-finite value(s), ${steps}`
      ),
      s('path', {
        'stroke-width': 1.5,
        fill: 'none',
        d: `M${fixed(x0 - 3)} ${fixed(cy - 3)}l6 6m0-6l-6 6`
      })
    );
    if (x1 - x0 > 4) {
      mark.appendChild(
        s('line', {
          x1: fixed(x0 + 3),
          y1: fixed(cy),
          x2: fixed(x1),
          y2: fixed(cy),
          'stroke-width': 2
        })
      );
    }
    if (stretch.count > 1) {
      mark.appendChild(
        s(
          'text',
          {
            x: fixed(Math.max(x1, x0 + 3) + 3),
            y: fixed(cy + 3.5),
            stroke: 'none',
            'font-size': 9,
            'font-weight': 600,
            class: 'jp-DeepFix-nonfinite-count'
          },
          `\u00d7${stretch.count.toLocaleString('en-US')}`
        )
      );
    }
    group.appendChild(mark);
  }
  return group;
}

/** An approximate width (px) of `text` in the 10px bold band labels. */
function labelWidth(text: string): number {
  return text.length * 6.2 + 4;
}

/**
 * Each band is its finding's segment (shaded) with an onset marker (a line at its first step);
 * the labels sit at the onset, each in the first row where it overlaps no other label; a label
 * with no room is left out (the band's tooltip still names it).
 */
function drawBands(bands: Band[], xscale: Scale, xLow: number, xHigh: number): SVGElement {
  const group = s('g', { class: 'jp-DeepFix-bands' });
  const labels: SVGElement[] = [];
  const rows: Array<Array<[number, number]>> = Array.from({ length: LABEL_ROWS }, () => []);
  const right = WIDTH - RIGHT;
  const sorted = bands.slice(0, MAX_BANDS).sort((a, b) => a.first - b.first || a.last - b.last);
  for (const band of sorted) {
    const first = Math.max(band.first, xLow);
    const last = Math.min(band.last, xHigh);
    if (first > last) {
      continue;
    }
    const x0 = xscale.at(first);
    const x1 = xscale.at(last);
    const severity = `jp-DeepFix-severity-${/^[a-z]+$/.test(band.severity) ? band.severity : 'unknown'}`;
    const title = band.title || band.label;
    group.appendChild(
      s(
        'rect',
        {
          x: fixed(x0),
          y: TOP,
          width: fixed(Math.max(x1 - x0, 1.5)),
          height: HEIGHT - TOP - BOTTOM,
          class: `jp-DeepFix-band ${severity}`,
          'data-deepfix-band': band.key
        },
        s('title', {}, title)
      )
    );
    group.appendChild(
      s(
        'path',
        {
          d: `M${fixed(x0)} ${TOP}V${HEIGHT - BOTTOM}M${fixed(x0 - 4)} ${TOP - 5}h8l-4 5z`,
          class: `jp-DeepFix-onset ${severity}`,
          'data-deepfix-band': band.key
        },
        s('title', {}, `onset: ${title}`)
      )
    );
    const width = labelWidth(band.label);
    const x = Math.max(LEFT + 2, Math.min(x0 + 3, right - width));
    const row = rows.findIndex(taken => taken.every(([a, b]) => x + width <= a || x >= b));
    if (row < 0) {
      continue;
    }
    rows[row].push([x - 2, x + width + 2]);
    labels.push(
      s(
        'text',
        {
          x: fixed(x),
          y: TOP + 10 + LABEL_ROW_HEIGHT * row,
          class: `jp-DeepFix-band-label ${severity}`,
          'data-deepfix-band': band.key,
          'font-size': 10,
          'font-weight': 600
        },
        s('title', {}, title),
        band.label
      )
    );
  }
  labels.forEach(label => group.appendChild(label));
  return group;
}

/** Ticks of a log axis: 1-2-5 (or 1-3, or powers of ten) per decade, about `count` in all. */
export function logTicks(low: number, high: number, count = 6): number[] {
  if (!(low > 0) || !(high > low)) {
    return [low];
  }
  const lo = Math.floor(Math.log10(low));
  const hi = Math.ceil(Math.log10(high));
  for (const steps of [[1, 2, 5], [1, 3], [1]]) {
    const ticks: number[] = [];
    for (let p = lo; p <= hi; p++) {
      for (const m of steps) {
        const value = Number((m * 10 ** p).toPrecision(12));
        if (value >= low * (1 - 1e-9) && value <= high * (1 + 1e-9)) {
          ticks.push(value);
        }
      }
    }
    if (ticks.length <= count + 1 || steps.length === 1) {
      if (ticks.length >= 2) {
        const every = Math.ceil(ticks.length / (count + 1));
        return ticks.filter((_, i) => i % every === 0);
      }
    }
  }
  return [low, high];
}

function drawAxes(
  xscale: Scale,
  yscale: Scale,
  xLow: number,
  xHigh: number,
  xLabel: string
): SVGElement {
  const left = LEFT;
  const right = WIDTH - RIGHT;
  const top = TOP;
  const bottom = HEIGHT - BOTTOM;
  const lines = s(
    'g',
    { stroke: 'currentColor', 'stroke-opacity': 0.25, 'stroke-width': 1 },
    s('line', { x1: left, y1: bottom, x2: right, y2: bottom }),
    s('line', { x1: left, y1: top, x2: left, y2: bottom })
  );
  const labels = s('g', { fill: 'currentColor', 'fill-opacity': 0.8, class: 'jp-DeepFix-axis' });
  const yTicks = yscale.log
    ? logTicks(yscale.low, yscale.high)
    : niceTicks(yscale.low, yscale.high);
  const yText = yscale.log ? formatLogTick : formatValue;
  for (const tick of yTicks) {
    const y = fixed(yscale.at(tick));
    lines.appendChild(s('line', { x1: left, y1: y, x2: right, y2: y, 'stroke-opacity': 0.1 }));
    labels.appendChild(
      s('text', { x: left - 4, y: fixed(yscale.at(tick) + 3.5), 'text-anchor': 'end' }, yText(tick))
    );
  }
  for (const tick of niceTicks(xLow, xHigh)) {
    const x = fixed(xscale.at(tick));
    lines.appendChild(s('line', { x1: x, y1: bottom, x2: x, y2: bottom + 4 }));
    // The last tick's label would run past the plot's right edge: end it at the tick.
    const anchor = xscale.at(tick) > right - 24 ? 'end' : 'middle';
    labels.appendChild(s('text', { x, y: bottom + 15, 'text-anchor': anchor }, formatStep(tick)));
  }
  labels.appendChild(s('text', { x: right, y: HEIGHT - 4, 'text-anchor': 'end' }, xLabel));
  const group = s('g', {}, lines, labels);
  return group;
}
