"""Figures: one Altair theme, and :func:`show` for interactive + static output.

:func:`show` displays a chart as an HTML ``<div>`` drawn by ``vegaEmbed`` — the Vega JavaScript is
served once from the book's static files (see :func:`vega_bundle`), never from a CDN and never
inlined per chart — together with a static SVG (rendered offline by ``vl-convert``) that Jupyter
front ends, PDFs and diffs use. Both the spec and the SVG are written to
``_build/figures/<slug>/<name>.{vl.json,svg}``.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import altair as alt

from costcorrect.paths import build_dir, split_id

PALETTE = ["#1b6ca8", "#d1495b", "#edae49", "#00798c", "#66a182", "#8d5a97", "#30343f", "#e07a5f"]
STATUS_COLORS = {
    "reproduced": "#2e7d32",
    "conditional": "#00606e",
    "diverges": "#c62828",
    "unverifiable": "#6d6d6d",
}
VEGA_BUNDLE = "vega/vega-bundle.js"
"""Path of the Vega bundle under the book's static folder (written by :func:`vega_bundle`)."""


def _theme() -> dict:
    font = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
    return {
        "config": {
            "font": font,
            "view": {"continuousWidth": 520, "continuousHeight": 300, "stroke": None},
            "range": {"category": PALETTE},
            "axis": {
                "labelFontSize": 11,
                "titleFontSize": 12,
                "grid": True,
                "gridColor": "#e6e6e6",
                "domainColor": "#888",
                "tickColor": "#888",
            },
            "legend": {"labelFontSize": 11, "titleFontSize": 12},
            "title": {"fontSize": 14, "anchor": "start", "fontWeight": 600},
            "line": {"strokeWidth": 2},
            "point": {"size": 60, "filled": True},
        }
    }


@alt.theme.register("costcorrect", enable=True)
def costcorrect_theme() -> alt.theme.ThemeConfig:
    """The book's Altair theme (enabled on import)."""
    return _theme()  # type: ignore[return-value]


def _title_text(title: Any) -> str:
    if isinstance(title, dict):
        title = title.get("text", "")
    if isinstance(title, list):
        title = " ".join(str(x) for x in title)
    return str(title or "").strip()


def _views(spec: dict) -> list[dict]:
    """Every single view of a (layered, concatenated, faceted or repeated) Vega-Lite spec."""
    if "mark" in spec:
        return [spec]
    out: list[dict] = []
    for key in ("layer", "hconcat", "vconcat", "concat"):
        for sub in spec.get(key, []) or []:
            if isinstance(sub, dict):
                out += _views(sub)
    if isinstance(spec.get("spec"), dict):
        out += _views(spec["spec"])
    return out


_CHANNELS = {
    "x": "x axis",
    "y": "y axis",
    "color": "colour",
    "strokeDash": "line style",
    "shape": "shape",
    "size": "size",
    "row": "rows",
    "column": "columns",
    "facet": "panels",
}

_MARKS = {
    "line": "line",
    "point": "scatter",
    "circle": "scatter",
    "bar": "bar",
    "area": "area",
    "rule": "reference line",
    "text": "labels",
    "rect": "heat map",
    "tick": "tick",
}


def describe(spec: dict) -> tuple[str, str]:
    """A title and a plain-text description of a chart, derived from its Vega-Lite spec.

    The title is the spec's (or its first titled view's) title; the description names the chart
    kinds and what each channel encodes, e.g. ``"Line chart. x axis: accept rate α; y axis: …"``.
    A ``description`` set on the chart is used as is.
    """
    views = _views(spec)
    titled = (_title_text(v.get("title")) for v in views if v.get("title"))
    title = _title_text(spec.get("title")) or next(titled, "")
    if spec.get("description"):
        return title, str(spec["description"])
    kinds: list[str] = []
    channels: dict[str, list[str]] = {}  # field names, used where a channel has no title
    titles: dict[str, list[str]] = {}
    for v in views:
        mark = v.get("mark")
        kind = mark.get("type") if isinstance(mark, dict) else mark
        name = _MARKS.get(str(kind), str(kind))
        if name not in kinds:
            kinds.append(name)
        for ch, enc in (v.get("encoding") or {}).items():
            if ch not in _CHANNELS or not isinstance(enc, dict):
                continue
            title_ = enc.get("title")
            text = " ".join(map(str, title_)) if isinstance(title_, list) else str(title_ or "")
            named = titles.setdefault(ch, [])
            if text and text not in named:
                named.append(text)
            field = str(enc.get("field") or "")
            if field and field not in channels.setdefault(ch, []):
                channels[ch].append(field)
    facets = spec.get("facet") if isinstance(spec.get("facet"), dict) else {}
    for ch, enc in facets.items():
        if isinstance(enc, dict) and enc.get("field"):
            key = ch if ch in _CHANNELS else "facet"
            channels.setdefault(key, []).append(str(enc.get("title") or enc["field"]))
    parts = [(" and ".join(kinds).capitalize() + " chart") if kinds else "Chart"]
    for ch, label in _CHANNELS.items():
        names = titles.get(ch) or channels.get(ch)
        if names:
            parts.append(f"{label}: {', '.join(names)}")
    if len(views) > 1 and any(k in spec for k in ("hconcat", "vconcat", "concat")):
        parts.append(f"{len(views)} panels")
    return title, "; ".join(parts) + "."


