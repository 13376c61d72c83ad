"""SVG charts written as text: bars, a heatmap and a curve, each an accessible <svg role="img">.

Every function takes plain text (branch names, reasons) and escapes it here, so a caller never
has to. Marks a reader can count carry `class="mark"` and their figures in `data-` attributes,
and a <title> the browser shows on hover: no script is needed to read a value.
"""

import math
import unicodedata
from collections.abc import Callable, Sequence
from html import escape
from typing import NamedTuple

FONT = 12  # px: the page's small text, so that chart labels read as part of the page
INK, MUTED, GRID = "#1f2933", "#616e7c", "#e4e7eb"


class Series(NamedTuple):
    name: str
    colour: str
    values: Sequence[float]


def _number(value: float) -> str:
    """An SVG coordinate: two decimals are finer than a pixel."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def short(value: float) -> str:
    """An axis or bar label: 1,234 / 12.3k / 4.5m / 1.2bn."""
    for limit, unit, suffix in ((1e9, 1e9, "bn"), (1e6, 1e6, "m"), (1e4, 1e3, "k")):
        if abs(value) >= limit:
            return f"{value / unit:,.1f}{suffix}"
    return f"{value:,.0f}"


def ticks(top: float, count: int = 5) -> list[float]:
    """Round steps from 0 to at least `top` (1, 2, 2.5 or 5 times a power of ten)."""
    if top <= 0:
        return [0, 1]
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    return [step * i for i in range(math.ceil(top / step - 1e-9) + 1)]


def text_width(content: str) -> float:
    """About how wide a label is drawn, in px: a Chinese character is square, a capital or digit wider
    than a small letter."""
    return sum(FONT if unicodedata.east_asian_width(c) in "WF" else FONT * (0.72 if c.isupper() or c.isdigit()
                                                                              else 0.56) for c in content)


def text(x: float, y: float, content: str, anchor: str = "start", size: int = FONT, fill: str = INK,
         weight: str = "normal", rotate: float | None = None) -> str:
    turn = f' transform="rotate({_number(rotate)} {_number(x)} {_number(y)})"' if rotate is not None else ""
    return (f'<text x="{_number(x)}" y="{_number(y)}" text-anchor="{anchor}" font-size="{size}" fill="{fill}" '
            f'font-weight="{weight}"{turn}>{escape(content)}</text>')


def rect(x: float, y: float, width: float, height: float, fill: str, tip: str = "", css: str = "",
         data: dict[str, object] | None = None, stroke: str = "") -> str:
    attributes = "".join(f' data-{name}="{escape(str(value))}"' for name, value in (data or {}).items())
    outline = f' stroke="{stroke}" stroke-width="2"' if stroke else ""
    title = f"<title>{escape(tip)}</title>" if tip else ""
    css = f' class="{css}"' if css else ""
    return (f'<rect{css} x="{_number(x)}" y="{_number(y)}" '
            f'width="{_number(max(width, 0))}" height="{_number(max(height, 0))}" fill="{fill}"{outline}{attributes}>'
            f"{title}</rect>")


def svg(name: str, title: str, description: str, width: int, height: int, body: list[str]) -> str:
    """The chart's frame: its title and description are what a screen reader announces."""
    return (f'<svg data-chart="{escape(name)}" role="img" aria-labelledby="{name}-title {name}-desc" '
            f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
            f'xmlns="http://www.w3.org/2000/svg" font-family="inherit">'
            f'<title id="{name}-title">{escape(title)}</title><desc id="{name}-desc">{escape(description)}</desc>'
            + "".join(body) + "</svg>")


def legend(series: Sequence[Series], x: float, y: float) -> list[str]:
    """A one-line legend of coloured squares, left to right."""
    out = []
    for item in series:
        out += [rect(x, y - 10, 12, 12, item.colour), text(x + 17, y, item.name)]
        x += 17 + text_width(item.name) + 22
    return out


