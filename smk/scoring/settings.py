"""The lead-scoring configuration (`config.yaml` beside this file): rules, grades, drift limits,
leakage patterns and the plain words of each feature."""

from __future__ import annotations

import copy
from functools import lru_cache
from pathlib import Path

import yaml

CONFIG_PATH = Path(__file__).with_name("config.yaml")


@lru_cache(maxsize=4)
def _read(path: str) -> dict:
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def load_config(path: str | Path | None = None) -> dict:
    """The scoring configuration as a dict (a copy: changing it changes nothing else)."""
    return copy.deepcopy(_read(str(path or CONFIG_PATH)))
