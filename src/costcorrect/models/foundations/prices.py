"""Price-table analysis for Field Notes #1 ("The Inference Stack in 2026").

Log-linear fits of list prices over time, per model class:

    ln CPM(t) = a_c + b_c · t      (t in years),

so the annual price factor is ``exp(b_c)`` and the annual *decline* factor is ``exp(-b_c)``
(e.g. 3 means "prices divide by 3 each year"). Uncertainty is the ordinary-least-squares
standard error of ``b_c`` with a Student-t interval. :func:`equal_slopes_test` is the nested-model
F-test of "one common rate for all classes" (class-specific intercepts, one slope) against
class-specific slopes, which is how the chapter tests "no single scalar factor summarises the
decline". :func:`prediction_interval` places a new price (the GPT-5.5 repricing) against a class
trend.

Blended CPM is :func:`costcorrect.models.foundations.core.blended_cpm` (the series' 1:1 definition),
not redefined here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from costcorrect.models.foundations.core import blended_cpm

DAYS_PER_YEAR = 365.25


def add_blended(prices: pd.DataFrame, t0: str = "2023-01-01") -> pd.DataFrame:
    """Return a copy with ``cpm`` (blended, USD/Mtok), ``log_cpm`` and ``years`` since ``t0``."""
    out = prices.copy()
    out["date"] = pd.to_datetime(out["date"])
    out["cpm"] = blended_cpm(
        out["input_usd_per_mtok"].astype(float), out["output_usd_per_mtok"].astype(float)
    )
    out["log_cpm"] = np.log(out["cpm"])
    out["years"] = (out["date"] - pd.Timestamp(t0)).dt.days / DAYS_PER_YEAR
    return out


@dataclass(frozen=True)
class TrendFit:
    """OLS fit of ln CPM on years for one group of rows."""

    group: str
    n: int
    intercept: float
    slope: float  # per year, in ln USD
    slope_se: float
    resid_sd: float
    t_mean: float
    sxx: float
    df: int

    def annual_decline(self, level: float = 0.95) -> tuple[float, float, float]:
        """Annual decline factor exp(-slope) with its ``level`` interval (lo, point, hi)."""
        q = stats.t.ppf(0.5 + level / 2, self.df) if self.df > 0 else np.inf
        return (
            float(np.exp(-(self.slope + q * self.slope_se))),
            float(np.exp(-self.slope)),
            float(np.exp(-(self.slope - q * self.slope_se))),
        )

    def predict(self, years: np.ndarray | float) -> np.ndarray:
        """Fitted ln CPM at ``years``."""
        return self.intercept + self.slope * np.asarray(years, dtype=float)


def fit_trend(years: np.ndarray, log_cpm: np.ndarray, group: str = "") -> TrendFit:
    """Ordinary least squares of ``log_cpm`` on ``years`` (needs at least 3 points)."""
    x = np.asarray(years, dtype=float)
    y = np.asarray(log_cpm, dtype=float)
    n = x.size
    if n < 3:
        raise ValueError(f"{group}: need at least 3 prices for a trend with an error, got {n}")
    xm = x.mean()
    sxx = float(((x - xm) ** 2).sum())
    slope = float(((x - xm) * (y - y.mean())).sum() / sxx)
    intercept = float(y.mean() - slope * xm)
    resid = y - (intercept + slope * x)
    df = n - 2
    s2 = float((resid**2).sum() / df)
    return TrendFit(
        group, n, intercept, slope, float(np.sqrt(s2 / sxx)), float(np.sqrt(s2)), float(xm), sxx, df
    )


def class_trends(df: pd.DataFrame, by: str = "price_class") -> dict[str, TrendFit]:
    """One :class:`TrendFit` per value of ``by`` (``df`` from :func:`add_blended`)."""
    return {
        str(k): fit_trend(g["years"].to_numpy(), g["log_cpm"].to_numpy(), str(k))
        for k, g in df.groupby(by, sort=True)
    }


def first_last_ratio(df: pd.DataFrame, by: str = "price_class") -> pd.DataFrame:
    """Per group: the blended CPM of the earliest and the latest row and their ratio (first / last).

    Ties on a date are broken by the lower price (the cheapest model in force that day).
    """
    rows = []
    for k, g in df.sort_values(["date", "cpm"]).groupby(by, sort=True):
        first = g.iloc[0]
        last = g[g["date"] == g["date"].max()].sort_values("cpm").iloc[0]
        rows.append(
            {
                by: k,
                "first_model": first["model"],
                "first_date": first["date"].date(),
                "first_cpm": first["cpm"],
                "last_model": last["model"],
                "last_date": last["date"].date(),
                "last_cpm": last["cpm"],
                "ratio_first_to_last": first["cpm"] / last["cpm"],
            }
        )
    return pd.DataFrame(rows)


def _design(
    df: pd.DataFrame, by: str, controls: tuple[str, ...]
) -> tuple[list, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The pieces of a per-group trend regression: groups, ln CPM, years, group dummies and
    level-shift columns for ``controls`` (all levels but the first of each)."""
    groups = sorted(df[by].unique())
    dummies = np.column_stack([(df[by] == g).to_numpy(float) for g in groups])
    extra = [(df[c] == v).to_numpy(float) for c in controls for v in sorted(df[c].unique())[1:]]
    ctrl = np.column_stack(extra) if extra else np.empty((len(df), 0))
    return groups, df["log_cpm"].to_numpy(float), df["years"].to_numpy(float), dummies, ctrl


