"""How well a score ranks defaulters: Gini (accuracy ratio) and Kolmogorov-Smirnov."""

import numpy as np


def gini(score: np.ndarray, bad: np.ndarray) -> float:
    """2 AUC - 1, where AUC is the chance that a random good scores above a random bad
    (ties count half), from the Mann-Whitney rank sum."""
    score, bad = np.asarray(score, float), np.asarray(bad, bool)
    bads, goods = bad.sum(), (~bad).sum()
    if bads == 0 or goods == 0:
        return float("nan")
    # Ranks 1..n, tied scores sharing the average of the ranks they span.
    _, tie, count = np.unique(score, return_inverse=True, return_counts=True)
    below = np.cumsum(count) - count
    ranks = (below + (count + 1) / 2)[tie]
    auc = (ranks[~bad].sum() - goods * (goods + 1) / 2) / (goods * bads)
    return float(2 * auc - 1)


def ks(score: np.ndarray, bad: np.ndarray) -> float:
    """Largest gap between the cumulative shares of bads and goods below a score."""
    score, bad = np.asarray(score, float), np.asarray(bad, bool)
    if bad.all() or not bad.any():
        return float("nan")
    cuts = np.unique(score)
    below_bad = np.searchsorted(np.sort(score[bad]), cuts, side="right") / bad.sum()
    below_good = np.searchsorted(np.sort(score[~bad]), cuts, side="right") / (~bad).sum()
    return float(np.max(np.abs(below_bad - below_good)))
