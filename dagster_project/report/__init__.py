"""`bank360 report`: the month's credit, contribution and data-quality charts as one static HTML
file for risk officers, read from the published BI file (docs/report.md)."""

from .page import default_dir, render, write_latest

__all__ = ["default_dir", "render", "write_latest"]