def equal_slopes_test(
    df: pd.DataFrame, by: str = "price_class", controls: tuple[str, ...] = ()
) -> dict[str, float]:
    """F-test of H0 "all groups share one annual rate" (separate intercepts) vs separate rates.

    ``controls`` names categorical columns (e.g. ``("provider",)``) whose level shifts enter both
    models. Returns ``F``, ``df1``, ``df2`` and ``p``. A small ``p`` says the rates differ beyond their
    sampling uncertainty.
    """
    groups, y, t, dummies, ctrl = _design(df, by, controls)
    k, n = len(groups), len(y)
    x_r = np.column_stack([dummies, ctrl, t])  # common slope
    x_f = np.column_stack([dummies, ctrl, dummies * t[:, None]])  # one slope per group
    rss = []
    for x in (x_r, x_f):
        beta, *_ = np.linalg.lstsq(x, y, rcond=None)
        rss.append(float(((y - x @ beta) ** 2).sum()))
    df1, df2 = k - 1, n - 2 * k - ctrl.shape[1]
    f = ((rss[0] - rss[1]) / df1) / (rss[1] / df2)
    return {"F": float(f), "df1": df1, "df2": df2, "p": float(stats.f.sf(f, df1, df2))}


def prediction_interval(
    fit: TrendFit, years: float, level: float = 0.95
) -> tuple[float, float, float]:
    """``level`` prediction interval of a new ln CPM at ``years`` on the trend ``fit``: (lo, mean, hi)."""
    mean = float(fit.predict(years))
    se = fit.resid_sd * np.sqrt(1 + 1 / fit.n + (years - fit.t_mean) ** 2 / fit.sxx)
    q = stats.t.ppf(0.5 + level / 2, fit.df)
    return mean - q * se, mean, mean + q * se


def standardized_residual(fit: TrendFit, years: float, log_cpm: float) -> float:
    """(observed − trend) / prediction standard error, for one new price."""
    se = fit.resid_sd * np.sqrt(1 + 1 / fit.n + (years - fit.t_mean) ** 2 / fit.sxx)
    return float((log_cpm - fit.predict(years)) / se)


