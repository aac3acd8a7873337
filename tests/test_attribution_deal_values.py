"""Attribution's deal values: only the deals converting in the period are converted (a deal
outside it needs no exchange rate, in `journeys` and in `smk report`'s currency pre-check
alike), and a converting deal without an amount has an unknown value, counted and said, not
a silent 0."""

from __future__ import annotations

import csv
import html
import json
import shutil
import warnings
from pathlib import Path

import pandas as pd
import pytest
import yaml
from test_attribution_models import B2B, mini_crm, table, utc, won_deal

import smk
from smk import attribution as at
from smk import cli, config
from smk.periods import Month
from smk.report import currency_gap, discover_notebooks

EUR = {"EUR": 1.0}
RATES = {"EUR": 1.0, "USD": 0.92}  # notebook 04's default fx_rates


def _in(currency: str, deal: dict) -> dict:
    return {**deal, "currency": currency}


#: won in January (EUR, contact 1), in March (GBP, contact 2): created ten days before each
DEALS = [
    _in("EUR", won_deal("D1", "1", 1000.0, "2026-01-26")),
    _in("GBP", won_deal("D2", "2", 500.0, "2026-03-20")),
]


@pytest.mark.parametrize("conversion", ["won", "opportunity"])
def test_a_deal_converting_after_the_period_needs_no_rate(conversion):
    """A GBP deal won (created) in March: the journeys of January, with rates for EUR only,
    failed with 'no exchange rate for GBP' (every deal's amount was converted)."""
    crm = mini_crm(B2B, deals=DEALS)
    january = dict(start=utc("2026-01-01"), end=utc("2026-02-01"), fx=EUR, lookback_days=None)
    j = at.journeys(crm, conversion, **january)
    assert (j.total_conversions, j.total_value) == (1.0, 1000.0)
    with pytest.raises(ValueError, match="no exchange rate for GBP"):  # in its period: needed
        at.journeys(crm, conversion, **{**january, "end": utc("2026-04-01")})


def test_several_currencies_outside_the_period_raise_no_warning_without_rates():
    crm = mini_crm(B2B, deals=DEALS)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # 'deal amounts are in EUR, GBP ...' was raised
        j = at.journeys(crm, end=utc("2026-02-01"), lookback_days=None)
    assert j.total_value == 1000.0
    with pytest.warns(UserWarning, match="deal amounts are in EUR, GBP"):
        at.journeys(crm, end=utc("2026-04-01"), lookback_days=None)


@pytest.mark.parametrize("conversion", ["won", "opportunity"])
@pytest.mark.parametrize("month", ["2026-01", "2026-02", "2026-03", "2026-04"])
@pytest.mark.parametrize("window_months", [1, 12])
def test_the_report_pre_check_refuses_what_journeys_would_fail_on(conversion, month, window_months):
    """`smk report`'s currency pre-check (`report._converted`) and notebook 04's journeys
    agree on every month: a refusal up front, exactly where the notebook would fail."""
    crm = mini_crm(B2B, deals=DEALS)
    settings = {"conversion": conversion, "window_months": window_months, "fx_rates": EUR}
    gap = currency_gap(crm, discover_notebooks(["attribution"]), settings, Month(month))
    end = Month(month).end
    start = at.window_start(end, window_months)
    try:
        at.journeys(crm, conversion, start=start, end=end, fx=EUR)
        failed = None
    except ValueError as exc:
        failed = str(exc)
    assert (gap is None) == (failed is None), (gap, failed)
    if gap is not None:
        assert gap[0] == f"fx_rates (for notebook attribution): {failed}"  # the file's top
        verb = "won" if conversion == "won" else "created"
        assert gap[1] == f"attribution converts the deals {verb} from {start:%Y-%m} to {month}"


def _without_amount() -> list[dict]:
    """Won in January: D1 (1000, contact 1), D2 (no amount, contact 2, touched), D3 (no
    amount, no contact: unattributed)."""
    return [
        won_deal("D1", "1", 1000.0, "2026-01-26"),
        won_deal("D2", "2", None, "2026-01-20"),
        won_deal("D3", None, None, "2026-01-22"),
    ]


