"""Marketing-to-sales attribution: which marketing work produced the pipeline and revenue.

Build journeys from a CRM (`journeys`) or read a `ChannelAttribution`-style path table
(`from_paths`), then credit the conversions with any model (`attribute`, `compare`): the
rule-based models of HubSpot's attribution reports, exact Markov removal effects (orders 1-4)
and exact Shapley values. `bootstrap` gives confidence intervals, `return_on_spend` the cost
per acquisition and return on ad spend, and the path-analysis helpers show which paths people
take. `top_channel_check` says how often the top channel is the top one across the
bootstrap's resamples: the report's tiles name it as a finding only when at least
`MIN_TOP_SUPPORT` of them agree. Below `MIN_CONVERSIONS` attributed conversions `reliability`
says the results are not to be relied on; `lookback_check` says when the lookback window cut
converting and non-converting journeys unequally enough to bias the shares.
"""

from smk.attribution.journeys import (
    CONVERSIONS,
    Journeys,
    check_lookback_days,
    from_paths,
    journey_columns,
    journeys,
    last_day,
    period_label,
    value_currency,
    window_start,
)
from smk.attribution.lookback import (
    LOOKBACK_GAP,
    LOOKBACK_SHARE,
    SHARE_TILES,
    lookback_caveat,
    lookback_check,
    lookback_note,
    lookback_tiles,
)
from smk.attribution.markov import MarkovAttribution
from smk.attribution.models import (
    DATA_DRIVEN,
    LABELS,
    MODELS,
    RULE_MODELS,
    attribute,
    check_credit,
    compare,
    data_driven_effects,
    distance_to_truth,
    headline_model,
    page_intro,
    report_kpis,
    shares_wide,
    top_share_kpi,
    total_variation_distance,
    truth_shares,
    truth_unavailable,
    truth_verdict,
)
from smk.attribution.money import (
    RATIOS,
    paid_ratios,
    pooled_channel_note,
    ratio_caption,
    return_on_spend,
    spend_by_channel,
    why_no_ratio,
)
from smk.attribution.paths import (
    path_lengths,
    path_pattern,
    paths_note,
    time_to_conversion,
    time_to_conversion_summary,
    top_paths,
    touch_positions,
)
from smk.attribution.reliability import MIN_CONVERSIONS, reliability, reliability_note
from smk.attribution.shapley import NotEstimableError, ShapleyAttribution, shapley_values
from smk.attribution.uncertainty import (
    MIN_TOP_SUPPORT,
    bootstrap,
    data_driven_intervals,
    headline_intervals,
    top_channel_check,
)

__all__ = [
    "CONVERSIONS",
    "DATA_DRIVEN",
    "LABELS",
    "LOOKBACK_GAP",
    "LOOKBACK_SHARE",
    "MIN_CONVERSIONS",
    "MIN_TOP_SUPPORT",
    "MODELS",
    "RATIOS",
    "RULE_MODELS",
    "SHARE_TILES",
    "Journeys",
    "MarkovAttribution",
    "ShapleyAttribution",
    "attribute",
    "bootstrap",
    "check_credit",
    "check_lookback_days",
    "data_driven_effects",
    "data_driven_intervals",
    "compare",
    "distance_to_truth",
    "headline_intervals",
    "headline_model",
    "page_intro",
    "truth_verdict",
    "top_share_kpi",
    "top_channel_check",
    "report_kpis",
    "ratio_caption",
    "reliability",
    "reliability_note",
    "value_currency",
    "from_paths",
    "journey_columns",
    "journeys",
    "last_day",
    "lookback_caveat",
    "lookback_check",
    "lookback_note",
    "lookback_tiles",
    "paid_ratios",
    "pooled_channel_note",
    "path_lengths",
    "path_pattern",
    "paths_note",
    "period_label",
    "return_on_spend",
    "shapley_values",
    "NotEstimableError",
    "shares_wide",
    "spend_by_channel",
    "time_to_conversion",
    "time_to_conversion_summary",
    "top_paths",
    "total_variation_distance",
    "touch_positions",
    "truth_shares",
    "truth_unavailable",
    "why_no_ratio",
    "window_start",
]
