"""Dagster assets: ingestion per source feed, and the dbt warehouse."""
