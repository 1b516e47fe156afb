"""Country names for display, from ISO-3 codes (pycountry, with shorter common names)."""

from __future__ import annotations

from functools import lru_cache

import pycountry

from rigflows.schema import OTHER_COUNTRIES


#: Shorter names where the ISO name reads oddly in a chart label.
_DISPLAY_NAMES = {"RUS": "Russia"}


@lru_cache(maxsize=None)
def country_name(iso3: str) -> str:
    """'RUS' → 'Russia'; 'OTHER' → 'Other countries'; an unknown code is returned as is."""
    if iso3 == OTHER_COUNTRIES:
        return "Other countries"
    if iso3 in _DISPLAY_NAMES:
        return _DISPLAY_NAMES[iso3]
    country = pycountry.countries.get(alpha_3=iso3)
    if country is None:
        return iso3
    return getattr(country, "common_name", None) or getattr(country, "short_name", None) or country.name
