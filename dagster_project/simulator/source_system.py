"""What every simulated source system shares: its random stream, the world, its customers."""

import numpy as np

from .feed import Columns


class SourceSystem:
    system: str  # deposit, loan, card or mortgage
    customer_table: str  # attribute holding the system's own customer records
    customer_key: str  # the system's local customer id (cif_no, borrower_id, ...)

    def __init__(self, rng: np.random.Generator, world):
        self.rng = rng
        self.world = world

    def _customers(self) -> Columns:
        return getattr(self, self.customer_table)

    def customer_ids(self) -> np.ndarray:
        return self._customers().get(self.customer_key, np.array([], dtype=str))

    def customer_persons(self) -> np.ndarray:
        return self._customers().get("person_id", np.array([], dtype=np.int64))