def text_alternative(spec: dict) -> str:
    """Title and description in one sentence (the figure's caption and its SVG's aria-label)."""
    title, description = describe(spec)
    if not title or description.startswith(title):
        return description
    return f"{title}. {description}"


def _svg(spec: dict) -> str:
    import vl_convert as vlc

    return vlc.vegalite_to_svg(spec, vl_version=alt.SCHEMA_VERSION.lstrip("v").rsplit(".", 1)[0])


class Figure:
    """A displayed figure: HTML for the book, SVG for everything else."""

    def __init__(self, figure_id: str, spec: dict, svg: str):
        self.id = figure_id
        self.spec = spec
        self.svg = svg

    def _dom_id(self) -> str:
        return "fig-" + self.id.replace(".", "-")

    def html(self) -> str:
        spec = json.dumps(self.spec, sort_keys=True)
        dom = self._dom_id()
        caption = "Figure: " + text_alternative(self.spec)
        # <figure> + <figcaption>: screen readers announce the title and the text description (the
        # caption is visually hidden: the chart draws its own title); the SVG that vega-embed draws
        # gets role="img" and the same text as its aria-label; the marks and axes inside it are
        # presentational (Vega's per-mark roles, unlabelled for layered charts, are removed).
        return (
            f'<figure class="cc-figure-box" aria-labelledby="{dom}-caption">\n'
            f'<div class="cc-figure" id="{dom}" data-figure="{html.escape(self.id)}"></div>\n'
            f'<figcaption id="{dom}-caption" class="cc-visually-hidden">{html.escape(caption)}</figcaption>\n'
            f"</figure>\n"
            f'<script type="module">\n'
            f'const el = document.getElementById("{dom}");\n'
            f'if (window.vegaEmbed) {{ vegaEmbed(el, {spec}, {{renderer: "svg", actions: false}})'
            f'.then(() => {{ const svg = el.querySelector("svg"); '
            f'if (svg) {{ svg.setAttribute("role", "img"); '
            f'svg.setAttribute("aria-label", {json.dumps(caption)}); '
            f'svg.querySelectorAll("[role], [aria-roledescription]").forEach(n => {{ '
            f'n.removeAttribute("role"); n.removeAttribute("aria-roledescription"); '
            f'n.removeAttribute("aria-label"); }}); }} }})'
            f'.catch(e => {{ el.textContent = "figure failed: " + e; console.error(e); }}); }}\n'
            f'else {{ el.textContent = "Vega is not loaded"; console.error("Vega bundle missing"); }}\n'
            f"</script>"
        )

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return {
            "text/html": self.html(),
            "image/svg+xml": self.svg,
            "text/plain": f"<Figure {self.id}>",
        }


def show(chart: alt.TopLevelMixin, figure_id: str, *, write: bool = True) -> Figure:
    """Return a displayable :class:`Figure` for ``chart`` and save its spec and SVG.

    ``figure_id`` is ``<slug>.<name>``; files go to ``_build/figures/<slug>/<name>.*``.
    Use it as the last expression of a cell.
    """
    slug, name = split_id(figure_id)
    spec = chart.to_dict()
    if "description" not in spec:  # Vega puts it on the drawn SVG as its aria-label
        spec["description"] = text_alternative(spec)
    svg = _svg(spec)
    if write:
        out = build_dir() / "figures" / slug
        out.mkdir(parents=True, exist_ok=True)
        (out / f"{name}.vl.json").write_text(
            json.dumps(spec, indent=1, sort_keys=True) + "\n", encoding="utf-8"
        )
        (out / f"{name}.svg").write_text(svg, encoding="utf-8")
    return Figure(figure_id, spec, svg)


