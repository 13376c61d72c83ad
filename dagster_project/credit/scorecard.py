"""A points scorecard: coarse classing, weight of evidence, logistic regression, points.

The method is the textbook one risk teams audit: each characteristic is cut into a few
bins whose default rate moves one way only, every bin is coded by its weight of evidence
(WoE = ln(share of bads / share of goods), so riskier bins weigh more), a logistic
regression on the WoE codes gives each characteristic its weight, and the log-odds are
scaled to points (base_score points at base_odds good:bad, points_to_double_odds more
for twice the odds). Characteristics with little information, or whose weight comes out
with the wrong sign (collinear with a stronger one), are left out.
"""

from dataclasses import dataclass

import numpy as np

MAX_BINS = 8
MIN_BIN_SHARE = 0.05  # of the development sample, so each bin's default rate means something
MIN_INFORMATION_VALUE = 0.02  # below this a characteristic does not help rank
SMOOTHING = 0.5  # added to bad and good counts: a bin without bads keeps a finite WoE


@dataclass
class Bin:
    value_from: float | None  # inclusive; None = no lower bound
    value_to: float | None  # exclusive; None = no upper bound
    is_missing: bool
    observations: int
    defaults: int
    woe: float = 0.0
    points: int = 0


@dataclass
class Characteristic:
    name: str
    bins: list[Bin]
    information_value: float
    coefficient: float = 0.0


def _bin_index(values: np.ndarray, edges: list[float]) -> np.ndarray:
    """Bin of each non-missing value for bins [-inf, e1), [e1, e2), ..., [ek, inf)."""
    return np.searchsorted(np.asarray(edges), values, side="right")


def _woe(bads: np.ndarray, goods: np.ndarray, total_bads: int, total_goods: int) -> np.ndarray:
    return np.log(((bads + SMOOTHING) / (total_bads + SMOOTHING)) / ((goods + SMOOTHING) / (total_goods + SMOOTHING)))


def coarse_class(name: str, values: np.ndarray, bad: np.ndarray) -> Characteristic:
    """Quantile bins of at least MIN_BIN_SHARE of the sample, merged until the default rate
    is monotonic in the value (the direction the data shows overall), plus a missing bin."""
    missing = np.isnan(values)
    present, present_bad = values[~missing], bad[~missing]
    total_bads, total_goods = int(bad.sum()), int((~bad).sum())
    edges = []
    if len(present):
        quantiles = np.quantile(present, np.linspace(0, 1, MAX_BINS + 1)[1:-1]).tolist()
        edges = sorted({q for q in quantiles if q > present.min()})

    def counts(cuts):
        idx = _bin_index(present, cuts)
        n = np.bincount(idx, minlength=len(cuts) + 1)
        b = np.bincount(idx, weights=present_bad, minlength=len(cuts) + 1).astype(int)
        return n, b

    # Merge a bin that is too small into its smaller neighbour (removing the edge between them).
    n, b = counts(edges)
    while edges and n.min() < MIN_BIN_SHARE * len(values):
        i = int(np.argmin(n))
        edges.pop(0 if i == 0 else i - 1 if i == len(n) - 1 or n[i - 1] < n[i + 1] else i)
        n, b = counts(edges)
    # Merge adjacent bins until the default rate moves one way only.
    direction = np.sign(np.corrcoef(present, present_bad)[0, 1]) if len(edges) and present_bad.std() > 0 else 1
    while edges:
        rate = (b + SMOOTHING) / (n + 2 * SMOOTHING)
        steps = np.diff(rate) * direction
        if (steps > 0).all():
            break
        i = int(np.argmin(steps))  # the worst reversal: merge those two bins
        edges.pop(i)
        n, b = counts(edges)

    bounds = [None, *edges, None]
    bins = [Bin(bounds[i], bounds[i + 1], False, int(n[i]), int(b[i])) for i in range(len(n))]
    bins.append(Bin(None, None, True, int(missing.sum()), int(bad[missing].sum())))
    bads = np.array([x.defaults for x in bins])
    goods = np.array([x.observations - x.defaults for x in bins])
    woe = _woe(bads, goods, total_bads, total_goods)
    for x, w in zip(bins, woe, strict=True):
        # An empty bin (no missing values in the sample, say) is neutral.
        x.woe = float(w) if x.observations else 0.0
    share_bad = bads / max(total_bads, 1)
    share_good = goods / max(total_goods, 1)
    iv = float(np.sum((share_bad - share_good) * np.array([x.woe for x in bins])))
    return Characteristic(name, bins, iv)


