"""Scenarios: corridor model runs (and, later, edits, presets, stores and sweeps)."""

from steppe.scenario.runner import CorridorRun, class_costs, load_eurasia, run_corridor

__all__ = ["CorridorRun", "class_costs", "load_eurasia", "run_corridor"]