def vega_bundle(dest: Path) -> Path:
    """Write the Vega + Vega-Lite + vega-embed bundle to ``dest``.

    The bundle is an ES module that sets ``window.vegaEmbed``.
    """
    import vl_convert as vlc

    dest.parent.mkdir(parents=True, exist_ok=True)
    version = alt.SCHEMA_VERSION.lstrip("v").rsplit(".", 1)[0]
    text = vlc.javascript_bundle(vl_version=version)
    if not dest.exists() or dest.read_text(encoding="utf-8") != text:
        dest.write_text(text, encoding="utf-8")
    return dest


def slider(
    name: str, value: float, lo: float, hi: float, step: float, label: str | None = None
) -> Any:
    """An Altair parameter bound to a range slider (for charts with a parameter that matters)."""
    return alt.param(
        name=name,
        value=value,
        bind=alt.binding_range(min=lo, max=hi, step=step, name=(label or name) + " "),
    )


# --------------------------------------------------------------------------------------------------
# Chart templates: a chapter passes the frame its model computed and captions the result. Nothing
# here computes a number a reader sees; the templates only draw what they are given.


def _log(on: bool) -> alt.Scale:
    """A log scale ending at the data (a "nice" log domain can add decades), or a linear one."""
    return alt.Scale(type="log", nice=False) if on else alt.Scale(zero=False)


def waterfall(
    steps: Any, *, title: str, y_title: str, category: str = "lever", highlight: str | None = None
) -> alt.LayerChart:
    """Bars from each row's ``before`` to its ``after`` level on a log axis, labelled ``÷factor``.

    ``steps`` is a frame like :func:`costcorrect.models.foundations.levers.waterfall`'s (columns
    ``category``, ``factor``, ``before``, ``after``), drawn in its row order; the bar named
    ``highlight`` (e.g. what the named factors leave unexplained) takes the second palette colour.
    """
    from costcorrect.numbers import number

    data = steps.assign(label=["÷" + number(f, 3) for f in steps["factor"]])
    x = alt.X(f"{category}:N", sort=list(steps[category]), title=None)
    colour: Any = alt.value(PALETTE[0])
    if highlight is not None:
        is_it = alt.datum[category] == highlight
        colour = alt.condition(is_it, alt.value(PALETTE[1]), alt.value(PALETTE[0]))
    y = alt.Y("before:Q", scale=alt.Scale(type="log"), title=y_title)
    tip = [category, "factor", "before", "after"]
    bars = (
        alt.Chart(data).mark_bar(size=38).encode(x=x, y=y, y2="after:Q", color=colour, tooltip=tip)
    )
    labels = alt.Chart(data).mark_text(dy=-8).encode(x=x, y="before:Q", text="label:N")
    return (bars + labels).properties(title=title, width=520)


