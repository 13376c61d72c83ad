"""Complete deliveries and their `_READY` manifests (extract-spec section 1).

A source writes its files first and `_READY` last, so a folder without
`_READY` may still be half written: it is never read. A file is only parsed
after its bytes are proven to be the ones the manifest announces.
"""

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from .feeds import SYSTEMS

READY = "_READY"
CHUNK = 1 << 20  # hash in 1 MiB chunks: a delivery file may be far larger than memory

_DELIVERY_LINE = re.compile(r"delivery ([1-9][0-9]*)")
_FILE_LINE = re.compile(r"(\S+) ([0-9]+) ([0-9a-fA-F]{64})")


@dataclass(frozen=True)
class DeliveryFolder:
    system: str
    business_date: dt.date
    path: Path


@dataclass(frozen=True)
class Manifest:
    delivery: int
    files: dict[str, tuple[int, str]]  # file name -> (size in bytes, sha256 hex, lower case)


@dataclass(frozen=True)
class FileProblem:
    code: str  # FILE_MISSING, SIZE_MISMATCH or CHECKSUM_MISMATCH
    message: str


class ManifestError(ValueError):
    """A `_READY` that does not follow the contract: none of its files can be verified."""


def parse_business_date(text: str) -> dt.date | None:
    """YYYYMMDD folder name -> date; None for anything else."""
    if not re.fullmatch(r"[0-9]{8}", text):
        return None
    try:
        return dt.datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        return None


def find_deliveries(raw: Path, systems: tuple[str, ...] = SYSTEMS) -> list[DeliveryFolder]:
    """Complete delivery folders raw/<system>/<YYYYMMDD>/ (with `_READY`), oldest date first."""
    found = []
    for system in systems:
        base = Path(raw) / system
        if not base.is_dir():
            continue
        for folder in sorted(base.iterdir()):
            day = parse_business_date(folder.name)
            if day is not None and folder.is_dir() and (folder / READY).is_file():
                found.append(DeliveryFolder(system, day, folder))
    return sorted(found, key=lambda d: (d.business_date, SYSTEMS.index(d.system)))


def pending_folders(raw: Path, systems: tuple[str, ...] = SYSTEMS) -> list[Path]:
    """Delivery folders still being written (no `_READY` yet): reported, never read."""
    pending = []
    for system in systems:
        base = Path(raw) / system
        if base.is_dir():
            pending += [f for f in sorted(base.iterdir())
                        if f.is_dir() and parse_business_date(f.name) and not (f / READY).exists()]
    return pending


def read_manifest(folder: Path) -> Manifest:
    """Parse `_READY`: `delivery <n>`, then one `<file> <size> <sha256>` line per file."""
    try:
        text = (Path(folder) / READY).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(f"{folder}/{READY} cannot be read: {exc}") from exc
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines or not (head := _DELIVERY_LINE.fullmatch(lines[0])):
        raise ManifestError(f"{folder}/{READY}: first line must be 'delivery <n>', "
                            f"found {lines[0] if lines else 'an empty file'!r}")
    files: dict[str, tuple[int, str]] = {}
    for number, line in enumerate(lines[1:], start=2):
        match = _FILE_LINE.fullmatch(line)
        if not match:
            raise ManifestError(f"{folder}/{READY} line {number}: expected '<file> <size> <sha256>', "
                                f"found {line!r}")
        name, size, digest = match.groups()
        if name in files:
            raise ManifestError(f"{folder}/{READY} line {number}: {name} is listed twice")
        files[name] = (int(size), digest.lower())
    return Manifest(int(head.group(1)), files)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def verify_file(folder: Path, name: str, manifest: Manifest) -> FileProblem | None:
    """None when the file is exactly what `_READY` announces; otherwise the file-level defect."""
    path = Path(folder) / name
    if name not in manifest.files:
        return FileProblem("FILE_MISSING", f"{name} is not listed in {READY} of {folder}")
    size, digest = manifest.files[name]
    if not path.is_file():
        return FileProblem("FILE_MISSING", f"{name} is listed in {READY} but absent from {folder}")
    actual = path.stat().st_size
    if actual != size:
        return FileProblem("SIZE_MISMATCH", f"{name} has {actual} bytes, {READY} announces {size}")
    # Only hash once the size agrees: a size mismatch is cheaper to prove.
    found = sha256_of(path)
    if found != digest:
        return FileProblem("CHECKSUM_MISMATCH", f"{name} has sha256 {found}, {READY} announces {digest}")
    return None
