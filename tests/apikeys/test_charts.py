"""Usage charts: the geometry `charts.py` computes and the SVG the partials render from it.

Buckets are built here directly: counting and reading them is another module's business.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
from django.template.loader import render_to_string
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from apikeys import charts
from apikeys.charts import NO_REQUESTS, SPARK_LABEL, SUMMARY, bar_chart, nice_axis, sparkline
from apikeys.usage_buckets import UsageBucket

HOURS_START = datetime(2024, 11, 27, 15, tzinfo=UTC)  # 48 hours ending Nov 29 14:00
DAYS_START = datetime(2024, 10, 31, tzinfo=UTC)  # 30 days ending Nov 29
PLOT_HEIGHT = charts.PLOT_BOTTOM - charts.PLOT_TOP
CHART = "integrations/api_keys/_usage_chart.html"
SPARK = "integrations/api_keys/_sparkline.html"


def hours(*counts: tuple[int, int, int], n: int = 48) -> list[UsageBucket]:
    """`n` hourly buckets from HOURS_START, the last ones with `counts` (accepted, refused,
    limited) and the others empty."""
    given_counts = [(0, 0, 0)] * (n - len(counts)) + list(counts)
    return [UsageBucket(HOURS_START + timedelta(hours=i), *c) for i, c in enumerate(given_counts)]


def days(n: int = 30) -> list[UsageBucket]:
    return [UsageBucket(DAYS_START + timedelta(days=i), accepted=i) for i in range(n)]


def bar_height(bar: charts.Bar) -> float:
    return round(sum(s.height for s in bar.segments), 1)


class Elements(HTMLParser):
    """Every start tag of an HTML fragment with its attributes, and the text inside `tag`."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def having(self, tag: str, attribute: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag and attribute in attrs]


# Geometry --------------------------------------------------------------------------------


def test_bar_heights_are_proportional_to_the_totals():
    chart = bar_chart(hours((100, 0, 0), (50, 0, 0), (25, 0, 0)), granularity="hour")
    assert chart.y_max == 100
    assert [bar_height(b) for b in chart.bars[-3:]] == [PLOT_HEIGHT, PLOT_HEIGHT / 2, 40.0]


def test_segments_stack_accepted_then_refused_then_limited_edge_to_edge():
    chart = bar_chart(hours((60, 30, 10)), granularity="hour")
    accepted, refused, limited = chart.bars[-1].segments
    assert [s.css_class for s in (accepted, refused, limited)] == [
        "seg-accepted",
        "seg-refused",
        "seg-limited",
    ]
    assert [s.height for s in (accepted, refused, limited)] == [96.0, 48.0, 16.0]
    assert accepted.y + accepted.height == charts.PLOT_BOTTOM
    assert round(refused.y + refused.height, 1) == accepted.y
    assert round(limited.y + limited.height, 1) == refused.y
    assert limited.y == charts.PLOT_TOP


def test_a_count_of_zero_draws_no_segment_and_an_empty_period_no_bar():
    chart = bar_chart(hours((5, 0, 2), (0, 0, 0)), granularity="hour")
    assert [s.kind for s in chart.bars[-2].segments] == ["accepted", "limited"]
    assert chart.bars[-1].segments == ()


def test_a_single_request_is_visible_next_to_thousands():
    chart = bar_chart(hours((10_000, 1, 0), (0, 0, 1)), granularity="hour")
    big, lone = chart.bars[-2:]
    assert big.segments[1].kind == "refused"
    assert big.segments[1].height >= 1
    assert bar_height(big) == round(10_001 * PLOT_HEIGHT / chart.y_max, 1)  # taken from accepted
    assert [(s.kind, s.height) for s in lone.segments] == [("limited", 1.0)]


@given(
    st.lists(
        st.tuples(*[st.integers(0, 5000)] * 3).filter(lambda c: sum(c) > 0),
        min_size=1,
        max_size=48,
    )
)
def test_every_bar_stays_in_its_slot_and_the_plot_and_is_close_to_proportional(counts):
    chart = bar_chart(hours(*counts, n=len(counts)), granularity="hour")
    assert chart.y_max >= max(sum(c) for c in counts)
    right_edge = charts.PLOT_LEFT
    for bar, three in zip(chart.bars, counts, strict=True):
        assert [s.count for s in bar.segments] == [c for c in three if c]
        assert all(s.height >= 1 for s in bar.segments)
        assert all(
            s.x >= right_edge and s.x + s.width <= bar.slot_x + bar.slot_width + 0.1
            for s in bar.segments
        )
        right_edge = bar.segments[0].x + bar.segments[0].width
        assert round(bar.segments[0].y + bar.segments[0].height, 1) == charts.PLOT_BOTTOM
        assert bar.segments[-1].y >= charts.PLOT_TOP
        proportional = max(sum(three) * PLOT_HEIGHT / chart.y_max, len(bar.segments))
        assert abs(bar_height(bar) - proportional) <= 1


