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
