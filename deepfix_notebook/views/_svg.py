"""Small static SVG line charts for the HTML views: no JavaScript, no external resources.

Curves are downsampled by min/max bucketing (`minmax_downsample`), so a chart of a run of any
length stays a few tens of kilobytes; NaN/Inf values are drawn as red marks, never dropped.
Every string put into the SVG is escaped (`_markup.escape`); the rest of the markup is numbers
and constants, so `line_chart` returns it as `Markup`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from deepfix_notebook.views._markup import Markup, escape, html, join
from deepfix_notebook.views._theme import BAD_COLOUR, SERIES_COLOURS, SEVERITY_COLOURS

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

WIDTH = 680
HEIGHT = 230
_LEFT, _RIGHT, _TOP, _BOTTOM = 58, 12, 30, 34
_LOG_RATIO = 100.0  # a positive curve spanning more than this factor is drawn on a log scale
_MAX_BANDS = 12
_LABEL_ROWS = 3
_LABEL_ROW_HEIGHT = 12
_MARK_GAP = 10.0  # px: non-finite marks closer than this are one mark with a count


def _e(value: object) -> Markup:
    return escape(value)


@dataclass(frozen=True, slots=True)
class Series:
    """One curve: its label (untrusted, escaped when drawn), x positions and values."""

    label: str
    x: npt.ArrayLike
    y: npt.ArrayLike


@dataclass(frozen=True, slots=True)
class Band:
    """A shaded x-range labelled by a short code (a finding's step range)."""

    first: float
    last: float
    label: str
    severity: str = "medium"
    title: str = ""


@dataclass(frozen=True, slots=True)
class Downsampled:
    """Indices kept by `minmax_downsample`: finite points to draw and non-finite ones to mark."""

    keep: IntArray
    bad: IntArray
    breaks: npt.NDArray[np.bool_]
    """``breaks[i]`` is true when a non-finite value lies between ``keep[i]`` and ``keep[i+1]``."""


def minmax_downsample(x: npt.ArrayLike, y: npt.ArrayLike, max_points: int) -> Downsampled:
    """Keep at most ``max_points`` finite points: the min and the max of each x bucket.

    ``x`` must be non-decreasing. Buckets split the x range evenly (``max_points // 2`` of them),
    so extremes (spikes) survive; of the non-finite values, the first of each bucket is kept.
    """
    if max_points < 2:
        raise ValueError(f"max_points must be at least 2, got {max_points}")
    xs = np.asarray(x, dtype=np.float64).ravel()
    ys = np.asarray(y, dtype=np.float64).ravel()
    if xs.shape != ys.shape:
        raise ValueError(f"x and y differ in length: {xs.shape[0]} != {ys.shape[0]}")
    finite = np.isfinite(ys)
    n = ys.shape[0]
    if n <= max_points:
        keep = np.flatnonzero(finite)
        bad = np.flatnonzero(~finite)
    else:
        buckets = max_points // 2
        span = float(xs[-1] - xs[0])
        if span > 0 and math.isfinite(span):
            ids = np.minimum(((xs - xs[0]) * (buckets / span)).astype(np.int64), buckets - 1)
        else:
            ids = np.zeros(n, dtype=np.int64)
        edges = np.searchsorted(ids, np.arange(buckets + 1), side="left")
        kept: list[int] = []
        marks: list[int] = []
        for start, stop in zip(edges[:-1].tolist(), edges[1:].tolist(), strict=True):
            if start == stop:
                continue
            window = ys[start:stop]
            ok = finite[start:stop]
            if ok.any():
                low = int(np.argmin(np.where(ok, window, np.inf)))
                high = int(np.argmax(np.where(ok, window, -np.inf)))
                kept.extend(sorted({start + low, start + high}))
            if not ok.all():
                marks.append(start + int(np.argmin(ok)))
        keep = np.asarray(kept, dtype=np.int64)
        bad = np.asarray(marks, dtype=np.int64)
    bad_before = np.concatenate(([0], np.cumsum(~finite)))
    breaks = (
        bad_before[keep[1:]] - bad_before[keep[:-1] + 1] > 0
        if keep.size > 1
        else np.zeros(0, dtype=np.bool_)
    )
    return Downsampled(keep=keep.astype(np.int64), bad=bad.astype(np.int64), breaks=breaks)


def _nice_ticks(low: float, high: float, count: int = 6) -> list[float]:
    if not high > low:
        return [low]
    raw = (high - low) / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.ceil(low / step) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(0.0 if abs(value) < step * 1e-9 else value)
        value += step
    return ticks


def _fmt_x(value: float) -> str:
    if value == int(value) and abs(value) < 1e9:
        return f"{value:,.0f}"
    return _fmt(value)


def _fmt(value: float) -> str:
    if value != 0 and (abs(value) >= 1e5 or abs(value) < 1e-3):
        return f"{value:.2g}"
    return f"{value:.4g}"


@dataclass(frozen=True, slots=True)
class _Scale:
    low: float
    high: float
    start: float
    length: float
    log: bool = False
    flip: bool = False

    def __call__(self, values: FloatArray) -> FloatArray:
        v = np.log10(values) if self.log else values
        low = math.log10(self.low) if self.log else self.low
        high = math.log10(self.high) if self.log else self.high
        frac = (v - low) / (high - low) if high > low else np.full_like(v, 0.5)
        if self.flip:
            frac = 1.0 - frac
        return np.asarray(self.start + frac * self.length, dtype=np.float64)

    def one(self, value: float) -> float:
        return float(self(np.asarray([value], dtype=np.float64))[0])


def _y_scale(values: list[FloatArray]) -> _Scale:
    finite = [v[np.isfinite(v)] for v in values]
    finite = [v for v in finite if v.size]
    plot_top, plot_height = _TOP, HEIGHT - _TOP - _BOTTOM
    if not finite:
        return _Scale(0.0, 1.0, plot_top, plot_height, flip=True)
    low = min(float(v.min()) for v in finite)
    high = max(float(v.max()) for v in finite)
    if low > 0 and high / low > _LOG_RATIO:
        return _Scale(low, high, plot_top, plot_height, log=True, flip=True)
    pad = (high - low) * 0.05 or (abs(high) * 0.05 or 1.0)
    return _Scale(low - pad, high + pad, plot_top, plot_height, flip=True)


def _points(xs: FloatArray, ys: FloatArray) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs.tolist(), ys.tolist(), strict=True))


