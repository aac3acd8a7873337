"""Segmentation converts only the deals it reads for the report month.

Every deal's amount was converted with `fx_rates`, later deals too: a GBP deal of a later month
stopped an earlier month's page (and `smk report`'s currency check, which mirrored it with
"segmentation converts every deal", refused the whole report with exit 2). The check now
refuses exactly when the notebook's conversions would fail.
"""

from __future__ import annotations

import pandas as pd
import pytest

from smk import segmentation as seg
from smk.model import CRM, make_table
from smk.periods import Month
from smk.report import check_currencies, discover_notebooks

RATES = {"EUR": 1.0, "USD": 0.92}  # the notebooks' default rates: no GBP


def _deal(deal_id: str, created: str, closed: str | None, currency: str, won: bool) -> dict:
    return {
        "deal_id": deal_id,
        "account_id": "a1",
        "contact_id": "c1",
        "created_at": created,
        "closed_at": closed,
        "is_closed": closed is not None,
        "is_won": won,
        "amount": 1_000.0,
        "currency": currency,
    }


@pytest.fixture
def crm() -> CRM:
    """A EUR deal won in January 2026, a GBP deal created in March and won in May, and a GBP
    deal created in July, still open."""
    deals = [
        _deal("d1", "2026-01-05", "2026-01-20", "EUR", True),
        _deal("d2", "2026-03-02", "2026-05-16", "GBP", True),
        _deal("d3", "2026-07-01", None, "GBP", False),
    ]
    contact = {"contact_id": "c1", "account_id": "a1", "created_at": "2025-12-01"}
    account = {"account_id": "a1", "created_at": "2025-12-01", "industry": "x", "country": "DE"}
    return CRM(
        contacts=make_table("contacts", [contact]),
        accounts=make_table("accounts", [account]),
        deals=make_table("deals", deals),
    )


def _notebook_fails(crm: CRM, month: Month) -> bool:
    """Whether notebook 02's conversions (RFM, account features, personas) fail for `month`."""
    assignments = pd.DataFrame({"account_id": ["a1"], "segment": [1]})
    calls = (
        lambda: seg.rfm_table(crm, month.end, fx_rates=RATES, reporting_currency="EUR"),
        lambda: seg.account_features(crm, month.end, fx_rates=RATES, reporting_currency="EUR"),
        lambda: seg.persona_profiles(
            crm, assignments, month.end, fx_rates=RATES, reporting_currency="EUR"
        ),
    )
    failed = []
    for call in calls:
        try:
            call()
        except ValueError as exc:
            assert "no exchange rate for GBP" in str(exc)
            failed.append(True)
        else:
            failed.append(False)
    return any(failed)


def _refused(crm: CRM, month: Month) -> bool:
    try:
        check_currencies(crm, discover_notebooks(["segmentation"]), {}, month)
    except ValueError as exc:
        assert "notebooks.segmentation: no exchange rate for GBP" in str(exc)
        assert f"segmentation converts the deals created or closed by the end of {month}" in str(
            exc
        )
        return True
    return False


@pytest.mark.parametrize(
    ("month", "fails"),
    [
        ("2026-01", False),  # the GBP deals come later
        ("2026-02", False),
        ("2026-03", True),  # created in March: an account feature (its deal size) from then
        ("2026-06", True),
        ("2026-08", True),
    ],
)
def test_the_currency_check_refuses_segmentation_exactly_when_the_notebook_would_fail(
    crm, month, fails
):
    month = Month(month)
    assert _notebook_fails(crm, month) is fails
    assert _refused(crm, month) is fails


def test_the_deals_used_are_those_created_or_closed_before_the_month_ends(crm):
    used = seg.deals_used(crm, Month("2026-06").end)
    assert list(used["deal_id"]) == ["d1", "d2"]
    assert list(seg.deals_used(crm)["deal_id"]) == ["d1", "d2", "d3"]  # no as_of: every deal
    assert list(seg.deals_used(crm, Month("2026-01").end)["deal_id"]) == ["d1"]
