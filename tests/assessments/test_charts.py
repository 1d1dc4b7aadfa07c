"""The server-rendered SVG charts carry their numbers as text, and draw them right."""

from __future__ import annotations

import re

from apps.assessments.templatetags.assessment_charts import exposure_gauge, sparkline


def _arc_end(svg: str) -> tuple[float, float] | None:
    arcs = re.findall(r'A 48\.0 48\.0 0 0 1 ([\d.]+) ([\d.]+)" fill="none" stroke="#', svg)
    return tuple(map(float, arcs[-1])) if len(arcs) == 2 else None


def test_the_gauge_is_an_image_with_its_score_and_band_in_words():
    svg = exposure_gauge(78, "high", "APT31 reconnaissance", "gauge-1")
    assert 'role="img"' in svg and 'aria-labelledby="gauge-1-title"' in svg
    assert (
        '<title id="gauge-1-title">APT31 reconnaissance: exposure 78 out of 100, high</title>'
        in svg
    )
    assert ">78</text>" in svg


def test_the_gauge_arc_follows_the_score():
    assert _arc_end(exposure_gauge(0, "low", "x", "g")) is None  # only the track
    assert _arc_end(exposure_gauge(50, "high", "x", "g")) == (60.0, 14.0)  # straight up
    assert _arc_end(exposure_gauge(100, "critical", "x", "g")) == (108.0, 62.0)  # far right
    assert ">100</text>" in exposure_gauge(140, "critical", "x", "g")  # clamped


def test_labels_are_escaped():
    svg = exposure_gauge(10, "low", "<script>alert(1)</script>", "g")
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "<script>" not in sparkline([10, 20], "<script>", "s")


def test_the_sparkline_plots_each_submission_oldest_first():
    svg = sparkline([80, 40, 20], "Account takeover", "trend-0")
    assert "Account takeover: exposure 80, then 40, then 20" in svg
    points = re.search(r'points="([^"]+)"', svg).group(1).split()
    ys = [float(p.split(",")[1]) for p in points]
    # SVG's y grows downwards: falling exposure draws a line going down the box.
    assert len(points) == 3 and ys[0] < ys[1] < ys[2]
    assert sparkline([], "x", "s") == ""


def test_the_before_after_chart_colours_each_bar_by_its_band_and_says_it_in_words():
    from apps.assessments.templatetags.assessment_charts import BAND_COLOURS, exposure_chart

    bands = {"low": 0.0, "moderate": 0.2, "high": 0.4, "critical": 0.7}
    chart = exposure_chart("APT31", 0.81, 0.05, bands, "c")

    now, after = chart["bars"]
    assert (now["value"], now["band"], now["colour"]) == (81, "critical", BAND_COLOURS["critical"])
    assert (after["value"], after["band"], after["colour"]) == (5, "low", BAND_COLOURS["low"])
    assert [zone["band"] for zone in chart["zones"]] == ["low", "moderate", "high", "critical"]
    # A pack without bands gets the engine's default ones.
    assert exposure_chart("x", 0.3, 0.3, {}, "d")["bars"][0]["band"] == "moderate"


def test_narrow_zones_put_the_next_name_on_a_second_line():
    from apps.assessments.templatetags.assessment_charts import exposure_chart

    # The MP pack's bands: low 0-5 and moderate 5-20 are too narrow for their names.
    chart = exposure_chart("x", 0.3, 0.02, {"low": 0, "moderate": 0.05, "high": 0.2}, "c")

    assert [zone["label_y"] for zone in chart["zones"]] == [84, 95, 84]
