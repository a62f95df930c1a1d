"""Rules of the effect evaluation (template 4); docs/guide/iteration.md explains them to users."""

from decimal import Decimal

# "Far beyond expectation": the result beats its target bound by at least this share of the bound
# (lower is better: after <= bound * (1 - FAR_MARGIN); higher is better: after >= bound * (1 + FAR_MARGIN)).
# A relative target ("-20%") is first turned into the bound before * (1 + target).
FAR_MARGIN = Decimal("0.20")
# Fewer observations than this on either side, when counts are known: keep tracking.
MIN_OBSERVATIONS = 30
# A difference whose p-value is at or above this is not significant: keep tracking.
SIGNIFICANCE_LEVEL = 0.05
# Why a verdict was given: a code stored on the row, shown in the reader's language.
REASON_NO_DATA = "no_data"
REASON_TOO_FEW = "too_few"
REASON_NOT_SIGNIFICANT = "not_significant"
REASON_NO_TARGET = "no_target"
REASON_FAR = "far"
REASON_MET = "met"
REASON_NOT_MET = "not_met"
