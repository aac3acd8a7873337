"""Synthetic CRM data whose truth is known, to test every analysis end to end.

We have no customer's data, so smk generates realistic B2B CRM exports from a documented,
seeded model and keeps the quantities an analysis tries to recover (each contact's true
conversion probability, each channel's incremental effect, each owner's response time) as
ground truth next to the data. Everything is vectorised NumPy: one million contacts with about
ten million touchpoints generate in well under two minutes on two cores.

The model (all parameters live in `SynthParams`; `PARAMS` holds the defaults)
-------------------------------------------------------------------------------
Time. Contacts are created between ``start = end - months`` and ``end`` (the export's cut-off,
the last minute of the `end` day). Daily volume grows by `monthly_growth` per month, with a
weekly pattern (`weekday_weights`, quiet weekends) and business-hour peaks (`hour_weights`,
UTC). All timestamps fall on whole minutes, because the HubSpot export format drops seconds.

Accounts and segments. About ``n_contacts * accounts_per_contact`` accounts, each drawn from
one of five latent segments (`Segment`: enterprise software, mid-market manufacturing, SMB
retail, financial services, healthcare) that set industry, employees (lognormal), annual
revenue (employees x revenue per employee x noise), country, firmographic fit, deal size and
sales-cycle length. Contacts pick an account with heavy-tailed weights (a few accounts have
many contacts, some none), inherit its segment and owner (8 owners, ``owner-01`` ...), mostly
its country, and get an invented name, a job title (`roles`, each with a fit effect) and an
e-mail ``first.last<n>@<company-slug>.test``.

Marketing exposure and true conversion probability. Each contact has a latent engagement
``e ~ N(0, 1)``. It is exposed to channel c with probability
``sigmoid(logit(exposure_c) + affinity[segment, c] + engagement_slope_c * e)`` (at least one
channel), and receives ``1 + Poisson(extra_touches_c * exp(engagement_touch_slope * e))``
touchpoints from each exposed channel, spread over its touching window (up to its conversion,
or `touch_window` days after creation); touches after the export's cut-off are not in it, as
in a real export. Engagement drives exposure to several channels at once,
so raw "converters saw more of channel c" comparisons are confounded by the other channels'
lifts, as in real data. The true conversion probability is::

    p = sigmoid(intercept + fit[segment] + role_effect[job title] + engagement_effect * e
                + sum_c lift_c * exposed_c)

By default ``engagement_effect = 0``, and each exposed channel's first touch falls within the
contact's first `exposure_visible_days` (7), so everything p depends on is observable when a
lead is scored a week after creation: the segment through the industry, the job title, and the
exposure through the touches so far. p is then the best score any model can learn, and the
AUC of p is the ceiling a lead score is judged against (issue 5). A positive
`engagement_effect` adds a latent part no model can see.

(`Channel.lift` is the additive per-channel lift on the logit.) The original source is the
channel of the first touch, drawn among the exposed channels by `first_touch_weight`.

Funnel. The path to customer is four gates, MQL, SQL, opportunity and won, passed with
probabilities ``p ** w_k`` (`gate_weights`, summing to 1), so ``P(customer) = p`` exactly and
better contacts also get further when they do not buy. Contacts start as subscribers (more
often when they came from e-mail or organic social) or leads. `skip_mql` of the gate-1 passers
are sales-sourced: lead straight to SQL, no MQL date. `skip_sql` of opportunities have no SQL
date (MQL straight to opportunity). Delays between stages are lognormal (`delays`, median days
and sigma; won/lost delays from the segment's sales cycle); every stage date is strictly after
the previous one and after creation. Dates after the cut-off are censored (left empty) and
lifecycle_stage is the furthest stage reached by the cut-off. A few customers become
evangelists.

Sales response (SLA). After an MQL date the owner's first activity follows after a lognormal
delay with the owner's median (`Owner.median_hours`; owner-07 and owner-08 are slow). Some
MQLs are never worked (leakage, probability `Owner.leak`); leakage only hits MQLs that would
not have advanced, so it does not change `p`. SQL follows the first activity. Later activities
(call, email, meeting, task) are Poisson in number, more for contacts that got further, spread
until the deal closes; those after a deal's creation carry its deal_id.

Deals. Every opportunity reached by the cut-off has one deal, created at the opportunity date:
amount lognormal by segment (rounded to 10), EUR in euro countries else USD, one of three
products, pipeline "new business" or "default". Won deals close on the customer date
("Closed Won"), lost ones after the lost delay ("Closed Lost", with a lost_reason); deals not
closed by the cut-off are open with an intermediate stage by age and no close date.

Spend. Paid channels (paid search, paid social, e-mail, offline) cost a monthly base per
campaign plus a cost per touch in that month, with lognormal noise, in EUR.

Ground truth (`Synthetic.truth`, written to ``DIR/truth/*.csv``)
-----------------------------------------------------------------
* ``contacts``: contact_id, true_conversion_probability (p above), latent_segment, engagement,
  became_mql_at and first_sales_activity_at (as recorded by the cut-off), leaked (never worked
  by design), will_convert (the drawn outcome, before censoring), converted (customer by
  the cut-off), reached_stage (furthest lifecycle stage reached by the cut-off), sales_sourced
  (lead straight to SQL by design, no MQL date) and skipped_sql (MQL straight to opportunity by
  design, no SQL date); a skip shows in the data only once the later stage is reached.
* ``accounts``: account_id, latent_segment.
* ``channel_effects``: per channel the logit_lift, exposed_contacts, touchpoints and the true
  incremental effect. With ``E = sum_i p_i`` the expected number of customers and ``E_-c`` the
  same sum after removing channel c's lift from every exposed contact's logit,
  ``incremental_conversions = E - E_-c`` and ``incremental_share = (E - E_-c) / E``: the share
  of expected customers that would be lost without channel c (shares need not sum to 1).
  ``share_of_incremental`` normalises the channels' incremental conversions to sum to 1.
* ``sla``: per month of the MQL date: mqls, median_hours_to_first_activity (worked MQLs),
  share_worked_within_24h (of all MQLs), leaked (never worked by design) and
  not_worked_by_end (no activity by the cut-off, incl. leaks).
* ``owners``: the per-owner SLA design (median_hours, leak) and the realised values.
* ``spoiled`` (written by `write_export` only): the rows it spoiled on purpose.

`write_export` writes the data as a HubSpot, Salesforce or canonical export plus ``truth/``;
with ``mess=True`` it spoils a few rows per table in ways a loader must set aside (see
`write_export`) and lists them in ``truth/spoiled.csv``.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from smk.model import CRM, PRIMARY_KEYS, SCHEMA, TABLES, dtype_of, repeated_ids_allowed

NA = -1  # missing timestamp, in minutes since the epoch
MINUTE_NS = 60_000_000_000
DAY = 1440  # minutes


# ---------------------------------------------------------------------------- parameters
@dataclass(frozen=True)
class Segment:
    """A latent account segment: firmographics, fit and deal economics."""

    name: str
    weight: float  # share of accounts
    contacts_weight: float  # relative number of contacts per account
    industries: tuple[str, ...]
    company_words: tuple[str, ...]
    employees_median: float
    employees_sigma: float
    revenue_per_employee: float
    countries: tuple[tuple[str, float], ...]
    fit: float  # additive on the conversion logit
    deal_median: float
    deal_sigma: float
    sales_cycle_days: float  # median days from opportunity to won
    channel_affinity: tuple[tuple[str, float], ...] = ()  # additive on the exposure logit


@dataclass(frozen=True)
class Channel:
    """A marketing channel: how often contacts meet it, and its true effect."""

    name: str
    exposure: float  # base probability that a contact is exposed
    lift: float  # true additive effect on the conversion logit when exposed
    extra_touches: float  # mean touches beyond the first, when exposed
    first_touch_weight: float  # propensity to be the original source among exposed channels
    engagement_slope: float  # exposure logit per unit of engagement
    touch_types: tuple[tuple[str, float], ...]
    campaigns: tuple[str, ...] = ()
    cost_per_touch: float = 0.0  # EUR, for spend
    monthly_base: float = 0.0  # EUR per campaign and month


@dataclass(frozen=True)
class Owner:
    """A sales rep: share of accounts and speed-to-lead behaviour."""

    owner_id: str
    weight: float
    median_hours: float  # median hours from MQL to first activity
    leak: float  # probability that an MQL that will not advance is never worked


_EU = ("Germany", "France", "Netherlands", "Spain", "Italy", "Austria", "Ireland", "Belgium")


@dataclass(frozen=True)
class SynthParams:
    """Every number of the generative model in one place (see the module docstring)."""

    # fmt: off
    segments: tuple[Segment, ...] = (
        Segment(
            name="enterprise_software",
            weight=0.15,
            contacts_weight=2.5,
            industries=("Computer Software", "Information Technology and Services"),
            company_words=("Systems", "Software", "Cloud", "Labs"),
            employees_median=2500,
            employees_sigma=0.8,
            revenue_per_employee=250_000,
            countries=(("United States", 0.45), ("Germany", 0.15), ("Netherlands", 0.10),
                       ("France", 0.10), ("Ireland", 0.10), ("Canada", 0.10)),
            fit=0.6,
            deal_median=48_000,
            deal_sigma=0.6,
            sales_cycle_days=75,
            channel_affinity=(("paid_search", 0.3), ("offline", 0.6), ("referral", 0.3),
                              ("paid_social", 0.2)),
        ),
        Segment(
            name="midmarket_manufacturing",
            weight=0.25,
            contacts_weight=1.2,
            industries=("Machinery", "Industrial Automation", "Automotive"),
            company_words=("Industries", "Components", "Robotics", "Engineering"),
            employees_median=400,
            employees_sigma=0.7,
            revenue_per_employee=180_000,
            countries=(("Germany", 0.35), ("Austria", 0.10), ("Italy", 0.15), ("France", 0.10),
                       ("United States", 0.20), ("Spain", 0.10)),
            fit=0.2,
            deal_median=18_000,
            deal_sigma=0.5,
            sales_cycle_days=50,
            channel_affinity=(("offline", 0.7), ("email", 0.2), ("organic_social", -0.5)),
        ),
        Segment(
            name="smb_retail",
            weight=0.30,
            contacts_weight=0.6,
            industries=("Retail", "Consumer Goods", "Food & Beverages"),
            company_words=("Goods", "Market", "Stores", "Trading"),
            employees_median=25,
            employees_sigma=0.9,
            revenue_per_employee=120_000,
            countries=(("United States", 0.30), ("Spain", 0.15), ("France", 0.15),
                       ("Italy", 0.15), ("Germany", 0.15), ("Belgium", 0.10)),
            fit=-0.7,
            deal_median=2_500,
            deal_sigma=0.5,
            sales_cycle_days=20,
            channel_affinity=(("organic_social", 0.6), ("paid_social", 0.5), ("offline", -0.8),
                              ("organic_search", 0.3)),
        ),
        Segment(
            name="financial_services",
            weight=0.12,
            contacts_weight=1.8,
            industries=("Financial Services", "Insurance", "Banking"),
            company_words=("Capital", "Finance", "Assurance", "Partners"),
            employees_median=1200,
            employees_sigma=0.9,
            revenue_per_employee=400_000,
            countries=(("United States", 0.35), ("Ireland", 0.10), ("Germany", 0.15),
                       ("Netherlands", 0.15), ("France", 0.15), ("Canada", 0.10)),
            fit=0.3,
            deal_median=35_000,
            deal_sigma=0.6,
            sales_cycle_days=90,
            channel_affinity=(("referral", 0.5), ("offline", 0.3)),
        ),
        Segment(
            name="healthcare",
            weight=0.18,
            contacts_weight=1.0,
            industries=("Hospital & Health Care", "Medical Devices"),
            company_words=("Health", "Medical", "Care", "Clinics"),
            employees_median=150,
            employees_sigma=0.8,
            revenue_per_employee=150_000,
            countries=(("United States", 0.30), ("Germany", 0.20), ("Netherlands", 0.15),
                       ("Belgium", 0.10), ("Canada", 0.15), ("Austria", 0.10)),
            fit=-0.2,
            deal_median=8_000,
            deal_sigma=0.5,
            sales_cycle_days=45,
            channel_affinity=(("organic_search", 0.3), ("email", 0.3)),
        ),
    )
    channels: tuple[Channel, ...] = (
        Channel(
            name="organic_search", exposure=0.55, lift=0.30, extra_touches=3.0,
            first_touch_weight=3.0, engagement_slope=0.3,
            touch_types=(("visit", 0.80), ("content", 0.15), ("form", 0.05)),
        ),
        Channel(
            name="paid_search", exposure=0.35, lift=0.20, extra_touches=2.0,
            first_touch_weight=2.0, engagement_slope=0.1,
            touch_types=(("ad_click", 0.85), ("form", 0.15)),
            campaigns=("brand-search", "generic-search", "competitor-search"),
            cost_per_touch=3.5, monthly_base=400.0,
        ),
        Channel(
            name="email", exposure=0.40, lift=0.45, extra_touches=4.0,
            first_touch_weight=0.6, engagement_slope=0.5,
            touch_types=(("email_click", 0.90), ("content", 0.10)),
            campaigns=("newsletter", "nurture-track", "product-launch"),
            cost_per_touch=0.15, monthly_base=150.0,
        ),
        Channel(
            name="organic_social", exposure=0.25, lift=0.08, extra_touches=1.6,
            first_touch_weight=1.0, engagement_slope=0.2,
            touch_types=(("visit", 0.70), ("content", 0.30)),
        ),
        Channel(
            name="paid_social", exposure=0.30, lift=0.03, extra_touches=1.6,
            first_touch_weight=1.5, engagement_slope=0.0,
            touch_types=(("ad_click", 0.90), ("form", 0.10)),
            campaigns=("linkedin-lead-gen", "meta-retargeting"),
            cost_per_touch=2.5, monthly_base=350.0,
        ),
        Channel(
            name="referral", exposure=0.15, lift=0.60, extra_touches=1.0,
            first_touch_weight=1.5, engagement_slope=0.2,
            touch_types=(("visit", 0.85), ("form", 0.15)),
        ),
        Channel(
            name="direct", exposure=0.45, lift=0.12, extra_touches=2.0,
            first_touch_weight=1.5, engagement_slope=0.4,
            touch_types=(("visit", 0.80), ("form", 0.10), ("chat", 0.10)),
        ),
        Channel(
            name="offline", exposure=0.12, lift=0.75, extra_touches=0.9,
            first_touch_weight=1.2, engagement_slope=0.1,
            touch_types=(("event", 1.0),),
            campaigns=("webinar-series", "field-events", "trade-shows"),
            cost_per_touch=25.0, monthly_base=2500.0,
        ),
    )
    #: (owner id, share of accounts, median hours MQL -> first activity, leak probability)
    owners: tuple[Owner, ...] = (
        Owner("owner-01", 0.14, 1.5, 0.05),
        Owner("owner-02", 0.14, 2.5, 0.08),
        Owner("owner-03", 0.13, 4.0, 0.10),
        Owner("owner-04", 0.13, 6.0, 0.10),
        Owner("owner-05", 0.12, 8.0, 0.15),
        Owner("owner-06", 0.12, 12.0, 0.20),
        Owner("owner-07", 0.11, 30.0, 0.35),
        Owner("owner-08", 0.11, 60.0, 0.50),
    )
    #: (job title, share, additive effect on the conversion logit)
    roles: tuple[tuple[str, float, float], ...] = (
        ("CEO", 0.06, 0.35),
        ("Founder", 0.04, 0.30),
        ("Head of Marketing", 0.10, 0.45),
        ("Marketing Manager", 0.14, 0.25),
        ("VP Sales", 0.06, 0.35),
        ("Sales Manager", 0.08, 0.15),
        ("IT Director", 0.07, 0.30),
        ("Operations Manager", 0.10, 0.00),
        ("Procurement Specialist", 0.06, -0.10),
        ("Software Engineer", 0.10, -0.35),
        ("Data Analyst", 0.08, -0.15),
        ("Consultant", 0.06, -0.40),
        ("Student", 0.05, -1.20),
    )
    intercept: float = -4.3
    engagement_effect: float = 0.0
    engagement_touch_slope: float = 0.35
    exposure_visible_days: float = 7.0
    accounts_per_contact: float = 1 / 3
    account_size_sigma: float = 1.0
    contact_in_account_country: float = 0.9
    monthly_growth: float = 0.04
    weekday_weights: tuple[float, ...] = (1.15, 1.2, 1.15, 1.1, 0.9, 0.3, 0.25)  # Mon..Sun
    #: relative volume per hour of the day (UTC), 0h..23h
    hour_weights: tuple[float, ...] = (
        0.2, 0.15, 0.1, 0.1, 0.15, 0.3, 0.6, 1.2, 2.0, 2.6, 2.8, 2.7,
        2.3, 2.5, 2.7, 2.6, 2.2, 1.6, 1.1, 0.9, 0.7, 0.5, 0.35, 0.25,
    )
    # fmt: on
    subscriber_share: float = 0.15
    subscriber_share_nurture: float = 0.5  # when the original source is email/organic social
    subscriber_to_lead: float = 0.4  # subscribers who become leads without passing gate 1
    gate_weights: tuple[float, float, float, float] = (0.40, 0.25, 0.15, 0.20)
    skip_mql: float = 0.08  # sales-sourced: lead straight to SQL
    skip_sql: float = 0.05  # MQL straight to opportunity
    #: name -> (median days, lognormal sigma)
    delays: tuple[tuple[str, float, float], ...] = (
        ("subscriber_to_lead", 12.0, 1.0),
        ("lead_to_mql", 6.0, 1.0),
        ("first_activity_to_sql", 2.0, 0.8),
        ("lead_to_first_activity", 1.0, 0.8),  # sales-sourced leads
        ("sales_sourced_to_sql", 1.0, 0.8),
        ("sql_to_opportunity", 7.0, 0.8),
        ("customer_to_evangelist", 120.0, 0.5),
        ("touch_window", 45.0, 0.8),  # how long non-customers keep touching marketing
        ("no_deal_activity_window", 30.0, 0.7),
    )
    response_sigma: float = 1.0  # lognormal sigma of the MQL -> first activity delay
    won_sigma: float = 0.5
    lost_cycle_factor: float = 0.8
    lost_sigma: float = 0.7
    evangelist_share: float = 0.08
    pre_creation_touch_days: float = 3.0  # mean days of tracked touches before creation
    first_touch_at_creation: float = 0.35
    pipelines: tuple[tuple[str, float], ...] = (("new business", 0.7), ("default", 0.3))
    products: tuple[tuple[str, float, float], ...] = (  # (name, share, amount factor)
        ("Core Platform", 0.55, 1.0),
        ("Analytics Add-on", 0.30, 0.45),
        ("Implementation Services", 0.15, 0.7),
    )
    lost_reasons: tuple[tuple[str, float], ...] = (
        ("Price", 0.25),
        ("Timing", 0.20),
        ("Chose a competitor", 0.25),
        ("No budget", 0.15),
        ("No decision", 0.15),
    )
    #: open deal stage by age: (stage, up to this many days old)
    open_stages: tuple[tuple[str, float], ...] = (
        ("Appointment Scheduled", 7),
        ("Qualified to Buy", 14),
        ("Presentation Scheduled", 30),
        ("Decision Maker Bought-In", 50),
        ("Contract Sent", float("inf")),
    )
    #: mean later activities (beyond the first) by furthest sales stage reached
    later_activities: tuple[tuple[str, float], ...] = (
        ("worked", 1.2),
        ("sql", 3.0),
        ("opportunity", 6.0),
    )
    first_activity_types: tuple[float, float, float, float] = (0.5, 0.4, 0.0, 0.1)
    later_activity_types: tuple[float, float, float, float] = (0.35, 0.35, 0.15, 0.15)
    euro_countries: tuple[str, ...] = _EU
    spend_currency: str = "EUR"
    search_terms: tuple[str, ...] = (
        "crm analytics",
        "marketing attribution",
        "sales funnel report",
        "lead scoring tool",
        "pipeline dashboard",
        "b2b marketing software",
    )
    social_networks: tuple[str, ...] = ("LinkedIn", "Facebook", "X", "YouTube")
    referral_domains: tuple[str, ...] = (
        "partner-blog.test",
        "review-site.test",
        "industry-forum.test",
        "agency-partner.test",
    )

    def delay(self, name: str) -> tuple[float, float]:
        for key, median, sigma in self.delays:
            if key == name:
                return median, sigma
        raise KeyError(name)


PARAMS = SynthParams()

_FIRST = (
    "Al",
    "Bel",
    "Cor",
    "Dar",
    "El",
    "Fen",
    "Gar",
    "Hal",
    "Ild",
    "Jor",
    "Kal",
    "Lor",
    "Mir",
    "Nor",
    "Or",
    "Pel",
    "Quin",
    "Ros",
    "Sel",
    "Tor",
    "Ul",
    "Vel",
    "Wyn",
    "Xan",
    "Yor",
    "Zel",
)
_FIRST_END = ("a", "en", "ia", "o", "is", "wyn", "ara", "ion", "eth", "ix")
_LAST = (
    "Ash",
    "Brack",
    "Cold",
    "Dun",
    "Elm",
    "Frost",
    "Glim",
    "Hart",
    "Ivy",
    "Kest",
    "Lark",
    "Marsh",
    "North",
    "Oak",
    "Pike",
    "Quarry",
    "Rook",
    "Stone",
    "Thorn",
    "Vale",
    "Wold",
    "Yarrow",
)
_LAST_END = (
    "wick",
    "well",
    "by",
    "ford",
    "ham",
    "ley",
    "more",
    "ridge",
    "ton",
    "vane",
    "worth",
    "den",
)
_CO_START = (
    "Zor",
    "Quan",
    "Vex",
    "Lum",
    "Brin",
    "Cal",
    "Dro",
    "Fen",
    "Gly",
    "Hex",
    "Istr",
    "Jov",
    "Kor",
    "Mav",
    "Nex",
    "Ombr",
    "Plix",
    "Rov",
    "Syl",
    "Trel",
    "Umb",
    "Vant",
    "Wex",
    "Yld",
)
_CO_END = ("via", "ora", "ex", "ium", "ant", "ico", "yx", "elle", "aro", "is")
_LEGAL = {
    "Germany": "GmbH",
    "Austria": "GmbH",
    "France": "SAS",
    "Netherlands": "B.V.",
    "Spain": "S.L.",
    "Italy": "S.r.l.",
    "Belgium": "NV",
    "Ireland": "Ltd.",
    "United States": "Inc.",
    "Canada": "Ltd.",
}
_ID_BASE = {
    "accounts": 2_000_000_000,
    "contacts": 3_000_000_000,
    "deals": 4_000_000_000,
    "touchpoints": 5_000_000_000,
    "activities": 6_000_000_000,
}


# ---------------------------------------------------------------------------- result
@dataclass
class Synthetic:
    """A synthetic CRM and the ground truth it was generated from.

    `crm` holds the canonical tables with the model's columns and dtypes, as `smk.load` returns
    them (without the loader's ``_file``/``_row`` and extra columns) and an empty quality
    account; `truth` the tables described in the module docstring. Contacts are created in
    [`start`, `end`); `end` is the export cut-off (every event lies before it). Ids are
    numeric strings, increasing with creation time, like HubSpot record ids.
    """

    crm: CRM
    truth: dict[str, pd.DataFrame]
    params: SynthParams = field(default_factory=SynthParams)
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    seed: int = 0


# ---------------------------------------------------------------------------- helpers
def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _logit(p: float) -> float:
    return float(np.log(p / (1 - p)))


def _lognormal_minutes(rng: np.random.Generator, median_minutes, sigma: float, size: int):
    """Whole-minute lognormal delays (at least one minute)."""
    draw = np.asarray(median_minutes, dtype="float64") * np.exp(sigma * rng.standard_normal(size))
    return np.maximum(1, np.round(draw)).astype("int64")


def _delay(rng, params: SynthParams, name: str, size: int) -> np.ndarray:
    median, sigma = params.delay(name)
    return _lognormal_minutes(rng, median * DAY, sigma, size)


def _pick(rng: np.random.Generator, probs, size: int) -> np.ndarray:
    """Codes 0..K-1 drawn with probabilities `probs` (normalised)."""
    p = np.asarray(probs, dtype="float64")
    return rng.choice(len(p), size=size, p=p / p.sum())


def _pick_by_group(rng: np.random.Generator, group: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Per element, a code drawn from the probability row of its group (probs: G x K)."""
    cdf = np.cumsum(probs / probs.sum(axis=1, keepdims=True), axis=1)
    u = rng.random(len(group))
    out = np.empty(len(group), dtype="int64")
    for g in range(probs.shape[0]):
        m = group == g
        out[m] = np.minimum(np.searchsorted(cdf[g], u[m], side="right"), probs.shape[1] - 1)
    return out


def _ids(table: str, order: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Increasing numeric ids (as HubSpot assigns them, with gaps) in the order given."""
    n = len(order)
    ids = np.empty(n, dtype="int64")
    ids[order] = _ID_BASE[table] + np.cumsum(rng.integers(1, 4, size=n))
    return ids


def _strings(values, index=None) -> pd.Series:
    arr = values if isinstance(values, pa.Array | pa.ChunkedArray) else pa.array(values)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if arr.type != pa.string():
        arr = arr.cast(pa.string())
    return pd.Series(pd.arrays.ArrowStringArray(arr), index=index)


def _coded(codes: np.ndarray, labels) -> pd.Series:
    """Strings from integer codes into `labels` (code -1 -> missing)."""
    codes = np.asarray(codes)
    arr = pa.DictionaryArray.from_arrays(
        pa.array(codes.astype("int32"), mask=codes < 0), pa.array(list(labels), pa.string())
    )
    return _strings(arr.cast(pa.string()))


def _times(minutes: np.ndarray) -> pd.Series:
    """Minutes since the epoch (NA = -1) as tz-aware UTC timestamps (ns)."""
    m = np.asarray(minutes, dtype="int64")
    ns = np.where(m >= 0, m * MINUTE_NS, np.iinfo("int64").min).view("datetime64[ns]")
    return pd.Series(ns).dt.tz_localize("UTC")


def _table(name: str, columns: dict) -> pd.DataFrame:
    """A canonical table with the schema's column order and dtypes."""
    n = len(next(iter(columns.values())))
    out = {}
    for col, kind in SCHEMA[name].items():
        values = columns.get(col)
        dtype = dtype_of(kind)
        if values is None:
            out[col] = pd.Series(pd.NA, index=range(n), dtype=dtype)
        else:
            s = values if isinstance(values, pd.Series) else pd.Series(values)
            out[col] = s.reset_index(drop=True).astype(dtype)
    return pd.DataFrame(out)


def _window(end: str | pd.Timestamp, months: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    """(start, stop): contacts are created in [start, stop); stop is the export cut-off."""
    ts = pd.Timestamp(end)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    stop = ts + pd.Timedelta(days=1) if ts == ts.normalize() else ts.ceil("min")
    start = stop - pd.DateOffset(months=months)
    return start, stop


def _minutes(ts: pd.Timestamp) -> int:
    return int(ts.value // MINUTE_NS)


# ---------------------------------------------------------------------------- generator
def synthesize(
    n_contacts: int = 3000,
    months: int = 12,
    seed: int = 0,
    end: str | pd.Timestamp = "2026-10-31",
    params: SynthParams | None = None,
) -> Synthetic:
    """Generate a synthetic CRM with known ground truth (the model is in the module docstring).

    Parameters
    ----------
    n_contacts : number of contacts (accounts are about a third of that, touchpoints about ten
        per contact, deals a few percent).
    months : length of the window in which contacts are created, ending at `end`.
    seed : seed of the NumPy generator; the same seed gives identical frames.
    end : the export's cut-off day (inclusive, UTC); later events are censored.
    params : model parameters (default `PARAMS`).

    Returns
    -------
    Synthetic with `crm` (canonical tables with the model's dtypes, an empty quality account)
    and `truth` (contacts, accounts, channel_effects, sla, owners).
    """
    if n_contacts < 1:
        raise ValueError("n_contacts must be at least 1")
    if months < 1:
        raise ValueError("months must be at least 1")
    P = params or PARAMS
    rng = np.random.default_rng(seed)
    start, stop = _window(end, months)
    b = _Builder(rng, P, n_contacts, _minutes(start), _minutes(stop) - 1)
    b.contacts_created()
    b.accounts()
    b.contact_attributes()
    b.exposure()
    b.funnel()
    b.touchpoints()
    b.deals()
    b.activities()
    b.spend(start, stop)
    crm = b.crm()
    truth = b.truth(crm)
    return Synthetic(crm=crm, truth=truth, params=P, start=start, end=stop, seed=seed)


class _Builder:
    """Holds the arrays of one synthesis run; methods run in dependency order."""

    def __init__(self, rng, params: SynthParams, n: int, start: int, cutoff: int) -> None:
        self.rng, self.P, self.n, self.start, self.cutoff = rng, params, n, start, cutoff
        self.seg_names = [s.name for s in params.segments]
        self.ch_names = [c.name for c in params.channels]

    # -- contacts over time -------------------------------------------------------------
    def contacts_created(self) -> None:
        P, rng, n = self.P, self.rng, self.n
        n_days = max(1, -(-(self.cutoff + 1 - self.start) // DAY))
        day0 = self.start + np.arange(n_days, dtype="int64") * DAY
        dow = ((day0 // DAY) + 3) % 7  # 1970-01-01 was a Thursday (Mon = 0)
        w = (
            np.exp(P.monthly_growth * np.arange(n_days) / 30.44)
            * np.asarray(P.weekday_weights)[dow]
        )
        day = rng.choice(n_days, size=n, p=w / w.sum())
        hour = _pick(rng, P.hour_weights, n)
        minute = rng.integers(0, 60, size=n)
        created = day0[day] + hour * 60 + minute
        created = np.clip(created, self.start, self.cutoff - 30)
        self.created = np.sort(created)
        self.contact_ids = _ids("contacts", np.arange(n), rng)

    # -- accounts ------------------------------------------------------------------------
    def accounts(self) -> None:
        P, rng, n = self.P, self.rng, self.n
        m = max(1, int(round(n * P.accounts_per_contact)))
        self.m = m
        segs = P.segments
        seg = _pick(rng, [s.weight for s in segs], m)
        attract = (
            rng.lognormal(0.0, P.account_size_sigma, m)
            * np.array([s.contacts_weight for s in segs])[seg]
        )
        acc_of = rng.choice(m, size=n, p=attract / attract.sum())
        owner = _pick(rng, [o.weight for o in P.owners], m)

        countries = sorted({c for s in segs for c, _ in s.countries})
        cprob = np.zeros((len(segs), len(countries)))
        for i, s in enumerate(segs):
            for c, w in s.countries:
                cprob[i, countries.index(c)] = w
        country = _pick_by_group(rng, seg, cprob)

        industries = [ind for s in segs for ind in s.industries]
        iprob = np.zeros((len(segs), len(industries)))
        words = [w for s in segs for w in s.company_words]
        wprob = np.zeros((len(segs), len(words)))
        for i, s in enumerate(segs):
            for ind in s.industries:
                iprob[i, industries.index(ind)] = 1.0
            for wd in s.company_words:
                wprob[i, words.index(wd)] = 1.0
        industry = _pick_by_group(rng, seg, iprob)
        word = _pick_by_group(rng, seg, wprob)

        emp_med = np.array([s.employees_median for s in segs])[seg]
        emp_sig = np.array([s.employees_sigma for s in segs])[seg]
        employees = np.maximum(1, np.round(emp_med * np.exp(emp_sig * rng.standard_normal(m))))
        rpe = np.array([s.revenue_per_employee for s in segs])[seg]
        revenue = np.round(employees * rpe * rng.lognormal(0.0, 0.35, m), -3)

        a1 = rng.integers(0, len(_CO_START), m)
        a2 = rng.integers(0, len(_CO_END), m)
        stem = pc.binary_join_element_wise(
            pa.array(np.array(_CO_START, dtype=object)[a1]),
            pa.array(np.array(_CO_END, dtype=object)[a2]),
            "",
        )
        word_arr = pa.array(np.array(words, dtype=object)[word])
        legal = pa.array(
            np.array([_LEGAL.get(c, "Ltd.") for c in countries], dtype=object)[country]
        )
        name = pc.binary_join_element_wise(stem, word_arr, legal, " ")
        slug = pc.utf8_lower(pc.binary_join_element_wise(stem, word_arr, "-"))

        # an account is created shortly before its first contact (or any time, if it has none)
        first_contact = np.full(m, NA, dtype="int64")
        uniq, pos = np.unique(acc_of, return_index=True)
        first_contact[uniq] = self.created[pos]
        lonely = first_contact == NA
        created = first_contact - rng.integers(5, 720, size=m)
        created[lonely] = rng.integers(self.start - 365 * DAY, self.cutoff - DAY, size=lonely.sum())

        self.acc_seg, self.acc_of, self.acc_owner, self.acc_country = seg, acc_of, owner, country
        self.countries = countries
        self.acc_industry, self.industries = industry, industries
        self.acc_employees, self.acc_revenue = employees.astype("int64"), revenue
        self.acc_name, self.acc_slug, self.acc_created = name, slug, created
        self.account_ids = _ids("accounts", np.argsort(created, kind="stable"), rng)

    # -- contact attributes ----------------------------------------------------------------
    def contact_attributes(self) -> None:
        P, rng, n = self.P, self.rng, self.n
        self.seg = self.acc_seg[self.acc_of]
        self.owner = self.acc_owner[self.acc_of]
        cprob = np.zeros((len(P.segments), len(self.countries)))
        for i, s in enumerate(P.segments):
            for c, w in s.countries:
                cprob[i, self.countries.index(c)] = w
        own = _pick_by_group(rng, self.seg, cprob)
        same = rng.random(n) < P.contact_in_account_country
        self.country = np.where(same, self.acc_country[self.acc_of], own)
        self.role = _pick(rng, [r[1] for r in P.roles], n)
        self.engagement = rng.standard_normal(n)
        f1 = rng.integers(0, len(_FIRST), n)
        f2 = rng.integers(0, len(_FIRST_END), n)
        l1 = rng.integers(0, len(_LAST), n)
        l2 = rng.integers(0, len(_LAST_END), n)
        first = pc.binary_join_element_wise(
            pa.array(np.array(_FIRST, dtype=object)[f1]),
            pa.array(np.array(_FIRST_END, dtype=object)[f2]),
            "",
        )
        last = pc.binary_join_element_wise(
            pa.array(np.array(_LAST, dtype=object)[l1]),
            pa.array(np.array(_LAST_END, dtype=object)[l2]),
            "",
        )
        number = pa.array(np.arange(1, n + 1)).cast(pa.string())
        slug = self.acc_slug.take(pa.array(self.acc_of))
        self.email = pc.utf8_lower(
            pc.binary_join_element_wise(first, ".", last, number, "@", slug, ".test", "")
        )

    # -- exposure and true conversion probability -------------------------------------------
    def exposure(self) -> None:
        P, rng, n = self.P, self.rng, self.n
        C = len(P.channels)
        aff = np.zeros((len(P.segments), C))
        for i, s in enumerate(P.segments):
            for ch, v in s.channel_affinity:
                aff[i, self.ch_names.index(ch)] = v
        base = np.array([_logit(c.exposure) for c in P.channels])
        slope = np.array([c.engagement_slope for c in P.channels])
        logits = base[None, :] + aff[self.seg] + slope[None, :] * self.engagement[:, None]
        exposed = rng.random((n, C)) < _sigmoid(logits)
        ftw = np.array([c.first_touch_weight for c in P.channels])
        none = ~exposed.any(axis=1)
        exposed[np.flatnonzero(none), _pick(rng, ftw, int(none.sum()))] = True
        # original source: weighted draw among exposed channels (Efraimidis-Spirakis keys)
        keys = np.log(rng.random((n, C)) + 1e-300) / ftw[None, :]
        keys[~exposed] = -np.inf
        self.origin = keys.argmax(axis=1)
        self.exposed = exposed
        lift = np.array([c.lift for c in P.channels])
        fit = np.array([s.fit for s in P.segments])[self.seg]
        role = np.array([r[2] for r in P.roles])[self.role]
        self.base_logit = P.intercept + fit + role + P.engagement_effect * self.engagement
        self.logit = self.base_logit + exposed.astype("float64") @ lift
        self.p = _sigmoid(self.logit)

    # -- lifecycle funnel ------------------------------------------------------------------
    def funnel(self) -> None:
        P, rng, n, created = self.P, self.rng, self.n, self.created
        w = np.asarray(P.gate_weights)
        gates = rng.random((n, 4)) < self.p[:, None] ** w[None, :]
        g1, g2, g3, g4 = gates.T
        nurture = np.isin(
            self.origin, [self.ch_names.index("email"), self.ch_names.index("organic_social")]
        )
        sub_share = np.where(nurture, P.subscriber_share_nurture, P.subscriber_share)
        subscriber = rng.random(n) < sub_share
        sub_at = np.where(subscriber, created + 1, NA)
        to_lead = ~subscriber | g1 | (rng.random(n) < P.subscriber_to_lead)
        lead_at = np.where(
            subscriber,
            sub_at + _delay(rng, P, "subscriber_to_lead", n),
            created + rng.integers(1, 11, size=n),
        )
        lead_at = np.where(to_lead, lead_at, NA)
        skip_mql = g1 & (rng.random(n) < P.skip_mql)
        is_mql = g1 & ~skip_mql
        mql_at = np.where(is_mql, lead_at + _delay(rng, P, "lead_to_mql", n), NA)
        leak_p = np.array([o.leak for o in P.owners])[self.owner]
        leaked = is_mql & ~g2 & (rng.random(n) < leak_p)
        med_h = np.array([o.median_hours for o in P.owners])[self.owner]
        response = _lognormal_minutes(rng, med_h * 60, P.response_sigma, n)
        first_act = np.where(is_mql & ~leaked, mql_at + response, NA)
        first_act = np.where(
            skip_mql, lead_at + _delay(rng, P, "lead_to_first_activity", n), first_act
        )
        to_sql = g1 & g2
        sql_at = np.where(
            to_sql,
            first_act
            + np.where(
                skip_mql,
                _delay(rng, P, "sales_sourced_to_sql", n),
                _delay(rng, P, "first_activity_to_sql", n),
            ),
            NA,
        )
        to_opp = to_sql & g3
        opp_at = np.where(to_opp, sql_at + _delay(rng, P, "sql_to_opportunity", n), NA)
        skip_sql = to_opp & ~skip_mql & (rng.random(n) < P.skip_sql)
        sql_at = np.where(skip_sql, NA, sql_at)
        cycle = np.array([s.sales_cycle_days for s in P.segments])[self.seg] * DAY
        won = to_opp & g4
        cust_at = np.where(won, opp_at + _lognormal_minutes(rng, cycle, P.won_sigma, n), NA)
        lost = to_opp & ~g4
        lost_at = np.where(
            lost,
            opp_at + _lognormal_minutes(rng, cycle * P.lost_cycle_factor, P.lost_sigma, n),
            NA,
        )
        evangelist = won & (rng.random(n) < P.evangelist_share)
        ev_at = np.where(evangelist, cust_at + _delay(rng, P, "customer_to_evangelist", n), NA)

        cut = self.cutoff

        def censor(t: np.ndarray) -> np.ndarray:
            return np.where((t >= 0) & (t <= cut), t, NA)

        self.latent = {"customer": cust_at, "lost": lost_at, "first_activity": first_act}
        self.stage_at = {
            "subscriber": censor(sub_at),
            "lead": censor(lead_at),
            "mql": censor(mql_at),
            "sql": censor(sql_at),
            "opportunity": censor(opp_at),
            "customer": censor(cust_at),
            "evangelist": censor(ev_at),
        }
        self.first_act = censor(first_act)
        self.lost_at = censor(lost_at)
        # a leak is only visible (and only counted) for MQLs reached by the cut-off
        self.leaked = leaked & (self.stage_at["mql"] >= 0)
        self.will_convert, self.skip_mql = won, skip_mql
        self.skip_sql = skip_sql
        furthest = np.full(n, -1, dtype="int64")
        for k, stage in enumerate(self.stage_at):
            furthest = np.where(self.stage_at[stage] >= 0, k, furthest)
        self.furthest = furthest  # index into list(self.stage_at); -1 if none

    # -- touchpoints -----------------------------------------------------------------------
    def touchpoints(self) -> None:
        P, rng, n = self.P, self.rng, self.n
        C = len(P.channels)
        lam = np.array([c.extra_touches for c in P.channels])
        scale = np.exp(P.engagement_touch_slope * self.engagement)
        counts = self.exposed * (1 + rng.poisson(lam[None, :] * scale[:, None]))
        flat = counts.ravel()
        total = int(flat.sum())
        block_start = np.cumsum(flat) - flat
        ci = np.repeat(np.repeat(np.arange(n, dtype="int64"), C), flat)
        ch = np.repeat(np.tile(np.arange(C, dtype="int64"), n), flat)
        first_idx = block_start[np.arange(n) * C + self.origin]

        pre = np.where(
            rng.random(n) < P.first_touch_at_creation,
            0,
            np.round(rng.exponential(P.pre_creation_touch_days * DAY, n)).astype("int64"),
        )
        t0 = self.created - pre
        cust = self.latent["customer"]
        # the window a contact is touched in runs past the cut-off like any life in the CRM;
        # touches after the cut-off are dropped below, not squeezed into the days before it
        # (which gave the last month's leads more touches than their design)
        horizon = np.where(cust >= 0, cust, self.created + _delay(rng, P, "touch_window", n))
        span = np.maximum(1, horizon - t0)
        t = t0[ci] + 1 + np.floor(rng.random(total) * span[ci]).astype("int64")
        t = np.minimum(t, np.maximum(horizon[ci], t0[ci] + 1))
        t[first_idx] = t0
        # each exposed channel's first touch falls in the contact's first week, so exposure
        # (and with it p) is known by the time a lead is scored
        firsts = block_start[flat > 0]
        owner = np.repeat(np.arange(n, dtype="int64"), self.exposed.sum(axis=1))
        visible_by = np.minimum(self.created + int(P.exposure_visible_days * DAY) - 1, horizon)
        visible_by = np.minimum(visible_by, self.cutoff)
        room = np.maximum(0, visible_by - t0)[owner]
        t[firsts] = t0[owner] + np.floor(rng.random(firsts.size) * (room + 1)).astype("int64")
        t[first_idx] = t0

        types = list(dict.fromkeys(tt for c in P.channels for tt, _ in c.touch_types))
        tprob = np.zeros((C, len(types)))
        campaigns: list[str] = []
        camp_of: list[tuple[int, int]] = []  # (first code, count) per channel
        for i, c in enumerate(P.channels):
            for tt, w in c.touch_types:
                tprob[i, types.index(tt)] = w
            camp_of.append((len(campaigns), len(c.campaigns)))
            campaigns.extend(c.campaigns)
        ttype = _pick_by_group(rng, ch, tprob)
        camp = np.full(total, NA, dtype="int64")
        u = rng.random(total)
        for i, (first, k) in enumerate(camp_of):
            if k:
                m = ch == i
                camp[m] = first + np.minimum((u[m] * k).astype("int64"), k - 1)

        self.origin_campaign = camp[first_idx]
        # ids for every drawn touch, so that the draws after this one do not change with how
        # many fall after the cut-off; given in time order, as a CRM assigns them
        ids = _ids("touchpoints", np.arange(total), rng)
        seen = np.flatnonzero(t <= self.cutoff)
        order = seen[np.argsort(t[seen], kind="stable")]
        self.tp = {
            "contact": ci[order],
            "time": t[order],
            "channel": ch[order],
            "type": ttype[order],
            "campaign": camp[order],
        }
        self.touch_types, self.campaigns = types, campaigns
        self.tp_ids = ids[: order.size]

    # -- deals -----------------------------------------------------------------------------
    def deals(self) -> None:
        P, rng = self.P, self.rng
        opp = self.stage_at["opportunity"]
        who = np.flatnonzero(opp >= 0)
        who = who[np.argsort(opp[who], kind="stable")]
        k = len(who)
        created = opp[who]
        won = self.stage_at["customer"][who] >= 0
        lost = self.lost_at[who] >= 0
        closed_at = np.where(
            won, self.stage_at["customer"][who], np.where(lost, self.lost_at[who], NA)
        )
        age_days = (self.cutoff - created) / DAY
        bounds = np.array([b for _, b in P.open_stages])
        open_stage = np.minimum(np.searchsorted(bounds, age_days, side="left"), len(bounds) - 1)
        stage_labels = [s for s, _ in P.open_stages] + ["Closed Won", "Closed Lost"]
        stage = np.where(won, len(bounds), np.where(lost, len(bounds) + 1, open_stage))
        seg = self.seg[who]
        product = _pick(rng, [p[1] for p in P.products], k)
        med = np.array([s.deal_median for s in P.segments])[seg]
        sig = np.array([s.deal_sigma for s in P.segments])[seg]
        factor = np.array([p[2] for p in P.products])[product]
        amount = np.maximum(10.0, np.round(med * factor * np.exp(sig * rng.standard_normal(k)), -1))
        euro = np.isin(
            np.array(self.countries)[self.acc_country[self.acc_of[who]]], P.euro_countries
        )
        reason = np.where(lost, _pick(rng, [r[1] for r in P.lost_reasons], k), NA)
        self.deal = {
            "contact": who,
            "created": created,
            "closed": closed_at,
            "won": won,
            "closed_flag": won | lost,
            "stage": stage,
            "amount": amount,
            "currency": np.where(euro, 0, 1),
            "product": product,
            "pipeline": _pick(rng, [p[1] for p in P.pipelines], k),
            "reason": reason,
        }
        self.stage_labels = stage_labels
        self.deal_ids = _ids("deals", np.arange(k), rng)
        self.deal_of_contact = np.full(self.n, NA, dtype="int64")
        self.deal_of_contact[who] = np.arange(k)

    # -- sales activities --------------------------------------------------------------------
    def activities(self) -> None:
        P, rng = self.P, self.rng
        worked = np.flatnonzero(self.first_act >= 0)
        rate = dict(P.later_activities)
        level = np.where(
            self.stage_at["opportunity"][worked] >= 0,
            rate["opportunity"],
            np.where(self.stage_at["sql"][worked] >= 0, rate["sql"], rate["worked"]),
        )
        later = rng.poisson(level)
        first = self.first_act[worked]
        d = self.deal_of_contact[worked]
        has_deal = d >= 0
        closed_of_deal = np.append(self.deal["closed"], NA)  # index -1: no deal
        closed = closed_of_deal[d]
        end = np.where(
            has_deal,
            np.where(closed >= 0, closed, self.cutoff),
            first + _delay(rng, P, "no_deal_activity_window", len(worked)),
        )
        end = np.minimum(end, self.cutoff)
        span = np.maximum(0, end - first)
        ci = np.repeat(worked, later)
        t = (
            np.repeat(first, later)
            + 1
            + np.floor(rng.random(int(later.sum())) * np.repeat(span, later)).astype("int64")
        )
        t = np.minimum(t, self.cutoff)
        contact = np.concatenate([worked, ci])
        time = np.concatenate([first, t])
        kind = np.concatenate(
            [
                _pick(rng, P.first_activity_types, len(worked)),
                _pick(rng, P.later_activity_types, len(ci)),
            ]
        )
        deal = self.deal_of_contact[contact]
        on_deal = deal >= 0
        on_deal[on_deal] = time[on_deal] >= self.deal["created"][deal[on_deal]]
        deal = np.where(on_deal, deal, NA)
        order = np.lexsort((contact, time))
        self.act = {
            "contact": contact[order],
            "time": time[order],
            "type": kind[order],
            "deal": deal[order],
        }
        self.act_ids = _ids("activities", np.arange(len(order)), rng)

    # -- spend -----------------------------------------------------------------------------
    def spend(self, start: pd.Timestamp, stop: pd.Timestamp) -> None:
        P, rng = self.P, self.rng
        periods = pd.period_range(
            start.tz_localize(None), (stop - pd.Timedelta(minutes=1)).tz_localize(None), freq="M"
        )
        bounds = np.array(
            [_minutes(p.to_timestamp().tz_localize("UTC")) for p in periods]
            + [_minutes((periods[-1] + 1).to_timestamp().tz_localize("UTC"))],
            dtype="int64",
        )
        M, K = len(periods), len(self.campaigns)
        camp, t = self.tp["campaign"], self.tp["time"]
        month = np.searchsorted(bounds, t, side="right") - 1
        ok = (camp >= 0) & (month >= 0) & (month < M)
        touches = np.bincount(month[ok] * K + camp[ok], minlength=M * K).reshape(M, K)
        chan_of_camp = np.empty(K, dtype="int64")
        cost = np.empty(K)
        base = np.empty(K)
        pos = 0
        for i, c in enumerate(P.channels):
            for _ in c.campaigns:
                chan_of_camp[pos], cost[pos], base[pos] = i, c.cost_per_touch, c.monthly_base
                pos += 1
        noise = rng.lognormal(0.0, 0.15, size=(M, K))
        amount = np.round((base[None, :] + cost[None, :] * touches) * noise, 2)
        self.spend_rows = {
            "month": np.repeat(np.arange(M), K),
            "campaign": np.tile(np.arange(K), M),
            "channel": np.tile(chan_of_camp, M),
            "amount": amount.ravel(),
        }
        self.periods = periods

    # -- assemble --------------------------------------------------------------------------
    def crm(self) -> CRM:
        P = self.P
        ch_names = self.ch_names
        # original source detail: campaign, search term, network or referring domain
        n = self.n
        detail = np.full(n, NA, dtype="int64")
        extra = list(self.campaigns)
        offsets = {}
        for label, values in (
            ("organic_search", P.search_terms),
            ("organic_social", P.social_networks),
            ("referral", P.referral_domains),
        ):
            offsets[label] = (len(extra), len(values))
            extra.extend(values)
        has_camp = self.origin_campaign >= 0
        detail[has_camp] = self.origin_campaign[has_camp]
        u = self.rng.random(n)
        for label, (first, k) in offsets.items():
            m = self.origin == ch_names.index(label)
            detail[m] = first + np.minimum((u[m] * k).astype("int64"), k - 1)

        stage_cols = {f"became_{s}_at": _times(t) for s, t in self.stage_at.items()}
        stage_names = list(self.stage_at)
        contacts = _table(
            "contacts",
            {
                "contact_id": _strings(self.contact_ids),
                "email": _strings(self.email),
                "account_id": _strings(self.account_ids[self.acc_of]),
                "created_at": _times(self.created),
                "lifecycle_stage": _coded(self.furthest, stage_names),
                **stage_cols,
                "original_source": _coded(self.origin, ch_names),
                "original_source_detail": _coded(detail, extra),
                "owner_id": _coded(self.owner, [o.owner_id for o in P.owners]),
                "country": _coded(self.country, self.countries),
                "job_title": _coded(self.role, [r[0] for r in P.roles]),
            },
        )
        order = np.argsort(self.account_ids, kind="stable")
        accounts = _table(
            "accounts",
            {
                "account_id": _strings(self.account_ids[order]),
                "name": _strings(self.acc_name.take(pa.array(order))),
                "industry": _coded(self.acc_industry[order], self.industries),
                "employees": pd.Series(self.acc_employees[order]),
                "annual_revenue": pd.Series(self.acc_revenue[order]),
                "country": _coded(self.acc_country[order], self.countries),
                "created_at": _times(self.acc_created[order]),
            },
        )
        d = self.deal
        who = d["contact"]
        deals = _table(
            "deals",
            {
                "deal_id": _strings(self.deal_ids),
                "account_id": _strings(self.account_ids[self.acc_of[who]]),
                "contact_id": _strings(self.contact_ids[who]),
                "pipeline": _coded(d["pipeline"], [p[0] for p in P.pipelines]),
                "stage": _coded(d["stage"], self.stage_labels),
                "created_at": _times(d["created"]),
                "closed_at": _times(d["closed"]),
                "is_closed": pd.Series(d["closed_flag"]),
                "is_won": pd.Series(d["won"]),
                "amount": pd.Series(d["amount"]),
                "currency": _coded(d["currency"], ["EUR", "USD"]),
                "product": _coded(d["product"], [p[0] for p in P.products]),
                "owner_id": _coded(self.owner[who], [o.owner_id for o in P.owners]),
                "lost_reason": _coded(d["reason"], [r[0] for r in P.lost_reasons]),
            },
        )
        tp = self.tp
        touchpoints = _table(
            "touchpoints",
            {
                "touchpoint_id": _strings(self.tp_ids),
                "contact_id": _strings(self.contact_ids[tp["contact"]]),
                "occurred_at": _times(tp["time"]),
                "channel": _coded(tp["channel"], ch_names),
                "campaign": _coded(tp["campaign"], self.campaigns),
                "touch_type": _coded(tp["type"], self.touch_types),
            },
        )
        a = self.act
        deal_ids = np.append(self.deal_ids, 0)[a["deal"]]  # index -1: no deal (masked)
        activities = _table(
            "activities",
            {
                "activity_id": _strings(self.act_ids),
                "contact_id": _strings(self.contact_ids[a["contact"]]),
                "deal_id": _strings(pa.array(deal_ids, mask=a["deal"] < 0)),
                "occurred_at": _times(a["time"]),
                "type": _coded(a["type"], ["call", "email", "meeting", "task"]),
                "owner_id": _coded(self.owner[a["contact"]], [o.owner_id for o in P.owners]),
            },
        )
        s = self.spend_rows
        months = np.array([p.to_timestamp() for p in self.periods], dtype="datetime64[ns]")
        spend = _table(
            "spend",
            {
                "month": pd.Series(months[s["month"]]),
                "channel": _coded(s["channel"], ch_names),
                "campaign": _coded(s["campaign"], self.campaigns),
                "amount": pd.Series(s["amount"]),
                "currency": pd.Series([P.spend_currency] * len(s["amount"]), dtype="string"),
            },
        )
        return CRM(
            contacts=contacts,
            accounts=accounts,
            deals=deals,
            touchpoints=touchpoints,
            activities=activities,
            spend=spend,
            source="smk.synth",
            format="synthetic",
        )

    # -- ground truth ----------------------------------------------------------------------
    def truth(self, crm: CRM) -> dict[str, pd.DataFrame]:
        P = self.P
        contacts = pd.DataFrame(
            {
                "contact_id": crm.contacts["contact_id"],
                "true_conversion_probability": self.p,
                "latent_segment": _coded(self.seg, self.seg_names),
                "engagement": self.engagement,
                "became_mql_at": crm.contacts["became_mql_at"],
                "first_sales_activity_at": _times(self.first_act),
                "leaked": pd.Series(self.leaked, dtype="boolean"),
                "will_convert": pd.Series(self.will_convert, dtype="boolean"),
                "converted": pd.Series(self.stage_at["customer"] >= 0, dtype="boolean"),
                "reached_stage": _coded(self.furthest, list(self.stage_at)),
                "sales_sourced": pd.Series(self.skip_mql, dtype="boolean"),
                "skipped_sql": pd.Series(self.skip_sql, dtype="boolean"),
            }
        )
        accounts = pd.DataFrame(
            {
                "account_id": _strings(self.account_ids),
                "latent_segment": _coded(self.acc_seg, self.seg_names),
            }
        ).sort_values("account_id", ignore_index=True)

        lift = np.array([c.lift for c in P.channels])
        expected = float(self.p.sum())
        rows = []
        n_touch = np.bincount(self.tp["channel"], minlength=len(lift))
        for i, name in enumerate(self.ch_names):
            without = _sigmoid(self.logit - lift[i] * self.exposed[:, i]).sum()
            inc = expected - float(without)
            rows.append(
                {
                    "channel": name,
                    "logit_lift": lift[i],
                    "exposed_contacts": int(self.exposed[:, i].sum()),
                    "touchpoints": int(n_touch[i]),
                    "incremental_conversions": inc,
                    "incremental_share": inc / expected if expected else 0.0,
                }
            )
        effects = pd.DataFrame(rows)
        total_inc = effects["incremental_conversions"].sum()
        effects["share_of_incremental"] = (
            effects["incremental_conversions"] / total_inc if total_inc else 0.0
        )
        effects["channel"] = effects["channel"].astype("string")

        mql = self.stage_at["mql"]
        is_mql = mql >= 0
        hours = np.where(is_mql & (self.first_act >= 0), (self.first_act - mql) / 60.0, np.nan)
        frame = pd.DataFrame(
            {
                "month": _times(mql).dt.tz_localize(None).dt.to_period("M").dt.to_timestamp(),
                "owner_id": _coded(self.owner, [o.owner_id for o in P.owners]),
                "hours": hours,
                "within_24h": hours <= 24,
                "leaked": self.leaked,
                "not_worked": np.isnan(hours),
            }
        )[is_mql]
        sla = (
            frame.groupby("month")
            .agg(
                mqls=("hours", "size"),
                median_hours_to_first_activity=("hours", "median"),
                share_worked_within_24h=("within_24h", "mean"),
                leaked=("leaked", "sum"),
                not_worked_by_end=("not_worked", "sum"),
            )
            .reset_index()
        )
        per_owner = (
            frame.groupby("owner_id")
            .agg(
                mqls=("hours", "size"),
                median_hours_to_first_activity=("hours", "median"),
                share_worked_within_24h=("within_24h", "mean"),
                leaked=("leaked", "sum"),
            )
            .reindex([o.owner_id for o in P.owners])
        )
        owners = pd.DataFrame(
            {
                "owner_id": pd.Series([o.owner_id for o in P.owners], dtype="string"),
                "design_median_hours": [o.median_hours for o in P.owners],
                "design_leak_probability": [o.leak for o in P.owners],
            }
        )
        owners = owners.join(per_owner.reset_index(drop=True))
        owners["mqls"] = owners["mqls"].fillna(0).astype("int64")
        owners["leaked"] = owners["leaked"].fillna(0).astype("int64")
        return {
            "contacts": contacts,
            "accounts": accounts,
            "channel_effects": effects,
            "sla": sla,
            "owners": owners,
        }


# ---------------------------------------------------------------------------- export
def write_truth(truth: dict[str, pd.DataFrame], folder: str | Path) -> list[Path]:
    """Write the truth tables as CSV (timestamps ISO 8601 with Z, months YYYY-MM-DD)."""
    from smk.io.canonical import format_datetimes
    from smk.io.files import arrow_file

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, frame in truth.items():
        df = frame.copy()
        for col in df.columns:
            if isinstance(df[col].dtype, pd.DatetimeTZDtype):
                df[col] = format_datetimes(df[col])
            elif pd.api.types.is_datetime64_dtype(df[col]):
                df[col] = df[col].dt.strftime("%Y-%m-%d").astype("string")
        path = out / f"{name}.csv"
        with arrow_file(path, "wb") as target:
            pacsv.write_csv(pa.Table.from_pandas(df, preserve_index=False), target)
        paths.append(path)
    return paths


# ---------------------------------------------------------------------------- mess
#: unparseable date texts written into a few touchpoints and activities
_HUBSPOT_BAD_DATES = ("0000-00-00 00:00", "#VALUE!")
_CANONICAL_BAD_DATES = ("2026-02-30T10:00:00Z", "#VALUE!")


def _entry(spoiled: list[dict], table: str, label, id_: str, reason: str, effect: str) -> None:
    spoiled.append({"table": table, "label": label, "id": id_, "reason": reason, "effect": effect})


def _free(table: str, frame: pd.DataFrame, spoiled: list[dict], rng, k: int, mask=None) -> list:
    """Up to `k` random row labels of `frame` not yet spoiled (nor copied) in `table`."""
    key = PRIMARY_KEYS[table]
    taken = {e["id"] for e in spoiled if e["table"] == table}
    ok = ~frame[key].isin(taken) if key else pd.Series(True, index=frame.index)
    if mask is not None:
        ok &= mask.fillna(False).astype(bool)
    labels = frame.index[ok.to_numpy()]
    if len(labels) == 0:
        return []
    return list(rng.choice(labels, size=min(k, len(labels)), replace=False))


def _spoil_values(tables: dict[str, pd.DataFrame], spoiled: list[dict], rng) -> None:
    """Mess that lives in the values themselves, so any writer carries it into its format."""
    deals = tables["deals"] = tables["deals"].copy()
    if len(deals):
        for label in _free("deals", deals, spoiled, rng, 1, deals["closed_at"].notna()):
            deals.loc[label, "closed_at"] = deals.loc[label, "created_at"] - pd.Timedelta(days=3)
            _entry(
                spoiled,
                "deals",
                label,
                deals.loc[label, "deal_id"],
                "closed_at before created_at",
                "removed",
            )
        for label in _free("deals", deals, spoiled, rng, 2, deals["amount"] > 0):
            deals.loc[label, "amount"] = -deals.loc[label, "amount"]
            _entry(
                spoiled, "deals", label, deals.loc[label, "deal_id"], "negative amount", "removed"
            )
        accounts = tables["accounts"]
        missing = str(int(accounts["account_id"].astype("int64").max()) + 1_000_000)
        for label in _free("deals", deals, spoiled, rng, 1):
            deals.loc[label, "account_id"] = missing
            _entry(
                spoiled,
                "deals",
                label,
                deals.loc[label, "deal_id"],
                "unknown account_id",
                "removed",
            )
    for table, k in (("accounts", 1), ("deals", 1), ("touchpoints", 2), ("activities", 1)):
        frame = tables[table]
        key = PRIMARY_KEYS[table]
        labels = _free(table, frame, spoiled, rng, k)
        if not labels:
            continue
        copies = frame.loc[labels].copy()
        copies.index = pd.RangeIndex(len(frame), len(frame) + len(labels))
        for new, old in zip(copies.index, labels, strict=True):
            _entry(spoiled, table, new, frame.loc[old, key], f"duplicate {key}", "extra")
        tables[table] = pd.concat([frame, copies])  # a re-export appended at the end
    contacts = tables["contacts"]
    if len(contacts) >= 2:
        last = contacts["created_at"].max()
        early = contacts["created_at"] < last - pd.Timedelta(days=3)
        labels = _free("contacts", contacts, spoiled, rng, 2, early)
        copies = contacts.loc[labels].copy()
        copies.index = pd.RangeIndex(len(contacts), len(contacts) + len(labels))
        top = int(contacts["contact_id"].astype("int64").max())
        copies["contact_id"] = [str(top + 7 * (i + 1)) for i in range(len(labels))]
        local = copies["email"].str.split("@").str[0].str.title()
        domain = copies["email"].str.split("@").str[1].str.upper()
        copies["email"] = local + "@" + domain
        copies["created_at"] = copies["created_at"] + pd.Timedelta(days=2, hours=3)
        for col in copies.columns:
            if col.startswith("became_"):
                copies[col] = pd.Series(pd.NaT, index=copies.index, dtype=contacts[col].dtype)
        copies["lifecycle_stage"] = "subscriber"  # a re-sign-up: never further than the first
        copies = copies.astype(contacts.dtypes.to_dict())
        for new, cid in zip(copies.index, copies["contact_id"], strict=True):
            _entry(spoiled, "contacts", new, cid, "merged into contact with same email", "extra")
        tables["contacts"] = pd.concat([contacts, copies])


def _spoil_text(files: list[tuple[str, str, pd.DataFrame]], spoiled: list[dict], rng, fmt: str):
    """Mess that only text can hold: bad dates, empty rows, thousands separators, `;` lists."""
    hub = fmt == "hubspot"
    by_table: dict[str, list[pd.DataFrame]] = {}
    for table, _name, frame in files:
        by_table.setdefault(table, []).append(frame)
    bad_dates = _HUBSPOT_BAD_DATES if hub else _CANONICAL_BAD_DATES

    def date_column(table: str) -> str:
        if hub:
            return {"touchpoints": "Interaction date", "activities": "Activity date"}[table]
        return "occurred_at"

    id_col = {
        "touchpoints": "Interaction ID" if hub else "touchpoint_id",
        "activities": "Record ID" if hub else "activity_id",
        "deals": "Record ID" if hub else "deal_id",
        "accounts": "Record ID" if hub else "account_id",
        "contacts": "Record ID" if hub else "contact_id",
    }
    for table, k in (("touchpoints", 2), ("activities", 1)):
        frames = [f for f in by_table.get(table, []) if len(f)]
        if not frames:
            continue
        frame = frames[int(rng.integers(len(frames)))]
        taken = {e["id"] for e in spoiled if e["table"] == table}
        free = frame.index[~frame[id_col[table]].isin(taken).to_numpy()]
        picks = rng.choice(free, size=min(k, len(free)), replace=False)
        for i, label in enumerate(picks):
            frame.loc[label, date_column(table)] = bad_dates[i % len(bad_dates)]
            _entry(
                spoiled,
                table,
                label,
                frame.loc[label, id_col[table]],
                "unparseable occurred_at",
                "removed",
            )

    # harmless: thousands separators in amounts and revenues
    def unspoiled(table: str, frame: pd.DataFrame) -> np.ndarray:
        labels = [e["label"] for e in spoiled if e["table"] == table]
        return ~frame.index.isin(labels)

    for table, col, pattern in (
        ("deals", "Amount" if hub else "amount", "{:,.2f}"),
        ("accounts", "Annual Revenue" if hub else "annual_revenue", "{:,.0f}"),
    ):
        for frame in by_table.get(table, []):
            values = pd.to_numeric(frame[col], errors="coerce")
            ok = (values >= 1000) & unspoiled(table, frame)
            labels = frame.index[ok.fillna(False).to_numpy()]
            for label in rng.choice(labels, size=min(3, len(labels)), replace=False):
                frame.loc[label, col] = pattern.format(float(values[label]))

    # harmless (HubSpot): several associated records in one `;`-separated cell, primary first
    if hub:
        for table, col in (
            ("contacts", "Associated Company IDs"),
            ("deals", "Associated Contact IDs"),
        ):
            for frame in by_table.get(table, []):
                ok = frame[col].notna() & unspoiled(table, frame)
                labels = frame.index[ok.to_numpy()]
                if len(labels) < 2:
                    continue
                picks = rng.choice(labels, size=min(3, len(labels)), replace=False)
                others = frame[col].dropna().to_numpy()
                for label in picks:
                    other = others[int(rng.integers(len(others)))]
                    frame.loc[label, col] = f"{frame.loc[label, col]};{other}"

    # empty trailing rows, as spreadsheets leave them (all delimiters, no values)
    for i, (table, name, frame) in enumerate(files):
        if table in ("contacts", "deals") and len(frame):
            label = f"empty-{table}"
            blank = pd.DataFrame({c: [pd.NA] for c in frame.columns}, index=[label])
            files[i] = (table, name, pd.concat([frame, blank.astype("string")]))
            _entry(spoiled, table, label, "", "empty row", "extra")


def _locate(files: list[tuple[str, str, pd.DataFrame]], spoiled: list[dict], first_row: int):
    for entry in spoiled:
        for table, name, frame in files:
            if table == entry["table"] and entry["label"] in frame.index:
                entry["file"] = name
                entry["row"] = int(frame.index.get_loc(entry["label"])) + first_row
                break


def _write_text_files(files, out: Path, spoiled: list[dict]) -> list[Path]:
    from smk.io.canonical import write_text_csv

    files = [(t, n, f) for t, n, f in files if len(f)]
    _locate(files, spoiled, first_row=2)  # row 1 is the header
    return [write_text_csv(frame, out / name) for _t, name, frame in files]


def write_export(
    synthetic: Synthetic,
    out_dir: str | Path,
    format: str = "hubspot",
    mess: bool = True,
    seed: int = 0,
) -> Path:
    """Write `synthetic` as a CRM export plus ``out_dir/truth/``; returns `out_dir`.

    Parameters
    ----------
    synthetic : the result of `synthesize`.
    out_dir : folder to create or fill.
    format : "hubspot" (UI export files, `smk.io.hubspot.write_hubspot`), "salesforce" (via
        `smk.io.salesforce.write_salesforce`), "canonical" (CSV) or "canonical-parquet".
    mess : spoil a few rows per table on purpose (see below) and list them in
        ``truth/spoiled.csv``.
    seed : seed for choosing which rows to spoil.

    With ``mess=True`` the export holds the realistic problems a loader must set aside, each in
    one or two rows: an unparseable date (touchpoints, activities), a negative deal amount,
    duplicate id rows (accounts, deals, touchpoints, activities), a deal whose account is
    missing, a deal closed before it was created, an empty trailing row (contacts, deals) and
    a second contact with the same e-mail in different case (merged into the first).
    ``truth/spoiled.csv`` lists each as (table, id, reason, effect, file, row): effect
    "removed" is a row of ``synthetic.crm`` that does not load, "extra" an added row that is
    set aside; file and row locate it (row 1 = header). So ``smk.load(out_dir)`` equals
    ``synthetic.crm`` minus the removed rows. Harmless mess that must load fine is added too:
    amounts and revenues with thousands separators and, for HubSpot, ``;``-separated
    multi-value association cells. Text-level mess (dates, empty rows, separators) needs a
    text format we write ourselves, so Parquet and Salesforce get the value-level mess only
    (Salesforce ids in spoiled.csv are the synthetic ids, a touchpoint's that of the campaign
    member it is written into, `smk.io.salesforce.member_keys`; file and row are empty: see
    truth/id_map.csv.gz). A Salesforce export also sets aside, by design and not as mess, each
    converted Lead (``converted lead merged into contact``: the person is its Contact) and
    campaign members who never responded: spoiled.csv does not list those.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    crm = synthetic.crm
    tables = {name: getattr(crm, name) for name in TABLES}  # spoiling copies what it changes
    spoiled: list[dict] = []
    if mess:
        _spoil_values(tables, spoiled, rng)
    with repeated_ids_allowed():  # the duplicate rows are mess the load sets aside
        messy = CRM(**tables, source=crm.source, format=crm.format)
    stop = synthetic.end if synthetic.end is not None else pd.Timestamp.now(tz="UTC")
    export_date = stop.strftime("%Y-%m-%d")
    if format == "hubspot":
        from smk.io.hubspot import hubspot_frames

        files = hubspot_frames(messy, export_date)
        if mess:
            _spoil_text(files, spoiled, rng, "hubspot")
        _write_text_files(files, out, spoiled)
    elif format == "canonical":
        from smk.io.canonical import canonical_frames

        files = [(name, f"{name}.csv", frame) for name, frame in canonical_frames(messy).items()]
        if mess:
            _spoil_text(files, spoiled, rng, "canonical")
        _write_text_files(files, out, spoiled)
    elif format == "canonical-parquet":
        from smk.io.canonical import write_canonical

        write_canonical(messy, out, fmt="parquet")
        files = [(name, f"{name}.parquet", getattr(messy, name)) for name in TABLES]
        _locate(files, spoiled, first_row=1)
    elif format == "salesforce":
        from smk.io.salesforce import member_keys, write_salesforce

        write_salesforce(messy, out)
        members = member_keys(messy.touchpoints)
        for entry in spoiled:  # a touch is written as (part of) its campaign member
            if entry["table"] == "touchpoints":
                entry["id"] = members.loc[entry["label"]]
    else:
        raise ValueError(
            f"unknown export format {format!r}; use 'hubspot', 'salesforce', 'canonical' "
            "or 'canonical-parquet'"
        )
    truth_dir = out / "truth"
    write_truth(synthetic.truth, truth_dir)
    if (out / "id_map.csv").exists():  # the writer's id map is ground truth, not export
        pd.read_csv(out / "id_map.csv", dtype="string").to_csv(
            truth_dir / "id_map.csv.gz", index=False, compression={"method": "gzip", "mtime": 0}
        )
        (out / "id_map.csv").unlink()
    columns = ["table", "id", "reason", "effect", "file", "row"]
    frame = pd.DataFrame(spoiled).reindex(columns=columns)
    frame["row"] = frame["row"].astype("Int64")
    frame.to_csv(truth_dir / "spoiled.csv", index=False)
    (truth_dir / "params.json").write_text(
        json.dumps(
            {
                "seed": synthetic.seed,
                "start": str(synthetic.start),
                "end": str(synthetic.end),
                "params": dataclasses.asdict(synthetic.params),
            },
            indent=1,
            default=str,
        ),
        encoding="utf-8",
    )
    return out
