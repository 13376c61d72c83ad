"""Credit management: borrowers, loan contracts and their daily positions."""

import numpy as np

from . import delinquency
from .feed import Columns, Feed, append, iso, money, numbered, rate_text
from .identity import legacy_15, mobile_variants, stray_spaces
from .source_system import SourceSystem

# product -> (borrower kind, log-mean principal in CNY, term months range, repayment, collateral)
PRODUCTS = {
    "CONSUMER": ("I", 11.0, (12, 36), ("EPI",), ("NONE", "GUARANTEE")),
    "AUTO": ("I", 12.0, (36, 60), ("EPI",), ("VEHICLE",)),
    "BUSINESS": ("C", 13.5, (12, 60), ("EPI", "IOI"), ("PROPERTY", "GUARANTEE", "DEPOSIT_PLEDGE")),
    "WORKING_CAPITAL": ("C", 14.0, (12, 12), ("BULLET",), ("GUARANTEE", "NONE")),
}
BASE_RATE = {"CONSUMER": 60000, "AUTO": 48000, "BUSINESS": 42000, "WORKING_CAPITAL": 39000}
INDUSTRIES = np.array(["C", "F", "G", "I", "K", "L", "M"])


class Loan(SourceSystem):
    customer_table, customer_key = "borrowers", "borrower_id"
    system = "loan"

    def __init__(self, rng: np.random.Generator, world):
        super().__init__(rng, world)
        self.borrowers: Columns = {}
        self.contracts: Columns = {}

    def enroll(self, batch: Columns, today: np.datetime64) -> None:
        rng = self.rng
        corporate = batch["kind"] == "C"
        rows = np.flatnonzero(rng.random(len(corporate)) < np.where(corporate, 0.45, 0.10))
        person = {k: v[rows] for k, v in batch.items()}
        # Loan files migrated from the old system keep 15-digit identity numbers.
        id_no = person["id_no"].astype("<U18")
        born = person["birth_date"]
        legacy = ((person["id_type"] == "01") & (born < np.datetime64("2000-01-01"))
                  & (rng.random(len(rows)) < 0.3))
        id_no[legacy] = legacy_15(id_no[legacy])
        first = len(self.borrowers.get("borrower_id", []))
        borrowers = {
            "borrower_id": numbered("", 1000 + first, len(rows), 10),
            "person_id": person["person_id"],
            "name": stray_spaces(person["name"], rng, 0.02),
            "id_no": id_no,
            "mobile": mobile_variants(person["mobile"], rng, 0.15),
            "industry": np.where(person["kind"] == "C", rng.choice(INDUSTRIES, len(rows)), ""),
        }
        self.borrowers = append(self.borrowers, borrowers)
        count = 1 + (rng.random(len(rows)) < 0.25)
        self._open(first + np.repeat(np.arange(len(rows)), count), today, new_book=True)

    def _open(self, borrower_idx: np.ndarray, today: np.datetime64, new_book: bool) -> None:
        rng, n = self.rng, len(borrower_idx)
        person = self.world.person_rows(self.borrowers["person_id"][borrower_idx])
        corporate = person["kind"] == "C"
        product = np.where(corporate, rng.choice(np.array(["BUSINESS", "WORKING_CAPITAL"]), n),
                           rng.choice(np.array(["CONSUMER", "AUTO"]), n, p=[0.7, 0.3]))
        spec = [PRODUCTS[p] for p in product.tolist()]
        principal = np.round(rng.lognormal([s[1] for s in spec], 0.6), -3) * 100
        low, high = np.array([s[2] for s in spec], dtype=np.int64).reshape(-1, 2).T
        term = rng.integers(low, high + 1)
        elapsed = rng.integers(0, term) if new_book else np.zeros(n, int)
        start = (today - elapsed * 30 - rng.integers(0, 30, n)).astype("datetime64[D]")
        method = np.array([rng.choice(s[3]) for s in spec])
        collateral = np.array([rng.choice(s[4]) for s in spec])
        risk = self.world.risk_of(person["person_id"])
        rate = np.array([BASE_RATE[p] for p in product.tolist()]) + np.clip(risk, -2, 3) * 3000
        first = len(self.contracts.get("contract_no", []))
        contracts = {
            "contract_no": numbered("LN", 20_000_000 + first, n, 10),
            "borrower_idx": borrower_idx,
            "product": product,
            "principal": principal.astype(np.int64),
            "rate": np.round(rate, -2).astype(np.int64),
            "start": start,
            "maturity": (start + term * 30).astype("datetime64[D]"),
            "method": method,
            "collateral": collateral,
            "officer": person["rm_id"],
            "dpd": delinquency.initial_dpd(rng, risk) if new_book else np.zeros(n, np.int64),
            "status": np.full(n, "ACTIVE", dtype="<U11"),
        }
        self.contracts = append(self.contracts, contracts)
        self.world.record_defaults_from_dpd("loan", contracts["contract_no"], person["person_id"],
                                            contracts["dpd"], today)

    def step(self, today: np.datetime64) -> None:
        c = self.contracts
        active = c["status"] == "ACTIVE"
        risk = self.world.risk_of(self.borrowers["person_id"][c["borrower_idx"]])
        before = c["dpd"]
        after = np.where(active, delinquency.advance(self.rng, before, risk, 1, 0.0006, 0.12), before)
        hit = delinquency.newly_defaulted(before, after)
        self.world.record_defaults("loan", c["contract_no"][hit],
                                   self.borrowers["person_id"][c["borrower_idx"][hit]], today, "90DPD")
        c["dpd"] = after
        c["status"][active & (self._outstanding(today) == 0) & (after == 0)] = "SETTLED"
        c["status"][active & (after > 360)] = "WRITTEN_OFF"
        # Existing borrowers come back for new loans.
        again = np.flatnonzero(self.rng.random(len(self.borrowers["borrower_id"])) < 0.0003)
        if len(again):
            self._open(again, today, new_book=False)

    def _outstanding(self, today: np.datetime64) -> np.ndarray:
        c = self.contracts
        term = (c["maturity"] - c["start"]).astype(np.int64)
        elapsed = np.clip((today - c["start"]).astype(np.int64), 0, term)
        amortising = c["method"] == "EPI"
        left = np.where(amortising, c["principal"] * (term - elapsed) // np.maximum(term, 1), c["principal"])
        left = np.where(today >= c["maturity"], 0, left)
        return np.where(c["status"] == "SETTLED", 0, left).astype(np.int64)

    def feeds(self, today: np.datetime64) -> list[Feed]:
        b, c = self.borrowers, self.contracts
        person = self.world.person_rows(b["person_id"])
        company = person["kind"] == "C"
        borrower = {
            "borrower_id": b["borrower_id"],
            "borrower_type": np.where(company, "COMPANY", "PERSON"),
            "name": b["name"],
            "id_type": person["id_type"],
            "id_no": b["id_no"],
            "mobile": b["mobile"],
            "birth_date": iso(person["birth_date"]),
            "annual_income": np.where(company, "", money(person["income_cents"])),
            "industry_code": b["industry"],
            "branch_code": person["branch_code"],
        }
        owner = self.world.person_rows(b["person_id"][c["borrower_idx"]])
        contract = {
            "contract_no": c["contract_no"],
            "borrower_id": b["borrower_id"][c["borrower_idx"]],
            "product_code": c["product"],
            "principal": money(c["principal"]),
            "currency": np.full(len(c["product"]), "CNY"),
            "interest_rate": rate_text(c["rate"]),
            "start_date": iso(c["start"]),
            "maturity_date": iso(c["maturity"]),
            "repayment_method": c["method"],
            "collateral_type": c["collateral"],
            "branch_code": owner["branch_code"],
            "officer_id": c["officer"],
        }
        outstanding = self._outstanding(today)
        dpd = c["dpd"]
        term_months = np.maximum((c["maturity"] - c["start"]).astype(np.int64) // 30, 1)
        overdue_principal = np.minimum(c["principal"] // term_months * np.ceil(dpd / 30).astype(np.int64),
                                       outstanding)
        overdue_interest = outstanding * c["rate"] * dpd // 365_000_000
        position = {
            "contract_no": c["contract_no"],
            "outstanding_principal": money(outstanding),
            "overdue_principal": money(overdue_principal),
            "overdue_interest": money(overdue_interest),
            "days_past_due": dpd.astype(str),
            "five_class": delinquency.five_class(dpd),
            "status": c["status"],
        }
        return [
            Feed("loan", "BORROWER", borrower, key="borrower_id", dates=("birth_date",),
                 amounts=("annual_income",), codes={"borrower_type": ("PERSON", "COMPANY"),
                                                    "id_type": ("01", "03", "10")},
                 id_column="id_no"),
            Feed("loan", "CONTRACT", contract, key="contract_no", ref=("borrower_id", "BORROWER"),
                 control="principal", dates=("start_date", "maturity_date"), amounts=("principal",),
                 numbers=("interest_rate",),
                 codes={"product_code": tuple(PRODUCTS), "currency": ("CNY",),
                        "repayment_method": ("EPI", "BULLET", "IOI"),
                        "collateral_type": ("NONE", "VEHICLE", "PROPERTY", "DEPOSIT_PLEDGE", "GUARANTEE")}),
            Feed("loan", "POSITION", position, key="contract_no", ref=("contract_no", "CONTRACT"),
                 control="outstanding_principal",
                 amounts=("outstanding_principal", "overdue_principal", "overdue_interest"),
                 numbers=("days_past_due",),
                 codes={"five_class": ("1", "2", "3", "4", "5"),
                        "status": ("ACTIVE", "SETTLED", "WRITTEN_OFF")}),
        ]
