"""Dagster assets: ingestion per source feed, the risk officers' credit overrides, and the dbt warehouse."""
