"""docs/notifications.md lists every notification with its audience, trigger and default, as
the catalogue in ``domain.notifications`` has them: a new kind without a row there fails here."""

from __future__ import annotations

from pathlib import Path

from domain.notifications import KINDS

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "notifications.md"


def guide_rows() -> dict[str, list[str]]:
    rows = {}
    for line in GUIDE.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("| `") and len(cells) == 6:
            rows[cells[0].strip("`")] = cells[1:]
    return rows


def test_every_notification_kind_has_a_row_in_the_guide_saying_who_when_and_its_defaults() -> None:
    rows = guide_rows()
    assert set(KINDS) <= set(rows), f"kinds missing from docs/notifications.md: {sorted(set(KINDS) - set(rows))}"
    for name, kind in KINDS.items():
        audience, trigger, default, switchable, digestible = rows[name]
        assert audience == kind.audience and trigger == kind.trigger, name
        assert default == ("on" if kind.default_on else "off"), name
        assert switchable == ("yes" if kind.switchable else "no"), name
        assert digestible == ("yes" if kind.digestible else "no"), name
