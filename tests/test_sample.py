"""The bundled sample is generated, never hand-edited: regenerating it gives the same bytes."""

import filecmp

import smk
from smk import config
from smk.sample import write_sample


def test_committed_sample_matches_the_generator(tmp_path):
    write_sample(tmp_path)
    for fmt in ("hubspot", "salesforce"):
        ours, committed = tmp_path / fmt, config.SAMPLE_DIR / fmt
        compared = filecmp.dircmp(ours, committed)
        assert not compared.left_only and not compared.right_only, fmt
        for sub in ["."] + list(compared.common_dirs):
            names = sorted(p.name for p in (ours / sub).iterdir() if p.is_file())
            match, mismatch, errors = filecmp.cmpfiles(
                ours / sub, committed / sub, names, shallow=False
            )
            assert mismatch == [] and errors == [], (fmt, sub, mismatch)


def test_each_sample_export_is_small_and_loads():
    for fmt in ("hubspot", "salesforce"):
        folder = config.SAMPLE_DIR / fmt
        size = sum(p.stat().st_size for p in folder.iterdir() if p.is_file())
        assert size < 5 * 2**20, f"{fmt} export is {size / 2**20:.1f} MB"
        crm = smk.load(folder)
        assert crm.format == fmt
        assert len(crm.contacts) > 2000
        crm.quality.check()


def test_loading_is_deterministic_tables_account_and_warnings():
    first, second = smk.load(config.SAMPLE_HUBSPOT), smk.load(config.SAMPLE_HUBSPOT)
    assert first.quality.to_dict() == second.quality.to_dict()
    for name, frame in first.tables().items():
        assert frame.equals(second.tables()[name]), name
