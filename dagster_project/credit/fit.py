"""`bank360 credit fit`: fit the individual scorecard on a warehouse's history, test it out of
time, and write it as the next version of the scorecard seeds (dbt/seeds/credit/).

The sample is the warehouse's own (intermediate.int_credit__development_sample): the same
characteristics the daily build grades on, so the fitted card scores in the warehouse
exactly as it did here. A bank refits on its own history with the same command.
"""

import csv
import datetime as dt
from pathlib import Path

import numpy as np

from ..warehouse_reader import open_read_only
from . import metrics, scorecard

MODELS_SEED = "scorecard_models.csv"
BINS_SEED = "scorecard_bins.csv"
SEGMENT = "I"  # individuals; corporates have their own (expert) card
MODEL_FIELDS = ["model_version", "segment", "is_active", "method", "base_score", "base_odds", "points_to_double_odds",
                "horizon_months", "development_from", "development_to", "out_of_time_from", "out_of_time_to",
                "observations", "defaults", "gini_development", "gini_out_of_time", "ks_out_of_time", "fitted_on"]
VALIDATION_SEED = "scorecard_validation.csv"
VALIDATION_FIELDS = ["model_version", "grade", "notch", "observations", "defaults", "default_rate"]
BIN_FIELDS = ["model_version", "characteristic", "bin_no", "value_from", "value_to", "is_missing_bin", "points", "woe",
              "observations", "defaults"]


def read_sample(warehouse: Path) -> tuple[dict[str, np.ndarray], list[str]]:
    """Observations with a complete performance window, as arrays, and the characteristic names."""
    with open_read_only(warehouse) as con:
        table = con.execute(
            "select * from intermediate.int_credit__development_sample where window_complete and customer_kind = ?",
            [SEGMENT]).to_arrow_table()
    keys = {"month_start", "as_of_date", "customer_id", "customer_kind", "is_bad", "window_complete"}
    characteristics = [name for name in table.column_names if name not in keys]
    sample = {name: table[name].to_numpy(zero_copy_only=False) for name in keys & set(table.column_names)}
    # Characteristics as floats, a missing value as NaN (the scorecard's missing bin). Through Python's
    # float(Decimal), the nearest double: Arrow's decimal cast can be a unit off in the last place.
    sample |= {name: np.array([np.nan if v is None else float(v) for v in table[name].to_pylist()])
               for name in characteristics}
    return sample, characteristics


def _rows(sample: dict[str, np.ndarray], mask: np.ndarray) -> dict[str, np.ndarray]:
    return {name: values[mask] for name, values in sample.items()}


