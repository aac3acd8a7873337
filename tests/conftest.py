"""Test-suite settings.

Hypothesis' per-example deadline (200 ms by default) and its "too slow" health check are timing
assertions, and timings belong in `bench/`, not in tests: on a busy CI machine a slow example
fails though every result is right. The examples still run; only the clock is off.
"""

from hypothesis import HealthCheck, settings

settings.register_profile("smk", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("smk")
