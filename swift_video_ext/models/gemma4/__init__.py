"""Gemma-4 (ms-swift's own ``gemma4`` type) for frame-sequence action recognition: tiny checkpoints, a video path
through the video core with true timestamps, and the sampling profile (4 frames)."""

from ...video.settings import VideoSampling

# The reference action-recognition data gives the model 4 frames per clip.
VIDEO_SAMPLING = VideoSampling('uniform', num_frames=4)


def register_auto_classes() -> None:
    """Gemma-4's classes are transformers' own; nothing to register."""


__all__ = ['VIDEO_SAMPLING', 'register_auto_classes']
