"""Credit grading (docs/credit-model.md): the scorecard fitting and its measures on data of known
risk, the warehouse scoring exactly as the fitted card says, grades, XAY and warnings recomputed
from the seeds, and the active card's out-of-time validation record."""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pytest
from conftest import query

from dagster_project import settings
from dagster_project.credit import fit, metrics, scorecard

SEEDS = settings.DBT_DIR / "seeds" / "credit"


def _seed(name: str) -> list[dict]:
    return fit.read_seed(SEEDS / f"{name}.csv")


def _parameter(name: str) -> Decimal:
    return next(Decimal(r["value"]) for r in _seed("credit_parameters") if r["parameter"] == name)


def test_gini_and_ks_agree_with_their_definitions():
    rng = np.random.default_rng(1)
    score = rng.integers(500, 700, 400).astype(float)  # many ties
    bad = rng.random(400) < 1 / (1 + np.exp((score - 560) / 20))
    goods, bads = score[~bad], score[bad]
    # AUC: the chance a good scores above a bad, ties counting half.
    pairs = (goods[:, None] > bads[None, :]).mean() + 0.5 * (goods[:, None] == bads[None, :]).mean()
    assert metrics.gini(score, bad) == pytest.approx(2 * pairs - 1)
    cuts = np.unique(score)
    gaps = [abs((bads <= c).mean() - (goods <= c).mean()) for c in cuts]
    assert metrics.ks(score, bad) == pytest.approx(max(gaps))
    assert metrics.gini(-score, bad) == pytest.approx(-metrics.gini(score, bad))


def test_the_fit_recovers_the_risk_it_was_given():
    """Two informative characteristics (one with missing values), one pure noise: the card ranks
    held-out data nearly as well as the true model, leaves the noise out, and its points fall as
    risk rises."""
    rng = np.random.default_rng(7)
    n = 40_000
    overdue = rng.poisson(0.4, n).astype(float) * 10
    utilisation = rng.beta(2, 3, n)
    utilisation[rng.random(n) < 0.2] = np.nan  # no card
    noise = rng.normal(size=n)
    logit = -4.5 + 0.08 * overdue + 2.5 * np.nan_to_num(utilisation, nan=0.3)
    bad = rng.random(n) < 1 / (1 + np.exp(-logit))
    sample = {"overdue": overdue, "utilisation": utilisation, "noise": noise}
    train = np.arange(n) < n // 2
    kept, intercept = scorecard.fit({k: v[train] for k, v in sample.items()}, bad[train],
                                    ["overdue", "utilisation", "noise"])
    assert [c.name for c in kept] == ["overdue", "utilisation"]
    scorecard.assign_points(kept, intercept, 600, 50, 20)
    held_out = {k: v[~train] for k, v in sample.items()}
    gini = metrics.gini(scorecard.score(kept, held_out), bad[~train])
    assert gini >= metrics.gini(-logit[~train], bad[~train]) - 0.03
    for c in kept:
        points = [b.points for b in c.bins if not b.is_missing]
        assert points == sorted(points, reverse=True), f"{c.name}: points must fall as risk rises"
    # The score's scale: 20 more points double the good:bad odds of the sample.
    score = scorecard.score(kept, held_out)
    odds = lambda s: (~bad[~train][score >= s]).sum() / max(bad[~train][score >= s].sum(), 1)  # noqa: E731
    assert odds(np.median(score) + 20) > odds(np.median(score))


def test_the_warehouse_scores_as_the_active_scorecards_say(built_bank):
    """Each characteristic's points in the warehouse are those of the card's bin for its value
    (the Python scorer the fit is measured with), and the score is their sum."""
    models = {r["segment"]: r for r in _seed("scorecard_models") if r["is_active"] == "true"}
    assert set(models) == {"I", "N", "C"}, "one active scorecard per segment"
    rows = query(built_bank, """
        select features.*, scores.score, scores.model_version
        from intermediate.int_credit__features_monthly as features
        join intermediate.int_credit__scores_monthly as scores using (month_start, customer_id)""")
    columns = [c for (c,) in query(built_bank, """select column_name from information_schema.columns
        where table_name = 'int_credit__features_monthly' order by ordinal_position""")] + ["score", "model_version"]
    records = [dict(zip(columns, row, strict=True)) for row in rows]
    assert records
    for segment, model in models.items():
        card = fit.load_card(SEEDS, model["model_version"])
        # Individuals without credit are outside the fitted card's population: their own card.
        mine = [r for r in records if ("N" if r["customer_kind"] == "I" and not r["has_credit"] else
                                       r["customer_kind"]) == segment]
        assert mine and all(r["model_version"] == model["model_version"] for r in mine)
        sample = {c.name: np.array([np.nan if r[c.name] is None else float(r[c.name]) for r in mine]) for c in card}
        assert scorecard.score(card, sample).tolist() == [r["score"] for r in mine]


