"""The register of UK councils (mySociety, MIT licence), read from the packaged CSV."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from domain.names import NameMatcher

REGISTER_CSV = Path(__file__).parent / "data" / "uk_local_authorities.csv"


@dataclass(frozen=True)
class CouncilRecord:
    code: str
    official_name: str
    short_name: str | None
    gss_code: str | None
    type_code: str | None
    type_name: str | None
    nation: str | None
    region: str | None
    start_date: str | None
    end_date: str | None
    replaced_by: str | None
    current: bool
    alt_names: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        """Official name, short name, then alt names, without repeats."""
        names = (self.official_name, self.short_name, *self.alt_names)
        return tuple(dict.fromkeys(name for name in names if name))


def split_alt_names(field: str | None) -> tuple[str, ...]:
    """Split the comma-separated alt-names cell.

    A piece that starts with a space continues the previous name, so
    "Kingston upon Hull, City of,hull city" gives two names, not three.
    """
    names: list[str] = []
    for piece in (field or "").split(","):
        if piece.startswith(" ") and piece.strip() and names:
            names[-1] = f"{names[-1]},{piece}"
        else:
            names.append(piece)
    cleaned = (" ".join(name.split()) for name in names)
    return tuple(dict.fromkeys(name for name in cleaned if name))


def _cell(row: dict[str, str | None], column: str) -> str | None:
    value = (row.get(column) or "").strip()
    return value or None


def record_from_row(row: dict[str, str | None]) -> CouncilRecord:
    """One CSV row (as read by csv.DictReader) as a CouncilRecord."""
    code = _cell(row, "local-authority-code")
    official_name = _cell(row, "official-name")
    if code is None or official_name is None:
        raise ValueError(f"register row without code or official name: {row!r}")
    return CouncilRecord(
        code=code,
        official_name=official_name,
        short_name=_cell(row, "nice-name"),
        gss_code=_cell(row, "gss-code"),
        type_code=_cell(row, "local-authority-type"),
        type_name=_cell(row, "local-authority-type-name"),
        nation=_cell(row, "nation"),
        region=_cell(row, "region"),
        start_date=_cell(row, "start-date"),
        end_date=_cell(row, "end-date"),
        replaced_by=_cell(row, "replaced-by"),
        current=_cell(row, "current-authority") == "True",
        alt_names=split_alt_names(row.get("alt-names")),
    )


@lru_cache(maxsize=4)
def load_register(path: Path = REGISTER_CSV) -> tuple[CouncilRecord, ...]:
    """Every council in the register, sorted by code (cached: records are frozen)."""
    with open(path, encoding="utf-8", errors="replace", newline="") as handle:
        records = [record_from_row(row) for row in csv.DictReader(handle)]
    return tuple(sorted(records, key=lambda record: record.code))


def council_matcher(records: Iterable[CouncilRecord]) -> NameMatcher:
    """A NameMatcher over councils, keyed by register code."""
    return NameMatcher((record.code, record.names, record.current) for record in records)


def places() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The register's nations and regions (each sorted): what a directory filters by."""
    records = load_register()
    nations = sorted({r.nation for r in records if r.nation})
    regions = sorted({r.region for r in records if r.region})
    return tuple(nations), tuple(regions)