@pytest.mark.parametrize(
    ("peak", "y_max", "labels"),
    [
        (0, 1, ["1"]),
        (1, 1, ["1"]),
        (3, 3, ["1", "2", "3"]),
        (5, 6, ["2", "4", "6"]),
        (7, 10, ["5", "10"]),
        (120, 150, ["50", "100", "150"]),
        (1234, 1500, ["500", "1k", "1.5k"]),
        (2_000_001, 3_000_000, ["1M", "2M", "3M"]),
    ],
)
def test_the_y_axis_ends_at_a_round_number_at_or_above_the_peak(peak, y_max, labels):
    chart = bar_chart(hours((peak, 0, 0)), granularity="hour")
    assert chart.y_max == y_max
    assert [g.text for g in chart.gridlines] == labels
    assert chart.gridlines[-1].at == charts.PLOT_TOP
    assert nice_axis(peak)[0] == y_max


def test_hours_are_labelled_every_six_on_the_clock_with_the_date_at_midnight():
    chart = bar_chart(hours(), granularity="hour")
    assert [t.text for t in chart.x_ticks] == [
        "18:00",
        "Nov 28",
        "06:00",
        "12:00",
        "18:00",
        "Nov 29",
        "06:00",
        "12:00",
    ]
    assert [t.text for t in chart.x_ticks if not t.minor] == ["Nov 28", "12:00", "Nov 29", "12:00"]
    six_pm = chart.bars[3]  # 15:00 + 3 hours
    assert abs(chart.x_ticks[0].at - (six_pm.slot_x + six_pm.slot_width / 2)) <= 0.1


def test_days_are_labelled_every_fifth_day():
    chart = bar_chart(days(), granularity="day")
    # The first day's label would reach left of the plot, into the y axis's "0": left out.
    labels = ["Nov 5", "Nov 10", "Nov 15", "Nov 20", "Nov 25"]
    assert [t.text for t in chart.x_ticks] == labels
    assert [t.text for t in chart.x_ticks if not t.minor] == ["Nov 10", "Nov 20"]
    assert all(
        t.at - len(t.text) * charts.LABEL_CHAR_WIDTH / 2 >= charts.PLOT_LEFT for t in chart.x_ticks
    )


def test_each_bar_says_its_period_and_numbers():
    hour = bar_chart(hours((120, 3, 0)), granularity="hour").bars[-1]
    assert hour.title == "Nov 29 14:00 UTC: 120 accepted, 3 refused, 0 rate-limited"
    day = bar_chart(days(), granularity="day").bars[-1]
    assert day.title == "Nov 29 UTC: 29 accepted, 0 refused, 0 rate-limited"
    assert day.label == "Nov 29"


def test_the_totals_and_the_summary_cover_the_whole_period():
    chart = bar_chart(hours((1000, 30, 0), (200, 0, 4)), granularity="hour")
    assert (chart.accepted, chart.refused, chart.limited, chart.total) == (1200, 30, 4, 1234)
    expected = "1,234 requests in the last 48 hours: 1,200 accepted, 30 refused, 4 rate-limited."
    assert chart.summary == expected
    assert expected == SUMMARY.format(
        total="1,234 requests", period="the last 48 hours", accepted=1200, refused=30, limited=4
    )
    one = bar_chart(days(2), granularity="day")
    assert one.summary == "1 request in the last 2 days: 1 accepted, 0 refused, 0 rate-limited."


def test_no_requests_still_draws_the_axis_and_says_so():
    chart = bar_chart(hours(), granularity="hour")
    assert chart.summary == NO_REQUESTS.format(period="the last 48 hours")
    assert chart.summary == "No requests in the last 48 hours."
    assert chart.y_max == 1
    assert len(chart.bars) == 48
    assert all(bar.segments == () for bar in chart.bars)
    assert chart.gridlines and chart.x_ticks


def test_an_unknown_granularity_is_refused():
    with pytest.raises(ValueError, match="week"):
        bar_chart(hours(), granularity="week")


def test_the_sparkline_puts_the_busiest_day_at_the_top_and_zero_at_the_bottom():
    counts = [0] * 12 + [87, 0]
    spark = sparkline(counts)
    points = [tuple(map(float, p.split(","))) for p in spark.points.split()]
    assert len(points) == 14
    assert points[0] == (0, 18.5)
    assert points[-1] == (70, 18.5)
    assert points[12][1] == 1.5
    assert spark.total == 87
    assert spark.label == "14 days: 87 requests"
    assert spark.area_points == f"0,20 {spark.points} 70,20"