def curve_with_pick(
    curve: Any,
    x: str,
    y: str,
    pick: Any,
    *,
    title: str,
    x_title: str,
    y_title: str,
    band: dict[str, float] | None = None,
    label: str | None = None,
) -> alt.LayerChart:
    """A curve ``y(x)`` on a log ``y`` axis, an optional shaded ``band`` (``low``, ``high``; dashed at
    ``mid``), and the point of the curve at the ``x`` a slider picks.

    ``pick`` is a :func:`slider` over ``x`` whose step is the grid step of ``curve``: the point is the
    row of ``curve`` at the slider's value, read from the computed frame, not recomputed in the
    browser. The static SVG (notebook, print and PDF) shows the slider at its starting value, so the
    point sits at the chapter's parameter. ``label`` prefixes the point's value (``"F_stack = "``).
    """
    name, step = pick.name, float(pick.param.bind.step)
    axis_x = alt.X(f"{x}:Q", title=x_title, scale=alt.Scale(zero=False))
    axis_y = alt.Y(f"{y}:Q", title=y_title, scale=alt.Scale(type="log"))
    line = alt.Chart(curve).mark_line().encode(x=axis_x, y=axis_y, tooltip=[x, y])
    layers: list[Any] = []
    if band is not None:
        frame = _one_row(band)
        layers.append(
            alt.Chart(frame)
            .mark_rect(opacity=0.15, color=PALETTE[4])
            .encode(y="low:Q", y2="high:Q")
        )
        layers.append(
            alt.Chart(frame).mark_rule(strokeDash=[6, 3], color=PALETTE[4]).encode(y="mid:Q")
        )
    picked = alt.Chart(curve).transform_filter(f"abs(datum['{x}'] - {name}) < {step / 2}")
    point = picked.mark_point(size=120, filled=True, color=PALETTE[1]).encode(
        x=f"{x}:Q", y=f"{y}:Q"
    )
    text = f"'{label or ''}' + format(datum['{y}'], '.1f') + '×'"
    note = picked.transform_calculate(text=text).mark_text(
        dx=10, dy=-10, align="left", color=PALETTE[1]
    )
    note = note.encode(x=f"{x}:Q", y=f"{y}:Q", text="text:N")
    chart = alt.layer(*layers, line, point, note).add_params(pick)
    described = f"Line chart of {y_title} against {x_title}"
    if band is not None:
        described += ", a shaded band from low to high with a dashed line at its middle"
    described += f"; a slider picks {x_title} and a point marks the curve there."
    return chart.properties(title=title, width=520, description=f"{title}. {described}")


def _one_row(values: dict[str, float]) -> Any:
    """A one-row frame of ``values`` (the data of a band or a reference line)."""
    import pandas as pd

    return pd.DataFrame({k: [float(v)] for k, v in values.items()})


def roofline(roofs: Any, points: Any, *, title: str, points_title: str) -> alt.LayerChart:
    """Log-log rooflines (``roofs``: gpu, intensity, tflops, one line per GPU) with workloads placed
    on one roof (``points``: workload, batch, intensity, tflops, one shape per workload)."""
    x = alt.X(
        "intensity:Q", scale=alt.Scale(type="log"), title="arithmetic intensity (FLOP per HBM byte)"
    )
    y = alt.Y("tflops:Q", scale=alt.Scale(type="log"), title="attainable BF16 TFLOP/s")
    lines = (
        alt.Chart(roofs)
        .mark_line()
        .encode(
            x=x,
            y=y,
            color=alt.Color("gpu:N", title="roofline"),
            tooltip=["gpu", "intensity", "tflops"],
        )
    )
    dots = (
        alt.Chart(points)
        .mark_point()
        .encode(
            x="intensity:Q",
            y="tflops:Q",
            shape=alt.Shape("workload:N", title=points_title),
            color=alt.value(PALETTE[6]),
            tooltip=["workload", "batch", "intensity", "tflops"],
        )
    )
    return (lines + dots).properties(title=title, width=520, height=320)


def lines(
    frame: Any,
    x: str,
    y: str,
    color: str,
    *,
    title: str,
    x_title: str,
    y_title: str,
    log_x: bool = False,
    rules: dict[str, float] | None = None,
) -> alt.LayerChart:
    """One line per value of ``color``, with dashed horizontal ``rules`` (``{label: y}``, e.g. a
    break-even level), each labelled at the left edge."""
    enc_x = alt.X(f"{x}:Q", title=x_title, scale=_log(log_x))
    enc_c = alt.Color(f"{color}:N", sort=list(dict.fromkeys(frame[color])), title=color)
    chart: Any = (
        alt.Chart(frame)
        .mark_line()
        .encode(x=enc_x, y=alt.Y(f"{y}:Q", title=y_title), color=enc_c, tooltip=[color, x, y])
    )
    if rules:
        import pandas as pd

        marks = pd.DataFrame({"label": list(rules), "y": [float(v) for v in rules.values()]})
        rule = alt.Chart(marks).mark_rule(strokeDash=[4, 4], color="#767676").encode(y="y:Q")
        text = alt.Chart(marks).mark_text(align="left", dx=4, dy=-6, color="#555")
        chart = chart + rule + text.encode(x=alt.value(0), y="y:Q", text="label:N")
    return chart.properties(title=title, width=520, height=300)


