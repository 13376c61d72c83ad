"""The simulated bank: its customers, branches and the four source systems over time."""

import numpy as np

from . import population
from .card import Card
from .delinquency import DEFAULT_DPD
from .deposit import Deposit
from .feed import Columns, append
from .loan import Loan
from .mortgage import Mortgage

DAILY_NEW_CUSTOMERS = 0.0004


class World:
    def __init__(self, customers: int, seed: int, start: np.datetime64):
        self.rng = np.random.default_rng([seed, 0])
        self.branch = population.branches(customers)
        self.rms = population.relationship_managers(self.branch, customers)
        self.persons: Columns = {}
        self.defaults: list[Columns] = []
        self.source_customers: list[Columns] = []
        self.base = customers
        self.systems = [cls(np.random.default_rng([seed, k]), self)
                        for k, cls in enumerate((Deposit, Loan, Card, Mortgage), start=1)]
        self._join(customers, start)

    # -- what the systems ask of the world ----------------------------------
    def person_rows(self, person_ids: np.ndarray) -> Columns:
        # person_id is the row number of the persons table.
        return {k: v[person_ids] for k, v in self.persons.items()}

    def risk_of(self, person_ids: np.ndarray) -> np.ndarray:
        return self.persons["risk_z"][person_ids]

    def record_defaults(self, system: str, contracts: np.ndarray, person_ids: np.ndarray,
                        when, trigger: str) -> None:
        if len(contracts):
            self.defaults.append({
                "person_id": np.asarray(person_ids, np.int64), "system": np.full(len(contracts), system),
                "contract": contracts,
                "default_date": np.broadcast_to(np.asarray(when, "datetime64[D]"), len(contracts)).copy(),
                "trigger": np.full(len(contracts), trigger)})

    def record_defaults_from_dpd(self, system: str, contracts, person_ids, dpd, today) -> None:
        """Obligations already 90+ days past due when first seen defaulted on the 90th day."""
        hit = dpd > DEFAULT_DPD
        self.record_defaults(system, contracts[hit], person_ids[hit],
                             today - (dpd[hit] - DEFAULT_DPD).astype("timedelta64[D]"), "90DPD")

    # -- time passes -------------------------------------------------------
    def advance(self, today: np.datetime64) -> None:
        self._join(int(self.rng.binomial(self.base, DAILY_NEW_CUSTOMERS)), today)
        for system in self.systems:
            system.step(today)

    def _join(self, count: int, today: np.datetime64) -> None:
        if count == 0:
            return
        first = len(self.persons.get("person_id", []))
        batch = population.new_persons(self.rng, count, first, today, self.branch, self.rms)
        population.reissue_duplicate_ids(self.rng, batch, self.persons.get("id_no", np.array([], "<U18")))
        self.persons = append(self.persons, batch)
        for system in self.systems:
            before = len(system.customer_ids())
            system.enroll(batch, today)
            ids, person_ids = system.customer_ids()[before:], system.customer_persons()[before:]
            self.source_customers.append({
                "source_system": np.full(len(ids), system.system), "source_customer_id": ids,
                "person_id": person_ids, "first_delivered": np.full(len(ids), today, "datetime64[D]")})

    def truth_tables(self) -> dict[str, Columns]:
        p = self.persons
        persons = {k: p[k] for k in ("person_id", "kind", "name", "gender", "birth_date", "id_type",
                                     "id_no", "mobile", "risk_z", "branch_code", "rm_id", "created")}
        return {"persons": persons, "source_customers": _concat(self.source_customers),
                "defaults": _concat(self.defaults)}


def _concat(parts: list[Columns]) -> Columns:
    out: Columns = {}
    for part in parts:
        out = append(out, part)
    return out
