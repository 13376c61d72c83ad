"""One source system's delivery of one business date: files, file defects, `_READY`.

A delivery is built in memory, then written to its folder with the manifest
last, exactly as a well-behaved source does (and as a misbehaving one does not).
"""

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import writers
from .defects import FILE_DEFECTS, TOLERATED, expected_outcomes
from .feed import Feed

SYSTEM_ORDER = ("deposit", "loan", "card", "mortgage")


@dataclass
class Delivery:
    system: str
    day: np.datetime64
    feeds: list[Feed]
    file_defects: dict[str, str] = field(default_factory=dict)  # feed name -> defect

    def files(self) -> dict[str, bytes]:
        """Every file of the folder, control files included, before manifest tampering."""
        day, defects = self.day, self.file_defects
        out: dict[str, bytes] = {}
        if self.system == "deposit":
            for feed in self.feeds:
                out[writers.file_name(feed, day)] = writers.deposit_file(feed, day, defects.get(feed.name))
        elif self.system == "loan":
            for feed in self.feeds:
                out.update(writers.loan_files(feed, day, defects.get(feed.name)))
        elif self.system == "card":
            for feed in self.feeds:
                out[writers.file_name(feed, day)] = writers.parquet_bytes(
                    writers.card_table(feed, defects.get(feed.name)))
            out["CONTROL.json"] = writers.card_control(self.feeds, defects)
        else:
            defect = next(iter(defects.values()), None)
            out[writers.file_name(self.feeds[0], day)] = writers.mortgage_workbook(self.feeds, day, defect)
        for feed in self.feeds:
            if defects.get(feed.name) == "UNREADABLE":
                name = writers.file_name(feed, day)
                out[name] = out[name][: len(out[name]) // 2] + b"\x00garbled\x00"
        return out

    def write(self, folder: Path, number: int, ready: bool = True) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        files = self.files()
        manifest = [f"delivery {number}"]
        for name in sorted(files):
            data = files[name]
            defect = self._defect_of_file(name)
            size, digest = len(data), hashlib.sha256(data).hexdigest()
            if defect == "CHECKSUM_MISMATCH":
                digest = hashlib.sha256(data + b"\n").hexdigest()
            if defect == "SIZE_MISMATCH":
                size += 1
            manifest.append(f"{name} {size} {digest}")
            if defect != "FILE_MISSING":
                (folder / name).write_bytes(data if ready else data[: len(data) // 2])
        if ready:
            (folder / "_READY").write_text("\n".join(manifest) + "\n", encoding="utf-8")

    def _defect_of_file(self, name: str) -> str | None:
        for feed in self.feeds:
            if writers.file_name(feed, self.day) == name:
                return self.file_defects.get(feed.name)
        return None

    def rejected(self) -> set[str]:
        """Feeds whose file the warehouse must reject (a workbook takes both sheets)."""
        bad = {name for name, kind in self.file_defects.items() if kind not in TOLERATED}
        return {f.name for f in self.feeds} if bad and self.system == "mortgage" else bad

    # -- what the truth says about it -------------------------------------------
    def truth_rows(self, number: int) -> tuple[list[dict], list[dict]]:
        day = self.day.astype("datetime64[D]").item()
        files, defects = [], []
        rejected = self.rejected()
        outcomes = expected_outcomes(self.feeds, rejected)
        base = {"system": self.system, "business_date": day, "delivery": number}
        for feed in self.feeds:
            name = writers.file_name(feed, self.day)
            file_defect = self.file_defects.get(feed.name)
            if self.system == "mortgage":
                file_defect = next(iter(self.file_defects.values()), None)
            files.append({**base, "file": name, "feed": feed.name, "records": feed.size,
                          "control_sum": writers.control_sum(feed), "file_defect": file_defect})
            if file_defect and (self.system != "mortgage" or feed is self.feeds[0]):
                tolerated = file_defect in TOLERATED
                defects.append({**base, "file": name, "feed": feed.name, "record_no": None,
                                "record_key": None, "defect": file_defect, "level": "file",
                                "expected": "tolerate" if tolerated else "reject", "injected": True})
            if feed.name in rejected:
                continue
            first_line = 1 if self.system == "card" else 2
            keys = feed.columns[feed.key] if feed.key else None
            for row, (kind, injected) in sorted(outcomes[feed.name].items()):
                defects.append({**base, "file": name, "feed": feed.name, "record_no": row + first_line,
                                "record_key": str(keys[row]) if keys is not None else None,
                                "defect": kind, "level": "record", "expected": "quarantine",
                                "injected": injected})
        return files, defects


def choose_file_defects(delivery: Delivery, rng: np.random.Generator, rate: float,
                        force: set[str]) -> set[str]:
    """File defects for a delivery's files; `force` kinds are placed if they can be."""
    kinds = FILE_DEFECTS[delivery.system]
    targets = [delivery.feeds[0]] if delivery.system == "mortgage" else list(delivery.feeds)
    placed = set()
    for kind in kinds:
        eligible = [f for f in targets if f.name not in delivery.file_defects
                    and (kind != "UNREADABLE" or delivery.system in ("card", "mortgage"))]
        if not eligible:
            continue
        hit = [f for f in eligible if rate > 0 and rng.random() < rate / len(kinds)]
        if kind in force and not hit:
            hit = [eligible[rng.integers(0, len(eligible))]]
        for feed in hit:
            delivery.file_defects[feed.name] = kind
            placed.add(kind)
    return placed
