"""The named answers, strictest first: the one table the engine, the CLI and the app read.

Three duplicate tiers and one tier that is never a duplicate. Their order decides which tier a
group takes (its loosest pair) and which answer "is this already in my library?" gives (the
strictest match). Values are stored in libraries and printed in JSON: they never change.
"""

from __future__ import annotations

from dataclasses import dataclass

TIER_EXACT = "exact"
TIER_SAME_PHOTO = "same_photo"
TIER_EDITED_COPY = "edited_copy"
TIER_SIMILAR_SHOT = "similar_shot"


@dataclass(frozen=True)
class Tier:
    name: str
    duplicate: bool
    """A duplicate tier offers copies for removal; a similar shot never does."""
    words: str
    """What the tier means, for the command line's listing."""


TIERS: tuple[Tier, ...] = (
    Tier(TIER_EXACT, True, "exact copies (identical files)"),
    Tier(TIER_SAME_PHOTO, True, "same photo (resized, recompressed or converted)"),
    Tier(TIER_EDITED_COPY, True, "edited copy (cropped, retouched or otherwise edited)"),
    Tier(
        TIER_SIMILAR_SHOT, False, "similar shots (not duplicates: another moment of the same scene)"
    ),
)
_RANK = {tier.name: rank for rank, tier in enumerate(TIERS)}
_BY_NAME = {tier.name: tier for tier in TIERS}


def tier(name: str) -> Tier:
    return _BY_NAME[name]


def rank(name: str) -> int:
    """0 for the strictest tier; unknown names (no match) rank after every tier."""
    return _RANK.get(name, len(TIERS))


def loosest(names: list[str]) -> str:
    """The loosest of several tiers (a group's tier is its loosest pair's)."""
    return max(names, key=rank)


def is_duplicate(name: str) -> bool:
    return name in _BY_NAME and _BY_NAME[name].duplicate