def prediction_pvalue(fit: TrendFit, years: float, log_cpm: float) -> float:
    """Two-sided p-value of a new price under the trend ``fit`` (Student-t on the prediction error).

    Large (≥ 1 − level) when the price lies inside the ``level`` prediction interval.
    """
    z = standardized_residual(fit, years, log_cpm)
    return float(2 * stats.t.sf(abs(z), fit.df))


def rate_ratio_interval(
    df: pd.DataFrame, by: str = "price_class", controls: tuple[str, ...] = (), level: float = 0.95
) -> dict[str, float | str]:
    """How much faster the fastest-falling group's prices fall than the slowest's, with an interval.

    Fits ln CPM on one intercept and one slope per group (plus level shifts for ``controls``), takes
    the groups with the steepest and the shallowest fall, and returns the ratio of their annual
    decline factors exp(b_slow − b_fast) (≥ 1) with its ``level`` Student-t interval from the joint
    OLS covariance. A lower limit below 1 means the data cannot tell the rates apart.
    """
    groups, y, t, dummies, ctrl = _design(df, by, controls)
    x = np.column_stack([dummies, ctrl, dummies * t[:, None]])
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    dof = len(y) - x.shape[1]
    s2 = float(((y - x @ beta) ** 2).sum() / dof)
    cov = s2 * np.linalg.pinv(x.T @ x)
    k0 = len(groups) + ctrl.shape[1]
    slopes = beta[k0:]
    fast, slow = int(np.argmin(slopes)), int(np.argmax(slopes))
    diff = float(slopes[slow] - slopes[fast])
    se = float(
        np.sqrt(
            cov[k0 + slow, k0 + slow] + cov[k0 + fast, k0 + fast] - 2 * cov[k0 + slow, k0 + fast]
        )
    )
    q = float(stats.t.ppf(0.5 + level / 2, dof))
    return {
        "fastest": groups[fast],
        "slowest": groups[slow],
        "ratio": float(np.exp(diff)),
        "low": float(np.exp(diff - q * se)),
        "high": float(np.exp(diff + q * se)),
        "se": se,
        "df": dof,
    }


def detectable_rate_ratio(se: float, df: int, level: float = 0.95, power: float = 0.8) -> float:
    """The smallest true rate ratio a two-sided ``level`` test of "equal rates" detects with
    probability ``power``, given the standard error ``se`` of the difference of the two ln decline
    rates (as :func:`rate_ratio_interval` returns it): ``exp((t_(1-a/2) + t_power) * se)``.

    A ratio below it can go unseen: a non-significant test says nothing about such a ratio.
    """
    q = float(stats.t.ppf(0.5 + level / 2, df)) + float(stats.t.ppf(power, df))
    return float(np.exp(q * se))


def common_decline(
    df: pd.DataFrame, by: str = "price_class", controls: tuple[str, ...] = (), level: float = 0.95
) -> dict[str, float]:
    """The annual decline factor all groups share, with its ``level`` Student-t interval.

    Fits ln CPM on one intercept per group (plus level shifts for ``controls``) and a single slope
    ``b`` in years — the restricted model of :func:`equal_slopes_test` — and returns ``exp(-b)`` as
    ``factor`` with ``low`` and ``high``. A lower limit above 1 means prices fell at a rate the data
    can tell from no fall; comparing tiers by their own intercepts keeps a cheaper tier's launch from
    counting as a fall.
    """
    _groups, y, t, dummies, ctrl = _design(df, by, controls)
    x = np.column_stack([dummies, ctrl, t])
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    dof = len(y) - x.shape[1]
    s2 = float(((y - x @ beta) ** 2).sum() / dof)
    se = float(np.sqrt(s2 * np.linalg.pinv(x.T @ x)[-1, -1]))
    q = float(stats.t.ppf(0.5 + level / 2, dof))
    b = float(beta[-1])
    return {
        "factor": float(np.exp(-b)),
        "low": float(np.exp(-(b + q * se))),
        "high": float(np.exp(-(b - q * se))),
        "df": dof,
    }


