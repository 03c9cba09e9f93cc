"""Charts of the statistics page, drawn on the server as SVG shapes (no script, no inline style: the
colours are classes of the app's stylesheet; every label is text the template escapes).

A ``Chart`` is only geometry and words; ``charts.html.j2`` turns it into an ``<svg>``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from storage.stats import CodeRow, DayRow, TrackRow


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    cls: str
    title: str  # shown on hover, read by screen readers


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    cls: str = ""
    anchor: str = "start"


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    cls: str = "grid"


@dataclass
class Chart:
    id: str
    title: str
    width: int
    height: int
    rects: list[Rect] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    polylines: list[tuple[str, str]] = field(default_factory=list)  # (points, class)
    legend: list[tuple[str, str]] = field(default_factory=list)  # (class, label)


def nice_ceiling(value: float) -> tuple[float, float]:
    """A round top for an axis of counts at or above ``value``, and the step (a whole number) of its
    grid lines, about four of them."""
    if value <= 0:
        return 1.0, 1.0
    raw = value / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    step = max(1.0, next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw))
    if step != int(step):  # 2.5 below 10: counts have no halves
        step = math.ceil(step)
    return step * math.ceil(value / step), step


def _number(v: float) -> str:
    return f"{v:g}" if v < 1e6 else f"{v:.3g}"


def _y_axis(chart: Chart, top: float, left: float, right: float, y0: float, height: float) -> float:
    """Grid lines and their labels; returns the scale (pixels per unit)."""
    ceiling, step = nice_ceiling(top)
    scale = height / ceiling
    v = 0.0
    while v <= ceiling + 1e-9:
        y = y0 - v * scale
        chart.lines.append(Line(left, y, right, y, "grid" if v else "axis"))
        chart.texts.append(Text(left - 6, y + 4, _number(v), "tick", "end"))
        v += step
    return scale


DAILY_SERIES = (("received", "收到", "c-received"), ("screened", "完成预审", "c-screened"))
DECISION_SERIES = (("passed", "审核通过", "c-passed"), ("returned", "退回申请人", "c-returned"), ("escalated", "提交上级复核", "c-escalated"))


def daily_chart(days: list[DayRow]) -> Chart:
    """Per day: packets received, screened, and the day's decisions stacked (pass, return, escalate)."""
    w, h, left, right, top, bottom = 960, 280, 48, 12, 34, 40
    chart = Chart("chart-daily", "每日收件、预审与审核结论", w, h)
    chart.legend = [(c, label) for _, label, c in (*DAILY_SERIES, *DECISION_SERIES)]
    n = max(1, len(days))
    y0, plot_h, plot_w = h - bottom, h - top - bottom, w - left - right
    peak = max((max(d.received, d.screened, d.passed + d.returned + d.escalated) for d in days), default=0)
    scale = _y_axis(chart, peak, left, w - right, y0, plot_h)
    gw = plot_w / n
    bw = gw * 0.28
    every = max(1, math.ceil(n / 12))
    for i, d in enumerate(days):
        x = left + i * gw + gw * 0.08
        label = f"{d.day:%m-%d}"
        for j, (attr, name, cls) in enumerate(DAILY_SERIES):
            v = getattr(d, attr)
            if v:
                chart.rects.append(Rect(x + j * bw, y0 - v * scale, bw * 0.92, v * scale, cls, f"{d.day:%Y-%m-%d} {name} {v}"))
        y = y0
        for attr, name, cls in DECISION_SERIES:
            v = getattr(d, attr)
            if v:
                y -= v * scale
                chart.rects.append(Rect(x + 2 * bw, y, bw * 0.92, v * scale, cls, f"{d.day:%Y-%m-%d} {name} {v}"))
        if i % every == 0:
            chart.texts.append(Text(left + (i + 0.5) * gw, y0 + 16, label, "tick", "middle"))
    return chart


