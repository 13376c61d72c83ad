"""How the latent credit-risk factor turns into overdue days and defaults.

A current obligation falls overdue with a hazard that grows with the
customer's risk factor; an overdue one cures with a chance that falls with
it. Crossing 90 days past due is a default (the regulator's non-performing
line), which the truth records so credit grades can be back-tested.
"""

import numpy as np

DEFAULT_DPD = 90


def initial_dpd(rng: np.random.Generator, risk: np.ndarray) -> np.ndarray:
    """Days past due on the first simulated day: risky books start partly overdue."""
    overdue = rng.random(len(risk)) < 1 / (1 + np.exp(3.6 - 1.3 * risk))
    return np.where(overdue, np.minimum(rng.geometric(1 / 25, len(risk)), 400), 0)


def advance(rng: np.random.Generator, dpd: np.ndarray, risk: np.ndarray, days: int,
            hazard: float, cure: float) -> np.ndarray:
    """Days past due after `days` more days; hazard and cure are per step."""
    u = rng.random(len(dpd))
    enters = (dpd == 0) & (u < hazard * np.exp(1.1 * risk))
    cures = (dpd > 0) & (u < cure * np.exp(-0.8 * risk)) & (dpd <= 180)
    out = np.where(dpd > 0, dpd + days, 0)
    out[enters] = days if days > 1 else 1
    out[cures] = 0
    return out


def five_class(dpd: np.ndarray) -> np.ndarray:
    """The regulator's five classes from days past due (1 normal .. 5 loss)."""
    return np.select([dpd == 0, dpd <= 90, dpd <= 180, dpd <= 360], ["1", "2", "3", "4"], "5")


def newly_defaulted(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    return (before <= DEFAULT_DPD) & (after > DEFAULT_DPD)
