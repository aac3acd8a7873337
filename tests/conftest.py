"""Test-suite settings.

Hypothesis' per-example deadline (200 ms by default) and its "too slow" health check are timing
assertions, and timings belong in `bench/`, not in tests: on a busy CI machine a slow example
fails though every result is right. The examples still run; only the clock is off.

Owner pseudonyms get a fixed key from the environment (see below). `salesforce_touchpoints`
gives the touchpoints a Salesforce round trip of canonical tables should load.
"""

import os

import pandas as pd
import pytest
from hypothesis import HealthCheck, settings

# Owner pseudonyms are keyed (smk.pii.pseudonym_key): the suite brings its own key rather than
# making one in the user's config folder (tests/test_sla.py tests that path in a temporary one).
os.environ.setdefault("SMK_OWNER_KEY", "smk-test-suite")

settings.register_profile("smk", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("smk")


def _salesforce_touchpoints(touchpoints: pd.DataFrame, contacts: pd.DataFrame) -> pd.DataFrame:
    """The touchpoints a Salesforce round trip of these canonical tables gives, by the rule
    `write_salesforce` documents, computed here on its own: one campaign member per campaign
    (named, or none per channel) and person, the earliest touch's row (by time, then id);
    the person's k-th member (k = 0, 1, ... by time; tied touches share a k) dated no earlier
    than k seconds after the person was created (`created_at`: its Lead's or Contact's
    CreatedDate), so touches before the creation load at it, one second apart, in order."""
    t = touchpoints.drop_duplicates("touchpoint_id")
    t = t.sort_values(["occurred_at", "touchpoint_id"], kind="stable")
    keys = [t[c].astype("string").fillna("") for c in ("campaign", "channel", "contact_id")]
    first = t.groupby(keys, sort=False).head(1)
    who = first["contact_id"].astype("string").fillna("")
    by_person = first.assign(_who=who).sort_values(["_who", "occurred_at"], kind="stable")
    same_person = by_person["_who"].eq(by_person["_who"].shift())
    new_moment = ~(same_person & by_person["occurred_at"].eq(by_person["occurred_at"].shift()))
    k = new_moment.astype(int).groupby(by_person["_who"]).cumsum() - 1
    created = by_person["contact_id"].map(contacts.set_index("contact_id")["created_at"])
    floor = created + pd.to_timedelta(k, unit="s")
    later = (floor > by_person["occurred_at"]).to_numpy()
    return first.assign(occurred_at=by_person["occurred_at"].mask(later, floor)).sort_index()


@pytest.fixture(scope="session")
def salesforce_touchpoints():
    """`_salesforce_touchpoints`: the expected touchpoints of a Salesforce round trip."""
    return _salesforce_touchpoints
