"""The package logger (defined in the video core, the bottom layer, so that it imports nothing above it)."""

from __future__ import annotations

from .video.log import get_logger

__all__ = ['get_logger']
