"""Test-suite settings.

Hypothesis' per-example deadline (200 ms by default) and its "too slow" health check are timing
assertions, and timings belong in `bench/`, not in tests: on a busy CI machine a slow example
fails though every result is right. The examples still run; only the clock is off.

Owner pseudonyms get a fixed key from the environment (see below).
"""

import os

from hypothesis import HealthCheck, settings

# Owner pseudonyms are keyed (smk.pii.pseudonym_key): the suite brings its own key rather than
# making one in the user's config folder (tests/test_sla.py tests that path in a temporary one).
os.environ.setdefault("SMK_OWNER_KEY", "smk-test-suite")

settings.register_profile("smk", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("smk")