def line_chart(
    series: Sequence[Series],
    *,
    title: str,
    bands: Sequence[Band] = (),
    max_points: int = 400,
    x_label: str = "step",
) -> Markup:
    """A ``<figure>`` holding an SVG line chart of ``series`` and an HTML legend.

    Each series is downsampled to ``max_points``; non-finite values are red marks at the top
    (NaN, +Inf) or bottom (-Inf) edge; ``bands`` shade x-ranges and are labelled at the top.
    """
    prepared: list[tuple[str, FloatArray, FloatArray, Downsampled]] = []
    for item in series:
        xs = np.asarray(item.x, dtype=np.float64).ravel()
        ys = np.asarray(item.y, dtype=np.float64).ravel()
        if xs.size == 0:
            continue
        prepared.append((item.label, xs, ys, minmax_downsample(xs, ys, max_points)))
    plot_left, plot_width = _LEFT, WIDTH - _LEFT - _RIGHT
    plot_top, plot_bottom = _TOP, HEIGHT - _BOTTOM
    if prepared:
        x_low = min(float(xs[0]) for _, xs, _, _ in prepared)
        x_high = max(float(xs[-1]) for _, xs, _, _ in prepared)
    else:
        x_low, x_high = 0.0, 1.0
    xscale = _Scale(x_low, x_high, plot_left, plot_width)
    yscale = _y_scale([ys[d.keep] for _, _, ys, d in prepared])

    out: list[str] = [
        html(
            '<figure><svg viewBox="0 0 {0} {1}" role="img" aria-label="{2}" font-size="11" '
            'font-family="sans-serif"><title>{2}</title>'
            '<text x="{3}" y="14" font-weight="600" fill="currentColor">{2}</text>',
            WIDTH,
            HEIGHT,
            title,
            plot_left,
        )
    ]
    out.append(_bands(bands, xscale, x_low, x_high))
    out.append(_axes(xscale, yscale, x_low, x_high, x_label))
    legend: list[str] = []
    for index, (label, xs, ys, down) in enumerate(prepared):
        colour_index = index % len(SERIES_COLOURS)
        colour = SERIES_COLOURS[colour_index]
        px = xscale(xs[down.keep])
        py = yscale(ys[down.keep])
        out.append(
            html('<g fill="none" stroke="{}" stroke-width="1.5"><title>{}</title>', colour, label)
        )
        start = 0
        cuts = [*(np.flatnonzero(down.breaks) + 1).tolist(), int(down.keep.size)]
        for stop in cuts:
            if stop - start == 1:
                out.append(f'<circle cx="{px[start]:.1f}" cy="{py[start]:.1f}" r="1.5"/>')
            elif stop > start:
                out.append(f'<polyline points="{_points(px[start:stop], py[start:stop])}"/>')
            start = stop
        out.append("</g>")
        legend.append(
            html('<span class="df-key"><i class="df-c{}"></i>{}</span>', colour_index, label)
        )
        if down.bad.size:
            out.append(_marks(label, xs, ys, down.bad, xscale, plot_top, plot_bottom))
    if any(d.bad.size for _, _, _, d in prepared):
        legend.append('<span class="df-key"><i class="df-bad"></i>NaN / Inf</span>')
    out.append("</svg>")
    if yscale.log:
        legend.append('<span class="df-key">log scale</span>')
    out.append(f"<figcaption>{''.join(legend)}</figcaption></figure>")
    # Text went through `html`/`_e` above; the rest is coordinates and constants.
    return Markup("".join(out))


