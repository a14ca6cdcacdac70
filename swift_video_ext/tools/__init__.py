"""Checkpoint tools (LoRA rescaling, converters)."""
