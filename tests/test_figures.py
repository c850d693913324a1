import altair as alt
import pandas as pd
import pytest

from costcorrect import figures


@pytest.fixture
def chart():
    df = pd.DataFrame({"x": [1, 2, 3], "y": [3, 1, 2]})
    return alt.Chart(df).mark_line().encode(x="x:Q", y="y:Q", tooltip=["x", "y"])


def test_show_writes_spec_and_svg_and_renders_locally(tmp_path, monkeypatch, chart):
    monkeypatch.setenv("COSTCORRECT_BUILD", str(tmp_path))
    fig = figures.show(chart, "demo.line")
    assert (tmp_path / "figures" / "demo" / "line.svg").read_text().lstrip().startswith("<svg")
    assert (tmp_path / "figures" / "demo" / "line.vl.json").exists()
    bundle = fig._repr_mimebundle_()
    html = bundle["text/html"]
    assert 'id="fig-demo-line"' in html and "vegaEmbed" in html
    assert "http" not in html.split("$schema")[0]  # no script is fetched from anywhere
    assert "cdn" not in html.lower()
    assert bundle["image/svg+xml"] == fig.svg


def test_show_is_deterministic(tmp_path, monkeypatch, chart):
    monkeypatch.setenv("COSTCORRECT_BUILD", str(tmp_path))
    assert figures.show(chart, "demo.a").html() == figures.show(chart, "demo.a", write=False).html()


def test_bad_figure_id_is_refused(chart):
    with pytest.raises(ValueError, match="slug"):
        figures.show(chart, "no-dot-here")


def test_theme_is_enabled():
    assert alt.theme.active == "costcorrect"


def test_slider_is_bound_param():
    p = figures.slider("k", 2, 1, 5, 1, "K")
    assert p.param.bind.input == "range" and p.param.value == 2


def test_vega_bundle_defines_globals(tmp_path):
    path = figures.vega_bundle(tmp_path / "vega.js")
    text = path.read_text()
    assert "window.vegaEmbed" in text and len(text) > 100_000


def test_figure_has_title_and_description_for_screen_readers(chart):
    titled = chart.properties(title="Cost by accept rate")
    fig = figures.show(titled, "demo.titled", write=False)
    html = fig.html()
    assert '<figure class="cc-figure-box" aria-labelledby="fig-demo-titled-caption">' in html
    assert '<figcaption id="fig-demo-titled-caption"' in html
    assert "Figure: Cost by accept rate. Line chart; x axis: x; y axis: y." in html
    assert 'svg.setAttribute("aria-label"' in html
    # the drawn SVG gets the same text as its aria-label (Vega-Lite's top-level description)
    assert fig.spec["description"] == "Cost by accept rate. Line chart; x axis: x; y axis: y."


def test_describe_layers_concat_and_explicit_description():
    df = pd.DataFrame({"a": [1, 2], "b": [2, 3], "g": ["u", "v"]})
    base = alt.Chart(df)
    layered = base.mark_line().encode(
        x=alt.X("a:Q", title="accept rate α"), y="b:Q", color="g:N"
    ) + base.mark_rule().encode(y="b:Q")
    title, text = figures.describe(
        alt.hconcat(layered, base.mark_bar().encode(x="g:N", y="b:Q")).to_dict()
    )
    assert title == ""
    assert text.startswith(
        "Line and reference line and bar chart; x axis: accept rate α; y axis: b"
    )
    assert "colour: g" in text and "panels" in text
    assert figures.describe({"mark": "line", "description": "Given."}) == ("", "Given.")


def test_table_units_rounding_links_and_hidden_provenance():
    df = pd.DataFrame(
        {
            "model": ["a", "b"],
            "price": [1.23456, 12345.6],
            "tokens": [1234567, 3],
            "url": ["https://www.example.com/paper", "n/a"],
            "source": ["Paper A, Table 2", "Paper B"],
            "locator": ["p. 3", "§4"],
        }
    )
    t = figures.table(df, units={"price": "USD/Mtok"})
    html = t.html()
    assert html.startswith(
        '<div class="cc-table" tabindex="0" role="region" aria-label="Table: model'
    )
    assert html.endswith("</div>")
    assert "price (USD/Mtok)" in html and "price (USD/Mtok)" in t.plain
    assert "1.23" in html and "1.23456" not in html
    assert "12,346" in html and "1,234,567" in html
    assert '<a href="https://www.example.com/paper">example.com</a>' in html
    assert 'title="source: Paper A, Table 2; locator: p. 3"' in html
    assert ">Paper A, Table 2<" not in html and "locator" not in t.plain
    assert "row0" in html and 'class="row_heading' not in html  # RangeIndex hidden
    bundle = t._repr_mimebundle_()
    assert set(bundle) == {"text/html", "text/plain"}
    assert bundle["text/plain"].splitlines()[0].split()[0] == "model"
    assert t.df is df  # the data are not changed