def test_grades_pd_and_xay_follow_the_master_scale(built_bank):
    scale = {r["grade"]: r for r in _seed("credit_master_scale")}
    bands = sorted(_seed("credit_limit_bands"), key=lambda r: Decimal(r["limit_from_cny"]))
    policy = {r["grade"]: r for r in _seed("credit_limit_policy")}
    models = {r["model_version"]: r for r in _seed("scorecard_models")}
    horizon = _parameter("pd_horizon_months")
    rows = query(built_bank, """
        select grades.score, grades.model_version, grades.system_pd, grades.system_grade, grades.final_grade,
               grades.override_id, grades.xay, grades.recommended_limit_cny, features.annual_income,
               features.deposit_balance_cny, features.is_in_default
        from marts.credit_grade_monthly as grades
        join intermediate.int_credit__features_monthly as features using (month_start, customer_id)""")
    assert rows
    for score, version, pd_, system, final, override, xay, limit, income, deposits, in_default in rows:
        model = models[version]
        doubling = (score - float(model["base_score"])) / float(model["points_to_double_odds"])
        odds = float(model["base_odds"]) * 2 ** doubling
        expected_pd = 1 - (1 - 1 / (1 + odds)) ** (float(horizon) / int(model["horizon_months"]))
        if in_default:
            assert (system, pd_) == ("D", Decimal(1))
            continue
        assert float(pd_) == pytest.approx(expected_pd, abs=1e-6)
        performing = sorted((r for r in scale.values() if r["grade"] != "D"), key=lambda r: Decimal(r["pd_from"]))
        assert system == max((r for r in performing if Decimal(r["pd_from"]) <= Decimal(str(expected_pd))),
                             key=lambda r: Decimal(r["pd_from"]))["grade"]
        assert override is not None or final == system
        expected_limit = ((income or 0) * Decimal(policy[final]["income_multiple"])
                          + deposits * Decimal(policy[final]["deposit_multiple"])).quantize(Decimal("0.01"),
                                                                                            ROUND_HALF_UP)
        assert limit == expected_limit
        band = max((b for b in bands if Decimal(b["limit_from_cny"]) <= limit),
                   key=lambda b: Decimal(b["limit_from_cny"]))["limit_band"]
        assert xay == band + scale[final]["characteristic_grade"]


def test_every_warning_that_should_fire_does_and_says_since_when(built_bank):
    rules = {r["rule_code"]: r for r in _seed("early_warning_rules")}
    features = query(built_bank, """
        select month_start, as_of_date, customer_id, days_past_due, five_class_change, card_utilisation,
               case when deposit_balance_lookback_cny > 0 then -deposit_change end
        from intermediate.int_credit__features_monthly""")
    fired = {(m, c, rule): since for m, c, rule, since in query(
        built_bank, "select month_start, customer_id, rule_code, since_date from marts.credit_watch_list_monthly")}
    measures = ["days_past_due", "five_class_change", "card_utilisation", "deposit_outflow"]
    expected = set()
    for month, as_of, customer, *values in features:
        observed = dict(zip(measures, values, strict=True))
        for code, rule in rules.items():
            value = observed.get(rule["measure"])
            if value is not None and Decimal(str(value)) >= Decimal(rule["threshold"]):
                expected.add((month, customer, code))
                if rule["measure"] == "days_past_due":
                    crossed = as_of - dt.timedelta(days=int(value - Decimal(rule["threshold"])))
                    assert fired[(month, customer, code)] == crossed
    assert expected, "the messy bank has overdue customers"
    assert {k for k in fired if rules[k[2]]["measure"] != "grade_drop"} == expected


def test_the_active_individual_card_was_validated_out_of_time():
    """The committed card is fitted on simulated history (docs/credit-model.md) and kept only if it
    ranks out of time: Gini at least 0.6, and default rates that rise from the best grade to the worst."""
    model = next(r for r in _seed("scorecard_models") if r["segment"] == "I" and r["is_active"] == "true")
    assert model["method"] == "woe-logistic"
    assert model["out_of_time_from"] > model["development_to"]
    assert float(model["gini_out_of_time"]) >= 0.6
    by_grade = sorted((r for r in _seed("scorecard_validation") if r["model_version"] == model["model_version"]),
                      key=lambda r: int(r["notch"]))
    rates = [float(r["default_rate"]) for r in by_grade]
    assert len(by_grade) >= 4 and sum(int(r["defaults"]) for r in by_grade) >= 30
    assert rates == sorted(rates), f"default rates by grade must rise: {rates}"


def test_the_grade_history_does_not_depend_on_how_deliveries_arrived(replayed, built_bank):
    """Deliveries arriving one by one (late, redelivered) with incremental builds in between grade
    every customer as one build of them all does, warnings and migrations included. Customers
    are named by their first source record (customer numbers follow arrival order)."""
    _, warehouse, _, _, _ = replayed
    named = """(select customer_id, min(source_system || ':' || source_customer_id) as first_record
                from marts.customer_xref group by customer_id) as records"""
    grades = f"""select month_start, records.first_record, score, system_grade, final_grade, xay, exposure_cny
                 from marts.credit_grade_monthly join {named} using (customer_id) order by all"""
    warnings = f"""select month_start, records.first_record, rule_code, since_date
                   from marts.credit_watch_list_monthly join {named} using (customer_id) order by all"""
    migrations = "select * exclude (as_of_date) from marts.credit_migration_monthly order by all"
    for sql in (grades, warnings, migrations):
        replayed_rows = query(warehouse, sql)
        assert replayed_rows and replayed_rows == query(built_bank, sql)
