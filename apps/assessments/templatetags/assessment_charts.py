"""Server-rendered SVG charts: the exposure gauge, the before/after chart, the live bar and
the trend sparkline. The one chart library of the project: the results page and the report
(HTML and PDF) draw with the same tags, so a chart is the same markup on screen and on paper.

SVG drawn on the server needs no script and carries its own text alternative (role="img"
with a <title>), so the numbers reach screen reader users too. Colours are presentation
attributes, not style="" (strict CSP).
"""

from __future__ import annotations

import math

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

register = template.Library()

# GOV.UK Frontend palette: green, orange, red, dark red; all meet 3:1 against white.
BAND_COLOURS = {
    "low": "#00703c",
    "moderate": "#a35200",
    "high": "#d4351c",
    "critical": "#6e1d12",
}
# The same bands, lightly tinted, shade the zones of the before/after chart.
BAND_TINTS = {
    "low": "#e6f2eb",
    "moderate": "#f6ede6",
    "high": "#fbe9e6",
    "critical": "#f0e8e7",
}
TRACK_COLOUR = "#b1b4b6"
TEXT_COLOUR = "#0b0c0c"
MUTED_COLOUR = "#505a5f"
FONT_FAMILY = "GDS Transport, arial, sans-serif"  # arial (Liberation Sans) in the PDF


def _clamp(value) -> float:
    try:
        return max(0.0, min(100.0, float(value)))
    except (TypeError, ValueError):
        return 0.0


@register.simple_tag
def exposure_gauge(score, band: str, label: str, element_id: str, floor=None) -> str:
    """A half-dial from 0 to 100 with the score and band written in the middle.

    `floor` (from `band_floor_note`) is given when the pack's baseline floor raised the
    band above the exposure's own: the dial then says so in words too ("high: baseline
    not met"), so a low number never reads as safe.
    """
    value = _clamp(score)
    cx, cy, r = 60.0, 62.0, 48.0
    angle = math.pi * (1 - value / 100)
    x = cx + r * math.cos(angle)
    y = cy - r * math.sin(angle)
    colour = BAND_COLOURS.get(band, TEXT_COLOUR)
    title = f"{label}: exposure {round(value)} out of 100, {band}"
    band_text = band
    if floor:
        title += (
            f" because the baseline is not met (the exposure alone would be {floor['by_exposure']})"
        )
        band_text = f"{band}: baseline not met"
    value_arc = (
        format_html(
            '<path d="M {} {} A {} {} 0 0 1 {} {}" fill="none" stroke="{}" '
            'stroke-width="12" stroke-linecap="butt"/>',
            cx - r,
            cy,
            r,
            r,
            f"{x:.2f}",
            f"{y:.2f}",
            colour,
        )
        if value > 0
        else ""
    )
    return format_html(
        '<svg class="portcullis-gauge" viewBox="0 0 120 78" width="180" height="117" '
        'role="img" aria-labelledby="{id}-title" focusable="false" '
        'font-family="{font}">'
        '<title id="{id}-title">{title}</title>'
        '<path d="M {x0} {cy} A {r} {r} 0 0 1 {x1} {cy}" fill="none" stroke="{track}" '
        'stroke-width="12"/>'
        "{arc}"
        '<text x="{cx}" y="{ty}" text-anchor="middle" font-size="22" font-weight="700" '
        'fill="{text}">{score}</text>'
        '<text x="{cx}" y="{by}" text-anchor="middle" font-size="{band_size}" fill="{text}">{band}</text>'
        "</svg>",
        id=element_id,
        font=FONT_FAMILY,
        title=title,
        x0=cx - r,
        x1=cx + r,
        cy=cy,
        r=r,
        track=TRACK_COLOUR,
        arc=value_arc,
        cx=cx,
        ty=cy - 6,
        by=cy + 12,
        text=TEXT_COLOUR,
        score=round(value),
        band=band_text,
        band_size="7.5" if floor else "10",
    )


@register.simple_tag
def exposure_bar(score, band: str) -> str:
    """A small horizontal bar for the live panel (decorative: the number is in the text)."""
    value = _clamp(score)
    colour = BAND_COLOURS.get(band, TEXT_COLOUR)
    return format_html(
        '<svg class="portcullis-bar" viewBox="0 0 100 8" width="100%" height="8" '
        'preserveAspectRatio="none" aria-hidden="true" focusable="false">'
        '<rect x="0" y="0" width="100" height="8" fill="{}"/>'
        '<rect x="0" y="0" width="{}" height="8" fill="{}"/></svg>',
        TRACK_COLOUR,
        f"{value:.1f}",
        colour,
    )


