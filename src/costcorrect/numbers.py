"""Numbers for people: one formatter for the book's tables, claim cards and prose.

``fmt(524288.0, unit="bytes per token")`` gives ``"524,288 bytes per token"``, not ``5.243e+05``.
Rules: integers (and integer-valued floats) with thousands separators; other values to ``digits``
significant digits without an exponent, except very small magnitudes, written ``1.2 × 10⁻⁵``;
``None`` and NaN as an em dash; infinities as ``∞``. The result is deterministic.
"""

from __future__ import annotations

import math
from typing import Any

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
_TIGHT_UNITS = ("%", "x", "×", "°")


def _plain(value: Any) -> Any:
    """NumPy scalars and 0-d arrays as Python numbers (anything else unchanged)."""
    item = getattr(value, "item", None)
    if item is not None and getattr(value, "ndim", 1) == 0:
        return item()
    return value


def number(x: float | int, digits: int = 3) -> str:
    """``x`` rounded to ``digits`` significant digits, written for a reader (see the module docstring)."""
    x = _plain(x)
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int):
        return f"{x:,}"
    x = float(x)
    if math.isnan(x):
        return "—"
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    if x == 0:
        return "0"
    if x.is_integer() and abs(x) < 1e15:
        return f"{int(x):,}"
    if abs(x) >= 10 ** (digits - 1):
        return f"{round(x):,}"
    if abs(x) < 1e-4:
        mantissa, exponent = f"{x:.{max(digits - 1, 0)}e}".split("e")
        return f"{mantissa} × 10{str(int(exponent)).translate(_SUPERSCRIPT)}"
    # digits significant digits, without the exponent %g would use below 1e-4 or trailing zeros
    decimals = max(digits - 1 - math.floor(math.log10(abs(x))), 0)
    text = f"{round(x, decimals):,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def fmt(value: Any, digits: int = 3, unit: str | None = None) -> str:
    """Any value a chapter shows: numbers via :func:`number`, sequences element by element, text as is.

    ``unit`` follows the number after a space (``"524,288 bytes per token"``), or directly for
    ``%``, ``x`` and ``×`` (``"2.8x"``).
    """
    value = _plain(value)
    if value is None:
        text = "—"
    elif isinstance(value, (list, tuple)) or hasattr(value, "tolist"):
        items = value.tolist() if hasattr(value, "tolist") else value
        text = "[" + ", ".join(fmt(v, digits) for v in items) + "]"
    elif isinstance(value, (int, float)):
        text = number(value, digits)
    else:
        text = str(value)
    if unit:
        text += unit if unit.startswith(_TIGHT_UNITS) else f" {unit}"
    return text


def glue(name: str, value: Any, digits: int = 3, unit: str | None = None) -> str:
    """Glue ``fmt(value, digits, unit)`` under ``name`` for the chapter's prose (``{glue:text}`name```).

    Returns the text, so a chapter can also print or assert it.
    """
    from myst_nb import glue as _glue

    text = fmt(value, digits, unit)
    _glue(name, text, display=False)
    return text