def panels(
    frame: Any,
    facet: str,
    x: str,
    y: str,
    *,
    title: str,
    titles: dict[str, str],
    y_title: str,
    log_x: tuple[str, ...] = (),
    columns: int = 2,
    tooltip: list[Any] | None = None,
) -> alt.ConcatChart:
    """Small multiples: one panel per value of ``facet`` in the order of ``titles`` (its panel and
    x-axis title), each with its own x axis (log for the facets in ``log_x``), all on one shared log
    ``y`` axis so that the panels compare how far each facet moves ``y``."""
    charts = [
        alt.Chart(frame[frame[facet] == key], title=label)
        .mark_line()
        .encode(
            x=alt.X(f"{x}:Q", title=label, scale=_log(key in log_x)),
            y=alt.Y(f"{y}:Q", title=y_title, scale=alt.Scale(type="log")),
            tooltip=tooltip or [x, y],
        )
        .properties(width=230, height=170)
        for key, label in titles.items()
    ]
    chart = alt.concat(*charts, columns=columns).resolve_scale(y="shared")
    return chart.properties(title=title)


# --------------------------------------------------------------------------------------------------
# Tables


def _fmt_number(x: Any, digits: int) -> str:
    """A table cell: :func:`costcorrect.numbers.number` to ``digits`` digits; empty for a missing value."""
    import math

    from costcorrect.numbers import number

    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    return number(x, digits)


def _host(url: str) -> str:
    from urllib.parse import urlparse

    host = urlparse(str(url)).hostname or str(url)
    return host.removeprefix("www.")


def known_units(df: Any, columns: Any = None) -> dict[str, str]:
    """Units the data package declares for the numeric columns of ``df`` (``{column: unit}``).

    A column takes the ``unit`` of the field of the same name in the table ``df`` was loaded from
    (``df.attrs["resource"]``, set by :func:`costcorrect.data.load`); failing that (a derived table,
    or a column the chapter added), the unit of a field of that name in the tables this process
    loaded (:func:`costcorrect.data.loaded`), when they all agree on it. Units that are not shown
    (counts, pure numbers, per-row units: :data:`costcorrect.data.NO_HEADER_UNIT`) are left out, and so
    are columns that do not hold numbers. ``columns`` restricts the answer to those columns of ``df``.
    """
    import pandas as pd

    from costcorrect import data

    own_name = df.attrs.get("resource")
    read = data.loaded()
    if not own_name and not read:
        return {}
    try:
        package = data.read_package()
    except (OSError, data.DataError):
        return {}

    def units_of(name: str) -> dict[str, str]:
        try:
            return data.units(name, package)
        except data.DataError:  # a table of another package (tests) or one renamed since
            return {}

    own = units_of(own_name) if own_name else {}
    by_name: dict[str, set[str]] = {}
    for name in read:
        for col, unit in units_of(name).items():
            by_name.setdefault(col, set()).add(unit)
    out = {}
    for c in df.columns if columns is None else columns:
        if not isinstance(c, str) or c not in df.columns or list(df.columns).count(c) != 1:
            continue
        col = df[c]
        if not pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
            continue
        unit = own.get(c) or (next(iter(by_name[c])) if len(by_name.get(c, ())) == 1 else None)
        if unit and unit not in data.NO_HEADER_UNIT:
            out[c] = unit
    return out


class Table:
    """A DataFrame formatted for the book: see :func:`table`. Displays as HTML and as plain text."""

    def __init__(self, df: Any, styler: Any, plain: str, caption: str | None):
        self.df = df
        self.styler = styler
        self.plain = plain
        self.caption = caption

    def html(self) -> str:
        # focusable, labelled region: a box that scrolls must be reachable by keyboard (axe)
        cols = ", ".join(str(c) for c in self.df.columns[:3])
        label = html.escape(self.caption or f"Table: {cols}", quote=True)
        return (
            f'<div class="cc-table" tabindex="0" role="region" aria-label="{label}">'
            f"{self.styler.to_html()}</div>"
        )

    def _repr_html_(self) -> str:
        return self.html()

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return {"text/html": self.html(), "text/plain": self.plain}

    def __repr__(self) -> str:
        return self.plain