def _per_bin(characteristic: Characteristic, values: np.ndarray, field: str) -> np.ndarray:
    """A bin attribute (woe, points) for each value: a value falls in exactly one bin."""
    regular = [x for x in characteristic.bins if not x.is_missing]
    missing_bin = next(x for x in characteristic.bins if x.is_missing)
    edges = [x.value_from for x in regular[1:]]
    looked_up = np.array([getattr(x, field) for x in regular])[_bin_index(np.nan_to_num(values), edges)]
    return np.where(np.isnan(values), getattr(missing_bin, field), looked_up)


def encode(characteristic: Characteristic, values: np.ndarray) -> np.ndarray:
    return _per_bin(characteristic, values, "woe")


def logistic(x: np.ndarray, y: np.ndarray, ridge: float = 1e-4, iterations: int = 50) -> np.ndarray:
    """Logistic regression by Newton-Raphson (IRLS) with a small ridge for stability; the
    first coefficient is the intercept."""
    design = np.column_stack([np.ones(len(x)), x])
    beta = np.zeros(design.shape[1])
    penalty = ridge * np.eye(design.shape[1])
    penalty[0, 0] = 0
    for _ in range(iterations):
        p = 1 / (1 + np.exp(-design @ beta))
        gradient = design.T @ (y - p) - penalty @ beta
        hessian = design.T @ (design * (p * (1 - p))[:, None]) + penalty
        step = np.linalg.solve(hessian, gradient)
        beta += step
        if np.abs(step).max() < 1e-8:
            break
    return beta


def fit(sample: dict[str, np.ndarray], bad: np.ndarray, candidates: list[str]) -> tuple[list[Characteristic], float]:
    """The characteristics kept, with their bins and coefficients, and the intercept."""
    classed = [coarse_class(name, sample[name].astype(float), bad) for name in candidates]
    kept = [c for c in classed if c.information_value >= MIN_INFORMATION_VALUE]
    codes = {c.name: encode(c, sample[c.name].astype(float)) for c in kept}  # once: refits drop columns only
    while True:
        x = np.column_stack([codes[c.name] for c in kept])
        beta = logistic(x, bad.astype(float))
        wrong = [i for i, coefficient in enumerate(beta[1:]) if coefficient <= 0]
        if not wrong:
            break
        # Drop the weakest wrong-signed characteristic and fit again.
        kept.pop(min(wrong, key=lambda i: kept[i].information_value))
    for c, coefficient in zip(kept, beta[1:], strict=True):
        c.coefficient = float(coefficient)
    return kept, float(beta[0])


def assign_points(kept: list[Characteristic], intercept: float, base_score: float, base_odds: float,
                  points_to_double_odds: float) -> None:
    """Points per bin: score = offset + factor * ln(odds good:bad), spread evenly over the
    characteristics, rounded to whole points."""
    factor = points_to_double_odds / np.log(2)
    offset = base_score - factor * np.log(base_odds)
    share = len(kept)
    for c in kept:
        for x in c.bins:
            x.points = int(round(offset / share - factor * (c.coefficient * x.woe + intercept / share)))


def score(kept: list[Characteristic], sample: dict[str, np.ndarray]) -> np.ndarray:
    """Total points of each row, as the dbt model int_credit__points_monthly adds them up."""
    return sum(_per_bin(c, sample[c.name].astype(float), "points").astype(np.int64) for c in kept)
