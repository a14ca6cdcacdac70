"""Evaluation of ``swift infer`` results: temporal grounding and action recognition."""
