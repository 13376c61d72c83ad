"""A simulator of the bank's four source systems (see docs/simulator.md)."""

from .run import Options, simulate

__all__ = ["Options", "simulate"]