def test_a_sparkline_of_no_requests_is_flat_on_the_bottom():
    spark = sparkline([0] * 14)
    assert {p.split(",")[1] for p in spark.points.split()} == {"18.5"}
    assert spark.label == SPARK_LABEL.format(days=14, total="0 requests")
    assert sparkline([0] * 13 + [1]).label == "14 days: 1 request"


# Templates -------------------------------------------------------------------------------


def render_chart(chart: charts.BarChart, chart_id: str = "hours") -> str:
    caption = "Last 48 hours, by hour (UTC)"
    return render_to_string(CHART, {"chart": chart, "chart_id": chart_id, "caption": caption})


def test_the_chart_is_a_labelled_image_with_one_group_per_period():
    buckets = hours((120, 3, 0), (0, 0, 0), (7, 1, 2))
    html = render_chart(bar_chart(buckets, granularity="hour"))
    page = Elements(html)
    (svg,) = page.having("svg", "data-chart")
    assert svg["role"] == "img"
    assert svg["data-chart"] == "hours"
    title_id, desc_id = svg["aria-labelledby"].split()
    assert f'<title id="{title_id}">Last 48 hours, by hour (UTC)</title>' in html
    assert f'<desc id="{desc_id}">133 requests in the last 48 hours:' in html
    bars = page.having("g", "data-bar")
    assert [b["data-total"] for b in bars] == [str(b.total) for b in buckets]
    assert "<title>Nov 29 14:00 UTC: 7 accepted, 1 refused, 2 rate-limited</title>" in html
    drawn = [a["class"] for a in page.having("rect", "data-count")]
    assert drawn == ["seg-accepted", "seg-refused", "seg-accepted", "seg-refused", "seg-limited"]


def test_the_table_alternative_has_one_row_per_period_with_its_numbers():
    buckets = hours((1200, 3, 0), (7, 1, 2))
    html = render_chart(bar_chart(buckets, granularity="hour"))
    assert "<summary>Show as a table</summary>" in html
    headers = ["Period", "Accepted", "Refused", "Rate-limited", "Total"]
    for header in headers:
        assert f">{header}</th>" in html
    assert len(Elements(html).having("th", "scope")) == len(headers) + 48
    rows = Elements(html).having("tr", "data-period")
    assert [r["data-period"] for r in rows] == [b.start.isoformat() for b in buckets]
    assert (
        '<time datetime="2024-11-29T14:00:00+00:00">Nov 29 14:00</time></th>\n'
        '            <td class="num">7</td>\n'
        '            <td class="num">1</td>\n'
        '            <td class="num">2</td>\n'
        '            <td class="num">10</td>'
    ) in html
    assert '<td class="num">1,200</td>' in html
    assert '<td class="num">1,203</td>' in html
    assert '<span class="legend-total">1,207</span>' in html


def test_an_empty_chart_renders_its_axis_and_message():
    html = render_chart(bar_chart(hours(), granularity="hour"))
    page = Elements(html)
    assert page.having("line", "y1")  # gridlines and the axis
    assert len(page.having("g", "data-bar")) == 48
    assert not page.having("rect", "data-count")
    assert html.count("No requests in the last 48 hours.") == 2  # the desc, the drawing


def test_coordinates_stay_numbers_in_a_language_with_a_decimal_comma():
    chart = bar_chart(hours((3, 0, 0)), granularity="hour")  # slots of 11.3 units
    with translation.override("de"):
        html = render_chart(chart)
    bar = Elements(html).having("g", "data-bar")
    assert len(bar) == 48
    hit = [a for n, a in Elements(html).tags if n == "rect" and a.get("class") == "bar-hit"]
    assert hit[0]["width"] == "11.3"


def test_the_sparkline_is_a_labelled_image_with_its_total():
    html = render_to_string(SPARK, {"spark": sparkline([1, 2, 0, 5] + [0] * 10)})
    (svg,) = Elements(html).having("svg", "data-sparkline")
    assert svg["role"] == "img"
    assert svg["aria-label"] == "14 days: 8 requests"
    assert svg["data-total"] == "8"
    assert 'points="0,15.1 5.4,11.7' in html


@pytest.mark.parametrize(
    "html",
    [
        pytest.param(
            lambda: render_chart(bar_chart(hours((9, 1, 1)), granularity="hour")), id="chart"
        ),
        pytest.param(lambda: render_chart(bar_chart(days(), granularity="day"), "days"), id="days"),
        pytest.param(lambda: render_to_string(SPARK, {"spark": sparkline([3] * 14)}), id="spark"),
    ],
)
def test_the_partials_use_no_inline_style_or_script(html):
    output = html()
    assert "style=" not in output.lower()
    assert "<script" not in output.lower()
    assert "<svg" in output