PRICE_MEASURES = ("blended", "input", "output")


def successor_price_ratios(df: pd.DataFrame, measure: str = "blended") -> pd.DataFrame:
    """Each model's list price over its predecessor's, within one provider's line of one class.

    ``df`` holds one provider's models of one class (from :func:`add_blended`); rows are ordered by
    date and each row is compared with the row before it. ``measure`` is the blended CPM, the input
    or the output price.
    """
    col = {"blended": "cpm", "input": "input_usd_per_mtok", "output": "output_usd_per_mtok"}[
        measure
    ]
    g = df.sort_values("date").reset_index(drop=True)
    out = pd.DataFrame(
        {
            "model": g["model"].iloc[1:].to_numpy(),
            "predecessor": g["model"].iloc[:-1].to_numpy(),
            "date": g["date"].iloc[1:].to_numpy(),
            "ratio": (g[col].iloc[1:].to_numpy(float) / g[col].iloc[:-1].to_numpy(float)),
        }
    )
    return out


def largest_earlier_rise(
    df: pd.DataFrame, before: str, years: float = 3.0, measure: str = "blended"
) -> float:
    """The largest successor/predecessor price ratio among launches in the ``years`` before ``before``.

    Above 1 means a new model of the line was priced above the one it followed (a price rise).
    """
    r = successor_price_ratios(df, measure)
    end = pd.Timestamp(before)
    window = r[
        (r["date"] < end) & (r["date"] >= end - pd.Timedelta(days=round(years * DAYS_PER_YEAR)))
    ]
    if window.empty:
        raise ValueError("no successor launch in the window")
    return float(window["ratio"].max())


# --------------------------------------------------------------------------------------------------
# Spread of cost (or tokens) among configurations of near-equal accuracy
# --------------------------------------------------------------------------------------------------

FRONTIERS = ("top", "upper half")


def max_ratio_within_band(x, y, band: float, mask=None) -> tuple[float, int, int]:
    """The largest ``y[i] / y[j]`` over pairs whose ``x`` differ by at most ``band``.

    ``x`` is an accuracy (score), ``y`` a positive cost or token count; ``mask`` keeps only some
    rows (both members of a pair must be kept). Returns ``(ratio, i, j)`` with ``i`` the dearer
    and ``j`` the cheaper row (positions in the arrays); ``(1.0, k, k)`` for a single row.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    keep = np.ones(x.shape, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    if not keep.any():
        raise ValueError("no row is kept")
    if np.any(y[keep] <= 0):
        raise ValueError("y must be positive")
    near = np.abs(x[:, None] - x[None, :]) <= band + 1e-12
    ok = near & keep[:, None] & keep[None, :]
    ratio = np.where(ok, y[:, None] / np.where(y > 0, y, 1.0)[None, :], -np.inf)
    i, j = np.unravel_index(int(np.argmax(ratio)), ratio.shape)
    return float(ratio[i, j]), int(i), int(j)


def cost_spread(score, cost, band: float, frontier: str = "top") -> tuple[float, int, int]:
    """Orders of magnitude (log10) between the dearest and the cheapest of near-equal accuracy.

    ``frontier = "top"``: the configurations scoring within ``band`` of the best score, all of
    which count as near-equal; ``"upper half"``: any two configurations whose scores differ by at
    most ``band``, among those scoring at least half the best. Returns ``(log10 ratio, i, j)``.
    """
    score = np.asarray(score, dtype=float)
    best = float(score.max())
    if frontier == "top":
        mask = score >= best - band - 1e-12
    elif frontier == "upper half":
        mask = score >= best / 2
    else:
        raise ValueError(f"frontier must be one of {FRONTIERS}")
    ratio, i, j = max_ratio_within_band(score, cost, band, mask)
    return float(np.log10(ratio)), i, j


def widest_pair(
    frame: pd.DataFrame,
    x: str,
    y: str,
    band: float,
    frontier: str | None = None,
    mask=None,
) -> dict:
    """The widest near-equal pair of a table: columns ``x`` (accuracy) and ``y`` (cost or tokens).

    With ``frontier`` the pair is :func:`cost_spread`'s, otherwise :func:`max_ratio_within_band`'s
    (with ``mask``). Returns ``{"ratio", "orders", "dear", "cheap"}``, the last two the table's rows.
    """
    xs, ys = frame[x].to_numpy(float), frame[y].to_numpy(float)
    if frontier is None:
        ratio, i, j = max_ratio_within_band(xs, ys, band, mask)
    else:
        orders, i, j = cost_spread(xs, ys, band, frontier)
        ratio = float(10**orders)
    return {
        "ratio": float(ratio),
        "orders": float(np.log10(ratio)),
        "dear": frame.iloc[i],
        "cheap": frame.iloc[j],
    }


# --------------------------------------------------------------------------------------------------
# The declared analysis choices of the price-trend checks, and tables over them
# --------------------------------------------------------------------------------------------------

LAUNCH_BASES = ("launch", "price change")
CONTROL_CHOICES = {"none": (), "provider levels": ("provider",)}


def analysis_samples(df: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The declared samples: every row, and only the rows dated at a launch or a price change."""
    return {
        "all rows": df,
        "launch/price-change dates": df[df["date_basis"].isin(LAUNCH_BASES)],
    }