def nonfinite_stretches(
    xs: FloatArray, ys: FloatArray, gap: float = 0.0
) -> list[tuple[float, float, int, bool]]:
    """``(first, last, count, negative)`` per stretch of consecutive non-finite values; stretches
    closer than ``gap`` (x units) merge, so a short run's NaNs on a long axis stay one mark."""
    out: list[list[float | int | bool]] = []
    previous = False
    for x, y in zip(xs.tolist(), ys.tolist(), strict=True):
        if math.isfinite(y):
            previous = False
            continue
        negative = y == -math.inf
        if out and out[-1][3] == negative and (previous or x - float(out[-1][1]) <= gap):
            out[-1][1] = x
            out[-1][2] = int(out[-1][2]) + 1
        else:
            out.append([x, x, 1, negative])
        previous = True
    return [(float(a), float(b), int(c), bool(d)) for a, b, c, d in out]


def _marks(
    label: str,
    xs: FloatArray,
    ys: FloatArray,
    bad: IntArray,
    xscale: _Scale,
    top: float,
    bottom: float,
) -> Markup:
    pixel = xscale.length / max(abs(xscale.high - xscale.low), 1e-300)
    stretches = nonfinite_stretches(xs, ys, _MARK_GAP / pixel)
    total = sum(count for _, _, count, _ in stretches)
    title = f"{label}: {total:,} non-finite value(s), the first at {_fmt_x(float(stretches[0][0]))}"
    out = [
        html(
            '<g stroke="{0}" fill="{0}" class="df-nonfinite"><title>{1}</title>', BAD_COLOUR, title
        )
    ]
    for first, last, count, negative in stretches:
        x0, x1 = xscale.one(first), xscale.one(last)
        cy = bottom - 4 if negative else top - 6
        steps = (
            f"step {_fmt_x(first)}"
            if first == last
            else f"steps {_fmt_x(first)}\u2013{_fmt_x(last)}"
        )
        out.append(
            html(
                '<g><title>{}</title><path stroke-width="1.5" fill="none" '
                'd="M{:.1f} {:.1f}l6 6m0-6l-6 6"/>',
                f"{label}: {count:,} non-finite value(s), {steps}",
                x0 - 3,
                cy - 3,
            )
        )
        if x1 - x0 > 4:
            out.append(
                html(
                    '<line x1="{:.1f}" y1="{:.1f}" x2="{:.1f}" y2="{:.1f}" stroke-width="2"/>',
                    x0 + 3,
                    cy,
                    x1,
                    cy,
                )
            )
        if count > 1:
            out.append(
                html(
                    '<text x="{:.1f}" y="{:.1f}" stroke="none" font-size="9" font-weight="600" '
                    'class="df-halo">\u00d7{:,}</text>',
                    max(x1, x0 + 3) + 3,
                    cy + 3.5,
                    count,
                )
            )
        out.append(Markup("</g>"))
    out.append(Markup("</g>"))
    return join(out)


