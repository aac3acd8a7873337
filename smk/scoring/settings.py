"""The lead-scoring configuration (`config.yaml` beside this file): rules, grades, drift limits,
leakage patterns and the plain words of each feature."""

from __future__ import annotations

import copy
from functools import lru_cache
from pathlib import Path

import yaml

CONFIG_PATH = Path(__file__).with_name("config.yaml")


@lru_cache(maxsize=4)
def _parse(text: str) -> dict:
    return yaml.safe_load(text)


def load_config(path: str | Path | None = None) -> dict:
    """The scoring configuration as a dict (a copy: changing it changes nothing else).

    The file is read on every call and parsed again only when its text changed, so an edit
    of `config.yaml` counts from the next call on, without restarting a notebook's kernel.
    """
    text = Path(path or CONFIG_PATH).read_text(encoding="utf-8")
    return copy.deepcopy(_parse(text))


def section(config: dict | None, name: str) -> dict:
    """The `name` section of `config` (None: this package's `config.yaml`), each key it lacks
    taken from the package's file: a copy of `config.yaml` made before a key was added (as
    ``drift.false_alarm``) still works, with that key's shipped value."""
    shipped = load_config()[name]
    if config is None:
        return shipped
    return {**shipped, **(config.get(name) or {})}
