"""Gemma-4 (ms-swift's own ``gemma4`` type) for frame-sequence action recognition: tiny checkpoints, a video path
through the video core with true timestamps, and the sampling profile (4 frames). Declared in :mod:`.spec`."""

from .spec import SPEC, VIDEO_SAMPLING

__all__ = ['SPEC', 'VIDEO_SAMPLING']