def _bands(bands: Sequence[Band], xscale: _Scale, x_low: float, x_high: float) -> Markup:
    """Each finding's segment shaded, an onset line at its first step, and the labels at the
    onsets, each in the first row where it overlaps no other (one with no room is left out: the
    band's tooltip still names it)."""
    shades: list[Markup] = []
    labels: list[Markup] = []
    rows: list[list[tuple[float, float]]] = [[] for _ in range(_LABEL_ROWS)]
    right = WIDTH - _RIGHT
    for band in sorted(bands[:_MAX_BANDS], key=lambda b: (b.first, b.last)):
        first, last = max(band.first, x_low), min(band.last, x_high)
        if first > last:
            continue
        x0, x1 = xscale.one(first), xscale.one(last)
        colour = SEVERITY_COLOURS.get(band.severity, SEVERITY_COLOURS["medium"])
        shades.append(
            html(
                '<rect x="{x0:.1f}" y="{top}" width="{width:.1f}" height="{height}" '
                'fill="{colour}" fill-opacity="0.13"><title>{title}</title></rect>'
                '<path d="M{x0:.1f} {top}V{bottom}M{left:.1f} {above}h8l-4 5z" stroke="{colour}" '
                'fill="{colour}" stroke-width="1.5" stroke-dasharray="3 2">'
                "<title>onset: {title}</title></path>",
                x0=x0,
                top=_TOP,
                width=max(x1 - x0, 1.5),
                height=HEIGHT - _TOP - _BOTTOM,
                colour=colour,
                title=band.title or band.label,
                bottom=HEIGHT - _BOTTOM,
                left=x0 - 4,
                above=_TOP - 5,
            )
        )
        width = len(band.label) * 6.2 + 4
        x = max(_LEFT + 2, min(x0 + 3, right - width))
        row = next(
            (i for i, taken in enumerate(rows) if all(x + width <= a or x >= b for a, b in taken)),
            None,
        )
        if row is None:
            continue
        rows[row].append((x - 2, x + width + 2))
        labels.append(
            # The text in the page's colour (legible in either theme, whatever the OS
            # prefers); the severity is the onset marker's and the band's colour.
            html(
                '<text x="{:.1f}" y="{}" fill="currentColor" font-size="10" font-weight="600" '
                'class="df-halo"><title>{}</title>{}</text>',
                x,
                _TOP + 10 + _LABEL_ROW_HEIGHT * row,
                band.title or band.label,
                band.label,
            )
        )
    return join(shades) + join(labels)


def log_ticks(low: float, high: float, count: int = 6) -> list[float]:
    """Ticks of a log axis: 1-2-5 (or 1-3, or powers of ten) per decade, about ``count``."""
    if not (low > 0 and high > low):
        return [low]
    lo, hi = math.floor(math.log10(low)), math.ceil(math.log10(high))
    for steps in ((1, 2, 5), (1, 3), (1,)):
        ticks = [
            float(f"{m * 10.0**p:.12g}")
            for p in range(lo, hi + 1)
            for m in steps
            if low * (1 - 1e-9) <= m * 10.0**p <= high * (1 + 1e-9)
        ]
        if (len(ticks) <= count + 1 or len(steps) == 1) and len(ticks) >= 2:
            every = math.ceil(len(ticks) / (count + 1))
            return ticks[::every]
    return [low, high]


def fmt_log_tick(value: float) -> str:
    """A log axis' tick as people write it: ``1e-4``, ``3e-4``, ``0.001``, ``5``, ``1e5``."""
    if not (value > 0 and math.isfinite(value)):
        return _fmt(value)
    if 1e-3 <= value < 1e4:
        return f"{value:.3g}"
    exponent = math.floor(math.log10(value))
    mantissa = float(f"{value / 10.0**exponent:.2g}")
    if mantissa >= 10:
        mantissa, exponent = mantissa / 10, exponent + 1
    return f"{mantissa:g}e{exponent}"


def _axes(xscale: _Scale, yscale: _Scale, x_low: float, x_high: float, x_label: str) -> str:
    left, right = _LEFT, WIDTH - _RIGHT
    top, bottom = _TOP, HEIGHT - _BOTTOM
    out = [
        '<g stroke="currentColor" stroke-opacity="0.25" stroke-width="1">',
        f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}"/>',
    ]
    labels = []
    y_ticks = (
        log_ticks(yscale.low, yscale.high) if yscale.log else _nice_ticks(yscale.low, yscale.high)
    )
    y_text = fmt_log_tick if yscale.log else _fmt
    for tick in y_ticks:
        y = yscale.one(tick)
        out.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke-opacity="0.1"/>'
        )
        labels.append(
            f'<text x="{left - 4}" y="{y + 3.5:.1f}" text-anchor="end">{_e(y_text(tick))}</text>'
        )
    for tick in _nice_ticks(x_low, x_high):
        x = xscale.one(tick)
        out.append(f'<line x1="{x:.1f}" y1="{bottom}" x2="{x:.1f}" y2="{bottom + 4}"/>')
        labels.append(
            f'<text x="{x:.1f}" y="{bottom + 15}" '
            f'text-anchor="{"end" if x > right - 24 else "middle"}">{_e(_fmt_x(tick))}</text>'
        )
    out.append("</g>")
    labels.append(f'<text x="{right}" y="{HEIGHT - 4}" text-anchor="end">{_e(x_label)}</text>')
    return "".join(out) + f'<g fill="currentColor" fill-opacity="0.8">{"".join(labels)}</g>'