def test_conversions_without_an_amount_are_counted_as_of_unknown_value():
    j = at.journeys(mini_crm(B2B, deals=_without_amount()), lookback_days=None)
    c = j.coverage()
    assert (c["conversions"], c["attributed"], c["unattributed"]) == (3, 2, 1)
    assert (c["value"], c["attributed_value"]) == (1000.0, 1000.0)  # the known values only
    assert (c["unvalued"], c["attributed_unvalued"], c["unattributed_unvalued"]) == (2, 1, 1)
    counts = [k for k in c if not k.endswith("value")]  # whole counts as ints, as JSON shows them
    assert all(type(c[k]) is int for k in counts) and type(c["value"]) is float
    assert j.unvalued == {"attributed": 1.0, "unattributed": 1.0}
    assert j.coverage_detail(90) == (  # D3 is unattributed as it has no contact
        "of 3 won conversions; 1 unattributed: no contact on the deal; 1 without an "
        "amount: value unknown"
    )
    assert (
        "without an amount (value unknown, not 0): 2 (1 attributed); the values, the value "
        "credited and the return on ad spend leave them out"
    ) in j.coverage_lines("2026-01-01 to 2026-01-31", None)
    comparison = at.compare(j, ["linear", "last_touch", "markov"])
    at.check_credit(comparison, j)  # credit adds up to the known value: 1000, once
    roi = at.return_on_spend(comparison, at.spend_by_channel(mini_crm(B2B).spend))
    assert roi.groupby("model")["value"].sum().eq(1000.0).all()


def test_every_conversion_with_an_amount_adds_no_line_and_no_detail():
    j = at.journeys(mini_crm(B2B), lookback_days=None)
    assert j.coverage()["unvalued"] == 0
    assert not any("without an amount" in line for line in j.coverage_lines("January", None))
    assert "without an amount" not in j.coverage_detail(None)


def _blank_amounts(folder: Path, n: int) -> list[str]:
    """Blank the amount of the first `n` deals won in the sample's year to 2026-10; their ids."""
    path = next(folder.glob("*deals*.csv"))
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    blanked = []
    for row in rows:
        won_in_year = "2025-11" <= row["Close Date"][:7] <= "2026-10"
        if row["Deal Stage"] == "Closed Won" and won_in_year and len(blanked) < n:
            row["Amount"] = ""
            blanked.append(row["Record ID"])
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), quoting=csv.QUOTE_NONNUMERIC)
        writer.writeheader()
        writer.writerows(rows)
    return blanked


def test_the_attribution_page_and_its_metrics_count_the_deals_without_an_amount(tmp_path):
    """A won deal without an amount was credited a value of 0, unsaid (~15 s)."""
    export = tmp_path / "hubspot"
    shutil.copytree(config.SAMPLE_HUBSPOT, export)
    assert len(_blank_amounts(export, 3)) == 3
    params = tmp_path / "params.yaml"
    settings = {"n_boot": 20, "models": ["linear", "last_touch", "markov"], "lookback_days": 90}
    params.write_text(yaml.safe_dump({"notebooks": {"attribution": settings}}))
    args = ["report", "--data", str(export), "--month", "2026-10", "--out", str(tmp_path / "r")]
    assert cli.main([*args, "--notebooks", "attribution", "--params", str(params), "--quiet"]) == 0
    month = tmp_path / "r" / "2026-10"
    coverage = json.loads((month / "metrics-attribution.json").read_text())["coverage"]
    assert coverage["unvalued"] == 3
    bounds = {"start": utc("2025-11-01"), "end": utc("2026-11-01")}
    j = at.journeys(smk.load(export), lookback_days=90, fx=RATES, **bounds)
    assert coverage == pytest.approx(j.coverage())
    page = " ".join(html.unescape((month / "04_attribution.html").read_text()).split())
    assert "without an amount (value unknown, not 0): 3 (" in page
    assert "without an amount: value unknown" in j.coverage_detail(90)
    assert j.coverage_detail(90) in page  # the tile: how many attributed ones have no amount


# ------------------------------------------------------------------ the reporting currency
#: A USD company: won in January, D1 in USD, D2 naming no currency (its own: USD); spend of
#: January, one row in USD, one naming none
USD_DEALS = [
    _in("USD", won_deal("D1", "1", 1000.0, "2026-01-26")),
    won_deal("D2", "2", 500.0, "2026-01-28"),
]
USD_SPEND = table(
    "spend",
    [
        {
            "month": pd.Timestamp("2026-01-01"),
            "channel": "paid_search",
            "amount": 300.0,
            "currency": "USD",
        },
        {"month": pd.Timestamp("2026-01-01"), "channel": "paid_social", "amount": 200.0},
    ],
)
JANUARY = {"start": utc("2026-01-01"), "end": utc("2026-02-01")}


def _roi(deals: list[dict], spend: pd.DataFrame, rates: dict, currency: str):
    """The journeys of January and their return on spend (linear), in `currency`."""
    j = at.journeys(
        mini_crm(B2B, deals=deals),
        lookback_days=None,
        fx=rates,
        reporting_currency=currency,
        **JANUARY,
    )
    paid = at.spend_by_channel(spend, **JANUARY, fx=rates, reporting_currency=currency)
    return j, at.return_on_spend(at.compare(j, ["linear"]), paid).set_index("channel")