def backlog_chart(days: list[DayRow]) -> Chart:
    """Packets awaiting review at the end of each day."""
    w, h, left, right, top, bottom = 960, 200, 48, 12, 34, 40
    chart = Chart("chart-backlog", "待审核积压（每日日终）", w, h)
    chart.legend = [("c-awaiting", "待审核")]
    n = max(1, len(days))
    y0, plot_h, plot_w = h - bottom, h - top - bottom, w - left - right
    scale = _y_axis(chart, max((d.awaiting for d in days), default=0), left, w - right, y0, plot_h)
    gw = plot_w / n
    every = max(1, math.ceil(n / 12))
    points = []
    for i, d in enumerate(days):
        x = left + (i + 0.5) * gw
        y = y0 - max(0, d.awaiting) * scale
        points.append(f"{x:.1f},{y:.1f}")
        chart.rects.append(Rect(x - gw / 2, y, gw, max(0.0, y0 - y), "c-awaiting-area", f"{d.day:%Y-%m-%d} 日终待审核 {d.awaiting}"))
        if i % every == 0:
            chart.texts.append(Text(x, y0 + 16, f"{d.day:%m-%d}", "tick", "middle"))
    if points:
        chart.polylines.append((" ".join(points), "c-awaiting"))
    return chart


def codes_chart(codes: list[CodeRow], labels: dict[str, str]) -> Chart:
    """Per finding code: confirmed, dismissed and undecided findings, with the dismissal rate."""
    row, left, right, top = 24, 150, 150, 34
    w = 960
    h = top + row * max(1, len(codes)) + 10
    chart = Chart("chart-codes", "各类问题：确认、排除与待处理", w, h)
    chart.legend = [("c-confirmed", "已确认"), ("c-dismissed", "已排除（误报）"), ("c-undecided", "待处理")]
    peak = max((c.findings for c in codes), default=0) or 1
    scale = (w - left - right) / peak
    for i, c in enumerate(codes):
        y = top + i * row
        name = labels.get(c.code, c.code)
        chart.texts.append(Text(left - 8, y + 15, name, "label", "end"))
        x = float(left)
        for v, cls, what in ((c.confirmed, "c-confirmed", "已确认"), (c.dismissed, "c-dismissed", "已排除"), (c.undecided, "c-undecided", "待处理")):
            if v:
                chart.rects.append(Rect(x, y + 3, v * scale, row - 8, cls, f"{name} {what} {v}"))
                x += v * scale
        rate = "—" if c.dismissal_rate is None else f"{100 * c.dismissal_rate:.1f}%"
        chart.texts.append(Text(x + 6, y + 15, f"{c.findings} · 排除率 {rate}", "value"))
    return chart


TRACK_SERIES = (("passed", "审核通过", "c-passed"), ("returned", "退回申请人", "c-returned"), ("escalated", "提交上级复核", "c-escalated"))


def tracks_chart(tracks: list[TrackRow], labels: dict[str, str]) -> Chart:
    """Per track: decisions in the range stacked, and the backlog at its end."""
    row, left, right, top = 26, 150, 130, 34
    w = 960
    h = top + row * max(1, len(tracks)) + 10
    chart = Chart("chart-tracks", "各申报类别：审核结论与待审核", w, h)
    chart.legend = [*((cls, name) for _, name, cls in TRACK_SERIES), ("c-awaiting-bar", "待审核（期末）")]
    peak = max((t.passed + t.returned + t.escalated + max(0, t.awaiting) for t in tracks), default=0) or 1
    scale = (w - left - right) / peak
    for i, t in enumerate(tracks):
        y = top + i * row
        name = labels.get(t.track, t.track)
        chart.texts.append(Text(left - 8, y + 16, name, "label", "end"))
        x = float(left)
        for attr, what, cls in (*TRACK_SERIES, ("awaiting", "待审核", "c-awaiting-bar")):
            v = max(0, getattr(t, attr))
            if v:
                chart.rects.append(Rect(x, y + 3, v * scale, row - 8, cls, f"{name} {what} {v}"))
                x += v * scale
        chart.texts.append(Text(x + 6, y + 16, f"收到 {t.received}", "value"))
    return chart