def test_table_index_headers_are_never_empty():
    import re

    named = figures.table(pd.DataFrame({"x": [1.0, 2.5]}, index=pd.Index(["p", "q"], name="gpu")))
    unnamed = figures.table(pd.DataFrame({"x": [1.0, 2.5]}, index=["p", "q"]))
    multi = figures.table(
        pd.DataFrame({"x": [1.0]}, index=pd.MultiIndex.from_tuples([("a", 1)], names=["k", None]))
    )
    for t in (named, unnamed, multi):
        heads = re.findall(r"<th[^>]*>(.*?)</th>", t.html(), re.S)
        assert heads and all(h.strip() and h.strip() != "&nbsp;" for h in heads), heads
    assert ">gpu<" in named.html() and ">row<" in unnamed.html() and ">level 1<" in multi.html()


def test_table_number_format():
    f = figures._fmt_number
    assert f(0.000012345, 3) == "1.23 × 10⁻⁵"
    assert f(0.123456, 3) == "0.123"
    assert f(3.0, 3) == "3"
    assert f(2500000.0, 3) == "2,500,000"
    assert f(float("nan"), 3) == ""
    assert f(True, 3) == "true"
    assert f(float("inf"), 3) == "∞" and f(float("-inf"), 3) == "−∞"


def test_table_accepts_a_series_and_a_caption():
    t = figures.table(pd.Series([1.5, 2.0], name="ratio"), caption="Ratios")
    assert "<caption" in t.html() and t.plain.startswith("Ratios\n")


def _heads(t: figures.Table) -> list[str]:
    import re

    return [h.strip() for h in re.findall(r"<th\b[^>]*>(.*?)</th>", t.html(), re.S)]


def test_table_of_a_loaded_table_shows_its_units_unasked(monkeypatch):
    from costcorrect import data

    monkeypatch.setattr(data, "_LOADED", [])
    gpus = data.load("hardware/gpus")
    heads = _heads(figures.table(gpus[["gpu", "hbm_gb", "hbm_tb_s", "tdp_w", "price_date"]]))
    assert heads == ["gpu", "hbm_gb (GB)", "hbm_tb_s (TB/s)", "tdp_w (W)", "price_date"]
    # operations that keep attrs keep the units; the index becomes a column with its own unit
    t = figures.table(gpus.set_index("gpu")[["hbm_tb_s"]].round(1))
    assert _heads(t) == ["gpu", "hbm_tb_s (TB/s)"] and "hbm_tb_s (TB/s)" in t.plain
    # explicit units win; a display name that states the unit is not given it twice
    t = figures.table(
        gpus[["hbm_tb_s", "hbm_gb"]],
        units={"hbm_tb_s": "TB/s (1e12 B/s)"},
        names={"hbm_gb": "HBM (GB)"},
    )
    assert _heads(t) == ["hbm_tb_s (TB/s (1e12 B/s))", "HBM (GB)"]
    # counts and per-row units get none
    models = data.load("hardware/models")
    assert _heads(figures.table(models[["model", "params_b", "layers"]])) == [
        "model",
        "params_b (billions)",
        "layers",
    ]
    published = data.load("cost-correct/inputs")
    assert _heads(figures.table(published[["value", "unit"]])) == ["value", "unit"]


def test_derived_table_takes_units_of_the_tables_the_chapter_read(monkeypatch):
    from costcorrect import data

    derived = pd.DataFrame({"gpu": ["a"], "hbm_tb_s": [3.35], "eta": [0.7], "tdp_w": ["n/a"]})
    monkeypatch.setattr(data, "_LOADED", [])
    assert _heads(figures.table(derived)) == ["gpu", "hbm_tb_s", "eta", "tdp_w"]  # nothing read
    monkeypatch.setattr(data, "_LOADED", ["hardware/gpus"])
    # matched by name, numeric columns only (tdp_w holds text here)
    assert _heads(figures.table(derived)) == ["gpu", "hbm_tb_s (TB/s)", "eta", "tdp_w"]
    assert figures.known_units(derived) == {"hbm_tb_s": "TB/s"}
    # two tables read that disagree on a column's unit: no unit
    real = data.units
    monkeypatch.setattr(data, "_LOADED", ["hardware/gpus", "other/table"])
    monkeypatch.setattr(
        data, "units", lambda n, p=None: {"hbm_tb_s": "GB/s"} if n == "other/table" else real(n, p)
    )
    assert _heads(figures.table(derived))[1] == "hbm_tb_s"


