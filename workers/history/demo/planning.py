"""The whole story planned from one seed: the cast first (``story``), then their projects
(``projects``), both drawing on the same random sequence."""

from __future__ import annotations

import random

from workers.history.demo.projects import plan_projects
from workers.history.demo.story import Options, Plan, cast


def plan(options: Options, councils: list[tuple[str, str, str]] | None = None) -> Plan:
    rng = random.Random(options.seed)
    story = Plan(options)
    cast(rng, story, councils)
    plan_projects(rng, story)
    return story
