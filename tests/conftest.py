"""Test-suite settings.

Hypothesis' per-example deadline (200 ms by default) is a timing assertion, and timings belong
in `bench/`, not in tests: on a busy CI machine a slow first example fails as "flaky" though
every result is right. The examples still run; only the clock is off.
"""

from hypothesis import settings

settings.register_profile("smk", deadline=None)
settings.load_profile("smk")
