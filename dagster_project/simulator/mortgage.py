"""The housing-loan system: mortgage contracts and month-end positions."""

import numpy as np

from . import delinquency
from .feed import Columns, Feed, append, iso, money, numbered, rate_text
from .identity import fullwidth_with_spaces, mobile_variants
from .source_system import SourceSystem

MESSY_ID_SHARE = 0.2


def is_month_end(day: np.datetime64) -> bool:
    return str(day + 1)[8:10] == "01"


def annuity(principal: np.ndarray, annual_pct: np.ndarray, months: np.ndarray, paid: np.ndarray):
    """Monthly installment and the principal still owed after `paid` installments."""
    r = annual_pct / 100 / 12
    growth = (1 + r) ** months
    installment = principal * r * growth / (growth - 1)
    after = (1 + r) ** paid
    owed = principal * after - installment * (after - 1) / r
    return np.round(installment).astype(np.int64), np.maximum(np.round(owed), 0).astype(np.int64)


class Mortgage(SourceSystem):
    customer_table, customer_key = "loans", "mortgage_no"
    system = "mortgage"

    def __init__(self, rng: np.random.Generator, world):
        super().__init__(rng, world)
        self.loans: Columns = {}

    def enroll(self, batch: Columns, today: np.datetime64) -> None:
        rng = self.rng
        age_days = (today - batch["birth_date"]).astype("timedelta64[D]").astype(np.int64)
        adult = (batch["kind"] == "I") & (age_days > 25 * 365) & (age_days < 60 * 365)
        rows = np.flatnonzero(adult & (rng.random(len(adult)) < 0.08))
        n = len(rows)
        value = np.round(rng.lognormal(14.6, 0.5, n), -3) * 100
        ltv = rng.uniform(0.3, 0.8, n)
        term = rng.choice(np.array([120, 180, 240, 300, 360]), n)
        elapsed = rng.integers(0, term // 2)
        start = (today - elapsed * 30 - rng.integers(0, 28, n)).astype("datetime64[D]")
        fixed = rng.random(n) < 0.3
        rate = np.where(fixed, 49000, 42000) + rng.integers(-5, 6, n) * 500
        # A co-borrower is usually a spouse: another of the bank's persons.
        residents = batch["person_id"][batch["id_type"] == "01"]
        co = np.where(rng.random(n) < 0.3, residents[rng.integers(0, len(residents), n)], -1)
        co[co == batch["person_id"][rows]] = -1
        messy = rng.random(n) < MESSY_ID_SHARE
        id_text = batch["id_no"][rows].astype(object)
        for i in np.flatnonzero(messy).tolist():
            id_text[i] = fullwidth_with_spaces(id_text[i], rng)
        risk = batch["risk_z"][rows]
        first = len(self.loans.get("mortgage_no", []))
        loans = {
            "mortgage_no": numbered("MG", 100_000 + first, n, 10),
            "person_id": batch["person_id"][rows],
            "co_person_id": co,
            "id_text": id_text.astype(str),
            "mobile": mobile_variants(batch["mobile"][rows], rng, 0.25),
            "city": batch["city"][rows],
            "value": value.astype(np.int64),
            "amount": np.round(value * ltv, -4).astype(np.int64),
            "rate_type": np.where(fixed, "FIXED", "LPR_FLOAT"),
            "rate": rate.astype(np.int64),
            "start": start,
            "term": term,
            "dpd": delinquency.initial_dpd(rng, risk) // 30 * 30,
        }
        self.loans = append(self.loans, loans)
        self.world.record_defaults_from_dpd("mortgage", loans["mortgage_no"], loans["person_id"],
                                            loans["dpd"], today)

    def step(self, today: np.datetime64) -> None:
        if not is_month_end(today):
            return
        m = self.loans
        before = m["dpd"]
        after = delinquency.advance(self.rng, before, self.world.risk_of(m["person_id"]), 30, 0.004, 0.35)
        hit = delinquency.newly_defaulted(before, after)
        self.world.record_defaults("mortgage", m["mortgage_no"][hit], m["person_id"][hit], today, "90DPD")
        m["dpd"] = after

    def feeds(self, today: np.datetime64) -> list[Feed]:
        if not is_month_end(today):
            return []
        m = self.loans
        person = self.world.person_rows(m["person_id"])
        co_id = np.where(m["co_person_id"] >= 0,
                         self.world.person_rows(np.maximum(m["co_person_id"], 0))["id_no"], "")
        contracts = {
            "mortgage_no": m["mortgage_no"],
            "borrower_name": person["name"],
            "id_no": m["id_text"],
            "mobile": m["mobile"],
            "co_borrower_id_no": co_id,
            "property_city": m["city"],
            "property_value": money(m["value"]),
            "loan_amount": money(m["amount"]),
            "rate_type": m["rate_type"],
            "interest_rate": rate_text(m["rate"]),
            "start_date": iso(m["start"]),
            "term_months": m["term"].astype(str),
            "branch_code": person["branch_code"],
        }
        paid_months = np.clip((today - m["start"]).astype(np.int64) // 30, 0, m["term"])
        installment, owed = annuity(m["amount"].astype(float), m["rate"] / 10000, m["term"], paid_months)
        owed = np.where(paid_months >= m["term"], 0, owed)
        positions = {
            "mortgage_no": m["mortgage_no"],
            "outstanding_principal": money(owed),
            "installment_due": money(installment),
            "installment_paid": money(np.where(m["dpd"] == 0, installment, 0)),
            "days_past_due": m["dpd"].astype(str),
            "five_class": delinquency.five_class(m["dpd"]),
        }
        return [
            Feed("mortgage", "contracts", contracts, key="mortgage_no", control="loan_amount",
                 dates=("start_date",), amounts=("property_value", "loan_amount"),
                 numbers=("interest_rate", "term_months"), codes={"rate_type": ("FIXED", "LPR_FLOAT")},
                 id_column="id_no"),
            Feed("mortgage", "positions", positions, key="mortgage_no", ref=("mortgage_no", "contracts"),
                 control="outstanding_principal",
                 amounts=("outstanding_principal", "installment_due", "installment_paid"),
                 numbers=("days_past_due",), codes={"five_class": ("1", "2", "3", "4", "5")}),
        ]
