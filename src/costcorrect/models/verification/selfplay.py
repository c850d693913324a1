"""Setter–solver–verifier self-play (VHG, Lai et al. 2026, arXiv:2605.06660) in miniature.

* :func:`setter_reward` — the VHG setter reward ``1[verifier accepts] · (1 − solver accuracy)``;
* :func:`hacking_condition` — the SymPy inequality under which an invalid ("hacked") problem earns a
  higher expected reward than an honest hard one, and :func:`false_accept_threshold` solving it;
* :func:`hard_verify_antiderivative` — a SymPy "Hard" verifier for indefinite integrals (F' = f);
* :func:`simulate` — a small seeded self-play simulation, with or without a verifier;
* :func:`cost_per_correct_factor` — an accuracy lift read as a change in Cost-correct's α.

The simulation is a *reconstruction*: the paper's training dynamics are not public. Its parameters are
stated in :class:`SelfPlayConfig`; every quantity is dimensionless.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import sympy as sp

from costcorrect.models.foundations import core

# symbols of the reward algebra (all probabilities in [0, 1])
t_a, f_a, a_h, a_inv = sp.symbols("t_a f_a a_h a_inv", nonnegative=True)
accept, acc = sp.symbols("accept acc", nonnegative=True)


def setter_reward(accepted, solver_accuracy):
    """VHG setter reward: verifier accept (0/1 or probability) × (1 − solver accuracy)."""
    return accepted * (1 - solver_accuracy)


def setter_reward_expr() -> sp.Expr:
    """The setter reward as a SymPy expression in ``accept`` and ``acc``."""
    return setter_reward(accept, acc)


def expected_rewards() -> dict[str, sp.Expr]:
    """Expected setter reward of an honest hard problem and of an invalid ('hacked') one.

    A valid problem is accepted with the verifier's true-accept rate ``t_a`` and the solver solves it
    with probability ``a_h``; an invalid problem is accepted with the false-accept rate ``f_a`` and the
    solver matches its (wrong or missing) reference with probability ``a_inv``.
    """
    r = setter_reward_expr()
    return {"honest": r.subs({accept: t_a, acc: a_h}), "hack": r.subs({accept: f_a, acc: a_inv})}


def hacking_condition() -> sp.Expr:
    """The inequality 'hacking pays more than an honest hard problem'."""
    e = expected_rewards()
    return e["hack"] > e["honest"]


def false_accept_threshold() -> sp.Expr:
    """The false-accept rate above which hacking pays: solves E[hack] = E[honest] for ``f_a``."""
    e = expected_rewards()
    (sol,) = sp.solve(sp.Eq(e["hack"], e["honest"]), f_a)
    return sp.simplify(sol)


def hard_verify_antiderivative(F: str | sp.Expr, f: str | sp.Expr, x: str = "x") -> bool:
    """Accept the pair (integrand f, claimed antiderivative F) iff d/dx F − f simplifies to 0.

    Unparseable input is rejected (returns False), as a verifier's pre-filter would.
    """
    xs = sp.Symbol(x)
    try:
        Fe = sp.sympify(F, locals={x: xs}) if isinstance(F, str) else F
        fe = sp.sympify(f, locals={x: xs}) if isinstance(f, str) else f
    except (sp.SympifyError, SyntaxError, TypeError):
        return False
    if not isinstance(Fe, sp.Expr) or not isinstance(fe, sp.Expr):
        return False
    return bool(sp.simplify(sp.diff(Fe, xs) - fe) == 0)


def cost_per_correct_factor(
    acc_before, acc_after, cpm: float = 1.0, r: float = 1.0, rho_bar: float = 0.0
):
    """Cost-correct after ÷ before when the accept rate α moves from ``acc_before`` to ``acc_after``.

    Uses :func:`costcorrect.models.foundations.core.cost_correct` with CPM, R and ρ̄ held fixed (they cancel).
    """
    return core.cost_correct(cpm, r, rho_bar, acc_after) / core.cost_correct(
        cpm, r, rho_bar, acc_before
    )


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


@dataclass(frozen=True)
class SelfPlayConfig:
    """Parameters of the toy self-play loop (a reconstruction; see the chapter for the reasoning).

    The setter chooses a target difficulty ``d`` from ``levels``; a problem aimed at ``d`` is valid with
    probability ``sigmoid(setter_skill − d)`` (aiming beyond its competence yields ill-posed problems).
    The solver solves a valid problem with probability ``sigmoid(solver_skill − d)`` and an invalid one
    with probability ``a_invalid``. The verifier accepts valid problems with ``true_accept`` and invalid
    ones with ``false_accept``; ``verifier=False`` accepts everything (naive two-party self-play).

    Training budget: each iteration the solver spends a fixed budget of training slots on the
    problems it is given (the accepted ones, or every generated one when ``filter_training`` is
    False). Its step is the *mean* GRPO-like signal ``4·â(1−â)`` over that pool, so an invalid
    problem occupies a slot and teaches nothing (and, with ``invalid_harm`` > 0, teaches wrong
    answers in proportion to its share of the pool).
    """

    verifier: bool = True
    true_accept: float = 1.0
    false_accept: float = 0.0
    iterations: int = 60
    problems_per_iter: int = 256
    attempts: int = 8  # solver samples per problem (the difficulty estimate)
    levels: tuple = tuple(np.round(np.linspace(-2.0, 6.0, 17), 3))
    setter_skill: float = 2.0
    solver_skill0: float = 0.0
    setter_lr: float = 2.0
    solver_lr: float = 0.08
    invalid_harm: float = 0.0  # skill lost per unit share of invalid problems trained on
    a_invalid: float = 0.0
    filter_training: bool = (
        True  # the solver trains only on accepted problems (False: on all generated)
    )
    benchmark: tuple = field(default=tuple(np.round(np.linspace(-1.5, 3.5, 21), 3)))


def simulate(cfg: SelfPlayConfig, seed: int) -> pd.DataFrame:
    """Run the self-play loop; one row per iteration.

    Columns: ``iteration``, ``solver_skill``, ``benchmark_accuracy`` (mean solve rate on the fixed
    valid benchmark), ``invalid_share`` (of generated problems), ``accepted_invalid_share`` (of problems
    the solver trains on), ``mean_target`` (setter's mean target difficulty), ``mean_reward``.
    """
    rng = np.random.default_rng(seed)
    levels = np.asarray(cfg.levels, dtype=float)
    bench = np.asarray(cfg.benchmark, dtype=float)
    logits = np.zeros(levels.size)
    s = float(cfg.solver_skill0)
    n = cfg.problems_per_iter
    rows = []
    for it in range(cfg.iterations + 1):
        pi = np.exp(logits - logits.max())
        pi /= pi.sum()
        k = rng.choice(levels.size, size=n, p=pi)
        d = levels[k]
        valid = rng.random(n) < _sigmoid(cfg.setter_skill - d)
        p_solve = np.where(valid, _sigmoid(s - d), cfg.a_invalid)
        acc_hat = rng.binomial(cfg.attempts, p_solve) / cfg.attempts
        if cfg.verifier:
            accepted = rng.random(n) < np.where(valid, cfg.true_accept, cfg.false_accept)
        else:
            accepted = np.ones(n, dtype=bool)
        reward = setter_reward(accepted.astype(float), acc_hat)
        rows.append(
            {
                "iteration": it,
                "solver_skill": s,
                "benchmark_accuracy": float(_sigmoid(s - bench).mean()),
                "invalid_share": float((~valid).mean()),
                "accepted_invalid_share": float((accepted & ~valid).sum() / max(accepted.sum(), 1)),
                "trained_invalid_share": float(
                    ((accepted if cfg.filter_training else np.ones(n, bool)) & ~valid).sum()
                    / max((accepted if cfg.filter_training else np.ones(n, bool)).sum(), 1)
                ),
                "mean_target": float((pi * levels).sum()),
                "mean_reward": float(reward.mean()),
            }
        )
        if it == cfg.iterations:
            break
        # setter: REINFORCE with a mean baseline on the categorical policy
        adv = reward - reward.mean()
        onehot = np.zeros((n, levels.size))
        onehot[np.arange(n), k] = 1.0
        logits = logits + cfg.setter_lr * (adv[:, None] * (onehot - pi)).mean(axis=0)
        # solver: a fixed training budget spread over its pool (accepted problems, or all generated
        # ones when filter_training is False). The step is the mean GRPO-like signal 4·â(1−â) over
        # the pool: invalid problems take slots and teach nothing (optionally, they harm).
        train = accepted if cfg.filter_training else np.ones(n, dtype=bool)
        pool = max(int(train.sum()), 1)
        signal = np.where(train & valid, 4 * acc_hat * (1 - acc_hat), 0.0).sum() / pool
        harm = cfg.invalid_harm * (train & ~valid).sum() / pool
        s = s + cfg.solver_lr * signal - harm
    return pd.DataFrame(rows)


def simulate_arms(arms: dict[str, SelfPlayConfig], seeds) -> pd.DataFrame:
    """Run each configuration for each seed; a long DataFrame with ``arm`` and ``seed`` columns."""
    out = []
    for name, cfg in arms.items():
        for sd in seeds:
            df = simulate(cfg, int(sd))
            df.insert(0, "seed", int(sd))
            df.insert(0, "arm", name)
            out.append(df)
    return pd.concat(out, ignore_index=True)


def default_arms(
    base: SelfPlayConfig | None = None, soft_false_accept: float = 0.2
) -> dict[str, SelfPlayConfig]:
    """Four arms: naive (no verifier), VHG with a Hard (exact) verifier, the Hard verifier in the setter's
    reward only (the solver still trains on every generated problem, so only the setter-drift channel
    acts), and VHG with a leaky Soft verifier."""
    base = base or SelfPlayConfig()
    return {
        "no verifier (naive self-play)": replace(base, verifier=False),
        "VHG, hard verifier": replace(base, verifier=True, true_accept=1.0, false_accept=0.0),
        "hard verifier in setter reward only": replace(
            base, verifier=True, true_accept=1.0, false_accept=0.0, filter_training=False
        ),
        f"VHG, soft verifier (false accept {soft_false_accept:g})": replace(
            base, verifier=True, true_accept=0.95, false_accept=soft_false_accept
        ),
    }


def final_paired(sim: pd.DataFrame, metric: str, arm_a: str, arm_b: str) -> np.ndarray:
    """Per-seed difference ``metric(arm_a) − metric(arm_b)`` at the last iteration (arms share seeds)."""
    last = sim[sim.iteration == sim.iteration.max()].set_index(["arm", "seed"])[metric]
    a, b = last.loc[arm_a], last.loc[arm_b]
    return (a - b.loc[a.index]).to_numpy(dtype=float)


def t_interval(x: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and two-sided Student-t confidence interval of the mean of ``x`` (one value per seed)."""
    from scipy import stats

    x = np.asarray(x, dtype=float)
    m = float(x.mean())
    if x.size < 2:
        return m, m, m
    h = float(stats.t.ppf(0.5 + level / 2, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size))
    return m, m - h, m + h


def arm_summary(sim: pd.DataFrame) -> pd.DataFrame:
    """Per arm: benchmark accuracy at the start and, averaged over seeds, the final metrics."""
    last = sim[sim.iteration == sim.iteration.max()]
    cols = ["benchmark_accuracy", "invalid_share", "trained_invalid_share", "mean_target"]
    out = last.groupby("arm", sort=False)[cols].mean()
    start = sim[sim.iteration == 0].groupby("arm", sort=False)["benchmark_accuracy"].mean()
    out.insert(0, "benchmark_accuracy_start", start)
    return out


def leakage_sweep(
    base: SelfPlayConfig, seeds, false_accepts, true_accept: float = 0.95
) -> pd.DataFrame:
    """Final metrics (mean over seeds) of a Soft-verifier arm at each false-accept rate."""
    arms = {
        f"{fa:.3f}": replace(base, verifier=True, true_accept=true_accept, false_accept=fa)
        for fa in false_accepts
    }
    sim = simulate_arms(arms, seeds)
    last = sim[sim.iteration == base.iterations].assign(
        false_accept=lambda d: d["arm"].astype(float)
    )
    cols = ["mean_target", "invalid_share", "accepted_invalid_share", "benchmark_accuracy"]
    out = last.groupby("false_accept")[cols].mean()
    out.insert(2, "invalid_share_start", float(sim[sim.iteration == 0]["invalid_share"].mean()))
    return out


def trajectory_bands(sim: pd.DataFrame) -> pd.DataFrame:
    """Mean, min and max over seeds of benchmark accuracy and invalid share, per arm and iteration."""
    names = {
        "benchmark_accuracy": "solver accuracy on valid benchmark",
        "invalid_share": "share of generated problems invalid",
    }
    long = sim.melt(id_vars=["arm", "seed", "iteration"], value_vars=list(names), var_name="metric")
    agg = long.groupby(["arm", "iteration", "metric"], sort=False)["value"].agg(
        ["mean", "min", "max"]
    )
    agg = agg.reset_index()
    agg["metric"] = agg["metric"].map(names)
    return agg


def safe_solver_accuracy(true_accept: float, false_accept: float, a_invalid: float = 0.0) -> float:
    """The solver accuracy ``a_h`` below which honest problems out-earn hacking (solves f_a = f_a*)."""
    return float(1 - false_accept * (1 - a_invalid) / true_accept)


def smallest_cost_cut(before, after, r_change: float = 1.0) -> float:
    """Smallest cut in cost per correct answer over benchmarks when the answer length R scales by
    ``r_change`` and α moves from ``before`` to ``after`` (CPM and ρ̄ fixed)."""
    return float((1 - r_change * cost_per_correct_factor(before, after)).min())
