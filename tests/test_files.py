"""Reading export files: encodings decided by the whole file, not only its first bytes."""

from smk.io.files import read_any


def test_windows_1252_after_a_long_ascii_start_is_read_correctly(tmp_path):
    # Excel re-saves keep ASCII rows ASCII: the first non-UTF-8 byte can come megabytes in
    lines = ["Record ID,Company name,Create Date"]
    lines += [f"{i},Acme {i},2026-01-01 10:00" for i in range(70_000)]
    lines += ["70001,Société Générale,2026-01-02 10:00"]
    path = tmp_path / "hubspot-crm-exports-all-companies-2026-01-03.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode("cp1252"))
    frame = read_any(path)
    assert len(frame) == 70_001
    assert frame["Company name"].iloc[-1] == "Société Générale"
    assert frame["_row"].iloc[-1] == 70_002


def test_utf8_text_is_not_mistaken_for_windows_1252(tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_text("contact_id,name\n1,Zoë Ångström\n", encoding="utf-8")
    assert read_any(path)["name"].iloc[0] == "Zoë Ångström"


def test_date_columns_arrow_can_read_whole_become_timestamps_others_stay_text(tmp_path):
    import pandas as pd

    path = tmp_path / "dates.csv"
    path.write_text(
        "id,blank_gaps,zoned,bad_then_blank,mixed_zones\n"
        "1,2025-01-01 10:00,2025-01-01T10:00:00Z,2025-01-01 10:00,2025-01-01T10:00:00Z\n"
        "2,,2025-01-02T10:00:00+01:00,garbage,2025-01-02 10:00\n"
        "3,2025-01-03 10:00,2025-01-03T10:00:00Z,,2025-01-03T10:00:00Z\n"
    )
    frame = read_any(path, timestamps=["blank_gaps", "zoned", "bad_then_blank", "mixed_zones"])
    assert frame["blank_gaps"].dtype == "datetime64[ns]"  # naive: the loader applies the zone
    assert frame["blank_gaps"].isna().tolist() == [False, True, False]
    assert str(frame["zoned"].dtype) == "datetime64[ns, UTC]"
    assert frame["zoned"][1] == pd.Timestamp("2025-01-02 09:00", tz="UTC")
    # text for smk's own parser, which sets the bad value aside with its row
    assert frame["bad_then_blank"].tolist() == ["2025-01-01 10:00", "garbage", ""]
    assert frame["mixed_zones"][1] == "2025-01-02 10:00"
