"""The card platform: cardholders, card accounts, daily postings and statements."""

import numpy as np

from .feed import Columns, Feed, append, iso, money, numbered, replace
from .identity import mobile_variants, stray_spaces
from .source_system import SourceSystem

PRODUCTS = ("CLASSIC", "GOLD", "PLATINUM")
LIMITS = {"CLASSIC": 10.0, "GOLD": 10.8, "PLATINUM": 11.6}  # log-mean limit in CNY
MCC = np.array(["5411", "5812", "5541", "5999", "4121", "5311", "7011", "5912", "4511", "5732"])
CITIES = np.array(["北京", "上海", "广州", "深圳", "杭州", "南京", "成都", "苏州", "宁波"])
DAILY_INTEREST = 0.0005  # 0.05 % a day on revolving balances, the market's card rate
LATE_FEE = 5_000  # cents
DEFAULT_CYCLES = 3


class Card(SourceSystem):
    customer_table, customer_key = "holders", "holder_id"
    system = "card"

    def __init__(self, rng: np.random.Generator, world):
        super().__init__(rng, world)
        self.holders: Columns = {}
        self.accounts: Columns = {}
        self.txn_seq = 0
        self.today_txns: Columns = {}

    def enroll(self, batch: Columns, today: np.datetime64) -> None:
        rng = self.rng
        rows = np.flatnonzero((batch["kind"] == "I") & (rng.random(len(batch["kind"])) < 0.35))
        first = len(self.holders.get("holder_id", []))
        self.holders = append(self.holders, {
            "holder_id": numbered("", 5000 + first, len(rows), 12),
            "person_id": batch["person_id"][rows],
            "name": stray_spaces(batch["name"][rows], rng, 0.02),
            # The card platform stores the check character in lower case.
            "id_no": replace(batch["id_no"][rows], "X", "x"),
            "mobile": mobile_variants(batch["mobile"][rows], rng, 0.2),
        })
        count = 1 + (rng.random(len(rows)) < 0.15)
        holder_idx = first + np.repeat(np.arange(len(rows)), count)
        self._open(holder_idx, today, batch["income_cents"][np.repeat(rows, count)])

    def _open(self, holder_idx: np.ndarray, today: np.datetime64, income: np.ndarray) -> None:
        rng, n = self.rng, len(holder_idx)
        product = np.select([income > 40_000_000, income > 15_000_000], ["PLATINUM", "GOLD"], "CLASSIC")
        limit = np.round(rng.lognormal([LIMITS[p] for p in product.tolist()], 0.4), -3) * 100
        risk = self.world.risk_of(self.holders["person_id"][holder_idx])
        balance = (limit * rng.beta(1.2, 3 - np.clip(risk, -1, 1.5), n)).astype(np.int64)
        cycles = np.where(rng.random(n) < 1 / (1 + np.exp(4 - 1.2 * risk)), rng.integers(1, 4, n), 0)
        first = len(self.accounts.get("card_acct_no", []))
        self.accounts = append(self.accounts, {
            "card_acct_no": numbered("62258800", first + 1, n, 8),
            "holder_idx": holder_idx,
            "product": product,
            "limit": limit.astype(np.int64),
            "open_date": (today - rng.integers(0, 3000, n)).astype("datetime64[D]"),
            "cycle_day": rng.integers(1, 29, n),
            "status": np.where(cycles >= 2, "BLOCKED", "ACTIVE").astype("<U11"),  # room for CHARGED_OFF
            "balance": balance,
            "cash": np.zeros(n, np.int64),
            "stmt_balance": balance,
            "min_due": balance // 10,
            "paid": np.zeros(n, np.int64),
            "cycles": cycles,
            "pay_day": rng.integers(5, 21, n),
            "pay_amount": np.where(rng.random(n) < 0.7, balance, balance // 10),
            "days_since_stmt": rng.integers(0, 28, n),
        })

    def step(self, today: np.datetime64) -> None:
        rng, a = self.rng, self.accounts
        n = len(a["card_acct_no"])
        a["days_since_stmt"] += 1
        active = a["status"] == "ACTIVE"
        risk = self.world.risk_of(self.holders["person_id"][a["holder_idx"]])

        # Spending: purchases, a few cash advances (more for risky holders), refunds.
        counts = rng.poisson(0.7 * active)
        acct = np.repeat(np.arange(n), counts)
        u = rng.random(len(acct))
        cash_share = 0.02 + 0.04 * (risk[acct] > 1)
        kind = np.select([u < cash_share, u < cash_share + 0.02], ["CASH_ADVANCE", "REFUND"], "PURCHASE")
        amount = np.round(rng.lognormal(5.0, 1.2, len(acct)), 2) * 100
        amount = amount.astype(np.int64) + 1
        room = (a["limit"] - a["balance"])[acct]
        keep = (kind == "REFUND") | (amount <= room)
        acct, kind, amount = acct[keep], kind[keep], amount[keep]

        # Scheduled payments of the current cycle.
        payer = np.flatnonzero((a["days_since_stmt"] == a["pay_day"]) & (a["pay_amount"] > 0)
                               & (a["status"] != "CLOSED"))
        pay = np.minimum(a["pay_amount"][payer], np.maximum(a["balance"][payer], 0))
        payer, pay = payer[pay > 0], pay[pay > 0]

        # Statements on the cycle day: interest, late fees, delinquency.
        day = int(str(today)[8:10])
        cut = np.flatnonzero((a["cycle_day"] == day) & (a["status"] != "CLOSED"))
        revolving = np.maximum(a["stmt_balance"][cut] - a["paid"][cut], 0)
        interest = np.round(revolving * DAILY_INTEREST * 30).astype(np.int64)
        missed = a["paid"][cut] < a["min_due"][cut]
        fee = np.where(missed & (a["min_due"][cut] > 0), LATE_FEE, 0)

        txn_acct = np.concatenate([acct, payer, cut[interest > 0], cut[fee > 0]])
        txn_type = np.concatenate([kind, np.full(len(payer), "PAYMENT"),
                                   np.full((interest > 0).sum(), "INTEREST"), np.full((fee > 0).sum(), "FEE")])
        txn_amount = np.concatenate([amount, pay, interest[interest > 0], fee[fee > 0]])
        sign = np.where(np.isin(txn_type, ["PAYMENT", "REFUND"]), -1, 1)
        np.add.at(a["balance"], txn_acct, sign * txn_amount)
        np.add.at(a["cash"], txn_acct, np.where(txn_type == "CASH_ADVANCE", txn_amount, 0))
        np.add.at(a["paid"], txn_acct, np.where(txn_type == "PAYMENT", txn_amount, 0))
        self._record_txns(today, txn_acct, txn_type, txn_amount)
        self._cut_statements(today, cut, revolving, interest, fee, missed, risk[cut])

    def _record_txns(self, today, acct, kind, amount) -> None:
        rng, n = self.rng, len(acct)
        order = np.lexsort((rng.random(n), acct))
        acct, kind, amount = acct[order], kind[order], amount[order]
        seconds = rng.integers(6 * 3600, 23 * 3600, n)
        channel = np.where(kind == "CASH_ADVANCE", "ATM",
                           np.where(rng.random(n) < 0.45, "ONLINE", "POS"))
        self.today_txns = {
            "txn_id": numbered(str(today).replace("-", ""), self.txn_seq + 1, n, 10),
            "card_acct_no": self.accounts["card_acct_no"][acct],
            "txn_ts": np.datetime_as_string(today.astype("datetime64[s]") + seconds).astype("<U19"),
            "txn_type": kind,
            "amount": money(amount),
            "mcc": np.where(np.isin(kind, ["PURCHASE", "REFUND"]), rng.choice(MCC, n), "0000"),
            "channel": channel,
            "merchant_city": rng.choice(CITIES, n),
        }
        self.txn_seq += n

    def _cut_statements(self, today, cut, revolving, interest, fee, missed, risk) -> None:
        a = self.accounts
        a["cycles"][cut] = np.where(missed & (a["min_due"][cut] > 0), np.minimum(a["cycles"][cut] + 1, 7), 0)
        a["status"][cut] = np.select(
            [a["cycles"][cut] >= 7, a["cycles"][cut] >= 2], ["CHARGED_OFF", "BLOCKED"], "ACTIVE")
        reached = cut[a["cycles"][cut] == DEFAULT_CYCLES]
        self.world.record_defaults("card", a["card_acct_no"][reached],
                                   self.holders["person_id"][a["holder_idx"][reached]], today, "3CYCLES")
        balance = np.maximum(a["balance"][cut], 0)
        self.statements = {
            "card_acct_no": a["card_acct_no"][cut],
            "statement_date": np.full(len(cut), today),
            "credit_limit": a["limit"][cut],
            "statement_balance": balance,
            "min_payment_due": np.where(balance > 0, np.maximum(np.minimum(balance, 10_000), balance // 10), 0),
            "payment_due_date": np.full(len(cut), today + 20),
            "paid_since_last_statement": a["paid"][cut],
            "revolving_balance": revolving,
            "interest_charged": interest,
            "fees_charged": fee,
            "cash_advance_balance": a["cash"][cut],
            "cycles_delinquent": a["cycles"][cut],
        }
        # The holder's behaviour for the coming cycle: pay in full, the minimum, or nothing.
        u = self.rng.random(len(cut))
        none = u < 1 / (1 + np.exp(3.2 - 1.3 * risk))
        minimum = ~none & (u < 0.3)
        a["pay_amount"][cut] = np.select([none, minimum], [0, self.statements["min_payment_due"]], balance)
        a["pay_day"][cut] = self.rng.integers(3, 20, len(cut))
        a["stmt_balance"][cut] = balance
        a["min_due"][cut] = self.statements["min_payment_due"]
        a["paid"][cut] = 0
        a["cash"][cut] = 0
        a["days_since_stmt"][cut] = 0

    def feeds(self, today: np.datetime64) -> list[Feed]:
        h, a, s = self.holders, self.accounts, self.statements
        person = self.world.person_rows(h["person_id"])
        holder = {
            "holder_id": h["holder_id"],
            "name": h["name"],
            "id_no": h["id_no"],
            "mobile": h["mobile"],
            "birth_date": iso(person["birth_date"]),
            "declared_income": money(person["income_cents"]),
            "branch_code": person["branch_code"],
        }
        account = {
            "card_acct_no": a["card_acct_no"],
            "holder_id": h["holder_id"][a["holder_idx"]],
            "product": a["product"],
            "credit_limit": money(a["limit"]),
            "open_date": iso(a["open_date"]),
            "cycle_day": a["cycle_day"].astype(str),
            "status": a["status"],
        }
        amounts = ("credit_limit", "statement_balance", "min_payment_due", "paid_since_last_statement",
                   "revolving_balance", "interest_charged", "fees_charged", "cash_advance_balance")
        statement = {
            "card_acct_no": s["card_acct_no"],
            "statement_date": iso(s["statement_date"]),
            **{k: money(s[k]) for k in amounts[:3]},
            "payment_due_date": iso(s["payment_due_date"]),
            **{k: money(s[k]) for k in amounts[3:]},
            "cycles_delinquent": s["cycles_delinquent"].astype(str),
        }
        return [
            Feed("card", "cardholder", holder, key="holder_id", amounts=("declared_income",),
                 id_column="id_no"),
            Feed("card", "card_account", account, key="card_acct_no", ref=("holder_id", "cardholder"),
                 control="credit_limit", amounts=("credit_limit",),
                 codes={"product": PRODUCTS, "status": ("ACTIVE", "BLOCKED", "CLOSED", "CHARGED_OFF")}),
            Feed("card", "card_txn", dict(self.today_txns), key="txn_id", ref=("card_acct_no", "card_account"),
                 control="amount", amounts=("amount",),
                 codes={"txn_type": ("PURCHASE", "CASH_ADVANCE", "PAYMENT", "REFUND", "FEE", "INTEREST"),
                        "channel": ("POS", "ONLINE", "ATM")}),
            Feed("card", "card_statement", statement, key="card_acct_no",
                 ref=("card_acct_no", "card_account"), control="statement_balance", amounts=amounts),
        ]
