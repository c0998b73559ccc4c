"""Email domains: evidence of who belongs to which organisation.

An organisation lists the email domains its staff write from. A person whose
*verified* address is on one of them joins as a member on verification; anyone
else waits, pending, for an admin. The councils' domains are seeded from GOV.UK
Notify's list of public-sector domains (April 2019), whose owners are names: they
are matched to the register by the project's own name resolution, and whatever
does not match exactly (or matches an abolished council) is listed for an
operator, never guessed."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from domain.errors import ValidationFailed
from domain.names import CORE, NameMatcher
from domain.register import council_matcher, load_register

DOMAINS_YML = Path(__file__).parent / "data" / "public_sector_email_domains.yml"
SEED_SOURCE = "public-sector email domains (GOV.UK Notify, April 2019)"

# Domains shared by many unrelated people: never evidence of one organisation.
SHARED = frozenset(
    {
        "gmail.com", "googlemail.com", "hotmail.com", "hotmail.co.uk", "outlook.com", "live.com", "live.co.uk",
        "yahoo.com", "yahoo.co.uk", "icloud.com", "me.com", "aol.com", "btinternet.com", "protonmail.com",
        "proton.me", "gov.uk", "org.uk", "co.uk", "ac.uk", "nhs.uk", "nhs.net", "gov.scot", "gov.wales",
        "llyw.cymru", "police.uk", "sch.uk", "mod.uk", "ltd.uk", "plc.uk", "net.uk", "me.uk", "gsi.gov.uk",
        "gcsx.gov.uk", "gse.gov.uk", "pnn.police.uk", "cjsm.net", "example.com", "example.org", "example.net",
    }
)  # fmt: skip
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def clean_domain(text: str) -> str:
    """A domain as we store it: lower case, no surrounding dots or spaces; refused if it
    is not a plausible domain or is one that many unrelated people share."""
    domain = text.strip().strip(".").lower()
    labels = domain.split(".")
    if len(domain) > 253 or len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise ValidationFailed(
            f"'{text}' is not an email domain such as 'wigan.gov.uk'.", errors={"domain": ["Invalid."]}
        )
    if domain in SHARED:
        raise ValidationFailed(
            f"'{domain}' is shared by many organisations, so it says nothing about who belongs where.",
            errors={"domain": ["Too general."]},
        )
    return domain


def domain_of(address: str) -> str:
    return address.strip().rpartition("@")[2].strip().strip(".").lower()


def covered(domains: Iterable[str], address: str) -> str | None:
    """The listed domain that ``address`` is on (the domain itself or a subdomain of it)."""
    host = domain_of(address)
    for domain in domains:
        if host == domain or host.endswith("." + domain):
            return domain
    return None


def load_owners(path: Path = DOMAINS_YML) -> dict[str, str]:
    """Every domain of the list with its owner's name (aliases followed to their owner)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader when PyYAML has it: 10x faster
    raw = yaml.load(path.read_text(encoding="utf-8"), Loader=loader) or {}  # noqa: S506 - a safe loader
    owners: dict[str, str] = {}
    for domain, value in raw.items():
        target, seen = value, {domain}
        while isinstance(target, str) and target not in seen:  # an alias: follow it
            seen.add(target)
            target = raw.get(target)
        if isinstance(target, Mapping) and target.get("owner"):
            owners[str(domain).lower()] = str(target["owner"]).strip()
    return owners


@dataclass(frozen=True)
class Unplaced:
    """An owner the seed did not attach to a council, and why."""

    owner: str
    domains: tuple[str, ...]
    reason: str
    candidates: tuple[str, ...] = ()


@dataclass
class SeedPlan:
    by_council: dict[str, list[str]] = field(default_factory=dict)  # register code -> domains
    unplaced: list[Unplaced] = field(default_factory=list)


def plan_seed(owners: Mapping[str, str], councils: NameMatcher, current: Mapping[str, bool]) -> SeedPlan:
    """Attach an owner's domains to a council only when its name resolves exactly (or by
    its core name) to one current council; list every other owner with the reason."""
    by_owner: dict[str, list[str]] = {}
    for domain, owner in owners.items():
        by_owner.setdefault(owner, []).append(domain)
    plan = SeedPlan()
    for owner, domains in sorted(by_owner.items()):
        found = councils.resolve(owner, suggest=False)
        names = tuple(f"{c.key} {c.name}" for c in found.candidates)
        best = found.candidates[0].score if found.candidates else 0.0
        if found.status == "resolved" and best >= CORE and current.get(found.key or "", False):
            plan.by_council.setdefault(found.key or "", []).extend(sorted(domains))
        elif found.status == "resolved" and best >= CORE:
            plan.unplaced.append(Unplaced(owner, tuple(sorted(domains)), "matches an abolished council", names))
        elif found.status == "ambiguous":
            plan.unplaced.append(Unplaced(owner, tuple(sorted(domains)), "matches more than one council", names))
        elif found.status == "resolved":
            plan.unplaced.append(Unplaced(owner, tuple(sorted(domains)), "only a partial match", names))
        else:
            plan.unplaced.append(Unplaced(owner, tuple(sorted(domains)), "not a council in the register"))
    return plan


@functools.cache
def register_seed_plan() -> SeedPlan:
    """The plan for the shipped list and register (both fixed files: computed once)."""
    records = load_register()
    return plan_seed(load_owners(), council_matcher(records), {r.code: r.current for r in records})