@register.simple_tag
def sparkline(values, label: str, element_id: str) -> str:
    """Exposure over successive submitted assessments, oldest first."""
    points = [_clamp(v) for v in (values or [])]
    if not points:
        return ""
    width, height, pad = 120.0, 36.0, 4.0
    step = (width - 2 * pad) / max(1, len(points) - 1)
    coords = [
        (pad + i * step if len(points) > 1 else width / 2, pad + (height - 2 * pad) * (1 - v / 100))
        for i, v in enumerate(points)
    ]
    polyline = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    dots = "".join(
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{TEXT_COLOUR}"/>' for x, y in coords
    )
    title = f"{label}: exposure " + ", then ".join(str(round(v)) for v in points)
    return mark_safe(  # noqa: S308 - every interpolated value is a number or escaped
        f'<svg class="portcullis-sparkline" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="{width:.0f}" height="{height:.0f}" role="img" '
        f'aria-labelledby="{escape(element_id)}-title" focusable="false">'
        f'<title id="{escape(element_id)}-title">{escape(title)}</title>'
        f'<polyline points="{polyline}" fill="none" stroke="#1d70b8" stroke-width="2"/>'
        f"{dots}</svg>"
    )


CHART_WIDTH = 520
CHART_LABEL_WIDTH = 120
CHART_SCALE_WIDTH = CHART_WIDTH - CHART_LABEL_WIDTH - 40
ZONE_LABEL_MIN_WIDTH = 48  # px: "moderate" at font size 10


def _chart_x(value: float) -> float:
    return round(CHART_LABEL_WIDTH + max(0.0, min(1.0, value)) * CHART_SCALE_WIDTH, 1)


@register.inclusion_tag("assessments/charts/exposure.svg")
def exposure_chart(title: str, exposure, exposure_after_plan, bands, element_id: str) -> dict:
    """Exposure now and after the plan (0..1 each) on a 0-100 scale shaded by the pack's
    bands (name -> lower bound); bars are coloured by band, as the engine bands them."""
    from apps.scoring.compiler import DEFAULT_BANDS
    from apps.scoring.engine import band_for

    bands = dict(bands or DEFAULT_BANDS)
    lowers = sorted((float(lower), name) for name, lower in bands.items())
    zones = []
    previous_narrow = False
    for i, (lower, band) in enumerate(lowers):
        upper = lowers[i + 1][0] if i + 1 < len(lowers) else 1.0
        width = round(_chart_x(upper) - _chart_x(lower), 1)
        # A zone too narrow for its name (moderate from 5 to 20, say) puts the next zone's
        # name on a second line, so the two never overlap.
        second_line = previous_narrow
        previous_narrow = width < ZONE_LABEL_MIN_WIDTH and not second_line
        zones.append(
            {
                "band": band,
                "x": _chart_x(lower),
                "width": width,
                "tint": BAND_TINTS.get(band, "#f3f2f1"),
                "label_x": round(_chart_x(lower) + 3, 1),
                "label_y": 95 if second_line else 84,
            }
        )
    bars = []
    for label, raw, y in (("Now", exposure, 14), ("After the plan", exposure_after_plan, 44)):
        value = _clamp(float(raw or 0) * 100) / 100
        band = band_for(bands, value)
        end = _chart_x(value)
        bars.append(
            {
                "label": label,
                "y": y,
                "text_y": y + 15,
                "width": round(max(end - CHART_LABEL_WIDTH, 1.5), 1),
                "colour": BAND_COLOURS.get(band, TEXT_COLOUR),
                "value": int(round(value * 100)),
                "band": band,
                "value_x": round(end + 4, 1),
            }
        )
    return {
        "element_id": element_id,
        "title": title,
        "width": CHART_WIDTH,
        "height": 100,
        "label_x": CHART_LABEL_WIDTH - 8,
        "scale_x": CHART_LABEL_WIDTH,
        "scale_end": _chart_x(1.0),
        "zones": zones,
        "bars": bars,
        "font": FONT_FAMILY,
        "text": TEXT_COLOUR,
        "muted": MUTED_COLOUR,
        "track": TRACK_COLOUR,
    }


# --- organisation charts (the compliance dashboard) ---------------------------------------
# Aggregates only: the caller has already applied the AGGREGATE_MIN_PEOPLE rule, so these
# draw whatever counts they are given. Each has a table alternative beside it on the page.

STATUS_COLOURS = {
    "submitted": "#00703c",
    "in_progress": "#1d70b8",
    "not_started": "#b1b4b6",
    "overdue": "#d4351c",
}


def _stacked_bar(segments, y: float, height: float, x0: float, width: float) -> str:
    total = sum(count for _name, count, _colour in segments) or 1
    out = []
    x = x0
    for _name, count, colour in segments:
        if count <= 0:
            continue
        w = width * count / total
        out.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{height:.1f}" '
            f'fill="{escape(colour)}"/>'
        )
        x += w
    return "".join(out)