def read_seed(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def write_seed(path: Path, fields: list[str], rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def grade_of(pd_: np.ndarray, scale: list[dict]) -> np.ndarray:
    """The master-scale grade of each PD (performing grades only)."""
    performing = sorted((r for r in scale if r["grade"] != "D"), key=lambda r: float(r["pd_from"]))
    starts = np.array([float(r["pd_from"]) for r in performing])
    return np.array([r["grade"] for r in performing])[np.searchsorted(starts, pd_, side="right") - 1]


def fit(warehouse: Path, out_of_time_from: dt.date, seeds: Path, base_score: float = 600, base_odds: float = 50,
        points_to_double_odds: float = 20) -> dict:
    sample, candidates = read_sample(warehouse)
    months = sample["month_start"].astype("datetime64[D]")
    development = months < np.datetime64(out_of_time_from)
    if not development.any() or development.all():
        raise ValueError(f"--out-of-time-from {out_of_time_from} leaves no development or no out-of-time "
                         f"observations (complete windows from {months.min()} to {months.max()})")
    dev, oot = _rows(sample, development), _rows(sample, ~development)
    dev_bad, oot_bad = dev["is_bad"].astype(bool), oot["is_bad"].astype(bool)
    if dev_bad.sum() < 10:
        raise ValueError(f"only {dev_bad.sum()} defaults in the development sample: a longer history is needed")
    kept, intercept = scorecard.fit(dev, dev_bad, candidates)
    scorecard.assign_points(kept, intercept, base_score, base_odds, points_to_double_odds)
    params = {r["parameter"]: float(r["value"]) for r in read_seed(seeds / "credit_parameters.csv")}

    models = read_seed(seeds / MODELS_SEED)
    version = f"individual-{1 + sum(r['segment'] == SEGMENT and r['method'] != 'expert' for r in models)}"
    dev_score, oot_score = scorecard.score(kept, dev), scorecard.score(kept, oot)
    oot_months = months[~development]
    result = {
        "model_version": version, "segment": SEGMENT, "is_active": "true", "method": "woe-logistic",
        "base_score": base_score, "base_odds": base_odds, "points_to_double_odds": points_to_double_odds,
        "horizon_months": int(params["performance_window_months"]),
        "development_from": str(months[development].min()), "development_to": str(months[development].max()),
        "out_of_time_from": str(oot_months.min()), "out_of_time_to": str(oot_months.max()),
        "observations": int(development.sum()), "defaults": int(dev_bad.sum()),
        "gini_development": round(metrics.gini(dev_score, dev_bad), 4),
        "gini_out_of_time": round(metrics.gini(oot_score, oot_bad), 4),
        "ks_out_of_time": round(metrics.ks(oot_score, oot_bad), 4),
        "fitted_on": dt.date.today().isoformat(),
    }
    by_grade = _by_grade(oot_score, oot_bad, result, params, read_seed(seeds / "credit_master_scale.csv"))
    # Everything is computed before any seed is written: a failed fit leaves the seeds as they were.
    for row in models:
        if row["segment"] == SEGMENT:
            row["is_active"] = "false"
    write_seed(seeds / MODELS_SEED, MODEL_FIELDS, [*models, result])
    bins = read_seed(seeds / BINS_SEED)
    for c in kept:
        for number, b in enumerate(c.bins, start=1):
            bins.append({"model_version": version, "characteristic": c.name, "bin_no": number,
                         "value_from": "" if b.value_from is None else b.value_from,
                         "value_to": "" if b.value_to is None else b.value_to,
                         "is_missing_bin": str(b.is_missing).lower(), "points": b.points,
                         "woe": round(b.woe, 4), "observations": b.observations, "defaults": b.defaults})
    write_seed(seeds / BINS_SEED, BIN_FIELDS, bins)
    # The out-of-time default rates by grade are kept with the card: its validation record.
    validation = read_seed(seeds / VALIDATION_SEED) if (seeds / VALIDATION_SEED).exists() else []
    validation += [dict(zip(VALIDATION_FIELDS, (version, *row), strict=True)) for row in by_grade]
    write_seed(seeds / VALIDATION_SEED, VALIDATION_FIELDS, validation)
    return result | {"oot_by_grade": by_grade, "characteristics": [
        (c.name, round(c.information_value, 3), round(c.coefficient, 3)) for c in kept]}


def load_card(seeds: Path, version: str) -> list[scorecard.Characteristic]:
    """A scorecard version as the seeds hold it (the bins the dbt models join on)."""
    def bound(text: str) -> float | None:
        return float(text) if text else None

    rows = [r for r in read_seed(seeds / BINS_SEED) if r["model_version"] == version]
    names = dict.fromkeys(r["characteristic"] for r in rows)
    return [scorecard.Characteristic(name, [
        scorecard.Bin(bound(r["value_from"]), bound(r["value_to"]), r["is_missing_bin"] == "true", 0, 0,
                      points=int(r["points"]))
        for r in sorted((r for r in rows if r["characteristic"] == name), key=lambda r: int(r["bin_no"]))], 0)
        for name in names]


def _by_grade(score: np.ndarray, bad: np.ndarray, model: dict, params: dict, scale: list[dict]) -> list[tuple]:
    """Out-of-time observations and default rate per master-scale grade, best grade first."""
    odds = model["base_odds"] * np.power(2.0, (score - model["base_score"]) / model["points_to_double_odds"])
    pd_horizon = 1 / (1 + odds)
    pd_ = 1 - np.power(1 - pd_horizon, params["pd_horizon_months"] / model["horizon_months"])
    grades = grade_of(pd_, scale)
    rows = []
    for r in sorted(scale, key=lambda r: int(r["notch"])):
        mask = grades == r["grade"]
        if mask.any():
            rows.append((r["grade"], int(r["notch"]), int(mask.sum()), int(bad[mask].sum()),
                         round(float(bad[mask].mean()), 4)))
    return rows


def report(result: dict) -> str:
    """The fit in words: the sample, how well it ranks, what it kept, default rates by grade."""
    lines = [
        f"{result['model_version']}: development {result['development_from']} .. {result['development_to']} "
        f"({result['observations']:,} observations, {result['defaults']:,} defaults), "
        f"out of time {result['out_of_time_from']} .. {result['out_of_time_to']}, "
        f"window {result['horizon_months']} months",
        f"Gini development {result['gini_development']:.3f}, out of time {result['gini_out_of_time']:.3f}; "
        f"KS out of time {result['ks_out_of_time']:.3f}",
        "characteristics (information value, coefficient): " + ", ".join(
            f"{name} ({iv}, {coefficient})" for name, iv, coefficient in result["characteristics"]),
        "out of time by grade (grade, observations, defaults, default rate):",
        *(f"  {grade:5} {n:7,} {bad:5,} {rate:8.2%}" for grade, _, n, bad, rate in result["oot_by_grade"]),
    ]
    return "\n".join(lines)
