"""The real people and companies behind the source records, and the bank's branches."""

import numpy as np

from . import identity, names
from .feed import Columns, numbered, zfill

# Province -> cities served; the TIER1 and TIER2 levels of the branch tree.
PROVINCES = {
    "北京": ["北京"],
    "上海": ["上海"],
    "广东": ["广州", "深圳"],
    "浙江": ["杭州", "宁波"],
    "江苏": ["南京", "苏州"],
    "四川": ["成都"],
}
CORPORATE_SHARE = 0.06
PASSPORT_SHARE = 0.015


def branches(customers: int) -> Columns:
    """HEAD -> TIER1 (province) -> TIER2 (city) -> SUB, sized to the customer base."""
    subs_per_city = int(np.clip(round(customers / 100_000 * 1.2), 2, 12))
    rows = [("000001", "总行", "", "HEAD", "北京")]
    for p, (province, cities) in enumerate(PROVINCES.items(), start=1):
        tier1 = f"{p:02d}0000"
        rows.append((tier1, f"{province}省分行", "000001", "TIER1", cities[0]))
        for c, city in enumerate(cities, start=1):
            tier2 = f"{p:02d}{c:02d}00"
            rows.append((tier2, f"{city}分行", tier1, "TIER2", city))
            for s in range(1, subs_per_city + 1):
                rows.append((f"{p:02d}{c:02d}{s:02d}", f"{city}第{s}支行", tier2, "SUB", city))
    cols = list(zip(*rows, strict=True))
    return {name: np.array(values) for name, values in
            zip(["branch_code", "branch_name", "parent_code", "level", "city"], cols, strict=True)}


def relationship_managers(branch: Columns, customers: int) -> Columns:
    subs = np.flatnonzero(branch["level"] == "SUB")
    per_sub = int(np.clip(customers / len(subs) / 800, 1, 60))
    branch_codes = np.repeat(branch["branch_code"][subs], per_sub)
    return {"rm_id": numbered("E", 1, len(branch_codes), 6), "branch_code": branch_codes}


def new_persons(rng: np.random.Generator, count: int, first_id: int, today: np.datetime64,
                branch: Columns, rms: Columns) -> Columns:
    """A batch of new customers of the bank (individuals and corporates)."""
    corporate = rng.random(count) < CORPORATE_SHARE
    passport = ~corporate & (rng.random(count) < PASSPORT_SHARE)
    male = rng.random(count) < 0.5
    birth = (np.datetime64("1950-01-01") + rng.integers(0, 55 * 365, count)).astype("datetime64[D]")
    subs = np.flatnonzero(branch["level"] == "SUB")
    home = subs[rng.integers(0, len(subs), count)]
    branch_code = branch["branch_code"][home]
    city = branch["city"][home]

    id_no = identity.resident_ids(rng, birth, male).astype("<U18")
    id_type = np.full(count, "01")
    id_no[passport] = identity.passport_numbers(rng, int(passport.sum()))
    id_type[passport] = "03"
    id_no[corporate] = identity.uscc_codes(rng, int(corporate.sum()))
    id_type[corporate] = "10"

    company = names.company_names(rng, int(corporate.sum()), city[corporate])
    name = names.person_names(rng, count).astype(company.dtype if len(company) else "<U3")
    name[corporate] = company
    mobile = np.char.add(rng.choice(np.array(["13", "15", "18", "19", "17"]), count),
                         zfill(rng.integers(0, 10**9, count).astype(str), 9))
    income = np.round(rng.lognormal(11.6, 0.7, count), -2).astype(np.int64) * 100  # cents

    # Each customer belongs to one relationship manager of the home branch, when assigned.
    rm_pool = {code: np.flatnonzero(rms["branch_code"] == code) for code in np.unique(branch_code)}
    rm_id = np.full(count, "", dtype="<U7")
    assigned = rng.random(count) < (0.85 + 0.15 * corporate)
    for code, pool in rm_pool.items():
        rows = np.flatnonzero((branch_code == code) & assigned)
        rm_id[rows] = rms["rm_id"][pool[rng.integers(0, len(pool), len(rows))]]

    return {
        "person_id": np.arange(first_id, first_id + count, dtype=np.int64),
        "kind": np.where(corporate, "C", "I"),
        "name": name,
        "gender": np.where(corporate, "", np.where(male, "M", "F")),
        "birth_date": np.where(corporate, np.datetime64("NaT"), birth).astype("datetime64[D]"),
        "id_type": id_type,
        "id_no": id_no,
        "mobile": mobile,
        "address": names.addresses(rng, city),
        "city": city,
        "income_cents": np.where(corporate, 0, income),
        "risk_z": rng.standard_normal(count),
        "branch_code": branch_code,
        "rm_id": rm_id,
        "created": np.full(count, today, dtype="datetime64[D]"),
    }



def reissue_duplicate_ids(rng: np.random.Generator, batch: Columns, issued: np.ndarray) -> None:
    """An identity number identifies one person: draw again any number already issued.

    Random region, birth date and sequence collide for about one person in a thousand
    at a million customers; the real registers never issue a number twice.
    """
    ids = batch["id_no"]
    while True:
        _, first = np.unique(ids, return_index=True)
        clash = np.ones(len(ids), bool)
        clash[first] = False
        clash |= np.isin(ids, issued)
        rows = np.flatnonzero(clash)
        if len(rows) == 0:
            return
        kind, fresh = batch["id_type"][rows], ids[rows].copy()
        resident, passport, company = kind == "01", kind == "03", kind == "10"
        fresh[resident] = identity.resident_ids(rng, batch["birth_date"][rows][resident],
                                                batch["gender"][rows][resident] == "M")
        fresh[passport] = identity.passport_numbers(rng, int(passport.sum()))
        fresh[company] = identity.uscc_codes(rng, int(company.sum()))
        ids[rows] = fresh
