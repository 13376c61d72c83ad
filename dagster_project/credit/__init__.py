"""Credit grading: fitting the individual scorecard the dbt models apply (docs/credit-model.md)."""