def bars(name: str, title: str, description: str, categories: Sequence[str], series: Sequence[Series], *,
         value_label: str, category_label: str, horizontal: bool = False, width: int = 560,
         fmt: Callable[[float], str] = short, category_colours: Sequence[str] | None = None) -> str:
    """Bars per category, the series stacked in order; horizontal bars suit long category names.
    `category_colours` colours each category's bar itself (a one-series chart by grade)."""
    totals = [sum(s.values[i] for s in series) for i in range(len(categories))]
    scale_ticks = ticks(max(totals, default=0))
    top = scale_ticks[-1]
    show_legend = len(series) > 1
    # The legend's room is kept without a legend too, so that charts side by side line up.
    if horizontal:
        band = 24
        left = 16 + max((text_width(c) for c in categories), default=30)
        plot = (left, 44, width - left - 70, band * len(categories))
    else:
        band = min(64, (width - 90) / max(len(categories), 1))
        plot = (70, 44, band * len(categories), 220)
    x0, y0, plot_w, plot_h = plot
    height = int(y0 + plot_h + 56)
    length = plot_w if horizontal else plot_h
    body = legend(series, x0, 22) if show_legend else []
    for tick in scale_ticks:  # the value axis: grid lines and their labels
        at = tick / top * length
        if horizontal:
            body += [f'<line x1="{_number(x0 + at)}" y1="{y0}" x2="{_number(x0 + at)}" y2="{y0 + plot_h}" '
                     f'stroke="{GRID}"/>', text(x0 + at, y0 + plot_h + 16, short(tick), "middle", fill=MUTED)]
        else:
            body += [f'<line x1="{x0}" y1="{_number(y0 + plot_h - at)}" x2="{x0 + plot_w}" '
                     f'y2="{_number(y0 + plot_h - at)}" stroke="{GRID}"/>',
                     text(x0 - 8, y0 + plot_h - at + 4, short(tick), "end", fill=MUTED)]
    thickness = band * 0.68
    for i, category in enumerate(categories):
        start = 0.0
        for s in series:
            value = s.values[i]
            if value:
                span = value / top * length
                colour = category_colours[i] if category_colours else s.colour
                tip = f"{category}: {s.name + ' ' if show_legend else ''}{fmt(value)}"
                data = {"category": category, "series": s.name, "value": value}
                if horizontal:
                    body.append(rect(x0 + start, y0 + i * band + (band - thickness) / 2, span, thickness, colour,
                                     tip, "mark", data))
                else:
                    body.append(rect(x0 + i * band + (band - thickness) / 2, y0 + plot_h - start - span, thickness,
                                     span, colour, tip, "mark", data))
                start += span
        centre = (y0 + i * band + band / 2) if horizontal else (x0 + i * band + band / 2)
        if horizontal:
            body += [text(x0 - 8, centre + 4, category, "end"),
                     text(x0 + start + 6, centre + 4, fmt(totals[i]), fill=MUTED)]
        else:
            body += [text(centre, y0 + plot_h + 16, category, "middle"),
                     text(centre, y0 + plot_h - start - 6, fmt(totals[i]), "middle", fill=MUTED)]
    baseline = (f'<line x1="{x0}" y1="{y0}" x2="{x0}" y2="{y0 + plot_h}" stroke="{MUTED}"/>' if horizontal else
                f'<line x1="{x0}" y1="{y0 + plot_h}" x2="{x0 + plot_w}" y2="{y0 + plot_h}" stroke="{MUTED}"/>')
    body.append(baseline)
    if horizontal:
        body.append(text(x0 + plot_w / 2, y0 + plot_h + 38, value_label, "middle", fill=MUTED))
    else:
        body += [text(x0 + plot_w / 2, y0 + plot_h + 38, category_label, "middle", fill=MUTED),
                 text(16, y0 + plot_h / 2, value_label, "middle", fill=MUTED, rotate=-90)]
    return svg(name, title, description, width, height, body)


