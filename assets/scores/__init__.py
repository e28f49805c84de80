"""Scoring core of scoring.md: pure polars functions, no Dagster, no file I/O."""

from assets.scores.compute import ScoreInputs, ScoreTables, build_facts, compute_scores, empty_inputs

__all__ = ["ScoreInputs", "ScoreTables", "build_facts", "compute_scores", "empty_inputs"]
