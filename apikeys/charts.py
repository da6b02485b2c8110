"""Draw usage as SVG geometry the templates render as is: no JavaScript, no chart library.

Pure, no I/O: `UsageBucket` lists in, frozen dataclasses out. Coordinates are viewBox units
with one decimal at most, computed in tenths (integers): stacked segments meet exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from apikeys.usage_buckets import UsageBucket

COUNTS = "{accepted:,} accepted, {refused:,} refused, {limited:,} rate-limited"
SUMMARY = "{total} in {period}: " + COUNTS + "."
NO_REQUESTS = "No requests in {period}."
BAR_TITLE = "{period} UTC: " + COUNTS
SPARK_LABEL = "{days} days: {total}"

KINDS = ("accepted", "refused", "limited")  # stacked bottom to top
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

WIDTH, HEIGHT = 600, 200
PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_BOTTOM = 48, 592, 12, 172
HOUR_TICK_EVERY, DAY_TICK_EVERY = 6, 5
LABEL_CHAR_WIDTH = 11  # at portal.css's phone size, 19: a label running off is left out
SPARK_WIDTH, SPARK_HEIGHT, SPARK_PAD = 70, 20, 1.5


@dataclass(frozen=True, slots=True)
class Segment:
    """One part of a stacked bar: the requests of one kind in one period."""

    kind: str
    count: int
    x: float
    y: float
    width: float
    height: float

    @property
    def css_class(self) -> str:
        return f"seg-{self.kind}"


@dataclass(frozen=True, slots=True)
class Bar:
    """One period: its numbers, hover text, slot (the full column) and segments, bottom first."""

    start: datetime
    label: str
    title: str
    accepted: int
    refused: int
    limited: int
    slot_x: float
    slot_width: float
    segments: tuple[Segment, ...]

    @property
    def total(self) -> int:
        return self.accepted + self.refused + self.limited


@dataclass(frozen=True, slots=True)
class AxisLabel:
    """A gridline's value at height `at`, or a period at `at` across (a phone hides minor ones)."""

    at: float
    text: str
    minor: bool = False


@dataclass(frozen=True, slots=True)
class BarChart:
    """Everything `_usage_chart.html` draws, precomputed; the totals are over the period."""

    granularity: str
    bars: tuple[Bar, ...]
    y_max: int
    gridlines: tuple[AxisLabel, ...]
    x_ticks: tuple[AxisLabel, ...]
    accepted: int
    refused: int
    limited: int
    summary: str
    width: int = WIDTH
    height: int = HEIGHT
    plot_left: int = PLOT_LEFT
    plot_right: int = PLOT_RIGHT
    plot_top: int = PLOT_TOP
    plot_bottom: int = PLOT_BOTTOM
    plot_height: int = PLOT_BOTTOM - PLOT_TOP
    center_x: int = (PLOT_LEFT + PLOT_RIGHT) // 2
    center_y: int = (PLOT_TOP + PLOT_BOTTOM) // 2

    @property
    def total(self) -> int:
        return self.accepted + self.refused + self.limited


@dataclass(frozen=True, slots=True)
class Sparkline:
    """A small line of daily totals, for the keys list."""

    points: str
    area_points: str
    total: int
    label: str
    width: int = SPARK_WIDTH
    height: int = SPARK_HEIGHT


def bar_chart(buckets: Sequence[UsageBucket], *, granularity: str) -> BarChart:
    """Lay out `buckets` (oldest first) as bars of accepted, refused, limited, stacked."""
    if granularity not in ("hour", "day"):
        raise ValueError(f'granularity is "hour" or "day", not {granularity!r}')
    counts = [tuple(max(0, c) for c in (b.accepted, b.refused, b.limited)) for b in buckets]
    y_max, step = nice_axis(max((sum(c) for c in counts), default=0))
    plot_height = (PLOT_BOTTOM - PLOT_TOP) * 10
    slot = (PLOT_RIGHT - PLOT_LEFT) * 10 / max(1, len(buckets))
    bars = []
    for index, (bucket, three) in enumerate(zip(buckets, counts, strict=True)):
        left = PLOT_LEFT * 10 + index * slot
        x, width, bottom = round(left + slot / 8), round(slot * 3 / 4), PLOT_BOTTOM * 10
        segments, heights = [], _stack_heights(three, y_max, plot_height)
        for kind, count, height in zip(KINDS, three, heights, strict=True):
            if height:
                bottom -= height
                segments.append(Segment(kind, count, x / 10, bottom / 10, width / 10, height / 10))
        label = period_label(bucket.start, granularity)
        title = BAR_TITLE.format(period=label, **dict(zip(KINDS, three, strict=True)))
        slot_x, slot_width = round(left) / 10, round(slot) / 10
        bars.append(Bar(bucket.start, label, title, *three, slot_x, slot_width, tuple(segments)))
    totals = [sum(c[i] for c in counts) for i in range(3)]
    return BarChart(
        granularity=granularity,
        bars=tuple(bars),
        y_max=y_max,
        gridlines=tuple(
            AxisLabel(PLOT_BOTTOM - _ratio(v * plot_height, y_max) / 10, compact_number(v))
            for v in range(step, y_max + 1, step)
        ),
        x_ticks=_ticks(bars, granularity),
        summary=summary(totals, periods=len(buckets), granularity=granularity),
        **dict(zip(KINDS, totals, strict=True)),
    )