def heatmap(name: str, title: str, description: str, rows: Sequence[str], columns: Sequence[str],
            cells: dict[tuple[str, str], tuple[int, str]], *, row_label: str, column_label: str,
            diagonal: Callable[[str, str], bool], background: Callable[[str, str], str]) -> str:
    """A matrix of counts: a cell's blue deepens with its count (square root, so that a few
    customers still show beside a crowded diagonal); cells on the diagonal are outlined, and an
    empty cell takes its `background` (which side of the diagonal it lies on)."""
    size, left, top = 46, 74, 58
    width, height = left + size * len(columns) + 20, top + size * len(rows) + 20
    peak = max((count for count, _ in cells.values()), default=1) or 1
    body = [text(left + size * len(columns) / 2, 16, column_label, "middle", fill=MUTED),
            text(14, top + size * len(rows) / 2, row_label, "middle", fill=MUTED, rotate=-90)]
    for j, column in enumerate(columns):
        body.append(text(left + j * size + size / 2, top - 10, column, "middle", weight="bold"))
    for i, row in enumerate(rows):
        body.append(text(left - 10, top + i * size + size / 2 + 4, row, "end", weight="bold"))
        for j, column in enumerate(columns):
            x, y = left + j * size, top + i * size
            outline = INK if diagonal(row, column) else ""
            if (row, column) not in cells:
                body.append(rect(x + 1, y + 1, size - 2, size - 2, background(row, column), stroke=outline))
                continue
            count, tip = cells[row, column]
            depth = math.sqrt(count / peak)
            colour = _blend("#e8f1fb", "#0b4f9c", depth)
            body.append(rect(x + 1, y + 1, size - 2, size - 2, colour, tip, "mark cell",
                             {"from": row, "to": column, "value": count}, stroke=outline))
            body.append(text(x + size / 2, y + size / 2 + 4, f"{count:,}", "middle",
                             fill="#ffffff" if depth > 0.55 else INK, weight="bold"))
    return svg(name, title, description, width, height, body)


def _blend(light: str, dark: str, share: float) -> str:
    pairs = zip((int(light[i:i + 2], 16) for i in (1, 3, 5)), (int(dark[i:i + 2], 16) for i in (1, 3, 5)),
                strict=True)
    return "#" + "".join(f"{round(a + (b - a) * share):02x}" for a, b in pairs)


def curve(name: str, title: str, description: str, points: Sequence[tuple[float, float, str]], *,
          x_label: str, y_label: str, x_mark: float, y_mark: float, width: int = 560) -> str:
    """A rising curve over the unit square (shares), with a reference line at `x_mark` and at
    `y_mark` (a Pareto curve's 20 % and 80 %) and the diagonal of an even spread."""
    left, top, side = 64, 16, 300
    plot_w = width - left - 24

    def at(x: float, y: float) -> tuple[str, str]:
        return _number(left + x * plot_w), _number(top + (1 - y) * side)

    body = []
    for step in range(0, 101, 20):
        share = step / 100
        gx, gy = at(share, share)
        body += [f'<line x1="{left}" y1="{gy}" x2="{left + plot_w}" y2="{gy}" stroke="{GRID}"/>',
                 text(left - 8, float(gy) + 4, f"{step}%", "end", fill=MUTED),
                 text(float(gx), top + side + 18, f"{step}%", "middle", fill=MUTED)]
    even = at(0, 0) + at(1, 1)
    body.append(f'<line x1="{even[0]}" y1="{even[1]}" x2="{even[2]}" y2="{even[3]}" stroke="#9aa5b1" '
                f'stroke-dasharray="2 4"/>')
    mark_x, mark_y = at(x_mark, y_mark)
    body += [f'<line class="reference" x1="{mark_x}" y1="{top}" x2="{mark_x}" y2="{top + side}" stroke="#c2410c" '
             f'stroke-dasharray="6 4"/>',
             f'<line class="reference" x1="{left}" y1="{mark_y}" x2="{left + plot_w}" y2="{mark_y}" '
             f'stroke="#c2410c" stroke-dasharray="6 4"/>',
             text(float(mark_x) + 6, top + side - 8, f"{x_mark:.0%} of customers", fill="#c2410c"),
             text(left + plot_w - 4, float(mark_y) + 16, f"{y_mark:.0%} of contribution", "end", fill="#c2410c")]
    line = " ".join(",".join(at(x, y)) for x, y, _ in [(0.0, 0.0, ""), *points])
    body.append(f'<polyline points="{line}" fill="none" stroke="#0b4f9c" stroke-width="2.5" '
                f'stroke-linejoin="round"/>')
    for x, y, tip in points:
        cx, cy = at(x, y)
        body.append(f'<circle class="mark" cx="{cx}" cy="{cy}" r="2.2" fill="#0b4f9c" data-x="{x}" data-y="{y}">'
                    f"<title>{escape(tip)}</title></circle>")
    body += [f'<line x1="{left}" y1="{top + side}" x2="{left + plot_w}" y2="{top + side}" stroke="{MUTED}"/>',
             f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + side}" stroke="{MUTED}"/>',
             text(left + plot_w / 2, top + side + 40, x_label, "middle", fill=MUTED),
             text(16, top + side / 2, y_label, "middle", fill=MUTED, rotate=-90)]
    return svg(name, title, description, width, top + side + 52, body)