@register.simple_tag
def band_distribution_chart(bands, label: str, element_id: str) -> str:
    """One horizontal bar split by band (low → critical) with each band's count: how a
    group of people stands against one scenario. `bands` is [{band, count, percent}]."""
    rows = [(b["band"], int(b["count"]), BAND_COLOURS.get(b["band"], TEXT_COLOUR)) for b in bands]
    total = sum(count for _b, count, _c in rows)
    title = f"{label}: " + ", ".join(f"{count} {band}" for band, count, _c in rows)
    width, bar_width = 520.0, 500.0
    legend = []
    x = 10.0
    for band, count, colour in rows:
        legend.append(
            f'<rect x="{x:.1f}" y="40" width="10" height="10" fill="{colour}"/>'
            f'<text x="{x + 14:.1f}" y="49" font-size="11" fill="{TEXT_COLOUR}">'
            f"{escape(band)} {count}</text>"
        )
        x += 125
    return mark_safe(  # noqa: S308 - every interpolated value is a number or escaped
        f'<svg class="portcullis-distribution" viewBox="0 0 {width:.0f} 56" width="100%" '
        f'height="56" role="img" aria-labelledby="{escape(element_id)}-title" '
        f'focusable="false" font-family="{FONT_FAMILY}">'
        f'<title id="{escape(element_id)}-title">{escape(title)} (of {total})</title>'
        f'<rect x="10" y="6" width="{bar_width:.0f}" height="26" fill="{TRACK_COLOUR}"/>'
        f"{_stacked_bar(rows, 6, 26, 10, bar_width)}"
        f"{''.join(legend)}</svg>"
    )


@register.simple_tag
def completion_chart(row, element_id: str) -> str:
    """One campaign's people by status: submitted, in progress, not started, overdue."""
    order = ("submitted", "in_progress", "not_started", "overdue")
    labels = {
        "submitted": "submitted",
        "in_progress": "in progress",
        "not_started": "not started",
        "overdue": "overdue",
    }
    rows = [(labels[s], int(row.get(s, 0)), STATUS_COLOURS[s]) for s in order]
    title = f"{row.get('name', '')}: " + ", ".join(f"{c} {n}" for n, c, _ in rows)
    legend = []
    x = 10.0
    for name, count, colour in rows:
        legend.append(
            f'<rect x="{x:.1f}" y="40" width="10" height="10" fill="{colour}"/>'
            f'<text x="{x + 14:.1f}" y="49" font-size="11" fill="{TEXT_COLOUR}">'
            f"{escape(name)} {count}</text>"
        )
        x += 125
    return mark_safe(  # noqa: S308 - every interpolated value is a number or escaped
        f'<svg class="portcullis-completion" viewBox="0 0 520 56" width="100%" height="56" '
        f'role="img" aria-labelledby="{escape(element_id)}-title" focusable="false" '
        f'font-family="{FONT_FAMILY}">'
        f'<title id="{escape(element_id)}-title">{escape(title)}</title>'
        f'<rect x="10" y="6" width="500" height="26" fill="#f3f2f1"/>'
        f"{_stacked_bar(rows, 6, 26, 10, 500)}"
        f"{''.join(legend)}</svg>"
    )


@register.simple_tag
def band_trend_chart(points, label: str, element_id: str) -> str:
    """A scenario's band distribution over successive snapshots, oldest first: one
    stacked column per snapshot (100 %), a gap where a snapshot is below the threshold.
    `points` is [{taken_at, hidden, bands: {band: count} | None}]."""
    points = list(points or [])
    if not points:
        return ""
    width, height, pad, top = 520.0, 120.0, 10.0, 6.0
    column = (width - 2 * pad) / len(points)
    bar = max(4.0, column * 0.7)
    parts = []
    described = []
    for i, point in enumerate(points):
        x = pad + i * column + (column - bar) / 2
        day = point["taken_at"].strftime("%-d %b") if point.get("taken_at") else ""
        if point.get("hidden") or not point.get("bands"):
            described.append(f"{day}: too few people to show")
            continue
        counts = point["bands"]
        total = sum(counts.get(b, 0) for b in BAND_COLOURS) or 1
        y = top + (height - 30)
        for band, colour in BAND_COLOURS.items():
            share = counts.get(band, 0) / total
            h = (height - 30 - top) * share
            if h <= 0:
                continue
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{colour}"/>'
            )
        parts.append(
            f'<text x="{x + bar / 2:.1f}" y="{height - 8:.0f}" font-size="10" '
            f'text-anchor="middle" fill="{MUTED_COLOUR}">{escape(day)}</text>'
        )
        described.append(f"{day}: " + ", ".join(f"{counts.get(b, 0)} {b}" for b in BAND_COLOURS))
    title = f"{label}, over time: " + "; ".join(described)
    return mark_safe(  # noqa: S308 - every interpolated value is a number or escaped
        f'<svg class="portcullis-band-trend" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="100%" height="{height:.0f}" role="img" '
        f'aria-labelledby="{escape(element_id)}-title" focusable="false" '
        f'font-family="{FONT_FAMILY}">'
        f'<title id="{escape(element_id)}-title">{escape(title)}</title>'
        f"{''.join(parts)}</svg>"
    )