@pytest.mark.parametrize("rates", [RATES, {"EUR": 1.08, "USD": 1.0}])
def test_a_usd_company_gets_its_values_and_spend_in_usd(rates):
    """Notebook 04 valued deals and spend in the currency whose rate is 1.0 (EUR with its
    default rates), rows without a currency as EUR, whatever `reporting_currency: USD` the
    funnel and segmentation pages honour: value per unit spent 8.7% off on a USD org's page."""
    j, roi = _roi(USD_DEALS, USD_SPEND, rates, "USD")
    assert j.currency == "USD" and j.total_value == pytest.approx(1500.0)
    assert (
        j.coverage_lines("January", None)[0] == "won conversions from January: 2 (value 1,500 USD)"
    )
    assert roi.loc[["paid_search", "paid_social"], "spend"].tolist() == pytest.approx(
        [300.0, 200.0]
    )
    # the same figures as the whole computation in EUR (every row naming its currency), converted
    usd = rates["USD"] / rates["EUR"]  # one USD in EUR
    named = USD_SPEND.assign(currency="USD")
    in_eur, eur_roi = _roi([_in("USD", d) for d in USD_DEALS], named, rates, "EUR")
    assert in_eur.currency == "EUR" and in_eur.total_value == pytest.approx(1500.0 * usd)
    assert (eur_roi[["value", "spend"]] / usd).to_numpy() == pytest.approx(
        roi[["value", "spend"]].to_numpy(), nan_ok=True
    )
    assert eur_roi["roas"].to_numpy() == pytest.approx(roi["roas"].to_numpy(), nan_ok=True)


def test_a_reporting_currency_without_a_rate_is_refused_as_on_the_other_pages():
    crm = mini_crm(B2B, deals=USD_DEALS)
    with pytest.raises(ValueError, match="has no rate for the reporting currency GBP"):
        at.journeys(crm, fx=RATES, reporting_currency="GBP", **JANUARY)
    with pytest.raises(ValueError, match="has no rate for the reporting currency GBP"):
        at.spend_by_channel(USD_SPEND, fx=RATES, reporting_currency="GBP")
    # without rates the deals must be in it: EUR deals are not shown as USD
    with pytest.raises(ValueError, match="deals are in EUR, the reporting currency is USD"):
        at.journeys(mini_crm(B2B), fx={}, reporting_currency="USD", **JANUARY)
    assert at.value_currency(None, mini_crm(B2B, deals=USD_DEALS), "USD") == "USD"
    assert at.value_currency(RATES, None, "USD") == "USD"
    assert at.value_currency(RATES) == "EUR"  # none named: the rates' own, as before


def test_smk_report_s_reporting_currency_reaches_the_attribution_page(tmp_path):
    """A top-level `reporting_currency: USD` set the funnel and segmentation pages' currency
    but not the attribution page's, which stayed in EUR (~15 s)."""
    params = tmp_path / "params.yaml"
    settings = {"n_boot": 20, "models": ["linear", "last_touch"]}
    params.write_text(
        yaml.safe_dump({"reporting_currency": "USD", "notebooks": {"attribution": settings}})
    )
    args = [
        "report",
        "--data",
        str(config.SAMPLE_HUBSPOT),
        "--month",
        "2026-10",
        "--out",
        str(tmp_path / "r"),
    ]
    assert cli.main([*args, "--notebooks", "attribution", "--params", str(params), "--quiet"]) == 0
    month = tmp_path / "r" / "2026-10"
    metrics = json.loads((month / "metrics-attribution.json").read_text())
    assert metrics["currency"] == "USD"
    crm = smk.load(config.SAMPLE_HUBSPOT)
    bounds = {"start": utc("2025-11-01"), "end": utc("2026-11-01")}
    in_eur = at.journeys(crm, fx=RATES, **bounds)  # the page's figures before, in EUR
    assert in_eur.currency == "EUR"
    assert metrics["coverage"]["value"] == pytest.approx(in_eur.coverage()["value"] / RATES["USD"])
    roi = pd.read_csv(month / "attribution_roi.csv")
    spend = at.spend_by_channel(crm.spend, fx=RATES, **bounds).set_index("channel")["spend"]
    paid = roi.drop_duplicates("channel").set_index("channel")["spend"].dropna()
    assert paid.to_numpy() == pytest.approx(spend.loc[paid.index].to_numpy() / RATES["USD"])
    page = " ".join(html.unescape((month / "04_attribution.html").read_text()).split())
    assert "<strong>Cost per acquisition</strong> (USD per conversion)" in page
    assert (
        f"(value {metrics['coverage']['value']:,.0f} USD)" in page
        and "<th>Linear (USD)</th>" in page
    )
