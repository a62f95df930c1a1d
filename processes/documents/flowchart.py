"""Flowcharts drawn as SVG on the server: a start, the steps as boxes (name, role, time), an end.

Used by the SOP document of a standard and by the as-is map of the mapping phase. Text is escaped;
nothing from the user is ever put into the SVG unescaped.
"""

import unicodedata
from dataclasses import dataclass, field
from html import escape  # quotes too: the title also goes into an attribute

WIDTH = 560
BOX_WIDTH = 420
LINE_HEIGHT = 18
PADDING = 10
GAP = 34
MAX_UNITS = 44  # a line holds about this many Latin characters (a CJK character counts double)
# Painted with presentation attributes, not a <style> element: the page's Content-Security-Policy allows
# no inline style sheet, and the SVG stays self-contained in the downloaded SOP document.
BOX = 'fill="#fff" stroke="#1f5fa8" stroke-width="1.5"'
BOX_HOT = 'fill="#fdecea" stroke="#b3261e" stroke-width="2.5"'
TEXT = 'font-family="sans-serif" font-size="13" fill="#1d2733"'
TITLE = 'font-family="sans-serif" font-size="14" font-weight="600" fill="#1d2733"'
DETAIL = 'font-family="sans-serif" font-size="13" fill="#5a6675"'


@dataclass
class Box:
    title: str
    lines: list[str] = field(default_factory=list)
    highlight: bool = False  # e.g. the slowest step of an as-is map
    automatic: bool = False


def _units(char: str) -> int:
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def wrap(text: str, limit: int = MAX_UNITS) -> list[str]:
    lines, current, used = [], "", 0
    for word in text.replace("\n", " ").split(" "):
        # CJK text has no spaces: break it anywhere
        for chunk in [word] if sum(_units(c) for c in word) <= limit else list(word):
            size = sum(_units(c) for c in chunk) + (1 if current else 0)
            if used + size > limit and current:
                lines.append(current)
                current, used = chunk, sum(_units(c) for c in chunk)
            else:
                joiner = "" if (current and len(chunk) == 1 and _units(chunk) == 2) else (" " if current else "")
                current += joiner + chunk
                used += size
    if current:
        lines.append(current)
    return lines or [""]


def render(boxes: list[Box], *, start: str, end: str, title: str = "") -> str:
    x = (WIDTH - BOX_WIDTH) // 2
    y = 16
    parts = []
    centre = WIDTH // 2

    def oval(label, top):
        parts.append(
            f'<g class="fc-terminal"><rect x="{x + 60}" y="{top}" width="{BOX_WIDTH - 120}" height="34" '
            f'rx="17" ry="17" fill="#e3ecf8" stroke="#1f5fa8"/>'
            f'<text x="{centre}" y="{top + 22}" text-anchor="middle" {TEXT}>{escape(label)}</text></g>'
        )
        return top + 34

    def arrow(top):
        parts.append(
            f'<line class="fc-arrow" x1="{centre}" y1="{top}" x2="{centre}" y2="{top + GAP - 6}" '
            'stroke="#5a6675" stroke-width="1.5" marker-end="url(#fc-head)"/>'
        )
        return top + GAP

    y = arrow(oval(start, y))
    for number, box in enumerate(boxes, start=1):
        title_lines = wrap(f"{number}. {box.title}")
        detail_lines = [line for text in box.lines for line in wrap(text)]
        height = PADDING * 2 + LINE_HEIGHT * (len(title_lines) + len(detail_lines))
        css = "fc-box" + (" fc-box--hot" if box.highlight else "") + (" fc-box--auto" if box.automatic else "")
        paint = BOX_HOT if box.highlight else BOX
        dashes = ' stroke-dasharray="6 4"' if box.automatic else ""
        parts.append(
            f'<g class="{css}"><rect x="{x}" y="{y}" width="{BOX_WIDTH}" height="{height}" rx="6" ry="6" '
            f"{paint}{dashes}/>"
        )
        ty = y + PADDING + 13
        for line in title_lines:
            parts.append(
                f'<text class="fc-title" x="{centre}" y="{ty}" text-anchor="middle" {TITLE}>{escape(line)}</text>'
            )
            ty += LINE_HEIGHT
        for line in detail_lines:
            parts.append(
                f'<text class="fc-detail" x="{centre}" y="{ty}" text-anchor="middle" {DETAIL}>{escape(line)}</text>'
            )
            ty += LINE_HEIGHT
        parts.append("</g>")
        y = arrow(y + height)
    y = oval(end, y) + 16
    label = escape(title)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="flowchart" viewBox="0 0 {WIDTH} {y}" width="{WIDTH}" '
        f'height="{y}" role="img" aria-label="{label}"><title>{label}</title>'
        '<defs><marker id="fc-head" viewBox="0 0 10 10" refX="8" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#5a6675"/></marker></defs>'
        + "".join(parts)
        + "</svg>"
    )