def across_choices(fn, df: pd.DataFrame, **kwargs) -> pd.DataFrame:
    """``fn(sample, controls=..., **kwargs)`` (a dict) for every declared control set
    (:data:`CONTROL_CHOICES`) and sample (:func:`analysis_samples`): one row each, indexed
    ``"<controls>, <sample>"``."""
    samples = analysis_samples(df)
    rows = {
        f"{c}, {s}": fn(samples[s], controls=ctrl, **kwargs)
        for c, ctrl in CONTROL_CHOICES.items()
        for s in samples
    }
    return pd.DataFrame(rows).T


def trend_summary(fits: dict[str, TrendFit], level: float = 0.95) -> pd.DataFrame:
    """Per group: prices, annual decline factor with its ``level`` interval, residual sd (ln)."""
    rows = {}
    for group, f in fits.items():
        lo, point, hi = f.annual_decline(level)
        rows[group] = {"prices": f.n, "annual decline": point, "low": lo, "high": hi}
        rows[group]["residual sd (ln)"] = f.resid_sd
    return pd.DataFrame(rows).T.rename_axis("class")


def trend_lines(
    df: pd.DataFrame, fits: dict[str, TrendFit], t0: str, by: str = "price_class", n: int = 20
) -> pd.DataFrame:
    """Each group's fitted blended CPM over its own date range (``n`` points): for plotting."""
    frames = []
    for group, f in fits.items():
        years = df.loc[df[by] == group, "years"]
        t = np.linspace(years.min(), years.max(), n)
        date = pd.Timestamp(t0) + pd.to_timedelta(t * DAYS_PER_YEAR, unit="D")
        frames.append(pd.DataFrame({by: group, "date": date, "cpm": np.exp(f.predict(t))}))
    return pd.concat(frames, ignore_index=True)


def new_price_pvalue(df: pd.DataFrame, model: str, provider: str | None = None) -> float:
    """Prediction p-value of ``model``'s price against the trend of the other rows of ``df``.

    The trend is fitted on every row but ``model`` (only ``provider``'s rows when given); the
    p-value is :func:`prediction_pvalue` of ``model``'s blended CPM at its date.
    """
    new = df[df["model"] == model].iloc[0]
    rest = df[df["model"] != model]
    if provider is not None:
        rest = rest[rest["provider"] == provider]
    fit = fit_trend(rest["years"].to_numpy(), rest["log_cpm"].to_numpy(), provider or "all")
    return prediction_pvalue(fit, float(new["years"]), float(new["log_cpm"]))
