"""Server-rendered SVG charts: the same markup on screen and in the PDF.

    {% load report_charts %}
    {% exposure_chart scenario %}      a scenario dict: exposure, exposure_after_plan, bands

Colours are presentation attributes and classes, never `style` attributes, so the strict
CSP (no inline style) holds on screen; every figure is also written as text.
"""

from __future__ import annotations

from django import template

register = template.Library()

BAND_ORDER = ("low", "moderate", "high", "critical")
BAND_COLOURS = {
    "low": ("#00703c", "#e6f2eb"),
    "moderate": ("#1d70b8", "#e8f1f8"),
    "high": ("#b35900", "#fdf0e6"),
    "critical": ("#d4351c", "#fbe9e6"),
}

CHART_WIDTH = 520
LABEL_WIDTH = 120
SCALE_WIDTH = CHART_WIDTH - LABEL_WIDTH - 40


def _x(value: float) -> float:
    return round(LABEL_WIDTH + max(0.0, min(1.0, value)) * SCALE_WIDTH, 1)


def _band_of(value: float, bands: dict) -> str:
    name = "low"
    for band in BAND_ORDER:
        if band in bands and value >= bands[band]:
            name = band
    return name


def _zones(bands: dict) -> list[dict]:
    lowers = [(bands[b], b) for b in BAND_ORDER if b in bands] or [(0.0, "low")]
    zones = []
    for i, (lower, band) in enumerate(lowers):
        upper = lowers[i + 1][0] if i + 1 < len(lowers) else 1.0
        zones.append(
            {
                "band": band,
                "x": _x(lower),
                "width": round(_x(upper) - _x(lower), 1),
                "tint": BAND_COLOURS.get(band, BAND_COLOURS["low"])[1],
                "label_x": round(_x(lower) + 3, 1),
            }
        )
    return zones


@register.inclusion_tag("reports/charts/exposure.svg")
def exposure_chart(scenario: dict) -> dict:
    """Exposure now and after the plan, on a 0-100 scale shaded by the pack's bands."""
    bands = scenario.get("bands") or {"low": 0.0}
    bars = []
    for label, value, y in (
        ("Now", scenario["exposure"], 14),
        ("After the plan", scenario["exposure_after_plan"], 44),
    ):
        band = _band_of(value, bands)
        end = _x(value)
        bars.append(
            {
                "label": label,
                "y": y,
                "text_y": y + 15,
                "width": round(max(end - LABEL_WIDTH, 1.5), 1),
                "colour": BAND_COLOURS.get(band, BAND_COLOURS["low"])[0],
                "value": int(round(value * 100)),
                "band": band,
                "value_x": round(end + 4, 1),
            }
        )
    return {
        "title": scenario.get("title", "Exposure"),
        "width": CHART_WIDTH,
        "height": 96,
        "label_x": LABEL_WIDTH - 8,
        "scale_x": LABEL_WIDTH,
        "scale_end": _x(1.0),
        "zones": _zones(bands),
        "bars": bars,
    }
