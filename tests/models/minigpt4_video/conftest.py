"""MiniGPT4-Video test fixtures."""

import pytest


@pytest.fixture(scope='session')
def tiny_minigpt(tiny_checkpoint):
    """Six frames, five subtitle words per frame: the template and official-prompt tests' checkpoint."""
    return tiny_checkpoint('minigpt4_video', num_frames=6, max_subtitle_words=5)
