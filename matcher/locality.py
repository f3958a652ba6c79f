"""Near before far: a program in the worker's city, then in the province, then elsewhere.

A counselor offers what the worker can attend; an out-of-province online class comes
before a local one only when the worker asked for online study (``mode`` 线上: then an
online class is as near as a local one) or when nothing local exists for what they want
(the ordering puts what they named first, so the far class of the named occupation still
leads when no near one exists).
"""

from __future__ import annotations

import numpy as np

from corpus.domain.profile import Profile
from corpus.regions import short_name
from matcher.snapshot import Snapshot

LOCAL, PROVINCE, ELSEWHERE = 0, 1, 2
TIER_NAMES = {LOCAL: "local", PROVINCE: "province", ELSEWHERE: "elsewhere"}


def tiers(s: Snapshot, profile: Profile) -> np.ndarray:
    """Per program: LOCAL (same city or county), PROVINCE, or ELSEWHERE; all LOCAL when
    the worker gave no place (nothing to be near to)."""
    if not profile.province and not profile.city:
        return np.zeros(len(s), dtype=np.int8)
    out = np.full(len(s), ELSEWHERE, dtype=np.int8)
    if profile.province:
        out[s.province == profile.province] = PROVINCE
    # A municipality is the worker's province and city at once; with only a province
    # given, the province is as local as it gets.
    if profile.city and profile.city != profile.province:
        out[s.city == profile.city] = LOCAL
    elif profile.province:
        out[s.province == profile.province] = LOCAL
    if profile.mode == "线上":
        out[s.online] = LOCAL
    return out


def scope_name(profile: Profile, travel: str) -> str:
    """The place a travel range covers, for a sentence: 「包头市」, 「内蒙古」, 「目录中」."""
    place = {"same_county": profile.county or profile.city, "same_city": profile.city,
             "same_province": profile.province}.get(travel)
    if travel == "same_province" and place:
        return short_name(place)
    return place or "目录中"
