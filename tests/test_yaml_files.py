"""YAML files users write are read within bounds: an alias bomb is refused before anything is
built from it (a 2 KB params file of eight alias levels took 2.5 GB and 70 s; nine ran out of
memory), by `smk validate --params`, `smk report --params`, mapping files and SLA files."""

from __future__ import annotations

import pytest
import yaml

from smk import cli, config
from smk.sla import SLA
from smk.yaml_files import MAX_VALUES, YAMLTooLarge, load_yaml


def _bomb(levels: int) -> str:
    """A params file each of whose `levels` lines repeats the line before ten times."""
    names = [chr(ord("a") + i) for i in range(levels)]
    lines = [f'{names[0]}: &{names[0]} ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [
        f"{n}: &{n} [{', '.join([f'*{p}'] * 10)}]"
        for p, n in zip(names[:-1], names[1:], strict=True)
    ]
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_by_its_expanded_size():
    with pytest.raises(YAMLTooLarge, match=r"it expands to [\d,]+ values through its aliases"):
        load_yaml(_bomb(9))  # a billion strings; counted, not built
    assert MAX_VALUES < 10**6


def test_settings_with_anchors_and_merges_still_read():
    text = "base: &base {timezone: UTC, weekmask: Mon Tue}\nteam: {<<: *base, timezone: CET}\n"
    assert load_yaml(text) == yaml.safe_load(text)
    assert load_yaml("") is None
    with pytest.raises(yaml.YAMLError):
        load_yaml("a: [1, 2")


def test_smk_validate_refuses_a_params_bomb_at_once(tmp_path, capsys):
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(_bomb(9))
    code = cli.main(["validate", str(config.SAMPLE_HUBSPOT), "--params", str(bomb)])
    assert code == 2
    said = capsys.readouterr().err
    assert f"cannot read the params file {bomb}: it expands to" in said


def test_a_mapping_or_sla_file_bomb_is_refused(tmp_path):
    import smk
    from smk.errors import CRMExportError

    mapping = tmp_path / "mine.yaml"
    mapping.write_text("name: mine\n" + _bomb(9))
    with pytest.raises(CRMExportError, match="it expands to"):
        smk.load(config.SAMPLE_HUBSPOT, mapping=mapping)
    sla = tmp_path / "sla.yaml"
    sla.write_text(_bomb(9))
    with pytest.raises(YAMLTooLarge):
        SLA.from_yaml(sla)