def table(
    df: Any,
    *,
    units: dict[str, str] | None = None,
    digits: int = 3,
    links: tuple[str, ...] = ("url",),
    hide: tuple[str, ...] = ("source", "locator"),
    caption: str | None = None,
    names: dict[str, str] | None = None,
) -> Table:
    """Format ``df`` for display in a chapter and return a displayable :class:`Table`.

    Numbers are shown to ``digits`` significant digits (thousands separators for large values);
    ``units`` maps a column to its unit, shown in the header (``"price (USD/Mtok)"``); numeric columns
    not in ``units`` get the unit the data package declares for them (see :func:`known_units`: the
    field of the table ``df`` was loaded from, or an unambiguous field of the same name among the
    tables the chapter loaded), so a table read with ``data.load`` shows its units unasked; columns in
    ``links`` holding URLs become short links labelled with the host; columns in ``hide`` are dropped
    from view and kept as the row's tooltip (a ``title`` on the first cell); ``names`` relabels
    columns for display (``{"hbm_tb_s": "HBM bandwidth"}`` with ``units={"hbm_tb_s": "TB/s"}``).
    A plain RangeIndex is hidden; any other index becomes leading column(s) with a non-empty header.
    The HTML sits in a ``<div class="cc-table">`` box that scrolls sideways inside itself when wider
    than the column. The data are not changed: only their display.
    """
    import pandas as pd

    if isinstance(df, pd.Series):
        df = df.to_frame()
    units = dict(units or {})
    df_in = df
    view = df.copy()
    hidden = [c for c in hide if c in view.columns]
    tips = None
    if hidden:
        tips = (
            view[hidden]
            .astype(str)
            .agg(lambda r: "; ".join(f"{k}: {v}" for k, v in r.items()), axis=1)
        )
        view = view.drop(columns=hidden)
    plain_index = isinstance(view.index, pd.RangeIndex) and view.index.name is None
    if not plain_index:  # the index becomes leading column(s) with a non-empty header (axe)
        idx_names = list(view.index.names)
        if view.index.nlevels == 1:
            view.index.name = idx_names[0] or ""
        else:
            view.index.names = [n or f"level {i}" for i, n in enumerate(idx_names)]
        if tips is not None:
            tips = tips.reset_index(drop=True)
        df = df.reset_index()
        view = view.reset_index()
        if view.columns[0] in ("", "index"):
            view = view.rename(columns={view.columns[0]: "row"})
            df = df.rename(columns={df.columns[0]: "row"})
    names = dict(names or {})
    view.attrs = dict(df_in.attrs)  # reset_index and drop may not carry the table's name along
    auto = {
        c: u
        for c, u in known_units(view).items()
        if c not in units and u not in names.get(c, "")  # explicit units and unit-bearing names win
    }
    units |= auto
    view.columns = [
        f"{names.get(c, c)} ({units[c]})"
        if c in units
        else names[c]
        if c in names
        else str(c)
        if not isinstance(c, tuple)
        else " / ".join(map(str, c))
        for c in view.columns
    ]
    renamed = dict(zip(df.drop(columns=hidden).columns, view.columns, strict=True))
    link_cols = [renamed[c] for c in links if c in renamed]

    def fmt(x: Any) -> str:
        if isinstance(x, (int, float)) and not isinstance(x, bool):
            return _fmt_number(x, digits)
        try:
            import numpy as np

            if isinstance(x, np.generic) and np.issubdtype(type(x), np.number):
                return _fmt_number(x.item(), digits)
        except ImportError:  # pragma: no cover
            pass
        return "" if x is None else str(x)

    def fmt_link(x: Any) -> str:
        if not isinstance(x, str) or not x.startswith(("http://", "https://")):
            return html.escape(fmt(x))
        return f'<a href="{html.escape(x, quote=True)}">{html.escape(_host(x))}</a>'

    text_view = view.apply(lambda col: col.map(fmt))
    styler = view.style.format(fmt)
    for c in link_cols:
        styler = styler.format(fmt_link, subset=[c])
    styler = styler.hide(axis="index")
    if tips is not None and len(view.columns):
        titles = pd.DataFrame("", index=view.index, columns=view.columns)
        titles.iloc[:, 0] = list(tips)
        styler = styler.set_tooltips(titles, as_title_attribute=True)
    if caption:
        styler = styler.set_caption(html.escape(caption))
    styler = styler.set_table_attributes('class="cc-df"')
    plain = text_view.to_string(index=False)
    if caption:
        plain = caption + "\n" + plain
    return Table(df_in, styler, plain, caption)
