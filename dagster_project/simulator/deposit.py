"""Core banking: customers (CIFs), deposit accounts, end-of-day balances, FX rates."""

import numpy as np

from .feed import Columns, Feed, append, iso, money, numbered, rate_text, replace, zfill
from .identity import mobile_variants, stray_spaces
from .source_system import SourceSystem

TERMS = {"TD03": 3, "TD06": 6, "TD12": 12, "TD24": 24, "TD36": 36, "TD60": 60}
# Board rates in 1/10000 %, the bank's posted rates for each product.
BOARD_RATE = {"DD01": 2000, "TD03": 11000, "TD06": 13000, "TD12": 15000, "TD24": 17000,
              "TD36": 19000, "TD60": 20000}
FX_START = {"CNY": 1.0, "USD": 7.1, "HKD": 0.91, "EUR": 7.75}
DUPLICATE_CIF_SHARE = 0.02


class Deposit(SourceSystem):
    customer_table, customer_key = "cifs", "cif_no"
    system = "deposit"

    def __init__(self, rng: np.random.Generator, world):
        super().__init__(rng, world)
        self.cifs: Columns = {}
        self.accounts: Columns = {}
        self.fx = dict(FX_START)

    def enroll(self, batch: Columns, today: np.datetime64) -> None:
        rng = self.rng
        corporate = batch["kind"] == "C"
        holds = corporate | (rng.random(len(corporate)) < 0.92)
        rows = np.flatnonzero(holds)
        # One person in fifty is held under two CIFs (a second branch opened one again).
        twice = rows[rng.random(len(rows)) < DUPLICATE_CIF_SHARE]
        rows = np.sort(np.concatenate([rows, twice]))
        first = len(self.cifs.get("cif_no", []))
        person_idx = batch["person_id"][rows]
        opened = today - rng.integers(0, 15 * 365, len(rows)).astype("timedelta64[D]")
        mobile = batch["mobile"][rows].copy()
        duplicate = np.zeros(len(rows), bool)
        duplicate[1:] = rows[1:] == rows[:-1]
        # The second CIF often carries an old mobile number.
        old = duplicate & (rng.random(len(rows)) < 0.5)
        mobile[old] = np.char.add("139", zfill(rng.integers(0, 10**8, old.sum()).astype(str), 8))
        cifs = {
            "cif_no": numbered("CIF", first + 1, len(rows), 10),
            "person_id": person_idx,
            "name": stray_spaces(batch["name"][rows], rng, 0.02),
            "mobile": mobile_variants(mobile, rng, 0.1),
            "address": batch["address"][rows],
            "open_date": opened.astype("datetime64[D]"),
            "last_update": np.full(len(rows), today, dtype="datetime64[D]"),
        }
        self.cifs = append(self.cifs, cifs)
        self._open_accounts(first + np.arange(len(rows)), cifs["open_date"], batch, rows, today)

    def _open_accounts(self, cif_idx, opened, batch, rows, today, demand=True) -> None:
        rng = self.rng
        n = len(cif_idx)
        corporate = batch["kind"][rows] == "C"
        scale = np.where(corporate, 40.0, 1.0)
        parts = []
        if demand:
            parts.append((cif_idx, np.full(n, "DD01"), np.full(n, "CNY"), opened,
                          rng.lognormal(9.0, 1.6, n) * scale))
            fx = rng.random(n) < 0.05
            parts.append((cif_idx[fx], np.full(fx.sum(), "DD01"),
                          rng.choice(np.array(["USD", "HKD", "EUR"]), fx.sum()), opened[fx],
                          rng.lognormal(7.5, 1.2, fx.sum()) * scale[fx]))
        n_td = rng.poisson(0.5 if demand else 1.0, n)
        td_owner = np.repeat(np.arange(n), n_td)
        td_product = rng.choice(np.array(list(TERMS)), len(td_owner), p=[.15, .2, .3, .15, .15, .05])
        td_opened = np.maximum(opened[td_owner], today - rng.integers(0, 700, len(td_owner)))
        parts.append((cif_idx[td_owner], td_product, np.full(len(td_owner), "CNY"),
                      td_opened.astype("datetime64[D]"),
                      rng.lognormal(10.6, 1.0, len(td_owner)) * scale[td_owner]))

        owner = np.concatenate([p[0] for p in parts])
        product = np.concatenate([p[1] for p in parts])
        open_date = np.concatenate([p[3] for p in parts]).astype("datetime64[D]")
        months = np.array([TERMS.get(p, 0) for p in product.tolist()], dtype=np.int64)
        maturity = np.where(months > 0, open_date + months * 30, np.datetime64("NaT")).astype("datetime64[D]")
        # Time deposits already past their maturity roll over into a new term.
        rolled = (months > 0) & (maturity <= today)
        open_date[rolled] = today - rng.integers(1, 30, rolled.sum())
        maturity[rolled] = open_date[rolled] + months[rolled] * 30
        base = np.array([BOARD_RATE[p] for p in product.tolist()], dtype=np.int64)
        rate = np.where(np.concatenate([p[2] for p in parts]) == "CNY", base, 500)
        rate = rate + rng.choice(np.array([0, 0, 0, 500, 1000]), len(rate)) * (months > 0)
        dormant = (product == "DD01") & (rng.random(len(product)) < 0.03)
        start = len(self.accounts.get("acct_no", []))
        new = {
            "acct_no": numbered("", 10**16 + start + 1, len(owner), 19),
            "cif_idx": owner,
            "product": product,
            "currency": np.concatenate([p[2] for p in parts]),
            "open_date": open_date,
            "maturity": maturity,
            "rate": rate.astype(np.int64),
            "status": np.where(dormant, "D", "A"),
            "balance": np.round(np.concatenate([p[4] for p in parts]) * 100).astype(np.int64),
            "accrued": np.zeros(len(owner), np.int64),
        }
        new["balance"][dormant] //= 50
        self.accounts = append(self.accounts, new)

    # -- one day passes -------------------------------------------------
    def step(self, today: np.datetime64) -> None:
        rng, acc = self.rng, self.accounts
        risk = self.world.risk_of(self.cifs["person_id"][acc["cif_idx"]])
        live = acc["status"] != "C"
        demand = live & (acc["product"] == "DD01")
        # Demand balances random-walk; risky customers drift out of the bank.
        drift = rng.normal(-0.002 * np.clip(risk, 0, None), 0.03, len(risk))
        acc["balance"][demand] = np.round(acc["balance"][demand] * np.exp(drift[demand])).astype(np.int64)
        daily = acc["balance"] * acc["rate"] // 365_000_000
        acc["accrued"][live] += daily[live]
        if str(today)[5:] in ("03-21", "06-21", "09-21", "12-21"):
            acc["balance"][demand] += acc["accrued"][demand]
            acc["accrued"][demand] = 0
        matured = live & (acc["maturity"] == today)
        acc["balance"][matured] = 0
        acc["accrued"][matured] = 0
        acc["status"][matured] = "C"
        closing = demand & (rng.random(len(risk)) < 0.0002)
        acc["status"][closing] = "C"
        acc["balance"][closing] = 0
        # Some customers place new time deposits.
        n_cif = len(self.cifs["cif_no"])
        savers = np.flatnonzero(rng.random(n_cif) < 0.0008)
        if len(savers):
            persons = self.world.person_rows(self.cifs["person_id"][savers])
            self._open_accounts(savers, np.full(len(savers), today), persons,
                                np.arange(len(savers)), today, demand=False)
        # Customers update their contact details now and then.
        movers = rng.random(n_cif) < 0.0003
        self.cifs["mobile"][movers] = np.char.add(
            "186", zfill(rng.integers(0, 10**8, movers.sum()).astype(str), 8))
        self.cifs["last_update"][movers] = today
        for currency in ("USD", "HKD", "EUR"):
            self.fx[currency] *= float(np.exp(rng.normal(0, 0.003)))

    # -- the day's delivery ---------------------------------------------
    def feeds(self, today: np.datetime64) -> list[Feed]:
        world, cif, acc = self.world, self.cifs, self.accounts
        person = world.person_rows(cif["person_id"])
        branch = world.branch
        customer = {
            "cif_no": cif["cif_no"],
            "cust_type": person["kind"],
            "cust_name": cif["name"],
            "id_type": person["id_type"],
            "id_no": person["id_no"],
            "gender": person["gender"],
            "birth_date": iso(person["birth_date"]),
            "mobile": cif["mobile"],
            "address": cif["address"],
            "branch_code": person["branch_code"],
            "rm_id": person["rm_id"],
            "open_date": iso(cif["open_date"]),
            "last_update": np.char.add(replace(iso(cif["last_update"]), "-", ""), "093000"),
        }
        account = {
            "acct_no": acc["acct_no"],
            "cif_no": cif["cif_no"][acc["cif_idx"]],
            "product_code": acc["product"],
            "currency": acc["currency"],
            "open_date": iso(acc["open_date"]),
            "maturity_date": iso(acc["maturity"]),
            "interest_rate": rate_text(acc["rate"]),
            "status": acc["status"],
            "branch_code": person["branch_code"][acc["cif_idx"]],
        }
        available = np.where(acc["product"] == "DD01", acc["balance"], 0)
        balance = {
            "acct_no": acc["acct_no"],
            "ledger_balance": money(acc["balance"]),
            "available_balance": money(available),
            "accrued_interest": money(acc["accrued"]),
        }
        currencies = np.array(list(self.fx))
        fx = {"currency": currencies,
              "cny_per_unit": np.array([f"{self.fx[c]:.4f}" for c in currencies.tolist()])}
        return [
            Feed("deposit", "BRANCH", dict(branch), key="branch_code",
                 codes={"level": ("HEAD", "TIER1", "TIER2", "SUB")}, text_column="branch_name"),
            Feed("deposit", "CUSTOMER", customer, key="cif_no", dates=("birth_date", "open_date"),
                 codes={"cust_type": ("I", "C"), "id_type": ("01", "03", "10")},
                 id_column="id_no", text_column="address"),
            Feed("deposit", "ACCOUNT", account, key="acct_no", ref=("cif_no", "CUSTOMER"),
                 dates=("open_date",), numbers=("interest_rate",),
                 codes={"product_code": ("DD01", *TERMS), "currency": tuple(FX_START),
                        "status": ("A", "D", "C")}),
            Feed("deposit", "BALANCE", balance, key="acct_no", ref=("acct_no", "ACCOUNT"),
                 control="ledger_balance",
                 amounts=("ledger_balance", "available_balance", "accrued_interest")),
            Feed("deposit", "FX_RATE", fx, key="currency", numbers=("cny_per_unit",),
                 codes={"currency": tuple(FX_START)}),
        ]