def nice_axis(peak: int) -> tuple[int, int]:
    """Return the y-axis maximum and gridline step: 2 or 3 steps of 1, 2 or 5 x 10^n.

    Pick the smallest such maximum at or above `peak`; on a tie, the smaller step, for more
    gridlines. Every gridline is a whole number of requests; up to 1 request, the axis is 1.
    """
    if peak <= 1:
        return 1, 1
    candidates = (
        (base * 10**power * steps, base * 10**power)
        for power in range(len(str(peak)))  # 2 steps of 5 x 10^(digits-1) exceed any peak
        for base in (1, 2, 5)
        for steps in (2, 3)
    )
    return min(candidate for candidate in candidates if candidate[0] >= peak)


def compact_number(value: int) -> str:
    """Write an axis value short: 150, 1.5k, 20k, 1.5M."""
    for size, suffix in ((1_000_000, "M"), (1_000, "k")):
        if value >= size:
            return f"{value / size:g}{suffix}"
    return str(value)


def period_label(start: datetime, granularity: str) -> str:
    """Name the period starting at `start` (aware), in UTC: "Nov 29 14:00" or "Nov 29"."""
    start = start.astimezone(UTC)
    day = f"{MONTHS[start.month - 1]} {start.day}"
    return f"{day} {start.hour:02d}:00" if granularity == "hour" else day


def summary(counts: Sequence[int], *, periods: int, granularity: str) -> str:
    """Say in one sentence what the chart of `counts` (accepted, refused, limited) shows."""
    period = "the last " + (granularity if periods == 1 else plural(periods, granularity))
    if not sum(counts):
        return NO_REQUESTS.format(period=period)
    named = dict(zip(KINDS, counts, strict=True))
    return SUMMARY.format(total=plural(sum(counts), "request"), period=period, **named)


def plural(count: int, noun: str) -> str:
    """Count `noun`: "1 request", "1,234 requests"."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def sparkline(counts: Sequence[int]) -> Sparkline:
    """Draw daily `counts` (oldest first) as a line over a filled area, zero at the bottom."""
    clean = [max(0, c) for c in counts]
    values = clean * 2 if len(clean) == 1 else clean or [0, 0]  # a line, never a lone point
    scale, step = (SPARK_HEIGHT - 2 * SPARK_PAD) / max(1, *values), SPARK_WIDTH / (len(values) - 1)
    points = " ".join(
        f"{round(i * step, 1):g},{round(SPARK_HEIGHT - SPARK_PAD - v * scale, 1):g}"
        for i, v in enumerate(values)
    )
    label = SPARK_LABEL.format(days=len(counts), total=plural(sum(clean), "request"))
    area = f"0,{SPARK_HEIGHT} {points} {SPARK_WIDTH},{SPARK_HEIGHT}"
    return Sparkline(points=points, area_points=area, total=sum(clean), label=label)


def _stack_heights(counts: Sequence[int], y_max: int, plot_height: int) -> list[int]:
    """Return each count's height in tenths: proportional, at least 1 unit when non-zero.

    The bar's height is proportional to its total: what the 1-unit minimums add is taken
    from the tallest segment, as far as it can give without going under 1 unit itself.
    """
    heights = [max(10, _ratio(c * plot_height, y_max)) if c else 0 for c in counts]
    if any(heights):
        bar = max(_ratio(sum(counts) * plot_height, y_max), 10 * sum(1 for c in counts if c))
        tallest = heights.index(max(heights))
        heights[tallest] = max(10, heights[tallest] - (sum(heights) - bar))
    return heights


def _ratio(numerator: int, denominator: int) -> int:
    """Divide, rounding half up, in integers."""
    return (2 * numerator + denominator) // (2 * denominator)


def _ticks(bars: Sequence[Bar], granularity: str) -> tuple[AxisLabel, ...]:
    """Label every 6th hour of the clock (the date at midnight) or every 5th day, where the
    label fits under the plot; every other label is minor."""
    ticks = []
    for index, bar in enumerate(bars):
        hour = bar.start.astimezone(UTC).hour
        if granularity == "day" and index % DAY_TICK_EVERY == 0:
            label, minor = bar.label, bool(index % (2 * DAY_TICK_EVERY))
        elif granularity == "hour" and hour % HOUR_TICK_EVERY == 0:
            label = period_label(bar.start, "day") if hour == 0 else f"{hour:02d}:00"
            minor = bool(hour % (2 * HOUR_TICK_EVERY))
        else:
            continue
        center = round(bar.slot_x * 10 + bar.slot_width * 5) / 10
        half = len(label) * LABEL_CHAR_WIDTH / 2
        # A label reaching left of the plot would run into the y axis's "0" on a phone.
        if center - half >= PLOT_LEFT and center + half <= WIDTH:
            ticks.append(AxisLabel(center, label, minor))
    return tuple(ticks)
