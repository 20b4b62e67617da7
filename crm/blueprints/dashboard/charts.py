"""Server-rendered SVG charts (pygal) that a strict Content-Security-Policy allows: pygal's inline
<script> and <style> are removed (the page's stylesheet `dashboard.css` styles its classes), and
every bar is a link with a name of its own."""
from dataclasses import dataclass
from xml.etree import ElementTree

import pygal
from markupsafe import Markup

SVG = "{http://www.w3.org/2000/svg}"
STRIPPED_TAGS = {f"{SVG}script", f"{SVG}style", "script", "style"}


@dataclass
class Bar:
    """One chart element: its value, what a screen reader says, where it leads (an empty one nowhere)."""
    value: float | None
    label: str
    href: str | None


@dataclass
class Series:
    name: str
    bars: list[Bar]


def _config(title: str, stacked: bool) -> pygal.Bar:
    chart_class = pygal.StackedBar if stacked else pygal.Bar
    return chart_class(title=title, js=[], css=[], disable_xml_declaration=True, width=900, height=320,
                       explicit_size=False, legend_at_bottom=True, legend_at_bottom_columns=4,
                       x_label_rotation=-45, truncate_legend=30, show_minor_x_labels=True,
                       print_zeroes=False, value_formatter=_number)


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _without_inline_code(root: ElementTree.Element) -> None:
    for parent in root.iter():
        for child in list(parent):
            if child.tag in STRIPPED_TAGS:
                parent.remove(child)
        parent.attrib.pop("style", None)


def _describe(root: ElementTree.Element, chart_id: str, description: str) -> None:
    """Name the drawing (its <title>, a <desc>) so it reads as a labelled group of links."""
    title = root.find(f"{SVG}title")
    if title is not None:
        title.set("id", f"{chart_id}-title")
    desc = ElementTree.Element(f"{SVG}desc", id=f"{chart_id}-desc")
    desc.text = description
    root.insert(0, desc)
    root.attrib.update({"id": chart_id, "role": "group", "focusable": "false",
                        "aria-labelledby": f"{chart_id}-title", "aria-describedby": f"{chart_id}-desc"})


def _point(bar: Bar) -> dict:
    if bar.value is None or bar.href is None:
        return {"value": None}
    return {"value": bar.value, "label": bar.label,
            "xlink": {"href": bar.href, "target": "_top", "role": "link", "aria-label": bar.label}}


def bar_chart(chart_id: str, title: str, description: str, x_labels: list[str], series: list[Series],
              stacked: bool = False) -> Markup:
    """The chart as inline SVG markup."""
    chart = _config(title, stacked)
    chart.x_labels = x_labels
    for each in series:
        chart.add(each.name, [_point(bar) for bar in each.bars])
    root = chart.render_tree()
    _without_inline_code(root)
    _describe(root, chart_id, description)
    ElementTree.register_namespace("", SVG.strip("{}"))
    ElementTree.register_namespace("xlink", "http://www.w3.org/1999/xlink")
    return Markup(ElementTree.tostring(root, encoding="unicode"))