# --------------------------------------------------------------------------------------------------
# Chart templates


def _marks(spec: dict) -> list[str]:
    out = []
    for v in figures._views(spec):
        mark = v["mark"]
        out.append(mark["type"] if isinstance(mark, dict) else mark)
    return out


def test_waterfall_draws_bars_between_levels_with_highlight():
    steps = pd.DataFrame(
        {"lever": ["a", "rest"], "factor": [2.0, 4.0], "before": [1.0, 0.5], "after": [0.5, 0.125]}
    )
    chart = figures.waterfall(steps, title="W", y_title="index", highlight="rest")
    spec = chart.to_dict()
    assert _marks(spec) == ["bar", "text"]
    bars = spec["layer"][0]["encoding"]
    assert bars["y"]["scale"]["type"] == "log" and bars["y2"]["field"] == "after"
    assert bars["x"]["sort"] == ["a", "rest"]  # the frame's order, not alphabetical
    assert "rest" in str(bars["color"]["condition"]["test"])
    fig = figures.show(chart, "demo.waterfall", write=False)
    assert "÷2" in fig.svg and "÷4" in fig.svg  # the labels come from the frame's factors


def test_curve_with_pick_reads_the_point_off_the_curve_at_the_slider():
    curve = pd.DataFrame({"x": [1.0, 1.5, 2.0], "y": [8.0, 5.0, 4.0]})
    pick = figures.slider("px", 1.5, 1.0, 2.0, 0.5, "x")
    band = {"low": 3.0, "mid": 4.5, "high": 6.0}
    chart = figures.curve_with_pick(
        curve, "x", "y", pick, band=band, label="y = ", title="T", x_title="x", y_title="y"
    )
    spec = chart.to_dict()
    assert _marks(spec) == ["rect", "rule", "line", "point", "text"]
    assert spec["params"][0]["bind"]["input"] == "range" and spec["params"][0]["value"] == 1.5
    filters = [t["filter"] for v in spec["layer"] for t in v.get("transform", []) if "filter" in t]
    assert filters and all("px" in f and "0.25" in f for f in filters)  # half the slider's step
    assert spec["description"].startswith("T. Line chart of y against x")
    # the static SVG (notebook, print, PDF) shows the point at the slider's starting value
    svg = figures.show(chart, "demo.pick", write=False).svg
    assert "y = 5.0×" in svg and "y = 8.0×" not in svg


def test_roofline_lines_and_points():
    roofs = pd.DataFrame({"gpu": ["g", "g"], "intensity": [1.0, 10.0], "tflops": [2.0, 5.0]})
    pts = pd.DataFrame({"workload": ["w"], "batch": [1], "intensity": [2.0], "tflops": [4.0]})
    spec = figures.roofline(roofs, pts, title="R", points_title="on g").to_dict()
    assert _marks(spec) == ["line", "point"]
    enc = spec["layer"][0]["encoding"]
    assert enc["x"]["scale"]["type"] == "log" and enc["y"]["scale"]["type"] == "log"
    assert spec["layer"][1]["encoding"]["shape"]["title"] == "on g"


def test_lines_with_labelled_rules():
    frame = pd.DataFrame({"n": [1, 10, 1, 10], "r": [2.0, 0.5, 1.5, 0.8], "b": [8, 8, 64, 64]})
    chart = figures.lines(
        frame, "n", "r", "b", log_x=True, rules={"even": 1.0}, title="L", x_title="n", y_title="r"
    )
    spec = chart.to_dict()
    assert _marks(spec) == ["line", "rule", "text"]
    assert spec["layer"][0]["encoding"]["color"]["sort"] == [8, 64]
    assert ">even<" in figures.show(chart, "demo.lines", write=False).svg


def test_panels_share_one_log_y_axis():
    frame = pd.DataFrame({"t": ["a", "a", "b", "b"], "v": [1, 2, 1, 3], "rel": [1, 2, 0.5, 1]})
    chart = figures.panels(
        frame, "t", "v", "rel", title="P", titles={"b": "B", "a": "A"}, y_title="y", log_x=("a",)
    )
    spec = chart.to_dict()
    assert spec["resolve"]["scale"]["y"] == "shared" and spec["columns"] == 2
    assert [c["title"] for c in spec["concat"]] == ["B", "A"]
    assert spec["concat"][1]["encoding"]["x"]["scale"]["type"] == "log"
    assert figures.describe(spec)[0] == "P"
