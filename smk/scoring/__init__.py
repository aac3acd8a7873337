"""Lead scoring that sales can trust: features as of the scoring date, a rule-based baseline,
a calibrated predictive score (`LeadScorer`), its evaluation and explanations, and the path
from score to action (grades, MQL threshold, CRM export, drift).

Typical use (notebook 03_lead_scoring)::

    leads = lead_features(crm, as_of=month.end, target="sql", within_days=60)
    split = time_split(leads)
    evaluated = fit_held_out(LeadScorer(random_state=0), split)  # trained without the test leads
    trained_on = labelled(leads, before=month)  # known outcome, scored before the month
    final = refit(evaluated.scorer, trained_on)  # deployed: never trained on the leads it scores
    model = build_model(final, trained_on, evaluated.scores, leads.attrs["spec"])
"""

from smk.scoring.deploy import (
    MODEL_FORMAT,
    HeldOut,
    IncompatibleModelError,
    ScoringModel,
    assign_grades,
    build_model,
    carry_mql_threshold,
    drift_report,
    fit_held_out,
    grade_thresholds,
    load_model,
    population_stability,
    psi,
    refit,
    save_model,
    score_leads,
    threshold_for_share,
)
from smk.scoring.evaluation import (
    MAX_ECE,
    better_than_chance,
    calibration_check,
    calibration_table,
    capacity_kpi,
    check_capacity,
    choose_mql_threshold,
    compare_scores,
    cumulative_gains,
    decile_table,
    expected_auc,
    expected_calibration_error,
    plot_calibration,
    plot_deciles,
    plot_gains,
    plot_threshold_tradeoff,
    score_metrics,
    threshold_tradeoff,
    usability_note,
)
from smk.scoring.explain import (
    emails_in,
    permutation_importance_table,
    plot_importance,
    reason_contributions,
    top_reasons,
    typical_values,
)
from smk.scoring.features import (
    TARGETS,
    TargetSpec,
    TimeSplit,
    feature_matrix,
    labelled,
    lead_features,
    leads_scored_in,
    time_split,
)
from smk.scoring.model import (
    LeadScorer,
    LeakageError,
    check_no_leakage,
    outcome_columns,
    single_feature_auc,
)
from smk.scoring.rules import engagement_points, fit_points, rule_based_score
from smk.scoring.settings import load_config

__all__ = [
    "MAX_ECE",
    "MODEL_FORMAT",
    "TARGETS",
    "HeldOut",
    "IncompatibleModelError",
    "LeadScorer",
    "LeakageError",
    "ScoringModel",
    "TargetSpec",
    "TimeSplit",
    "assign_grades",
    "better_than_chance",
    "calibration_check",
    "build_model",
    "calibration_table",
    "capacity_kpi",
    "check_capacity",
    "check_no_leakage",
    "choose_mql_threshold",
    "compare_scores",
    "cumulative_gains",
    "decile_table",
    "drift_report",
    "emails_in",
    "engagement_points",
    "expected_auc",
    "expected_calibration_error",
    "feature_matrix",
    "carry_mql_threshold",
    "fit_held_out",
    "threshold_for_share",
    "fit_points",
    "grade_thresholds",
    "labelled",
    "lead_features",
    "leads_scored_in",
    "load_config",
    "load_model",
    "outcome_columns",
    "permutation_importance_table",
    "plot_calibration",
    "plot_deciles",
    "plot_gains",
    "plot_importance",
    "plot_threshold_tradeoff",
    "population_stability",
    "psi",
    "reason_contributions",
    "refit",
    "rule_based_score",
    "save_model",
    "score_leads",
    "score_metrics",
    "single_feature_auc",
    "threshold_tradeoff",
    "usability_note",
    "time_split",
    "top_reasons",
    "typical_values",
]
