"""Countries as CRMs write them: one key for every spelling of a country.

HubSpot keeps a contact's or company's country as people type it ("germany", "Deutschland",
"USA"); Salesforce's BillingCountry and MailingCountry are free text, or ISO codes ("DE",
"US") where the org turned on state and country picklists. `country_key` reads each the same
way: its words in any case and spacing, and, for the countries of `COUNTRY_SPELLINGS`, the
English name for every other name or ISO code of it, so that a table keyed by country names
(`smk.scorecard.REGIONS`) finds them all.
"""

from __future__ import annotations

import unicodedata

import pandas as pd

from smk.io.parse import blank, plain_words
from smk.pii import unaccented_spellings

#: English name -> the other names and ISO 3166 codes (two and three letters) CRMs write for
#: it: local names, official long names, common short forms. Names of a part of a country
#: ("England") stand for it; a name that means more than one country ("America") does not.
COUNTRY_SPELLINGS: dict[str, tuple[str, ...]] = {
    "Germany": ("DE", "DEU", "Deutschland", "Federal Republic of Germany"),
    "Austria": ("AT", "AUT", "Österreich", "Republic of Austria"),
    "Switzerland": ("CH", "CHE", "Schweiz", "Suisse", "Svizzera", "Swiss Confederation"),
    "France": ("FR", "FRA", "French Republic"),
    "Netherlands": ("NL", "NLD", "Holland", "Nederland", "Kingdom of the Netherlands"),
    "Belgium": ("BE", "BEL", "België", "Belgique", "Belgien"),
    "Luxembourg": ("LU", "LUX", "Luxemburg", "Lëtzebuerg"),
    "Ireland": ("IE", "IRL", "Republic of Ireland", "Éire"),
    "United Kingdom": (
        *("UK", "U.K.", "GB", "GBR", "Great Britain", "Britain"),
        *("England", "Scotland", "Wales", "Northern Ireland"),
        "United Kingdom of Great Britain and Northern Ireland",
    ),
    "Spain": ("ES", "ESP", "España", "Espagne", "Spanien"),
    "Italy": ("IT", "ITA", "Italia", "Italien"),
    "Portugal": ("PT", "PRT"),
    "United States": ("US", "USA", "U.S.", "U.S.A.", "United States of America"),
    "Canada": ("CA", "CAN"),
}


#: Values CRMs write in a country field for "no country" (as `country_key`: "N/A" is "n a",
#: "-" is ""), beside the null markers every text column reads as missing (`blank`: "n/a",
#: "-", "none", "null"): a placeholder, not a country of its own.
NO_COUNTRY = frozenset(
    {
        *("", "n a", "none", "null", "unknown", "other", "others", "not specified"),
        *("not set", "not provided", "not available", "not applicable", "unspecified"),
    }
)


def no_country(country: pd.Series) -> pd.Series:
    """Mask of the values of `country` that name no country: missing, blank, a null marker
    (`blank`) or a placeholder of `NO_COUNTRY` ("Unknown", "Other", "-"), in any case. A
    picklist's industry is read the same way (`smk.segmentation.category_values`)."""
    words = country.dropna().unique()
    placeholder = {c for c in words if country_key(str(c)) in NO_COUNTRY}
    return blank(country) | country.isin(placeholder)


def country_key(text: str) -> str:
    """`text` (a country as written) as one key for all its spellings: its lower-case words
    without a leading "the" ("The Netherlands", " netherlands": netherlands), and, for a
    country of `COUNTRY_SPELLINGS`, its English name's ("DE", "GERMANY", "Deutschland":
    germany; "Österreich" also without its accents)."""
    words = _words(text)
    return _KNOWN.get(words, words)


def _words(text: str) -> str:
    """`text` as `plain_words` (its accents composed, as most files write them), a leading
    "the" dropped."""
    words = plain_words(unicodedata.normalize("NFC", text))
    return words[4:] if words.startswith("the ") else words


def _known() -> dict[str, str]:
    """Each spelling of `COUNTRY_SPELLINGS` (as `_words`, also without accents) -> the
    words of its English name."""
    known = {}
    for name, others in COUNTRY_SPELLINGS.items():
        for spelling in (name, *others):
            for written in {spelling} | unaccented_spellings(spelling):
                known[_words(written)] = _words(name)
    return known


#: `_known`, built once
_KNOWN = _known()
