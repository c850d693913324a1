"""The one number formatter (costcorrect.numbers): tables, cards and prose write numbers alike."""

import math

import numpy as np
import pytest

from costcorrect import numbers
from costcorrect.numbers import fmt, number


@pytest.mark.parametrize(
    ("x", "digits", "text"),
    [
        (524288.0, 3, "524,288"),
        (524288, 3, "524,288"),
        (12345.6, 3, "12,346"),
        (123.4, 3, "123"),
        (12.345, 3, "12.3"),
        (1.5, 3, "1.5"),
        (2.0, 3, "2"),
        (0.012345, 3, "0.0123"),
        (-0.5, 3, "-0.5"),
        (0.000012345, 3, "1.23 × 10⁻⁵"),
        (1.643, 4, "1.643"),
        (0.0, 3, "0"),
        (math.inf, 3, "∞"),
        (-math.inf, 3, "−∞"),
        (math.nan, 3, "—"),
        (np.float64(2.5e6), 3, "2,500,000"),
        (np.int64(7), 3, "7"),
    ],
)
def test_number_is_written_for_a_reader(x, digits, text):
    assert number(x, digits) == text


def test_fmt_adds_units_and_handles_sequences_and_text():
    assert fmt(524288.0, unit="bytes per token") == "524,288 bytes per token"
    assert fmt(2.79, unit="x") == "2.79x"
    assert fmt(41.5, unit="%") == "41.5%"
    assert fmt([0.5, 1234.0]) == "[0.5, 1,234]"
    assert fmt(np.array([1.0, 2.5])) == "[1, 2.5]"
    assert fmt(None) == "—"
    assert fmt("up to 7.4x") == "up to 7.4x"


def test_cards_and_tables_use_the_same_formatter():
    from costcorrect import claims, figures

    assert claims.fmt(524288.0) == "524,288"
    assert figures._fmt_number(524288.0, 3) == numbers.number(524288.0, 3)


def test_glue_records_the_formatted_text(monkeypatch):
    seen = {}
    import myst_nb

    monkeypatch.setattr(
        myst_nb, "glue", lambda name, value, display=True: seen.update({name: value})
    )
    assert numbers.glue("n", 524288.0, unit="bytes") == "524,288 bytes"
    assert seen == {"n": "524,288 bytes"}
